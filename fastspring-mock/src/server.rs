//! The HTTP side: accept loop (so a fault can reset a connection), request checks,
//! dispatch to the stateful operations or the spec's examples, and the admin API.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Extension, Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use base64::Engine;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};

use crate::faults::{Fault, FaultKind};
use crate::spec::{ErrorStyle, ParamIn, Route, validate, validate_param};
use crate::store::{Kind, Store, now_millis};
use crate::{Seed, Shared, ops};

/// Largest request body the mock reads (FastSpring's own limits are lower).
const MAX_BODY: usize = 4 << 20;

// ---- connection limits (security review S5) ----
/// How long a client may take to send a request's headers, and how long a kept-alive
/// connection may sit idle before the next request begins: a half-sent request cannot
/// hold a connection forever.
pub(crate) const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(20);
/// Connections served at once; past it the mock stops accepting until one closes.
pub(crate) const MAX_CONNECTIONS: usize = 256;

/// Lets a request handler drop its own connection (the reset fault).
pub(crate) struct Connection {
    abort: Notify,
}

pub(crate) async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) {
    let app = router(shared);
    let port = listener.local_addr().map_or(0, |a| a.port());
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    loop {
        let (stream, permit) = tokio::select! {
            accepted = async {
                let permit = slots.clone().acquire_owned().await;
                (listener.accept().await, permit)
            } => match accepted {
                (Ok((stream, _)), Ok(permit)) => (stream, permit),
                _ => continue,
            },
            _ = stop.changed() => return,
        };
        let app = app.clone();
        let mut stop = stop.clone();
        tokio::spawn(async move {
            let _permit = permit;
            // A second handle on the socket, to turn the close into a reset.
            let raw = socket2::SockRef::from(&stream).try_clone().ok();
            let ctl = Arc::new(Connection {
                abort: Notify::new(),
            });
            let ctl_for_requests = ctl.clone();
            let service = hyper::service::service_fn(
                move |mut request: hyper::Request<hyper::body::Incoming>| {
                    // Host, Origin and Content-Type rules (security review S1).
                    let refusal = crate::guard::check(&request, port);
                    request.extensions_mut().insert(ctl_for_requests.clone());
                    let app = app.clone();
                    async move {
                        if let Some(refusal) = refusal {
                            return Ok(refusal);
                        }
                        use tower_service::Service;
                        let mut app = app;
                        app.call(request.map(Body::new)).await
                    }
                },
            );
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT)
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = ctl.abort.notified() => {
                    if let Some(raw) = &raw {
                        let _ = raw.set_linger(Some(Duration::ZERO));
                    }
                }
                _ = stop.changed() => {}
            }
        });
    }
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/mock/admin", get(admin_index))
        .route("/mock/admin/operations", get(admin_operations))
        .route(
            "/mock/admin/faults",
            get(admin_faults)
                .post(admin_add_fault)
                .delete(admin_clear_faults),
        )
        .route("/mock/admin/rate-limit", put(admin_rate_limit))
        .route("/mock/admin/webhook", put(admin_webhook))
        .route("/mock/admin/events", get(admin_events).post(admin_emit))
        .route("/mock/admin/deliveries", get(admin_deliveries))
        .route(
            "/mock/admin/state/{kind}",
            get(admin_state).post(admin_seed),
        )
        .fallback(api)
        .with_state(shared)
}

