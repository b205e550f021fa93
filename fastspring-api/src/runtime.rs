//! The glue the generated code calls: operation metadata, request descriptions,
//! path encoding, payload re-encoding and the multi-ID helper. Not a stable API.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::{Client, Error, RequestOptions};

#[path = "object.rs"]
pub mod object;
#[path = "union.rs"]
pub mod union;

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
    /// `page`, `events`, `report` or `none`.
    pub style: &'static str,
    /// Response property holding the items.
    pub items: Option<&'static str>,
}

/// `x-fs-batch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchMeta {
    /// Response property holding one outcome per item.
    pub items: &'static str,
    /// Property of an outcome naming its subject.
    pub id: &'static str,
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
pub fn encode_path_ids(
    operation: &'static str,
    name: &str,
    ids: &crate::Ids,
) -> Result<String, Error> {
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

/// How the client decodes a 2xx JSON body into `T` (for the benchmarks; not a stable
/// API): see [`Client`]'s operations.
pub use crate::client::decode_json;

/// Runs everything the client does with a response body except the typed decode
/// (which the registry's `decode` of each shape covers): the `"result": "error"` check,
/// the 2xx decode wrapper, the error-body reading with its message and field errors,
/// and the excerpts. For the fuzz tests; not a stable API.
#[doc(hidden)]
pub fn exercise_response_handling(status: u16, body: &[u8]) -> String {
    let decoded: Result<serde::de::IgnoredAny, Error> =
        crate::client::decode_json("fuzz", false, status, body);
    let error = crate::ErrorBody::from_bytes(body);
    let mut out = match decoded {
        Ok(_) => String::new(),
        Err(e) => e.to_string(),
    };
    out.push_str(&error.to_string());
    out.push_str(&format!("{:?}", error.field_errors()));
    out.push_str(&crate::error::excerpt(body, crate::error::EXCERPT_LIMIT));
    if let Some(json) = error.json() {
        out.push_str(&crate::error::excerpt_json(
            json,
            crate::error::EXCERPT_LIMIT,
        ));
    }
    out
}

/// Serializes a request body.
pub fn encode_body<T: Serialize>(meta: &OperationMeta, body: &T) -> Result<Vec<u8>, Error> {
    serde_json::to_vec(body).map_err(|e| Error::Encode {
        operation: meta.id,
        message: e.to_string(),
    })
}

/// Why a payload did not decode into its generated type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeFailure {
    /// JSON pointer of the offending value (`/orders/0/items/2/quantity`).
    pub pointer: String,
    /// What serde reported.
    pub message: String,
}

#[cfg(feature = "payload-check")]
/// Decodes `bytes` into `T` and serializes it back, so callers can compare what the
/// type kept with what was sent. Every field the type knows is written back, absent
/// optional ones as `null`, so a `null` the payload sends in a field the type does not
/// know stays visible as a lost member.
pub fn reencode<T: DeserializeOwned + Serialize>(bytes: &[u8]) -> Result<Value, DecodeFailure> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut de)
        .map_err(|e| through_unions(path_to_pointer(e.path()), e.inner().to_string()))?;
    let _nulls = WriteNulls::on();
    serde_json::to_value(&value).map_err(|e| DecodeFailure {
        pointer: String::new(),
        message: format!("re-encoding failed: {e}"),
    })
}

#[cfg(feature = "payload-check")]
/// A union's error says where its closest form failed, relative to the union (see
/// [`Closest`]); this follows those pointers down, through nested unions, to the value
/// that did not fit. The reason keeps the innermost message and names the unions passed.
fn through_unions(mut pointer: String, message: String) -> DecodeFailure {
    let mut rest = message.as_str();
    let mut unions = Vec::new();
    while let Some((union, form, at, inner, relative)) = parse_closest(rest) {
        unions.push(format!("{union} (closest form {form})"));
        // A form read straight from the input was tracked by the caller's path already.
        if relative && at != "/" {
            pointer.push_str(at);
        }
        rest = inner;
    }
    if unions.is_empty() {
        return DecodeFailure { pointer, message };
    }
    DecodeFailure {
        message: format!("{rest}; no form of {} fits", unions.join(", then ")),
        pointer,
    }
}

