//! `record` and `check-payload` under hostile input (security review 2, S6–S9, S12): a
//! server that lists dot IDs, a base URL that would send credentials in clear text, the
//! privacy of a recording, and folders holding FIFOs, devices, symbolic links, huge
//! files and keys with terminal escape sequences.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use support::{Run, payload_check};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;

type Log = Arc<Mutex<Vec<String>>>;
type Json = [(&'static str, &'static str); 1];
const JSON: Json = [("content-type", "application/json")];

/// A store on loopback: `/accounts` lists dot IDs, `/data/v1/jobs` a `..` job; every
/// request's path is logged; everything else is a 404.
fn dotted_store() -> (String, Log) {
    async fn handle(State(log): State<Log>, request: Request) -> (StatusCode, Json, String) {
        let path = request
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_default();
        log.lock().unwrap().push(path.clone());
        let body = match path.as_str() {
            "/accounts" => r#"{"accounts": ["..", ".", "", "%2e%2e", "ok-id"]}"#,
            "/data/v1/jobs" => r#"[{"id": ".."}, {"id": ""}]"#,
            _ => return (StatusCode::NOT_FOUND, JSON, "{}".into()),
        };
        (StatusCode::OK, JSON, body.into())
    }
    let log: Log = Arc::default();
    let app = Router::new().fallback(handle).with_state(log.clone());
    let base = format!("http://{}", support::serve_on_loopback(app));
    (base, log)
}

fn scratch(test: &str) -> PathBuf {
    support::scratch(&format!("hostile-{test}"))
}

/// `record DIR --base-url BASE --pace-ms 0 EXTRA...` with test credentials.
fn record(dir: &Path, base: &str, extra: &[&str]) -> Run {
    let mut args = vec!["record", dir.to_str().unwrap(), "--base-url", base];
    args.extend(["--pace-ms", "0"]);
    args.extend(extra);
    payload_check(&args, &CREDENTIALS)
}

const CREDENTIALS: [(&str, &str); 2] = [
    ("FASTSPRING_API_USERNAME", "u"),
    ("FASTSPRING_API_PASSWORD", "p"),
];

// ---- S6 ----

