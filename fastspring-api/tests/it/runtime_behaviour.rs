//! The runtime around the generated operations, exercised over loopback HTTP: retries
//! and `Retry-After`, the client-side rate limit, decode errors, failures inside a 200,
//! batch outcomes, multi-ID reads, path encoding, secrets, timeouts and `from_env`.
//!
//! Time is injected: the sleeper records every wait and returns at once, the clock only
//! moves when the sleeper "sleeps".

use crate::support;

use std::time::{Duration, SystemTime};

use fastspring_api::subscriptions::{
    PauseSubscriptionRequest, SubscriptionOrError, SubscriptionUpdate, UpdateSubscriptionsRequest,
};
use fastspring_api::{Client, Error, RateLimit, RetryPolicy};
use serde_json::{Value, json};
use support::{
    Loopback, PASSWORD, Reply, basic_token, capturing_subscriber, charge_body, charged,
    test_builder, test_client, test_client_with,
};

fn subscription(id: &str) -> Value {
    json!({
        "id": id,
        "subscription": id,
        "active": true,
        "state": "active",
        "product": "furious-falcon-monthly",
        "quantity": 1,
        "price": 14.95,
        "next": 1_825_977_600_000_i64,
    })
}

fn subscription_id(item: &SubscriptionOrError) -> String {
    match item {
        SubscriptionOrError::Subscription(s) => s.id().to_string(),
        SubscriptionOrError::Error(e) => {
            format!("error:{}", e.subscription.as_deref().unwrap_or("?"))
        }
    }
}

