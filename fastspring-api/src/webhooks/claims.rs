//! Handling each event once, on one server or many: an atomic claim with a lease.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::id_map::{DoneIds, IdHasher, IdMap};
use super::short_text::ShortText;
use super::{Acknowledgement, Event};
use crate::policy::{Clock, SystemClock};

/// How long a claim holds when nothing else is said: long enough for any handler,
/// short enough that a crashed one is retried the same hour.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(5 * 60);

/// Where receivers (and reconcile passes) agree who handles an event.
///
/// The contract, checked by `webhooks::testing::conformance`
/// (feature `testing`), which every implementation should run in its own tests:
///
/// - [`claim`](ClaimStore::claim) is **atomic**: of any number of concurrent claims of
///   one event ID, on any number of handles and machines, exactly one gets
///   [`Claim::Acquired`]; the others get [`Claim::Busy`] while the lease holds and
///   [`Claim::Done`] once the holder [completed](ClaimStore::complete) it.
/// - A lease that runs out (the holder crashed or hangs) makes the event claimable again:
///   the next claim gets a new token and the old token can neither complete nor release.
/// - [`release`](ClaimStore::release) gives the event up (the handler failed): the next
///   claim acquires it at once.
/// - A store that cannot answer returns `Err`, never a guess: the caller leaves the
///   event unacknowledged and FastSpring delivers it again.
///
/// [`MemoryClaims`] is the in-process implementation; the `fastspring-inbox` crate has
/// SQLite and PostgreSQL ones. A lease should be longer than the slowest handler: when
/// it runs out while the handler still runs, a second handler may start.
pub trait ClaimStore: Send + Sync {
    /// The store's error.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Tries to take `event_id` for `lease`.
    fn claim(
        &self,
        event_id: &str,
        lease: Duration,
    ) -> impl Future<Output = Result<Claim, Self::Error>> + Send;

    /// Marks the claimed event handled for good: every later claim gets [`Claim::Done`].
    /// [`Settled::NotHeld`] when `token` no longer holds the claim (its lease ran out and
    /// the event was claimed again, it was already settled, or it never held it).
    fn complete(
        &self,
        token: &ClaimToken,
    ) -> impl Future<Output = Result<Settled, Self::Error>> + Send;

    /// Gives the claim up without completing: the next claim acquires the event.
    /// [`Settled::NotHeld`] as for [`complete`](ClaimStore::complete).
    fn release(
        &self,
        token: &ClaimToken,
    ) -> impl Future<Output = Result<Settled, Self::Error>> + Send;
}

impl<T: ClaimStore + ?Sized> ClaimStore for Arc<T> {
    type Error = T::Error;
    fn claim(
        &self,
        event_id: &str,
        lease: Duration,
    ) -> impl Future<Output = Result<Claim, Self::Error>> + Send {
        (**self).claim(event_id, lease)
    }
    fn complete(
        &self,
        token: &ClaimToken,
    ) -> impl Future<Output = Result<Settled, Self::Error>> + Send {
        (**self).complete(token)
    }
    fn release(
        &self,
        token: &ClaimToken,
    ) -> impl Future<Output = Result<Settled, Self::Error>> + Send {
        (**self).release(token)
    }
}

/// The answer to [`ClaimStore::claim`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// Yours: handle the event, then complete (or release) with this token.
    Acquired(ClaimToken),
    /// Handled earlier: acknowledge it without handling.
    Done,
    /// Another handler holds it right now: leave it unacknowledged (FastSpring retries).
    Busy,
}

impl Claim {
    /// Whether the claim was acquired.
    pub fn is_acquired(&self) -> bool {
        matches!(self, Claim::Acquired(_))
    }
}

/// Proof of holding one claim: the event ID and the lease's own ID.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClaimToken {
    event_id: ShortText,
    lease_id: ShortText,
}

impl ClaimToken {
    /// A token for `event_id`; `lease_id` tells this lease from every other one of the
    /// event (stores make it unique, e.g. a counter or a random value).
    pub fn new(event_id: impl Into<String>, lease_id: impl Into<String>) -> ClaimToken {
        ClaimToken {
            event_id: ShortText::from_string(event_id.into()),
            lease_id: ShortText::from_string(lease_id.into()),
        }
    }

