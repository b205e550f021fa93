//! Batch operations (`x-fs-batch`): every item's outcome, also when FastSpring answers
//! the per-item report with an error status.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::client::Client;
use crate::decode::decode_json;
use crate::error::{
    DecodeError, EXCERPT_LIMIT, Error, ErrorBody, ItemError, cap, excerpt, excerpt_json,
};
use crate::request::{OperationMeta, Request};

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

/// Sends a batch request and reports every item's outcome: after a 2xx, and after an
/// error status whose body is a per-item report.
pub async fn send_batch<T: DeserializeOwned>(
    client: &Client,
    request: Request,
) -> Result<BatchOutcome<T>, Error> {
    let meta = request.meta;
    match client.execute(request).await {
        Ok((status, body)) => outcomes(meta, status, &body),
        Err(Error::Api { status, body, .. })
            if meta.batch.is_some_and(|batch| batch.is_item_report(&body)) =>
        {
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
fn outcomes<T: DeserializeOwned>(
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
    let value: Value = decode_json(meta.id, true, status, body)?;
    outcomes_of(meta, status, value, body)
}

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
    let key = crate::request::outcome_key(&value, batch.items);
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
                    excerpt_json(&value, EXCERPT_LIMIT)
                } else {
                    excerpt(body, EXCERPT_LIMIT)
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
                .map(crate::error::cap) // security review 2, L1: the server picks the ID
        });
        if reports_failure(&item) {
            let body = ErrorBody::from_json(item.clone());
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
                        path: cap(format!("{}[{index}].{}", batch.items, e.path())),
                        message: cap(e.inner().to_string()),
                        excerpt: excerpt_json(&item, EXCERPT_LIMIT),
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
