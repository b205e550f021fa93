//! An app's view: the mock delivers signed webhooks to a receiver written with the
//! crate's own `webhooks::parse` and `Acknowledgement`, missed events are picked up by
//! `reconcile_unprocessed`, and nothing is left unprocessed.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use fastspring_api::subscriptions::PauseSubscriptionRequest;
use fastspring_api::webhooks::{self, Acknowledgement};
use fastspring_mock::{Checkout, Kind, MockServer, Seed};
use serde_json::{Value, json};

const SECRET: &str = "whsec-test-secret";

/// How the receiver answers: by delivery number (0-based) → which events to mark
/// processed (`None`: all of them).
type Policy = Arc<dyn Fn(usize, &[String]) -> Option<Vec<String>> + Send + Sync>;

#[derive(Clone)]
struct Receiver {
    policy: Policy,
    /// Event type and ID of every verified, typed event received, and the deliveries seen.
    received: Arc<Mutex<Vec<(String, String)>>>,
    deliveries: Arc<Mutex<usize>>,
}

async fn receive(
    State(app): State<Receiver>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, String) {
    let envelope = match webhooks::parse(SECRET, &body, webhooks::signature_header(&headers)) {
        Ok(envelope) => envelope,
        Err(error) => {
            return (
                StatusCode::from_u16(error.http_status()).unwrap(),
                error.to_string(),
            );
        }
    };
    let delivery = {
        let mut n = app.deliveries.lock().unwrap();
        *n += 1;
        *n - 1
    };
    let ids: Vec<String> = envelope.ids().map(str::to_string).collect();
    let mut ack = Acknowledgement::new(&envelope);
    let chosen = (app.policy)(delivery, &ids);
    for event in &envelope.events {
        // Every event the mock sends decodes into the crate's typed data.
        assert!(
            event.data.is_ok(),
            "{} did not decode: {:?}",
            event.event_type,
            event.data
        );
        if chosen.as_ref().is_none_or(|c| c.contains(&event.id)) {
            app.received
                .lock()
                .unwrap()
                .push((event.event_type.clone(), event.id.clone()));
            ack.mark_processed(&event.id);
        }
    }
    let response = ack.response();
    (
        StatusCode::from_u16(response.status).unwrap(),
        response.body,
    )
}

