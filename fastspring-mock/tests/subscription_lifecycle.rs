//! The acceptance test of the clock, written as an app would: a buyer subscribes through
//! a checkout, a month passes (charge and rebill order), a charge is declined (overdue)
//! and recovered, the receiver is down during one renewal and `reconcile_unprocessed`
//! brings those events back, the buyer cancels, and the period ends (deactivated). The
//! app decides access with `Subscription::access_at` on the webhook data it received.
//! No sleeps: the clock is the mock's, deliveries are awaited.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use fastspring_api::subscriptions::Subscription;
use fastspring_api::webhook_events::EventData;
use fastspring_api::webhooks::{self, Acknowledgement, Event};
use fastspring_api::{Access, OverdueGrace};
use fastspring_mock::{Checkout, Kind, MockServer, Seed};
use jiff::{Span, Timestamp};
use serde_json::{Value, json};
use tokio::sync::Notify;

const SECRET: &str = "whsec-lifecycle";

/// The app: verifies and decodes each delivery, keeps the latest subscription it was
/// told about, and answers 503 while `down`.
#[derive(Clone, Default)]
struct App {
    down: Arc<AtomicBool>,
    handled: Arc<Mutex<Vec<String>>>,
    subscription: Arc<Mutex<Option<Subscription>>>,
    changed: Arc<Notify>,
}

impl App {
    /// What the app's handler does with one event (webhook or reconcile).
    fn handle(&self, event: &Event) {
        let data = event.data.as_ref().expect("every event decodes");
        let subscription = match data {
            EventData::SubscriptionActivated(s)
            | EventData::SubscriptionCanceled(s)
            | EventData::SubscriptionDeactivated(s)
            | EventData::SubscriptionPaymentOverdue(s) => Some((**s).clone()),
            EventData::SubscriptionChargeCompleted(charge) => expanded(&charge.subscription),
            EventData::SubscriptionChargeFailed(failed) => expanded_failed(&failed.subscription),
            _ => None,
        };
        if let Some(subscription) = subscription {
            *self.subscription.lock().unwrap() = Some(subscription);
        }
        self.handled.lock().unwrap().push(event.event_type.clone());
        self.changed.notify_waiters();
    }

    fn access(&self, now: Timestamp) -> Access {
        self.subscription
            .lock()
            .unwrap()
            .as_ref()
            .expect("a subscription")
            .access_with_grace(now, OverdueGrace::days(7))
    }

    /// Waits (without sleeping) until the app has handled an event of this type.
    async fn wait_for(&self, event_type: &str) {
        let wait = async {
            loop {
                let notified = self.changed.notified();
                if self.handled.lock().unwrap().iter().any(|t| t == event_type) {
                    return;
                }
                notified.await;
            }
        };
        tokio::time::timeout(Duration::from_secs(10), wait)
            .await
            .unwrap_or_else(|_| panic!("{event_type} never arrived"));
    }

    fn take_handled(&self) -> Vec<String> {
        std::mem::take(&mut self.handled.lock().unwrap())
    }
}

fn expanded(
    s: &fastspring_api::webhook_events::SubscriptionChargeCompletedDataSubscription,
) -> Option<Subscription> {
    use fastspring_api::webhook_events::SubscriptionChargeCompletedDataSubscription as S;
    match s {
        S::Expanded(s) => Some((**s).clone()),
        S::Id(_) => None,
    }
}

fn expanded_failed(
    s: &fastspring_api::webhook_events::SubscriptionChargeFailedDataSubscription,
) -> Option<Subscription> {
    use fastspring_api::webhook_events::SubscriptionChargeFailedDataSubscription as S;
    match s {
        S::Expanded(s) => Some((**s).clone()),
        S::Id(_) => None,
    }
}

async fn receive(State(app): State<App>, headers: HeaderMap, body: Bytes) -> (StatusCode, String) {
    if app.down.load(Ordering::SeqCst) {
        return (StatusCode::SERVICE_UNAVAILABLE, String::new());
    }
    let envelope = match webhooks::parse(SECRET, &body, webhooks::signature_header(&headers)) {
        Ok(envelope) => envelope,
        Err(error) => {
            return (
                StatusCode::from_u16(error.http_status()).unwrap(),
                error.to_string(),
            );
        }
    };
    let mut ack = Acknowledgement::new(&envelope);
    for event in &envelope.events {
        app.handle(event);
        ack.mark_processed(&event.id);
    }
    let response = ack.response();
    (
        StatusCode::from_u16(response.status).unwrap(),
        response.body,
    )
}