fn json_response(status: u16, body: &Value) -> Response {
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// An answer of an operation: status and body (JSON or text).
pub(crate) struct Answer {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Bytes,
}

impl Answer {
    pub fn json(status: u16, body: Value) -> Answer {
        Answer {
            status,
            content_type: Some("application/json".into()),
            body: Bytes::from(body.to_string()),
        }
    }
}

/// A validation failure in the operation's family format, naming the field.
pub(crate) fn bad_request(
    route: &Route,
    field: &str,
    message: &str,
    rejected: Option<&Value>,
) -> Answer {
    let body = match route.error_style {
        ErrorStyle::Action => json!({
            "action": route.action,
            "result": "error",
            "error": { field: message },
        }),
        ErrorStyle::Message => json!({
            "message": message,
            "params": [field],
        }),
        ErrorStyle::Errors => json!({
            "status": "400 BAD_REQUEST",
            "timestamp": now_iso(),
            "message": format!("{field}: {message}"),
            "errors": [{
                "errorCode": "INVALID_REQUEST",
                "field": field,
                "message": message,
                "rejectedValue": rejected.cloned().unwrap_or(Value::Null),
            }],
        }),
    };
    Answer::json(400, body)
}

fn now_iso() -> String {
    let secs = now_millis() / 1000;
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.000Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

fn query_pairs(uri: &Uri) -> Vec<(String, String)> {
    uri.query()
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (
                percent_decode(&k.replace('+', " ")),
                percent_decode(&v.replace('+', " ")),
            )
        })
        .collect()
}

/// What an operation handler sees of the request.
pub(crate) struct Call<'a> {
    pub route: &'a Route,
    pub path: BTreeMap<String, String>,
    pub query: Vec<(String, String)>,
    pub body: Option<Value>,
}

impl Call<'_> {
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    pub fn path(&self, name: &str) -> &str {
        self.path.get(name).map(String::as_str).unwrap_or_default()
    }
}

fn check_credentials(shared: &Shared, headers: &HeaderMap) -> Result<(), &'static str> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err("Authorization");
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Basic "))
        .ok_or("Authorization")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(token.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or("Authorization")?;
    let (user, password) = decoded.split_once(':').ok_or("Authorization")?;
    if user.is_empty() || password.is_empty() {
        return Err("Authorization");
    }
    match &shared.credentials {
        Some((u, p)) if u != user || p != password => Err("Authorization"),
        _ => Ok(()),
    }
}

async fn api(
    State(shared): State<Arc<Shared>>,
    ctl: Option<Extension<Arc<Connection>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if let Some(window) = shared.rate.lock().expect("rate lock").as_mut()
        && let Err(wait) = window.admit(Instant::now())
    {
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(wait));
        return response;
    }
    let parts: Vec<String> = uri
        .path()
        .trim_start_matches('/')
        .split('/')
        .map(percent_decode)
        .collect();
    let (route, path) = match shared.spec.find(method.as_str(), &parts) {
        Ok(found) => found,
        Err(true) => {
            return json_response(
                405,
                &json!({ "message": "method not allowed", "params": [method.as_str()] }),
            );
        }
        Err(false) => {
            return json_response(
                404,
                &json!({ "message": "not found", "params": [uri.path()] }),
            );
        }
    };
    {
        let mut log = shared.requests.lock().expect("requests lock");
        if log.len() >= crate::REQUEST_LOG {
            log.remove(0);
        }
        log.push((route.operation_id.clone(), uri.path().to_string()));
    }
    let fault = shared
        .faults
        .lock()
        .expect("faults lock")
        .take(&route.operation_id);
    let mut truncate = false;
    match fault {
        Some(FaultKind::Status {
            status,
            retry_after,
        }) => {
            let mut response = Response::new(Body::empty());
            *response.status_mut() =
                StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            if let Some(secs) = retry_after {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(secs));
            }
            return response;
        }
        Some(FaultKind::Delay(delay)) => tokio::time::sleep(delay).await,
        Some(FaultKind::Reset) => {
            if let Some(Extension(ctl)) = ctl {
                ctl.abort.notify_one();
                std::future::pending::<()>().await;
            }
            return Response::new(Body::empty());
        }
        Some(FaultKind::Truncate) => truncate = true,
        None => {}
    }
    let answer = handle(&shared, route, path, &uri, &headers, body).await;
    let mut response = if truncate {
        let half = answer.body.slice(..answer.body.len() / 2);
        let full = answer.body.len();
        // Half the body, one `Pending` (hyper flushes what it has), then an error:
        // hyper closes the connection short of the announced `Content-Length`.
        let stream = futures_util::stream::unfold(Some(half), |state| async move {
            match state {
                Some(half) => Some((Ok::<Bytes, std::io::Error>(half), None)),
                None => {
                    tokio::task::yield_now().await;
                    Some((
                        Err(std::io::Error::new(
                            std::io::ErrorKind::ConnectionAborted,
                            "truncated by fault",
                        )),
                        None,
                    ))
                }
            }
        });
        let mut response = Response::new(Body::from_stream(stream));
        response
            .headers_mut()
            .insert(header::CONTENT_LENGTH, HeaderValue::from(full));
        response
    } else {
        Response::new(Body::from(answer.body))
    };
    *response.status_mut() = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    if let Some(ct) = answer
        .content_type
        .and_then(|ct| HeaderValue::from_str(&ct).ok())
    {
        response.headers_mut().insert(header::CONTENT_TYPE, ct);
    }
    response
}

