//! Retry and rate-limit policy, and the injectable clock and sleeper they run on.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

/// When and how often a failed request is repeated.
///
/// The defaults repeat only requests that are safe to repeat (GET, PUT, DELETE and the
/// POSTs the spec marks idempotent, such as upserts) on connection errors, timeouts,
/// failures while reading the body, HTTP 429 and 5xx: at most 4 attempts in all,
/// exponential backoff from 500 ms doubling up to 30 s with jitter, `Retry-After`
/// honoured (plus up to 25 % jitter, so callers refused together do not return
/// together), and never more than 2 minutes spent waiting. A 404 is never retried.
///
/// A write that is not safe to repeat (a POST that creates or charges) is repeated only
/// when it provably was not carried out: FastSpring refused it with HTTP 429, or the
/// connection could not be established, so nothing was sent
/// ([`retry_unsent_writes`](Self::retry_unsent_writes), on by default). After a timeout,
/// a reset or a 5xx it is never repeated: it may have taken effect.
///
/// [`decide`](Self::decide) is the one place these rules live.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = never retry).
    pub max_attempts: u32,
    /// Backoff before the first retry.
    pub initial_backoff: Duration,
    /// Longest single backoff.
    pub max_backoff: Duration,
    /// Most time spent waiting between attempts, `Retry-After` included; a wait that
    /// would exceed it ends the retries and returns the last error.
    pub max_total_wait: Duration,
    /// Randomise each backoff within its upper half (avoids synchronized retries).
    pub jitter: bool,
    /// Retry on HTTP 429.
    pub retry_rate_limited: bool,
    /// Retry on HTTP 5xx.
    pub retry_server_errors: bool,
    /// Retry on connection errors, timeouts and failures while reading the body.
    pub retry_transport_errors: bool,
    /// Also repeat writes that are not idempotent when they provably were not carried
    /// out: refused with HTTP 429, or the connection could not be established.
    pub retry_unsent_writes: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            max_total_wait: Duration::from_secs(120),
            jitter: true,
            retry_rate_limited: true,
            retry_server_errors: true,
            retry_transport_errors: true,
            retry_unsent_writes: true,
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn never() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// The backoff before retry number `retry` (1-based), `unit` in `[0, 1)` choosing the jitter.
    pub fn backoff(&self, retry: u32, unit: f64) -> Duration {
        let factor = 2u32.saturating_pow(retry.saturating_sub(1).min(31));
        let full = self
            .initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff);
        if self.jitter {
            full.mul_f64(0.5 + 0.5 * unit.clamp(0.0, 1.0))
        } else {
            full
        }
    }

    /// Classifies the outcome of attempt number `state.attempt`: repeat it after how
    /// long, or give up. Every retry rule of the client is here; the client only
    /// carries the decision out.
    ///
    /// - a request that is not safe to repeat is repeated only after a 429 or a failed
    ///   connection, and only with [`retry_unsent_writes`](Self::retry_unsent_writes);
    /// - 429 waits `Retry-After` (when sent) plus up to 25 % jitter, never less than
    ///   the backoff; 5xx and transport failures wait the backoff;
    /// - 404 and every other 4xx are final, as is a 5xx whose body reports per-item
    ///   outcomes;
    /// - no retry once [`max_attempts`](Self::max_attempts) attempts were made, when the
    ///   wait would take the total past [`max_total_wait`](Self::max_total_wait), or
    ///   when it would outlast the time left to the call (`state.remaining`).
    pub fn decide(&self, outcome: &Outcome, state: &RetryState) -> Decision {
        let unsent = match outcome {
            Outcome::Status { status: 429, .. } => {
                if !self.retry_rate_limited {
                    return Decision::GiveUp;
                }
                // Refused before any processing.
                true
            }
            Outcome::Status {
                status,
                item_report,
                ..
            } if *status >= 500 => {
                if !self.retry_server_errors || *item_report {
                    return Decision::GiveUp;
                }
                false
            }
            Outcome::Status { .. } => return Decision::GiveUp,
            Outcome::Transport(_) if !self.retry_transport_errors => return Decision::GiveUp,
            Outcome::Transport(Failure::Connect) => true,
            Outcome::Transport(Failure::Final) => return Decision::GiveUp,
            Outcome::Transport(_) => false,
        };
        let safe = state.idempotent || (unsent && self.retry_unsent_writes);
        if !safe || state.attempt >= self.max_attempts {
            return Decision::GiveUp;
        }
        let backoff = self.backoff(state.attempt, state.jitter_unit);
        let wait = match outcome {
            Outcome::Status {
                retry_after: Some(asked),
                ..
            } => {
                let spread = if self.jitter {
                    asked.mul_f64(0.25 * state.jitter_unit.clamp(0.0, 1.0))
                } else {
                    Duration::ZERO
                };
                asked.saturating_add(spread).max(backoff)
            }
            _ => backoff,
        };
        if state.waited.saturating_add(wait) > self.max_total_wait
            || state.remaining.is_some_and(|left| wait >= left)
        {
            return Decision::GiveUp;
        }
        Decision::Retry(wait)
    }
}