    /// The claimed event's ID.
    pub fn event_id(&self) -> &str {
        self.event_id.as_str()
    }

    /// The lease's ID.
    pub fn lease_id(&self) -> &str {
        self.lease_id.as_str()
    }
}

/// `n` in decimal, written at the end of `buf`.
fn decimal(n: u64, buf: &mut [u8; 20]) -> &str {
    let mut start = buf.len();
    let mut rest = n;
    loop {
        start -= 1;
        // `rest % 10` is a single digit.
        buf[start] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    std::str::from_utf8(&buf[start..]).unwrap_or_default()
}

/// Whether [`ClaimStore::complete`] or [`ClaimStore::release`] applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    /// The token held the claim; the event is now done (or free again).
    Applied,
    /// The token does not hold the claim (any more): nothing changed.
    NotHeld,
}

/// What [`handle_once`] did with an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The handler ran now and succeeded; the event is completed.
    Handled,
    /// Completed earlier (here or on another server): the handler did not run.
    AlreadyDone,
    /// Another handler holds the event: not handled, not to be acknowledged.
    Busy,
}

impl Outcome {
    /// Whether the event may be acknowledged to FastSpring.
    pub fn is_done(self) -> bool {
        matches!(self, Outcome::Handled | Outcome::AlreadyDone)
    }
}

