//! Checking recorded FastSpring payloads against the generated types.
//!
//! [`check`] decodes a payload with the type the spec gives it and reports either
//! success, *drift* (fields the payload has that the type does not know: the spec is
//! behind FastSpring), or a failure (the payload contradicts the spec). This is what
//! `cargo xtask check-payload` and the example tests run; an application can use it
//! too, for example to log drift seen in production.

use serde_json::Value;

use crate::registry::{Part, SHAPES, Shape};

/// The result of checking one payload against one shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Decoded, and every field is known to the type.
    Ok,
    /// Decoded, but these fields (JSON pointers) are unknown to the type, or hold a value
    /// that could not be read as its type and was kept as sent.
    Drift(Vec<String>),
    /// Did not decode: the JSON pointer of the offending value and the reason.
    Fail {
        /// Where.
        pointer: String,
        /// Why.
        reason: String,
    },
}

impl Outcome {
    /// `ok`, `drift <pointers>` or `fail <pointer>: <reason>`, as `check-payload` prints it.
    pub fn summary(&self) -> String {
        match self {
            Outcome::Ok => "ok".into(),
            Outcome::Drift(pointers) => format!("drift {}", pointers.join(" ")),
            Outcome::Fail { pointer, reason } => {
                format!(
                    "fail {}: {reason}",
                    if pointer.is_empty() { "/" } else { pointer }
                )
            }
        }
    }
}

/// Decodes `payload` with `shape`'s type and compares what the type kept with the payload.
pub fn check(shape: &Shape, payload: &Value) -> Outcome {
    let bytes = match serde_json::to_vec(payload) {
        Ok(b) => b,
        Err(e) => {
            return Outcome::Fail {
                pointer: String::new(),
                reason: e.to_string(),
            };
        }
    };
    let tolerated = crate::codec::unreadable::count();
    match (shape.decode)(&bytes) {
        Err(failure) => Outcome::Fail {
            pointer: failure.pointer,
            reason: failure.message,
        },
        Ok(kept) => {
            let mut unknown = Vec::new();
            unknown_fields(payload, &kept, "", &mut unknown);
            // Values kept as sent because they could not be read as their type are drift
            // too, at their own pointers (`crate::unreadable`).
            if crate::codec::unreadable::count() != tolerated {
                unknown.extend(crate::codec::unreadable::locate(|| {
                    (shape.decode)(&bytes).err().map(|f| (f.pointer, f.message))
                }));
            }
            if unknown.is_empty() {
                Outcome::Ok
            } else {
                Outcome::Drift(unknown)
            }
        }
    }
}

/// JSON pointers of the members of `original` that `kept` lost. `kept` comes from
/// [`crate::runtime::reencode`], which writes every known field, so a lost member is an
/// unknown one even when its value is `null`.
pub fn unknown_fields(original: &Value, kept: &Value, pointer: &str, out: &mut Vec<String>) {
    match (original, kept) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, value) in a {
                let child = format!("{pointer}/{}", key.replace('~', "~0").replace('/', "~1"));
                match b.get(key) {
                    Some(k) => unknown_fields(value, k, &child, out),
                    None => out.push(child),
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for (index, (value, k)) in a.iter().zip(b.iter()).enumerate() {
                unknown_fields(value, k, &format!("{pointer}/{index}"), out);
            }
        }
        _ => {}
    }
}

/// The shapes of an operation, matched by method and path shape (`GET /orders/{x}`
/// matches `GET /orders/{order_id}`: parameter names do not matter).
pub fn shapes_for_endpoint(method: &str, path: &str) -> Vec<&'static Shape> {
    let wanted = path_shape(path);
    SHAPES
        .iter()
        .filter(|s| !matches!(s.part, Part::WebhookData(_)))
        .filter(|s| s.method.eq_ignore_ascii_case(method) && path_shape(s.path) == wanted)
        .collect()
}

/// The shapes of an operation by `operationId`.
pub fn shapes_for_operation(operation_id: &str) -> Vec<&'static Shape> {
    SHAPES
        .iter()
        .filter(|s| s.operation_id == operation_id && !matches!(s.part, Part::WebhookData(_)))
        .collect()
}

/// The `data` shape of a webhook event type.
pub fn webhook_data_shape(event_type: &str) -> Option<&'static Shape> {
    SHAPES
        .iter()
        .find(|s| matches!(s.part, Part::WebhookData(t) if t == event_type))
}

