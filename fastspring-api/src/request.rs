//! What one call is, without I/O: the operation's metadata, the request description the
//! generated builders produce (`Request`, with `RequestOptions`), path encoding and
//! body serialization. Nothing here sends anything (the client does).

use std::time::Duration;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, ErrorBody};
use crate::policy::RetryPolicy;
use crate::types::Ids;

/// What the generated code knows about an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OperationMeta {
    /// `operationId`.
    pub id: &'static str,
    /// HTTP method, upper case.
    pub method: &'static str,
    /// Path template as in the spec.
    pub path: &'static str,
    /// `Accept` header: the media types of the success response.
    pub accept: &'static str,
    /// Safe to repeat (GET/PUT/DELETE, or a POST marked `x-fs-idempotent`).
    pub idempotent: bool,
    /// The operation also works without credentials (checkout sessions).
    pub auth_optional: bool,
    /// How the operation pages (`x-fs-paging`).
    pub paging: Option<PagingMeta>,
    /// Per-item outcomes (`x-fs-batch`).
    pub batch: Option<BatchMeta>,
}

/// `x-fs-paging`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PagingMeta {
    /// How the operation pages.
    pub style: PagingStyle,
    /// Response property holding the items.
    pub items: Option<&'static str>,
}

/// How a list operation pages (`x-fs-paging`'s `style`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PagingStyle {
    /// `page`/`limit` query parameters and `nextPage` in the reply.
    Page,
    /// Windows of events, continued from the last event's `created` while the reply
    /// says `more`.
    Events,
    /// A report job: run, poll, download (`reports`); not a stream of pages.
    Report,
    /// Documented as not paging.
    None,
}

/// `x-fs-batch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchMeta {
    /// Response property holding one outcome per item.
    pub items: &'static str,
    /// Property of an outcome naming its subject.
    pub id: &'static str,
}

impl BatchMeta {
    /// Whether an error reply of such an operation is a per-item report
    /// (`{"<items>": [{"result": …}, …]}`) rather than a failure of the whole request.
    /// Such a reply is final (retrying repeats the same verdict, and may repeat the items
    /// that succeeded) and is returned item by item.
    pub(crate) fn is_item_report(&self, body: &ErrorBody) -> bool {
        let Some(json) = body.json() else {
            return false;
        };
        outcome_key(json, self.items)
            .and_then(|key| json.get(&key))
            .and_then(Value::as_array)
            .is_some_and(|items| {
                !items.is_empty()
                    && items
                        .iter()
                        .all(|item| item.get("result").is_some() || item.get("error").is_some())
            })
    }
}

/// A request ready to send: path already encoded, query and body serialized.
/// Its `Debug` shows the body's size, never its contents (bodies can hold secrets).
#[derive(Clone)]
pub struct Request {
    /// The operation.
    pub meta: &'static OperationMeta,
    /// Encoded path (`/accounts/abc%2Fdef`).
    pub path: String,
    /// Query pairs (encoded when sent).
    pub query: Vec<(&'static str, String)>,
    /// Extra headers.
    pub headers: Vec<(&'static str, String)>,
    /// JSON body.
    pub body: Option<Vec<u8>>,
    /// Per-request options.
    pub options: RequestOptions,
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("operation", &self.meta.id)
            .field("method", &self.meta.method)
            .field("path", &self.path)
            .field("query", &self.query)
            .field("body_bytes", &self.body.as_ref().map(Vec::len))
            .field("options", &self.options)
            .finish()
    }
}

impl Request {
    /// Sets (or replaces) a query parameter.
    pub fn set_query(&mut self, name: &'static str, value: String) {
        self.query.retain(|(k, _)| *k != name);
        self.query.push((name, value));
    }
}

/// Options for one request, set through a request builder (`.timeout(..)`, `.options(..)`).
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct RequestOptions {
    /// Overrides the client's timeout of one attempt.
    pub timeout: Option<Duration>,
    /// Overrides the client's deadline of the whole call
    /// ([`ClientBuilder::call_timeout`](crate::ClientBuilder::call_timeout)).
    pub call_timeout: Option<Duration>,
    /// Lets the retry policy repeat a request that is not idempotent (a POST that
    /// creates something). Off by default: such a POST is sent once.
    pub retry_non_idempotent: bool,
    /// Overrides the client's retry policy.
    pub retry: Option<RetryPolicy>,
}

/// Most IDs sent in one multi-ID request; longer lists are split.
pub const MAX_IDS_PER_REQUEST: usize = 50;
/// Longest joined-ID path segment sent in one request.
pub const MAX_JOINED_ID_LEN: usize = 1800;

/// Every byte but the RFC 3986 unreserved characters is percent-encoded, so an ID can
/// never add a path segment (`/`), a query (`?`), a fragment (`#`) or an escape (`%`).
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encodes one path parameter. Values that cannot be a path segment at all
/// (empty, `.` or `..`, which URL parsers resolve away) are refused.
pub fn encode_path_param(
    operation: &'static str,
    name: &str,
    value: &str,
) -> Result<String, Error> {
    if value.is_empty() || value == "." || value == ".." {
        return Err(Error::InvalidInput {
            operation,
            message: format!(
                "path parameter `{name}` is {value:?}, which cannot be sent as a path segment"
            ),
        });
    }
    Ok(utf8_percent_encode(value, PATH_SEGMENT).to_string())
}

/// Percent-encodes each ID of a comma-separated path parameter and joins them with `,`.
pub fn encode_path_ids(operation: &'static str, name: &str, ids: &Ids) -> Result<String, Error> {
    if ids.as_slice().is_empty() {
        return Err(Error::InvalidInput {
            operation,
            message: format!("path parameter `{name}` needs at least one ID"),
        });
    }
    if ids.as_slice().len() > MAX_IDS_PER_REQUEST {
        return Err(Error::InvalidInput {
            operation,
            message: format!(
                "path parameter `{name}` has {} IDs; one request takes at most {MAX_IDS_PER_REQUEST} (use `get_many`, which splits, or send several requests)",
                ids.as_slice().len()
            ),
        });
    }
    let encoded: Result<Vec<String>, Error> = ids
        .as_slice()
        .iter()
        .map(|id| encode_path_param(operation, name, id))
        .collect();
    let joined = encoded?.join(",");
    if joined.len() > MAX_JOINED_ID_LEN {
        return Err(Error::InvalidInput {
            operation,
            message: format!(
                "path parameter `{name}` is {} characters once encoded; one request takes at most {MAX_JOINED_ID_LEN} (use `get_many`, which splits, or send several requests)",
                joined.len()
            ),
        });
    }
    Ok(joined)
}

/// Serializes a request body.
pub fn encode_body<T: Serialize>(meta: &OperationMeta, body: &T) -> Result<Vec<u8>, Error> {
    serde_json::to_vec(body).map_err(|e| Error::Encode {
        operation: meta.id,
        message: e.to_string(),
    })
}

/// The member holding the outcomes: `declared` (`x-fs-batch.items`) when present, else
/// its singular or plural twin (`subscription` / `subscriptions`). `POST
/// /subscriptions/charge` is documented with the singular key for 200 and the plural for
/// 400, and a 2026 client reads the plural from a 200 (see the spec's note there).
pub(crate) fn outcome_key(body: &Value, declared: &str) -> Option<String> {
    if body.get(declared).is_some() {
        return Some(declared.to_string());
    }
    let twin = match declared.strip_suffix('s') {
        Some(singular) => singular.to_string(),
        None => format!("{declared}s"),
    };
    body.get(&twin).is_some().then_some(twin)
}
