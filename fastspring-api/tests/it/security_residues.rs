//! Residues of the second security review (`security-2.md`): error texts built from
//! server input stay bounded whatever the server sends (L1), a cancel that may have
//! succeeded is not repeated (L12), and a duplicate `"result"` key cannot hide a failure
//! inside an HTTP 200 (S13).

use crate::support;

use std::time::Duration;

use fastspring_api::subscriptions::{SubscriptionUpdate, UpdateSubscriptionsRequest};
use fastspring_api::webhooks::{Envelope, WebhookError};
use fastspring_api::{Error, RetryPolicy};
use serde_json::json;
use support::{Loopback, Reply, test_client, test_client_with};

/// The most any single error text may hold: 1 KiB plus the excerpt's short note.
const BOUND: usize = 1200;

fn long_key() -> String {
    "k".repeat(200_000)
}

#[tokio::test]
async fn a_200_kb_key_in_a_response_is_cut_in_the_decode_path() {
    // A structural mismatch under the long key (an unreadable scalar would be kept).
    let body = json!({"coupon": "c", "discount": {"type": "flat", "amount": {long_key(): ["not-a-number"]}}});
    let server = Loopback::start([Reply::ok(&body)]).await;
    let t = test_client(&server);
    let error = t
        .client
        .coupons()
        .get("c")
        .await
        .expect_err("a list is no amount");
    let Error::Decode(decode) = &error else {
        panic!("expected a decode error, got {}", error.to_string().len())
    };
    assert!(
        decode.path.len() <= BOUND,
        "path of {} bytes",
        decode.path.len()
    );
    assert!(
        decode.path.starts_with("discount"),
        "{}",
        &decode.path[..40]
    );
    assert!(
        error.to_string().len() < 4096,
        "{}",
        error.to_string().len()
    );
}

#[tokio::test]
async fn a_200_kb_id_in_a_batch_item_is_cut() {
    let body = json!({"subscriptions": [
        {"subscription": "s".repeat(200_000), "action": "subscription.update",
         "result": "error", "error": {"subscription": "Subscription not found"}},
    ]});
    let server = Loopback::start([Reply::ok(&body)]).await;
    let t = test_client(&server);
    let outcome = t
        .client
        .subscriptions()
        .update(UpdateSubscriptionsRequest::new(vec![
            SubscriptionUpdate::new("sub-1"),
        ]))
        .send_batch()
        .await
        .unwrap();
    let failed = outcome.items[0].as_ref().expect_err("an error item");
    let id = failed.id.as_deref().unwrap();
    assert!(id.len() <= BOUND, "id of {} bytes", id.len());
    assert!(failed.to_string().len() < 4096);
}

#[test]
fn webhook_errors_quote_at_most_a_bounded_part_of_the_body() {
    // A field of the wrong type whose value is 1 MB: the whole delivery is refused.
    let body = json!({"events": [{"id": "e1", "type": "order.completed", "live": "x".repeat(1_000_000),
        "processed": false, "created": 1, "data": {}}]});
    let error = Envelope::parse_unverified(body.to_string().as_bytes()).unwrap_err();
    let WebhookError::InvalidBody { message } = &error else {
        panic!("{error:?}")
    };
    assert!(message.len() <= BOUND, "message of {} bytes", message.len());
    assert!(error.to_string().len() < 4096);

    // A 500 KB key inside one event's data: that event's decode error is cut.
    let body = json!({"events": [{"id": "e2", "type": "order.completed", "live": false,
        "processed": false, "created": 1,
        "data": {"id": "o1", "order": "o1", "tags": {"t".repeat(500_000): {"nested": "not a tag"}}}}]});
    let envelope = Envelope::parse_unverified(body.to_string().as_bytes()).unwrap();
    let decode = envelope.events[0]
        .data
        .as_ref()
        .expect_err("tags do not decode");
    assert!(
        decode.path.len() <= BOUND,
        "path of {} bytes",
        decode.path.len()
    );
    assert!(decode.to_string().len() < 4096);
}

#[tokio::test]
async fn a_duplicate_result_key_cannot_hide_a_failure_in_a_200() {
    let server = Loopback::start([
        Reply::ok(&json!({})).body(r#"{"result":"error","result":"error","error":{"x":"y"}}"#),
        Reply::ok(&json!({})).body(r#"{"result":"success","result":"error"}"#),
        Reply::ok(&json!({})).body(r#"{"id":"sub-1","subscription":"sub-1","result":"success"}"#),
    ])
    .await;
    let t = test_client(&server);
    for _ in 0..2 {
        let error = t.client.subscriptions().get("sub-1").await.unwrap_err();
        assert!(matches!(error, Error::Api { .. }), "{error:?}");
        assert_eq!(error.status(), Some(200));
    }
    t.client.subscriptions().get("sub-1").await.unwrap();
}

#[tokio::test]
async fn a_cancel_that_timed_out_is_not_sent_again() {
    // The first DELETE may have succeeded behind the timeout; a repeat would come back
    // as "already canceled", a failure for the caller.
    let canceled = json!({"subscriptions": [{"subscription": "sub-1",
        "action": "subscription.cancel", "result": "success"}]});
    let server = Loopback::start([Reply::hang(), Reply::ok(&canceled)]).await;
    let t = test_client_with(&server, |b| {
        b.timeout(Duration::from_millis(300))
            .retry_policy(RetryPolicy {
                max_attempts: 3,
                ..RetryPolicy::default()
            })
    });
    let error = t.client.subscriptions().cancel("sub-1").await.unwrap_err();
    assert!(matches!(error, Error::Timeout { .. }), "{error:?}");
    assert_eq!(server.requests().len(), 1, "the DELETE was repeated");

    // A GET that times out is still tried again.
    let server = Loopback::start([Reply::hang(), Reply::ok(&json!({"id": "sub-1"}))]).await;
    let t = test_client_with(&server, |b| {
        b.timeout(Duration::from_millis(300))
            .retry_policy(RetryPolicy {
                max_attempts: 3,
                ..RetryPolicy::default()
            })
    });
    t.client.subscriptions().get("sub-1").await.unwrap();
    assert_eq!(server.requests().len(), 2);
}
