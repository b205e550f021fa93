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
        let body: Value =
            serde_json::from_slice(raw_body).map_err(|err| WebhookError::InvalidBody {
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
    pub fn ids(&self) -> impl Iterator<Item = &str> {
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

impl Event {
    /// Decodes one event object (`{"id", "type", "live", "processed", "created",
    /// "data"}`). Fails only when `id` or `type` is missing or a header field has the
    /// wrong type; a `data` problem ends up in [`Event::data`].
    #[inline]
    pub fn from_json(value: Value) -> Result<Event, String> {
        if !value.is_object() {
            return Err("an event must be a JSON object".into());
        }
        let header = serde_path_to_error::deserialize::<_, EventHeader>(&value)
            .map_err(|err| format!("{}: {}", err.path(), err.inner()))?;
        let data = value.get("data").cloned().unwrap_or(Value::Null);
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
        let data = stored.data.unwrap_or(Value::Null);
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
fn decode_data(event_type: &str, data: Value) -> Result<EventData, EventDecodeError> {
    EventData::decode(event_type, data).map_err(|err| EventDecodeError {
        event_type: event_type.to_string(),
        path: crate::error::cap(err.path().to_string()),
        message: crate::error::cap(err.inner().to_string()),
    })
}