fn of_subscription<'a>(events: &'a [impl std::borrow::Borrow<Value>], id: &str) -> Vec<&'a str> {
    events
        .iter()
        .map(|e| e.borrow())
        .filter(|e| e["data"]["id"] == id || e["data"]["subscription"]["id"] == id)
        .filter_map(|e| e["type"].as_str())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_apps_subscription_lifecycle_over_four_months_in_mock_time() {
    let app = App::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/webhooks", listener.local_addr().unwrap());
    let router = Router::new()
        .route("/webhooks", post(receive))
        .with_state(app.clone());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });

    let start: Timestamp = "2025-01-15T09:00:00Z".parse().unwrap();
    let mock = MockServer::builder()
        .start_time(start)
        .seed(Seed::new().object(
            Kind::Products,
            json!({"product": "pro-monthly", "pricing": {"interval": "month", "intervalLength": 1, "price": {"USD": 29}}}),
        ))
        .webhook(url, SECRET)
        .retry_schedule(Vec::new()) // no redelivery: what the receiver misses stays unprocessed
        .start()
        .await
        .unwrap();
    let client = mock.client();
    let month = Span::new().months(1);

    // 1. The buyer pays at checkout.
    let bought = mock
        .complete_checkout(&Checkout::new("ada@example.com").item("pro-monthly", 1))
        .unwrap();
    let id = bought.subscriptions[0].clone();
    app.wait_for("subscription.activated").await;
    assert_eq!(
        app.take_handled(),
        [
            "account.created",
            "order.completed",
            "subscription.activated"
        ]
    );
    let renews: Timestamp = "2025-02-15T09:00:00Z".parse().unwrap();
    assert_eq!(
        app.access(mock.now()),
        Access::Active {
            renews_on: Some(renews),
            ends_on: None
        }
    );

    // 2. A month later: charged, with a rebill order linked to the subscription.
    let events = mock.advance_by(month);
    assert_eq!(
        of_subscription(&events, &id),
        ["subscription.charge.completed"]
    );
    app.wait_for("subscription.charge.completed").await;
    let charge = events
        .iter()
        .find(|e| e["type"] == "subscription.charge.completed")
        .unwrap();
    let order_id = charge["data"]["order"]["id"].as_str().unwrap();
    let order = client.orders().get(order_id).await.unwrap();
    let items = order.items.unwrap_or_default();
    assert!(
        format!("{:?}", items[0].subscription).contains(&id),
        "the rebill order names the subscription"
    );
    assert!(order.reference.unwrap().ends_with('B'));
    assert_eq!(
        app.access(mock.now()),
        Access::Active {
            renews_on: Some("2025-03-15T09:00:00Z".parse().unwrap()),
            ends_on: None
        }
    );
    app.take_handled();

    // 3. The next charge is declined: overdue, still in the app's 7-day grace.
    mock.decline_charges(&id, 1).unwrap();
    let events = mock.advance_by(month);
    assert_eq!(
        of_subscription(&events, &id),
        ["subscription.charge.failed"]
    );
    app.wait_for("subscription.charge.failed").await;
    let rest = client.subscriptions().get(id.as_str()).await.unwrap();
    let failed_at: Timestamp = "2025-03-15T09:00:00Z".parse().unwrap();
    let in_grace = Access::Overdue {
        since: Some(failed_at),
        grace_until: Some("2025-03-22T09:00:00Z".parse().unwrap()),
        in_grace: true,
    };
    assert_eq!(
        rest.access_with_grace(mock.now(), OverdueGrace::days(7)),
        in_grace,
        "REST and webhook agree"
    );
    assert_eq!(app.access(mock.now()), in_grace);

    // 4. The dunning retry a week later succeeds: active again, anchor kept.
    let events = mock.advance_by(Span::new().weeks(1));
    assert_eq!(
        of_subscription(&events, &id),
        ["subscription.charge.completed"]
    );
    app.wait_for("subscription.charge.completed").await;
    assert_eq!(
        app.access(mock.now()),
        Access::Active {
            renews_on: Some("2025-04-15T09:00:00Z".parse().unwrap()),
            ends_on: None
        }
    );
    app.take_handled();

    // 5. The receiver is down during the April renewal: the delivery fails.
    app.down.store(true, Ordering::SeqCst);
    let delivered = mock.deliveries().len();
    let events = mock.advance_to("2025-04-16T00:00:00Z".parse().unwrap());
    assert_eq!(
        of_subscription(&events, &id),
        ["subscription.charge.completed"]
    );
    let missed = events
        .iter()
        .find(|e| e["data"]["subscription"]["id"] == id.as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let attempt = tokio::time::timeout(Duration::from_secs(10), async {
        let mut n = delivered + 1;
        loop {
            let attempts = mock.wait_for_deliveries(n).await;
            if let Some(attempt) = attempts.iter().find(|d| d.event_ids.contains(&missed)) {
                return attempt.clone();
            }
            n = attempts.len() + 1;
        }
    })
    .await
    .expect("the renewal's delivery was attempted");
    assert_eq!(attempt.status, Some(503));
    assert!(mock.unprocessed().contains(&missed));
    app.down.store(false, Ordering::SeqCst);

    // ... and the app's reconcile pass brings the missed events back, same handler.
    let handler = app.clone();
    let report = webhooks::reconcile_unprocessed(&client, &webhooks::MemoryClaims::new(1_000))
        .days(30)
        .run(move |event| {
            handler.handle(&event);
            async { Ok::<(), String>(()) }
        })
        .await
        .unwrap();
    assert!(report.handled.contains(&missed));
    assert!(mock.unprocessed().is_empty());
    assert_eq!(
        app.access(mock.now()),
        Access::Active {
            renews_on: Some("2025-05-15T09:00:00Z".parse().unwrap()),
            ends_on: None
        }
    );
    app.take_handled();

    // 6. The buyer cancels: usable until the end of the paid period.
    client.subscriptions().cancel(id.as_str()).await.unwrap();
    app.wait_for("subscription.canceled").await;
    let period_end: Timestamp = "2025-05-15T09:00:00Z".parse().unwrap();
    assert_eq!(
        app.access(mock.now()),
        Access::CanceledUntil { until: period_end }
    );

    // 7. Past the period: deactivated, no charge.
    let events = mock.advance_by(month);
    assert_eq!(of_subscription(&events, &id), ["subscription.deactivated"]);
    app.wait_for("subscription.deactivated").await;
    assert_eq!(
        app.access(mock.now()),
        Access::Ended {
            since: Some(period_end)
        }
    );
    assert!(!app.access(mock.now()).grants_access());
    assert_eq!(
        mock.object(Kind::Subscriptions, &id).unwrap()["state"],
        "deactivated"
    );
}
