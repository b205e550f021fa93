//! One FastSpring rate-limit budget shared by every process: a
//! [`fastspring_api::RateLimiter`] kept in Redis.
//!
//! FastSpring allows 250 requests a minute per IP address. Each client built with
//! `Client::builder().build()` counts only its own requests, so four replicas behind one
//! egress IP would each believe they have 250. Give every client a [`RedisRateLimiter`]
//! on the same Redis and key, and they draw from one budget:
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use fastspring_ratelimit_redis::RedisRateLimiter;
//!
//! let limiter = RedisRateLimiter::builder("redis://10.0.0.5:6379/")
//!     // One budget per egress IP: FastSpring counts by the address requests come from.
//!     .key("fastspring:203.0.113.7")
//!     .build()?;
//! let client = fastspring_api::Client::builder()
//!     .credentials("API_USERNAME", "API_PASSWORD")
//!     .user_agent("my-app/1.0")
//!     .rate_limiter(Arc::new(limiter))
//!     .build()?;
//! # let _ = client; Ok(()) }
//! ```
//!
//! # How it works
//!
//! - **The budget** is a sorted set of slot start times in Redis. One Lua script, run
//!   atomically by Redis, drops the slots that left the window, books the next free
//!   one (now, or when the slot `requests` places back leaves the window) and returns
//!   the wait. Times come from Redis's own `TIME`, so hosts whose clocks disagree still
//!   agree on the budget. A caller that gives up while waiting (its call was dropped,
//!   or the wait passes its deadline) removes its booking again.
//! - **The 429 hold** is a key beside the budget: when FastSpring answers 429 to any
//!   client, the client stores "nothing starts before now + `Retry-After`" there; the
//!   booking script starts no slot earlier, and callers that were already waiting
//!   check it once more before sending.
//! - **When Redis is unreachable** (refused, or silent past
//!   [`command_timeout`](RedisRateLimiterBuilder::command_timeout)) the limiter does
//!   what [`WhenUnavailable`] says: fall back to an in-process budget with a `tracing`
//!   warning (the default), or fail the call with
//!   [`fastspring_api::Error::RateLimiter`]. It then leaves Redis alone for
//!   [`retry_after_failure`](RedisRateLimiterBuilder::retry_after_failure) before
//!   trying again, so an outage costs one timeout, not one per request.
//!
//! # The key
//!
//! FastSpring counts requests per source IP address, not per API account or per
//! process. The right key therefore names the egress IP: every process whose requests
//! leave through the same NAT gateway or address shares one key, and processes behind
//! different addresses get budgets of their own. The default key
//! ([`DEFAULT_KEY`]) is right when all processes using this Redis leave through one
//! address.
//!
//! Needs Redis 5 or later (scripts that call `TIME`); the two keys carry one hash tag,
//! so the script also runs on Redis Cluster.

#![warn(missing_docs)]

use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use fastspring_api::RateLimit;
use fastspring_api::policy::Clock;
use fastspring_api::ratelimit::{Acquire, AcquireError, BoxFuture, InProcessLimiter, RateLimiter};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{FromRedisValue, Script, ScriptInvocation};

/// The key used unless told otherwise: right when every process using the Redis
/// leaves through one egress IP.
pub const DEFAULT_KEY: &str = "fastspring-api:rate-limit";

/// Books a slot: `KEYS[1]` the budget (sorted set of slot start times, µs),
/// `KEYS[2]` the hold (µs), `ARGV` requests per window, window (µs), member, mode.
/// Returns the wait before the slot, in µs.
///
/// Mode `book` books a new slot. Mode `confirm` is asked when a booked slot's time has
/// come: if a 429's hold began meanwhile, the slot is given back and booked again
/// (after the hold, behind what the window holds then), else it stands (0). A slot
/// kept through a hold would leave at the hold's end while counted at its earlier
/// time, and a burst after every hold would overrun the window.
const BOOK: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local hold = tonumber(redis.call('GET', KEYS[2]) or '0')
if ARGV[4] == 'confirm' then
  if hold <= now then return 0 end
  redis.call('ZREM', KEYS[1], ARGV[3])
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
local start = now
if count >= limit then
  local edge = redis.call('ZRANGE', KEYS[1], count - limit, count - limit, 'WITHSCORES')
  start = math.max(now, tonumber(edge[2]) + window)
