//! The rate-limiter seam: the [`RateLimiter`] trait every client calls before each
//! attempt, and [`InProcessLimiter`], the default implementation (one budget per
//! process).
//!
//! FastSpring allows 250 requests a minute per IP address. One process needs nothing
//! more than the default. Several processes behind one egress IP (replicas, a web pod
//! beside a backfill worker) must share one budget: give every client the same
//! [`RateLimiter`] backed by a store they all see, such as the
//! `fastspring-ratelimit-redis` crate, with [`ClientBuilder::rate_limiter`].
//!
//! [`ClientBuilder::rate_limiter`]: crate::ClientBuilder::rate_limiter

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub use crate::error::AcquireError;
use crate::policy::{Clock, RateLimit, Sleeper};

/// A boxed, sendable future (what [`RateLimiter`]'s methods return).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A budget of requests that one or many clients draw from.
///
/// The client calls [`acquire`](Self::acquire) before every attempt (retries included)
/// and sends the request when it resolves; when FastSpring answers 429 and the retry
/// policy decides to wait, it calls [`hold`](Self::hold) with that wait, so that every
/// client sharing the limiter pauses, not only the one that was refused.
///
/// Implementations must be cancel-safe: a caller may drop the future of `acquire`
/// at any point (its call was dropped, or gave up), and a slot booked for it must then
/// be given back, so that later callers do not wait for requests nobody sends.
pub trait RateLimiter: Send + Sync + fmt::Debug {
    /// Waits until one request may be sent, and books it.
    ///
    /// A wait that would reach the call's deadline ([`Acquire::remaining`]) should
    /// fail at once with [`AcquireError::PastDeadline`] instead of waiting; the client
    /// also never lets `acquire` run past the deadline. Waits should go through
    /// [`Acquire::sleeper`], so that tests with a fake clock do not wait for real.
    fn acquire<'a>(&'a self, slot: Acquire<'a>) -> BoxFuture<'a, Result<(), AcquireError>>;

    /// FastSpring refused a request with 429: no request through this limiter (from
    /// any client sharing it) starts within `wait` from now.
    fn hold<'a>(&'a self, wait: Duration, clock: &'a dyn Clock) -> BoxFuture<'a, ()>;
}

/// What [`RateLimiter::acquire`] knows about the call asking for a slot.
#[derive(Clone, Copy)]
#[non_exhaustive]
pub struct Acquire<'a> {
    /// The operation about to be sent (for logs).
    pub operation: &'static str,
    /// Time left to the call's deadline, when it has one.
    pub remaining: Option<Duration>,
    /// The client's clock.
    pub clock: &'a dyn Clock,
    /// The client's sleeper: implementations wait with it.
    pub sleeper: &'a dyn Sleeper,
}

impl<'a> Acquire<'a> {
    /// A request for a slot (implementations of [`RateLimiter`] get one from the
    /// client; tests and benchmarks build their own).
    pub fn new(
        operation: &'static str,
        remaining: Option<Duration>,
        clock: &'a dyn Clock,
        sleeper: &'a dyn Sleeper,
    ) -> Acquire<'a> {
        Acquire {
            operation,
            remaining,
            clock,
            sleeper,
        }
    }

    /// Whether waiting `wait` would reach the call's deadline.
    pub fn passes_deadline(&self, wait: Duration) -> bool {
        !wait.is_zero() && self.remaining.is_some_and(|left| wait >= left)
    }
}

impl fmt::Debug for Acquire<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Acquire")
            .field("operation", &self.operation)
            .field("remaining", &self.remaining)
            .finish_non_exhaustive()
    }
}

/// The in-process limiter: a sliding window of requests, shared by all clones of a
/// client (and by every client given the same `Arc<InProcessLimiter>`).
///
/// It is what a client uses unless told otherwise ([`RateLimit::default`]: 250
/// requests a minute). Request N+1 waits until the oldest of the last N left the
/// window; a 429 [`hold`](RateLimiter::hold)s every caller for FastSpring's
/// `Retry-After`, including callers already waiting for a slot.
#[derive(Debug)]
pub struct InProcessLimiter {
    limit: RateLimit,
    state: Mutex<LimiterState>,
}

#[derive(Debug, Default)]
struct LimiterState {
    /// Start times of the requests booked or sent within the window, in order.
    sent: VecDeque<Instant>,
    /// Nothing starts before this (set by a 429's wait).
    hold_until: Option<Instant>,
}

/// A slot booked in the limiter. Dropped before [`Reservation::commit`] (the caller
/// gave up while waiting for it), it gives the slot back, so that later callers do not
/// wait for requests nobody sends.
#[derive(Debug)]
pub(crate) struct Reservation<'a> {
    limiter: &'a InProcessLimiter,
    start: Instant,
    wait: Duration,
    armed: bool,
}

