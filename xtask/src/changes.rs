//! The change report: the Rust API the spec at a git revision generates against the
//! one the working tree generates (`codegen::changes`). `regenerate` ends with it
//! (against `HEAD`); `cargo xtask changes [--since REV] [--json]` prints it alone.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};

use codegen::changes::Report;
use codegen::ir::Ir;
use codegen::spec::Spec;

use crate::SPEC_ROOT;

/// The crate version the next release is counted from (the workspace's).
const VERSION: &str = env!("CARGO_PKG_VERSION");
const WORKING_TREE: &str = "working tree";

/// `cargo xtask changes [--since REV] [--json]`.
pub(crate) fn run(root: &Path, args: &[String]) -> Result<ExitCode, String> {
    let mut since = "HEAD".to_string();
    let mut as_json = false;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--json" => as_json = true,
            "--since" => {
                since = args
                    .next()
                    .ok_or("usage: cargo xtask changes [--since REV] [--json]")?
                    .clone()
            }
            other => {
                return Err(format!(
                    "unknown argument `{other}`; usage: cargo xtask changes [--since REV] [--json]"
                ));
            }
        }
    }
    let spec = Spec::load(&root.join(SPEC_ROOT)).map_err(|e| format!("api-spec/{e}"))?;
    let ir = codegen::ir::lower(&spec).map_err(|e| format!("api-spec/{e}"))?;
    let report = match between(root, &since, &spec, &ir)? {
        Before::Compared(report) => report,
        // Early revisions (the spec being written, files it lists not there yet) have
        // no API to compare with: everything is new since then.
        Before::Unreadable(why) => {
            eprintln!("note: {why}; compared with an empty API");
            let empty = Ir {
                modules: Vec::new(),
                types: Vec::new(),
                operations: Vec::new(),
                webhooks: Vec::new(),
            };
            Report::between(&empty, &ir)
        }
    };
    let text = if as_json {
        let json = report.to_json(&since, WORKING_TREE, VERSION);
        serde_json::to_string_pretty(&json).map_err(|e| e.to_string())? + "\n"
    } else {
        report.to_markdown(&since, WORKING_TREE, VERSION)
    };
    // Written, not `print!`ed: a reader that stops early (`| head`) is no error.
    use std::io::Write;
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        Err(e) => Err(format!("cannot write the report: {e}")),
    }
}

/// The report `regenerate` ends with: `HEAD` against the working tree, or one line
/// saying why there is none (no git, no `HEAD`, a spec at `HEAD` that does not load).
pub(crate) fn after_regenerate(root: &Path, spec: &Spec, ir: &Ir) -> String {
    match between(root, "HEAD", spec, ir) {
        Ok(Before::Compared(report)) => report.to_markdown("HEAD", WORKING_TREE, VERSION),
        Ok(Before::Unreadable(why)) | Err(why) => format!("No change report: {why}.\n"),
    }
}

/// The spec at a revision, compared or not.
enum Before {
    Compared(Report),
    /// It is in git but does not load or lower (why).
    Unreadable(String),
}

/// The changes from the spec at `rev` to `spec` (the working tree's, lowered to `ir`).
/// `Err`: git or the revision is not there.
fn between(root: &Path, rev: &str, spec: &Spec, ir: &Ir) -> Result<Before, String> {
    let texts = spec_files_at(root, rev)?;
    let spec_dir = root.join(SPEC_ROOT);
    let spec_dir = spec_dir.parent().unwrap_or(root);
    let root_name = Path::new(SPEC_ROOT)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("openapi.yaml");
    // A document whose text is the same at `rev` is taken from the working tree's
    // parse instead of parsing it again: most reports parse nothing.
    let mut parsed = 0;
    let before = Spec::load_with(root_name, |name| {
        let text = texts
            .get(name)
            .ok_or_else(|| codegen::Error::at(name, "", format!("not in api-spec/ at {rev}")))?;
        if let Some(value) = spec.document(name)
            && std::fs::read_to_string(spec_dir.join(name)).is_ok_and(|t| &t == text)
        {
            return Ok(value.clone());
        }
        parsed += 1;
        codegen::spec::parse_document(name, text)
    });
    let before = match before {
        Ok(before) => before,
        Err(e) => {
            return Ok(Before::Unreadable(format!(
                "the spec at {rev} does not load: api-spec/{e}"
            )));
        }
    };
    if parsed == 0 && before.file_names().eq(spec.file_names()) {
        return Ok(Before::Compared(Report::default()));
    }
    match codegen::ir::lower(&before) {
        Ok(before) => Ok(Before::Compared(Report::between(&before, ir))),
        Err(e) => Ok(Before::Unreadable(format!(
            "the spec at {rev} is not one this generator reads: api-spec/{e}"
        ))),
    }
}