end
if hold > start then start = hold end
redis.call('ZADD', KEYS[1], start, ARGV[3])
redis.call('PEXPIRE', KEYS[1], math.floor((start - now + window) / 1000) + 1000)
return start - now
";

/// Sets the hold: `KEYS[1]` the hold, `ARGV[1]` the wait (µs). Never shortens it.
const HOLD: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local wait = tonumber(ARGV[1])
local hold = now + wait
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if hold > current then
  redis.call('SET', KEYS[1], string.format('%.0f', hold), 'PX', math.floor(wait / 1000) + 1000)
end
return 0
";

/// Longest window the scripts accept (about 30 years), so that Redis's doubles stay exact.
const MAX_WINDOW_US: u64 = 1 << 50;

/// What the limiter does while Redis cannot be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WhenUnavailable {
    /// Go on with an in-process budget of this size, logging a `tracing` warning when
    /// Redis is lost and an info line when it is back. Requests keep flowing, but each
    /// process counts only its own: give it the shared budget divided by the number of
    /// processes to stay under FastSpring's limit during the outage (the retry policy
    /// copes with the occasional 429 otherwise). In the first window after Redis is
    /// lost, what the shared budget let through still counts at FastSpring while the
    /// in-process budgets start empty: a 429 is possible there, and waited out.
    FallBack(RateLimit),
    /// Fail the call with [`fastspring_api::Error::RateLimiter`] without sending it:
    /// for jobs that must never exceed the shared budget and can run again later.
    Fail,
}

/// Why Redis gave no answer (the source of
/// [`AcquireError::Unavailable`] when the limiter is set to
/// [`WhenUnavailable::Fail`]).
#[derive(Debug)]
#[non_exhaustive]
pub enum RedisUnavailable {
    /// Redis answered with an error or the connection failed.
    Redis(redis::RedisError),
    /// No answer within the command timeout.
    Timeout(Duration),
    /// Redis failed a moment ago; the limiter leaves it alone until this much later.
    Resting(Duration),
}

impl fmt::Display for RedisUnavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RedisUnavailable::Redis(error) => write!(f, "Redis failed: {error}"),
            RedisUnavailable::Timeout(after) => {
                write!(f, "Redis did not answer within {} ms", after.as_millis())
            }
            RedisUnavailable::Resting(left) => write!(
                f,
                "Redis was unreachable a moment ago; next try in {} ms",
                left.as_millis()
            ),
        }
    }
}

impl std::error::Error for RedisUnavailable {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RedisUnavailable::Redis(error) => Some(error),
            _ => None,
        }
    }
}

/// Builds a [`RedisRateLimiter`]; see [`RedisRateLimiter::builder`].
#[derive(Debug, Clone)]
#[must_use]
pub struct RedisRateLimiterBuilder {
    url: String,
    key: String,
    limit: RateLimit,
    when_unavailable: Option<WhenUnavailable>,
    command_timeout: Duration,
    retry_after_failure: Duration,
}

impl RedisRateLimiterBuilder {
    /// The key naming the budget (default [`DEFAULT_KEY`]); Redis keys `{key}:budget`
    /// and `{key}:hold` are derived from it. Name the egress IP when processes leave
    /// through several addresses (see the crate docs).
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = key.into();
        self
    }

    /// The shared budget (default [`RateLimit::default`]: 250 requests a minute,
    /// FastSpring's limit).
    pub fn limit(mut self, limit: RateLimit) -> Self {
        self.limit = limit;
        self
    }

    /// What to do while Redis is unreachable (default: fall back to an in-process
    /// budget the size of the shared one).
    pub fn when_unavailable(mut self, choice: WhenUnavailable) -> Self {
        self.when_unavailable = Some(choice);
        self
    }

    /// Longest wait for one Redis command, connecting included (default 250 ms); past
    /// it Redis counts as unreachable.
    pub fn command_timeout(mut self, timeout: Duration) -> Self {
        self.command_timeout = timeout;
        self
    }

    /// How long Redis is left alone after it failed (default 1 s): meanwhile every call
    /// gets the [`WhenUnavailable`] behaviour at once.
    pub fn retry_after_failure(mut self, rest: Duration) -> Self {
        self.retry_after_failure = rest;
        self
    }

    /// The limiter. Connects lazily, so it builds while Redis is down; fails only on a
    /// bad URL, or outside a Tokio runtime (the connection lives on it).
    pub fn build(self) -> Result<RedisRateLimiter, redis::RedisError> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err((
                redis::ErrorKind::Client,
                "RedisRateLimiter must be built inside a Tokio runtime",
            )
                .into());
        }
        let client = redis::Client::open(self.url.as_str())?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.command_timeout))
            .set_response_timeout(Some(self.command_timeout))
            .set_number_of_retries(1);
        let redis = ConnectionManager::new_lazy_with_config(client.clone(), config.clone())?;
        let fallback = match self
            .when_unavailable
            .unwrap_or(WhenUnavailable::FallBack(self.limit))
        {
            WhenUnavailable::FallBack(limit) => Some(InProcessLimiter::new(limit)),
            WhenUnavailable::Fail => None,
        };
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        Ok(RedisRateLimiter {
            redis: Mutex::new(redis),
            client,
            config,
            budget_key: format!("{{{}}}:budget", self.key),
            hold_key: format!("{{{}}}:hold", self.key),
            limit: self.limit,
            fallback,
            command_timeout: self.command_timeout,
            retry_after_failure: self.retry_after_failure,
            failed_at: Mutex::new(None),
            member_prefix: format!("{:x}-{:x}", std::process::id(), nanos),
            members: AtomicU64::new(0),
            book: Script::new(BOOK),
            hold: Script::new(HOLD),
        })
    }
}

