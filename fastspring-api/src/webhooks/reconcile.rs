//! Recovery of missed events from `GET /events/unprocessed`.

use std::collections::HashSet;
use std::future::Future;

use std::time::Duration;

use super::{ClaimStore, DEFAULT_LEASE, Event, OnceError, Outcome, handle_once};

/// Starts a pass over `GET /events/unprocessed` that claims each event in `claims`,
/// the store the webhook receivers use, so that a pass and a receiver (on this server or
/// another) never both handle one event. Set the window, then [`Reconcile::run`] it
/// with a handler.
///
/// ```no_run
/// # async fn run(client: fastspring_api::Client) {
/// use fastspring_api::webhooks::MemoryClaims;
/// let claims = MemoryClaims::new(100_000); // shared with the receiver
/// let report = fastspring_api::webhooks::reconcile_unprocessed(&client, &claims)
///     .days(7)
///     .run(|event| async move {
///         // the same code the webhook receiver runs for `event`
///         Ok::<(), String>(())
///     })
///     .await;
/// # let _ = report; }
/// ```
pub fn reconcile_unprocessed<'a, S: ClaimStore + ?Sized>(
    client: &'a crate::Client,
    claims: &'a S,
) -> Reconcile<'a, S> {
    Reconcile {
        client,
        claims,
        lease: DEFAULT_LEASE,
        days: None,
        begin: None,
        end: None,
        max_rounds: 100,
    }
}

/// A pass over the unprocessed events; see [`reconcile_unprocessed`].
#[derive(Debug)]
#[must_use = "nothing happens until `run` is awaited"]
pub struct Reconcile<'a, S: ?Sized> {
    client: &'a crate::Client,
    claims: &'a S,
    lease: Duration,
    days: Option<i64>,
    begin: Option<crate::QueryDate>,
    end: Option<crate::QueryDate>,
    max_rounds: usize,
}

/// What a reconcile pass did.
#[derive(Debug, Default)]
pub struct ReconcileReport {
    /// IDs of the events the handler accepted and that were then marked processed.
    pub handled: Vec<String>,
    /// IDs the claim store had as done (handled by a receiver, or an earlier pass whose
    /// mark did not reach FastSpring): marked processed without running the handler.
    pub already_done: Vec<String>,
    /// IDs another handler held: neither handled nor marked (a later pass or
    /// FastSpring's retry picks them up if that handler does not finish).
    pub busy: Vec<String>,
    /// Events that stay unprocessed, with the reason.
    pub failed: Vec<ReconcileFailure>,
    /// IDs listed but not handed to the handler: already marked processed, or listed
    /// again after this pass marked them.
    pub skipped: Vec<String>,
    /// How many times the list was fetched.
    pub rounds: usize,
    /// `true` when FastSpring said no more events were waiting (`more` not `true`);
    /// `false` when the pass stopped because a round marked nothing (the remaining
    /// events keep failing and hide the rest) or after the round limit.
    pub complete: bool,
}

/// An event that stays unprocessed after a reconcile pass.
#[derive(Debug)]
pub struct ReconcileFailure {
    /// The event ID.
    pub event_id: String,
    /// The event type.
    pub event_type: String,
    /// Why it was not marked processed.
    pub reason: ReconcileFailureReason,
}

/// Why an event was not marked processed.
#[derive(Debug)]
pub enum ReconcileFailureReason {
    /// The handler returned this error (its `Display` text).
    Handler(String),
    /// The claim store failed (its `Display` text).
    Store(String),
    /// The handler succeeded but `POST /events/{id}` failed; the event will be listed
    /// (and handled) again next time.
    MarkProcessed(crate::Error),
}

/// Listing the unprocessed events failed; `report` holds what was done before.
#[derive(Debug, thiserror::Error)]
#[error("listing unprocessed events failed after {} round(s): {source}", report.rounds)]
pub struct ReconcileError {
    /// What the pass did before the failure (events marked processed stay marked).
    pub report: ReconcileReport,
    /// The listing error.
    #[source]
    pub source: crate::Error,
}

impl<'a, S: ClaimStore + ?Sized> Reconcile<'a, S> {
    /// Window: the last `days` days (1 to 30). The default, when neither `days` nor
    /// `begin` is set, is 30 days (everything FastSpring keeps).
    pub fn days(mut self, days: i64) -> Self {
        self.days = Some(days);
        self
    }

