//! Handling each event once: `MemoryClaims` against the public conformance suite,
//! `handle_once`/`handle_events` and the acknowledgement they build, the ordering helper
//! and resend key, and the axum extractor over a loopback server.

#![cfg(all(feature = "webhook-events", feature = "axum", feature = "testing"))]

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{FromRef, State};
use axum::routing::post;
use fastspring_api::webhooks::testing::conformance;
use fastspring_api::webhooks::{
    self, AckResponse, Claim, Envelope, Freshness, ManualClock, MemoryClaims, OnceError, Outcome,
    ResendKey, Settled, VerifiedWebhook, WebhookSecrets,
};
use serde_json::json;

const SECRET: &str = "claims-test-secret";

fn sign(body: &str) -> String {
    use base64::Engine as _;
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

fn memory(clock: &ManualClock, capacity: usize) -> MemoryClaims {
    MemoryClaims::with_clock(capacity, Arc::new(clock.clone()))
}

#[tokio::test]
async fn memory_claims_pass_the_conformance_suite() {
    let clock = ManualClock::new();
    conformance::run(&memory(&clock, 1_000), &clock).await;
}

#[tokio::test]
async fn memory_claims_pass_the_suite_under_real_threads() {
    // The concurrency check again, with the claims racing on tokio's worker threads.
    let clock = ManualClock::new();
    let store = Arc::new(memory(&clock, 1_000));
    let tasks: Vec<_> = (0..64)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.try_claim("race", conformance::LEASE) })
        })
        .collect();
    let mut acquired = 0;
    for task in tasks {
        if task.await.unwrap().is_acquired() {
            acquired += 1;
        }
    }
    assert_eq!(acquired, 1);
}

#[test]
fn memory_claims_forget_the_oldest_done_id_when_full() {
    let clock = ManualClock::new();
    let store = memory(&clock, 2);
    for id in ["a", "b", "c"] {
        let Claim::Acquired(token) = store.try_claim(id, conformance::LEASE) else {
            panic!("{id} is free");
        };
        assert_eq!(store.try_complete(&token), Settled::Applied);
    }
    assert_eq!(store.len(), 2);
    assert!(!store.is_done("a"), "the oldest ID is forgotten");
    assert!(store.is_done("b") && store.is_done("c"));
    assert_eq!(store.try_claim("c", conformance::LEASE), Claim::Done);
    assert_eq!(MemoryClaims::new(0).capacity(), 1);
}

fn envelope(ids: &[&str]) -> Envelope {
    let events: Vec<_> = ids
        .iter()
        .map(|id| json!({"id": id, "type": "account.created", "data": {"id": "acct-1"}}))
        .collect();
    Envelope::parse_unverified(json!({ "events": events }).to_string().as_bytes()).unwrap()
}

#[tokio::test]
async fn a_busy_event_stays_unacknowledged_and_the_rest_are_202() {
    let clock = ManualClock::new();
    let store = memory(&clock, 100);
    // Another receiver holds e2 right now.
    assert!(store.try_claim("e2", conformance::LEASE).is_acquired());
    let envelope = envelope(&["e1", "e2", "e3"]);
    let mut ran = Vec::new();
    let (ack, failures) =
        webhooks::handle_events(&store, &envelope.events, conformance::LEASE, |event| {
            ran.push(event.id.clone());
            async { Ok::<(), String>(()) }
        })
        .await;
    assert!(failures.is_empty());
    assert_eq!(ran, ["e1", "e3"]);
    let reply = ack.response();
    assert_eq!((reply.status, reply.body.as_str()), (202, "e1\ne3"));
    // Everything busy: 500, so FastSpring sends it all again.
    let (ack, _) = webhooks::handle_events(
        &store,
        &envelope.events[1..2],
        conformance::LEASE,
        |_| async { Ok::<(), String>(()) },
    )
    .await;
    assert_eq!(ack.response().status, 500);
}

