//! A durable inbox for FastSpring webhooks.
//!
//! - **Store, then acknowledge.** [`Inbox::receive`] writes a verified delivery (raw
//!   body, headers, received time, one row per event) durably, and only then answers
//!   200. A delivery that fails verification never reaches it (the
//!   [`VerifiedWebhook`] extractor refuses it first); a store that is down answers 503,
//!   so FastSpring delivers again.
//! - **Workers claim and handle.** [`Inbox::work_once`] takes the oldest pending event
//!   nobody holds (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite has one writer),
//!   runs the handler, and completes the event, or counts the failure; after
//!   [`InboxOptions::max_attempts`] attempts the event becomes a dead letter
//!   ([`Inbox::dead_letters`], [`Inbox::replay`]).
//! - **One contract.** [`Inbox`] implements [`ClaimStore`], so receivers that handle
//!   deliveries directly and `reconcile_unprocessed` passes share its claims; it passes
//!   `fastspring_api::webhooks::testing::conformance` on both backends.
//!
//! Backends: SQLite (feature `sqlite`, default; a file path, SQLite compiled in) and
//! PostgreSQL (feature `postgres`; a URL). Schema migrations are versioned and applied
//! when the inbox opens.

#![warn(missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use axum_core::response::{IntoResponse, Response};
use fastspring_api::policy::{Clock, SystemClock};
use fastspring_api::webhooks::{
    AckResponse, Acknowledgement, Claim, ClaimStore, ClaimToken, DEFAULT_LEASE, Event, Settled,
    VerifiedWebhook, lease_millis, wall_millis,
};

#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "sqlite")]
mod sqlite;

/// Why the inbox could not do something.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InboxError {
    /// SQLite failed.
    #[cfg(feature = "sqlite")]
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL failed (or the connection is gone).
    #[cfg(feature = "postgres")]
    #[error("postgres: {0}")]
    Postgres(#[from] tokio_postgres::Error),
    /// The blocking task running a SQLite call died.
    #[error("the database task failed: {0}")]
    Task(String),
    /// A stored event could not be read back.
    #[error("stored event {event_id} is not a FastSpring event: {message}")]
    Corrupt {
        /// The event.
        event_id: String,
        /// What is wrong.
        message: String,
    },
}

/// Settings of an [`Inbox`].
#[derive(Clone)]
pub struct InboxOptions {
    /// Attempts (claims that handled or crashed) before a failing event becomes a dead
    /// letter. Default 5.
    pub max_attempts: u32,
    /// How long a worker's claim holds. Default [`DEFAULT_LEASE`].
    pub lease: Duration,
    /// The clock leases and received times are measured on (tests use a
    /// `ManualClock`).
    pub clock: Arc<dyn Clock>,
    /// PostgreSQL connections kept open. Default 4.
    pub connections: usize,
}

impl std::fmt::Debug for InboxOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InboxOptions")
            .field("max_attempts", &self.max_attempts)
            .field("lease", &self.lease)
            .field("connections", &self.connections)
            .finish_non_exhaustive()
    }
}

impl Default for InboxOptions {
    fn default() -> Self {
        InboxOptions {
            max_attempts: 5,
            lease: DEFAULT_LEASE,
            clock: Arc::new(SystemClock),
            connections: 4,
        }
    }
}

/// One stored event ready for a handler, as a worker claimed it.
#[derive(Debug)]
pub struct Claimed {
    /// The claim: complete or fail with it.
    pub token: ClaimToken,
    /// The event, decoded from the stored JSON.
    pub event: Event,
    /// Attempts so far, this one included.
    pub attempts: u32,
}

/// An event that failed [`InboxOptions::max_attempts`] times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    /// The event ID.
    pub event_id: String,
    /// The event type.
    pub event_type: String,
    /// Attempts made.
    pub attempts: u32,
    /// The last handler error.
    pub last_error: Option<String>,
    /// When the delivery was stored (milliseconds since the Unix epoch).
    pub received_at: i64,
}

/// What [`Inbox::work_once`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Work {
    /// Nothing pending that nobody holds.
    Idle,
    /// The event was handled and completed.
    Handled(String),
    /// The handler failed; the event waits for another attempt.
    Failed(String),
    /// The handler failed for the last time; the event is a dead letter.
    DeadLettered(String),
}

/// A delivery to store: what [`VerifiedWebhook`] holds.
#[derive(Debug, Clone)]
pub struct Delivery<'a> {
    /// The body exactly as received.
    pub raw_body: &'a [u8],
    /// The headers as `(name, value)`, values that are not text left out.
    pub headers: Vec<(String, String)>,
    /// The events, parsed from the body.
    pub events: &'a [Event],
}