async fn start_receiver(policy: Policy) -> (String, Receiver, tokio::task::JoinHandle<()>) {
    let app = Receiver {
        policy,
        received: Arc::default(),
        deliveries: Arc::default(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/webhooks", listener.local_addr().unwrap());
    let router = Router::new()
        .route("/webhooks", post(receive))
        .with_state(app.clone());
    let task = tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    (url, app, task)
}

fn state_of(value: &impl serde::Serialize) -> Value {
    serde_json::to_value(value).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_pauses_resumes_and_cancels_a_subscription_and_receives_each_signed_webhook() {
    let (url, receiver, _task) = start_receiver(Arc::new(|_, _| None)).await;
    let mock = MockServer::builder()
        .seed(Seed::new().subscription("sub-app", "acct-app", "pro-monthly"))
        .webhook(url, SECRET)
        .retry_schedule(vec![Duration::ZERO; 2])
        .start()
        .await
        .unwrap();
    let client = mock.client();
    let subs = client.subscriptions();

    let paused = subs
        .pause("sub-app", PauseSubscriptionRequest::new(2))
        .await
        .unwrap();
    assert_eq!(paused.is_pause_scheduled, Some(true));
    let resumed = subs.resume("sub-app").await.unwrap();
    assert_eq!(resumed.is_pause_scheduled, Some(false));
    let canceled = subs.cancel("sub-app").await.unwrap();
    assert_eq!(state_of(&canceled)["subscriptions"][0]["result"], "success");

    let read = subs.get("sub-app").await.unwrap();
    let read = state_of(&read);
    assert_eq!(read["state"], "canceled", "later reads see the change");
    assert_eq!(read["isPauseScheduled"], false);

    let deliveries = mock.wait_for_deliveries(3).await;
    assert!(deliveries.iter().all(|d| d.status == Some(200)));
    for d in &deliveries {
        assert_eq!(
            d.signature,
            fastspring_mock::sign(SECRET, d.body.as_bytes())
        );
    }
    let types: Vec<String> = receiver
        .received
        .lock()
        .unwrap()
        .iter()
        .map(|(t, _)| t.clone())
        .collect();
    assert_eq!(
        types,
        [
            "subscription.paused",
            "subscription.resumed",
            "subscription.canceled"
        ]
    );

    // Every delivery was acknowledged with 200: FastSpring has nothing left to resend.
    let unprocessed = client.events().list_unprocessed().days(1).await.unwrap();
    assert_eq!(unprocessed.events.unwrap_or_default().len(), 0);
    let report = webhooks::reconcile_unprocessed(&client, &webhooks::MemoryClaims::new(1_000))
        .days(1)
        .run(|_event| async { Ok::<(), String>(()) })
        .await
        .unwrap();
    assert!(report.complete && report.handled.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_then_partly_acknowledged_delivery_is_retried_and_reconcile_finishes_the_rest() {
    // Delivery 0: nothing processed (500). Delivery 1 (the retry): only the first event (202).
    let policy: Policy = Arc::new(|delivery, ids| match delivery {
        0 => Some(Vec::new()),
        _ => Some(ids.iter().take(1).cloned().collect()),
    });
    let (url, receiver, _task) = start_receiver(policy).await;
    let ebook = json!({"product": "ebook", "pricing": {"price": {"USD": 9.0}}});
    let mock = MockServer::builder()
        .seed(Seed::new().object(Kind::Products, ebook))
        .webhook(url, SECRET)
        .retry_schedule(vec![Duration::ZERO])
        .start()
        .await
        .unwrap();
    let client = mock.client();

    // A new buyer's checkout of a one-time product: `account.created` and
    // `order.completed` in one POST.
    mock.complete_checkout(&Checkout::new("reader@example.com").item("ebook", 1))
        .unwrap();
    let deliveries = mock.wait_for_deliveries(2).await;
    assert_eq!(
        deliveries[0].event_ids.len(),
        2,
        "one POST carries both events"
    );
    assert_eq!(deliveries[0].status, Some(500));
    assert!(deliveries[0].acknowledged.is_empty());
    assert_eq!(deliveries[1].status, Some(202));
    assert_eq!(deliveries[1].acknowledged, deliveries[0].event_ids[..1]);
    let missed = deliveries[0].event_ids[1].clone();
    assert_eq!(
        mock.unprocessed(),
        [missed.as_str()],
        "the schedule is exhausted; one event is left"
    );

    // The app's reconcile pass handles what the webhooks missed, with the same handler.
    let handled = Arc::new(Mutex::new(Vec::new()));
    let seen = handled.clone();
    let report = webhooks::reconcile_unprocessed(&client, &webhooks::MemoryClaims::new(1_000))
        .days(1)
        .run(move |event| {
            let seen = seen.clone();
            async move {
                assert!(event.data.is_ok());
                seen.lock().unwrap().push(event.event_type.clone());
                Ok::<(), String>(())
            }
        })
        .await
        .unwrap();
    assert_eq!(report.handled, [missed]);
    assert!(report.failed.is_empty() && report.complete);
    assert_eq!(*handled.lock().unwrap(), ["order.completed"]);
    assert!(mock.unprocessed().is_empty());
    let left = client.events().list_unprocessed().days(1).await.unwrap();
    assert!(left.events.unwrap_or_default().is_empty());
    assert_eq!(receiver.received.lock().unwrap().len(), 1);
}

/// A mock that delivers to `url` signed with a secret the receiver does not have, and
/// does not retry.
async fn signing_with_a_wrong_secret(url: &str) -> MockServer {
    MockServer::builder()
        .webhook(url, "not-the-receivers-secret")
        .retry_schedule(Vec::new())
        .start()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_explicitly_emitted_event_carries_the_specs_example_data_and_a_wrong_secret_is_refused()
{
    let (url, receiver, _task) = start_receiver(Arc::new(|_, _| None)).await;
    let mock = signing_with_a_wrong_secret(&url).await;
    let event = mock.emit("order.completed", None);
    let deliveries = mock.wait_for_deliveries(1).await;
    assert_eq!(
        deliveries[0].status,
        Some(401),
        "the receiver refuses a bad signature"
    );
    assert_eq!(mock.unprocessed(), [event["id"].as_str().unwrap()]);

    mock.set_webhook(Some((url, SECRET.to_string())));
    let second = mock.emit("order.completed", None);
    let deliveries = mock.wait_for_deliveries(2).await;
    assert_eq!(deliveries[1].status, Some(200));
    assert_eq!(deliveries[1].event_ids, [second["id"].as_str().unwrap()]);
    assert_eq!(receiver.received.lock().unwrap()[0].0, "order.completed");
}

// ---- waiting for deliveries is bounded and says what came ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_for_more_deliveries_than_come_reports_each_attempt_and_the_receiver() {
    let (url, _receiver, _task) = start_receiver(Arc::new(|_, _| None)).await;
    let mock = signing_with_a_wrong_secret(&url).await;
    let event = mock.emit("order.completed", None);
    let timeout = mock
        .wait_for_deliveries_within(2, Duration::from_millis(500))
        .await
        .unwrap_err();
    assert_eq!(timeout.wanted, 2);
    assert_eq!(timeout.delivered.len(), 1);
    assert_eq!(timeout.delivered[0].status, Some(401));
    assert_eq!(timeout.receiver.as_deref(), Some(url.as_str()));
    assert_eq!(timeout.unprocessed, 1);
    let report = timeout.to_string();
    assert!(
        report.starts_with("waited 500ms for 2 webhook delivery attempt(s); 1 made"),
        "{report}"
    );
    assert!(
        report.contains("#1: attempt 1 -> HTTP 401, 0 of 1 acknowledged: order.completed"),
        "{report}"
    );
    assert!(report.contains(&format!("receiver: {url}")), "{report}");
    assert_eq!(mock.unprocessed(), [event["id"].as_str().unwrap()]);
    // Within the time, it answers as before.
    let one = mock
        .wait_for_deliveries_within(1, Duration::from_millis(500))
        .await
        .unwrap();
    assert_eq!(one.len(), 1);
}

#[tokio::test(start_paused = true)]
async fn wait_for_deliveries_panics_after_its_timeout_naming_the_caller_and_the_missing_receiver() {
    use futures_util::FutureExt;
    let mock = MockServer::start().await;
    mock.emit("order.completed", None);
    let line = line!() + 1;
    let waited = std::panic::AssertUnwindSafe(mock.wait_for_deliveries(1))
        .catch_unwind()
        .await;
    let payload = waited.expect_err("no receiver: the wait must end in a panic");
    let message = payload
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(
        message.contains(&format!("webhooks_and_app_flow.rs:{line}")),
        "{message}"
    );
    assert!(
        message.contains("waited 10s for 1 webhook delivery attempt(s); 0 made"),
        "{message}"
    );
    assert!(
        message.contains("no webhook receiver is configured"),
        "{message}"
    );
    assert!(
        message.contains("events not yet acknowledged: 1"),
        "{message}"
    );
}