#[tokio::test]
async fn a_failed_handler_releases_and_a_crashed_one_is_retried_after_its_lease() {
    let clock = ManualClock::new();
    let store = memory(&clock, 100);
    let failed = webhooks::handle_once(&store, "e1", conformance::LEASE, || async {
        Err::<(), _>("warehouse down")
    })
    .await;
    assert!(matches!(failed, Err(OnceError::Handler("warehouse down"))));
    // Released: the retry handles it at once.
    let retried = webhooks::handle_once(&store, "e1", conformance::LEASE, || async {
        Ok::<(), String>(())
    })
    .await;
    assert_eq!(retried.unwrap(), Outcome::Handled);

    // A crash: the handler's future is dropped midway, nothing is released.
    let crash = webhooks::handle_once(&store, "e2", conformance::LEASE, || async {
        std::future::pending::<Result<(), String>>().await
    });
    assert!(
        tokio::time::timeout(Duration::from_millis(10), crash)
            .await
            .is_err()
    );
    let during = webhooks::handle_once(&store, "e2", conformance::LEASE, || async {
        Ok::<(), String>(())
    })
    .await;
    assert_eq!(during.unwrap(), Outcome::Busy);
    clock.advance(conformance::LEASE + Duration::from_millis(1));
    let after = webhooks::handle_once(&store, "e2", conformance::LEASE, || async {
        Ok::<(), String>(())
    })
    .await;
    assert_eq!(after.unwrap(), Outcome::Handled);
    let again = webhooks::handle_once(&store, "e2", conformance::LEASE, || async {
        Ok::<(), String>(())
    })
    .await;
    assert_eq!(again.unwrap(), Outcome::AlreadyDone);
}

fn subscription_event(id: &str, event_type: &str, changed: Option<i64>) -> webhooks::Event {
    let mut data = json!({"id": "sub-1", "state": "active"});
    if let Some(changed) = changed {
        data["changed"] = json!(changed);
    }
    webhooks::Event::from_json(json!({"id": id, "type": event_type, "data": data})).unwrap()
}

#[test]
fn freshness_compares_the_resource_changed_with_what_was_applied() {
    let canceled = subscription_event("ev-1", "subscription.canceled", Some(2_000));
    let late_paused = subscription_event("ev-0", "subscription.paused", Some(1_000));
    assert_eq!(webhooks::freshness(&canceled, None), Freshness::Newer);
    assert_eq!(
        webhooks::freshness(&canceled, Some(1_000)),
        Freshness::Newer
    );
    // The paused event arrives after the canceled one was applied: not applied.
    assert_eq!(
        webhooks::freshness(&late_paused, Some(2_000)),
        Freshness::Older
    );
    // Same millisecond, or no version: fetch the subscription again.
    assert_eq!(
        webhooks::freshness(&canceled, Some(2_000)),
        Freshness::Doubt
    );
    let unversioned = subscription_event("ev-2", "subscription.canceled", None);
    assert_eq!(webhooks::freshness(&unversioned, Some(1)), Freshness::Doubt);
    let version = webhooks::resource_version(&canceled).unwrap();
    assert_eq!(
        (version.kind.as_str(), version.id.as_str(), version.changed),
        ("subscription", "sub-1", 2_000)
    );
}

#[test]
fn a_nested_resource_gives_the_version_of_a_charge_event() {
    let event = webhooks::Event::from_json(json!({
        "id": "ev-9", "type": "subscription.charge.completed",
        "data": {"status": "successful", "subscription": {"id": "sub-7", "changed": 55}}
    }))
    .unwrap();
    let version = webhooks::resource_version(&event).unwrap();
    assert_eq!(
        (version.kind.as_str(), version.id.as_str(), version.changed),
        ("subscription", "sub-7", 55)
    );
}