/// What one attempt came to, as [`RetryPolicy::decide`] sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// FastSpring answered with a status that is not 2xx.
    Status {
        /// The HTTP status.
        status: u16,
        /// `Retry-After`, when sent and readable (clamped to [`MAX_RETRY_AFTER`]).
        retry_after: Option<Duration>,
        /// The body reports per-item outcomes: FastSpring's final verdict.
        item_report: bool,
    },
    /// No (complete) answer.
    Transport(Failure),
}

/// Why an attempt got no complete answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Failure {
    /// The connection could not be established: nothing was sent.
    Connect,
    /// The attempt ran out of time: the request may have been carried out.
    Timeout,
    /// The answer broke off while its body was read (reset, truncated body).
    Body,
    /// Sending failed some other way (the connection closed under the request).
    Other,
    /// Repeating cannot help (the body is larger than the client accepts).
    Final,
}

/// Where a call stands when an attempt failed.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct RetryState {
    /// Attempts made so far, the failed one included (1-based).
    pub attempt: u32,
    /// Whether the request is safe to repeat (idempotent, or the caller allowed it).
    pub idempotent: bool,
    /// Time already spent waiting between attempts.
    pub waited: Duration,
    /// Time left to the call's deadline, when it has one.
    pub remaining: Option<Duration>,
    /// In `[0, 1)`: picks the jitter.
    pub jitter_unit: f64,
}

impl RetryState {
    /// The state after attempt `attempt` of a request (`idempotent`: safe to repeat).
    pub fn new(attempt: u32, idempotent: bool) -> RetryState {
        RetryState {
            attempt,
            idempotent,
            waited: Duration::ZERO,
            remaining: None,
            jitter_unit: 0.5,
        }
    }

    /// With `waited` already spent waiting.
    pub fn waited(mut self, waited: Duration) -> RetryState {
        self.waited = waited;
        self
    }

    /// With `remaining` left to the call's deadline.
    pub fn remaining(mut self, remaining: Option<Duration>) -> RetryState {
        self.remaining = remaining;
        self
    }

    /// With this jitter unit (clamped to `[0, 1]`).
    pub fn jitter_unit(mut self, unit: f64) -> RetryState {
        self.jitter_unit = if unit.is_nan() {
            0.5
        } else {
            unit.clamp(0.0, 1.0)
        };
        self
    }
}

/// What [`RetryPolicy::decide`] says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Wait this long, then send the request again.
    Retry(Duration),
    /// Return the error.
    GiveUp,
}

/// Longest `Retry-After` the client believes (one day); longer values, and dates
/// further ahead, are cut to it (and then exceed every retry budget).
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

