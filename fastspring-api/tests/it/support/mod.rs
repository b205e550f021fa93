//! Test support shared by the loopback wire tests: [`Loopback`], a recording HTTP server
//! with scripted replies (not `fastspring_mock::MockServer`, the stateful mock), a client
//! pointed at it, a fake clock and a recording sleeper, spec examples and JSON helpers.
//!
//! Nothing here talks to the internet: the server listens on `127.0.0.1:0` and the
//! client is built with `.no_proxy()`.

// Each test module uses a different part of this module.
#![allow(dead_code)]

use std::collections::{BTreeMap, VecDeque};
use std::future::Future;
use std::io::Write;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use base64::Engine;
use fastspring_api::policy::{Clock, Sleeper};
use fastspring_api::{Amount, Client, ClientBuilder, Error, ErrorBody};
use serde_json::Value;

/// API username of every test client.
pub const USER: &str = "wire-user";
/// API password of every test client; distinctive so that a leak is easy to spot.
pub const PASSWORD: &str = "pw-9c1f-Zq7!s3cr3t";
/// Application token every test client adds to its `User-Agent`.
pub const APP: &str = "wire-tests/1.0";

/// The `Authorization` header a test client must send.
pub fn basic_auth() -> String {
    format!("Basic {}", basic_token())
}

/// The base64 token of the Basic credentials (the part that must never leak).
pub fn basic_token() -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"))
}

// ---------------------------------------------------------------------------------------
// Mock server
// ---------------------------------------------------------------------------------------

/// One scripted answer of the loopback server.
#[derive(Debug, Clone)]
pub struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    hang: bool,
}

impl Reply {
    /// An empty answer with this status.
    pub fn status(status: u16) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            hang: false,
        }
    }

    /// A JSON answer.
    pub fn json(status: u16, body: &Value) -> Reply {
        Reply::status(status)
            .header("content-type", "application/json")
            .body(serde_json::to_vec(body).expect("JSON encodes"))
    }

    /// A 200 JSON answer.
    pub fn ok(body: &Value) -> Reply {
        Reply::json(200, body)
    }

    /// An answer that never comes: the server holds the request open until the client
    /// gives up (for timeout tests; nothing sleeps).
    pub fn hang() -> Reply {
        Reply {
            hang: true,
            ..Reply::status(200)
        }
    }

    /// Adds a response header.
    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// Sets the raw body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Reply {
        self.body = body.into();
        self
    }
}

/// A request as the server received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// HTTP method.
    pub method: String,
    /// Path exactly as received, still percent-encoded.
    pub path: String,
    /// Query string exactly as received (without `?`), if there was one.
    pub raw_query: Option<String>,
    /// Query pairs, decoded, in order.
    pub query: Vec<(String, String)>,
    /// Headers (lower-case names), in order.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl Recorded {
    /// The value of header `name` (case-insensitive); panics if it was sent twice.
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        let mut values = self.headers.iter().filter(|(k, _)| *k == name);
        let first = values.next().map(|(_, v)| v.as_str());
        assert!(values.next().is_none(), "header {name} sent more than once");
        first
    }

    /// The body as JSON (panics if it is not).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "request body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// The query pairs as `(&str, &str)`, for comparing with literals.
    pub fn query_pairs(&self) -> Vec<(&str, &str)> {
        self.query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }

    /// Asserts what every request of a test client carries: Basic auth with the test
    /// credentials, a `User-Agent` with the crate's token first and the app token, and
    /// `Content-Type: application/json` exactly when there is a body.
    pub fn assert_client_headers(&self) {
        assert_eq!(
            self.header("authorization"),
            Some(basic_auth().as_str()),
            "Authorization of {} {}",
            self.method,
            self.path
        );
        let agent = self.header("user-agent").expect("User-Agent sent");
        assert!(
            agent.starts_with("fastspring-api-rust/"),
            "User-Agent {agent:?} must start with the crate token"
        );
        assert!(
            agent.contains(APP),
            "User-Agent {agent:?} must contain {APP}"
        );
        if self.body.is_empty() {
            assert_eq!(
                self.header("content-type"),
                None,
                "no Content-Type without a body ({} {})",
                self.method,
                self.path
            );
        } else {
            assert_eq!(
                self.header("content-type"),
                Some("application/json"),
                "Content-Type of {} {}",
                self.method,
                self.path
            );
        }
    }
}

struct ServerState {
    requests: Mutex<Vec<Recorded>>,
    script: Mutex<VecDeque<Reply>>,
}

