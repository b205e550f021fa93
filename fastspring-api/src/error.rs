//! The crate's error types: [`Error`] (every failure of a call), [`DecodeError`],
//! [`ErrorBody`] (what FastSpring answered) and [`ItemError`] (one failed item of a batch).

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde_json::Value;

/// Largest body excerpt an error keeps for decode failures.
pub const EXCERPT_LIMIT: usize = 1024;
/// Largest error body an [`ErrorBody`] keeps (as text, and parsed as JSON only when
/// the whole body fits).
pub const BODY_LIMIT: usize = 64 * 1024;
/// Longest text an error message keeps: a server's `message`, a field error, serde's
/// description of a value that did not fit (which quotes the value).
pub const MESSAGE_LIMIT: usize = 1024;

/// Everything that can go wrong calling FastSpring.
///
/// `Debug` and `Display` never contain credentials: requests are described by
/// operation id and path template, never by headers.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The client could not be built (missing credentials, bad base URL, bad header value).
    #[error("client configuration: {0}")]
    Config(String),
    /// An input cannot be sent as given (an ID that cannot be a path segment, say).
    #[error("invalid input for {operation}: {message}")]
    InvalidInput {
        /// Operation that refused the input.
        operation: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The request body could not be serialized.
    #[error("could not encode the request of {operation}: {message}")]
    Encode {
        /// Operation.
        operation: &'static str,
        /// Serializer message.
        message: String,
    },
    /// Connecting, sending or reading failed. The message names the root cause and the
    /// server's scheme, host and port (never a path, query or credentials), for example
    /// `transport error in listOrders: error sending request for url (http://127.0.0.1:8080/):
    /// client error (Connect): tcp connect error: Connection refused (os error 111)`.
    #[error("transport error in {operation}: {}", causes(source))]
    Transport {
        /// Operation.
        operation: &'static str,
        /// The underlying error.
        #[source]
        source: reqwest::Error,
    },
    /// An attempt (or connecting) took longer than the per-attempt timeout, or the call
    /// could not finish within its deadline ([`crate::ClientBuilder::call_timeout`]).
    #[error("{operation} timed out")]
    Timeout {
        /// Operation.
        operation: &'static str,
    },
    /// The response body is larger than the client accepts
    /// ([`crate::ClientBuilder::max_response_bytes`]); reading stopped at the limit.
    #[error("the HTTP {status} response of {operation} is larger than {limit} bytes")]
    ResponseTooLarge {
        /// Operation.
        operation: &'static str,
        /// HTTP status of the response.
        status: u16,
        /// The limit in force.
        limit: u64,
    },
    /// FastSpring's rate limit was hit and the retry policy gave up (or may not retry).
    #[error("{operation} was rate limited (HTTP {status}){}", retry_after.map(|d| format!("; FastSpring asked to wait {} s", d.as_secs_f64())).unwrap_or_default())]
    RateLimited {
        /// Operation.
        operation: &'static str,
        /// HTTP status (429).
        status: u16,
        /// The wait FastSpring asked for (`Retry-After`), if it said.
        retry_after: Option<Duration>,
        /// The response body.
        body: ErrorBody,
    },
    /// FastSpring answered with an error: a non-2xx status, or a 2xx whose body says
    /// `"result": "error"` for the whole request.
    #[error("{operation} failed with HTTP {status}: {body}")]
    Api {
        /// Operation.
        operation: &'static str,
        /// HTTP status.
        status: u16,
        /// FastSpring's error body.
        body: ErrorBody,
    },
    /// A paged listing did not advance (FastSpring repeated a page or window), or ran
    /// past the page limit; the stream stops instead of looping.
    #[error("paging {operation} stopped: {message}")]
    Pagination {
        /// Operation.
        operation: &'static str,
        /// What went wrong.
        message: String,
    },
    /// The shared rate limiter could not give a slot (its store is unreachable and it
    /// is set to fail rather than fall back); nothing was sent.
    #[error("rate limiter for {operation}: {source}")]
    RateLimiter {
        /// Operation.
        operation: &'static str,
        /// What the limiter reported.
        #[source]
        source: AcquireError,
    },
    /// The response did not match the spec's type.
    #[error("{0}")]
    Decode(Box<DecodeError>),
    /// Some items of a batch call failed (see [`crate::BatchOutcome::into_result`]).
    #[error("{operation}: {} of {total} items failed: {}", failures.len(), failures.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    ItemFailures {
        /// Operation.
        operation: &'static str,
        /// Number of items in the response.
        total: usize,
        /// The failed items.
        failures: Vec<ItemError>,
    },
}