impl Reservation<'_> {
    /// How long to wait before the slot may be used.
    pub(crate) fn wait(&self) -> Duration {
        self.wait
    }

    /// The request is being sent: the slot is used.
    pub(crate) fn commit(mut self) {
        self.armed = false;
    }

    /// The slot's time has come (`now`). If a 429's hold began after it was booked and
    /// still runs, the slot is given back and booked again behind the hold: kept, it
    /// would leave at the hold's end while counted at its earlier time, and the burst
    /// after every hold would overrun the window. Otherwise it stands, with no wait left.
    pub(crate) fn confirm(mut self, now: Instant) -> Self {
        let held =
            matches!(self.limiter.lock().hold_until, Some(hold) if hold > self.start && hold > now);
        if held {
            let limiter = self.limiter;
            drop(self);
            limiter.reserve(now)
        } else {
            self.wait = Duration::ZERO;
            self
        }
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        if self.armed {
            let mut state = self.limiter.lock();
            if let Some(at) = state.sent.iter().rposition(|t| *t == self.start) {
                state.sent.remove(at);
            }
        }
    }
}

impl InProcessLimiter {
    /// A limiter allowing `limit.requests` per `limit.per`.
    pub fn new(limit: RateLimit) -> InProcessLimiter {
        InProcessLimiter {
            limit,
            state: Mutex::new(LimiterState::default()),
        }
    }

    /// The budget it enforces.
    pub fn limit(&self) -> RateLimit {
        self.limit
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LimiterState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Reserves a slot and says how long to wait before using it.
    pub(crate) fn reserve(&self, now: Instant) -> Reservation<'_> {
        let mut state = self.lock();
        let capacity = self.limit.requests.max(1) as usize;
        let per = self.limit.per;
        while state
            .sent
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= per && *t <= now)
        {
            state.sent.pop_front();
        }
        let mut start = if state.sent.len() < capacity {
            now
        } else {
            // The slot frees when the request `capacity` places back leaves the window.
            state
                .sent
                .get(state.sent.len() - capacity)
                // A window whose end `Instant` cannot hold means "not within any wait
                // we can express", never "now": the limiter never fails open.
                .map_or(now, |oldest| {
                    oldest.checked_add(per).unwrap_or_else(|| far(now))
                })
                .max(now)
        };
        if let Some(hold) = state.hold_until {
            if hold <= now {
                state.hold_until = None;
            } else {
                start = start.max(hold);
            }
        }
        // Entries stay until they leave the window (not only the last `capacity`), so
        // a reservation given back leaves the earlier ones in place. The queue holds
        // at most `capacity` entries plus one per caller still waiting.
        state.sent.push_back(start);
        Reservation {
            limiter: self,
            start,
            wait: start.saturating_duration_since(now),
            armed: true,
        }
    }

    /// FastSpring answered 429: no request of this limiter starts before `until`.
    pub(crate) fn hold_until(&self, until: Instant) {
        let mut state = self.lock();
        state.hold_until = Some(state.hold_until.map_or(until, |h| h.max(until)));
    }
}

impl RateLimiter for InProcessLimiter {
    fn acquire<'a>(&'a self, slot: Acquire<'a>) -> BoxFuture<'a, Result<(), AcquireError>> {
        Box::pin(async move {
            // Dropped unused (the caller gave up, or the deadline is too close), the
            // reservation gives its slot back.
            let mut reservation = self.reserve(slot.clock.now());
            while !reservation.wait().is_zero() {
                let wait = reservation.wait();
                if slot.passes_deadline(wait) {
                    tracing::debug!(
                        operation = slot.operation,
                        "rate-limit wait passes the deadline"
                    );
                    return Err(AcquireError::PastDeadline);
                }
                tracing::debug!(
                    operation = slot.operation,
                    wait_ms = wait.as_millis() as u64,
                    "client-side rate limit"
                );
                slot.sleeper.sleep(wait).await;
                // A 429 seen while this caller waited holds it too.
                reservation = reservation.confirm(slot.clock.now());
            }
            reservation.commit();
            Ok(())
        })
    }

    fn hold<'a>(&'a self, wait: Duration, clock: &'a dyn Clock) -> BoxFuture<'a, ()> {
        if let Some(until) = clock.now().checked_add(wait) {
            self.hold_until(until);
        }
        Box::pin(std::future::ready(()))
    }
}

/// About a century after `now` (or the furthest the platform's `Instant` reaches):
/// the start of a slot whose window overflows `Instant`.
fn far(now: Instant) -> Instant {
    let mut ahead = Duration::from_secs(100 * 365 * 86_400);
    while !ahead.is_zero() {
        if let Some(at) = now.checked_add(ahead) {
            return at;
        }
        ahead /= 2;
    }
    now
}

