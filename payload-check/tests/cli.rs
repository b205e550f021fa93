//! The `check-payload` interface as scripts use it: arguments, one line per file, exit
//! codes. Runs the built binary on payload files written to a scratch directory.

use std::path::{Path, PathBuf};
use std::process::Command;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(dir: &Path, args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_payload-check"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("payload-check runs");
    Run {
        code: output.status.code().expect("exited normally"),
        stdout: String::from_utf8(output.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("utf-8 stderr"),
    }
}

/// A scratch directory holding the given files.
fn scratch(test: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("payload-check-{test}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    for (name, text) in files {
        std::fs::write(dir.join(name), text).expect("write payload");
    }
    dir
}

fn lines(stdout: &str) -> Vec<&str> {
    stdout.lines().collect()
}

#[test]
fn responses_print_ok_drift_or_fail_per_file_and_exit_1_on_any_failure() {
    let dir = scratch(
        "responses",
        &[
            (
                "ok.json",
                r#"{"id": "o1", "order": "o1", "currency": "USD", "total": 10.5,
                    "items": [{"product": "p", "quantity": 1}]}"#,
            ),
            // An unknown field, and an unknown field whose value is null.
            (
                "drift.json",
                r#"{"id": "o1", "brandNew": "x", "items": [{"product": "p", "summary": null}]}"#,
            ),
            // The wrapper form (several IDs): the pointer goes through both unions.
            // A structural mismatch fails (an unreadable scalar is kept and reported as drift).
            (
                "fail.json",
                r#"{"orders": [{"id": "o1", "total": {"abc": 1}}]}"#,
            ),
        ],
    );
    // Parameter names and method case do not matter: the path shape does.
    let out = run(
        &dir,
        &[
            "--endpoint",
            "get /orders/{anything}",
            "--response",
            "ok.json",
            "drift.json",
            "fail.json",
        ],
    );
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let lines = lines(&out.stdout);
    assert_eq!(lines.len(), 3, "{}", out.stdout);
    assert_eq!(lines[0], "ok.json: ok");
    assert_eq!(lines[1], "drift.json: drift /brandNew /items/0/summary");
    assert!(
        lines[2].starts_with("fail.json: fail /orders/0/total: "),
        "{}",
        lines[2]
    );
}

#[test]
fn a_documented_error_body_is_a_valid_response() {
    let dir = scratch(
        "error-body",
        &[
            (
                "refused.json",
                r#"{"message": "required", "params": ["account not found"]}"#,
            ),
            (
                "outcomes.json",
                r#"{"orders": [{"action": "order.update", "order": "[0]", "result": "error",
                     "error": {"order": "Not found"}}]}"#,
            ),
        ],
    );
    let out = run(
        &dir,
        &[
            "--endpoint",
            "POST /orders",
            "--response",
            "refused.json",
            "outcomes.json",
        ],
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(
        lines(&out.stdout),
        ["refused.json: ok", "outcomes.json: ok"]
    );
}

