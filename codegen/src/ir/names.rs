//! How spec names become Rust identifiers: casing (heck), keywords, and making a name
//! unique among those already taken.

use std::collections::BTreeSet;

use heck::{ToSnakeCase, ToUpperCamelCase};

const RUST_KEYWORDS: &[&str] = &[
    "as", "break", "const", "continue", "crate", "else", "enum", "extern", "false", "fn", "for",
    "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return",
    "self", "Self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use", "where",
    "while", "async", "await", "dyn", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "typeof", "unsized", "virtual", "yield", "try", "gen",
];

/// Turns any name into a snake_case Rust identifier (keywords are kept and emitted raw).
pub fn snake_ident(name: &str) -> String {
    let mut s = name.to_snake_case();
    if s.is_empty() {
        s = "field".into();
    }
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        s = format!("n{s}");
    }
    // These cannot even be raw identifiers.
    if matches!(s.as_str(), "self" | "super" | "crate") {
        s.push('_');
    }
    s
}

/// Turns any name into an UpperCamelCase Rust identifier.
pub fn camel_ident(name: &str) -> String {
    let mut s = name.to_upper_camel_case();
    if s.is_empty() {
        s = "Empty".into();
    }
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        s = format!("V{s}");
    }
    s
}

/// Whether `s` is a Rust keyword (emitted as a raw identifier).
pub fn is_keyword(s: &str) -> bool {
    RUST_KEYWORDS.contains(&s)
}

/// Whether `name` can be used as a type name as written (`x-rust-name`).
pub(super) fn is_type_ident(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !is_keyword(name)
}

pub(super) fn unique(name: String, taken: &mut BTreeSet<String>) -> String {
    if taken.insert(name.clone()) {
        return name;
    }
    (2..)
        .map(|i| format!("{name}{i}"))
        .find(|candidate| taken.insert(candidate.clone()))
        .expect("an unused name exists")
}
