//! The first hour with the crate (issue 23), written the way a new user's app calls it:
//! a look-up by ID gives the resource itself (`Account`, not a `Single`/`Several`
//! union), FastSpring's "not found" is `is_not_found()`, a filtered listing streams
//! objects with the IDs resolved, and dates in queries are `jiff` values. Each test
//! checks what went over the wire and what the caller gets back (or the error it sees).

use crate::support;

use fastspring_api::Error;
use fastspring_api::jiff::{Timestamp, civil::date};
use fastspring_api::subscriptions::Subscription;
use futures_util::TryStreamExt;
use serde_json::{Value, json};
use support::{Loopback, Reply, assert_sent, serve_reply, test_client};

fn account(id: &str, email: &str) -> Value {
    json!({
        "id": id,
        "account": id,
        "contact": {"first": "Ada", "last": "Lovelace", "email": email},
        "subscriptions": ["sub-1"],
        "orders": ["order-1", "order-2"],
    })
}

fn subscription(id: &str) -> Value {
    json!({"id": id, "subscription": id, "active": true, "product": "pro-monthly"})
}

fn paths(server: &Loopback) -> Vec<String> {
    server
        .requests()
        .iter()
        .map(|r| match &r.raw_query {
            Some(q) => format!("{} {}?{q}", r.method, r.path),
            None => format!("{} {}", r.method, r.path),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// `get(id)` gives the resource
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn get_returns_the_account_whether_bare_or_wrapped() {
    let server = Loopback::start([
        Reply::ok(&account("acc-1", "ada@example.com")),
        // FastSpring's older form: the one account inside `{"accounts": [...]}`.
        Reply::ok(&json!({"accounts": [account("acc-1", "ada@example.com")]})),
    ])
    .await;
    let t = test_client(&server);

    let bare = t.client.accounts().get("acc-1").await.unwrap();
    let wrapped = t.client.accounts().get("acc-1").await.unwrap();

    // No `match`: the fields are right there.
    let email = bare.contact.as_ref().and_then(|c| c.email.as_deref());
    assert_eq!(email, Some("ada@example.com"));
    assert_eq!(wrapped, bare);
    assert_eq!(wrapped.account, "acc-1");
    assert_eq!(
        paths(&server),
        ["GET /accounts/acc-1", "GET /accounts/acc-1"]
    );
}

#[tokio::test]
async fn two_items_for_one_id_are_a_decode_error_with_the_evidence() {
    let body =
        json!({"accounts": [account("acc-1", "a@example.com"), account("acc-2", "b@example.com")]});
    let (server, t) = serve_reply(Reply::ok(&body)).await;

    let error = t.client.accounts().get("acc-1").await.unwrap_err();

    assert_sent(&server, "GET", "/accounts/acc-1", &[], None);
    let Error::Decode(decode) = &error else {
        panic!("expected a decode error, got {error:?}");
    };
    assert_eq!((decode.operation, decode.status), ("getAccount", 200));
    assert_eq!(decode.path, "accounts");
    assert!(
        decode.message.contains("`accounts` holds 2 items"),
        "{}",
        decode.message
    );
    assert!(
        decode.excerpt.starts_with("{\"accounts\":[{"),
        "{}",
        decode.excerpt
    );
    // What a user sees when printing it.
    let shown = error.to_string();
    assert!(
        shown.starts_with("could not decode the HTTP 200 response of getAccount at `accounts`"),
        "{shown}"
    );
    assert!(!error.is_not_found());
}

#[tokio::test]
async fn an_item_that_does_not_fit_is_located_inside_the_wrapper() {
    let body = json!({"returns": [{"return": ["not", "a", "string"]}]});
    let (_server, t) = serve_reply(Reply::ok(&body)).await;

    let error = t.client.returns().get("ret-1").await.unwrap_err();

    let Error::Decode(decode) = &error else {
        panic!("expected a decode error, got {error:?}");
    };
    assert_eq!(decode.operation, "getReturn");
    assert_eq!(decode.path, "returns[0].return");
}

#[tokio::test]
async fn not_found_in_a_400_and_in_a_200_wrapper_is_is_not_found() {
    let server = Loopback::start([
        Reply::json(
            400,
            &json!({"orders": [{"action": "order.get", "order": "gone", "result": "error",
                "error": {"order": "Not found"}}]}),
        ),
        Reply::ok(
            &json!({"subscriptions": [{"action": "subscription.get", "subscription": "gone",
                "result": "error", "error": {"subscription": "Subscription not found"}}]}),
        ),
    ])
    .await;
    let t = test_client(&server);

    let order = t.client.orders().get("gone").await.unwrap_err();
    let subscription = t.client.subscriptions().get("gone").await.unwrap_err();

    assert!(order.is_not_found(), "{order:?}");
    assert!(subscription.is_not_found(), "{subscription:?}");
    assert!(
        matches!(
            &subscription,
            Error::Api {
                operation: "getSubscription",
                status: 200,
                ..
            }
        ),
        "{subscription:?}"
    );
    let reason = subscription.body().and_then(|b| b.message());
    assert_eq!(
        reason.as_deref(),
        Some("subscription: Subscription not found")
    );
}

#[tokio::test]
async fn get_takes_one_id_and_get_many_several() {
    let server = Loopback::start([
        Reply::ok(
            &json!({"products": [{"product": "pro-monthly", "action": "products.get",
            "result": "success"}]}),
        ),
        Reply::ok(&json!({"products": [
            {"product": "pro-monthly", "result": "success"},
            {"product": "pro-yearly", "result": "success"},
        ]})),
    ])
    .await;
    let t = test_client(&server);

    // One path: a comma inside it is part of the ID, not a separator.
    let product = t.client.products().get("pro,monthly").await.unwrap();
    let both = t
        .client
        .products()
        .get_many(["pro-monthly", "pro-yearly"])
        .await
        .unwrap();

    assert_eq!(product.product, "pro-monthly");
    assert_eq!(both.len(), 2);
    assert_eq!(
        paths(&server),
        [
            "GET /products/pro%2Cmonthly",
            "GET /products/pro-monthly,pro-yearly"
        ]
    );
}

// ---------------------------------------------------------------------------------------
// Listings that promise objects give objects
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn objects_resolves_the_ids_of_a_page_through_get_many_in_order() {
    let server = Loopback::start([
        // Page 1: objects and IDs mixed.
        Reply::ok(
            &json!({"subscriptions": [subscription("sub-1"), "sub-2", "sub-3"],
            "page": 1, "nextPage": 2}),
        ),
        // The page's two IDs in one request.
        Reply::ok(&json!({"subscriptions": [subscription("sub-2"), subscription("sub-3")]})),
        // Page 2: one ID, answered bare.
        Reply::ok(&json!({"subscriptions": ["sub-4"], "page": 2})),
        Reply::ok(&subscription("sub-4")),
    ])
    .await;
    let t = test_client(&server);

    let subscriptions: Vec<Subscription> = t
        .client
        .subscriptions()
        .list()
        .account_id("acc-1")
        .objects()
        .try_collect()
        .await
        .unwrap();

    let ids: Vec<&str> = subscriptions.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["sub-1", "sub-2", "sub-3", "sub-4"]);
    assert_eq!(
        paths(&server),
        [
            "GET /subscriptions?accountId=acc-1",
            "GET /subscriptions/sub-2,sub-3",
            "GET /subscriptions?accountId=acc-1&page=2",
            "GET /subscriptions/sub-4",
        ]
    );
}

#[tokio::test]
async fn objects_of_accounts_fetches_ids_one_by_one_and_reports_a_refused_one_in_place() {
    let server = Loopback::start([
        Reply::ok(&json!({"accounts": ["acc-1", "acc-2"]})),
        Reply::ok(&account("acc-1", "a@example.com")),
        Reply::ok(
            &json!({"accounts": [{"account": "acc-2", "action": "account.get",
            "result": "error", "error": {"account": "Not found"}}]}),
        ),
    ])
    .await;
    let t = test_client(&server);

    let items: Vec<Result<_, Error>> =
        futures_util::StreamExt::collect(t.client.accounts().list().objects()).await;

    assert_eq!(items.len(), 2);
    assert_eq!(items[0].as_ref().unwrap().account, "acc-1");
    let refused = items[1].as_ref().unwrap_err();
    assert!(refused.is_not_found(), "{refused:?}");
    assert!(matches!(
        refused,
        Error::Api {
            operation: "getAccount",
            ..
        }
    ));
    assert_eq!(
        paths(&server),
        [
            "GET /accounts",
            "GET /accounts/acc-1",
            "GET /accounts/acc-2"
        ]
    );
}

// ---------------------------------------------------------------------------------------
// Dates in queries
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn dates_in_queries_are_jiff_values_written_as_fastspring_reads_them() {
    let server = Loopback::start([
        Reply::ok(&json!({"subscriptions": []})),
        Reply::ok(&json!({"events": [], "more": false})),
    ])
    .await;
    let t = test_client(&server);
    let instant: Timestamp = "2025-01-31T23:30:00-05:00".parse().unwrap();

    t.client
        .subscriptions()
        .list()
        .begin(date(2025, 1, 1))
        // A timestamp on a date parameter: its UTC date.
        .end(instant)
        .await
        .unwrap();
    t.client
        .events()
        .list_unprocessed()
        // An event window: a timestamp to the millisecond.
        .begin(instant)
        .end("2025-02-02")
        .await
        .unwrap();

    assert_eq!(
        paths(&server),
        [
            "GET /subscriptions?begin=2025-01-01&end=2025-02-01",
            "GET /events/unprocessed?begin=1738384200000&end=2025-02-02",
        ]
    );
}