#[test]
fn requests_are_checked_strictly_and_unreadable_files_fail() {
    let dir = scratch(
        "requests",
        &[
            (
                "ok.json",
                r#"{"subscriptions": [{"subscription": "s1", "quantity": 2}]}"#,
            ),
            ("missing-id.json", r#"{"subscriptions": [{"quantity": 2}]}"#),
            ("broken.json", "{not json"),
        ],
    );
    let out = run(
        &dir,
        &[
            "--endpoint",
            "POST /subscriptions",
            "--request",
            "ok.json",
            "missing-id.json",
            "broken.json",
            "absent.json",
        ],
    );
    assert_eq!(out.code, 1);
    let lines = lines(&out.stdout);
    assert_eq!(lines.len(), 4, "{}", out.stdout);
    assert_eq!(lines[0], "ok.json: ok");
    assert!(
        lines[1]
            .starts_with("missing-id.json: fail /subscriptions/0: missing field `subscription`"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].starts_with("broken.json: fail /: not JSON"),
        "{}",
        lines[2]
    );
    assert!(
        lines[3].starts_with("absent.json: fail /: cannot read"),
        "{}",
        lines[3]
    );
}

#[test]
fn webhooks_accept_an_envelope_one_event_or_only_data() {
    let order = r#"{"id": "o1", "order": "o1", "reference": "R1", "live": false}"#;
    let event = format!(
        r#"{{"id": "e1", "type": "order.completed", "live": false, "processed": false,
            "created": 1426560444800, "data": {order}}}"#
    );
    // A real delivery mixes types: each event is checked against its own type, and an
    // undocumented type is drift.
    let envelope = format!(
        r#"{{"events": [{event},
            {{"id": "e2", "type": "account.created", "data": {{"id": "a1", "account": "a1", "extra": null}}}},
            {{"id": "e3", "type": "brand.new.event", "data": {{}}}}]}}"#
    );
    let dir = scratch(
        "webhooks",
        &[
            ("data.json", order),
            ("event.json", &event),
            ("envelope.json", &envelope),
            (
                "other-type.json",
                r#"{"id": "e2", "type": "account.created", "data": {"id": "a1", "account": "a1"}}"#,
            ),
        ],
    );
    let out = run(
        &dir,
        &[
            "--webhook",
            "order.completed",
            "data.json",
            "event.json",
            "envelope.json",
        ],
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(
        lines(&out.stdout),
        [
            "data.json: ok",
            "event.json: ok",
            "envelope.json: drift /events/1/data/extra /events/2",
        ]
    );

    let out = run(&dir, &["--webhook", "order.completed", "other-type.json"]);
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stdout.trim_end(),
        "other-type.json: fail /type: no event of type `order.completed`"
    );
}

#[test]
fn bad_usage_exits_2_with_a_message_on_stderr() {
    let dir = scratch("usage", &[("x.json", "{}")]);
    for (args, says) in [
        (
            &["--webhook", "no.such.event", "x.json"][..],
            "no.such.event",
        ),
        (
            &["--endpoint", "GET /no/such/path", "--response", "x.json"][..],
            "GET /no/such/path",
        ),
        (
            &["--endpoint", "GET /orders/{id}", "--response"][..],
            "no FILE",
        ),
        (&["--frobnicate"][..], "usage:"),
    ] {
        let out = run(&dir, args);
        assert_eq!(out.code, 2, "{args:?}: {}", out.stdout);
        assert!(out.stdout.is_empty(), "{args:?}: {}", out.stdout);
        assert!(out.stderr.contains(says), "{args:?}: {}", out.stderr);
    }
}

