//! Retry and rate-limit policy, and the injectable clock and sleeper they run on.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// When and how often a failed request is repeated.
///
/// The defaults repeat only requests that are safe to repeat (GET, PUT, DELETE and the
/// POSTs the spec marks idempotent, such as upserts) on connection errors, timeouts,
/// HTTP 429 and 5xx: at most 4 attempts in all, exponential backoff from 500 ms
/// doubling up to 30 s with jitter, `Retry-After` honoured, and never more than 2
/// minutes spent waiting. A 404 is never retried.
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
    /// Retry on connection errors and timeouts.
    pub retry_transport_errors: bool,
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
}

/// A client-side budget of requests per time window, shared by all clones of a client.
///
/// FastSpring documents 250 requests per minute per IP address; the default keeps
/// under it. The limiter counts requests in a sliding window: request N+1 waits until
/// the oldest of the last N left the window.
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

/// The sliding-window limiter behind [`RateLimit`].
#[derive(Debug)]
pub(crate) struct Limiter {
    limit: RateLimit,
    sent: Mutex<VecDeque<Instant>>,
}

impl Limiter {
    pub(crate) fn new(limit: RateLimit) -> Arc<Limiter> {
        Arc::new(Limiter {
            limit,
            sent: Mutex::new(VecDeque::new()),
        })
    }

    /// Reserves a slot and says how long to wait before using it.
    pub(crate) fn reserve(&self, now: Instant) -> Duration {
        let mut sent = self
            .sent
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let capacity = self.limit.requests.max(1) as usize;
        while sent
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= self.limit.per && *t <= now)
        {
            sent.pop_front();
        }
        let start = if sent.len() < capacity {
            now
        } else {
            // The slot frees when the request `capacity` places back leaves the window.
            let oldest = sent[sent.len() - capacity];
            (oldest + self.limit.per).max(now)
        };
        sent.push_back(start);
        while sent.len() > capacity {
            sent.pop_front();
        }
        start - now
    }
}

/// A small, lock-free source of jitter (not for cryptography).
pub(crate) fn jitter_unit() -> f64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static STATE: AtomicU64 = AtomicU64::new(0);
    let mut x = STATE.load(Ordering::Relaxed);
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
    STATE.store(x, Ordering::Relaxed);
    (x >> 11) as f64 / (1u64 << 53) as f64
}

/// Parses `Retry-After`: delay-seconds or an HTTP date.
pub(crate) fn parse_retry_after(value: &str, now: std::time::SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds));
    }
    let when = jiff::fmt::rfc2822::parse(value).ok()?.timestamp();
    let now = jiff::Timestamp::try_from(now).ok()?;
    let wait = now.until(when).ok()?.total(jiff::Unit::Millisecond).ok()?;
    Some(if wait <= 0.0 {
        Duration::ZERO
    } else {
        Duration::from_millis(wait as u64)
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
    fn limiter_spaces_requests_over_the_window() {
        let limiter = Limiter::new(RateLimit {
            requests: 3,
            per: Duration::from_secs(1),
        });
        let t0 = Instant::now();
        assert_eq!(limiter.reserve(t0), Duration::ZERO);
        assert_eq!(limiter.reserve(t0), Duration::ZERO);
        assert_eq!(
            limiter.reserve(t0 + Duration::from_millis(100)),
            Duration::ZERO
        );
        // 4th within the window waits until the 1st leaves it.
        assert_eq!(
            limiter.reserve(t0 + Duration::from_millis(200)),
            Duration::from_millis(800)
        );
        // 5th waits for the 2nd's slot (t0 + 1 s), 6th for the 3rd's (t0 + 1.1 s).
        assert_eq!(
            limiter.reserve(t0 + Duration::from_millis(200)),
            Duration::from_millis(800)
        );
        assert_eq!(
            limiter.reserve(t0 + Duration::from_millis(200)),
            Duration::from_millis(900)
        );
        // 7th waits for the 4th's slot (t0 + 2 s).
        assert_eq!(
            limiter.reserve(t0 + Duration::from_millis(300)),
            Duration::from_millis(1700)
        );
    }
}
