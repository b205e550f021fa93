//! Per-item outcomes of batch operations.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::runtime::OperationMeta;
use crate::{DecodeError, Error};

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

/// What happened to each item of a batch call. A 200 from FastSpring can still carry
/// failed items; this type never hides them.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchOutcome<T> {
    /// Operation that produced it.
    pub operation: &'static str,
    /// HTTP status of the reply. Usually 200; FastSpring answers some batches in which
    /// items failed with 400 (or 500), and those are reported item by item too.
    pub status: u16,
    /// Every item, in response order.
    pub items: Vec<Result<T, ItemError>>,
}

impl<T> BatchOutcome<T> {
    /// The items that succeeded.
    pub fn succeeded(&self) -> impl Iterator<Item = &T> {
        self.items.iter().filter_map(|r| r.as_ref().ok())
    }

    /// The items that failed.
    pub fn failed(&self) -> impl Iterator<Item = &ItemError> {
        self.items.iter().filter_map(|r| r.as_ref().err())
    }

    /// Whether every item succeeded.
    pub fn all_succeeded(&self) -> bool {
        self.items.iter().all(Result::is_ok)
    }

    /// The successful items, or [`Error::ItemFailures`] listing every failed one.
    pub fn into_result(self) -> Result<Vec<T>, Error> {
        let total = self.items.len();
        let (ok, failed): (Vec<_>, Vec<_>) = self.items.into_iter().partition(Result::is_ok);
        if failed.is_empty() {
            Ok(ok.into_iter().filter_map(Result::ok).collect())
        } else {
            Err(Error::ItemFailures {
                operation: self.operation,
                total,
                failures: failed.into_iter().filter_map(Result::err).collect(),
            })
        }
    }
}

/// Whether an error reply of operation `meta` is a per-item report
/// (`{"<items>": [{"result": …}, …]}`) rather than a failure of the whole request. Such a
/// reply is final (retrying repeats the same verdict, and may repeat the items that
/// succeeded) and is returned item by item.
pub(crate) fn is_item_report(meta: &OperationMeta, body: &crate::ErrorBody) -> bool {
    let (Some(batch), Some(json)) = (meta.batch, body.json()) else {
        return false;
    };
    outcome_key(json, batch.items)
        .and_then(|key| json.get(&key))
        .and_then(Value::as_array)
        .is_some_and(|items| {
            !items.is_empty()
                && items
                    .iter()
                    .all(|item| item.get("result").is_some() || item.get("error").is_some())
        })
}

/// Sends a batch request and reports every item: after a 2xx, and after an error status
/// whose body is a per-item report.
pub(crate) async fn send<T: DeserializeOwned>(
    client: &crate::Client,
    request: crate::runtime::Request,
) -> Result<BatchOutcome<T>, Error> {
    let meta = request.meta;
    match client.execute(request).await {
        Ok((status, body)) => outcomes(meta, status, &body),
        Err(Error::Api { status, body, .. }) if is_item_report(meta, &body) => {
            let value = body.json().cloned().unwrap_or_default();
            outcomes_of(meta, status, value, &[])
        }
        Err(error) => Err(error),
    }
}

/// Whether FastSpring marks a batch item as failed: `"result": "error"`, or an `error`
/// member without any `result` (seen in trimmed error items).
fn reports_failure(item: &Value) -> bool {
    match item.get("result") {
        Some(result) => result.as_str() == Some("error"),
        None => item.get("error").is_some_and(|e| !e.is_null()),
    }
}

/// Splits a batch response into per-item outcomes.
pub(crate) fn outcomes<T: DeserializeOwned>(
    meta: &OperationMeta,
    status: u16,
    body: &[u8],
) -> Result<BatchOutcome<T>, Error> {
    if meta.batch.is_none() {
        return Err(Error::Config(format!(
            "{} reports no per-item outcomes",
            meta.id
        )));
    }
    let value: Value = crate::client::decode_json(meta.id, true, status, body)?;
    outcomes_of(meta, status, value, body)
}

// --- outcome key (spec audit N1) ---
/// The member holding the outcomes: `declared` (`x-fs-batch.items`) when present, else
/// its singular or plural twin (`subscription` / `subscriptions`). `POST
/// /subscriptions/charge` is documented with the singular key for 200 and the plural for
/// 400, and a 2026 client reads the plural from a 200 (see the spec's note there).
fn outcome_key(body: &Value, declared: &str) -> Option<String> {
    if body.get(declared).is_some() {
        return Some(declared.to_string());
    }
    let twin = match declared.strip_suffix('s') {
        Some(singular) => singular.to_string(),
        None => format!("{declared}s"),
    };
    body.get(&twin).is_some().then_some(twin)
}
// --- end outcome key ---

/// Splits a decoded batch response into per-item outcomes (`body`: the raw bytes, for
/// error excerpts; empty when the value came from an error body).
fn outcomes_of<T: DeserializeOwned>(
    meta: &OperationMeta,
    status: u16,
    mut value: Value,
    body: &[u8],
) -> Result<BatchOutcome<T>, Error> {
    let Some(batch) = meta.batch else {
        return Err(Error::Config(format!(
            "{} reports no per-item outcomes",
            meta.id
        )));
    };
    let key = outcome_key(&value, batch.items);
    let listed = match key.and_then(|key| value.get_mut(&key)) {
        Some(Value::Array(items)) => Some(std::mem::take(items)),
        // One outcome object under the key (older `POST /products/offers` replies).
        Some(item @ Value::Object(_)) if item.get("result").is_some() => Some(vec![item.take()]),
        _ => None,
    };
    let items = match listed {
        Some(items) => items,
        // A single outcome at top level (some endpoints answer so for one item).
        None if value.get("result").is_some() => vec![value],
        _ => {
            return Err(Error::Decode(Box::new(DecodeError {
                operation: meta.id,
                status,
                path: batch.items.to_string(),
                message: format!("expected an array `{}` of per-item outcomes", batch.items),
                excerpt: if body.is_empty() {
                    crate::error::excerpt_json(&value, crate::error::EXCERPT_LIMIT)
                } else {
                    crate::error::excerpt(body, crate::error::EXCERPT_LIMIT)
                },
            })));
        }
    };
    let mut out = Vec::with_capacity(items.len());
    for (index, item) in items.into_iter().enumerate() {
        let id = item.get(batch.id).and_then(|v| {
            v.as_str()
                .map(str::to_string)
                .or_else(|| (!v.is_null()).then(|| v.to_string()))
        });
        if reports_failure(&item) {
            let body = crate::ErrorBody::from_json(item.clone());
            out.push(Err(ItemError {
                index,
                id,
                messages: body.field_errors(),
                raw: item,
                undecodable: None,
            }));
            continue;
        }
        // One item that does not fit its type must not hide the others' outcomes.
        match serde_path_to_error::deserialize(&item) {
            Ok(decoded) => out.push(Ok(decoded)),
            Err(e) => {
                out.push(Err(ItemError {
                    index,
                    id,
                    messages: BTreeMap::new(),
                    undecodable: Some(Box::new(DecodeError {
                        operation: meta.id,
                        status,
                        path: format!("{}[{index}].{}", batch.items, e.path()),
                        message: crate::error::cap(e.inner().to_string()),
                        excerpt: crate::error::excerpt_json(&item, crate::error::EXCERPT_LIMIT),
                    })),
                    raw: item,
                }));
            }
        }
    }
    Ok(BatchOutcome {
        operation: meta.id,
        status,
        items: out,
    })
}