#[cfg(feature = "payload-check")]
/// Splits a union's error into union, form, pointer, the form's own message and whether
/// the pointer is relative to the union (`closest is`: the form was tried on a buffered
/// value) or already part of the caller's path (`it is read as`: read from the input).
fn parse_closest(message: &str) -> Option<(&str, &str, &str, &str, bool)> {
    let rest = message.strip_prefix("no form of ")?;
    let (union, rest, relative) = match rest.split_once(" fits; closest is ") {
        Some((union, rest)) => (union, rest, true),
        None => {
            let (union, rest) = rest.split_once(" fits; it is read as ")?;
            (union, rest, false)
        }
    };
    let (form, rest) = rest.split_once(", which fails at `")?;
    let (at, inner) = rest.split_once("`: ")?;
    Some((union, form, at, inner, relative))
}

#[cfg(feature = "payload-check")]
thread_local! {
    static WRITE_NULLS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// While alive, [`is_absent`] keeps `None` fields (they serialize as `null`).
#[cfg(feature = "payload-check")]
struct WriteNulls(bool);

#[cfg(feature = "payload-check")]
impl WriteNulls {
    fn on() -> Self {
        WriteNulls(WRITE_NULLS.with(|w| w.replace(true)))
    }
}

#[cfg(feature = "payload-check")]
impl Drop for WriteNulls {
    fn drop(&mut self) {
        WRITE_NULLS.with(|w| w.set(self.0));
    }
}

/// `skip_serializing_if` of the generated optional fields: a `None` is left out of
/// request bodies, but written as `null` while `reencode` checks a payload.
#[cfg(feature = "payload-check")]
pub fn is_absent<T>(value: &Option<T>) -> bool {
    value.is_none() && !WRITE_NULLS.with(std::cell::Cell::get)
}

/// `skip_serializing_if` of the generated optional fields: a `None` is left out.
/// (With the `payload-check` feature, `reencode` can have them written as `null`.)
#[cfg(not(feature = "payload-check"))]
#[inline]
pub fn is_absent<T>(value: &Option<T>) -> bool {
    value.is_none()
}

/// `serde_path_to_error`'s path as a JSON pointer.
pub fn path_to_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for segment in path.iter() {
        out.push('/');
        match segment {
            Segment::Seq { index } => out.push_str(&index.to_string()),
            Segment::Map { key } => out.push_str(&key.replace('~', "~0").replace('/', "~1")),
            Segment::Enum { variant } => out.push_str(variant),
            Segment::Unknown => out.push('?'),
        }
    }
    out
}

/// `Option<Option<T>>` fields: absent → `None`, `null` → `Some(None)`, value → `Some(Some(v))`.
/// Used for optional request fields where sending `null` means something (clearing a
/// value, uncanceling a subscription).
pub mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// Serializes the inner option (`Some(None)` → `null`).
    pub fn serialize<T: Serialize, S: Serializer>(
        value: &Option<Option<T>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(inner) => inner.serialize(serializer),
            None => serializer.serialize_none(),
        }
    }

    /// Present (even `null`) → `Some(..)`.
    pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(deserializer).map(Some)
    }
}

/// Most IDs sent in one multi-ID request; longer lists are split.
pub const MAX_IDS_PER_REQUEST: usize = 50;
/// Longest joined-ID path segment sent in one request.
pub const MAX_JOINED_ID_LEN: usize = 1800;