/// A [`RateLimiter`] whose budget and 429 hold live in Redis, shared by every client,
/// in every process, given the same Redis and key. See the crate docs.
pub struct RedisRateLimiter {
    /// Replaced by a fresh one after a failure, so that a Redis that comes back is
    /// reconnected to whatever state the old connection's reconnect logic is in.
    redis: Mutex<ConnectionManager>,
    client: redis::Client,
    config: ConnectionManagerConfig,
    budget_key: String,
    hold_key: String,
    limit: RateLimit,
    fallback: Option<InProcessLimiter>,
    command_timeout: Duration,
    retry_after_failure: Duration,
    /// When Redis last failed, while it is considered down.
    failed_at: Mutex<Option<Instant>>,
    member_prefix: String,
    members: AtomicU64,
    book: Script,
    hold: Script,
}

impl fmt::Debug for RedisRateLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The connection (and so the URL, which may hold a password) is not shown.
        f.debug_struct("RedisRateLimiter")
            .field("budget_key", &self.budget_key)
            .field("limit", &self.limit)
            .field("fallback", &self.fallback.as_ref().map(|l| l.limit()))
            .field("command_timeout", &self.command_timeout)
            .finish_non_exhaustive()
    }
}

impl RedisRateLimiter {
    /// A builder for a limiter on the Redis at `url` (`redis://host:port/db`, with
    /// `redis://:password@host` or `redis://user:password@host` when it needs one).
    pub fn builder(url: impl Into<String>) -> RedisRateLimiterBuilder {
        RedisRateLimiterBuilder {
            url: url.into(),
            key: DEFAULT_KEY.to_string(),
            limit: RateLimit::default(),
            when_unavailable: None,
            command_timeout: Duration::from_millis(250),
            retry_after_failure: Duration::from_secs(1),
        }
    }

    /// The Redis key of the budget (a sorted set of slot start times in µs).
    pub fn budget_key(&self) -> &str {
        &self.budget_key
    }

    /// The Redis key of the 429 hold (the Redis time, in µs, before which nothing starts).
    pub fn hold_key(&self) -> &str {
        &self.hold_key
    }

    /// Runs one script with a bounded wait, noting whether Redis answered.
    async fn run<T: FromRedisValue>(
        &self,
        invocation: &ScriptInvocation<'_>,
        now: Instant,
    ) -> Result<T, RedisUnavailable> {
        if let Some(failed) = *self.lock_failed() {
            let back = failed + self.retry_after_failure;
            if now < back {
                return Err(RedisUnavailable::Resting(back - now));
            }
        }
        let mut redis = self.connection();
        let answer = match tokio::time::timeout(
            self.command_timeout,
            invocation.invoke_async::<T>(&mut redis),
        )
        .await
        {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => Err(RedisUnavailable::Redis(error)),
            Err(_) => Err(RedisUnavailable::Timeout(self.command_timeout)),
        };
        let mut failed = self.lock_failed();
        match &answer {
            Ok(_) => {
                if failed.take().is_some() {
                    tracing::info!(key = %self.budget_key, "Redis reachable again: the shared rate limit is back");
                }
            }
            Err(error) => {
                if let Ok(fresh) = ConnectionManager::new_lazy_with_config(
                    self.client.clone(),
                    self.config.clone(),
                ) {
                    *self
                        .redis
                        .lock()
                        .unwrap_or_else(|poisoned| poisoned.into_inner()) = fresh;
                }
                if failed.replace(now).is_none() {
                    tracing::warn!(
                        key = %self.budget_key,
                        error = %error,
                        fallback = self.fallback.is_some(),
                        "Redis unreachable: the shared rate limit is suspended ({})",
                        if self.fallback.is_some() {
                            "each process falls back to its own in-process budget"
                        } else {
                            "calls fail until Redis is back"
                        }
                    );
                }
            }
        }
        answer
    }