async fn handle(
    shared: &Arc<Shared>,
    route: &Route,
    path: BTreeMap<String, String>,
    uri: &Uri,
    headers: &HeaderMap,
    body: Body,
) -> Answer {
    if headers
        .get(header::USER_AGENT)
        .is_none_or(|ua| ua.as_bytes().iter().all(u8::is_ascii_whitespace))
    {
        return Answer::json(
            401,
            json!({ "message": "unauthorized", "params": ["User-Agent"] }),
        );
    }
    if !route.anonymous
        && let Err(field) = check_credentials(shared, headers)
    {
        return Answer::json(401, json!({ "message": "unauthorized", "params": [field] }));
    }
    let doc = &shared.spec.doc;
    let query = query_pairs(uri);
    for param in &route.params {
        let value = match param.location {
            ParamIn::Path => path.get(&param.name).cloned(),
            ParamIn::Query => query
                .iter()
                .find(|(k, _)| *k == param.name)
                .map(|(_, v)| v.clone()),
            ParamIn::Header => headers
                .get(param.name.as_str())
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
        };
        match value {
            None if param.required => {
                return bad_request(route, &param.name, "required", None);
            }
            None => {}
            Some(text) => {
                // Comma-separated ID lists are checked ID by ID.
                if let Err(message) = validate_param(doc, &param.schema, &text) {
                    return bad_request(route, &param.name, &message, Some(&Value::String(text)));
                }
            }
        }
    }
    let bytes = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(bytes) => bytes,
        Err(_) => return bad_request(route, "body", "too large", None),
    };
    let body = if bytes.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(value) => Some(value),
            Err(_) => return bad_request(route, "body", "unreadable: not JSON", None),
        }
    };
    if let Some(schema) = &route.body {
        match &body {
            None if route.body_required => {
                return bad_request(route, "body", "required", None);
            }
            None => {}
            Some(value) => {
                if let Err(invalid) = validate(doc, schema, value) {
                    let field = if invalid.path.is_empty() {
                        "body".to_string()
                    } else {
                        invalid.path.clone()
                    };
                    let rejected = value.pointer(&pointer_of(&invalid.path)).cloned();
                    return bad_request(route, &field, &invalid.message, rejected.as_ref());
                }
            }
        }
    }
    let call = Call {
        route,
        path,
        query,
        body,
    };
    if let Some(answer) = ops::stateful(shared, &call) {
        return answer;
    }
    default_answer(shared, route)
}

/// `contacts[1].email` → `/contacts/1/email`.
fn pointer_of(path: &str) -> String {
    let mut out = String::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (name, rest) = part.split_once('[').unwrap_or((part, ""));
        if !name.is_empty() {
            out.push('/');
            out.push_str(&name.replace('~', "~0").replace('/', "~1"));
        }
        for index in rest.split('[') {
            let index = index.trim_end_matches(']');
            if !index.is_empty() {
                out.push('/');
                out.push_str(index);
            }
        }
    }
    out
}