/// Fetches several resources through a comma-separated-ID path: encodes each ID, joins
/// them with `,`, splits long lists, and flattens whatever shape FastSpring answers with
/// (a bare object for one ID, `{"<items>": [..]}` for several).
pub async fn get_many<T: DeserializeOwned>(
    client: &Client,
    meta: &'static OperationMeta,
    template: Request,
    placeholder: &str,
    items_key: &str,
    ids: &[String],
) -> Result<Vec<T>, Error> {
    let marker = encode_path_param(meta.id, "id", placeholder)?;
    let mut encoded = Vec::with_capacity(ids.len());
    for id in ids {
        encoded.push(
            encode_path_param(meta.id, "id", id).map_err(|_| Error::InvalidInput {
                operation: meta.id,
                message: format!("ID {id:?} cannot be sent as a path segment"),
            })?,
        );
    }
    let mut out = Vec::new();
    let mut chunk: Vec<&str> = Vec::new();
    let mut chunks: Vec<String> = Vec::new();
    let mut len = 0;
    for id in &encoded {
        if !chunk.is_empty()
            && (chunk.len() >= MAX_IDS_PER_REQUEST || len + id.len() + 1 > MAX_JOINED_ID_LEN)
        {
            chunks.push(chunk.join(","));
            chunk.clear();
            len = 0;
        }
        len += id.len() + 1;
        chunk.push(id);
    }
    if !chunk.is_empty() {
        chunks.push(chunk.join(","));
    }
    for joined in chunks {
        let mut request = template.clone();
        request.path = request.path.replace(&marker, &joined);
        let (status, body) = client.execute(request).await?;
        let value: Value = crate::client::decode_json(meta.id, false, status, &body)?;
        let (items, prefix) = match value {
            Value::Object(mut map) if map.get(items_key).is_some_and(Value::is_array) => {
                match map.remove(items_key) {
                    Some(Value::Array(items)) => (items, items_key.to_string()),
                    _ => (Vec::new(), String::new()),
                }
            }
            other => (vec![other], String::new()),
        };
        for (index, item) in items.into_iter().enumerate() {
            let at = if prefix.is_empty() {
                String::new()
            } else {
                format!("{prefix}[{index}].")
            };
            out.push(decode_value(meta, status, &at, item)?);
        }
    }
    Ok(out)
}

/// Sends a batch request (`x-fs-batch`) and reports every item's outcome, also when
/// FastSpring answers the per-item report with an error status.
pub async fn send_batch<T: DeserializeOwned>(
    client: &Client,
    request: Request,
) -> Result<crate::BatchOutcome<T>, Error> {
    crate::batch::send(client, request).await
}

/// Most pages a pagination stream fetches before it gives up (a guard against loops).
pub const MAX_PAGES: usize = 10_000;

struct PageState {
    request: Option<Request>,
    pending_error: Option<Error>,
    pages: usize,
    seen_events: std::collections::HashSet<String>,
    /// Fingerprint of the previous page's items (repeated content stops paging).
    last_items: Option<u64>,
}

/// A fingerprint of a JSON value (for spotting a page that repeats the previous one).
fn fingerprint(value: &Value) -> u64 {
    use std::hash::{Hash, Hasher};
    fn feed(value: &Value, h: &mut std::collections::hash_map::DefaultHasher) {
        match value {
            Value::Null => 0u8.hash(h),
            Value::Bool(b) => (1u8, b).hash(h),
            Value::Number(n) => (2u8, n.to_string()).hash(h),
            Value::String(s) => (3u8, s).hash(h),
            Value::Array(items) => {
                (4u8, items.len()).hash(h);
                items.iter().for_each(|v| feed(v, h));
            }
            Value::Object(map) => {
                (5u8, map.len()).hash(h);
                for (k, v) in map {
                    k.hash(h);
                    feed(v, h);
                }
            }
        }
    }
    let mut h = std::collections::hash_map::DefaultHasher::new();
    feed(value, &mut h);
    h.finish()
}

fn pagination_error(meta: &OperationMeta, message: String) -> Error {
    Error::Pagination {
        operation: meta.id,
        message,
    }
}