/// A client-side budget of requests per time window, shared by all clones of a client.
///
/// FastSpring documents 250 requests per minute per IP address; the default keeps
/// under it. The limiter counts requests in a sliding window: request N+1 waits until
/// the oldest of the last N left the window. [`InProcessLimiter`] enforces it in one
/// process; a shared [`RateLimiter`] (such as `fastspring-ratelimit-redis`) across many.
///
/// [`InProcessLimiter`]: crate::ratelimit::InProcessLimiter
/// [`RateLimiter`]: crate::ratelimit::RateLimiter
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed per window.
    pub requests: u32,
    /// The window.
    pub per: Duration,
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit {
            requests: 250,
            per: Duration::from_secs(60),
        }
    }
}

/// The time source. Replace it in tests so that nothing waits for real.
pub trait Clock: Send + Sync + fmt::Debug {
    /// Now, for measuring waits.
    fn now(&self) -> Instant;

    /// Now as wall-clock time, for `Retry-After` given as an HTTP date.
    fn wall_time(&self) -> std::time::SystemTime {
        std::time::SystemTime::now()
    }
}

/// The real clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// Waiting. Replace it in tests so that nothing waits for real.
pub trait Sleeper: Send + Sync + fmt::Debug {
    /// Waits for `duration`.
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>>;
}

/// Sleeps with tokio's timer.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioSleeper;

