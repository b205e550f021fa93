//! The spec's own extension keys (`x-fs-*`, `x-rust-*`): the one list of those the
//! generator and the tooling read, and the check that refuses any other, so that a typo
//! (`x-fs-pagging`) is an error naming its file and JSON pointer instead of being
//! silently ignored. `x-` keys with other prefixes belong to other tools and are left alone.
//!
//! Who reads each key: `codegen::ir` all of them except `x-fs-note`, which `xtask docs`
//! renders into the reference; `api-spec/README.md` documents them all.

use crate::Error;
use crate::spec::{Node, Spec, escape};

/// Every `x-fs-*` / `x-rust-*` key the spec may use. Adding a key here is half the job:
/// the code that reads it and its line in `api-spec/README.md` are the other half.
pub const KNOWN: &[&str] = &[
    "x-fs-batch",
    "x-fs-comma-separated",
    "x-fs-event-aliases",
    "x-fs-event-type",
    "x-fs-id",
    "x-fs-idempotent",
    "x-fs-key",
    "x-fs-multi-id",
    "x-fs-note",
    "x-fs-paging",
    "x-fs-time",
    "x-fs-unwrap",
    "x-rust-field",
    "x-rust-method",
    "x-rust-name",
];

/// Prefixes this project owns (compared without regard to case, so `X-FS-Paging` is
/// caught too).
const OWNED_PREFIXES: &[&str] = &["x-fs-", "x-rust-"];

/// Keys whose value is a map from names (property names, paths, status codes, media
/// types, header names, component names…) to objects: the names are data, not keys
/// of the OpenAPI vocabulary, so a header named `X-FS-Signature` is not an extension.
const NAME_MAPS: &[&str] = &[
    "properties",
    "patternProperties",
    "dependentSchemas",
    "$defs",
    "definitions",
    "paths",
    "webhooks",
    "callbacks",
    "responses",
    "headers",
    "content",
    "encoding",
    "links",
    "mapping",
    "variables",
    "scopes",
    "schemas",
    "parameters",
    "requestBodies",
    "securitySchemes",
    "pathItems",
    "examples",
];

/// Keys whose value is payload or literal data (examples, defaults, enum values), never
/// spec structure: a sample payload may contain any key.
const DATA_KEYS: &[&str] = &["example", "value", "default", "const", "enum"];

/// Checks every loaded file; the first unknown key is the error.
pub fn check(spec: &Spec) -> Result<(), Error> {
    for file in spec.file_names() {
        if let Some(root) = spec.node(file, "") {
            walk(&root, false)?;
        }
    }
    Ok(())
}

/// Walks `node`; `names` says its keys are names (see [`NAME_MAPS`]) rather than keywords.
fn walk(node: &Node<'_>, names: bool) -> Result<(), Error> {
    if node.value.is_array() {
        // Lists of schemas or parameters (`allOf`, `parameters`, `tags`…); a JSON Schema
        // `examples` list never gets here (see below).
        for item in node.items()? {
            walk(&item, false)?;
        }
        return Ok(());
    }
    if !node.value.is_object() {
        return Ok(());
    }
    for (key, child) in node.entries()? {
        if names {
            walk(&child, false)?;
            continue;
        }
        if is_owned(key) {
            if !KNOWN.contains(&key) {
                return Err(unknown(node, key));
            }
            // The value of a known extension is its own small vocabulary.
            continue;
        }
        if key.starts_with("x-") || DATA_KEYS.contains(&key) {
            continue;
        }
        if key == "examples" && child.value.is_array() {
            // JSON Schema `examples`: a list of sample values.
            continue;
        }
        walk(&child, NAME_MAPS.contains(&key))?;
    }
    Ok(())
}

fn is_owned(key: &str) -> bool {
    OWNED_PREFIXES.iter().any(|prefix| {
        key.get(..prefix.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
    })
}

fn unknown(node: &Node<'_>, key: &str) -> Error {
    let mut message = format!("unknown extension key `{key}`");
    if let Some(near) = nearest(key) {
        message.push_str(&format!(" (did you mean `{near}`?)"));
    }
    message.push_str(&format!("; known keys: {}", KNOWN.join(", ")));
    Error::at(
        node.file,
        &format!("{}/{}", node.pointer, escape(key)),
        message,
    )
}

/// The known key closest to `key`, if it is close enough to be a likely typo.
fn nearest(key: &str) -> Option<&'static str> {
    let key = key.to_ascii_lowercase();
    KNOWN
        .iter()
        .map(|known| (distance(&key, known), *known))
        .filter(|(d, _)| *d <= 3)
        .min()
        .map(|(_, known)| known)
}

/// Levenshtein distance over bytes (keys are short ASCII).
fn distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_doc(text: &str) -> Result<(), Error> {
        let spec =
            Spec::from_documents("openapi.yaml", &[("openapi.yaml", text)]).expect("valid YAML");
        check(&spec)
    }

    #[test]
    fn known_keys_and_foreign_prefixes_pass() {
        check_doc(
            r#"
openapi: 3.1.0
x-fs-note: fine
x-logo: {x-fs-anything: left to its tool}
components:
  schemas:
    T:
      x-rust-name: T
      x-fs-paging: {style: page, x-fs-inner: vocabulary of the extension}
"#,
        )
        .expect("accepted");
    }

    #[test]
    fn names_and_payloads_are_not_keys() {
        check_doc(
            r#"
openapi: 3.1.0
components:
  schemas:
    x-fs-named:
      type: object
      properties:
        x-fs-prop: {type: string, default: {x-fs-d: 1}}
      examples: [{x-fs-e: 1}]
      example: {x-fs-e: 1}
  headers:
    X-FS-Signature: {schema: {type: string}}
  examples:
    x-fs-sample: {value: {x-fs-e: 1}}
"#,
        )
        .expect("accepted");
    }

    #[test]
    fn typo_is_refused_where_it_is() {
        let error = check_doc(
            "openapi: 3.1.0\npaths:\n  /a/{b}:\n    get:\n      x-fs-pagging: {style: page}\n",
        )
        .expect_err("typo");
        assert_eq!(error.pointer, "/paths/~1a~1{b}/get/x-fs-pagging");
        assert!(
            error
                .message
                .starts_with("unknown extension key `x-fs-pagging` (did you mean `x-fs-paging`?); known keys: x-fs-batch,"),
            "{error}"
        );
    }

    #[test]
    fn case_and_far_misses_are_refused_without_a_guess() {
        let error = check_doc("openapi: 3.1.0\ntags:\n  - name: t\n    X-Rust-Name: T\n")
            .expect_err("case");
        assert_eq!(error.pointer, "/tags/0/X-Rust-Name");
        assert!(
            error.message.contains("did you mean `x-rust-name`"),
            "{error}"
        );

        let error =
            check_doc("openapi: 3.1.0\nx-fs-something-else-entirely: 1\n").expect_err("unknown");
        assert!(!error.message.contains("did you mean"), "{error}");
    }
}