#[test]
fn record_never_puts_dot_or_empty_ids_into_a_path_and_says_so() {
    let (base, log) = dotted_store();
    let dir = scratch("dots");
    let run = record(&dir, &base, &["--sample", "10"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let seen = log.lock().unwrap().clone();
    for endpoint in ["/", "/accounts/", "/data/v1/", "/accounts/."] {
        assert!(
            !seen.iter().any(|p| p == endpoint),
            "{endpoint} in {seen:?}"
        );
    }
    // The encoded form of a literal `%2e%2e` is data, and an ordinary ID is read.
    assert!(seen.iter().any(|p| p == "/accounts/%252e%252e"), "{seen:?}");
    assert!(seen.iter().any(|p| p == "/accounts/ok-id"), "{seen:?}");
    assert!(
        run.stdout.contains(r#"skipped ID ".." of /accounts"#),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(r#"skipped ID ".." of /data/v1/jobs"#),
        "{}",
        run.stdout
    );
}

// ---- S7 ----

#[test]
fn record_refuses_plain_http_to_another_host_and_credentials_in_the_url() {
    let dir = scratch("insecure");
    // 192.0.2.1 is TEST-NET-1: nothing answers there, so the old code's attempt shows
    // as a transport error instead of a refusal.
    let run = record(&dir, "http://192.0.2.1:9", &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("not loopback"), "{}", run.stderr);
    assert!(!run.stderr.contains("sending request"), "{}", run.stderr);

    let (base, log) = dotted_store();
    let with_userinfo = base.replace("http://", "http://someone:url-secret@");
    let run = record(&dir, &with_userinfo, &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("credentials"), "{}", run.stderr);
    assert!(!run.stderr.contains("url-secret"), "{}", run.stderr);
    assert!(log.lock().unwrap().is_empty(), "nothing is sent");
    assert!(!dir.join("manifest.json").exists());
}

// ---- S8 ----

#[cfg(unix)]
#[test]
fn a_recording_is_readable_by_its_owner_only_and_ignored_by_git() {
    use std::os::unix::fs::PermissionsExt;
    let (base, _) = dotted_store();
    let dir = scratch("private");
    let run = record(&dir, &base, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    let mut files = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        assert_eq!(mode(&path), 0o600, "{}", path.display());
        files += 1;
    }
    assert!(files > 3, "{files}");
    let ignore = std::fs::read_to_string(dir.join(".gitignore")).unwrap();
    assert!(ignore.lines().any(|l| l == "*"), "{ignore}");
    // The README's example folder is ignored by the repository too.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let repo_ignore = std::fs::read_to_string(root.join(".gitignore")).unwrap();
    assert!(
        repo_ignore.lines().any(|l| l == "/recorded/"),
        "{repo_ignore}"
    );
}

// ---- S9, S12 ----

fn order_json() -> &'static str {
    r#"{"id": "o1", "order": "o1", "currency": "USD"}"#
}

#[cfg(unix)]
#[test]
fn check_payload_skips_fifos_devices_links_outside_and_huge_files_without_hanging() {
    let root = scratch("folder");
    let dir = root.join("d");
    let outside = root.join("outside");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(dir.join("get-order.response.1.json"), order_json()).unwrap();
    std::fs::write(outside.join("get-order.response.9.json"), order_json()).unwrap();
    let fifo = Command::new("mkfifo")
        .arg(dir.join("get-order.response.2.json"))
        .status()
        .unwrap();
    assert!(fifo.success());
    std::os::unix::fs::symlink("/dev/zero", dir.join("get-order.response.3.json")).unwrap();
    std::os::unix::fs::symlink(&outside, dir.join("link")).unwrap();
    std::os::unix::fs::symlink(
        outside.join("get-order.response.9.json"),
        dir.join("get-order.response.4.json"),
    )
    .unwrap();
    // Sparse: 65 MiB announced, nothing written.
    std::fs::File::create(dir.join("get-order.response.5.json"))
        .unwrap()
        .set_len(65 << 20)
        .unwrap();
    let run = payload_check(&[dir.to_str().unwrap()], &[]);
    assert_ne!(run.code, -1, "check-payload hung: {}", run.stdout);
    let line = |n: u32| {
        run.stdout
            .lines()
            .find(|l| l.contains(&format!("get-order.response.{n}.json")))
            .unwrap_or_else(|| panic!("no line for {n}: {}", run.stdout))
            .to_string()
    };
    assert!(line(1).ends_with(": ok"), "{}", line(1));
    assert!(line(2).contains("not a regular file"), "{}", line(2));
    assert!(line(3).contains("outside the folder"), "{}", line(3));
    assert!(line(4).contains("outside the folder"), "{}", line(4));
    assert!(line(5).contains("64 MiB"), "{}", line(5));
    assert!(!run.stdout.contains("response.9"), "{}", run.stdout);
}

#[test]
fn json_keys_and_file_names_are_printed_with_control_characters_escaped() {
    let dir = scratch("escapes");
    std::fs::create_dir_all(&dir).unwrap();
    let hostile = r#"{"id": "o1", "order": "o1", "\u001b]0;owned\u0007\u001b[2J\u001b[31mRED": 1}"#;
    std::fs::write(dir.join("get-order.response.1.json"), hostile).unwrap();
    std::fs::write(dir.join("get-order.response.\u{1b}[2J.json"), order_json()).unwrap();
    let run = payload_check(&["--summary", dir.to_str().unwrap()], &[]);
    assert!(!run.stdout.contains('\u{1b}'), "{:?}", run.stdout);
    assert!(!run.stdout.contains('\u{7}'), "{:?}", run.stdout);
    assert!(
        run.stdout.contains(r"\u{1b}]0;owned\u{7}"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(r"response.\u{1b}[2J.json"),
        "{}",
        run.stdout
    );
}
