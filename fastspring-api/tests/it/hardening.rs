//! The review findings of the runtime, each pinned by a loopback test: hostile
//! `Retry-After` values, writes repeated only when provably unsent, the whole-call
//! deadline, the rate limiter under cancellation, the response size limit, bounded
//! error messages, base-URL checks and the multi-ID path limit.
//!
//! Time is injected (fake clock, recording or never-finishing sleeper); nothing sleeps.

use crate::support;

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fastspring_api::policy::Sleeper;
use fastspring_api::{Client, Error, RateLimit, RetryPolicy};
use futures_util::FutureExt;
use serde_json::{Value, json};
use support::{FakeClock, Loopback, Reply, charge_body, charged, test_client, test_client_with};

fn subscription(id: &str) -> Value {
    json!({"id": id, "subscription": id, "active": true, "state": "active",
        "product": "furious-falcon-monthly", "quantity": 1, "price": 14.95})
}

// ---------------------------------------------------------------------------------------
// H1: Retry-After from the server never panics
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn huge_retry_after_values_give_a_typed_error_at_once_and_never_panic() {
    for value in [
        "18446744073709551616",
        "18446744073709551615",
        "1e20",
        "1.7976931348623157e308",
        "01 Jan 9999 00:00:00 GMT",
    ] {
        let server = Loopback::start([
            Reply::json(429, &json!({"message": "slow down"})).header("retry-after", value)
        ])
        .await;
        let t = test_client(&server);
        let error = t.client.subscriptions().get("sub-1").await.unwrap_err();
        let Error::RateLimited { retry_after, .. } = error else {
            panic!("{value}: expected RateLimited, got {error:?}");
        };
        // Clamped to a day, which is past every retry budget: no wait, no retry.
        assert_eq!(
            retry_after,
            Some(fastspring_api::policy::MAX_RETRY_AFTER),
            "{value}"
        );
        assert!(t.sleeper.slept().is_empty(), "{value}");
        assert_eq!(server.requests().len(), 1, "{value}");
    }
}

#[tokio::test]
async fn malformed_or_negative_retry_after_is_ignored_in_favour_of_the_backoff() {
    for value in [
        "-5",
        "NaN",
        "inf",
        "soon",
        "Wed, 32 Oct 2015 07:28:00 GMT",
        "",
    ] {
        let server = Loopback::start([
            Reply::status(429).header("retry-after", value),
            Reply::ok(&subscription("sub-1")),
        ])
        .await;
        let t = test_client(&server);
        t.client.subscriptions().get("sub-1").await.unwrap();
        let slept = t.sleeper.slept();
        assert_eq!(slept.len(), 1, "{value:?}: {slept:?}");
        // The default backoff before the first retry: 250..=500 ms with jitter.
        assert!(
            slept[0] >= Duration::from_millis(250) && slept[0] <= Duration::from_millis(500),
            "{value:?}: {slept:?}"
        );
    }
}

#[tokio::test]
async fn a_retry_after_on_an_error_that_is_not_retried_does_not_panic() {
    for status in [400, 401, 404, 500] {
        let server = Loopback::start([
            Reply::json(status, &json!({"message": "no"})).header("retry-after", "1e20"),
            Reply::json(status, &json!({"message": "no"})).header("retry-after", "1e20"),
        ])
        .await;
        let t = test_client_with(&server, |b| b.retry_policy(RetryPolicy::never()));
        let error = t.client.subscriptions().get("sub-1").await.unwrap_err();
        assert_eq!(error.status(), Some(status));
    }
}

#[tokio::test]
async fn u64_max_after_an_earlier_wait_does_not_overflow_the_budget() {
    let server = Loopback::start([
        Reply::status(429).header("retry-after", "1"),
        Reply::status(429).header("retry-after", "18446744073709551615"),
    ])
    .await;
    let t = test_client(&server);
    let error = t.client.subscriptions().get("sub-1").await.unwrap_err();
    assert!(matches!(error, Error::RateLimited { .. }), "{error:?}");
    assert_eq!(server.requests().len(), 2);
    assert_eq!(t.sleeper.slept().len(), 1);
}

