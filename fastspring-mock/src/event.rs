//! The events the mock records, shared between its store and what an advance returns.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use serde_json::Value;

use crate::lazy::{Lazy, object};

/// An event the mock recorded, as `GET /events/unprocessed` lists it: `id`, `type`,
/// `created`, `live`, `processed` (as recorded: `false`) and `data`.
///
/// It reads as its JSON (`event["type"]`, `event["data"]["subscription"]["next"]`):
/// the JSON is built the first time it is read and kept. Events of the clock are
/// recorded as what they are made of (the subscription as it was, the order) and not
/// as JSON, so a year over thousands of subscriptions stays cheap to advance when
/// most events are never read. Cloning shares the event.
#[derive(Clone)]
pub struct Event(Arc<Recorded>);

struct Recorded {
    id: String,
    event_type: String,
    created: Option<i64>,
    json: Lazy,
}

impl Event {
    /// An event whose `data` is built now.
    pub(crate) fn ready(
        id: String,
        event_type: &str,
        created: i64,
        live: bool,
        data: Value,
    ) -> Event {
        let json = event_object(&id, event_type, created, live, data);
        Event::with(id, event_type, Some(created), Lazy::ready(json))
    }

    /// An event whose `data` is built by `data` when the event is first read.
    pub(crate) fn later(
        id: String,
        event_type: &str,
        created: i64,
        live: bool,
        data: impl Fn() -> Value + Send + Sync + 'static,
    ) -> Event {
        let (json_id, json_type) = (id.clone(), event_type.to_string());
        let json = Lazy::later(move || event_object(&json_id, &json_type, created, live, data()));
        Event::with(id, event_type, Some(created), json)
    }

    /// An event as given (the spec's listing examples), read for its ID, type and time.
    pub(crate) fn from_value(value: Value) -> Event {
        let text = |key: &str| {
            value
                .get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let (id, event_type) = (text("id"), text("type"));
        let created = value.get("created").and_then(Value::as_i64);
        Event::with(id, &event_type, created, Lazy::ready(value))
    }

    fn with(id: String, event_type: &str, created: Option<i64>, json: Lazy) -> Event {
        Event(Arc::new(Recorded {
            id,
            event_type: event_type.to_string(),
            created,
            json,
        }))
    }

    /// The event's ID.
    pub fn id(&self) -> &str {
        &self.0.id
    }

    /// The event's type, e.g. `subscription.charge.completed`.
    pub fn event_type(&self) -> &str {
        &self.0.event_type
    }

    /// When it was recorded, epoch milliseconds of the mock's clock (`None` for an
    /// event stored without one: the spec's listing examples).
    pub fn created(&self) -> Option<i64> {
        self.0.created
    }

    /// The event's JSON as a value of its own.
    pub fn to_value(&self) -> Value {
        Value::clone(self)
    }
}

impl Deref for Event {
    type Target = Value;

    /// The event's JSON, built on first read.
    fn deref(&self) -> &Value {
        self.0.json.get()
    }
}

impl AsRef<Value> for Event {
    fn as_ref(&self) -> &Value {
        self
    }
}

impl std::borrow::Borrow<Value> for Event {
    fn borrow(&self) -> &Value {
        self
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event")
            .field("id", &self.0.id)
            .field("type", &self.0.event_type)
            .field("created", &self.0.created)
            .finish_non_exhaustive()
    }
}

fn event_object(id: &str, event_type: &str, created: i64, live: bool, data: Value) -> Value {
    object([
        ("id", Value::from(id)),
        ("processed", Value::Bool(false)),
        ("created", Value::from(created)),
        ("type", Value::from(event_type)),
        ("live", Value::Bool(live)),
        ("data", data),
    ])
}

/// An event in the store, with whether it was marked processed since.
#[derive(Debug, Clone)]
pub(crate) struct StoredEvent {
    pub(crate) event: Event,
    pub(crate) processed: bool,
}

impl StoredEvent {
    /// The event's ID.
    pub(crate) fn id(&self) -> &str {
        self.event.id()
    }

    /// The event as listed now: its JSON with `processed` as it stands.
    pub(crate) fn to_value(&self) -> Value {
        let mut value = self.event.to_value();
        value["processed"] = Value::Bool(self.processed);
        value
    }
}