/// Why [`handle_once`] could not settle an event; it stays unacknowledged.
#[derive(Debug, thiserror::Error)]
pub enum OnceError<S, H> {
    /// The claim store failed (the claim, or the completion after the handler ran).
    #[error("claim store: {0}")]
    Store(#[source] S),
    /// The handler failed; the claim was released so a retry handles the event.
    #[error("handler: {0}")]
    Handler(H),
}

/// Claims `event_id`, runs `handler` when the claim was acquired, then completes the
/// claim (handler `Ok`) or releases it (handler `Err`).
///
/// A handler that panics or whose future is dropped leaves the claim held until the
/// lease runs out, as a crashed process does; then the event is handled again.
pub async fn handle_once<S, Fut, E>(
    store: &S,
    event_id: &str,
    lease: Duration,
    handler: impl FnOnce() -> Fut,
) -> Result<Outcome, OnceError<S::Error, E>>
where
    S: ClaimStore + ?Sized,
    Fut: Future<Output = Result<(), E>>,
{
    let token = match store
        .claim(event_id, lease)
        .await
        .map_err(OnceError::Store)?
    {
        Claim::Acquired(token) => token,
        Claim::Done => return Ok(Outcome::AlreadyDone),
        Claim::Busy => return Ok(Outcome::Busy),
    };
    match handler().await {
        Ok(()) => {
            if store.complete(&token).await.map_err(OnceError::Store)? == Settled::NotHeld {
                tracing::warn!(
                    event_id,
                    "the handler outlived its lease: the event may have been handled twice"
                );
            }
            Ok(Outcome::Handled)
        }
        Err(err) => {
            // A failed release is left to the lease: the event is retried after it.
            if let Err(release) = store.release(&token).await {
                tracing::warn!(event_id, error = %release, "release after a handler error failed");
            }
            Err(OnceError::Handler(err))
        }
    }
}

/// Runs [`handle_once`] for each event of a delivery, in order, and records the done ones
/// in the [`Acknowledgement`] (handled now or earlier; busy and failed events stay
/// unacknowledged, so FastSpring delivers them again). Failures are logged with
/// `tracing` and returned beside the acknowledgement.
pub async fn handle_events<'e, S, F, Fut, E>(
    store: &S,
    events: &'e [Event],
    lease: Duration,
    mut handler: F,
) -> (Acknowledgement, Vec<(&'e str, OnceError<S::Error, E>)>)
where
    S: ClaimStore + ?Sized,
    F: FnMut(&'e Event) -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: fmt::Display,
{
    let mut ack = Acknowledgement::from_ids(events.iter().map(|event| event.id.as_str()));
    let mut failures = Vec::new();
    for (position, event) in events.iter().enumerate() {
        match handle_once(store, &event.id, lease, || handler(event)).await {
            Ok(outcome) => {
                ack.record_at(position, &event.id, outcome);
            }
            Err(err) => {
                tracing::warn!(event_id = %event.id, event_type = %event.event_type, error = %err, "event not handled");
                failures.push((event.id.as_str(), err));
            }
        }
    }
    (ack, failures)
}

/// Milliseconds since the Unix epoch of `clock`'s wall time (leases are wall-clock
/// times, so that several machines agree on them).
pub fn wall_millis(clock: &dyn Clock) -> i64 {
    let now = clock.wall_time();
    match now.duration_since(UNIX_EPOCH) {
        Ok(since) => i64::try_from(since.as_millis()).unwrap_or(i64::MAX),
        Err(before) => -i64::try_from(before.duration().as_millis()).unwrap_or(i64::MAX),
    }
}

/// `lease` in whole milliseconds (at least 1), for stores that keep times as numbers.
pub fn lease_millis(lease: Duration) -> i64 {
    i64::try_from(lease.as_millis()).unwrap_or(i64::MAX).max(1)
}

/// An in-process [`ClaimStore`]: the right one for a single server (lost on restart;
/// several servers need a shared store such as `fastspring-inbox`).
///
/// Bounded: it remembers at most `capacity` completed IDs, forgetting the oldest first.
/// FastSpring retries for up to 7 days; size it for the events of that period (a
/// remembered ID takes about 70 bytes: FastSpring's IDs have about 22) or accept that a
/// very late retry is handled again. Claims in flight are not counted against
/// `capacity`; expired ones are dropped when they outnumber it.
///
/// Claiming and completing an event take about 0.3 µs (no allocation per claim; each ID
/// hashed once per call, with std's keyed SipHash); the README's Performance section
/// has the figures beside verifying and parsing a delivery.
pub struct MemoryClaims {
    capacity: usize,
    clock: Arc<dyn Clock>,
    hasher: IdHasher,
    inner: Mutex<MemoryInner>,
}

/// Each ID is hashed once per call (see `id_map`).
#[derive(Debug)]
struct MemoryInner {
    /// Completed IDs.
    done: DoneIds,
    /// Claimed IDs with their lease.
    held: IdMap<Held>,
    /// The next lease's number.
    next_lease: u64,
}

/// A claim being held.
#[derive(Debug)]
struct Held {
    event_id: ShortText,
    lease_id: ShortText,
    /// Expiry, in wall milliseconds.
    expires: i64,
}

impl Held {
    fn is_for(&self, event_id: &str) -> bool {
        self.event_id.is(event_id)
    }

    /// Whether `token` is this lease and it has not run out at `now`.
    fn is_held_by(&self, token: &ClaimToken, now: i64) -> bool {
        self.expires > now && token.lease_id == self.lease_id
    }
}

impl fmt::Debug for MemoryClaims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = self.lock();
        f.debug_struct("MemoryClaims")
            .field("capacity", &self.capacity)
            .field("done", &inner.done.len())
            .field("held", &inner.held.len())
            .finish()
    }
}

impl MemoryClaims {
    /// An empty store that remembers at most `capacity` completed IDs (at least 1).
    pub fn new(capacity: usize) -> MemoryClaims {
        MemoryClaims::with_clock(capacity, Arc::new(SystemClock))
    }

    /// As [`MemoryClaims::new`], with leases measured on `clock` (tests move it on).
    pub fn with_clock(capacity: usize, clock: Arc<dyn Clock>) -> MemoryClaims {
        MemoryClaims {
            capacity: capacity.max(1),
            clock,
            hasher: IdHasher::default(),
            inner: Mutex::new(MemoryInner {
                done: DoneIds::default(),
                held: IdMap::default(),
                next_lease: 1,
            }),
        }
    }

    /// Whether `event_id` was completed (and is still remembered).
    pub fn is_done(&self, event_id: &str) -> bool {
        let key = self.hasher.hash(event_id);
        self.lock().done.contains(key)
    }

    /// How many completed IDs are remembered.
    pub fn len(&self) -> usize {
        self.lock().done.len()
    }

    /// Whether no completed ID is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The most completed IDs remembered at once.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Claims synchronously (what [`ClaimStore::claim`] does).
    pub fn try_claim(&self, event_id: &str, lease: Duration) -> Claim {
        let key = self.hasher.hash(event_id);
        let now = wall_millis(self.clock.as_ref());
        let expires = now.saturating_add(lease_millis(lease));
        let mut guard = self.lock();
        let inner = &mut *guard;
        if inner.done.contains(key) {
            return Claim::Done;
        }
        let mut digits = [0; 20];
        let lease_id = ShortText::new(decimal(inner.next_lease, &mut digits));
        match inner.held.get_mut(key, Held::is_for) {
            Some(held) if held.expires > now => return Claim::Busy,
            // The lease ran out: the event is claimable again, under a new lease ID.
            Some(held) => {
                held.lease_id = lease_id.clone();
                held.expires = expires;
            }
            None => {
                if inner.held.len() >= self.capacity {
                    inner.held.retain(|held| held.expires > now);
                }
                let held = Held {
                    event_id: ShortText::new(event_id),
                    lease_id: lease_id.clone(),
                    expires,
                };
                inner.held.insert_new(key, held);
            }
        }
        inner.next_lease += 1;
        drop(guard);
        Claim::Acquired(ClaimToken {
            event_id: ShortText::new(event_id),
            lease_id,
        })
    }

    /// Completes synchronously (what [`ClaimStore::complete`] does).
    pub fn try_complete(&self, token: &ClaimToken) -> Settled {
        let key = self.hasher.hash(token.event_id());
        let now = wall_millis(self.clock.as_ref());
        let mut guard = self.lock();
        let inner = &mut *guard;
        let held = inner
            .held
            .remove_if(key, Held::is_for, |held| held.is_held_by(token, now));
        if held.is_none() {
            return Settled::NotHeld;
        }
        inner.done.insert(key, self.capacity, &self.hasher);
        Settled::Applied
    }

    /// Releases synchronously (what [`ClaimStore::release`] does).
    pub fn try_release(&self, token: &ClaimToken) -> Settled {
        let key = self.hasher.hash(token.event_id());
        let now = wall_millis(self.clock.as_ref());
        let mut inner = self.lock();
        match inner
            .held
            .remove_if(key, Held::is_for, |held| held.is_held_by(token, now))
        {
            Some(_) => Settled::Applied,
            None => Settled::NotHeld,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, MemoryInner> {
        // Every update is complete before the guard is released, so a panic elsewhere
        // cannot leave the maps half-changed.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl ClaimStore for MemoryClaims {
    type Error = Infallible;
    async fn claim(&self, event_id: &str, lease: Duration) -> Result<Claim, Infallible> {
        Ok(self.try_claim(event_id, lease))
    }
    async fn complete(&self, token: &ClaimToken) -> Result<Settled, Infallible> {
        Ok(self.try_complete(token))
    }
    async fn release(&self, token: &ClaimToken) -> Result<Settled, Infallible> {
        Ok(self.try_release(token))
    }
}

/// A wall clock that only moves when told to, for lease expiry in tests; clones share
/// one time. Starts at the real time of its creation.
#[derive(Debug, Clone)]
pub struct ManualClock {
    start_instant: std::time::Instant,
    start_wall: SystemTime,
    offset_ms: Arc<AtomicU64>,
}

impl ManualClock {
    /// A clock standing at the current real time.
    pub fn new() -> ManualClock {
        ManualClock {
            start_instant: std::time::Instant::now(),
            start_wall: SystemTime::now(),
            offset_ms: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Moves the clock on by `by` (whole milliseconds).
    pub fn advance(&self, by: Duration) {
        let ms = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        self.offset_ms.fetch_add(ms, Ordering::SeqCst);
    }

    fn offset(&self) -> Duration {
        Duration::from_millis(self.offset_ms.load(Ordering::SeqCst))
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        ManualClock::new()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> std::time::Instant {
        self.start_instant + self.offset()
    }
    fn wall_time(&self) -> SystemTime {
        self.start_wall + self.offset()
    }
}