/// An HTTP server on `127.0.0.1:0` that records every request and answers with the
/// scripted replies in order. When the script runs out it answers `418` with a message
/// saying so (a status the client never retries), so a test that sends more requests
/// than it scripted fails visibly.
pub struct Loopback {
    url: String,
    state: Arc<ServerState>,
    task: tokio::task::JoinHandle<()>,
}

impl Loopback {
    /// Starts a server that will answer with `replies`, in order.
    pub async fn start(replies: impl IntoIterator<Item = Reply>) -> Loopback {
        let state = Arc::new(ServerState {
            requests: Mutex::new(Vec::new()),
            script: Mutex::new(replies.into_iter().collect()),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local address");
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(state.clone());
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .await
                .expect("loopback server runs");
        });
        Loopback {
            url: format!("http://{addr}"),
            state,
            task,
        }
    }

    /// Base URL (`http://127.0.0.1:PORT`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Appends replies to the script.
    pub fn push(&self, reply: Reply) {
        self.state.script.lock().unwrap().push_back(reply);
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.state.requests.lock().unwrap().clone()
    }

    /// The one request received; panics if there were none or several.
    pub fn only_request(&self) -> Recorded {
        let requests = self.requests();
        assert_eq!(
            requests.len(),
            1,
            "expected exactly one request, got {:#?}",
            requests
                .iter()
                .map(|r| format!("{} {}", r.method, r.path))
                .collect::<Vec<_>>()
        );
        requests.into_iter().next().unwrap()
    }

    /// Replies not used yet.
    pub fn unused_replies(&self) -> usize {
        self.state.script.lock().unwrap().len()
    }
}

impl Drop for Loopback {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn handle(State(state): State<Arc<ServerState>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .map(|b| b.to_vec())
        .unwrap_or_default();
    let raw_query = parts.uri.query().map(str::to_string);
    let recorded = Recorded {
        method: parts.method.as_str().to_string(),
        path: parts.uri.path().to_string(),
        query: raw_query.as_deref().map(parse_query).unwrap_or_default(),
        raw_query,
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body,
    };
    state.requests.lock().unwrap().push(recorded);
    let reply = state.script.lock().unwrap().pop_front();
    let Some(reply) = reply else {
        return response(
            Reply::status(418).body("loopback server: no scripted reply left for this request"),
        );
    };
    if reply.hang {
        // Never answers; the client's timeout ends the exchange and hyper drops this future.
        std::future::pending::<()>().await;
    }
    response(reply)
}

fn response(reply: Reply) -> Response {
    let mut response = Response::new(Body::from(reply.body));
    *response.status_mut() = StatusCode::from_u16(reply.status).expect("valid status");
    for (name, value) in reply.headers {
        response.headers_mut().append(
            HeaderName::from_bytes(name.as_bytes()).expect("header name"),
            HeaderValue::from_str(&value).expect("header value"),
        );
    }
    response
}

/// Decodes an `application/x-www-form-urlencoded` query (what reqwest sends).
pub fn parse_query(query: &str) -> Vec<(String, String)> {
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(&s.replace('+', " "))
            .decode_utf8()
            .expect("query is UTF-8")
            .into_owned()
    };
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(pair), String::new()),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Injected time
// ---------------------------------------------------------------------------------------

/// A clock that only moves when told to (or when the [`RecordingSleeper`] "sleeps").
#[derive(Debug)]
pub struct FakeClock {
    start: Instant,
    elapsed: Mutex<Duration>,
}

impl FakeClock {
    /// A clock standing still at an arbitrary instant.
    pub fn new() -> Arc<FakeClock> {
        Arc::new(FakeClock {
            start: Instant::now(),
            elapsed: Mutex::new(Duration::ZERO),
        })
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        *self.elapsed.lock().unwrap() += by;
    }

    /// Time elapsed since the clock was created.
    pub fn elapsed(&self) -> Duration {
        *self.elapsed.lock().unwrap()
    }
}

impl Clock for FakeClock {
    fn now(&self) -> Instant {
        self.start + *self.elapsed.lock().unwrap()
    }
}

/// A sleeper that records each requested wait, advances the fake clock by it, and
/// returns at once.
#[derive(Debug)]
pub struct RecordingSleeper {
    slept: Mutex<Vec<Duration>>,
    clock: Arc<FakeClock>,
}