/// Decides the request for the page after `value`, or why paging must stop. Events
/// already returned by an earlier window are taken out of `value`.
fn next_page(
    request: &mut Request,
    value: &mut Value,
    state: &mut PageState,
) -> Result<bool, Error> {
    let meta = request.meta;
    let style = meta.paging.map(|p| p.style).unwrap_or("none");
    match style {
        "page" => {
            let Some(next) = value
                .get("nextPage")
                .and_then(|v| v.as_i64().or_else(|| v.as_str()?.trim().parse().ok()))
            else {
                return Ok(false);
            };
            // A server that ignores `page` may report page 1 whatever was asked: the
            // next page must lie past both the page asked for and the page reported.
            let requested = request
                .query
                .iter()
                .find(|(k, _)| *k == "page")
                .and_then(|(_, v)| v.parse::<i64>().ok());
            let reported = value.get("page").and_then(Value::as_i64);
            let current = match (requested, reported) {
                (Some(a), Some(b)) => a.max(b),
                (a, b) => a.or(b).unwrap_or(1),
            };
            if next <= current {
                return Err(pagination_error(
                    meta,
                    format!("nextPage {next} does not advance past page {current}"),
                ));
            }
            // The same items as the page before: the server is not paging.
            if let Some(items) = meta.paging.and_then(|p| p.items).and_then(|k| value.get(k))
                && items.as_array().is_some_and(|a| !a.is_empty())
            {
                let print = fingerprint(items);
                if state.last_items == Some(print) {
                    return Err(pagination_error(
                        meta,
                        format!("page {current} repeats the items of the page before"),
                    ));
                }
                state.last_items = Some(print);
            }
            request.set_query("page", next.to_string());
            Ok(true)
        }
        "events" => {
            let items_key = meta.paging.and_then(|p| p.items).unwrap_or("events");
            let mut fresh = 0;
            let mut last_created: Option<i64> = None;
            if let Some(Value::Array(events)) = value.get_mut(items_key) {
                // Windows overlap by a millisecond (see below): drop what was returned.
                events.retain(|event| match event.get("id").and_then(Value::as_str) {
                    Some(id) => state.seen_events.insert(id.to_string()),
                    None => true,
                });
                fresh = events.len();
                last_created = events
                    .iter()
                    .filter_map(|e| {
                        e.get("created")
                            .and_then(|c| c.as_i64().or_else(|| c.as_f64().map(|f| f as i64)))
                    })
                    .max();
            }
            if value.get("more").and_then(Value::as_bool) != Some(true) {
                return Ok(false);
            }
            if fresh == 0 {
                return Err(pagination_error(
                    meta,
                    "`more` is true but the window brought no new event".into(),
                ));
            }
            let last_created = last_created.ok_or_else(|| {
                pagination_error(
                    meta,
                    "`more` is true but the events carry no `created` time".into(),
                )
            })?;
            // The next window starts at the last event's millisecond, not after it:
            // events of that millisecond that did not fit in this window come next,
            // and the ones already returned are dropped above.
            request.query.retain(|(k, _)| *k != "days");
            request.set_query("begin", last_created.to_string());
            Ok(true)
        }
        _ => Ok(false),
    }
}

fn page_values<'a>(
    client: &'a Client,
    request: Result<Request, Error>,
) -> impl futures_util::Stream<Item = Result<(&'static OperationMeta, u16, Value), Error>> + Send + 'a
{
    let state = match request {
        Ok(request) => PageState {
            request: Some(request),
            pending_error: None,
            pages: 0,
            seen_events: Default::default(),
            last_items: None,
        },
        Err(e) => PageState {
            request: None,
            pending_error: Some(e),
            pages: 0,
            seen_events: Default::default(),
            last_items: None,
        },
    };
    futures_util::stream::unfold(state, move |mut state| async move {
        if let Some(error) = state.pending_error.take() {
            return Some((Err(error), state));
        }
        let mut request = state.request.take()?;
        let meta = request.meta;
        state.pages += 1;
        if state.pages > MAX_PAGES {
            return Some((
                Err(pagination_error(
                    meta,
                    format!("more than {MAX_PAGES} pages"),
                )),
                state,
            ));
        }
        let (status, body) = match client.execute(request.clone()).await {
            Ok(ok) => ok,
            Err(e) => return Some((Err(e), state)),
        };
        let mut value: Value = match crate::client::decode_json(meta.id, false, status, &body) {
            Ok(v) => v,
            Err(e) => return Some((Err(e), state)),
        };
        drop(body);
        match next_page(&mut request, &mut value, &mut state) {
            Ok(true) => state.request = Some(request),
            Ok(false) => {}
            Err(e) => state.pending_error = Some(e),
        }
        Some((Ok((meta, status, value)), state))
    })
}

fn decode_value<T: DeserializeOwned>(
    meta: &OperationMeta,
    status: u16,
    path_prefix: &str,
    value: Value,
) -> Result<T, Error> {
    let tolerated = crate::unreadable::count();
    let decoded = serde_path_to_error::deserialize(&value).map_err(|e| {
        Error::Decode(Box::new(crate::DecodeError {
            operation: meta.id,
            status,
            path: format!("{path_prefix}{}", e.path()),
            message: crate::error::cap(e.inner().to_string()),
            excerpt: crate::error::excerpt_json(&value, crate::error::EXCERPT_LIMIT),
        }))
    });
    // A value that could not be read was kept as sent; say where (issue 17).
    if decoded.is_ok() && crate::unreadable::count() != tolerated {
        crate::unreadable::report(meta.id, &crate::unreadable::locate_in::<T>(&value));
    }
    decoded
}

/// Every page of a paged operation, decoded.
pub fn pages<'a, T: DeserializeOwned + Send + 'a>(
    client: &'a Client,
    request: Result<Request, Error>,
) -> impl futures_util::Stream<Item = Result<T, Error>> + Send + 'a {
    use futures_util::StreamExt;
    page_values(client, request)
        .map(|page| page.and_then(|(meta, status, value)| decode_value(meta, status, "", value)))
}