#[tokio::test]
async fn retry_after_zero_still_waits_the_backoff() {
    let server = Loopback::start([
        Reply::status(429).header("retry-after", "0"),
        Reply::ok(&subscription("sub-1")),
    ])
    .await;
    let t = test_client(&server);
    t.client.subscriptions().get("sub-1").await.unwrap();
    let slept = t.sleeper.slept();
    assert!(slept[0] >= Duration::from_millis(250), "{slept:?}");
}

// ---------------------------------------------------------------------------------------
// L7: writes repeated only when provably not carried out
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn a_post_refused_with_429_is_sent_again() {
    let server = Loopback::start([
        Reply::status(429).header("retry-after", "2"),
        Reply::ok(&charged()),
    ])
    .await;
    let t = test_client(&server);
    t.client
        .subscriptions()
        .charge(charge_body())
        .await
        .unwrap();
    assert_eq!(server.requests().len(), 2);
    assert_eq!(server.requests()[0].body, server.requests()[1].body);
}

#[tokio::test]
async fn a_post_refused_with_429_is_sent_once_when_unsent_writes_are_not_retried() {
    let server = Loopback::start([Reply::status(429), Reply::ok(&charged())]).await;
    let t = test_client_with(&server, |b| {
        b.retry_policy(RetryPolicy {
            retry_unsent_writes: false,
            ..RetryPolicy::default()
        })
    });
    let error = t
        .client
        .subscriptions()
        .charge(charge_body())
        .await
        .unwrap_err();
    assert!(matches!(error, Error::RateLimited { .. }), "{error:?}");
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn a_post_whose_connection_is_refused_is_tried_again_within_the_policy() {
    // A port nobody listens on: connecting fails, so nothing was sent.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let clock = FakeClock::new();
    let sleeper = support::RecordingSleeper::new(clock.clone());
    let client = Client::builder()
        .credentials(support::USER, support::PASSWORD)
        .base_url(url)
        .no_proxy()
        .rate_limit(None)
        .clock(clock)
        .sleeper(sleeper.clone())
        .build()
        .unwrap();
    let error = client
        .subscriptions()
        .charge(charge_body())
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Transport { .. }), "{error:?}");
    assert_eq!(sleeper.slept().len(), 3, "4 attempts in all");
}

// ---------------------------------------------------------------------------------------
// M2 / L8: the whole call has a deadline; limiter slots come back on cancellation
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn the_call_deadline_ends_retries_before_it_passes() {
    let server =
        Loopback::start((0..4).map(|_| Reply::json(503, &json!({"message": "busy"})))).await;
    let t = test_client_with(&server, |b| {
        b.call_timeout(Some(Duration::from_secs(2)))
            .retry_policy(RetryPolicy {
                jitter: false,
                ..RetryPolicy::default()
            })
    });
    let error = t.client.subscriptions().get("sub-1").await.unwrap_err();
    assert_eq!(error.status(), Some(503));
    // 0.5 s, then 1 s; the next backoff (2 s) would pass the deadline.
    assert_eq!(
        t.sleeper.slept(),
        vec![Duration::from_millis(500), Duration::from_secs(1)]
    );
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn a_rate_limit_wait_longer_than_the_deadline_fails_at_once() {
    let server = Loopback::start([Reply::ok(&subscription("a"))]).await;
    let t = test_client_with(&server, |b| {
        b.rate_limit(Some(RateLimit {
            requests: 1,
            per: Duration::from_secs(60),
        }))
        .call_timeout(Some(Duration::from_secs(5)))
    });
    t.client.subscriptions().get("a").await.unwrap();
    let error = t.client.subscriptions().get("b").await.unwrap_err();
    assert!(matches!(error, Error::Timeout { .. }), "{error:?}");
    assert!(t.sleeper.slept().is_empty(), "gave up without waiting");
    assert_eq!(server.requests().len(), 1);
}

/// Records each wait and never finishes it (the caller gives up while waiting).
#[derive(Debug, Default)]
struct StuckSleeper(Mutex<Vec<Duration>>);

impl Sleeper for StuckSleeper {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        self.0.lock().unwrap().push(duration);
        Box::pin(std::future::pending())
    }
}

