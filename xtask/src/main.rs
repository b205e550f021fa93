//! Maintainer commands: `cargo xtask regenerate [--check]`, `cargo xtask docs`,
//! `cargo xtask check-payload …`, `cargo xtask record DIR`.

mod docs;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

const GENERATED_DIR: &str = "fastspring-api/src/generated";
pub(crate) const SPEC_ROOT: &str = "api-spec/openapi.yaml";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("regenerate") => regenerate(&args[1..]),
        Some("check-payload") => payload_check(&args[1..]),
        Some("record") => payload_check(&args),
        Some("docs") => docs::run(&workspace_root(), &args[1..]).map(|()| ExitCode::SUCCESS),
        _ => {
            eprintln!(
                "usage:\n  cargo xtask regenerate [--check]\n  cargo xtask docs [--out DIR] [--no-lint] [--bundle-only]\n  cargo xtask check-payload --endpoint \"METHOD /path\" (--request|--response) FILE...\n  cargo xtask check-payload --webhook EVENT_TYPE FILE...\n  cargo xtask check-payload [--summary] DIR...\n  cargo xtask record DIR [--base-url URL] [--sample N]"
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
    let files = codegen::generate(&root.join(SPEC_ROOT)).map_err(|e| format!("api-spec/{e}"))?;
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
    if check {
        if stale.is_empty() {
            println!("generated code is up to date ({} files)", files.len());
            Ok(ExitCode::SUCCESS)
        } else {
            eprintln!("generated code is stale; run `cargo xtask regenerate`. Stale files:");
            for s in &stale {
                eprintln!("  {s}");
            }
            Ok(ExitCode::FAILURE)
        }
    } else {
        println!("wrote {} of {} generated files", stale.len(), files.len());
        Ok(ExitCode::SUCCESS)
    }
}