impl Sleeper for TokioSleeper {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// A small, lock-free source of jitter (not for cryptography). Each call advances the
/// shared state atomically, so concurrent callers never draw the same value.
pub(crate) fn jitter_unit() -> f64 {
    static STATE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    draw_jitter(&STATE, || {})
}

/// One draw from `state`; `during_update` runs inside the atomic update (tests use it
/// to make another draw land between reading and writing the state).
fn draw_jitter(state: &std::sync::atomic::AtomicU64, mut during_update: impl FnMut()) -> f64 {
    use std::sync::atomic::Ordering;
    let step = |mut x: u64| {
        if x == 0 {
            x = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(0x9E37_79B9)
                | 1;
        }
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let previous = state
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |x| {
            during_update();
            Some(step(x))
        })
        .unwrap_or_else(|x| x);
    let x = step(previous);
    (x >> 11) as f64 / (1u64 << 53) as f64
}

/// Parses `Retry-After`: delay-seconds or an HTTP date. Anything a server sends is
/// safe: values past [`MAX_RETRY_AFTER`] (huge integers, `1e20`, dates years ahead) are
/// cut to it, a fraction is kept, negative, `NaN` or unreadable values are ignored
/// (`None`), and a date in the past means no wait.
pub(crate) fn parse_retry_after(value: &str, now: std::time::SystemTime) -> Option<Duration> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    if value.bytes().all(|b| b.is_ascii_digit()) {
        // Digits only: a number of seconds, however many digits.
        let seconds = value.parse::<u64>().unwrap_or(u64::MAX);
        return Some(Duration::from_secs(seconds).min(MAX_RETRY_AFTER));
    }
    if value
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        let seconds = value.parse::<f64>().ok()?;
        if !seconds.is_finite() || seconds < 0.0 {
            return None;
        }
        return Some(
            Duration::try_from_secs_f64(seconds)
                .unwrap_or(MAX_RETRY_AFTER)
                .min(MAX_RETRY_AFTER),
        );
    }
    let when = jiff::fmt::rfc2822::parse(value).ok()?.timestamp();
    let now = jiff::Timestamp::try_from(now).ok()?;
    // Both lie within jiff's range (years -9999..=9999), so the difference fits an i64.
    let wait = when.as_millisecond().saturating_sub(now.as_millisecond());
    Some(match u64::try_from(wait) {
        Ok(ms) => Duration::from_millis(ms).min(MAX_RETRY_AFTER),
        Err(_) => Duration::ZERO,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_bounded() {
        let p = RetryPolicy {
            jitter: false,
            ..RetryPolicy::default()
        };
        assert_eq!(p.backoff(1, 0.0), Duration::from_millis(500));
        assert_eq!(p.backoff(2, 0.0), Duration::from_secs(1));
        assert_eq!(p.backoff(3, 0.0), Duration::from_secs(2));
        assert_eq!(p.backoff(40, 0.0), Duration::from_secs(30));
        let j = RetryPolicy::default();
        for unit in [0.0, 0.3, 0.999] {
            let d = j.backoff(2, unit);
            assert!(
                d >= Duration::from_millis(500) && d <= Duration::from_secs(1),
                "{d:?}"
            );
        }
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = std::time::UNIX_EPOCH + Duration::from_secs(1_445_412_480); // Wed, 21 Oct 2015 07:28:00 GMT
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn retry_after_from_a_server_never_panics_and_is_clamped_or_ignored() {
        let now = std::time::UNIX_EPOCH + Duration::from_secs(1_445_412_480);
        let day = MAX_RETRY_AFTER;
        for (value, expected) in [
            ("18446744073709551616", Some(day)),
            ("18446744073709551615", Some(day)),
            ("99999999999999999999999999999999999999", Some(day)),
            ("1e20", Some(day)),
            ("1E300", Some(day)),
            ("1.5", Some(Duration::from_millis(1500))),
            ("0", Some(Duration::ZERO)),
            ("0.0", Some(Duration::ZERO)),
            ("-1", None),
            ("-0.5", None),
            ("NaN", None),
            ("inf", None),
            ("1e", None),
            ("", None),
            ("   ", None),
            ("+3", Some(Duration::from_secs(3))),
            ("01 Jan 9999 00:00:00 GMT", Some(day)),
            ("Thu, 01 Jan 1970 00:00:00 GMT", Some(Duration::ZERO)),
            ("Wed, 21 Oct 2015 07:28:00 +9999", None),
            ("Wed, 32 Oct 2015 07:28:00 GMT", None),
        ] {
            assert_eq!(parse_retry_after(value, now), expected, "{value:?}");
        }
        // A wall clock far before or after the representable range does not panic either.
        let _ = parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", std::time::UNIX_EPOCH);
    }

    fn status(status: u16, retry_after: Option<Duration>) -> Outcome {
        Outcome::Status {
            status,
            retry_after,
            item_report: false,
        }
    }

    #[test]
    fn decide_keeps_every_retry_rule() {
        let p = RetryPolicy {
            jitter: false,
            ..RetryPolicy::default()
        };
        let get = RetryState::new(1, true);
        let post = RetryState::new(1, false);
        let half = Duration::from_millis(500);
        // Safe requests: 429, 5xx and transport failures are retried after the backoff.
        assert_eq!(p.decide(&status(429, None), &get), Decision::Retry(half));
        assert_eq!(p.decide(&status(503, None), &get), Decision::Retry(half));
        for failure in [
            Failure::Connect,
            Failure::Timeout,
            Failure::Body,
            Failure::Other,
        ] {
            assert_eq!(
                p.decide(&Outcome::Transport(failure), &get),
                Decision::Retry(half),
                "{failure:?}"
            );
        }
        // 404 and other 4xx are final; so is a per-item report under a 5xx.
        for code in [400, 401, 404, 409, 414] {
            assert_eq!(p.decide(&status(code, None), &get), Decision::GiveUp);
        }
        let report = Outcome::Status {
            status: 500,
            retry_after: None,
            item_report: true,
        };
        assert_eq!(p.decide(&report, &get), Decision::GiveUp);
        assert_eq!(
            p.decide(&Outcome::Transport(Failure::Final), &get),
            Decision::GiveUp
        );
        // Writes: repeated only when provably not carried out.
        assert_eq!(p.decide(&status(429, None), &post), Decision::Retry(half));
        assert_eq!(
            p.decide(&Outcome::Transport(Failure::Connect), &post),
            Decision::Retry(half)
        );
        assert_eq!(p.decide(&status(503, None), &post), Decision::GiveUp);
        for failure in [Failure::Timeout, Failure::Body, Failure::Other] {
            assert_eq!(
                p.decide(&Outcome::Transport(failure), &post),
                Decision::GiveUp
            );
        }
        let cautious = RetryPolicy {
            retry_unsent_writes: false,
            ..p.clone()
        };
        assert_eq!(cautious.decide(&status(429, None), &post), Decision::GiveUp);
        // Retry-After wins over a shorter backoff; a shorter one is raised to the backoff.
        let ra = |d| status(429, Some(d));
        assert_eq!(
            p.decide(&ra(Duration::from_secs(3)), &get),
            Decision::Retry(Duration::from_secs(3))
        );
        assert_eq!(p.decide(&ra(Duration::ZERO), &get), Decision::Retry(half));
        // Budgets: attempts, total wait (no overflow), the call's deadline.
        assert_eq!(
            p.decide(&status(503, None), &RetryState::new(4, true)),
            Decision::GiveUp
        );
        assert_eq!(
            p.decide(
                &ra(MAX_RETRY_AFTER),
                &RetryState::new(2, true).waited(Duration::from_secs(1))
            ),
            Decision::GiveUp
        );
        assert_eq!(
            p.decide(
                &ra(Duration::MAX),
                &RetryState::new(2, true).waited(Duration::MAX)
            ),
            Decision::GiveUp
        );
        assert_eq!(
            p.decide(
                &status(503, None),
                &get.remaining(Some(Duration::from_millis(400)))
            ),
            Decision::GiveUp
        );
    }

    #[test]
    fn retry_after_gets_up_to_a_quarter_of_jitter() {
        let p = RetryPolicy::default();
        let asked = Duration::from_secs(4);
        let waits: Vec<Duration> = [0.0, 0.5, 0.999]
            .iter()
            .map(|u| {
                match p.decide(
                    &status(429, Some(asked)),
                    &RetryState::new(1, true).jitter_unit(*u),
                ) {
                    Decision::Retry(wait) => wait,
                    Decision::GiveUp => panic!("gave up"),
                }
            })
            .collect();
        assert_eq!(waits[0], asked);
        assert_eq!(waits[1], Duration::from_millis(4500));
        assert!(waits[2] < Duration::from_secs(5) && waits[2] > Duration::from_millis(4900));
    }

    /// Deterministic: a second draw lands between the first one's read and write of the
    /// state. An update that is not atomic (load, then store) would hand both callers
    /// the same value; `fetch_update` retries and they differ.
    #[test]
    fn a_draw_that_lands_inside_another_draws_update_gets_its_own_value() {
        use std::sync::Barrier;
        use std::sync::atomic::AtomicU64;
        let state = AtomicU64::new(0x1234_5678);
        let (inside, done) = (Barrier::new(2), Barrier::new(2));
        let (first, second) = std::thread::scope(|scope| {
            let first = scope.spawn(|| {
                let mut calls = 0;
                draw_jitter(&state, || {
                    calls += 1;
                    if calls == 1 {
                        inside.wait();
                        done.wait();
                    }
                })
            });
            let second = scope.spawn(|| {
                inside.wait();
                let value = draw_jitter(&state, || {});
                done.wait();
                value
            });
            (first.join().expect("first"), second.join().expect("second"))
        });
        assert_ne!(first.to_bits(), second.to_bits());
        // The state advanced twice from its seed, once per draw.
        let single = AtomicU64::new(0x1234_5678);
        let sequential = [draw_jitter(&single, || {}), draw_jitter(&single, || {})];
        let mut drawn = [first.to_bits(), second.to_bits()];
        drawn.sort_unstable();
        let mut expected = sequential.map(f64::to_bits);
        expected.sort_unstable();
        assert_eq!(drawn, expected);
    }

    #[test]
    fn concurrent_jitter_draws_differ() {
        let draws: Vec<f64> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8)
                .map(|_| scope.spawn(|| (0..1000).map(|_| jitter_unit()).collect::<Vec<_>>()))
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("thread"))
                .collect()
        });
        let mut bits: Vec<u64> = draws.iter().map(|d| d.to_bits()).collect();
        bits.sort_unstable();
        let before = bits.len();
        bits.dedup();
        assert_eq!(bits.len(), before, "two callers drew the same jitter");
        assert!(draws.iter().all(|d| (0.0..1.0).contains(d)));
    }
}