/// The spec's example of the success response.
pub(crate) fn default_answer(shared: &Shared, route: &Route) -> Answer {
    match shared.spec.default_example(route) {
        Some((status, content_type, example)) => {
            let body = match (&example, content_type.as_deref()) {
                (Value::Null, _) => Bytes::new(),
                (Value::String(text), Some(ct)) if !ct.contains("json") => {
                    Bytes::from(text.clone())
                }
                (value, _) => Bytes::from(value.to_string()),
            };
            Answer {
                status,
                content_type: if body.is_empty() { None } else { content_type },
                body,
            }
        }
        None => Answer::json(200, json!({})),
    }
}

// ---- admin API ----

async fn admin_index(State(shared): State<Arc<Shared>>) -> Response {
    json_response(
        200,
        &json!({
            "operations": shared.spec.routes.len(),
            "webhookEventTypes": shared.spec.webhook_types.len(),
            "endpoints": {
                "GET /mock/admin/operations": "every operation served: method, path, operationId",
                "GET|POST|DELETE /mock/admin/faults": "list, add ({operation?, times?, status+retryAfter? | delayMs | reset | truncate}), clear fault rules",
                "PUT /mock/admin/rate-limit": "{\"perMinute\": 250} or {\"limit\": 20, \"windowMs\": 2000} enforces a rate limit, {\"perMinute\": null} turns it off",
                "PUT /mock/admin/webhook": "{\"url\", \"secret\"} sets the receiver, null removes it",
                "GET|POST /mock/admin/events": "list stored events, emit one ({\"type\", \"data\"?})",
                "GET /mock/admin/deliveries": "webhook delivery attempts",
                "GET|POST /mock/admin/state/{kind}": "list or add accounts, products, coupons, subscriptions, orders",
            }
        }),
    )
}

async fn admin_operations(State(shared): State<Arc<Shared>>) -> Response {
    let list: Vec<Value> = shared
        .spec
        .routes
        .iter()
        .map(|r| json!({"method": r.method, "path": r.template, "operationId": r.operation_id, "anonymous": r.anonymous}))
        .collect();
    json_response(200, &Value::Array(list))
}

async fn admin_faults(State(shared): State<Arc<Shared>>) -> Response {
    let faults = shared.faults.lock().expect("faults lock");
    let list: Vec<Value> = faults.list().iter().map(Fault::to_json).collect();
    json_response(200, &Value::Array(list))
}

async fn admin_add_fault(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let parsed = serde_json::from_slice::<Value>(&body)
        .map_err(|e| e.to_string())
        .and_then(|v| Fault::from_json(&v));
    match parsed {
        Ok(fault) => {
            if let Some(op) = &fault.operation
                && shared.spec.operation(op).is_none()
            {
                return json_response(
                    400,
                    &json!({"message": format!("no operation `{op}` in the spec")}),
                );
            }
            let out = fault.to_json();
            shared.faults.lock().expect("faults lock").push(fault);
            json_response(201, &out)
        }
        Err(message) => json_response(400, &json!({ "message": message })),
    }
}

async fn admin_clear_faults(State(shared): State<Arc<Shared>>) -> Response {
    shared.faults.lock().expect("faults lock").clear();
    StatusCode::NO_CONTENT.into_response()
}

