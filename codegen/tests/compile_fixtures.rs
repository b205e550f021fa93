//! Each construct fixture's generated code compiles inside a copy of the `fastspring-api`
//! crate (the generated code refers to `crate::Client`, `crate::runtime::…`, `crate::Amount`).
//!
//! For every fixture a crate is written under `target/fixture-check/crates/<fixture>/`:
//! the hand-written `fastspring-api/src/**/*.rs` (all but `generated/`), the fixture's generated files as
//! `src/generated/`, and a `Cargo.toml` derived from `fastspring-api/Cargo.toml` whose
//! features are the fixture's tags. The crates form one workspace that shares the real
//! workspace's `Cargo.lock` and one target folder, so dependencies compile once. Then
//! `cargo check` runs with all groups on plus `schemars`, with all groups on, with none,
//! and for fixtures with several groups, with each group alone (which is where a
//! missing `cfg` shows). A warning in generated code is a failure.
//!
//! The first check (the one with the most dependencies, `schemars` included) may
//! download what the cargo cache lacks: `cargo test --workspace` itself never builds the
//! `schemars` feature, so on a fresh machine its crates are not there yet. The other
//! checks run `--offline`: by then everything they need is in the cache.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{construct_fixtures, fixture_root, generate_fixture, workspace_root};

