//! What a handler sees and returns: the validated request ([`Call`]), the answer
//! ([`Answer`]), and the bad-request answer in the operation's error family. Below the
//! server and the operations; imports only the spec.

use std::collections::BTreeMap;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};

use crate::spec::{ErrorStyle, Route};

/// A JSON response (the admin API's and the server's own errors).
pub(crate) fn json_response(status: u16, body: &Value) -> Response {
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
    now_ms: i64,
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
            "timestamp": crate::clock::iso_millis(now_ms),
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