/// Every item of every page of a paged operation, decoded one by one.
pub fn items<'a, T: DeserializeOwned + Send + 'a>(
    client: &'a Client,
    request: Result<Request, Error>,
    items_key: &'static str,
) -> impl futures_util::Stream<Item = Result<T, Error>> + Send + 'a {
    use futures_util::StreamExt;
    page_values(client, request).flat_map(move |page| {
        let decoded: Vec<Result<T, Error>> = match page {
            Err(e) => vec![Err(e)],
            Ok((meta, status, mut value)) => match value.get_mut(items_key).map(Value::take) {
                Some(Value::Array(items)) => items
                    .into_iter()
                    .enumerate()
                    .map(|(i, item)| {
                        decode_value(meta, status, &format!("{items_key}[{i}]."), item)
                    })
                    .collect(),
                None | Some(Value::Null) => Vec::new(),
                Some(_) => vec![Err(pagination_error(
                    meta,
                    format!("`{items_key}` is not an array"),
                ))],
            },
        };
        futures_util::stream::iter(decoded)
    })
}

/// Generates `required`/`option` deserializers for a lenient scalar from a visitor.
/// With `null_string`, an optional value also reads the string `"null"` as absent.
macro_rules! lenient_scalar {
    ($module:ident, $ty:ty, $visitor:ident, $doc:literal, null_string) => {
        lenient_scalar!(@module $module, $ty, $visitor, $doc, true);
    };
    ($module:ident, $ty:ty, $visitor:ident, $doc:literal) => {
        lenient_scalar!(@module $module, $ty, $visitor, $doc, false);
    };
    (@module $module:ident, $ty:ty, $visitor:ident, $doc:literal, $null_string:literal) => {
        #[doc = $doc]
        pub mod $module {
            use super::lenient_visitors::$visitor;
            use serde::Deserializer;
            use serde::de::{self, Visitor};
            use std::fmt;

            struct OptionVisitor;

            impl<'de> Visitor<'de> for OptionVisitor {
                type Value = Option<$ty>;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("a value or null")
                }
                fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                    Ok(None)
                }
                fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                    Ok(None)
                }
                fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                    d.deserialize_any(NullStringOr)
                }
            }

            /// The visitor's values (with `null_string`, the string `"null"` as absent);
            /// a scalar it cannot read is absent and reported (`crate::unreadable`).
            struct NullStringOr;

            // --- unreadable values (issue 17): an optional scalar that cannot be read is absent ---
            #[cold]
            fn unreadable<E: de::Error>(sent: &dyn fmt::Display) -> Result<Option<$ty>, E> {
                crate::unreadable::tolerate::<E>(concat!("a value of type ", stringify!($ty)), sent)?;
                Ok(None)
            }

            #[inline]
            fn tolerant<E: de::Error>(read: Result<$ty, E>, sent: &dyn fmt::Display) -> Result<Option<$ty>, E> {
                match read {
                    Ok(value) => Ok(Some(value)),
                    Err(_) => unreadable(sent),
                }
            }
            // --- end unreadable values ---

            impl<'de> Visitor<'de> for NullStringOr {
                type Value = Option<$ty>;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    $visitor.expecting(f)
                }
                fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                    Ok(None)
                }
                fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                    if $null_string && v.trim() == "null" {
                        Ok(None)
                    } else {
                        tolerant($visitor.visit_str(v), &format_args!("{v:?}"))
                    }
                }
                fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                    self.visit_str(&v)
                }
                fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                    tolerant($visitor.visit_i64(v), &v)
                }
                fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                    tolerant($visitor.visit_u64(v), &v)
                }
                fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                    tolerant($visitor.visit_f64(v), &v)
                }
                fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                    tolerant($visitor.visit_bool(v), &v)
                }
            }

            /// [`required`] as a seed (what `object!` reads a field with).
            pub struct Required;

            impl<'de> de::DeserializeSeed<'de> for Required {
                type Value = $ty;
                #[inline]
                fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<$ty, D::Error> {
                    required(d)
                }
            }

            /// [`option`] as a seed (what `object!` reads a field with).
            pub struct Optional;

            impl<'de> de::DeserializeSeed<'de> for Optional {
                type Value = Option<$ty>;
                #[inline]
                fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<$ty>, D::Error> {
                    option(d)
                }
            }

            /// A required value.
            pub fn required<'de, D: Deserializer<'de>>(deserializer: D) -> Result<$ty, D::Error> {
                deserializer.deserialize_any($visitor)
            }

            /// An optional (or null) value.
            pub fn option<'de, D: Deserializer<'de>>(
                deserializer: D,
            ) -> Result<Option<$ty>, D::Error> {
                deserializer.deserialize_option(OptionVisitor)
            }
        }
    };
}

