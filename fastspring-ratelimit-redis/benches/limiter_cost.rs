//! What the limiter costs per request when a slot is free: the in-process sliding
//! window against the Redis script on loopback (a real `redis-server`, started here).
//!
//! `cargo bench -p fastspring-ratelimit-redis --bench limiter_cost`: criterion's
//! figures, then p50/p99 of single acquires (the budget: Redis adds at most
//! 1 ms per request at p50).

use std::time::{Duration, Instant};

use criterion::Criterion;
use fastspring_api::policy::{SystemClock, TokioSleeper};
use fastspring_api::ratelimit::{Acquire, RateLimiter};
use fastspring_api::{InProcessLimiter, RateLimit};
use fastspring_ratelimit_redis::{RedisRateLimiter, WhenUnavailable};
use fastspring_test_services::Redis;

/// Never full while benchmarked (a million slots per 10 ms), so every acquire is the
/// bookkeeping alone, never a wait.
const ROOMY: RateLimit = RateLimit {
    requests: 1_000_000,
    per: Duration::from_millis(10),
};

async fn acquire(limiter: &dyn RateLimiter) {
    limiter
        .acquire(Acquire::new(
            "listCoupons",
            None,
            &SystemClock,
            &TokioSleeper,
        ))
        .await
        .expect("a free slot");
}

/// p50 and p99 of `n` single acquires, in µs.
fn percentiles(
    runtime: &tokio::runtime::Runtime,
    limiter: &dyn RateLimiter,
    n: usize,
) -> (f64, f64) {
    let mut times: Vec<Duration> = runtime.block_on(async {
        let mut times = Vec::with_capacity(n);
        for _ in 0..n {
            let started = Instant::now();
            acquire(limiter).await;
            times.push(started.elapsed());
        }
        times
    });
    times.sort_unstable();
    let at = |q: f64| times[((n as f64 * q) as usize).min(n - 1)].as_secs_f64() * 1e6;
    (at(0.5), at(0.99))
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut criterion = Criterion::default()
        .configure_from_args()
        .measurement_time(Duration::from_secs(3));
    let local = InProcessLimiter::new(ROOMY);
    let redis_server = Redis::start();
    let redis = redis_server.as_ref().map(|server| {
        let _guard = runtime.enter();
        RedisRateLimiter::builder(server.url())
            .key("bench")
            .limit(ROOMY)
            .when_unavailable(WhenUnavailable::Fail)
            .build()
            .expect("limiter builds")
    });
    {
        let mut group = criterion.benchmark_group("acquire a free slot");
        group.bench_function("in-process", |b| {
            b.to_async(&runtime).iter(|| acquire(&local));
        });
        if let Some(redis) = &redis {
            group.bench_function("redis (loopback)", |b| {
                b.to_async(&runtime).iter(|| acquire(redis));
            });
        }
        group.finish();
    }
    let n = 5_000;
    let (p50, p99) = percentiles(&runtime, &local, n);
    println!("in-process: p50 {p50:.2} µs, p99 {p99:.2} µs per acquire ({n} acquires)");
    match &redis {
        Some(redis) => {
            let (p50, p99) = percentiles(&runtime, redis, n);
            println!(
                "redis (loopback): p50 {p50:.1} µs, p99 {p99:.1} µs per acquire ({n} acquires)"
            );
        }
        None => println!("redis: skipped (redis-server missing)"),
    }
    criterion.final_summary();
}
