//! `codegen::contract` against the runtime it describes, read as text (as
//! `tests/features.rs` reads `fastspring-api/Cargo.toml`):
//!
//! - what `fastspring-api/src/runtime.rs` exports is exactly `RUNTIME_ITEMS` (what
//!   generated code names) plus `RUNTIME_SUPPORT_ITEMS` (what the runtime's macros expand
//!   to, and bench/fuzz hooks): nothing generated code needs is missing, and nothing is
//!   exported that the contract does not account for;
//! - the committed generated code names no `runtime::` item outside `RUNTIME_ITEMS`.
//!
//! "Exports" are read from the top level of `runtime.rs`: its `pub use` and
//! `pub(crate) use` lines (groups, nested groups, `as` renames and `self`, over several
//! lines), its `pub` items (`fn`, `struct`, `enum`, `mod`, `const`, `static`, `type`,
//! `trait`), `#[macro_export] macro_rules!`, and the modules a macro of the same file
//! defines with `pub mod $name` (the lenient scalars are made so today). Once the runtime
//! is a facade of `pub use` lines only, the first rule reads all of it.

mod common;

use std::collections::BTreeSet;

use codegen::contract::{RUNTIME_IMPORTS, RUNTIME_ITEMS, RUNTIME_SUPPORT_ITEMS};
use common::workspace_root;

/// The names a `use` tree brings in (`a::b`, `a::{b, c as d, e::{self, f}}`).
fn use_names(tree: &str) -> Vec<String> {
    let tree = tree.trim();
    if let (Some(open), Some(close)) = (tree.find('{'), tree.rfind('}')) {
        let prefix = tree[..open].trim().trim_end_matches("::");
        let parent = prefix.rsplit("::").next().unwrap_or(prefix).trim();
        return split_top_level(&tree[open + 1..close])
            .into_iter()
            .flat_map(|part| {
                if part == "self" {
                    vec![parent.to_string()]
                } else {
                    use_names(&part)
                }
            })
            .collect();
    }
    if let Some((_, alias)) = tree.split_once(" as ") {
        let alias = alias.trim();
        return if alias == "_" {
            Vec::new()
        } else {
            vec![alias.to_string()]
        };
    }
    assert!(
        !tree.ends_with('*'),
        "`{tree}`: a glob re-export cannot be pinned; list the names"
    );
    vec![tree.rsplit("::").next().unwrap_or(tree).trim().to_string()]
}

/// Splits at commas outside braces; parts trimmed, empty ones dropped.
fn split_top_level(list: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut depth = 0;
    for ch in list.chars() {
        match ch {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(String::new());
                continue;
            }
            _ => {}
        }
        parts.last_mut().expect("one part").push(ch);
    }
    parts
        .into_iter()
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

/// The names a Rust module's source exports at its top level (see the file's doc).
fn exports(source: &str) -> BTreeSet<String> {
    const ITEMS: &[&str] = &[
        "fn", "struct", "enum", "mod", "const", "static", "type", "trait",
    ];
    // Line comments out (`//!`, `///`, `//`); a `//` inside a string does not occur at
    // the top level of a module's item lines.
    let lines: Vec<&str> = source
        .lines()
        .map(|l| l.split_once("//").map_or(l, |(code, _)| code))
        .collect();
    let mut names = BTreeSet::new();
    let mut macro_export = false;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        i += 1;
        if line.starts_with(char::is_whitespace) || line.trim().is_empty() {
            continue;
        }
        if line.starts_with("#[macro_export]") {
            macro_export = true;
            continue;
        }
        if line.starts_with("#[") {
            continue;
        }
        let exported_macro = std::mem::take(&mut macro_export);
        if let Some(rest) = line.strip_prefix("macro_rules!") {
            if exported_macro {
                names.insert(ident_at(rest));
            }
            continue;
        }
        let use_tree = ["pub use ", "pub(crate) use "]
            .iter()
            .find_map(|p| line.strip_prefix(p));
        if let Some(start) = use_tree {
            let mut statement = start.to_string();
            while !statement.contains(';') && i < lines.len() {
                statement.push(' ');
                statement.push_str(lines[i].trim());
                i += 1;
            }
            let tree = statement.split(';').next().unwrap_or_default();
            names.extend(use_names(tree));
            continue;
        }
        if let Some(rest) = line.strip_prefix("pub ") {
            let words: Vec<&str> = rest.split_whitespace().collect();
            // `pub const fn f` is a function; `pub const C` a constant.
            let kind = (0..words.len())
                .find(|k| ITEMS.contains(&words[*k]) && words.get(k + 1) != Some(&"fn"))
                .filter(|k| {
                    words[..*k]
                        .iter()
                        .all(|w| matches!(*w, "async" | "unsafe" | "const" | "extern"))
                });
            if let Some(k) = kind
                && let Some(name) = words.get(k + 1)
            {
                names.insert(ident_at(name));
            }
        }
    }
    names.extend(macro_made_modules(&lines));
    names
}

