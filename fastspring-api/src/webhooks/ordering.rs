//! Events arrive out of order (a retry after an outage lands after a newer event) and a
//! manual resend from the FastSpring app carries a new event ID. Both are caught on the
//! resource's own version: its `changed` time in milliseconds.
//!
//! The pattern for an event about a subscription, order or account:
//!
//! 1. [`resource_version`] reads the resource's kind, ID and `changed` from the event;
//! 2. [`freshness`] compares that `changed` with the one the app applied last
//!    (stored beside the app's copy of the resource);
//! 3. [`Freshness::Newer`]: apply the event and store its `changed`.
//!    [`Freshness::Older`]: the app already has a later state; acknowledge, apply nothing.
//!    [`Freshness::Doubt`] (same millisecond, or no `changed` in the event): do not guess,
//!    fetch the resource again with the client (`client.subscriptions().get(id)`) and
//!    apply what FastSpring says now.
//!
//! A manual resend repeats an event under a new ID; [`ResendKey`] (event type, resource
//! ID, resource `changed`) is the same for both, so claiming [`ResendKey::claim_id`] in
//! the same [`ClaimStore`](super::ClaimStore) as the event ID lets only one of them run.

use serde_json::Value;

use super::Event;

/// Which resource an event is about, and the version it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceVersion {
    /// `subscription`, `order`, `account`, `return` or `quote`, from the event type or
    /// the member of `data` that holds the resource.
    pub kind: String,
    /// The resource's ID.
    pub id: String,
    /// The resource's `changed` (milliseconds since the Unix epoch).
    pub changed: i64,
}

/// The resource state an event carries, when it names one with an `id` and a `changed`:
/// `data` itself (`subscription.*`, `order.*`, `account.*`, `return.*`, `quote.*`) or a
/// resource nested in it (`data.subscription`, `data.order`, as in
/// `subscription.charge.completed`). `None` when the event carries no version.
pub fn resource_version(event: &Event) -> Option<ResourceVersion> {
    let data = event.raw.get("data")?;
    let prefix = event.event_type.split('.').next().unwrap_or_default();
    if let Some((id, changed)) = id_and_changed(data) {
        return Some(ResourceVersion {
            kind: prefix.to_string(),
            id,
            changed,
        });
    }
    ["subscription", "order", "account"]
        .into_iter()
        .find_map(|kind| {
            let (id, changed) = id_and_changed(data.get(kind)?)?;
            Some(ResourceVersion {
                kind: kind.to_string(),
                id,
                changed,
            })
        })
}

fn id_and_changed(value: &Value) -> Option<(String, i64)> {
    let id = value.get("id")?.as_str()?;
    let changed = value.get("changed")?.as_i64()?;
    (!id.is_empty()).then(|| (id.to_string(), changed))
}

/// How an event's resource state compares with what the app applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// Newer than what was applied (or nothing was applied yet): apply it.
    Newer,
    /// Older than what was applied: a late delivery; acknowledge and apply nothing.
    Older,
    /// The same millisecond as what was applied, or the event carries no `changed`:
    /// fetch the resource again and apply what FastSpring answers.
    Doubt,
}

/// Compares the event's resource `changed` with `applied`, the `changed` of the state the
/// app applied last for that resource (`None`: nothing applied yet).
pub fn freshness(event: &Event, applied: Option<i64>) -> Freshness {
    let Some(version) = resource_version(event) else {
        return Freshness::Doubt;
    };
    match applied {
        None => Freshness::Newer,
        Some(applied) if version.changed > applied => Freshness::Newer,
        Some(applied) if version.changed < applied => Freshness::Older,
        Some(_) => Freshness::Doubt,
    }
}

/// The identity of an event that survives a manual resend (which gets a new event ID):
/// event type, resource ID and resource `changed`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ResendKey {
    /// The event type.
    pub event_type: String,
    /// The resource's ID.
    pub resource_id: String,
    /// The resource's `changed`.
    pub changed: i64,
}

impl ResendKey {
    /// The key of `event`; `None` when it carries no resource version.
    pub fn of(event: &Event) -> Option<ResendKey> {
        let version = resource_version(event)?;
        Some(ResendKey {
            event_type: event.event_type.clone(),
            resource_id: version.id,
            changed: version.changed,
        })
    }

    /// An ID to claim in a [`ClaimStore`](super::ClaimStore) beside the event ID:
    /// `resend:{type}:{resource ID}:{changed}` (never equal to an event ID, which has no
    /// colon).
    pub fn claim_id(&self) -> String {
        format!(
            "resend:{}:{}:{}",
            self.event_type, self.resource_id, self.changed
        )
    }
}