#[cfg(test)]
mod tests {
    use super::*;

    fn take(limiter: &InProcessLimiter, now: Instant) -> Duration {
        let reservation = limiter.reserve(now);
        let wait = reservation.wait();
        reservation.commit();
        wait
    }

    #[test]
    fn limiter_spaces_requests_over_the_window() {
        let limiter = InProcessLimiter::new(RateLimit {
            requests: 3,
            per: Duration::from_secs(1),
        });
        let t0 = Instant::now();
        assert_eq!(take(&limiter, t0), Duration::ZERO);
        assert_eq!(take(&limiter, t0), Duration::ZERO);
        assert_eq!(
            take(&limiter, t0 + Duration::from_millis(100)),
            Duration::ZERO
        );
        // 4th within the window waits until the 1st leaves it.
        assert_eq!(
            take(&limiter, t0 + Duration::from_millis(200)),
            Duration::from_millis(800)
        );
        // 5th waits for the 2nd's slot (t0 + 1 s), 6th for the 3rd's (t0 + 1.1 s).
        assert_eq!(
            take(&limiter, t0 + Duration::from_millis(200)),
            Duration::from_millis(800)
        );
        assert_eq!(
            take(&limiter, t0 + Duration::from_millis(200)),
            Duration::from_millis(900)
        );
        // 7th waits for the 4th's slot (t0 + 2 s).
        assert_eq!(
            take(&limiter, t0 + Duration::from_millis(300)),
            Duration::from_millis(1700)
        );
    }

    #[test]
    fn a_reservation_dropped_before_use_gives_its_slot_back() {
        let limiter = InProcessLimiter::new(RateLimit {
            requests: 2,
            per: Duration::from_secs(60),
        });
        let t0 = Instant::now();
        assert_eq!(take(&limiter, t0), Duration::ZERO);
        assert_eq!(take(&limiter, t0), Duration::ZERO);
        // 1,000 callers book slots and give up while waiting.
        for _ in 0..1000 {
            let reservation = limiter.reserve(t0);
            assert!(reservation.wait() >= Duration::from_secs(60));
            drop(reservation);
        }
        // The next one waits only for the two requests really sent.
        assert_eq!(
            take(&limiter, t0 + Duration::from_secs(1)),
            Duration::from_secs(59)
        );
    }

    #[test]
    fn a_429_holds_the_shared_limiter() {
        let limiter = InProcessLimiter::new(RateLimit::default());
        let t0 = Instant::now();
        limiter.hold_until(t0 + Duration::from_secs(5));
        assert_eq!(take(&limiter, t0), Duration::from_secs(5));
        assert_eq!(take(&limiter, t0 + Duration::from_secs(6)), Duration::ZERO);
    }

    #[test]
    fn a_hold_set_while_a_caller_waits_holds_it_too() {
        let limiter = InProcessLimiter::new(RateLimit {
            requests: 1,
            per: Duration::from_secs(1),
        });
        let t0 = Instant::now();
        assert_eq!(take(&limiter, t0), Duration::ZERO);
        let waiting = limiter.reserve(t0);
        assert_eq!(waiting.wait(), Duration::from_secs(1));
        // While it waits, another caller sharing the limiter is refused for 5 s.
        let hold_end = t0 + Duration::from_millis(500) + Duration::from_secs(5);
        limiter.hold_until(hold_end);
        // Its time comes during the hold: it is booked again, to leave when the hold ends.
        let rebooked = waiting.confirm(t0 + Duration::from_secs(1));
        assert_eq!(rebooked.wait(), Duration::from_millis(4500));
        rebooked.commit();
        // The window counts it at the hold's end, not at its first booking: the next
        // slot is a full window after the hold, not at once.
        assert_eq!(take(&limiter, hold_end), Duration::from_secs(1));
        // Once the hold is over, a confirmed slot stands.
        let later = limiter.reserve(hold_end + Duration::from_secs(1));
        assert_eq!(
            later.confirm(hold_end + Duration::from_secs(1)).wait(),
            Duration::ZERO
        );
    }

    #[test]
    fn a_huge_window_does_not_overflow_the_limiter() {
        let limiter = InProcessLimiter::new(RateLimit {
            requests: 1,
            per: Duration::MAX,
        });
        let t0 = Instant::now();
        assert_eq!(take(&limiter, t0), Duration::ZERO);
        // Limiting still happens: the second request waits (about a century), not zero.
        let second = take(&limiter, t0);
        assert!(second > Duration::from_secs(365 * 86_400), "{second:?}");
        let third = take(&limiter, t0 + Duration::from_secs(3600));
        assert!(third > Duration::from_secs(365 * 86_400), "{third:?}");
    }
}