fn path_shape(path: &str) -> String {
    let path = path.split('?').next().unwrap_or(path).trim_end_matches('/');
    path.split('/')
        .map(|seg| {
            if seg.starts_with('{') && seg.ends_with('}') {
                "{}"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Checks a response body against every response shape of an operation: the first
/// that decodes wins (2xx first, then the documented errors, in spec order).
pub fn check_response(shapes: &[&Shape], payload: &Value) -> Outcome {
    let mut responses: Vec<&&Shape> = shapes
        .iter()
        .filter(|s| matches!(s.part, Part::Response(_)))
        .collect();
    responses.sort_by_key(|s| match s.part {
        Part::Response(code) if (200..300).contains(&code) => 0,
        _ => 1,
    });
    let mut first_failure = None;
    let mut best_drift: Option<Vec<String>> = None;
    for shape in responses {
        match check(shape, payload) {
            Outcome::Ok => return Outcome::Ok,
            Outcome::Drift(d) => {
                if best_drift.as_ref().is_none_or(|b| d.len() < b.len()) {
                    best_drift = Some(d);
                }
            }
            fail => {
                first_failure.get_or_insert(fail);
            }
        }
    }
    match (best_drift, first_failure) {
        (Some(d), _) => Outcome::Drift(d),
        (None, Some(f)) => f,
        (None, None) => Outcome::Fail {
            pointer: String::new(),
            reason: "the operation declares no JSON response body".into(),
        },
    }
}

/// Checks a request body against the operation's request shape.
pub fn check_request(shapes: &[&Shape], payload: &Value) -> Outcome {
    match shapes.iter().find(|s| s.part == Part::Request) {
        Some(shape) => check(shape, payload),
        None => Outcome::Fail {
            pointer: String::new(),
            reason: "the operation takes no JSON request body".into(),
        },
    }
}

/// Fields every webhook event carries beside `data`.
pub const EVENT_FIELDS: &[&str] = &[
    "id",
    "event",
    "type",
    "live",
    "processed",
    "created",
    "data",
];

/// Checks a webhook payload for `event_type`: a whole POST body (`{"events": [...]}`),
/// one event object (`{"id", "type", "data", ...}`), or only an event's `data`.
///
/// A POST body often carries events of several types. Each event is checked against its
/// own declared type; at least one must be of `event_type` (or one of its documented
/// aliases). An event of a type the spec does not document is drift at its pointer.
pub fn check_webhook(event_type: &str, payload: &Value) -> Outcome {
    let Some(shape) = webhook_data_shape(event_type) else {
        return Outcome::Fail {
            pointer: String::new(),
            reason: format!("unknown event type `{event_type}`"),
        };
    };
    let events: Vec<(String, &Value)> = match payload.get("events").and_then(Value::as_array) {
        Some(list) => list
            .iter()
            .enumerate()
            .map(|(i, e)| (format!("/events/{i}"), e))
            .collect(),
        None if payload.get("data").is_some() && payload.get("type").is_some() => {
            vec![(String::new(), payload)]
        }
        None => return prefix(check(shape, payload), ""),
    };
    let wanted = |event: &Value| {
        event
            .get("type")
            .and_then(Value::as_str)
            .and_then(webhook_data_shape)
            .is_some_and(|own| own.operation_id == shape.operation_id)
    };
    if !events.iter().any(|(_, event)| wanted(event)) {
        let pointer = match events.as_slice() {
            [(at, _)] => format!("{at}/type"),
            _ => "/events".to_string(),
        };
        return Outcome::Fail {
            pointer,
            reason: format!("no event of type `{event_type}`"),
        };
    }
    let mut drift = Vec::new();
    for (at, event) in &events {
        let Some(obj) = event.as_object() else {
            return Outcome::Fail {
                pointer: at.clone(),
                reason: "an event must be an object".into(),
            };
        };
        let Some(declared) = obj.get("type").and_then(Value::as_str) else {
            return Outcome::Fail {
                pointer: format!("{at}/type"),
                reason: "missing event type".into(),
            };
        };
        if obj.get("id").and_then(Value::as_str).is_none() {
            return Outcome::Fail {
                pointer: format!("{at}/id"),
                reason: "missing event id".into(),
            };
        }
        let Some(own) = webhook_data_shape(declared) else {
            drift.push(at.clone());
            continue;
        };
        for key in obj.keys() {
            if !EVENT_FIELDS.contains(&key.as_str()) {
                drift.push(format!("{at}/{key}"));
            }
        }
        match prefix(
            check(own, obj.get("data").unwrap_or(&Value::Null)),
            &format!("{at}/data"),
        ) {
            Outcome::Ok => {}
            Outcome::Drift(d) => drift.extend(d),
            fail => return fail,
        }
    }
    if drift.is_empty() {
        Outcome::Ok
    } else {
        Outcome::Drift(drift)
    }
}

fn prefix(outcome: Outcome, at: &str) -> Outcome {
    match outcome {
        Outcome::Ok => Outcome::Ok,
        Outcome::Drift(d) => Outcome::Drift(d.into_iter().map(|p| format!("{at}{p}")).collect()),
        Outcome::Fail { pointer, reason } => Outcome::Fail {
            pointer: format!("{at}{pointer}"),
            reason,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_fields_lists_lost_members_nulls_included() {
        let original = json!({"a": 1, "b": {"c": 2, "d": 3}, "e": null, "f": [{"g": 1, "h": 2}]});
        let kept = json!({"a": 1, "b": {"c": 2}, "f": [{"g": 1}]});
        let mut out = Vec::new();
        unknown_fields(&original, &kept, "", &mut out);
        assert_eq!(out, vec!["/b/d", "/e", "/f/0/h"]);
    }

    #[test]
    fn path_shapes_ignore_parameter_names() {
        assert_eq!(path_shape("/orders/{order_id}"), path_shape("/orders/{id}"));
        assert_ne!(path_shape("/orders/{id}"), path_shape("/orders"));
    }
}
