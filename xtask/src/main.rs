//! Maintainer commands: `cargo xtask regenerate [--check]`, `cargo xtask docs`,
//! `cargo xtask check-payload …`, `cargo xtask record DIR`,
//! `cargo xtask changes [--since REV] [--json]`.

mod changes;
mod docs;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

const GENERATED_DIR: &str = "fastspring-api/src/generated";
pub(crate) const SPEC_ROOT: &str = "api-spec/openapi.yaml";
/// The bundled spec `fastspring-mock` embeds (its routes, validation and examples).
const MOCK_BUNDLE: &str = "fastspring-mock/spec/openapi.json";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("regenerate") => regenerate(&args[1..]),
        Some("check-payload") => payload_check(&args[1..]),
        Some("record") => payload_check(&args),
        Some("docs") => docs::run(&workspace_root(), &args[1..]).map(|()| ExitCode::SUCCESS),
        Some("changes") => changes::run(&workspace_root(), &args[1..]),
        _ => {
            eprintln!(
                "usage:\n  cargo xtask regenerate [--check]\n  cargo xtask changes [--since REV] [--json]\n  cargo xtask docs [--out DIR] [--no-lint] [--bundle-only]\n  cargo xtask check-payload --endpoint \"METHOD /path\" (--request|--response) FILE...\n  cargo xtask check-payload --webhook EVENT_TYPE FILE...\n  cargo xtask check-payload [--summary] DIR...\n  cargo xtask record DIR [--base-url URL] [--sample N]"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root: the folder above xtask's manifest.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Runs the `payload-check` tool (`check-payload` arguments as they are, `record …` as a
/// subcommand), which links the generated types. It is a separate crate so that
/// `regenerate` never depends on the code it writes (a spec change that breaks the
/// generated code can always be regenerated).
fn payload_check(args: &[String]) -> Result<ExitCode, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = std::process::Command::new(cargo)
        .args(["run", "--quiet", "--manifest-path"])
        .arg(workspace_root().join("payload-check/Cargo.toml"))
        .arg("--")
        .args(args)
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    Ok(match status.code() {
        Some(0) => ExitCode::SUCCESS,
        Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        None => ExitCode::FAILURE,
    })
}

fn regenerate(args: &[String]) -> Result<ExitCode, String> {
    let check = match args {
        [] => false,
        [flag] if flag == "--check" => true,
        _ => return Err("usage: cargo xtask regenerate [--check]".into()),
    };
    let root = workspace_root();
    // The spec is loaded once: the generated code, the mock's bundle and the change
    // report all start from it (its YAML parse is the largest part of the run).
    let spec =
        codegen::spec::Spec::load(&root.join(SPEC_ROOT)).map_err(|e| format!("api-spec/{e}"))?;
    let ir = codegen::ir::lower(&spec).map_err(|e| format!("api-spec/{e}"))?;
    let files = codegen::emit::emit(&ir).map_err(|e| format!("api-spec/{e}"))?;
    let dir = root.join(GENERATED_DIR);
    let existing: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "rs"))
                .collect()
        })
        .unwrap_or_default();
    let mut stale = Vec::new();
    for file in &files {
        let path = dir.join(&file.path);
        let current = std::fs::read_to_string(&path).ok();
        if current.as_deref() != Some(file.contents.as_str()) {
            stale.push(format!("{GENERATED_DIR}/{}", file.path));
            if !check {
                std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
                std::fs::write(&path, &file.contents)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
            }
        }
    }
    for path in existing {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        if !files.iter().any(|f| f.path == name) {
            stale.push(format!("{GENERATED_DIR}/{name} (no longer generated)"));
            if !check {
                std::fs::remove_file(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            }
        }
    }
    bundle_for_mock(&root, &spec, check, &mut stale)?;
    if check {
        if stale.is_empty() {
            println!("generated code is up to date ({} files)", files.len() + 1);
            Ok(ExitCode::SUCCESS)
        } else {
            eprintln!("generated code is stale; run `cargo xtask regenerate`. Stale files:");
            for s in &stale {
                eprintln!("  {s}");
            }
            Ok(ExitCode::FAILURE)
        }
    } else {
        println!(
            "wrote {} of {} generated files",
            stale.len(),
            files.len() + 1
        );
        println!();
        print!("{}", changes::after_regenerate(&root, &spec, &ir));
        Ok(ExitCode::SUCCESS)
    }
}

/// Writes (or, with `check`, compares) the one-document JSON spec the mock embeds.
fn bundle_for_mock(
    root: &Path,
    spec: &codegen::spec::Spec,
    check: bool,
    stale: &mut Vec<String>,
) -> Result<(), String> {
    let bundle = codegen::bundle::bundle(spec).map_err(|e| format!("api-spec/{e}"))?;
    let mut text = serde_json::to_string_pretty(&bundle).map_err(|e| e.to_string())?;
    text.push('\n');
    let path = root.join(MOCK_BUNDLE);
    if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
        stale.push(MOCK_BUNDLE.to_string());
        if !check {
            std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    Ok(())
}