mod lenient_visitors {
    use serde::de::{self, Visitor};
    use std::fmt;

    /// Strings, and numbers or booleans written where a string was documented.
    pub struct StringVisitor;

    impl Visitor<'_> for StringVisitor {
        type Value = String;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
            Ok(v)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<String, E> {
            Ok(v.to_string())
        }
    }

    /// Integers, whole floats (`1.0`) and numeric strings; a fraction is an error.
    pub struct IntVisitor;

    impl Visitor<'_> for IntVisitor {
        type Value = i64;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an integer")
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
            Ok(v)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
            i64::try_from(v).map_err(|_| E::custom(format!("{v} is out of range")))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<i64, E> {
            if v.fract() == 0.0 && v.abs() < 9.0e15 {
                Ok(v as i64)
            } else {
                Err(E::invalid_type(de::Unexpected::Float(v), &self))
            }
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<i64, E> {
            v.trim()
                .parse()
                .map_err(|_| E::invalid_type(de::Unexpected::Str(v), &self))
        }
    }

    /// Numbers, and numeric strings (`"12.5"`).
    pub struct FloatVisitor;

    impl Visitor<'_> for FloatVisitor {
        type Value = f64;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a number")
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
            Ok(v as f64)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
            Ok(v as f64)
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
            Ok(v)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<f64, E> {
            match v.trim().parse::<f64>() {
                Ok(n) if n.is_finite() => Ok(n),
                _ => Err(E::invalid_type(de::Unexpected::Str(v), &self)),
            }
        }
    }

    /// Booleans, and the strings `"true"`/`"false"`.
    pub struct BoolVisitor;

    impl Visitor<'_> for BoolVisitor {
        type Value = bool;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a boolean")
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
            Ok(v)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
            match v.trim() {
                "true" | "TRUE" | "True" => Ok(true),
                "false" | "FALSE" | "False" => Ok(false),
                _ => Err(E::invalid_type(de::Unexpected::Str(v), &self)),
            }
        }
    }
}

lenient_scalar!(
    lenient_int,
    i64,
    IntVisitor,
    "Integers that FastSpring sometimes writes as whole floats (`\"quantity\": 1.0`) or numeric strings, and an optional integer sent as the string `\"null\"` (absent); a fraction is still an error.",
    null_string
);
lenient_scalar!(
    lenient_string,
    String,
    StringVisitor,
    "Response strings that FastSpring sometimes sends as numbers or booleans (`\"postalCode\": 93101`)."
);
lenient_scalar!(
    lenient_float,
    f64,
    FloatVisitor,
    "Response numbers that FastSpring sometimes sends as numeric strings (`\"taxRate\": \"0.2\"`)."
);
lenient_scalar!(
    lenient_bool,
    bool,
    BoolVisitor,
    "Response booleans that FastSpring sometimes sends as `\"true\"`/`\"false\"`."
);