/// An error and its sources, each message once, joined by `": "`.
fn causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut out = error.to_string();
    let mut next = error.source();
    while let Some(cause) = next {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        next = cause.source();
    }
    out
}

impl Error {
    /// The HTTP status FastSpring answered with, when there was an answer.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::RateLimited { status, .. } | Error::Api { status, .. } => Some(*status),
            Error::Decode(d) => Some(d.status),
            Error::ResponseTooLarge { status, .. } => Some(*status),
            Error::Transport { source, .. } => source.status().map(|s| s.as_u16()),
            _ => None,
        }
    }

    /// Whether repeating the same request later may succeed (connection problems,
    /// timeouts, rate limits, 5xx). Says nothing about whether repeating is *safe*.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Transport { source, .. } => {
                source.is_connect()
                    || source.is_timeout()
                    || source.is_request()
                    || source.is_body()
                    || source.is_decode()
            }
            Error::Timeout { .. } | Error::RateLimited { .. } => true,
            Error::Api { status, .. } => *status == 429 || *status >= 500,
            _ => false,
        }
    }

    /// Whether FastSpring said the resource does not exist.
    ///
    /// FastSpring rarely answers 404 for a missing resource: most look-ups answer
    /// **HTTP 400** with the reason under the resource's key, for example
    /// `{"action": "subscription.get", "result": "error", "error": {"subscription": "Subscription not found"}}`
    /// (and likewise for accounts, orders, products and returns). This is `true` for a 404,
    /// and for a 400 whose message or any field error says "not found" (any case); also
    /// for such a refusal inside a 2xx (a lookup's wrapper holding the error item).
    ///
    /// ```
    /// # async fn run(client: fastspring_api::Client) -> Result<(), fastspring_api::Error> {
    /// match client.subscriptions().get("sub-that-is-gone").await {
    ///     Ok(found) => println!("{found:?}"),
    ///     Err(e) if e.is_not_found() => {
    ///         // FastSpring's own words, e.g. "subscription: Subscription not found".
    ///         let reason = e.body().and_then(|b| b.message()).unwrap_or_default();
    ///         println!("gone: {reason}");
    ///     }
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok(()) }
    /// ```
    pub fn is_not_found(&self) -> bool {
        match self {
            Error::Api { status: 404, .. } => true,
            Error::Api { status, body, .. } if *status == 400 || (200..300).contains(status) => {
                let says = |text: &str| text.to_ascii_lowercase().contains("not found");
                body.message().is_some_and(|m| says(&m))
                    || body.field_errors().values().any(|v| says(v))
            }
            _ => false,
        }
    }

    /// The error body FastSpring sent, when there is one.
    pub fn body(&self) -> Option<&ErrorBody> {
        match self {
            Error::RateLimited { body, .. } | Error::Api { body, .. } => Some(body),
            _ => None,
        }
    }
}

/// A response that did not decode into the spec's type, with the evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// Operation.
    pub operation: &'static str,
    /// HTTP status of the response.
    pub status: u16,
    /// JSON path of the offending value (`orders[0].items[2].quantity`).
    pub path: String,
    /// What serde reported.
    pub message: String,
    /// The start of the body (at most 1 KiB).
    pub excerpt: String,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "could not decode the HTTP {} response of {} at `{}`: {}; body starts: {}",
            self.status, self.operation, self.path, self.message, self.excerpt
        )
    }
}

