//! Paged listings (`x-fs-paging`): `pages` and `items` streams, the next request per
//! paging style, and the guards that stop a server whose paging does not advance.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::client::Client;
use crate::decode::{decode_json, decode_value};
use crate::error::Error;
use crate::request::{OperationMeta, PagingStyle, Request};

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
    match request.meta.paging.map(|p| p.style) {
        Some(PagingStyle::Page) => next_page_number(request, value, state),
        Some(PagingStyle::Events) => next_event_window(request, value, state),
        Some(PagingStyle::Report | PagingStyle::None) | None => Ok(false),
    }
}

/// `page` style: the next page number, from `nextPage`.
fn next_page_number(
    request: &mut Request,
    value: &Value,
    state: &mut PageState,
) -> Result<bool, Error> {
    let meta = request.meta;
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

/// `events` style: the next window starts at the last event's `created`.
fn next_event_window(
    request: &mut Request,
    value: &mut Value,
    state: &mut PageState,
) -> Result<bool, Error> {
    let meta = request.meta;
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

/// The pages of a paged operation as `Value`s, each with its operation and status.
pub(crate) fn page_values<'a>(
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
        let mut value: Value = match decode_json(meta.id, false, status, &body) {
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
            Ok((meta, status, mut value)) => match take_items(meta, &mut value, items_key) {
                Ok(items) => items
                    .into_iter()
                    .enumerate()
                    .map(|(i, item)| {
                        decode_value(meta, status, &format!("{items_key}[{i}]."), item)
                    })
                    .collect(),
                Err(e) => vec![Err(e)],
            },
        };
        futures_util::stream::iter(decoded)
    })
}

/// The array `items_key` of a page, taken out of it (none when absent or `null`).
pub(crate) fn take_items(
    meta: &OperationMeta,
    page: &mut Value,
    items_key: &str,
) -> Result<Vec<Value>, Error> {
    match page.get_mut(items_key).map(Value::take) {
        Some(Value::Array(items)) => Ok(items),
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(_) => Err(pagination_error(
            meta,
            format!("`{items_key}` is not an array"),
        )),
    }
}