impl RecordingSleeper {
    /// A sleeper that moves `clock`.
    pub fn new(clock: Arc<FakeClock>) -> Arc<RecordingSleeper> {
        Arc::new(RecordingSleeper {
            slept: Mutex::new(Vec::new()),
            clock,
        })
    }

    /// Every wait asked for so far, in order.
    pub fn slept(&self) -> Vec<Duration> {
        self.slept.lock().unwrap().clone()
    }
}

impl Sleeper for RecordingSleeper {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        self.slept.lock().unwrap().push(duration);
        self.clock.advance(duration);
        Box::pin(std::future::ready(()))
    }
}

// ---------------------------------------------------------------------------------------
// Test clients
// ---------------------------------------------------------------------------------------

/// A client pointed at a [`Loopback`], with the fake time it runs on.
pub struct TestClient {
    /// The client.
    pub client: Client,
    /// Records every wait (retries, rate limit).
    pub sleeper: Arc<RecordingSleeper>,
    /// The clock the client reads.
    pub clock: Arc<FakeClock>,
}

/// The builder every test starts from: test credentials and app token, the server's
/// URL, no proxy, no client-side rate limit, fake clock and recording sleeper.
pub fn test_builder(server: &Loopback) -> (ClientBuilder, Arc<RecordingSleeper>, Arc<FakeClock>) {
    let clock = FakeClock::new();
    let sleeper = RecordingSleeper::new(clock.clone());
    let builder = Client::builder()
        .credentials(USER, PASSWORD)
        .user_agent(APP)
        .base_url(server.url())
        .no_proxy()
        .rate_limit(None)
        .clock(clock.clone())
        .sleeper(sleeper.clone());
    (builder, sleeper, clock)
}

/// A test client with the defaults of [`test_builder`].
pub fn test_client(server: &Loopback) -> TestClient {
    test_client_with(server, |b| b)
}

/// A test client with the defaults of [`test_builder`], adjusted by `adjust`.
pub fn test_client_with(
    server: &Loopback,
    adjust: impl FnOnce(ClientBuilder) -> ClientBuilder,
) -> TestClient {
    let (builder, sleeper, clock) = test_builder(server);
    TestClient {
        client: adjust(builder).build().expect("test client builds"),
        sleeper,
        clock,
    }
}

// ---------------------------------------------------------------------------------------
// Spec examples and JSON
// ---------------------------------------------------------------------------------------

fn examples() -> &'static [codegen::examples::Example] {
    static EXAMPLES: OnceLock<Vec<codegen::examples::Example>> = OnceLock::new();
    EXAMPLES.get_or_init(|| {
        let root =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../api-spec/openapi.yaml");
        let spec = codegen::spec::Spec::load(&root).expect("the spec loads");
        codegen::examples::collect(&spec).expect("the spec's examples are collected")
    })
}

fn find_example(operation_id: &str, part: codegen::examples::Part, name: &str) -> Value {
    examples()
        .iter()
        .find(|e| e.operation_id == operation_id && e.part == part && e.name == name)
        .unwrap_or_else(|| panic!("no {part:?} example {name:?} for {operation_id} in the spec"))
        .value
        .clone()
}

/// The spec's response example `name` of `operation_id` for HTTP `status`.
pub fn response_example(operation_id: &str, status: u16, name: &str) -> Value {
    find_example(
        operation_id,
        codegen::examples::Part::Response(status),
        name,
    )
}

/// The spec's request-body example `name` of `operation_id`.
pub fn request_example(operation_id: &str, name: &str) -> Value {
    find_example(operation_id, codegen::examples::Part::Request, name)
}

/// JSON with every number in one canonical form (`5` and `5.0` are the same JSON value
/// to FastSpring; serde_json keeps them apart).
pub fn canonical(value: &Value) -> Value {
    match value {
        Value::Number(n) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Value::from(f as i64),
            Some(f) => Value::from(f),
            None => value.clone(),
        },
        Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), canonical(v))).collect())
        }
        other => other.clone(),
    }
}

/// Asserts two JSON values are equal, numbers compared by value.
#[track_caller]
pub fn assert_json_eq(actual: &Value, expected: &Value) {
    assert_eq!(
        canonical(actual),
        canonical(expected),
        "\nactual:   {actual}\nexpected: {expected}"
    );
}

// ---------------------------------------------------------------------------------------
// Tracing capture
// ---------------------------------------------------------------------------------------

