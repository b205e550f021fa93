//! The limiter against a real Redis, called directly: what it stores, what it waits,
//! what it gives back.

use std::time::Duration;

use fastspring_api::RateLimit;
use fastspring_api::policy::{SystemClock, TokioSleeper};
use fastspring_api::ratelimit::{Acquire, AcquireError, RateLimiter};
use fastspring_ratelimit_redis::{RedisRateLimiter, WhenUnavailable};
use fastspring_test_services::Redis;

const CLOCK: SystemClock = SystemClock;
const SLEEPER: TokioSleeper = TokioSleeper;

fn slot(remaining: Option<Duration>) -> Acquire<'static> {
    Acquire::new("getCoupon", remaining, &CLOCK, &SLEEPER)
}

/// The integer in a RESP reply such as `:3\r\n`.
fn integer(reply: &str) -> i64 {
    reply
        .trim()
        .trim_start_matches(':')
        .parse()
        .unwrap_or_else(|_| panic!("not an integer reply: {reply:?}"))
}

/// Slots booked in the limiter's budget.
fn booked(redis: &Redis, limiter: &RedisRateLimiter) -> i64 {
    integer(&redis.command(&["ZCARD", limiter.budget_key()]).unwrap())
}

fn limiter(redis: &Redis, key: &str, requests: u32, per: Duration) -> RedisRateLimiter {
    RedisRateLimiter::builder(redis.url())
        .key(key)
        .limit(RateLimit { requests, per })
        .when_unavailable(WhenUnavailable::Fail)
        .build()
        .expect("limiter builds")
}

#[tokio::test]
async fn slots_are_booked_in_redis_and_the_next_one_waits_for_the_window() {
    let Some(redis) = Redis::start() else { return };
    let limiter = limiter(&redis, "book", 3, Duration::from_secs(60));
    for _ in 0..3 {
        limiter.acquire(slot(None)).await.expect("a free slot");
    }
    assert_eq!(booked(&redis, &limiter), 3);
    // The budget expires with its window (plus a second), so idle keys do not pile up.
    let ttl = integer(&redis.command(&["PTTL", limiter.budget_key()]).unwrap());
    assert!((59_000..=61_000).contains(&ttl), "{ttl}");
    // The fourth slot lies a minute ahead: past a 5 s deadline it fails at once.
    let started = std::time::Instant::now();
    let error = limiter
        .acquire(slot(Some(Duration::from_secs(5))))
        .await
        .unwrap_err();
    assert!(matches!(error, AcquireError::PastDeadline), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(1));
    // ...and its booking is given back.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(booked(&redis, &limiter), 3);
}

#[tokio::test]
async fn an_acquire_dropped_while_waiting_gives_its_slot_back() {
    let Some(redis) = Redis::start() else { return };
    let limiter = limiter(&redis, "drop", 1, Duration::from_secs(2));
    limiter.acquire(slot(None)).await.unwrap();
    let started = std::time::Instant::now();
    // Ten callers book the next slots and give up while waiting for them.
    for _ in 0..10 {
        let mut waiting = limiter.acquire(slot(None));
        tokio::time::timeout(Duration::from_millis(20), &mut waiting)
            .await
            .expect_err("the slot lies 2 s ahead");
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        booked(&redis, &limiter),
        1,
        "only the slot really used is left"
    );
    // The next caller waits for the one request sent (2 s), not for ten ghosts (22 s).
    limiter.acquire(slot(None)).await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_hold_is_stored_beside_the_budget_and_delays_every_limiter_on_the_key() {
    let Some(redis) = Redis::start() else { return };
    let one = limiter(&redis, "hold", 100, Duration::from_secs(60));
    let other = limiter(&redis, "hold", 100, Duration::from_secs(60));
    one.hold(Duration::from_millis(700), &CLOCK).await;
    assert_eq!(one.hold_key(), "{hold}:hold");
    let ttl = integer(&redis.command(&["PTTL", one.hold_key()]).unwrap());
    assert!((1_000..=1_700).contains(&ttl), "{ttl}");
    let started = std::time::Instant::now();
    other.acquire(slot(None)).await.unwrap();
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(650) && waited < Duration::from_millis(1200),
        "{waited:?}"
    );
    // A shorter hold never shortens a longer one.
    one.hold(Duration::from_secs(30), &CLOCK).await;
    one.hold(Duration::from_millis(1), &CLOCK).await;
    let ttl = integer(&redis.command(&["PTTL", one.hold_key()]).unwrap());
    assert!(ttl > 29_000, "{ttl}");
    // Callers whose wait passes their deadline fail at once.
    let started = std::time::Instant::now();
    let error = other
        .acquire(slot(Some(Duration::from_secs(2))))
        .await
        .unwrap_err();
    assert!(matches!(error, AcquireError::PastDeadline), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slot_whose_time_falls_in_a_hold_is_booked_again_after_it() {
    let Some(redis) = Redis::start() else { return };
    let one = limiter(&redis, "rebook", 1, Duration::from_secs(1));
    let other = limiter(&redis, "rebook", 1, Duration::from_secs(1));
    one.acquire(slot(None)).await.unwrap();
    let started = std::time::Instant::now();
    // `other` books the next slot, a second ahead, and waits for it...
    let waiting = tokio::spawn(async move {
        other.acquire(slot(None)).await.unwrap();
        other
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    // ...when a 429 holds the key until about 1.8 s.
    one.hold(Duration::from_millis(1500), &CLOCK).await;
    let hold: i64 = redis
        .command(&["GET", one.hold_key()])
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .parse()
        .unwrap();
    let other = waiting.await.unwrap();
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(1750), "{waited:?}");
    // Its slot is counted from the hold's end, where it really left, not from the
    // second it first booked: the budget never sees the burst after a hold.
    let reply = redis
        .command(&["ZRANGE", one.budget_key(), "-1", "-1", "WITHSCORES"])
        .unwrap();
    let score: f64 = reply.lines().last().unwrap().parse().unwrap();
    assert!(score >= hold as f64, "slot at {score}, hold until {hold}");
    // So the next caller waits a whole window after it.
    let next = std::time::Instant::now();
    other.acquire(slot(None)).await.unwrap();
    assert!(
        next.elapsed() >= Duration::from_millis(900),
        "{:?}",
        next.elapsed()
    );
}