impl<'a> Delivery<'a> {
    /// The delivery of a verified webhook.
    pub fn of(webhook: &'a VerifiedWebhook) -> Delivery<'a> {
        Delivery {
            raw_body: &webhook.raw_body,
            headers: webhook
                .headers
                .iter()
                .filter_map(|(name, value)| {
                    Some((name.as_str().to_string(), value.to_str().ok()?.to_string()))
                })
                .collect(),
            events: &webhook.envelope.events,
        }
    }
}

enum Backend {
    #[cfg(feature = "sqlite")]
    Sqlite(sqlite::Sqlite),
    #[cfg(feature = "postgres")]
    Postgres(postgres::Postgres),
}

/// The inbox: one handle per process (cheap to share with `Arc`); any number of
/// handles, on any number of machines, may use one database.
pub struct Inbox {
    backend: Backend,
    options: InboxOptions,
}

impl std::fmt::Debug for Inbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let backend = match &self.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(_) => "sqlite",
            #[cfg(feature = "postgres")]
            Backend::Postgres(_) => "postgres",
        };
        f.debug_struct("Inbox")
            .field("backend", &backend)
            .field("options", &self.options)
            .finish()
    }
}

/// The schema version this crate writes; older databases are migrated on open.
pub const SCHEMA_VERSION: i64 = 1;

macro_rules! dispatch {
    ($self:ident, $backend:ident => $call:expr) => {
        match &$self.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite($backend) => $call,
            #[cfg(feature = "postgres")]
            Backend::Postgres($backend) => $call,
        }
    };
}

impl Inbox {
    /// Opens (creating it if needed) the SQLite database at `path` and migrates it.
    #[cfg(feature = "sqlite")]
    pub async fn open_sqlite(
        path: impl AsRef<std::path::Path>,
        options: InboxOptions,
    ) -> Result<Inbox, InboxError> {
        let backend = sqlite::Sqlite::open(path.as_ref().to_path_buf()).await?;
        Ok(Inbox {
            backend: Backend::Sqlite(backend),
            options,
        })
    }

    /// Connects to PostgreSQL at `url` (`postgres://user@host:port/db`, no TLS: keep the
    /// database on a private network) and migrates the schema.
    #[cfg(feature = "postgres")]
    pub async fn connect_postgres(url: &str, options: InboxOptions) -> Result<Inbox, InboxError> {
        let backend = postgres::Postgres::connect(url, options.connections.max(1)).await?;
        Ok(Inbox {
            backend: Backend::Postgres(backend),
            options,
        })
    }

    /// The settings.
    pub fn options(&self) -> &InboxOptions {
        &self.options
    }

    fn now(&self) -> i64 {
        wall_millis(self.options.clock.as_ref())
    }

    /// The schema version of the database.
    pub async fn schema_version(&self) -> Result<i64, InboxError> {
        dispatch!(self, db => db.schema_version().await)
    }

    /// Stores a delivery and its events in one transaction; events stored before (a
    /// retry) are kept as they are. Returns how many events were new.
    pub async fn store(&self, delivery: &Delivery<'_>) -> Result<usize, InboxError> {
        let now = self.now();
        let headers = serde_json::to_string(&delivery.headers).unwrap_or_default();
        let events: Vec<NewEvent> = delivery
            .events
            .iter()
            .map(|event| NewEvent {
                id: event.id.clone(),
                event_type: event.event_type.clone(),
                json: event.raw.to_string(),
            })
            .collect();
        dispatch!(self, db => db.store(delivery.raw_body.to_vec(), headers, events, now).await)
    }

    /// Store, then acknowledge: the answer to a verified delivery. 200 once every event
    /// is stored (FastSpring marks them all processed; workers handle them), 503 when the
    /// store failed (nothing acknowledged; FastSpring delivers again).
    pub async fn receive(&self, webhook: &VerifiedWebhook) -> Response {
        match self.store(&Delivery::of(webhook)).await {
            Ok(_) => {
                let mut ack = Acknowledgement::new(&webhook.envelope);
                ack.mark_all_processed();
                ack.response().into_response()
            }
            Err(err) => {
                tracing::error!(error = %err, "webhook delivery not stored; answering 503");
                let unavailable = AckResponse {
                    status: 503,
                    content_type: fastspring_api::webhooks::ACK_CONTENT_TYPE,
                    body: "the inbox is unavailable; deliver again later".into(),
                };
                unavailable.into_response()
            }
        }
    }