/// The identifier at the start of `text` (after spaces).
fn ident_at(text: &str) -> String {
    text.trim_start()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// Modules made by a macro of the same file whose body says `pub mod $…`: the first
/// argument of each top-level call of it (`lenient_scalar!(lenient_int, …)`).
fn macro_made_modules(lines: &[&str]) -> Vec<String> {
    let mut makers = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if let Some(rest) = line.strip_prefix("macro_rules!") {
            let name = ident_at(rest);
            // The definition: from this line to the brace that closes it.
            let mut depth = 0;
            let mut makes_module = false;
            for l in &lines[i..] {
                makes_module |= l.trim_start().starts_with("pub mod $");
                depth += l.matches('{').count() as i64 - l.matches('}').count() as i64;
                if depth <= 0 && l.contains('}') {
                    break;
                }
            }
            if makes_module {
                makers.push(format!("{name}!("));
            }
        }
    }
    let mut names = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if let Some(call) = makers.iter().find(|m| line.starts_with(m.as_str())) {
            let after = &line[call.len()..];
            let first = if after.trim().is_empty() {
                lines.get(i + 1).copied().unwrap_or_default()
            } else {
                after
            };
            names.push(ident_at(first));
        }
    }
    names
}

fn runtime_source() -> String {
    let path = workspace_root().join("fastspring-api/src/runtime.rs");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn runtime_exports_exactly_what_the_contract_lists() {
    let exported = exports(&runtime_source());
    let named: BTreeSet<&str> = RUNTIME_ITEMS.iter().map(|i| i.name()).collect();
    let support: BTreeSet<&str> = RUNTIME_SUPPORT_ITEMS.iter().map(|(n, _)| *n).collect();
    let mut problems = Vec::new();
    for name in &named {
        if !exported.contains(*name) {
            problems.push(format!(
                "generated code names `runtime::{name}` (contract::RUNTIME_ITEMS), which runtime.rs does not export"
            ));
        }
    }
    for name in &support {
        if !exported.contains(*name) {
            problems.push(format!(
                "contract::RUNTIME_SUPPORT_ITEMS lists `{name}`, which runtime.rs does not export; remove it"
            ));
        }
        if named.contains(name) {
            problems.push(format!("`{name}` is listed twice in contract.rs"));
        }
    }
    for name in &exported {
        if !named.contains(name.as_str()) && !support.contains(name.as_str()) {
            problems.push(format!(
                "runtime.rs exports `{name}`, which contract.rs does not list: add it to RUNTIME_ITEMS if generated code names it, to RUNTIME_SUPPORT_ITEMS if the runtime's macros or the benches do, or stop exporting it"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn generated_code_names_only_contract_items() {
    let named: BTreeSet<&str> = RUNTIME_ITEMS.iter().map(|i| i.name()).collect();
    let dir = workspace_root().join("fastspring-api/src/generated");
    let mut seen = BTreeSet::new();
    for entry in std::fs::read_dir(&dir).expect("generated folder") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("generated file");
        for (at, _) in text.match_indices("runtime::") {
            let rest = &text[at + "runtime::".len()..];
            if rest.starts_with('{') {
                // the import line, written from contract::RUNTIME_IMPORTS (checked below)
                continue;
            }
            let name = ident_at(rest);
            assert!(
                named.contains(name.as_str()),
                "{} names `runtime::{name}`, which contract::RUNTIME_ITEMS does not list",
                path.display()
            );
            seen.insert(name);
        }
    }
    for path in RUNTIME_IMPORTS {
        let first = path.split("::").next().unwrap_or(path);
        assert!(
            named.contains(first),
            "contract::RUNTIME_IMPORTS imports `{path}`, whose `{first}` RUNTIME_ITEMS does not list"
        );
    }
    // The check read real code: the common paths are there.
    for name in ["OperationMeta", "Request", "encode_path_param", "reencode"] {
        assert!(
            seen.contains(name),
            "no `runtime::{name}` in {}",
            dir.display()
        );
    }
}

#[test]
fn use_lists_are_read_with_groups_renames_and_self() {
    let source = "\
//! Facade.
pub use crate::codec::object;
pub use crate::request::{OperationMeta, Request as Req, encode_path_param};
pub use crate::call::{
    paging::{pages, items},
    batch::{self, send_batch},
    multi_id::get_many as many,
};
pub(crate) use crate::codec::string_enum::string_enum; // macro
pub use crate::hidden as _;
use crate::not_exported;
    pub use crate::nested_in_a_block;
";
    let expected: BTreeSet<String> = [
        "object",
        "OperationMeta",
        "Req",
        "encode_path_param",
        "pages",
        "items",
        "batch",
        "send_batch",
        "many",
        "string_enum",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(exports(source), expected);
}

#[test]
fn items_macros_and_macro_made_modules_are_exports() {
    let source = "\
#[path = \"object.rs\"]
pub mod object;
/// Meta.
#[derive(Debug)]
pub struct OperationMeta {
    pub id: &'static str,
}
pub async fn get_many() {}
pub const fn limit() -> usize { 1 }
pub const MAX_PAGES: usize = 10;
pub(crate) fn internal() {}
fn private() {}
mod private_mod {}
#[macro_export]
macro_rules! exported { () => {}; }
macro_rules! local { () => {}; }
macro_rules! maker {
    ($module:ident) => {
        pub mod $module {}
    };
}
maker!(lenient_int);
maker!(
    lenient_bool,
);
local!();
";
    let expected: BTreeSet<String> = [
        "object",
        "OperationMeta",
        "get_many",
        "limit",
        "MAX_PAGES",
        "exported",
        "lenient_int",
        "lenient_bool",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(exports(source), expected);
}