/// Writes `contents` to `path` unless it already holds exactly that (keeps mtimes, so
/// cargo does not recheck unchanged crates).
fn write_if_changed(path: &Path, contents: &str) {
    if std::fs::read_to_string(path).ok().as_deref() == Some(contents) {
        return;
    }
    std::fs::create_dir_all(path.parent().expect("file has a folder")).expect("create folder");
    std::fs::write(path, contents).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

/// The hand-written `.rs` files below `src` (every folder but `generated/`), as paths
/// relative to `src`.
fn hand_written_sources(src: &Path) -> BTreeSet<PathBuf> {
    fn walk(src: &Path, folder: &Path, out: &mut BTreeSet<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(src.join(folder)) else {
            return;
        };
        for entry in entries {
            let name = entry.expect("entry").file_name();
            let relative = folder.join(&name);
            let path = src.join(&relative);
            if path.is_dir() {
                if relative != Path::new("generated") {
                    walk(src, &relative, out);
                }
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.insert(relative);
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(src, Path::new(""), &mut out);
    out
}

/// Splits a TOML text into (header, body) sections; the text before the first header has
/// an empty header.
fn sections(toml: &str) -> Vec<(String, String)> {
    let mut out = vec![(String::new(), String::new())];
    for line in toml.lines() {
        if line.starts_with('[') {
            out.push((line.trim().to_string(), String::new()));
        } else {
            let last = out.last_mut().expect("at least one section");
            last.1.push_str(line);
            last.1.push('\n');
        }
    }
    out
}

/// The temporary workspace's root manifest: members plus the real workspace's shared
/// package fields, dependency versions (minus path dependencies) and lints.
fn workspace_manifest(members: &[String]) -> String {
    let real = std::fs::read_to_string(workspace_root().join("Cargo.toml")).expect("Cargo.toml");
    let mut out = String::from(
        "# Written by codegen/tests/compile_fixtures.rs.\n[workspace]\nresolver = \"3\"\nmembers = [",
    );
    out.push_str(
        &members
            .iter()
            .map(|m| format!("\"{m}\""))
            .collect::<Vec<_>>()
            .join(", "),
    );
    out.push_str("]\n\n");
    for (header, body) in sections(&real) {
        if header.is_empty() || header == "[workspace]" {
            continue;
        }
        out.push_str(&header);
        out.push('\n');
        for line in body.lines() {
            if !line.contains("path =") {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

/// A fixture crate's manifest: `fastspring-api/Cargo.toml` renamed, without its
/// dev-dependencies and targets other than the library, with the fixture's tags as the default features. The real crate's
/// other features are declared too (empty, off), because the hand-written runtime names
/// some of them in `cfg`s (`webhook-events`, `events`).
fn crate_manifest(fixture: &str, features: &BTreeSet<String>) -> String {
    let real = std::fs::read_to_string(workspace_root().join("fastspring-api/Cargo.toml"))
        .expect("fastspring-api/Cargo.toml");
    let mut out = String::new();
    let mut other_features = BTreeSet::new();
    for (header, body) in sections(&real) {
        match header.as_str() {
            "[features]" => {
                for line in body.lines() {
                    if let Some((name, _)) = line.split_once(" =")
                        && !line.starts_with([' ', '#'])
                        && !["default", "schemars"].contains(&name)
                        && !features.contains(name)
                    {
                        other_features.insert(name.to_string());
                    }
                }
            }
            // Only the library matters: examples, tests and benches (and their
            // dev-dependencies) are not copied.
            h if h.starts_with("[[") || h.starts_with("[dev-dependencies") => continue,
            "[package]" => {
                out.push_str("[package]\n");
                for line in body.lines() {
                    if line.starts_with("name =") {
                        out.push_str(&format!("name = \"fixture-{fixture}\"\n"));
                    } else {
                        out.push_str(line);
                        out.push('\n');
                    }
                }
            }
            _ => {
                if !header.is_empty() {
                    out.push_str(&header);
                    out.push('\n');
                }
                out.push_str(&body);
            }
        }
    }
    let quoted: Vec<String> = features.iter().map(|f| format!("\"{f}\"")).collect();
    out.push_str(&format!(
        "\n[features]\ndefault = [{}]\n",
        quoted.join(", ")
    ));
    for f in features.iter().chain(&other_features) {
        out.push_str(&format!("{f} = []\n"));
    }
    out.push_str("schemars = [\"dep:schemars\"]\n");
    out
}

/// Writes fixture `name`'s crate under `crates`; returns its features (kebab-case tags).
fn write_fixture_crate(crates: &Path, name: &str) -> BTreeSet<String> {
    let spec = codegen::spec::Spec::load(&fixture_root(name)).expect("fixture loads");
    let features: BTreeSet<String> = codegen::ir::lower(&spec)
        .expect("fixture lowers")
        .modules
        .into_iter()
        .filter_map(|m| m.feature)
        .collect();
    let dir = crates.join(name);
    write_if_changed(&dir.join("Cargo.toml"), &crate_manifest(name, &features));

    let runtime_src = workspace_root().join("fastspring-api/src");
    let hand_written = hand_written_sources(&runtime_src);
    for file in &hand_written {
        let text = std::fs::read_to_string(runtime_src.join(file)).expect("runtime source");
        write_if_changed(&dir.join("src").join(file), &text);
    }
    // A file moved or removed in `fastspring-api/src` must not linger in the copy (a
    // stale `client.rs` beside a new `client/mod.rs` would not compile).
    for stale in hand_written_sources(&dir.join("src")) {
        if !hand_written.contains(&stale) {
            std::fs::remove_file(dir.join("src").join(&stale)).expect("remove stale source");
        }
    }

    let generated = dir.join("src/generated");
    let files = generate_fixture(name);
    if let Ok(entries) = std::fs::read_dir(&generated) {
        for entry in entries {
            let path = entry.expect("entry").path();
            let file = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_string();
            if !files.iter().any(|f| f.path == file) {
                std::fs::remove_file(&path).expect("remove stale generated file");
            }
        }
    }
    for file in &files {
        write_if_changed(&generated.join(&file.path), &file.contents);
    }
    features
}

/// Whether a check may download crates the cargo cache lacks.
#[derive(Clone, Copy, PartialEq)]
enum Fetch {
    Allowed,
    Offline,
}

fn cargo_check(crates: &Path, target: &Path, args: &[&str], fetch: Fetch) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command.arg("check");
    if fetch == Fetch::Offline {
        command.arg("--offline");
    }
    let output = command
        .args(["--quiet", "--message-format", "short"])
        .args(args)
        .current_dir(crates)
        .env("CARGO_TARGET_DIR", target)
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_BUILD_TARGET_DIR")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .output()
        .expect("run cargo");
    let stderr = String::from_utf8_lossy(&output.stderr);
    // Warnings in the generated code fail the check; the hand-written runtime's own
    // warnings (crate-private helpers only some fixtures call) do not. Cargo replays the
    // warnings of fresh crates, so a cached crate is checked too.
    let generated_warnings: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("/src/generated/") && l.contains("warning"))
        .collect();
    if output.status.success() && generated_warnings.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "`cargo check {}` failed:\n{}{}",
            args.join(" "),
            String::from_utf8_lossy(&output.stdout),
            stderr
        ))
    }
}

#[test]
fn every_fixture_compiles_inside_the_crate() {
    let base: PathBuf = workspace_root().join("target/fixture-check");
    let crates = base.join("crates");
    let target = base.join("target");
    let fixtures: Vec<String> = construct_fixtures();

    write_if_changed(&crates.join("Cargo.toml"), &workspace_manifest(&fixtures));
    // Cargo rewrites the copied lock for the fixture members; copy it again only when the
    // workspace's own lock changed (the last copy's source is kept beside it).
    let lock = std::fs::read_to_string(workspace_root().join("Cargo.lock")).expect("Cargo.lock");
    let source = base.join("Cargo.lock.source");
    if std::fs::read_to_string(&source).ok().as_deref() != Some(lock.as_str()) {
        write_if_changed(&crates.join("Cargo.lock"), &lock);
        write_if_changed(&source, &lock);
    }
    let mut per_feature = Vec::new();
    for name in &fixtures {
        let features = write_fixture_crate(&crates, name);
        assert!(!features.is_empty(), "fixture `{name}` declares no tag");
        if features.len() > 1 {
            for f in features {
                per_feature.push((format!("fixture-{name}"), f));
            }
        }
    }

    let mut failures = Vec::new();
    for (args, fetch) in [
        // The fixture's groups with `schemars` (its derive must read every field attribute).
        // Not `--all-features`: that would turn on the real crate's groups, which the
        // hand-written webhooks module builds on and a fixture does not generate. First,
        // and allowed to fetch: it needs every crate the other checks need, and more.
        (
            vec!["--workspace", "--features", "schemars"],
            Fetch::Allowed,
        ),
        (vec!["--workspace"], Fetch::Offline),
        (vec!["--workspace", "--no-default-features"], Fetch::Offline),
    ] {
        if let Err(e) = cargo_check(&crates, &target, &args, fetch) {
            failures.push(e);
        }
    }
    for (package, feature) in &per_feature {
        let args = [
            "-p",
            package,
            "--no-default-features",
            "--features",
            feature,
        ];
        if let Err(e) = cargo_check(&crates, &target, &args, Fetch::Offline) {
            failures.push(e);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