    /// Claims the oldest stored event that is pending and not held (skipping those
    /// other workers hold), counting the attempt. `None` when there is none.
    pub async fn next(&self) -> Result<Option<Claimed>, InboxError> {
        let now = self.now();
        let lease_id = new_lease_id();
        let until = now.saturating_add(lease_millis(self.options.lease));
        let row = dispatch!(self, db => db.next(&lease_id, until, now).await)?;
        let Some((event_id, json, attempts)) = row else {
            return Ok(None);
        };
        let value: serde_json::Value =
            serde_json::from_str(&json).map_err(|err| InboxError::Corrupt {
                event_id: event_id.clone(),
                message: err.to_string(),
            })?;
        let event = Event::from_json(value).map_err(|message| InboxError::Corrupt {
            event_id: event_id.clone(),
            message,
        })?;
        Ok(Some(Claimed {
            token: ClaimToken::new(event_id, lease_id),
            event,
            attempts,
        }))
    }

    /// Records a failed attempt of a claimed event: it waits for another attempt, or
    /// becomes a dead letter when it had [`InboxOptions::max_attempts`].
    pub async fn fail(&self, token: &ClaimToken, error: &str) -> Result<Work, InboxError> {
        let now = self.now();
        let max = i64::from(self.options.max_attempts.max(1));
        let dead = dispatch!(self, db => db.fail(token, error, max, now).await)?;
        let id = token.event_id().to_string();
        Ok(match dead {
            Some(true) => Work::DeadLettered(id),
            _ => Work::Failed(id),
        })
    }

    /// One worker step: claim the next event, run `handler`, complete it (`Ok`) or
    /// record the failure (`Err`).
    pub async fn work_once<F, Fut, E>(&self, handler: F) -> Result<Work, InboxError>
    where
        F: FnOnce(Event) -> Fut,
        Fut: Future<Output = Result<(), E>>,
        E: std::fmt::Display,
    {
        let Some(claimed) = self.next().await? else {
            return Ok(Work::Idle);
        };
        let token = claimed.token;
        match handler(claimed.event).await {
            Ok(()) => {
                if self.complete(&token).await? == Settled::NotHeld {
                    tracing::warn!(event_id = token.event_id(), "handler outlived its lease");
                }
                Ok(Work::Handled(token.event_id().to_string()))
            }
            Err(err) => self.fail(&token, &err.to_string()).await,
        }
    }

    /// The dead letters, oldest first.
    pub async fn dead_letters(&self) -> Result<Vec<DeadLetter>, InboxError> {
        dispatch!(self, db => db.dead_letters().await)
    }

    /// Puts a dead letter back: pending, attempts reset. `false` when `event_id` is not a
    /// dead letter.
    pub async fn replay(&self, event_id: &str) -> Result<bool, InboxError> {
        dispatch!(self, db => db.replay(event_id).await)
    }

    /// How many stored events are pending (not done, not dead).
    pub async fn pending(&self) -> Result<u64, InboxError> {
        dispatch!(self, db => db.pending().await)
    }
}

impl ClaimStore for Inbox {
    type Error = InboxError;

    async fn claim(&self, event_id: &str, lease: Duration) -> Result<Claim, InboxError> {
        let now = self.now();
        let lease_id = new_lease_id();
        let until = now.saturating_add(lease_millis(lease));
        let state = dispatch!(self, db => db.claim(event_id, &lease_id, until, now).await)?;
        Ok(match state {
            ClaimRow::Acquired => Claim::Acquired(ClaimToken::new(event_id, lease_id)),
            ClaimRow::Done => Claim::Done,
            ClaimRow::Busy => Claim::Busy,
        })
    }

    async fn complete(&self, token: &ClaimToken) -> Result<Settled, InboxError> {
        let now = self.now();
        let applied = dispatch!(self, db => db.settle(token, true, now).await)?;
        Ok(if applied {
            Settled::Applied
        } else {
            Settled::NotHeld
        })
    }

    async fn release(&self, token: &ClaimToken) -> Result<Settled, InboxError> {
        let now = self.now();
        let applied = dispatch!(self, db => db.settle(token, false, now).await)?;
        Ok(if applied {
            Settled::Applied
        } else {
            Settled::NotHeld
        })
    }
}

/// An event row to insert.
struct NewEvent {
    id: String,
    event_type: String,
    json: String,
}

/// What a claim found.
enum ClaimRow {
    Acquired,
    Done,
    Busy,
}

/// A lease ID no other lease has: the process, a counter and the time.
fn new_lease_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!(
        "{:x}-{:x}-{:x}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        nanos
    )
}