async fn admin_rate_limit(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let positive = |key: &str| value.get(key).and_then(Value::as_u64).filter(|n| *n > 0);
    // `{"perMinute": 250}`, `{"limit": 20, "windowMs": 2000}`, or null to turn it off.
    let (limit, window_ms) = match (value.get("perMinute"), value.get("limit")) {
        (Some(Value::Null), None) | (None, Some(Value::Null)) => (None, None),
        (Some(_), None) => (positive("perMinute"), Some(60_000)),
        (None, Some(_)) => (positive("limit"), positive("windowMs")),
        _ => (None, Some(0)),
    };
    let rate = match (limit, window_ms) {
        (None, None) => None,
        (Some(limit), Some(ms)) => Some(crate::faults::RateWindow::with_window(
            usize::try_from(limit).unwrap_or(usize::MAX),
            std::time::Duration::from_millis(ms),
        )),
        _ => {
            return json_response(
                400,
                &json!({"message": "give `perMinute` (250 for FastSpring's limit), or `limit` and `windowMs` (positive counts), or null to turn it off"}),
            );
        }
    };
    let answer = rate.as_ref().map_or(json!({"limit": null}), |r| {
        let window_ms = r.window.as_millis() as u64;
        let per_minute = (window_ms == 60_000).then_some(r.limit);
        json!({"limit": r.limit, "windowMs": window_ms, "perMinute": per_minute})
    });
    *shared.rate.lock().expect("rate lock") = rate;
    json_response(200, &answer)
}

async fn admin_webhook(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let schedule = shared.retry_schedule.lock().expect("schedule lock").clone();
    let config = match (
        &value,
        value.get("url").and_then(Value::as_str),
        value.get("secret").and_then(Value::as_str),
    ) {
        (Value::Null, _, _) => None,
        (_, Some(url), Some(secret)) => Some(crate::webhooks::WebhookConfig {
            url: url.to_string(),
            secret: secret.to_string(),
            retry_schedule: schedule,
        }),
        _ => {
            return json_response(
                400,
                &json!({"message": "give {\"url\", \"secret\"} or null"}),
            );
        }
    };
    let url = config.as_ref().map(|c| c.url.clone());
    *shared.webhook.lock().expect("webhook lock") = config;
    json_response(200, &json!({ "url": url }))
}

async fn admin_events(State(shared): State<Arc<Shared>>) -> Response {
    let store = shared.store.lock().expect("store lock");
    let list: Vec<Value> = store.events.iter().map(|e| e.value.clone()).collect();
    json_response(200, &Value::Array(list))
}

async fn admin_emit(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let Some(event_type) = value.get("type").and_then(Value::as_str) else {
        return json_response(
            400,
            &json!({"message": "give the event `type` (and optionally `data`)"}),
        );
    };
    let data = value
        .get("data")
        .cloned()
        .or_else(|| crate::store::example_event_data(shared.spec, event_type))
        .unwrap_or_else(|| json!({}));
    let event = shared.emit(vec![(event_type.to_string(), data)]).remove(0);
    json_response(201, &event)
}

async fn admin_deliveries(State(shared): State<Arc<Shared>>) -> Response {
    let log = shared.deliveries.lock().expect("deliveries lock");
    let list: Vec<Value> = log.iter().map(crate::Delivery::to_json).collect();
    json_response(200, &Value::Array(list))
}

async fn admin_state(State(shared): State<Arc<Shared>>, Path(kind): Path<String>) -> Response {
    let Some(kind) = Kind::from_name(&kind) else {
        return json_response(
            404,
            &json!({"message": "kinds: accounts, products, coupons, subscriptions, orders"}),
        );
    };
    let store = shared.store.lock().expect("store lock");
    let list: Vec<Value> = store
        .ids(kind)
        .iter()
        .filter_map(|id| store.get(kind, id).cloned())
        .collect();
    json_response(200, &Value::Array(list))
}

async fn admin_seed(
    State(shared): State<Arc<Shared>>,
    Path(kind): Path<String>,
    body: Bytes,
) -> Response {
    let Some(kind) = Kind::from_name(&kind) else {
        return json_response(
            404,
            &json!({"message": "kinds: accounts, products, coupons, subscriptions, orders"}),
        );
    };
    let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let mut store: std::sync::MutexGuard<'_, Store> = shared.store.lock().expect("store lock");
    match Seed::new().object(kind, value.clone()).apply(&mut store) {
        Ok(()) => json_response(201, &value),
        Err(message) => json_response(400, &json!({ "message": message })),
    }
}
