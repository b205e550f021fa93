//! The spec as one self-contained document, for tools that cannot follow references
//! across files (doc renderers, mock servers, validators) and for `fastspring-mock`.
//!
//! [`bundle`] starts from the root document, moves every other file's `components` into
//! the root's `components` (a name defined by two files is an error, never a silent
//! overwrite), rewrites every `$ref` to point inside the one document
//! (`accounts.yaml#/components/schemas/Account` → `#/components/schemas/Account`), and
//! puts each path item and webhook in place of its reference (older tools do not read
//! `components/pathItems`). Key order is kept, so the same spec gives the same bytes.

use serde_json::{Map, Value};

use crate::Error;
use crate::spec::{Spec, escape};

/// Bundles `spec` into one OpenAPI document whose references all start with `#/`.
pub fn bundle(spec: &Spec) -> Result<Value, Error> {
    let root_name = spec.root.as_str();
    let mut root = spec.root().value.clone();
    rewrite_refs(root_name, "", &mut root)?;

    // Every file's components, merged by kind and name.
    let mut merged: Map<String, Value> = Map::new();
    let mut by_kind: Vec<(String, Map<String, Value>)> = Vec::new();
    for file in spec.file_names() {
        let Some(components) = spec.node(file, "/components") else {
            continue;
        };
        let Value::Object(kinds) = components.value else {
            return Err(components.error("`components` must be a mapping"));
        };
        for (kind, entries) in kinds {
            let Value::Object(entries) = entries else {
                return Err(Error::at(
                    file,
                    &format!("/components/{}", escape(kind)),
                    "must be a mapping",
                ));
            };
            let index = match by_kind.iter().position(|(k, _)| k == kind) {
                Some(index) => index,
                None => {
                    by_kind.push((kind.clone(), Map::new()));
                    by_kind.len() - 1
                }
            };
            let slot = &mut by_kind[index].1;
            for (name, entry) in entries {
                let pointer = format!("/components/{}/{}", escape(kind), escape(name));
                if slot.contains_key(name) {
                    return Err(Error::at(
                        file,
                        &pointer,
                        format!(
                            "`{kind}` `{name}` is also defined by another file; a bundle needs one name per component"
                        ),
                    ));
                }
                let mut entry = entry.clone();
                rewrite_refs(file, &pointer, &mut entry)?;
                slot.insert(name.clone(), entry);
            }
        }
    }

    for (kind, entries) in by_kind {
        merged.insert(kind, Value::Object(entries));
    }

    // Path items and webhooks in place of their references.
    let path_items = merged.remove("pathItems");
    for section in ["paths", "webhooks"] {
        let Some(Value::Object(items)) = root.get_mut(section) else {
            continue;
        };
        for (key, item) in items.iter_mut() {
            let Some(target) = item.get("$ref").and_then(Value::as_str) else {
                continue;
            };
            let pointer = format!("/{section}/{}", escape(key));
            let name = target
                .strip_prefix("#/components/pathItems/")
                .ok_or_else(|| {
                    Error::at(
                        root_name,
                        &pointer,
                        format!(
                            "`$ref` `{target}`: a path item must come from `components/pathItems`"
                        ),
                    )
                })?;
            let found = path_items
                .as_ref()
                .and_then(|p| p.get(unescape(name).as_str()))
                .ok_or_else(|| {
                    Error::at(
                        root_name,
                        &pointer,
                        format!("`$ref` `{target}` points to nothing"),
                    )
                })?;
            *item = found.clone();
        }
    }

    let Value::Object(doc) = &mut root else {
        return Err(Error::at(
            root_name,
            "",
            "the root document must be a mapping",
        ));
    };
    let components = doc
        .entry("components")
        .or_insert_with(|| Value::Object(Map::new()));
    let Value::Object(components) = components else {
        return Err(Error::at(root_name, "/components", "must be a mapping"));
    };
    // The root's own components were merged above with everyone else's.
    components.clear();
    components.extend(merged);

    let mut dangling = Vec::new();
    check_refs(&root, "", &root, &mut dangling);
    if let Some((pointer, target)) = dangling.into_iter().next() {
        return Err(Error::at(
            root_name,
            &pointer,
            format!(
                "after bundling, `$ref` `{target}` points to nothing (a reference into a path item that was inlined?)"
            ),
        ));
    }
    Ok(root)
}

/// Rewrites every `$ref` below `value` (found in `file` at `pointer`) to a reference into
/// the bundle. Only references into `components` can be moved.
fn rewrite_refs(file: &str, pointer: &str, value: &mut Value) -> Result<(), Error> {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                let here = format!("{pointer}/{}", escape(key));
                if key == "$ref" {
                    if let Value::String(target) = child {
                        let target_pointer = target.split_once('#').map_or("", |(_, p)| p);
                        if !target_pointer.starts_with("/components/") {
                            return Err(Error::at(
                                file,
                                &here,
                                format!(
                                    "`$ref` `{target}`: a bundle can only move references into `components`"
                                ),
                            ));
                        }
                        *target = format!("#{target_pointer}");
                    }
                } else {
                    rewrite_refs(file, &here, child)?;
                }
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter_mut().enumerate() {
                rewrite_refs(file, &format!("{pointer}/{i}"), child)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Collects `(pointer, target)` for every `$ref` that does not resolve inside `doc`.
fn check_refs(value: &Value, pointer: &str, doc: &Value, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let here = format!("{pointer}/{}", escape(key));
                match (key.as_str(), child) {
                    ("$ref", Value::String(target)) => {
                        let resolves = target
                            .strip_prefix('#')
                            .is_some_and(|p| doc.pointer(p).is_some());
                        if !resolves {
                            out.push((here, target.clone()));
                        }
                    }
                    _ => check_refs(child, &here, doc, out),
                }
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                check_refs(child, &format!("{pointer}/{i}"), doc, out);
            }
        }
        _ => {}
    }
}

/// Undoes JSON-pointer escaping of one segment.
fn unescape(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}