    fn connection(&self) -> ConnectionManager {
        self.redis
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    fn lock_failed(&self) -> std::sync::MutexGuard<'_, Option<Instant>> {
        self.failed_at
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Redis could not be asked: fall back or fail, as configured.
    async fn unavailable(
        &self,
        slot: Acquire<'_>,
        why: RedisUnavailable,
    ) -> Result<(), AcquireError> {
        match &self.fallback {
            Some(local) => {
                tracing::debug!(operation = slot.operation, error = %why, "in-process rate limit");
                local.acquire(slot).await
            }
            None => Err(AcquireError::Unavailable(Box::new(why))),
        }
    }
}

/// A slot booked in Redis; dropped before [`Booking::commit`], it is given back.
struct Booking<'a> {
    limiter: &'a RedisRateLimiter,
    member: String,
    armed: bool,
}

impl Booking<'_> {
    fn commit(mut self) {
        self.armed = false;
    }
}

impl Drop for Booking<'_> {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        // Drop cannot wait: the removal runs on the runtime, bounded by the timeout. If
        // it cannot run, the booking simply ages out of the window.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let mut redis = self.limiter.connection();
            let key = self.limiter.budget_key.clone();
            let member = std::mem::take(&mut self.member);
            let timeout = self.limiter.command_timeout;
            runtime.spawn(async move {
                let mut zrem = redis::cmd("ZREM");
                zrem.arg(key).arg(member);
                let _ = tokio::time::timeout(timeout, zrem.query_async::<i64>(&mut redis)).await;
            });
        }
    }
}

fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros())
        .unwrap_or(u64::MAX)
        .min(MAX_WINDOW_US)
}

impl RateLimiter for RedisRateLimiter {
    fn acquire<'a>(&'a self, slot: Acquire<'a>) -> BoxFuture<'a, Result<(), AcquireError>> {
        Box::pin(async move {
            let member = format!(
                "{}-{}",
                self.member_prefix,
                self.members.fetch_add(1, Ordering::Relaxed)
            );
            let booking = |mode: &'static str| {
                let mut book = self.book.key(&self.budget_key);
                book.key(&self.hold_key)
                    .arg(self.limit.requests.max(1))
                    .arg(micros(self.limit.per).max(1))
                    .arg(&member)
                    .arg(mode);
                book
            };
            let mut wait_us: u64 = match self.run(&booking("book"), slot.clock.now()).await {
                Ok(wait) => wait,
                Err(why) => return self.unavailable(slot, why).await,
            };
            let booked = Booking {
                limiter: self,
                member: member.clone(),
                armed: true,
            };
            while wait_us > 0 {
                let wait = Duration::from_micros(wait_us);
                if slot.passes_deadline(wait) {
                    return Err(AcquireError::PastDeadline);
                }
                tracing::debug!(
                    operation = slot.operation,
                    wait_ms = wait.as_millis() as u64,
                    "shared rate limit"
                );
                slot.sleeper.sleep(wait).await;
                // A 429 answered to another client while this one waited holds it
                // too: its slot is booked again after the hold. If Redis cannot be
                // asked now, the slot booked stands.
                wait_us = self
                    .run(&booking("confirm"), slot.clock.now())
                    .await
                    .unwrap_or(0);
            }
            booked.commit();
            Ok(())
        })
    }

    fn hold<'a>(&'a self, wait: Duration, clock: &'a dyn Clock) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            // Held locally too, in case Redis is lost during the hold.
            if let Some(local) = &self.fallback {
                local.hold(wait, clock).await;
            }
            let mut hold = self.hold.key(&self.hold_key);
            hold.arg(micros(wait));
            if let Err(error) = self.run::<i64>(&hold, clock.now()).await {
                tracing::debug!(error = %error, "the 429 hold could not be shared");
            }
        })
    }
}