// ---------------------------------------------------------------------------------------
// Retries
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn retry_after_seconds_on_429_is_honoured_for_a_get() {
    let server = Loopback::start([
        Reply::json(429, &json!({"message": "Too many requests"})).header("retry-after", "3"),
        Reply::ok(&subscription("sub-1")),
    ])
    .await;
    let t = test_client(&server);

    let subscription = t.client.subscriptions().get("sub-1").await.unwrap();

    assert_eq!(subscription.id, "sub-1");
    // Retry-After plus up to 25 % jitter, so clients refused together do not return together.
    let slept = t.sleeper.slept();
    assert_eq!(slept.len(), 1, "{slept:?}");
    assert!(
        slept[0] >= Duration::from_secs(3) && slept[0] < Duration::from_millis(3750),
        "{slept:?}"
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert!(requests.iter().all(|r| r.path == "/subscriptions/sub-1"));
}

#[tokio::test]
async fn retry_after_as_an_http_date_is_honoured() {
    // An HTTP date a minute from now (whole seconds, as the header format has no fraction).
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let when = jiff::Timestamp::from_second(now as i64 + 60).unwrap();
    let date = when.strftime("%a, %d %b %Y %H:%M:%S GMT").to_string();
    let server = Loopback::start([
        Reply::status(429).header("retry-after", &date),
        Reply::ok(&subscription("sub-1")),
    ])
    .await;
    let t = test_client(&server);

    t.client.subscriptions().get("sub-1").await.unwrap();

    let slept = t.sleeper.slept();
    assert_eq!(slept.len(), 1, "{slept:?}");
    assert!(
        slept[0] > Duration::from_secs(50) && slept[0] <= Duration::from_secs(75),
        "waited {:?} for Retry-After: {date}",
        slept[0]
    );
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn a_post_answered_503_is_sent_once() {
    let server = Loopback::start([
        Reply::json(503, &json!({"message": "Service unavailable"})),
        Reply::ok(&charged()),
    ])
    .await;
    let t = test_client(&server);

    let error = t
        .client
        .subscriptions()
        .charge(charge_body())
        .await
        .unwrap_err();

    assert!(
        matches!(
            error,
            Error::Api {
                operation: "chargeSubscriptions",
                status: 503,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(
        error.is_retryable(),
        "retrying later may work, but not automatically"
    );
    assert_eq!(server.requests().len(), 1);
    assert!(t.sleeper.slept().is_empty());
    assert_eq!(server.unused_replies(), 1);
}

#[tokio::test]
async fn a_post_is_retried_when_the_caller_allows_it() {
    let server = Loopback::start([
        Reply::json(503, &json!({"message": "Service unavailable"})),
        Reply::ok(&charged()),
    ])
    .await;
    let t = test_client(&server);

    let response = t
        .client
        .subscriptions()
        .charge(charge_body())
        .retry_non_idempotent()
        .await
        .unwrap();

    assert_eq!(
        response.subscription.unwrap()[0].subscription.as_deref(),
        Some("sub-1")
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        requests[0].body, requests[1].body,
        "the same body is sent again"
    );
    assert_eq!(requests[1].path, "/subscriptions/charge");
    assert_eq!(t.sleeper.slept().len(), 1);
}

#[tokio::test]
async fn server_errors_on_a_get_back_off_exponentially_within_the_policy() {
    let policy = RetryPolicy {
        max_attempts: 4,
        initial_backoff: Duration::from_millis(200),
        max_backoff: Duration::from_millis(500),
        ..RetryPolicy::default()
    };
    let server = Loopback::start([
        Reply::status(500),
        Reply::status(502),
        Reply::status(503),
        Reply::json(504, &json!({"message": "Gateway timeout"})),
        Reply::ok(&subscription("never-reached")),
    ])
    .await;
    let t = test_client_with(&server, |b| b.retry_policy(policy.clone()));

    let error = t.client.subscriptions().get("sub-1").await.unwrap_err();

    assert_eq!(error.status(), Some(504), "{error:?}");
    assert_eq!(server.requests().len(), 4, "bounded by max_attempts");
    assert_eq!(server.unused_replies(), 1);
    let slept = t.sleeper.slept();
    assert_eq!(slept.len(), 3);
    for (i, wait) in slept.iter().enumerate() {
        let retry = i as u32 + 1;
        let (low, high) = (policy.backoff(retry, 0.0), policy.backoff(retry, 1.0));
        assert!(
            *wait >= low && *wait <= high,
            "retry {retry}: waited {wait:?}, expected within [{low:?}, {high:?}]"
        );
        assert!(*wait <= policy.max_backoff);
    }
    // The upper bounds double and then stop at max_backoff.
    assert_eq!(policy.backoff(1, 1.0), Duration::from_millis(200));
    assert_eq!(policy.backoff(2, 1.0), Duration::from_millis(400));
    assert_eq!(policy.backoff(3, 1.0), Duration::from_millis(500));
}

#[tokio::test]
async fn backoff_without_jitter_is_exact() {
    let policy = RetryPolicy {
        max_attempts: 3,
        initial_backoff: Duration::from_millis(300),
        max_backoff: Duration::from_secs(10),
        jitter: false,
        ..RetryPolicy::default()
    };
    let server = Loopback::start([
        Reply::status(500),
        Reply::status(500),
        Reply::ok(&subscription("sub-1")),
    ])
    .await;
    let t = test_client_with(&server, |b| b.retry_policy(policy));

    t.client.subscriptions().get("sub-1").await.unwrap();

    assert_eq!(
        t.sleeper.slept(),
        vec![Duration::from_millis(300), Duration::from_millis(600)]
    );
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn not_found_is_never_retried() {
    let body = json!({
        "subscriptions": [{
            "subscription": "nope",
            "action": "subscription.get",
            "result": "error",
            "error": {"subscription": "Subscription not found"}
        }]
    });
    let server = Loopback::start([Reply::json(404, &body), Reply::ok(&subscription("nope"))]).await;
    let t = test_client(&server);

    let error = t.client.subscriptions().get("nope").await.unwrap_err();

    let Error::Api {
        operation,
        status,
        body,
    } = &error
    else {
        panic!("expected Error::Api, got {error:?}");
    };
    assert_eq!((*operation, *status), ("getSubscription", 404));
    assert_eq!(
        body.field_errors().get("subscription").map(String::as_str),
        Some("Subscription not found")
    );
    assert!(!error.is_retryable());
    assert_eq!(server.requests().len(), 1);
    assert!(t.sleeper.slept().is_empty());
}

#[tokio::test]
async fn fastspring_not_found_as_a_400_is_recognised_and_other_400s_are_not() {
    let not_found = json!({
        "action": "subscription.get",
        "result": "error",
        "error": {"subscription": "Subscription not found"}
    });
    let invalid = json!({
        "action": "subscription.get",
        "result": "error",
        "error": {"subscription": "Invalid subscription id"}
    });
    let server = Loopback::start([
        Reply::json(400, &not_found),
        Reply::json(400, &invalid),
        Reply::json(404, &json!({"message": "Not Found"})),
        Reply::json(500, &not_found),
    ])
    .await;
    let t = test_client(&server);

    let first = t.client.subscriptions().get("gone").await.unwrap_err();
    assert_eq!(first.status(), Some(400));
    assert!(first.is_not_found(), "{first}");
    let second = t.client.subscriptions().get("bad id").await.unwrap_err();
    assert!(!second.is_not_found(), "{second}");
    let third = t.client.subscriptions().get("gone").await.unwrap_err();
    assert!(third.is_not_found(), "{third}");
    // A server error that happens to quote "not found" is not a missing resource.
    let t = test_client_with(&server, |b| b.retry_policy(RetryPolicy::never()));
    let fourth = t.client.subscriptions().get("gone").await.unwrap_err();
    assert_eq!(fourth.status(), Some(500));
    assert!(!fourth.is_not_found(), "{fourth}");
}

#[tokio::test]
async fn a_refused_connection_names_the_cause_and_the_server_but_no_path() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = Client::builder()
        .credentials("user", PASSWORD)
        .user_agent("tests/1.0")
        .base_url(format!("http://127.0.0.1:{port}"))
        .no_proxy()
        .retry_policy(RetryPolicy::never())
        .build()
        .unwrap();

    let error = client
        .subscriptions()
        .get("sub-secret-id")
        .await
        .unwrap_err();

    let text = error.to_string();
    assert!(matches!(error, Error::Transport { .. }), "{error:?}");
    assert!(text.contains(&format!("127.0.0.1:{port}")), "{text}");
    assert!(
        text.to_ascii_lowercase().contains("connection refused"),
        "{text}"
    );
    assert!(!text.contains("sub-secret-id"), "{text}");
    assert!(!text.contains(PASSWORD), "{text}");
}

// ---------------------------------------------------------------------------------------
// Rate limit
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn the_rate_limiter_makes_the_third_request_wait_and_is_shared_by_clones() {
    let server = Loopback::start([
        Reply::ok(&subscription("a")),
        Reply::ok(&subscription("b")),
        Reply::ok(&subscription("c")),
    ])
    .await;
    let t = test_client_with(&server, |b| {
        b.rate_limit(Some(RateLimit {
            requests: 2,
            per: Duration::from_secs(1),
        }))
    });
    let clone = t.client.clone();

    t.client.subscriptions().get("a").await.unwrap();
    t.client.subscriptions().get("b").await.unwrap();
    assert!(t.sleeper.slept().is_empty(), "two requests fit the window");
    clone.subscriptions().get("c").await.unwrap();

    assert_eq!(t.sleeper.slept(), vec![Duration::from_secs(1)]);
    let paths: Vec<String> = server.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(
        paths,
        ["/subscriptions/a", "/subscriptions/b", "/subscriptions/c"]
    );
}

// ---------------------------------------------------------------------------------------
// Errors inside responses
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn a_decode_error_names_the_operation_status_path_and_keeps_a_short_excerpt() {
    let body = json!([{
        "id": "QT3ktTTKT1-QIAZ8QAjxFQ",
        "beginPeriodDate": "2025-01-01",
        "note": "x".repeat(3000),
        "order": {
            "id": "3KpFRioVTwepRifGJ-iqSg",
            "reference": "NKO250115-3434-73110B",
            "items": [{"product": "premium-tablet", "quantity": ["lots"]}]
        }
    }]);
    let raw = serde_json::to_string(&body).unwrap();
    assert!(raw.len() > 3000);
    let server = Loopback::start([Reply::ok(&body)]).await;
    let t = test_client(&server);

    let error = t
        .client
        .subscriptions()
        .list_entries("sub-1")
        .await
        .unwrap_err();

    let Error::Decode(decode) = &error else {
        panic!("expected Error::Decode, got {error:?}");
    };
    assert_eq!(decode.operation, "listSubscriptionEntries");
    assert_eq!(decode.status, 200);
    assert_eq!(decode.path, "[0].order.items[0].quantity");
    // A structure where a number is documented (an unreadable scalar would be kept).
    assert!(decode.message.contains("sequence"), "{}", decode.message);
    assert!(
        decode.excerpt.len() <= 1024,
        "excerpt is {} bytes",
        decode.excerpt.len()
    );
    let kept = decode.excerpt.trim_end_matches('…');
    assert!(kept.len() > 500 && raw.starts_with(kept));
    assert_eq!(error.status(), Some(200));
    let text = error.to_string();
    assert!(
        text.contains("listSubscriptionEntries") && text.contains("[0].order.items[0].quantity")
    );
}

#[tokio::test]
async fn a_200_whose_result_is_error_becomes_an_api_error() {
    let body = json!({
        "action": "account.create",
        "result": "error",
        "error": {
            "email": "email already exists, /accounts/id",
            "country": "country invalid"
        }
    });
    let server = Loopback::start([Reply::ok(&body)]).await;
    let t = test_client(&server);
    let request = fastspring_api::accounts::CreateAccountRequest::new(
        fastspring_api::accounts::NewAccountContact::builder()
            .first("Jane")
            .last("Doe")
            .email("jane@example.com")
            .build(),
    );

    let error = t.client.accounts().create(request).await.unwrap_err();

    let Error::Api {
        operation,
        status,
        body,
    } = &error
    else {
        panic!("expected Error::Api, got {error:?}");
    };
    assert_eq!((*operation, *status), ("createAccount", 200));
    let fields = body.field_errors();
    assert_eq!(
        fields.get("email").map(String::as_str),
        Some("email already exists, /accounts/id")
    );
    assert_eq!(
        fields.get("country").map(String::as_str),
        Some("country invalid")
    );
    assert_eq!(fields.len(), 2);
    assert_eq!(error.status(), Some(200));
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn a_batch_call_reports_every_item() {
    let body = json!({"subscriptions": [
        {"subscription": "sub-1", "action": "subscription.update", "result": "success"},
        {"subscription": "sub-2", "action": "subscription.update", "result": "error",
         "error": {"subscription": "Subscription not found"}}
    ]});
    let server = Loopback::start([Reply::ok(&body)]).await;
    let t = test_client(&server);
    let one = SubscriptionUpdate::new("sub-1").with_quantity(3);
    let two = SubscriptionUpdate::new("sub-2").with_quantity(2);

    let outcome = t
        .client
        .subscriptions()
        .update(UpdateSubscriptionsRequest::new(vec![one, two]))
        .send_batch()
        .await
        .unwrap();

    assert_eq!(server.only_request().path, "/subscriptions");
    assert_eq!(outcome.operation, "updateSubscriptions");
    assert_eq!(outcome.items.len(), 2);
    let ok = outcome.items[0].as_ref().expect("first item succeeded");
    assert_eq!(ok.subscription.as_deref(), Some("sub-1"));
    let failed = outcome.items[1].as_ref().expect_err("second item failed");
    assert_eq!(failed.index, 1);
    assert_eq!(failed.id.as_deref(), Some("sub-2"));
    assert_eq!(
        failed.messages.get("subscription").map(String::as_str),
        Some("Subscription not found")
    );
    assert!(!outcome.all_succeeded());
    assert_eq!(outcome.succeeded().count(), 1);

    let error = outcome.into_result().unwrap_err();
    let Error::ItemFailures {
        operation,
        total,
        failures,
    } = &error
    else {
        panic!("expected Error::ItemFailures, got {error:?}");
    };
    assert_eq!(
        (*operation, *total, failures.len()),
        ("updateSubscriptions", 2, 1)
    );
    assert_eq!(failures[0].id.as_deref(), Some("sub-2"));
    assert!(
        error.to_string().contains("Subscription not found"),
        "{error}"
    );
}

#[tokio::test]
async fn an_item_that_does_not_decode_or_lacks_result_keeps_the_other_outcomes() {
    // Item 1 says success but its `subscription` is not a string; item 2 carries an
    // `error` without `result`. Neither may hide item 0's success.
    let body = json!({"subscriptions": [
        {"subscription": "sub-1", "action": "subscription.update", "result": "success"},
        {"subscription": ["sub-2"], "action": "subscription.update", "result": "success"},
        {"subscription": "sub-3", "error": {"subscription": "Subscription not found"}}
    ]});
    let server = Loopback::start([Reply::ok(&body)]).await;
    let t = test_client(&server);
    let updates = ["sub-1", "sub-2", "sub-3"]
        .map(|id| SubscriptionUpdate::new(id).with_quantity(1))
        .to_vec();

    let outcome = t
        .client
        .subscriptions()
        .update(UpdateSubscriptionsRequest::new(updates))
        .send_batch()
        .await
        .expect("the batch is reported item by item");

    assert_eq!(outcome.items.len(), 3);
    let ok = outcome.items[0].as_ref().expect("first item succeeded");
    assert_eq!(ok.subscription.as_deref(), Some("sub-1"));

    let odd = outcome.items[1]
        .as_ref()
        .expect_err("second item did not decode");
    assert!(odd.messages.is_empty());
    let decode = odd.undecodable.as_ref().expect("decode evidence kept");
    assert_eq!(decode.operation, "updateSubscriptions");
    assert_eq!(decode.path, "subscriptions[1].subscription");
    assert!(decode.excerpt.contains("sub-2"), "{}", decode.excerpt);
    assert_eq!(odd.raw["subscription"], json!(["sub-2"]));
    assert!(odd.to_string().contains("did not decode"), "{odd}");

    let failed = outcome.items[2].as_ref().expect_err("third item failed");
    assert_eq!(failed.id.as_deref(), Some("sub-3"));
    assert!(failed.undecodable.is_none());
    assert_eq!(
        failed.messages.get("subscription").map(String::as_str),
        Some("Subscription not found")
    );
}

// ---------------------------------------------------------------------------------------
// Multi-ID reads and path encoding
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn get_many_sends_one_request_with_each_id_encoded() {
    let wrapper = json!({
        "action": "subscription.get",
        "result": "success",
        "subscriptions": [
            subscription("sub-1"),
            subscription("sub 2"),
            {"subscription": "a,b", "action": "subscription.get", "result": "error",
             "error": {"subscription": "Subscription not found"}}
        ]
    });
    let server = Loopback::start([Reply::ok(&wrapper)]).await;
    let t = test_client(&server);

    let items = t
        .client
        .subscriptions()
        .get_many(["sub-1", "sub 2", "a,b"])
        .await
        .unwrap();

    let request = server.only_request();
    assert_eq!(request.method, "GET");
    assert_eq!(request.path, "/subscriptions/sub-1,sub%202,a%2Cb");
    assert_eq!(request.raw_query, None);
    request.assert_client_headers();
    let ids: Vec<String> = items.iter().map(subscription_id).collect();
    assert_eq!(ids, ["sub-1", "sub 2", "error:a,b"]);
}

#[tokio::test]
async fn get_many_with_one_id_accepts_the_bare_object() {
    let server = Loopback::start([Reply::ok(&subscription("only"))]).await;
    let t = test_client(&server);

    let items = t.client.subscriptions().get_many(["only"]).await.unwrap();

    assert_eq!(server.only_request().path, "/subscriptions/only");
    let ids: Vec<String> = items.iter().map(subscription_id).collect();
    assert_eq!(ids, ["only"]);
}

#[tokio::test]
async fn get_many_decode_errors_name_the_item_status_and_body() {
    let mut bad = subscription("b");
    bad["price"] = json!(["not a price"]);
    let server = Loopback::start([Reply::ok(
        &json!({"subscriptions": [subscription("a"), bad]}),
    )])
    .await;
    let t = test_client(&server);

    let err = t
        .client
        .subscriptions()
        .get_many(["a", "b"])
        .await
        .unwrap_err();

    let Error::Decode(decode) = err else {
        panic!("expected a decode error, got {err:?}")
    };
    assert_eq!(decode.operation, "getSubscription");
    assert_eq!(decode.status, 200);
    assert!(
        decode.path.starts_with("subscriptions[1]"),
        "{}",
        decode.path
    );
    assert!(decode.excerpt.contains("not a price"), "{}", decode.excerpt);
}

#[tokio::test]
async fn get_many_splits_more_than_fifty_ids() {
    let ids: Vec<String> = (0..120).map(|i| format!("sub-{i:03}")).collect();
    let page = |range: std::ops::Range<usize>| {
        Reply::ok(&json!({
            "subscriptions": ids[range].iter().map(|id| subscription(id)).collect::<Vec<_>>()
        }))
    };
    let server = Loopback::start([page(0..50), page(50..100), page(100..120)]).await;
    let t = test_client(&server);

    let items = t
        .client
        .subscriptions()
        .get_many(ids.clone())
        .await
        .unwrap();

    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    for (request, chunk) in requests
        .iter()
        .zip([&ids[0..50], &ids[50..100], &ids[100..120]])
    {
        assert_eq!(request.path, format!("/subscriptions/{}", chunk.join(",")));
    }
    let got: Vec<String> = items.iter().map(subscription_id).collect();
    assert_eq!(got, ids);
}

#[tokio::test]
async fn ids_with_reserved_characters_are_sent_percent_encoded() {
    let cases = [
        ("a/b", "/subscriptions/a%2Fb"),
        ("a?b=c", "/subscriptions/a%3Fb%3Dc"),
        ("a#b", "/subscriptions/a%23b"),
        ("100%", "/subscriptions/100%25"),
        ("../admin", "/subscriptions/..%2Fadmin"),
        ("a b", "/subscriptions/a%20b"),
        ("x..y", "/subscriptions/x..y"),
    ];
    let server = Loopback::start(cases.iter().map(|(id, _)| Reply::ok(&subscription(id)))).await;
    let t = test_client(&server);

    for (id, _) in cases {
        t.client.subscriptions().get(id).await.unwrap();
    }

    let requests = server.requests();
    assert_eq!(requests.len(), cases.len());
    for (request, (id, raw)) in requests.iter().zip(cases) {
        assert_eq!(request.path, raw, "raw path for ID {id:?}");
        assert_eq!(request.raw_query, None, "no query for ID {id:?}");
        assert_eq!(
            request.path.split('/').count(),
            3,
            "exactly two segments for ID {id:?}"
        );
    }

    // A path with a fixed segment after the ID keeps it after the encoded ID.
    let server = Loopback::start([Reply::ok(&subscription("a/b"))]).await;
    let t = test_client(&server);
    t.client
        .subscriptions()
        .pause("a/b?#", PauseSubscriptionRequest::new(1))
        .await
        .unwrap();
    let request = server.only_request();
    assert_eq!(request.path, "/subscriptions/a%2Fb%3F%23/pause");
    assert_eq!(request.raw_query, None);
}

#[tokio::test]
async fn dot_segments_and_empty_ids_are_refused_before_sending() {
    let server = Loopback::start([]).await;
    let t = test_client(&server);

    for id in ["..", ".", ""] {
        let error = t.client.subscriptions().get(id).await.unwrap_err();
        assert!(
            matches!(
                error,
                Error::InvalidInput {
                    operation: "getSubscription",
                    ..
                }
            ),
            "get({id:?}): {error:?}"
        );
        let error = t
            .client
            .subscriptions()
            .pause(id, PauseSubscriptionRequest::new(1))
            .await
            .unwrap_err();
        assert!(
            matches!(
                error,
                Error::InvalidInput {
                    operation: "pauseSubscription",
                    ..
                }
            ),
            "pause({id:?}): {error:?}"
        );
        let error = t
            .client
            .subscriptions()
            .get_many(["fine", id])
            .await
            .unwrap_err();
        assert!(
            matches!(error, Error::InvalidInput { .. }),
            "get_many([fine, {id:?}]): {error:?}"
        );
    }
    assert!(server.requests().is_empty(), "nothing was sent");
}

// ---------------------------------------------------------------------------------------
// Secrets
// ---------------------------------------------------------------------------------------

fn assert_no_secret(what: &str, text: &str) {
    assert!(
        !text.contains(PASSWORD),
        "{what} shows the password: {text}"
    );
    assert!(
        !text.contains(&basic_token()),
        "{what} shows the Basic token: {text}"
    );
    assert!(
        !text.contains("Basic "),
        "{what} shows an auth header: {text}"
    );
}

#[tokio::test]
async fn secrets_never_appear_in_debug_output_or_errors() {
    let server = Loopback::start([
        Reply::status(401),
        Reply::json(429, &json!({"message": "slow down"})).header("retry-after", "9"),
        Reply::ok(&json!([{"order": {"id": "o", "items": [{"quantity": ["x"]}]}}])),
        Reply::hang(),
    ])
    .await;
    let (builder, _, _) = test_builder(&server);
    assert_no_secret("ClientBuilder Debug", &format!("{builder:?}"));
    let client = builder.retry_policy(RetryPolicy::never()).build().unwrap();
    let debug = format!("{client:?}");
    assert_no_secret("Client Debug", &debug);
    assert!(debug.contains("redacted"), "{debug}");

    let mut errors = vec![
        client.subscriptions().get("s").await.unwrap_err(),
        client.subscriptions().get("s").await.unwrap_err(),
        client.subscriptions().list_entries("s").await.unwrap_err(),
        client
            .subscriptions()
            .get("s")
            .timeout(Duration::from_millis(100))
            .await
            .unwrap_err(),
        client.subscriptions().get("..").await.unwrap_err(),
    ];
    // A transport error: nothing listens on this port any more.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let (builder, _, _) = test_builder(&server);
    let unreachable = builder
        .base_url(format!("http://{closed}"))
        .retry_policy(RetryPolicy::never())
        .build()
        .unwrap();
    errors.push(unreachable.subscriptions().get("s").await.unwrap_err());
    // A configuration error mentioning the credentials.
    errors.push(
        Client::builder()
            .credentials("user:with-colon", PASSWORD)
            .build()
            .unwrap_err(),
    );

    let kinds: Vec<&str> = errors
        .iter()
        .map(|e| match e {
            Error::Api { status: 401, .. } => "api-401",
            Error::RateLimited { .. } => "rate-limited",
            Error::Decode(_) => "decode",
            Error::Timeout { .. } => "timeout",
            Error::InvalidInput { .. } => "invalid-input",
            Error::Transport { .. } => "transport",
            Error::Config(_) => "config",
            _ => "other",
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "api-401",
            "rate-limited",
            "decode",
            "timeout",
            "invalid-input",
            "transport",
            "config"
        ]
    );
    for error in &errors {
        assert_no_secret("error Debug", &format!("{error:?}"));
        assert_no_secret("error Display", &format!("{error}"));
        let mut source = std::error::Error::source(error);
        while let Some(inner) = source {
            assert_no_secret("error source", &format!("{inner:?} / {inner}"));
            source = inner.source();
        }
    }
}

#[tokio::test]
async fn tracing_output_has_the_request_fields_and_no_secret() {
    use tracing::instrument::WithSubscriber;

    let server = Loopback::start([
        Reply::json(503, &json!({"message": "try again"})),
        Reply::ok(&subscription("sub-1")),
    ])
    .await;
    let t = test_client(&server);
    let (subscriber, logs) = capturing_subscriber();

    async {
        t.client.subscriptions().get("sub-1").await.unwrap();
    }
    .with_subscriber(subscriber)
    .await;

    let logs = logs.contents();
    assert!(logs.contains("fastspring.request"), "{logs}");
    assert!(logs.contains("operation=\"getSubscription\""), "{logs}");
    assert!(logs.contains("method=\"GET\""), "{logs}");
    assert!(
        logs.contains("path=\"/subscriptions/{subscription_id}\""),
        "{logs}"
    );
    assert!(logs.contains("status=503"), "{logs}");
    assert!(logs.contains("status=200"), "{logs}");
    assert!(logs.contains("retrying"), "{logs}");
    assert_no_secret("tracing output", &logs);
    assert!(
        !logs.to_ascii_lowercase().contains("authorization"),
        "{logs}"
    );
    assert_eq!(server.requests().len(), 2);
}

// ---------------------------------------------------------------------------------------
// Timeouts
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn a_per_request_timeout_ends_a_request_the_server_never_answers() {
    let server = Loopback::start([Reply::hang()]).await;
    let t = test_client_with(&server, |b| {
        b.timeout(Duration::from_secs(600))
            .retry_policy(RetryPolicy::never())
    });

    // The outer guard only turns a hang into a failure; the request's own timeout is
    // what must end it.
    let outcome = tokio::time::timeout(
        Duration::from_secs(20),
        t.client
            .subscriptions()
            .get("slow")
            .timeout(Duration::from_millis(200))
            .send(),
    )
    .await
    .expect("the per-request timeout fired before the guard");

    let error = outcome.unwrap_err();
    assert!(
        matches!(
            error,
            Error::Timeout {
                operation: "getSubscription"
            }
        ),
        "{error:?}"
    );
    assert!(error.is_retryable());
    assert_eq!(server.only_request().path, "/subscriptions/slow");
}

// ---------------------------------------------------------------------------------------
// from_env
// ---------------------------------------------------------------------------------------

const CHILD_MARKER: &str = "WIRE_TESTS_FROM_ENV_CHILD";

/// Runs [`from_env_child`] in a fresh process with the given environment changes (the
/// environment of this process is never touched) and returns its `FROM_ENV` line.
fn run_from_env_child(set: &[(&str, &str)], remove: &[&str]) -> String {
    let mut command = std::process::Command::new(std::env::current_exe().unwrap());
    command
        .arg(support::test_name(module_path!(), "from_env_child"))
        .args(["--exact", "--ignored", "--nocapture", "--test-threads=1"])
        .env(CHILD_MARKER, "1")
        .env_remove(fastspring_api::USERNAME_ENV)
        .env_remove(fastspring_api::PASSWORD_ENV);
    for (k, v) in set {
        command.env(k, v);
    }
    for k in remove {
        command.env_remove(k);
    }
    let output = command.output().expect("the test binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "child failed: {stdout}");
    // The test harness prints `test from_env_child ... ` before the child's own output.
    stdout
        .lines()
        .find_map(|l| l.find("FROM_ENV ").map(|at| l[at..].to_string()))
        .unwrap_or_else(|| panic!("the child did not report: {stdout}"))
}

#[test]
fn from_env_reads_fastspring_api_username_and_password() {
    let secret = "env-pw-77f1-hush";
    let line = run_from_env_child(
        &[
            (fastspring_api::USERNAME_ENV, "env-user"),
            (fastspring_api::PASSWORD_ENV, secret),
        ],
        &[],
    );
    assert!(line.starts_with("FROM_ENV ok "), "{line}");
    assert!(line.contains("credentials: Some(\"[redacted]\")"), "{line}");
    assert!(line.contains(fastspring_api::DEFAULT_BASE_URL), "{line}");
    assert!(!line.contains(secret), "{line}");

    let line = run_from_env_child(&[(fastspring_api::USERNAME_ENV, "env-user")], &[]);
    assert!(line.starts_with("FROM_ENV err "), "{line}");
    assert!(line.contains(fastspring_api::PASSWORD_ENV), "{line}");

    let line = run_from_env_child(&[(fastspring_api::PASSWORD_ENV, secret)], &[]);
    assert!(line.starts_with("FROM_ENV err "), "{line}");
    assert!(line.contains(fastspring_api::USERNAME_ENV), "{line}");
    assert!(!line.contains(secret), "{line}");
}

/// Not a test of its own: the child process of
/// [`from_env_reads_fastspring_api_username_and_password`].
#[test]
#[ignore = "run in a child process by from_env_reads_fastspring_api_username_and_password"]
fn from_env_child() {
    if std::env::var_os(CHILD_MARKER).is_none() {
        return;
    }
    match Client::from_env() {
        Ok(client) => println!("FROM_ENV ok {client:?}"),
        Err(error) => println!("FROM_ENV err {error}"),
    }
}

#[tokio::test]
async fn an_anonymous_client_calls_buyer_operations_without_credentials_and_refuses_the_rest() {
    let session = json!({"id": "sess-1"});
    let server = Loopback::start([Reply::ok(&session)]).await;
    let client = Client::builder()
        .anonymous()
        .user_agent("buyer-page/1.0")
        .base_url(server.url())
        .no_proxy()
        .rate_limit(None)
        .build()
        .unwrap();

    // Checkout sessions document "no auth" as one of their security alternatives.
    client
        .checkout_sessions()
        .get("fastspring", "popup-main", "sess-1")
        .await
        .unwrap();
    let request = server.only_request();
    assert_eq!(
        request.path,
        "/v2/checkouts/fastspring/popup-main/sessions/sess-1"
    );
    assert_eq!(request.header("authorization"), None);

    // Everything else needs the seller's credentials: refused before anything is sent.
    let err = client.accounts().get("acc-1").await.unwrap_err();
    assert!(
        matches!(&err, Error::Config(m) if m.contains("getAccount") && m.contains("credentials")),
        "{err}"
    );
    assert_eq!(server.requests().len(), 1);
}
