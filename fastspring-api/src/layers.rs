//! The crate's layers, checked: every `crate::<module>` path written in `src/**/*.rs`
//! must point to a lower layer than the module it is written in (DESIGN.md's module
//! map explains each layer). Items the crate root re-exports (`crate::Client`) count
//! for the module that defines them; `crate::<group>` paths (`crate::registry`) for
//! `generated`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each top-level module and its layer: a module may import only from lower layers.
const LAYERS: &[(&str, u8)] = &[
    // JSON reading and writing of generated types; the error types; retry and rate limit.
    ("codec", 0),
    ("error", 0),
    ("policy", 0),
    // Typed IDs; the builders' `Unset`.
    ("ids", 0),
    ("required", 0),
    // Value types (lenient integers come from `codec`); the shape registry's types.
    ("types", 1),
    ("query_date", 1),
    ("shape", 1),
    // The rate limiter trait and the in-process limiter.
    ("ratelimit", 1),
    // What one call is, without I/O.
    ("request", 2),
    // A body into a value.
    ("decode", 3),
    // The client and its transport.
    ("client", 4),
    // What a call does on top of the transport: send_*, batch, paging, multi-ID.
    ("call", 5),
    // The facade the generated code imports.
    ("runtime", 6),
    ("generated", 7),
    // Built on the generated operations and types.
    ("webhooks", 8),
    ("access", 8),
    ("reports", 8),
    ("payload", 8),
];

/// Comments removed (doc links are not imports), strings kept.
fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("/*") {
            rest = after.find("*/").map_or("", |end| &after[end + 2..]);
        } else if rest.starts_with("//") {
            rest = rest.find('\n').map_or("", |end| &rest[end..]);
        } else {
            let c = rest.chars().next().unwrap_or_default();
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The first name of every `crate::…` path in `text`, with the names inside
/// `crate::{a, b::c}` groups.
fn crate_paths(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (at, _) in text.match_indices("crate::") {
        if text[..at].chars().next_back().is_some_and(is_ident) {
            continue; // `mycrate::`
        }
        let rest = &text[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            for part in group.split(',') {
                let name: String = part.trim().chars().take_while(|&c| is_ident(c)).collect();
                if !name.is_empty() {
                    out.insert(name);
                }
            }
        } else {
            let name: String = rest.chars().take_while(|&c| is_ident(c)).collect();
            out.insert(name);
        }
    }
    out
}

/// `.rs` files below `dir`.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src folder") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `pub use module::{Item, …};` lines of the crate root: item → module.
fn root_reexports(lib: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for statement in lib.split(';') {
        let Some(rest) = statement.trim().strip_prefix("pub use ") else {
            continue;
        };
        let module: String = rest.chars().take_while(|&c| is_ident(c)).collect();
        let items = rest[module.len()..].trim_start_matches("::");
        for item in items
            .split(|c: char| !is_ident(c))
            .filter(|s| !s.is_empty())
        {
            out.insert(item.to_string(), module.clone());
        }
    }
    out
}

#[test]
fn imports_point_only_to_lower_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let layer: BTreeMap<&str, u8> = LAYERS.iter().copied().collect();
    let lib = strip_comments(&std::fs::read_to_string(src.join("lib.rs")).expect("lib.rs"));
    let reexported = root_reexports(&lib);
    let target_of = |name: &str| -> Option<String> {
        if layer.contains_key(name) {
            Some(name.to_string())
        } else if let Some(module) = reexported.get(name) {
            Some(module.clone())
        } else if src.join("generated").join(format!("{name}.rs")).exists() {
            Some("generated".to_string())
        } else {
            None
        }
    };

    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut modules_seen = BTreeSet::new();
    let mut wrong = Vec::new();
    for file in &files {
        let relative = file.strip_prefix(&src).expect("below src");
        let top = relative
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .expect("a name");
        let module = top.trim_end_matches(".rs");
        if module == "lib" || module == "layers" {
            continue;
        }
        let Some(&own) = layer.get(module) else {
            wrong.push(format!("{module}: not in the layer table"));
            continue;
        };
        modules_seen.insert(module);
        let text = strip_comments(&std::fs::read_to_string(file).expect("source"));
        for name in crate_paths(&text) {
            let Some(target) = target_of(&name) else {
                wrong.push(format!(
                    "{}: `crate::{name}` is no known module",
                    relative.display()
                ));
                continue;
            };
            if target != module && layer[target.as_str()] >= own {
                wrong.push(format!(
                    "{} (layer {own}) imports `crate::{name}` from `{target}` (layer {})",
                    relative.display(),
                    layer[target.as_str()]
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "layer violations:\n{}", wrong.join("\n"));
    // Every row of the table is a module that exists, so the table cannot go stale.
    let listed: BTreeSet<&str> = layer.keys().copied().collect();
    assert_eq!(listed, modules_seen, "the layer table and src/ differ");
}

#[test]
fn the_path_reader_sees_groups_and_skips_other_crates() {
    let text = "use crate::{request::Request, Error};\nlet x = $crate::codec::object::Key;\nmycrate::runtime";
    let found: Vec<String> = crate_paths(text).into_iter().collect();
    assert_eq!(found, ["Error", "codec", "request"]);
    assert_eq!(strip_comments("a // crate::x\n/* crate::y */b"), "a \nb");
    let reexports =
        root_reexports("pub use client::{Client, ClientBuilder};\npub use generated::*;");
    assert_eq!(
        reexports.get("ClientBuilder").map(String::as_str),
        Some("client")
    );
}
