//! The acceptance test of issue 19: four clients from four `build()`s (as four
//! processes would have), each with a limiter of its own on one Redis and one key,
//! against the mock in rate-limit mode (20 requests in any second).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fastspring_api::policy::Clock;
use fastspring_api::ratelimit::{Acquire, AcquireError, BoxFuture, RateLimiter};
use fastspring_api::{Client, Error, RateLimit, RetryPolicy};
use fastspring_mock::{Fault, MockServer};
use fastspring_ratelimit_redis::{RedisRateLimiter, WhenUnavailable};
use fastspring_test_services::Redis;

/// The mock's budget: 20 requests in any second.
const MOCK_LIMIT: usize = 20;
const WINDOW: Duration = Duration::from_secs(1);
/// The clients' shared budget: the same count over a window 5 % longer, so that a
/// request delayed on its way never lands in the mock's previous window.
const SHARED: RateLimit = RateLimit {
    requests: 20,
    per: Duration::from_millis(1050),
};

/// What one client did: when each request left, and the 429 holds it set.
#[derive(Debug, Default)]
struct Log {
    sent: Vec<(usize, Instant)>,
    held: Vec<(usize, Instant, Duration)>,
}

/// Wraps a client's limiter and notes when its requests leave and when it holds.
#[derive(Debug)]
struct Observed {
    client: usize,
    inner: RedisRateLimiter,
    log: Arc<Mutex<Log>>,
}

impl RateLimiter for Observed {
    fn acquire<'a>(&'a self, slot: Acquire<'a>) -> BoxFuture<'a, Result<(), AcquireError>> {
        Box::pin(async move {
            self.inner.acquire(slot).await?;
            self.log
                .lock()
                .unwrap()
                .sent
                .push((self.client, Instant::now()));
            Ok(())
        })
    }

    fn hold<'a>(&'a self, wait: Duration, clock: &'a dyn Clock) -> BoxFuture<'a, ()> {
        self.log
            .lock()
            .unwrap()
            .held
            .push((self.client, Instant::now(), wait));
        self.inner.hold(wait, clock)
    }
}

fn limiter(redis: &Redis, key: &str, unavailable: WhenUnavailable) -> RedisRateLimiter {
    RedisRateLimiter::builder(redis.url())
        .key(key)
        .limit(SHARED)
        .when_unavailable(unavailable)
        .retry_after_failure(Duration::from_millis(200))
        .build()
        .expect("limiter builds")
}

/// Four clients, each built on its own, sharing the budget through Redis.
fn four_clients(
    mock: &MockServer,
    redis: &Redis,
    key: &str,
    unavailable: WhenUnavailable,
    retry: RetryPolicy,
) -> (Vec<Client>, Arc<Mutex<Log>>) {
    let log = Arc::new(Mutex::new(Log::default()));
    let clients = (0..4)
        .map(|client| {
            let observed = Observed {
                client,
                inner: limiter(redis, key, unavailable),
                log: log.clone(),
            };
            mock.client_builder()
                .retry_policy(retry.clone())
                .rate_limiter(Arc::new(observed))
                .build()
                .expect("client builds")
        })
        .collect();
    (clients, log)
}

/// Each client calls `listCoupons` as fast as its limiter lets it until `until`;
/// returns the answers (calls still waiting for a slot then are dropped).
async fn hammer(clients: &[Client], until: Instant) -> Vec<Result<(), Error>> {
    let tasks: Vec<_> = clients
        .iter()
        .cloned()
        .map(|client| {
            tokio::spawn(async move {
                let mut answers = Vec::new();
                let deadline = tokio::time::Instant::from_std(until);
                while Instant::now() < until {
                    match tokio::time::timeout_at(deadline, client.coupons().list()).await {
                        Ok(answer) => answers.push(answer.map(|_| ())),
                        Err(_) => break,
                    }
                }
                answers
            })
        })
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        answers.extend(task.await.expect("client task"));
    }
    answers
}

fn assert_no_errors(answers: &[Result<(), Error>]) {
    let errors: Vec<String> = answers
        .iter()
        .filter_map(|a| a.as_ref().err().map(ToString::to_string))
        .collect();
    assert!(errors.is_empty(), "{} errors: {errors:?}", errors.len());
}

