//! Helpers shared by the codegen integration tests.

#![allow(dead_code)] // each test binary uses a different subset

use std::path::{Path, PathBuf};

/// The workspace root (the folder above `codegen/`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("codegen sits inside the workspace")
        .to_path_buf()
}

/// `codegen/tests/fixtures`.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The root document of fixture `name`.
pub fn fixture_root(name: &str) -> PathBuf {
    fixtures_dir().join(name).join("openapi.yaml")
}

/// Names of the fixtures that must generate (every folder not starting with `err-`, but
/// `changes/`), sorted.
/// `bug-` fixtures generate but show a known generator bug (see the fixture's comment).
pub fn construct_fixtures() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(fixtures_dir())
        .expect("fixtures folder")
        .map(|e| {
            e.expect("fixture entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|n| !n.starts_with("err-"))
        // spec pairs of the change report (tests/changes.rs), not constructs
        .filter(|n| n != "changes")
        .collect();
    names.sort();
    names
}

/// Generates fixture `name`, panicking with the generator's error if it fails.
pub fn generate_fixture(name: &str) -> Vec<codegen::File> {
    codegen::generate(&fixture_root(name))
        .unwrap_or_else(|e| panic!("fixture `{name}` does not generate: {e}"))
}

/// All generated files as one text, each preceded by `// ---- <path>`.
pub fn render(files: &[codegen::File]) -> String {
    let mut out = String::new();
    for file in files {
        out.push_str(&format!("// ---- {}\n", file.path));
        out.push_str(&file.contents);
        if !file.contents.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}