#[test]
fn a_directory_is_checked_file_by_file_from_its_manifest_names_and_content_with_a_summary() {
    let dir = scratch(
        "directory",
        &[
            // Named as in api-spec/examples: operation, part, number.
            (
                "get-order.response.1.json",
                r#"{"id": "o1", "order": "o1", "items": [{"product": "p", "fresh": 1}, {"product": "q", "fresh": 2}]}"#,
            ),
            (
                "get-order.response.2.json",
                r#"{"id": "o2", "order": "o2", "brandNew": true, "items": [{"product": "p", "fresh": 3}]}"#,
            ),
            (
                "update-order-tags.request.1.json",
                r#"{"orders": [{"order": "o1", "tags": {"k": "v"}}]}"#,
            ),
            // Named by event type: only the event's data.
            (
                "order.completed.7.json",
                r#"{"id": "o1", "order": "o1", "total": ["abc"]}"#,
            ),
            // A webhook POST body with two event types: told by its content.
            (
                "delivery-0001.json",
                r#"{"events": [
                    {"id": "e1", "type": "order.completed", "live": false, "processed": false, "created": 1,
                     "data": {"id": "o1", "order": "o1", "fresh": 1}},
                    {"id": "e2", "type": "no.such.event", "live": false, "processed": false, "created": 1, "data": {}}
                ]}"#,
            ),
            // Listed in the manifest under a name that says nothing.
            (
                "capture-17.json",
                r#"{"accounts": ["a1", "a2"], "nextPage": null}"#,
            ),
            ("mystery.json", r#"{"what": "is this"}"#),
            (
                "manifest.json",
                r#"{"files": [{"file": "capture-17.json", "endpoint": "GET /accounts", "part": "response"}]}"#,
            ),
        ],
    );
    let out = run(&dir, &["--summary", "."]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let lines = lines(&out.stdout);
    assert!(
        lines[5].starts_with("./order.completed.7.json: fail /total: "),
        "{}",
        lines[5]
    );
    assert_eq!(
        [&lines[..5], &lines[6..7]].concat(),
        [
            "./capture-17.json: ok",
            "./delivery-0001.json: drift /events/0/data/fresh /events/1",
            "./get-order.response.1.json: drift /items/0/fresh /items/1/fresh",
            "./get-order.response.2.json: drift /brandNew /items/0/fresh",
            "./mystery.json: skip: cannot tell which endpoint or event this is: name it `<operation>.<request|response>.N.json` or `<event.type>.N.json`, or list it in manifest.json",
            "./update-order-tags.request.1.json: ok",
        ],
        "{}",
        out.stdout
    );
    let summary = out.stdout.split("\nsummary: ").nth(1).expect("a summary");
    let summary: Vec<&str> = summary.lines().map(str::trim_end).collect();
    assert_eq!(
        summary[0],
        "7 files (1 not checked), 7 payloads: 2 ok, 4 drift, 1 fail"
    );
    let row = |name: &str| {
        summary
            .iter()
            .find(|l| l.starts_with(name) && l[name.len()..].starts_with("  "))
            .map(|l| l.split_whitespace().rev().take(3).collect::<Vec<_>>())
            .unwrap_or_else(|| panic!("no row {name}:\n{}", summary.join("\n")))
    };
    // ok, drift, fail (read right to left)
    assert_eq!(row("GET /accounts"), ["0", "0", "1"]);
    assert_eq!(row("GET /orders/{order_id}"), ["0", "2", "0"]);
    assert_eq!(row("POST /orders (request)"), ["0", "0", "1"]);
    assert_eq!(row("webhook order.completed"), ["1", "1", "0"]);
    assert_eq!(row("webhook no.such.event"), ["0", "1", "0"]);
    let common = summary
        .iter()
        .position(|l| l.starts_with("most common unknown fields"))
        .expect("the unknown fields");
    // Array items count once per payload; the most common first.
    assert_eq!(
        summary[common + 1].trim(),
        "2  GET /orders/{order_id}: /items/*/fresh"
    );
    assert!(
        summary[common + 2..]
            .iter()
            .any(|l| l.trim() == "1  webhook order.completed: /data/fresh"),
        "{}",
        summary.join("\n")
    );
}

#[test]
fn an_explicit_endpoint_applies_to_every_file_of_a_directory() {
    let dir = scratch(
        "explicit-directory",
        &[
            ("a.json", r#"{"id": "o1", "order": "o1"}"#),
            ("b.json", r#"{"id": "o2", "order": "o2", "extra": 1}"#),
        ],
    );
    let out = run(&dir, &["--endpoint", "GET /orders/{id}", "--response", "."]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(
        lines(&out.stdout),
        ["./a.json: ok", "./b.json: drift /extra"]
    );
}

/// The published payloads follow the naming `check-payload` reads: the whole folder is a
/// valid input, every file is told apart by its name, and each is checked.
#[test]
fn the_published_examples_folder_is_read_by_name_without_a_manifest() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../api-spec/examples");
    let out = run(&examples, &["--summary", "."]);
    assert!(out.code <= 1, "{}{}", out.stdout, out.stderr);
    let skipped: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.contains(": skip: "))
        .collect();
    assert!(
        skipped.is_empty(),
        "files check-payload cannot place:\n{}",
        skipped.join("\n")
    );
    let summary = out.stdout.split("\nsummary: ").nth(1).expect("a summary");
    assert!(
        summary.starts_with(&format!(
            "{} files (0 not checked)",
            out.stdout.lines().take_while(|l| !l.is_empty()).count()
        )),
        "{summary}"
    );
    assert!(out.stdout.lines().count() > 60, "{}", out.stdout);
}
