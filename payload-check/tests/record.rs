//! `cargo xtask record` against a FastSpring stand-in on loopback: what it asked for
//! (only GETs of reading operations, with the credentials from the environment), what it
//! wrote, and that `check-payload --summary` reads the recording as it is.

mod support;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use std::sync::{Arc, Mutex};
use support::payload_check;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path_and_query: String,
    authorization: Option<String>,
}

type Log = Arc<Mutex<Vec<Seen>>>;

const USERNAME: &str = "rec-user";
const PASSWORD: &str = "rec-secret-pw";

fn published(path: &str) -> String {
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../api-spec/examples")
        .join(path);
    std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}

/// The store: a few lists, records for some IDs, errors elsewhere.
fn answer(path_and_query: &str) -> (StatusCode, String) {
    let ok = StatusCode::OK;
    match path_and_query {
        "/accounts" => (ok, r#"{"action": "account.getall", "result": "success", "accounts": ["acc-1", "acc 2/x", "acc-3"]}"#.into()),
        "/accounts/acc-1" | "/accounts/acc%202%2Fx" => (ok, published("accounts/get-account.response.1.json")),
        "/orders?days=30" => (ok, r#"{"orders": ["o1", "o2", "o3"], "nextPage": null}"#.into()),
        "/orders/o1" => (ok, r#"{"id": "o1", "order": "o1", "currency": "USD", "total": 10.5, "brandNewField": 1}"#.into()),
        "/orders/o2" => (ok, r#"{"id": "o2", "order": "o2", "currency": "EUR", "total": {"abc": 1}}"#.into()),
        "/subscriptions" => (
            StatusCode::INTERNAL_SERVER_ERROR,
            r#"{"action": "subscription.getall", "result": "error", "error": {"subscription": "temporarily unavailable"}}"#.into(),
        ),
        "/events/processed?days=30" => (ok, published("events/list-processed-events.response.1.json")),
        "/data/v1/jobs" => (ok, "not json at all".into()),
        _ => (
            StatusCode::NOT_FOUND,
            r#"{"action": "thing.get", "result": "error", "error": {"thing": "Not found"}}"#.into(),
        ),
    }
}

async fn handle(State(log): State<Log>, headers: HeaderMap, request: Request) -> Response {
    let path_and_query = request
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    log.lock().unwrap().push(Seen {
        method: request.method().to_string(),
        path_and_query: path_and_query.clone(),
        authorization: headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
    });
    let (status, body) = answer(&path_and_query);
    (
        status,
        [("content-type", "application/json")],
        Body::from(body),
    )
        .into_response()
}

/// Serves the stand-in on a loopback port for as long as the test runs.
fn serve() -> (SocketAddr, Log) {
    let log: Log = Arc::default();
    let app = Router::new().fallback(handle).with_state(log.clone());
    (support::serve_on_loopback(app), log)
}

fn scratch(test: &str) -> PathBuf {
    support::scratch(&format!("record-{test}"))
}

#[test]
fn record_reads_lists_then_samples_saves_every_answer_and_check_payload_reads_the_folder() {
    let (addr, log) = serve();
    let dir = scratch("store");
    let dir_arg = dir.to_string_lossy().into_owned();
    let base = format!("http://{addr}");
    let out = payload_check(
        &["record", &dir_arg, "--sample", "2", "--pace-ms", "0"],
        &[
            ("FASTSPRING_API_USERNAME", USERNAME),
            ("FASTSPRING_API_PASSWORD", PASSWORD),
            // The base URL as Client::from_env reads it.
            ("FASTSPRING_API_BASE_URL", &base),
        ],
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);

    // What went over the wire: only GETs, each with the credentials from the environment.
    let seen = log.lock().unwrap().clone();
    for request in &seen {
        assert_eq!(request.method, "GET", "{request:?}");
        assert_eq!(
            request.authorization.as_deref(),
            Some("Basic cmVjLXVzZXI6cmVjLXNlY3JldC1wdw=="),
            "{request:?}"
        );
    }
    let paths: Vec<&str> = seen.iter().map(|s| s.path_and_query.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/accounts",
            "/accounts/acc-1",
            // The ID is one path segment, encoded.
            "/accounts/acc%202%2Fx",
            "/orders?days=30",
            "/orders/o1",
            "/orders/o2",
            // An error answer is saved, and names nothing to sample.
            "/subscriptions",
            "/products",
            "/products/price",
            "/coupons",
            "/quotes",
            "/data/v1/jobs",
            "/events/processed?days=30",
            "/events/unprocessed?days=30",
        ]
    );

    // What was written: each answer under its operation's name, and the manifest.
    let read = |name: &str| {
        std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    let order: serde_json::Value =
        serde_json::from_str(&read("get-order.response.1.json")).unwrap();
    assert_eq!(order["brandNewField"], 1);
    assert!(read("list-subscriptions.response.error.1.json").contains("temporarily unavailable"));
    assert_eq!(read("list-jobs.response.1.txt"), "not json at all");
    let event: serde_json::Value = serde_json::from_str(&read("order.completed.1.json")).unwrap();
    assert_eq!(event["type"], "order.completed");
    let manifest: serde_json::Value = serde_json::from_str(&read("manifest.json")).unwrap();
    let files = manifest["files"].as_array().unwrap();
    let entry = files
        .iter()
        .find(|f| f["file"] == "get-order.response.2.json")
        .expect("get-order.response.2.json listed");
    assert_eq!(entry["operation"], "getOrder");
    assert_eq!(entry["endpoint"], "GET /orders/{id}");
    assert_eq!(entry["status"], 200);
    assert_eq!(entry["request"], "/orders/o2");
    let error = files
        .iter()
        .find(|f| f["file"] == "list-subscriptions.response.error.1.json")
        .unwrap();
    assert_eq!(error["status"], 500);
    assert!(files.iter().any(|f| f["webhook"] == "payoutEntry.created"));
    // 14 answers and the 3 stored events.
    assert_eq!(files.len(), 17, "{manifest:#}");
    // The password is nowhere in what was written.
    for entry in std::fs::read_dir(&dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        assert!(!text.contains(PASSWORD));
        assert!(!text.contains("cmVjLXVzZXI6"));
    }

    // The recording feeds check-payload as it is.
    let check = payload_check(&["--summary", &dir_arg], &[]);
    assert_eq!(check.code, 1, "{}{}", check.stdout, check.stderr);
    let line = |name: &str| {
        check
            .stdout
            .lines()
            .find(|l| l.starts_with(&format!("{dir_arg}/{name}: ")))
            .unwrap_or_else(|| panic!("no line for {name}:\n{}", check.stdout))
            .to_string()
    };
    assert_eq!(
        line("get-order.response.1.json"),
        format!("{dir_arg}/get-order.response.1.json: drift /brandNewField")
    );
    assert!(line("get-order.response.2.json").contains(": fail /total: "));
    assert!(line("get-account.response.1.json").ends_with(": ok"));
    assert!(
        line("order.completed.1.json").ends_with(": ok"),
        "{}",
        check.stdout
    );
    let summary: Vec<&str> = check
        .stdout
        .split("\nsummary: ")
        .nth(1)
        .expect("a summary")
        .lines()
        .collect();
    let orders = summary
        .iter()
        .find(|l| l.starts_with("GET /orders/{order_id} "))
        .expect("a row for getOrder");
    assert_eq!(
        orders.split_whitespace().rev().take(3).collect::<Vec<_>>(),
        ["1", "1", "0"],
        "{orders}"
    );
    assert!(
        summary
            .iter()
            .any(|l| l.trim() == "1  GET /orders/{order_id}: /brandNewField"),
        "{}",
        summary.join("\n")
    );
}

#[test]
fn record_without_credentials_sends_nothing_and_names_the_variable() {
    let (addr, log) = serve();
    let dir = scratch("no-credentials");
    let out = payload_check(
        &[
            "record",
            &dir.to_string_lossy(),
            "--base-url",
            &format!("http://{addr}"),
        ],
        &[("FASTSPRING_API_USERNAME", USERNAME)],
    );
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("FASTSPRING_API_PASSWORD is not set"),
        "{}",
        out.stderr
    );
    assert!(log.lock().unwrap().is_empty());
}

#[test]
fn refused_credentials_stop_the_recording_at_the_first_answer() {
    let log: Log = Arc::default();
    let counter = log.clone();
    let app = Router::new().fallback(move |request: Request| {
        let counter = counter.clone();
        async move {
            counter.lock().unwrap().push(Seen {
                method: request.method().to_string(),
                path_and_query: request.uri().to_string(),
                authorization: None,
            });
            StatusCode::UNAUTHORIZED
        }
    });
    let addr = support::serve_on_loopback(app);
    let dir = scratch("refused");
    let out = payload_check(
        &[
            "record",
            &dir.to_string_lossy(),
            "--base-url",
            &format!("http://{addr}"),
            "--pace-ms",
            "0",
        ],
        &[
            ("FASTSPRING_API_USERNAME", USERNAME),
            ("FASTSPRING_API_PASSWORD", PASSWORD),
        ],
    );
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("HTTP 401"), "{}", out.stderr);
    assert!(!out.stderr.contains(PASSWORD));
    assert_eq!(log.lock().unwrap().len(), 1);
}