/// A `Write` target collecting formatted tracing output in memory.
#[derive(Clone, Default)]
pub struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl LogBuffer {
    /// Everything written so far.
    pub fn contents(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A subscriber writing every event (trace level and up) and every span close, with
/// the span's fields, into the returned buffer.
pub fn capturing_subscriber() -> (impl tracing::Subscriber + Send + Sync, LogBuffer) {
    let buffer = LogBuffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_writer(move || writer.clone())
        .finish();
    (subscriber, buffer)
}

// ---------------------------------------------------------------------------------------
// Wire tests: serve the spec's example, check what the client sent
// ---------------------------------------------------------------------------------------

/// A server answering once with `reply`, and a test client pointed at it.
pub async fn serve_reply(reply: Reply) -> (Loopback, TestClient) {
    let server = Loopback::start([reply]).await;
    let client = test_client(&server);
    (server, client)
}

/// A server answering once with the spec's 200 example `example` of `operation`.
pub async fn serve_example(operation: &str, example: &str) -> (Loopback, TestClient) {
    serve_reply(Reply::ok(&response_example(operation, 200, example))).await
}

/// A server answering once with the spec's example `example` of `operation` for HTTP
/// `status`.
pub async fn serve_status_example(
    operation: &str,
    status: u16,
    example: &str,
) -> (Loopback, TestClient) {
    serve_reply(Reply::json(
        status,
        &response_example(operation, status, example),
    ))
    .await
}

/// Asserts the one request the server saw: method, raw path, query pairs (and no query
/// string at all when none), the client's headers, and the JSON body (or none).
#[track_caller]
pub fn assert_sent(
    server: &Loopback,
    method: &str,
    raw_path: &str,
    query: &[(&str, &str)],
    body: Option<&Value>,
) -> Recorded {
    let request = server.only_request();
    assert_eq!(request.method, method, "method");
    assert_eq!(request.path, raw_path, "raw path");
    assert_eq!(request.query_pairs(), query, "query pairs");
    if query.is_empty() {
        assert_eq!(request.raw_query, None, "no query string at all");
    }
    request.assert_client_headers();
    match body {
        Some(expected) => assert_json_eq(&request.json(), expected),
        None => assert!(
            request.body.is_empty(),
            "no body expected, got {}",
            String::from_utf8_lossy(&request.body)
        ),
    }
    assert_eq!(server.unused_replies(), 0);
    request
}

/// The body of an [`Error::Api`] of `operation` with HTTP `status`; panics on any other
/// error, and on one the client would retry.
#[track_caller]
pub fn api_error(error: Error, operation: &str, status: u16) -> ErrorBody {
    assert_eq!(error.status(), Some(status), "{error}");
    assert!(!error.is_retryable(), "{error}");
    let Error::Api {
        operation: op,
        status: st,
        body,
    } = error
    else {
        panic!("expected Error::Api, got {error:?}");
    };
    assert_eq!((op, st), (operation, status));
    body
}

/// An exact amount from a decimal literal.
pub fn amount(text: &str) -> Amount {
    text.parse().expect("a decimal literal")
}

/// Amounts keyed by currency.
pub fn per_currency(pairs: &[(&str, &str)]) -> BTreeMap<String, Amount> {
    pairs
        .iter()
        .map(|(c, a)| (c.to_string(), amount(a)))
        .collect()
}

/// A map of texts (per language, per field).
pub fn texts(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// `text.to_string()`, short.
pub fn s(text: &str) -> String {
    text.to_string()
}

/// A charge of one subscription (`sub-1`), the write the retry tests send.
pub fn charge_body() -> fastspring_api::subscriptions::ChargeSubscriptionsRequest {
    use fastspring_api::subscriptions::{ChargeSubscriptionsRequest, SubscriptionCharge};
    ChargeSubscriptionsRequest::new(vec![SubscriptionCharge::new("sub-1".to_string())])
}

/// FastSpring's answer to [`charge_body`]: the one charge succeeded.
pub fn charged() -> Value {
    serde_json::json!({"subscription": [
        {"subscription": "sub-1", "action": "subscription.charge", "result": "success"}
    ]})
}

/// The name the test harness gives test `name` of the module whose `module_path!()` is
/// `module` (the binary's own name dropped): `reports::child_from_env`. Tests that run a
/// child process of their own binary filter with it.
pub fn test_name(module: &str, name: &str) -> String {
    match module.split_once("::") {
        Some((_, path)) => format!("{path}::{name}"),
        None => name.to_string(),
    }
}