/// The form of a union that came closest to fitting: the one that failed deepest.
#[derive(Debug)]
pub struct Closest {
    union: &'static str,
    best: Option<(&'static str, DecodeFailure)>,
}

impl Closest {
    /// Starts collecting failures for union `union`.
    pub fn new(union: &'static str) -> Closest {
        Closest { union, best: None }
    }

    /// Records that `form` did not fit.
    pub fn note(&mut self, form: &'static str, failure: DecodeFailure) {
        let depth = failure.pointer.matches('/').count();
        let deeper = self
            .best
            .as_ref()
            .is_none_or(|(_, b)| depth > b.pointer.matches('/').count());
        if deeper {
            self.best = Some((form, failure));
        }
    }
}

impl std::fmt::Display for Closest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.best {
            Some((form, failure)) => write!(
                f,
                "no form of {} fits; closest is {form}, which fails at `{}`: {}",
                self.union,
                if failure.pointer.is_empty() {
                    "/"
                } else {
                    &failure.pointer
                },
                failure.message
            ),
            None => write!(f, "{} has no forms", self.union),
        }
    }
}

/// Decodes a string enum from a borrowed or owned string without allocating for the
/// values it knows.
pub fn deserialize_str_enum<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: for<'a> From<&'a str>,
{
    struct StrEnum<T>(std::marker::PhantomData<T>);
    impl<T: for<'a> From<&'a str>> serde::de::Visitor<'_> for StrEnum<T> {
        type Value = T;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a string")
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<T, E> {
            Ok(T::from(v))
        }
    }
    deserializer.deserialize_str(StrEnum(std::marker::PhantomData))
}

/// Implements a generated string enum's `as_str`, `From<&str>`, `Display`, `Serialize`,
/// `Deserialize` (unknown values kept in `Unknown`) and `JsonSchema`:
/// `string_enum!(Name { Variant = "json", … })`.
#[allow(unused_macros)] // the generated code (gated by group features) uses it
macro_rules! string_enum {
    ($name:ident { $($variant:ident = $json:literal),* $(,)? }) => {
        impl $name {
            /// The value as FastSpring spells it.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $json,)*
                    Self::Unknown(other) => other,
                }
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                match value {
                    $($json => Self::$variant,)*
                    other => Self::Unknown(other.to_string()),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                $crate::runtime::deserialize_str_enum(deserializer)
            }
        }

        #[cfg(feature = "schemars")]
        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({ "type": "string", "enum": [$($json),*] })
            }
        }
    };
}

#[allow(unused_imports)] // the generated code (gated by group features) uses it
pub(crate) use string_enum;

/// What every request builder has besides its own inputs: per-request options, and
/// `IntoFuture` so that the builder itself can be awaited (its `send()`, boxed).
/// `request_builder!(ListOrdersBuilder => OrderListResponse)`.
#[allow(unused_macros)] // the generated code (gated by group features) uses it
macro_rules! request_builder {
    ($builder:ident => $output:ty) => {
        impl<'a> $builder<'a> {
            /// Overrides the client's timeout for this request.
            pub fn timeout(mut self, timeout: std::time::Duration) -> Self {
                self.options.timeout = Some(timeout);
                self
            }

            /// Replaces all per-request options.
            pub fn options(mut self, options: $crate::RequestOptions) -> Self {
                self.options = options;
                self
            }

            /// Lets the retry policy repeat this request even though repeating it may not
            /// be safe (a POST that creates something). Off by default.
            pub fn retry_non_idempotent(mut self) -> Self {
                self.options.retry_non_idempotent = true;
                self
            }
        }

        impl<'a> std::future::IntoFuture for $builder<'a> {
            type Output = Result<$output, $crate::Error>;
            type IntoFuture =
                std::pin::Pin<Box<dyn std::future::Future<Output = Self::Output> + Send + 'a>>;

            // Inline: the decoder behind `send` is compiled where the request is awaited.
            #[inline]
            fn into_future(self) -> Self::IntoFuture {
                Box::pin(self.send())
            }
        }
    };
}

#[allow(unused_imports)] // the generated code (gated by group features) uses it
pub(crate) use request_builder;
