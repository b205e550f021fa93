//! The typed events of a delivery.

use serde::Deserialize;
use serde_json::Value;

use super::{MAX_BODY_BYTES, MAX_EVENTS, WebhookError};
use crate::EpochMillis;
use crate::webhook_events::EventData;

/// The body of one webhook POST: one or more events, in the order FastSpring sent them.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    /// The events.
    pub events: Vec<Event>,
}

impl Envelope {
    /// Parses a body **without** checking its signature; use [`parse`](super::parse) for requests.
    ///
    /// The whole body is refused ([`WebhookError::InvalidBody`]) when it is not JSON, has
    /// no `events` array, or an event lacks its `id` or `type` (without an ID it could not
    /// be acknowledged). A known event type whose `data` does not match the spec does
    /// not spoil the batch: that event's [`Event::data`] is an `Err` and the others
    /// decode normally.
    #[inline]
    pub fn parse_unverified(raw_body: &[u8]) -> Result<Envelope, WebhookError> {
        if raw_body.len() > MAX_BODY_BYTES {
            return Err(WebhookError::BodyTooLarge {
                limit: MAX_BODY_BYTES,
            });
        }
        Envelope::parse_limited(raw_body, MAX_EVENTS)
    }

    #[inline]
    pub(super) fn parse_limited(
        raw_body: &[u8],
        max_events: usize,
    ) -> Result<Envelope, WebhookError> {
        // UTF-8 checked once for the whole body, as the client's decode does (reading
        // bytes, serde_json checks each string on its own); a body that is not UTF-8 is
        // read as bytes, whose error says where.
        let body: Value = match std::str::from_utf8(raw_body) {
            Ok(text) => serde_json::from_str(text),
            Err(_) => serde_json::from_slice(raw_body),
        }
        .map_err(|err| WebhookError::InvalidBody {
            message: crate::error::cap(format!("not JSON: {err}")),
        })?;
        let Value::Object(mut body) = body else {
            return Err(WebhookError::InvalidBody {
                message: "the body is not a JSON object".into(),
            });
        };
        let Some(Value::Array(list)) = body.remove("events") else {
            return Err(WebhookError::InvalidBody {
                message: "no `events` array".into(),
            });
        };
        if list.len() > max_events {
            return Err(WebhookError::TooManyEvents { limit: max_events });
        }
        let events = list
            .into_iter()
            .enumerate()
            .map(|(index, value)| {
                Event::from_json(value).map_err(|message| WebhookError::InvalidBody {
                    // The message may quote a field's value: bounded.
                    message: crate::error::cap(format!("/events/{index}: {message}")),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Envelope { events })
    }

    /// The event IDs, in order.
    pub fn ids(&self) -> impl Iterator<Item = &str> + Clone {
        self.events.iter().map(|event| event.id.as_str())
    }
}

/// One webhook event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Event ID: stable across FastSpring's automatic retries (a manual resend from the
    /// app gets a new one); the key for de-duplication and for `POST /events/{id}`.
    pub id: String,
    /// Event type as sent, such as `order.completed`.
    pub event_type: String,
    /// `true` for live data, `false` for test orders; `None` if FastSpring left it out.
    pub live: Option<bool>,
    /// Whether FastSpring considers the event processed (`false` on delivery).
    pub processed: Option<bool>,
    /// When the event was created.
    pub created: Option<EpochMillis>,
    /// The typed payload. A type this crate does not know gives
    /// [`EventData::Unknown`] with the raw `data`; a known type whose `data` does not
    /// match the spec gives `Err` (the raw JSON stays in [`Event::raw`]).
    pub data: Result<EventData, EventDecodeError>,
    /// The whole event object exactly as decoded from the body (`data` included).
    pub raw: Value,
}

/// The `data` of a known event type did not match the spec's shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`data` of {event_type} does not match the spec at {path}: {message}")]
pub struct EventDecodeError {
    /// The event's type.
    pub event_type: String,
    /// Where in `data` decoding failed (`items[0].quantity`; `.` for the top).
    pub path: String,
    /// What was wrong there.
    pub message: String,
}

#[derive(Deserialize)]
struct EventHeader {
    id: String,
    #[serde(rename = "type")]
    event_type: String,
    #[serde(default)]
    live: Option<bool>,
    #[serde(default)]
    processed: Option<bool>,
    #[serde(default)]
    created: Option<EpochMillis>,
}

impl EventHeader {
    /// The header read straight from the event's members, as the derived decoding would
    /// read it; `None` when a member is missing or of another type, for the tracked
    /// decoding to say which.
    fn read(members: &serde_json::Map<String, Value>) -> Option<EventHeader> {
        let text = |key: &str| match members.get(key) {
            Some(Value::String(text)) => Some(text.clone()),
            _ => None,
        };
        let flag = |key: &str| match members.get(key) {
            None | Some(Value::Null) => Some(None),
            Some(Value::Bool(flag)) => Some(Some(*flag)),
            Some(_) => None,
        };
        let created = match members.get("created") {
            None | Some(Value::Null) => None,
            Some(created) => Some(EpochMillis::deserialize(created).ok()?),
        };
        Some(EventHeader {
            id: text("id")?,
            event_type: text("type")?,
            live: flag("live")?,
            processed: flag("processed")?,
            created,
        })
    }
}

impl Event {
    /// Decodes one event object (`{"id", "type", "live", "processed", "created",
    /// "data"}`). Fails only when `id` or `type` is missing or a header field has the
    /// wrong type; a `data` problem ends up in [`Event::data`].
    #[inline]
    pub fn from_json(value: Value) -> Result<Event, String> {
        let Value::Object(members) = &value else {
            return Err("an event must be a JSON object".into());
        };
        let header = match EventHeader::read(members) {
            Some(header) => header,
            None => serde_path_to_error::deserialize::<_, EventHeader>(&value)
                .map_err(|err| format!("{}: {}", err.path(), err.inner()))?,
        };
        // Decoded from the event as parsed, not from a copy of its `data`.
        let data = value.get("data").unwrap_or(&Value::Null);
        Ok(Event {
            data: decode_data(&header.event_type, data),
            id: header.id,
            event_type: header.event_type,
            live: header.live,
            processed: header.processed,
            created: header.created,
            raw: value,
        })
    }

    /// Turns an event listed by `GET /events/unprocessed` (or `/processed`) into the
    /// same typed event a webhook delivery gives.
    #[cfg(feature = "events")]
    #[inline]
    pub fn from_stored(stored: crate::events::StoredEvent) -> Event {
        // The members FastSpring sent, as `StoredEvent` knows them (response types do
        // not implement `Serialize` without the `serialize` feature).
        let mut raw = serde_json::Map::new();
        raw.insert("id".into(), Value::from(stored.id.as_str()));
        if let Some(event) = &stored.event {
            raw.insert("event".into(), Value::from(event.as_str()));
        }
        raw.insert("type".into(), Value::from(stored.r#type.as_str()));
        if let Some(live) = stored.live {
            raw.insert("live".into(), Value::from(live));
        }
        if let Some(processed) = stored.processed {
            raw.insert("processed".into(), Value::from(processed));
        }
        if let Some(created) = &stored.created {
            raw.insert(
                "created".into(),
                created
                    .get()
                    .map_or_else(|| Value::from(created.to_string()), Value::from),
            );
        }
        if let Some(data) = &stored.data {
            raw.insert("data".into(), data.clone());
        }
        let raw = Value::Object(raw);
        let data = stored.data.as_ref().unwrap_or(&Value::Null);
        Event {
            data: decode_data(&stored.r#type, data),
            id: stored.id,
            event_type: stored.r#type,
            live: stored.live,
            processed: stored.processed,
            created: stored.created,
            raw,
        }
    }

    /// The typed payload, when it decoded.
    pub fn decoded(&self) -> Option<&EventData> {
        self.data.as_ref().ok()
    }
}

#[inline]
fn decode_data(event_type: &str, data: &Value) -> Result<EventData, EventDecodeError> {
    EventData::decode_ref(event_type, data).map_err(|err| EventDecodeError {
        event_type: event_type.to_string(),
        path: crate::error::cap(err.path().to_string()),
        message: crate::error::cap(err.inner().to_string()),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// The header as the derived, path-tracking decoding reads it.
    fn tracked(event: &Value) -> Result<EventHeader, String> {
        serde_path_to_error::deserialize::<_, EventHeader>(event)
            .map_err(|err| format!("{}: {}", err.path(), err.inner()))
    }

    fn fields(header: &EventHeader) -> (String, String, Option<bool>, Option<bool>, String) {
        (
            header.id.clone(),
            header.event_type.clone(),
            header.live,
            header.processed,
            format!("{:?}", header.created),
        )
    }

    /// The direct reading of the header agrees with the derived decoding on every shape
    /// it takes, and leaves every other shape to it (which says where it failed).
    #[test]
    fn the_direct_header_reading_agrees_with_the_derived_one() {
        let events = [
            json!({"id": "e1", "type": "order.completed"}),
            json!({"id": "e1", "type": "order.completed", "live": true, "processed": false,
                   "created": 1_700_000_000_000i64, "data": {"x": 1}}),
            json!({"id": "e1", "type": "t", "live": null, "processed": null, "created": null}),
            json!({"id": "e1", "type": "t", "created": "2026-01-31"}),
            json!({"id": "e1", "type": "t", "created": 1.5}),
            json!({"id": "", "type": "", "extra": [1, 2]}),
            json!({"type": "t"}),
            json!({"id": "e1"}),
            json!({"id": 7, "type": "t"}),
            json!({"id": "e1", "type": ["t"]}),
            json!({"id": "e1", "type": "t", "live": "yes"}),
            json!({"id": "e1", "type": "t", "processed": 0}),
            json!({"id": "e1", "type": "t", "created": [1]}),
            json!({"id": "e1", "type": "t", "created": {"at": 1}}),
        ];
        for event in events {
            let Value::Object(members) = &event else {
                unreachable!()
            };
            match (EventHeader::read(members), tracked(&event)) {
                (Some(direct), Ok(derived)) => {
                    assert_eq!(fields(&direct), fields(&derived), "{event}");
                }
                (None, Err(message)) => assert!(!message.is_empty(), "{event}"),
                (direct, derived) => panic!(
                    "{event}: direct {:?}, derived {:?}",
                    direct.as_ref().map(fields),
                    derived.as_ref().map(fields)
                ),
            }
        }
    }

    /// `EventData::decode` (owned `data`) and `decode_ref` (borrowed) give the same
    /// typed data, the same raw `data` for an unknown type, and the same error path.
    #[test]
    fn decoding_owned_or_borrowed_data_agrees() {
        let cases = [
            (
                "account.created",
                json!({"id": "acct-1", "account": "acct-1", "contact": {"email": "a@example.com"}}),
            ),
            ("invoice.paid.someday", json!({"invoice": "inv-9"})),
            (
                "order.completed",
                json!({"id": "ord-1", "items": {"product": "nineteen"}}),
            ),
        ];
        for (event_type, data) in cases {
            let borrowed = EventData::decode_ref(event_type, &data);
            let owned = EventData::decode(event_type, data.clone());
            match (borrowed, owned) {
                (Ok(borrowed), Ok(owned)) => {
                    assert_ne!(event_type, "order.completed", "its `items` is not a list");
                    assert_eq!(borrowed, owned, "{event_type}");
                }
                (Err(borrowed), Err(owned)) => {
                    assert_eq!(borrowed.path().to_string(), owned.path().to_string());
                    assert_eq!(borrowed.path().to_string(), "items");
                }
                (borrowed, owned) => panic!("{event_type}: {borrowed:?} vs {owned:?}"),
            }
        }
        let Ok(EventData::Unknown { data, .. }) =
            EventData::decode("invoice.paid.someday", json!({"invoice": "inv-9"}))
        else {
            panic!("an unknown type is kept raw");
        };
        assert_eq!(data, json!({"invoice": "inv-9"}));
    }

    /// A header the direct reading refuses still fails with the member's path.
    #[test]
    fn a_bad_header_names_its_member() {
        let error = Event::from_json(json!({"id": "e1", "type": "t", "live": "yes"}))
            .expect_err("`live` must be a boolean");
        assert!(error.starts_with("live: "), "{error}");
        let error = Event::from_json(json!({"type": "t"})).expect_err("`id` is required");
        assert!(error.contains("missing field `id`"), "{error}");
    }
}