async fn rate_limited_mock() -> MockServer {
    MockServer::builder()
        .rate_limit_window(MOCK_LIMIT, WINDOW)
        .start()
        .await
        .expect("mock starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_clients_share_one_budget_without_a_429_and_use_most_of_it() {
    let Some(redis) = Redis::start() else { return };
    let mock = rate_limited_mock().await;
    // No retries: a 429 would reach the caller.
    let (clients, log) = four_clients(
        &mock,
        &redis,
        "budget",
        WhenUnavailable::Fail,
        RetryPolicy::never(),
    );
    let windows = 4;
    let answers = hammer(&clients, Instant::now() + WINDOW * windows).await;
    assert_no_errors(&answers);
    // The mock admits 20 in any second: 80 in four.
    let budget = MOCK_LIMIT * windows as usize;
    assert!(
        answers.len() * 10 >= budget * 9,
        "{} requests of a budget of {budget}",
        answers.len()
    );
    assert_eq!(mock.requests().len(), answers.len());
    // All four drew from the budget.
    let log = log.lock().unwrap();
    for client in 0..4 {
        assert!(
            log.sent.iter().filter(|(c, _)| *c == client).count() >= 5,
            "client {client} starved"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_on_one_client_pauses_all_four_for_its_retry_after() {
    let Some(redis) = Redis::start() else { return };
    let mock = rate_limited_mock().await;
    let (clients, log) = four_clients(
        &mock,
        &redis,
        "hold",
        WhenUnavailable::Fail,
        RetryPolicy::default(),
    );
    let start = Instant::now();
    let running = tokio::spawn({
        let clients = clients.clone();
        async move { hammer(&clients, start + Duration::from_millis(2600)).await }
    });
    // Once all four are busy, the next request (whichever client sends it) gets a 429.
    tokio::time::sleep(Duration::from_millis(300)).await;
    mock.inject(Fault::rate_limited(Some(1)).times(1));
    let answers = running.await.unwrap();
    // The 429 was retried after the wait; nothing failed.
    assert_no_errors(&answers);
    let log = log.lock().unwrap();
    assert_eq!(log.held.len(), 1, "{:?}", log.held);
    let (refused, held_at, wait) = log.held[0];
    // Retry-After: 1 plus up to a quarter of jitter.
    assert!(
        wait >= Duration::from_secs(1) && wait <= Duration::from_millis(1250),
        "{wait:?}"
    );
    // Requests let through before the hold was stored may still leave in the next
    // moments; after that nobody sends until the hold ends.
    let settled = held_at + Duration::from_millis(30);
    let during: Vec<_> = log
        .sent
        .iter()
        .filter(|(_, at)| *at > settled && *at < held_at + wait)
        .collect();
    assert!(during.is_empty(), "sent during the hold: {during:?}");
    // ...and then all four go on, the refused one included.
    for client in 0..4 {
        assert!(
            log.sent
                .iter()
                .any(|(c, at)| *c == client && *at >= held_at + wait),
            "client {client} did not resume (client {refused} was refused)"
        );
    }
    // Before the 429 every client was busy: the pause is the hold's doing.
    for client in 0..4 {
        assert!(
            log.sent.iter().any(|(c, at)| *c == client && *at < held_at),
            "client {client} sent nothing before the 429"
        );
    }
}

/// Stops Redis without blocking the runtime's other worker.
fn stop(redis: &mut Redis) {
    tokio::task::block_in_place(|| redis.stop());
}

fn restart(redis: &mut Redis) {
    tokio::task::block_in_place(|| redis.restart());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_redis_stopped_the_clients_fall_back_to_in_process_budgets_and_return_to_redis() {
    let Some(mut redis) = Redis::start() else {
        return;
    };
    let mock = rate_limited_mock().await;
    // During an outage each of the four takes a quarter of the budget.
    let quarter = RateLimit {
        requests: SHARED.requests / 4,
        per: SHARED.per,
    };
    let (clients, _log) = four_clients(
        &mock,
        &redis,
        "fallback",
        WhenUnavailable::FallBack(quarter),
        RetryPolicy::never(),
    );
    let before = hammer(&clients, Instant::now() + WINDOW).await;
    assert_no_errors(&before);
    stop(&mut redis);
    // What the shared budget let through still counts at the mock for one window; the
    // in-process budgets know nothing of it (a 429 there is the retry policy's to wait
    // out, as the crate docs say). Past that window:
    tokio::time::sleep(WINDOW).await;
    let outage = hammer(&clients, Instant::now() + WINDOW * 2).await;
    // Calls go on, within the in-process budgets (no 429 from the mock).
    assert_no_errors(&outage);
    assert!(
        outage.len() >= 4 * quarter.requests as usize,
        "{} calls during the outage",
        outage.len()
    );
    restart(&mut redis);
    // The same in reverse: the restarted Redis knows nothing of the outage's requests.
    tokio::time::sleep(WINDOW).await;
    let after = hammer(&clients, Instant::now() + WINDOW).await;
    assert_no_errors(&after);
    // The restarted Redis is empty: the bookings in it are the clients' new ones.
    let booked = redis.command(&["ZCARD", "{fallback}:budget"]).unwrap();
    let booked: usize = booked.trim().trim_start_matches(':').parse().unwrap();
    assert!(booked > 0, "no booking in Redis after it came back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_redis_stopped_a_limiter_set_to_fail_fails_calls_without_sending_them() {
    let Some(mut redis) = Redis::start() else {
        return;
    };
    let mock = rate_limited_mock().await;
    let (clients, _log) = four_clients(
        &mock,
        &redis,
        "fail",
        WhenUnavailable::Fail,
        RetryPolicy::never(),
    );
    let client = &clients[0];
    client.coupons().list().await.expect("Redis is up");
    let sent = mock.requests().len();
    stop(&mut redis);
    let started = Instant::now();
    let error = client.coupons().list().await.unwrap_err();
    assert!(
        matches!(
            &error,
            Error::RateLimiter {
                operation: "listCoupons",
                source: AcquireError::Unavailable(_)
            }
        ),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("rate limiter") && error.to_string().contains("Redis"),
        "{error}"
    );
    // Within the command timeout (250 ms), and the request was never sent.
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(mock.requests().len(), sent);
    // Every client sharing the limiter fails the same way, at once.
    for other in &clients[1..] {
        assert!(matches!(
            other.coupons().list().await,
            Err(Error::RateLimiter { .. })
        ));
    }
    restart(&mut redis);
    // Back after the limiter's rest (200 ms) and a reconnect.
    let back = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        match client.coupons().list().await {
            Ok(_) => break,
            Err(Error::RateLimiter { .. }) if back.elapsed() < Duration::from_secs(3) => {}
            Err(error) => panic!("Redis is back but calls fail: {error}"),
        }
    }
    assert_eq!(mock.requests().len(), sent + 1);
}