#[tokio::test]
async fn calls_dropped_while_waiting_for_the_limiter_give_their_slots_back() {
    let server =
        Loopback::start([Reply::ok(&subscription("a")), Reply::ok(&subscription("b"))]).await;
    let clock = FakeClock::new();
    let sleeper = Arc::new(StuckSleeper::default());
    let client = Client::builder()
        .credentials(support::USER, support::PASSWORD)
        .base_url(server.url())
        .no_proxy()
        .rate_limit(Some(RateLimit {
            requests: 2,
            per: Duration::from_secs(60),
        }))
        .clock(clock.clone())
        .sleeper(sleeper.clone())
        .build()
        .unwrap();
    client.subscriptions().get("a").await.unwrap();
    client.subscriptions().get("b").await.unwrap();
    // 1,000 callers start, wait for the limiter, and give up.
    for _ in 0..1000 {
        let call = client.subscriptions().get("c");
        assert!(call.into_future().now_or_never().is_none());
    }
    clock.advance(Duration::from_secs(1));
    let call = client.subscriptions().get("d");
    assert!(Box::pin(call.into_future()).now_or_never().is_none());
    let waits = sleeper.0.lock().unwrap().clone();
    assert_eq!(waits.len(), 1001);
    // The next caller waits for the 2 requests really sent, not for 1,000 ghosts.
    assert_eq!(waits.last(), Some(&Duration::from_secs(59)));
    assert_eq!(server.requests().len(), 2);
}

// ---------------------------------------------------------------------------------------
// M1: response size
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn a_body_past_the_size_limit_is_refused_and_not_retried() {
    let big = json!({"id": "sub-1", "note": "x".repeat(10_000)});
    let server = Loopback::start([Reply::ok(&big), Reply::ok(&big)]).await;
    let t = test_client_with(&server, |b| b.max_response_bytes(4096));
    let error = t.client.subscriptions().get("sub-1").await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::ResponseTooLarge {
                operation: "getSubscription",
                status: 200,
                limit: 4096
            }
        ),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "the HTTP 200 response of getSubscription is larger than 4096 bytes"
    );
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn a_body_exactly_at_the_limit_is_read() {
    let body = serde_json::to_vec(&subscription("sub-1")).unwrap();
    let server = Loopback::start([Reply::ok(&subscription("sub-1"))]).await;
    let t = test_client_with(&server, |b| b.max_response_bytes(body.len() as u64));
    t.client.subscriptions().get("sub-1").await.unwrap();
}

// ---------------------------------------------------------------------------------------
// L1: bounded error text
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn error_messages_and_decode_messages_are_bounded() {
    let huge = "m".repeat(200_000);
    let server = Loopback::start([
        Reply::json(400, &json!({"message": huge})),
        // An unreadable scalar is kept or absent (`tests/unreadable_values.rs`); a
        // structure where a number is documented still fails, with its huge excerpt cut.
        Reply::ok(&json!({"id": "sub-1", "quantity": ["q".repeat(200_000)]})),
    ])
    .await;
    let t = test_client(&server);
    let error = t.client.subscriptions().get("sub-1").await.unwrap_err();
    let text = error.to_string();
    assert!(text.len() < 2048, "{} bytes", text.len());
    assert!(error.body().unwrap().raw().len() <= 64 * 1024);
    // An error body past 64 KiB is kept as text only.
    assert!(error.body().unwrap().json().is_none());

    let error = t.client.subscriptions().get("sub-1").await.unwrap_err();
    let Error::Decode(decode) = &error else {
        panic!("{error:?}")
    };
    assert!(decode.message.len() <= 1024, "{}", decode.message.len());
    assert!(decode.excerpt.len() <= 1024);
    assert!(error.to_string().len() < 4096);
}