impl std::error::Error for DecodeError {}

/// One failed item of a batch call.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemError {
    /// Position of the item in the response.
    pub index: usize,
    /// The item's subject (product path, order ID, …) when FastSpring named it.
    pub id: Option<String>,
    /// Messages keyed by field or action (`{"product": "Product not found"}`).
    pub messages: BTreeMap<String, String>,
    /// The item as FastSpring sent it.
    pub raw: Value,
    /// Set when FastSpring did not report the item as failed, but it did not decode into
    /// the item type. The change may have taken effect at FastSpring; `raw` holds what
    /// came back and `messages` is empty.
    pub undecodable: Option<Box<DecodeError>>,
}

impl fmt::Display for ItemError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "item {}", self.index)?;
        if let Some(id) = &self.id {
            write!(f, " ({id})")?;
        }
        if let Some(decode) = &self.undecodable {
            write!(f, ": not reported as failed, but did not decode: {decode}")
        } else if self.messages.is_empty() {
            f.write_str(": error")
        } else {
            let text: Vec<String> = self
                .messages
                .iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect();
            write!(f, ": {}", text.join(", "))
        }
    }
}

/// Cuts `text` to at most `limit` bytes on a character boundary, the `…` that marks a
/// cut included.
pub(crate) fn excerpt(bytes: &[u8], limit: usize) -> String {
    const CUT: &str = "…";
    // Never converts more than the excerpt needs (plus one character's worth).
    let head = &bytes[..bytes.len().min(limit.saturating_add(4))];
    let text = String::from_utf8_lossy(head);
    if text.len() <= limit && head.len() == bytes.len() {
        return text.into_owned();
    }
    let mut end = limit.saturating_sub(CUT.len()).min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{CUT}", &text[..end])
}