/// The text of every file directly in `api-spec/` at `rev`, by file name.
fn spec_files_at(root: &Path, rev: &str) -> Result<BTreeMap<String, String>, String> {
    let spec_dir = Path::new(SPEC_ROOT)
        .parent()
        .and_then(|p| p.to_str())
        .unwrap_or("api-spec");
    let listing = git(
        root,
        &["ls-tree", "-z", "--name-only", rev, &format!("{spec_dir}/")],
        None,
    )?;
    let paths: Vec<&str> = listing
        .split('\0')
        .filter(|p| p.ends_with(".yaml") || p.ends_with(".yml"))
        .collect();
    if paths.is_empty() {
        return Err(format!("no spec files in {spec_dir}/ at {rev}"));
    }
    let request: String = paths.iter().map(|p| format!("{rev}:{p}\n")).collect();
    let batch = git(root, &["cat-file", "--batch"], Some(&request))?;
    // `<oid> blob <size>\n<contents>\n` per requested object.
    let mut files = BTreeMap::new();
    let mut rest = batch.as_str();
    for path in paths {
        let (header, after) = rest.split_once('\n').ok_or("short `git cat-file` output")?;
        let size: usize = header
            .rsplit(' ')
            .next()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("git cat-file: {header}"))?;
        let contents = after.get(..size).ok_or("short `git cat-file` output")?;
        let name = path.rsplit('/').next().unwrap_or(path);
        files.insert(name.to_string(), contents.to_string());
        rest = after.get(size + 1..).unwrap_or("");
    }
    Ok(files)
}

/// Runs git in `root`; its output, or a one-line reason it could not.
fn git(root: &Path, args: &[&str], stdin: Option<&str>) -> Result<String, String> {
    let mut child = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("git is not available ({e})"))?;
    if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
        use std::io::Write;
        // Small requests (a line per spec file): the pipe takes them without blocking.
        pipe.write_all(input.as_bytes())
            .map_err(|e| format!("git {}: {e}", args[0]))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("git {}: {e}", args[0]))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(format!(
            "git {} failed: {}",
            args.join(" "),
            err.lines().next().unwrap_or("no message")
        ));
    }
    String::from_utf8(out.stdout).map_err(|_| format!("git {}: output is not UTF-8", args[0]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A git repository in a fresh temporary folder with `api-spec/openapi.yaml`
    /// committed as `codegen/tests/fixtures/changes/<committed>.yaml`.
    fn repo(name: &str, committed: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("xtask-changes-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("api-spec")).expect("temp folder");
        put(&dir, committed);
        for args in [
            &["init", "-q"][..],
            &["add", "-A"],
            &[
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@example.com",
                "-c",
                "commit.gpgsign=false",
                "commit",
                "-qm",
                "spec",
            ],
        ] {
            git(&dir, args, None).expect("git");
        }
        dir
    }

    /// Writes fixture `<case>.yaml` as the working tree's spec.
    fn put(dir: &Path, case: &str) {
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../codegen/tests/fixtures/changes")
            .join(format!("{case}.yaml"));
        std::fs::copy(fixture, dir.join(SPEC_ROOT)).expect("fixture");
    }

    fn report_after_regenerate(dir: &Path) -> String {
        let spec = Spec::load(&dir.join(SPEC_ROOT)).expect("spec");
        let ir = codegen::ir::lower(&spec).expect("lowers");
        after_regenerate(dir, &spec, &ir)
    }

    #[test]
    fn regenerate_reports_the_working_tree_against_head() {
        let dir = repo("edited", "base");
        assert_eq!(
            report_after_regenerate(&dir),
            "No change to the Rust API (HEAD → working tree).\n"
        );
        put(&dir, "response-field-turned-optional");
        let report = report_after_regenerate(&dir);
        assert!(
            report.contains("- **breaking** `Order.total`: now optional (was required)"),
            "{report}"
        );
        let last = report.lines().last().unwrap_or_default();
        assert!(
            last.starts_with("Version: 1 breaking, 0 additive, 0 compatible: a breaking change"),
            "{report}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn without_git_history_regenerate_says_so_in_one_line() {
        let dir = std::env::temp_dir().join(format!("xtask-changes-nogit-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("api-spec")).expect("temp folder");
        put(&dir, "base");
        let report = report_after_regenerate(&dir);
        assert!(
            report.starts_with("No change report: git ls-tree"),
            "{report}"
        );
        assert_eq!(report.lines().count(), 1, "{report}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