#[tokio::test]
async fn a_nested_result_error_in_a_2xx_is_not_a_failure_of_the_whole_call() {
    // Only a top-level `"result": "error"` fails the call.
    let mut body = subscription("sub-1");
    body["note"] = json!({"result": "error"});
    let server = Loopback::start([
        Reply::ok(&body),
        Reply::ok(&json!({"result" : "error", "error": {"subscription": "not found"}})),
    ])
    .await;
    let t = test_client(&server);
    t.client.subscriptions().get("sub-1").await.unwrap();
    let error = t.client.subscriptions().get("sub-1").await.unwrap_err();
    assert_eq!(error.status(), Some(200));
    assert!(matches!(error, Error::Api { .. }), "{error:?}");
}

// ---------------------------------------------------------------------------------------
// L3: base URL
// ---------------------------------------------------------------------------------------

#[test]
fn plain_http_is_refused_for_hosts_other_than_loopback() {
    let build = |url: &str| {
        Client::builder()
            .credentials("u", "p")
            .base_url(url)
            .build()
    };
    let error = build("http://api.fastspring.com").unwrap_err();
    assert!(error.to_string().contains("clear text"), "{error}");
    for ok in [
        "https://api.fastspring.com",
        "http://127.0.0.1:8080",
        "http://localhost:3000",
        "http://[::1]:3000",
    ] {
        build(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
    }
    Client::builder()
        .credentials("u", "p")
        .base_url("http://mock.internal:8080")
        .allow_insecure_http()
        .build()
        .unwrap();
}

#[test]
fn a_base_url_with_credentials_or_a_fragment_is_refused_without_echoing_it() {
    let error = Client::builder()
        .credentials("u", "p")
        .base_url("https://user:hunter2@api.fastspring.com")
        .build()
        .unwrap_err();
    assert!(!error.to_string().contains("hunter2"), "{error}");
    assert!(!format!("{error:?}").contains("hunter2"));
    let error = Client::builder()
        .credentials("u", "p")
        .base_url("https://api.fastspring.com/#x")
        .build()
        .unwrap_err();
    assert!(error.to_string().contains("fragment"), "{error}");
}

// ---------------------------------------------------------------------------------------
// L11: one request takes a bounded list of IDs
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn too_many_ids_in_one_path_are_refused_before_sending() {
    let server = Loopback::start([]).await;
    let t = test_client(&server);
    let ids: Vec<String> = (0..51).map(|i| format!("sub-{i}")).collect();
    // `cancel` takes several IDs in one path (a one-ID `get` takes a `SubscriptionId`).
    let error = t.client.subscriptions().cancel(ids).await.unwrap_err();
    assert!(
        matches!(error, Error::InvalidInput { ref message, .. } if message.contains("at most 50")),
        "{error:?}"
    );
    let long: Vec<String> = (0..40).map(|i| format!("{i}-{}", "x".repeat(60))).collect();
    let error = t.client.subscriptions().cancel(long).await.unwrap_err();
    assert!(matches!(error, Error::InvalidInput { .. }), "{error:?}");
    assert!(server.requests().is_empty());
}

// ---------------------------------------------------------------------------------------
// L9, L10, I1, I3: webhooks
// ---------------------------------------------------------------------------------------

mod webhook_limits {
    use base64::Engine;
    use fastspring_api::webhooks::{self, AckResponse, Acknowledgement, WebhookError};
    use hmac::{Hmac, Mac};

    fn sign(secret: &str, body: &[u8]) -> String {
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(body);
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    }

    fn delivery(events: usize) -> Vec<u8> {
        let events: Vec<String> = (0..events)
            .map(|i| format!(r#"{{"id":"e{i}","type":"x.y","data":{{}}}}"#))
            .collect();
        format!(r#"{{"events":[{}]}}"#, events.join(",")).into_bytes()
    }

    #[test]
    fn whitespace_only_secrets_are_no_secrets_and_a_trailing_newline_is_trimmed() {
        let body = delivery(1);
        let err = webhooks::verify(&[" ", "\t", "\n"], &body, Some(&sign(" ", &body))).unwrap_err();
        assert!(matches!(err, WebhookError::NoSecrets), "{err:?}");
        // A secret read from a file ends in a newline; FastSpring signs with the secret.
        webhooks::verify("s3cret\n", &body, Some(&sign("s3cret", &body))).unwrap();
    }

    #[test]
    fn bodies_and_event_counts_past_the_limits_are_refused_before_verifying() {
        let body = delivery(3);
        let sig = sign("k", &body);
        let err = webhooks::parse_with_limits("k", &body, Some(&sig), 10, 100).unwrap_err();
        assert!(
            matches!(err, WebhookError::BodyTooLarge { limit: 10 }),
            "{err:?}"
        );
        assert_eq!(err.http_status(), 413);
        // Refused on size even with a wrong signature: nothing is hashed.
        let err = webhooks::parse_with_limits("k", &body, Some("bad"), 10, 100).unwrap_err();
        assert!(matches!(err, WebhookError::BodyTooLarge { .. }), "{err:?}");
        let err = webhooks::parse_with_limits("k", &body, Some(&sig), 1 << 20, 2).unwrap_err();
        assert!(
            matches!(err, WebhookError::TooManyEvents { limit: 2 }),
            "{err:?}"
        );
        assert_eq!(
            webhooks::parse_with_limits("k", &body, Some(&sig), 1 << 20, 3)
                .unwrap()
                .events
                .len(),
            3
        );
        let huge = vec![b' '; webhooks::MAX_BODY_BYTES + 1];
        assert!(matches!(
            webhooks::parse("k", &huge, Some(&sign("k", &huge))),
            Err(WebhookError::BodyTooLarge { .. })
        ));
    }

    #[test]
    fn an_overlong_signature_is_refused_before_decoding() {
        let body = delivery(1);
        let long = "A".repeat(100_000);
        let err = webhooks::verify("k", &body, Some(&long)).unwrap_err();
        assert!(err.to_string().contains("100000 characters long"), "{err}");
    }

    #[test]
    fn disagreeing_signature_headers_are_malformed_not_first_wins() {
        let body = delivery(1);
        let good = sign("k", &body);
        let mut headers = reqwest::header::HeaderMap::new();
        headers.append("x-fs-signature", good.parse().unwrap());
        headers.append("X-FS-Signature", sign("other", &body).parse().unwrap());
        let err = webhooks::verify("k", &body, webhooks::signature_header(&headers)).unwrap_err();
        assert!(
            matches!(err, WebhookError::MalformedSignature { .. }),
            "{err:?}"
        );
        let pairs = [
            ("X-FS-Signature", good.as_str()),
            ("x-fs-signature", "other"),
        ];
        assert_eq!(webhooks::find_signature(pairs), Some("\u{FFFD}"));
        // The same value twice is fine.
        let mut same = reqwest::header::HeaderMap::new();
        same.append("x-fs-signature", good.parse().unwrap());
        same.append("x-fs-signature", good.parse().unwrap());
        webhooks::verify("k", &body, webhooks::signature_header(&same)).unwrap();
    }

    #[test]
    fn acknowledging_a_large_delivery_is_linear_and_a_hand_set_status_does_not_panic() {
        let ids: Vec<String> = (0..200_000).map(|i| format!("evt-{i}")).collect();
        let mut ack = Acknowledgement::for_ids(ids.iter().cloned().chain(ids.iter().cloned()));
        for id in ids.iter().step_by(2) {
            assert!(ack.mark_processed(id));
        }
        let reply = ack.response();
        assert_eq!(reply.status, 202);
        assert_eq!(reply.body.lines().count(), 100_000);
        let odd = AckResponse {
            status: 7,
            content_type: webhooks::ACK_CONTENT_TYPE,
            body: String::new(),
        };
        assert_eq!(odd.status_code().as_u16(), 500);
    }
}