/// The start of `value`'s JSON text, at most `limit` bytes, without serializing the
/// rest of it.
pub(crate) fn excerpt_json(value: &Value, limit: usize) -> String {
    struct Bounded {
        out: Vec<u8>,
        limit: usize,
    }
    impl std::io::Write for Bounded {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let room = self.limit.saturating_sub(self.out.len());
            if room == 0 {
                return Err(std::io::Error::other("excerpt full"));
            }
            let take = room.min(buf.len());
            self.out.extend_from_slice(&buf[..take]);
            Ok(take)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut writer = Bounded {
        out: Vec::new(),
        limit: limit.saturating_add(4),
    };
    let _ = serde_json::to_writer(&mut writer, value);
    excerpt(&writer.out, limit)
}

/// Cuts a message (a server's text, serde's description) to `MESSAGE_LIMIT` (1 KiB).
pub(crate) fn cap(message: String) -> String {
    if message.len() <= MESSAGE_LIMIT {
        message
    } else {
        excerpt(message.as_bytes(), MESSAGE_LIMIT)
    }
}

/// FastSpring's error body, raw and (when it is JSON) parsed.
///
/// FastSpring has several error formats: `{"action", "result": "error", "error": {field: message}}`
/// (classic endpoints), `{"status", "message", "errors": [...]}` (checkout sessions),
/// `{"code", "message"}` (invoices) and `{"message", "params"}` (v1 sessions).
/// [`ErrorBody::message`] and [`ErrorBody::field_errors`] read all of them;
/// [`ErrorBody::parse`] decodes into a generated type.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorBody(Box<BodyInner>);

#[derive(Debug, Clone, PartialEq)]
struct BodyInner {
    raw: String,
    json: Option<Value>,
}

impl ErrorBody {
    pub(crate) fn from_bytes(bytes: &[u8]) -> ErrorBody {
        ErrorBody(Box::new(BodyInner {
            raw: excerpt(bytes, BODY_LIMIT),
            json: if bytes.len() <= BODY_LIMIT {
                serde_json::from_slice(bytes).ok()
            } else {
                None
            },
        }))
    }

    pub(crate) fn from_json(json: Value) -> ErrorBody {
        let raw = json.to_string();
        ErrorBody(Box::new(BodyInner {
            json: (raw.len() <= BODY_LIMIT).then_some(json),
            raw: excerpt(raw.as_bytes(), BODY_LIMIT),
        }))
    }

    /// The body as text (cut at 64 KiB).
    pub fn raw(&self) -> &str {
        &self.0.raw
    }

    /// The body as JSON, when it is JSON.
    pub fn json(&self) -> Option<&Value> {
        self.0.json.as_ref()
    }

    /// Decodes the body into `T` (for example `fastspring_api::common::ActionError`).
    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> Option<T> {
        self.json().and_then(|v| T::deserialize(v).ok())
    }

    /// Messages keyed by field or action, from whichever error format FastSpring used
    /// (keys and messages cut at `MESSAGE_LIMIT` (1 KiB)).
    pub fn field_errors(&self) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        let Some(json) = self.json() else { return out };
        collect_field_errors(json, &mut out);
        out.into_iter().map(|(k, v)| (cap(k), cap(v))).collect()
    }

    /// A one-line human message, from whichever error format FastSpring used (cut at
    /// `MESSAGE_LIMIT` (1 KiB)).
    pub fn message(&self) -> Option<String> {
        let json = self.json()?;
        if let Some(m) = json.get("message").and_then(Value::as_str) {
            return Some(cap(m.to_string()));
        }
        if let Some(e) = json.get("error").and_then(Value::as_str) {
            return Some(cap(e.to_string()));
        }
        let fields = self.field_errors();
        (!fields.is_empty())
            .then(|| {
                fields
                    .iter()
                    .map(|(k, v)| format!("{k}: {v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .map(cap)
    }
}

fn collect_field_errors(json: &Value, out: &mut BTreeMap<String, String>) {
    match json.get("error") {
        Some(Value::Object(map)) => {
            for (k, v) in map {
                let text = v
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| v.to_string());
                out.insert(k.clone(), text);
            }
        }
        Some(Value::String(s)) => {
            out.entry("error".into()).or_insert_with(|| s.clone());
        }
        _ => {}
    }
    if let Some(Value::Array(errors)) = json.get("errors") {
        for e in errors {
            let field = e.get("field").and_then(Value::as_str).unwrap_or("error");
            if let Some(m) = e.get("message").and_then(Value::as_str) {
                out.insert(field.to_string(), m.to_string());
            }
        }
    }
    // Batch-shaped error bodies: {"orders": [{"result": "error", "error": {...}}]}.
    if let Value::Object(map) = json {
        for value in map.values() {
            if let Value::Array(items) = value {
                for item in items {
                    if item.get("result").and_then(Value::as_str) == Some("error") {
                        collect_field_errors(item, out);
                    }
                }
            }
        }
    }
}

impl fmt::Display for ErrorBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.message() {
            Some(m) => f.write_str(&m),
            None if self.raw().is_empty() => f.write_str("(empty body)"),
            None => f.write_str(&excerpt(self.raw().as_bytes(), 300)),
        }
    }
}

/// Why [`RateLimiter::acquire`](crate::RateLimiter::acquire) gave no slot.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AcquireError {
    /// The next free slot lies past the call's deadline (the client reports
    /// [`Error::Timeout`](crate::Error::Timeout)).
    #[error("the next free slot lies past the call's deadline")]
    PastDeadline,
    /// The limiter's shared store cannot be reached and the limiter is set to fail
    /// rather than fall back (the client reports
    /// [`Error::RateLimiter`](crate::Error::RateLimiter)).
    #[error("the rate limiter is unavailable: {0}")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
}