    /// Window start: a `jiff::civil::Date` (sent as `YYYY-MM-DD`), a `jiff::Timestamp`
    /// (sent as epoch milliseconds) or text (sent as given); see
    /// `ListUnprocessedEventsBuilder::begin`.
    pub fn begin(mut self, begin: impl Into<crate::QueryDate>) -> Self {
        self.begin = Some(begin.into());
        self
    }

    /// Window end, in the same forms as [`begin`](Self::begin).
    pub fn end(mut self, end: impl Into<crate::QueryDate>) -> Self {
        self.end = Some(end.into());
        self
    }

    /// How long a claim holds while the handler runs (default [`DEFAULT_LEASE`]).
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// Most list requests in one pass (default 100, about 2,500 events).
    pub fn max_rounds(mut self, rounds: usize) -> Self {
        self.max_rounds = rounds.max(1);
        self
    }

    /// Fetches the unprocessed events, claims each one, hands those it acquired once to
    /// `handler`, and marks an event processed (`POST /events/{id}` with
    /// `{"processed": true}`) only when it is done: the handler returned `Ok` (the claim
    /// is then completed), or the claim store already had it done. Events another
    /// handler holds are left alone; a handler error releases the claim.
    ///
    /// FastSpring lists at most about 25 events per call with `more: true` when there
    /// are more; marked events drop out of the list, so the same window is fetched
    /// again until `more` is no longer `true`. A round that marks nothing ends the pass
    /// (the next fetch would return the same events), as does `max_rounds`.
    pub async fn run<F, Fut, E>(self, mut handler: F) -> Result<ReconcileReport, ReconcileError>
    where
        F: FnMut(Event) -> Fut,
        Fut: Future<Output = Result<(), E>>,
        E: std::fmt::Display,
    {
        let mut report = ReconcileReport::default();
        let mut attempted: HashSet<String> = HashSet::new();
        loop {
            if report.rounds >= self.max_rounds {
                return Ok(report);
            }
            report.rounds += 1;
            let mut request = self.client.events().list_unprocessed();
            match (&self.begin, self.days) {
                (Some(begin), _) => request = request.begin(begin.clone()),
                (None, Some(days)) => request = request.days(days),
                (None, None) => request = request.days(30),
            }
            if let Some(end) = &self.end {
                request = request.end(end.clone());
            }
            let page = match request.send().await {
                Ok(page) => page,
                Err(source) => return Err(ReconcileError { report, source }),
            };
            let mut marked_this_round = 0usize;
            for stored in page.events.unwrap_or_default() {
                if !attempted.insert(stored.id.clone()) {
                    // Failed earlier in this pass (already reported) or marked but still
                    // listed: not handed over twice.
                    if report.handled.contains(&stored.id) && !report.skipped.contains(&stored.id) {
                        report.skipped.push(stored.id);
                    }
                    continue;
                }
                if stored.processed == Some(true) {
                    report.skipped.push(stored.id);
                    continue;
                }
                let event = Event::from_stored(stored);
                let (event_id, event_type) = (event.id.clone(), event.event_type.clone());
                let outcome =
                    handle_once(self.claims, &event_id, self.lease, || handler(event)).await;
                let reason = match outcome {
                    Ok(Outcome::Busy) => {
                        report.busy.push(event_id);
                        continue;
                    }
                    Ok(outcome) => {
                        if outcome == Outcome::AlreadyDone {
                            report.already_done.push(event_id.clone());
                        }
                        None
                    }
                    Err(OnceError::Handler(err)) => {
                        Some(ReconcileFailureReason::Handler(err.to_string()))
                    }
                    Err(OnceError::Store(err)) => {
                        Some(ReconcileFailureReason::Store(err.to_string()))
                    }
                };
                if let Some(reason) = reason {
                    report.failed.push(ReconcileFailure {
                        event_id,
                        event_type,
                        reason,
                    });
                    continue;
                }
                let mark = crate::events::EventUpdateRequest::new(true);
                match self.client.events().update(event_id.clone(), mark).await {
                    Ok(_) => {
                        marked_this_round += 1;
                        if report.already_done.last() != Some(&event_id) {
                            report.handled.push(event_id);
                        }
                    }
                    Err(err) => report.failed.push(ReconcileFailure {
                        event_id,
                        event_type,
                        reason: ReconcileFailureReason::MarkProcessed(err),
                    }),
                }
            }
            if page.more != Some(true) {
                report.complete = true;
                return Ok(report);
            }
            if marked_this_round == 0 {
                return Ok(report);
            }
        }
    }
}
