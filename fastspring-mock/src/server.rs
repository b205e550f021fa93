//! The HTTP side: accept loop (so a fault can reset a connection), request checks,
//! dispatch to the stateful operations or the spec's examples; the admin routes
//! (`admin.rs`) come first.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::Response;
use base64::Engine;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};

use crate::exchange::{Answer, Call, bad_request, json_response};
use crate::faults::FaultKind;
use crate::spec::{ParamIn, Route, validate, validate_param};
use crate::{Shared, admin, ops};

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
    admin::routes().fallback(api).with_state(shared)
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
    shared.record_request(&route.operation_id, uri.path());
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
                return bad_request(shared.now(), route, &param.name, "required", None);
            }
            None => {}
            Some(text) => {
                // Comma-separated ID lists are checked ID by ID.
                if let Err(message) = validate_param(doc, &param.schema, &text) {
                    return bad_request(
                        shared.now(),
                        route,
                        &param.name,
                        &message,
                        Some(&Value::String(text)),
                    );
                }
            }
        }
    }
    let bytes = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(bytes) => bytes,
        Err(_) => return bad_request(shared.now(), route, "body", "too large", None),
    };
    let body = if bytes.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(value) => Some(value),
            Err(_) => {
                return bad_request(shared.now(), route, "body", "unreadable: not JSON", None);
            }
        }
    };
    if let Some(schema) = &route.body {
        match &body {
            None if route.body_required => {
                return bad_request(shared.now(), route, "body", "required", None);
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
                    return bad_request(
                        shared.now(),
                        route,
                        &field,
                        &invalid.message,
                        rejected.as_ref(),
                    );
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
