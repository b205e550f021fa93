//! The real spec (`api-spec/openapi.yaml`): generation is deterministic, and the committed
//! `fastspring-api/src/generated/` is exactly what the generator produces (the test-side
//! twin of `cargo xtask regenerate --check`).

mod common;

use common::workspace_root;

fn generate_full_spec() -> Vec<codegen::File> {
    codegen::generate(&workspace_root().join("api-spec/openapi.yaml"))
        .unwrap_or_else(|e| panic!("api-spec/{e}"))
}

#[test]
fn full_spec_generates_identical_bytes_twice() {
    let first = generate_full_spec();
    let second = generate_full_spec();
    assert!(!first.is_empty());
    assert_eq!(
        first.iter().map(|f| &f.path).collect::<Vec<_>>(),
        second.iter().map(|f| &f.path).collect::<Vec<_>>()
    );
    for (a, b) in first.iter().zip(&second) {
        assert!(
            a.contents == b.contents,
            "{} differs between two runs",
            a.path
        );
    }
}

#[test]
fn committed_generated_code_is_current() {
    let dir = workspace_root().join("fastspring-api/src/generated");
    let files = generate_full_spec();
    let mut stale = Vec::new();
    for file in &files {
        let committed = std::fs::read_to_string(dir.join(&file.path)).ok();
        if committed.as_deref() != Some(file.contents.as_str()) {
            stale.push(file.path.clone());
        }
    }
    for entry in std::fs::read_dir(&dir).expect("fastspring-api/src/generated") {
        let name = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        if name.ends_with(".rs") && !files.iter().any(|f| f.path == name) {
            stale.push(format!("{name} (no longer generated)"));
        }
    }
    assert!(
        stale.is_empty(),
        "fastspring-api/src/generated is stale, run `cargo xtask regenerate`: {stale:?}"
    );
}