#[tokio::test]
async fn a_manual_resend_has_a_new_id_and_the_same_resend_key() {
    let original = subscription_event("ev-1", "subscription.canceled", Some(2_000));
    let resend = subscription_event("ev-77", "subscription.canceled", Some(2_000));
    let key = ResendKey::of(&original).unwrap();
    assert_eq!(ResendKey::of(&resend).as_ref(), Some(&key));
    assert_eq!(key.claim_id(), "resend:subscription.canceled:sub-1:2000");
    let newer = subscription_event("ev-78", "subscription.canceled", Some(2_001));
    assert_ne!(ResendKey::of(&newer).unwrap(), key);
    // Claimed beside the event ID, the resend's handler does not run.
    let store = MemoryClaims::new(100);
    let mut ran = 0;
    for event in [&original, &resend] {
        let key = ResendKey::of(event).unwrap().claim_id();
        let outcome = webhooks::handle_once(&store, &key, conformance::LEASE, || {
            ran += 1;
            async { Ok::<(), String>(()) }
        })
        .await
        .unwrap();
        assert!(outcome.is_done());
    }
    assert_eq!(ran, 1);
}

// --- axum extractor ---------------------------------------------------------------------

#[derive(Clone)]
struct App {
    secrets: WebhookSecrets,
    claims: Arc<MemoryClaims>,
}

impl FromRef<App> for WebhookSecrets {
    fn from_ref(app: &App) -> WebhookSecrets {
        app.secrets.clone()
    }
}

async fn receive(State(app): State<App>, webhook: VerifiedWebhook) -> AckResponse {
    assert_eq!(
        webhook.key_index, 1,
        "the second secret signed these bodies"
    );
    let (ack, _) = webhooks::handle_events(
        &app.claims,
        &webhook.envelope.events,
        conformance::LEASE,
        |_| async { Ok::<(), String>(()) },
    )
    .await;
    ack.response()
}

async fn serve(max_body: usize) -> (String, Arc<MemoryClaims>) {
    let claims = Arc::new(MemoryClaims::new(100));
    let app = App {
        secrets: WebhookSecrets::new(["other-secret", SECRET]).max_body_bytes(max_body),
        claims: claims.clone(),
    };
    let router = Router::new().route("/hook", post(receive)).with_state(app);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (format!("http://{addr}/hook"), claims)
}

async fn post_hook(url: &str, body: &str, signature: Option<&str>) -> (u16, String, String) {
    let mut request = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(signature) = signature {
        request = request.header("X-FS-Signature", signature);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, content_type, response.text().await.unwrap())
}

#[tokio::test]
async fn the_extractor_verifies_and_the_ack_is_the_response() {
    let (url, claims) = serve(4096).await;
    let body = json!({"events": [
        {"id": "x1", "type": "account.created", "data": {"id": "a"}},
        {"id": "x2", "type": "account.created", "data": {"id": "b"}}
    ]})
    .to_string();
    let (status, content_type, text) = post_hook(&url, &body, Some(&sign(&body))).await;
    assert_eq!(
        (status, content_type.as_str(), text.as_str()),
        (200, webhooks::ACK_CONTENT_TYPE, "")
    );
    assert!(claims.is_done("x1") && claims.is_done("x2"));

    // Wrong signature, no signature: 401, nothing claimed.
    let other =
        json!({"events": [{"id": "x3", "type": "account.created", "data": {}}]}).to_string();
    let (status, _, text) = post_hook(&url, &other, Some(&sign(&body))).await;
    assert_eq!(status, 401, "{text}");
    assert!(text.contains("does not match"), "{text}");
    assert_eq!(post_hook(&url, &other, None).await.0, 401);
    assert!(!claims.is_done("x3"));
    assert!(claims.try_claim("x3", conformance::LEASE).is_acquired());

    // Signed but not an envelope: 400.
    let not_envelope = r#"{"event": 1}"#;
    let (status, _, text) = post_hook(&url, not_envelope, Some(&sign(not_envelope))).await;
    assert_eq!(status, 400, "{text}");
}

#[tokio::test]
async fn the_extractor_refuses_a_body_over_the_limit_with_413() {
    let (url, claims) = serve(200).await;
    let body = json!({"events": [{"id": "big", "type": "account.created",
                                  "data": {"id": "a", "pad": "x".repeat(300)}}]})
    .to_string();
    let (status, _, text) = post_hook(&url, &body, Some(&sign(&body))).await;
    assert_eq!(status, 413, "{text}");
    assert!(text.contains("larger than 200 bytes"), "{text}");
    assert!(claims.is_empty());
}
