//! A FastSpring webhook receiver with axum: raw body in, signature verified, typed events
//! claimed and handled once each, and the acknowledgement FastSpring expects sent back.
//!
//! ```text
//! FASTSPRING_WEBHOOK_SECRETS="new-secret,old-secret" \
//! LISTEN_ADDR=127.0.0.1:8282 \
//!     cargo run -p fastspring-api --features axum --example webhook_receiver
//! ```
//!
//! - `FASTSPRING_WEBHOOK_SECRETS`: the endpoint's "HMAC SHA256 Secret", comma-separated;
//!   list the new secret first during a key rotation.
//! - `LISTEN_ADDR`: where to listen (default `127.0.0.1:8282`). FastSpring posts to port
//!   443, 3443, 8282, 9191, 9000 or 9999; put TLS in front (a reverse proxy).
//! - With `FASTSPRING_API_USERNAME` and `FASTSPRING_API_PASSWORD` set, the receiver first
//!   picks up the events it missed (`GET /events/unprocessed`) with the same handler.
//!
//! Without a FastSpring account: start the mock with this receiver as its webhook
//! endpoint, then make it emit events (a subscription change, or the admin API):
//!
//! ```text
//! cargo run -p fastspring-mock -- --port 8080 \
//!     --webhook-url http://127.0.0.1:8282/fastspring/webhooks --webhook-secret s3cret
//! FASTSPRING_WEBHOOK_SECRETS=s3cret cargo run -p fastspring-api --features axum --example webhook_receiver
//! curl -X POST http://127.0.0.1:8080/mock/admin/events -H 'content-type: application/json' -d '{"type": "order.completed"}'
//! ```

use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRef, State};
use axum::routing::post;
use fastspring_api::webhook_events::EventData;
use fastspring_api::webhooks::{
    self, AckResponse, DEFAULT_LEASE, Event, MemoryClaims, VerifiedWebhook, WebhookSecrets,
};

#[derive(Clone)]
struct App {
    secrets: WebhookSecrets,
    /// Who handles which event. One server: in memory. Several: `fastspring-inbox`.
    claims: Arc<MemoryClaims>,
}

impl FromRef<App> for WebhookSecrets {
    fn from_ref(app: &App) -> WebhookSecrets {
        app.secrets.clone()
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let secrets: Vec<String> = std::env::var("FASTSPRING_WEBHOOK_SECRETS")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|secret| !secret.is_empty())
        .map(str::to_string)
        .collect();
    if secrets.is_empty() {
        return Err("set FASTSPRING_WEBHOOK_SECRETS to the endpoint's HMAC secret(s) (with the mock: the value of its --webhook-secret)".into());
    }
    let app = App {
        secrets: WebhookSecrets::new(secrets),
        claims: Arc::new(MemoryClaims::new(100_000)),
    };

    let has_credentials = [fastspring_api::USERNAME_ENV, fastspring_api::PASSWORD_ENV]
        .iter()
        .all(|name| std::env::var(name).is_ok_and(|value| !value.is_empty()));
    if has_credentials {
        // Reads FASTSPRING_API_BASE_URL too, so the pass also works against the mock.
        let client = fastspring_api::ClientBuilder::from_env()?
            .user_agent("webhook-receiver-example/1.0")
            .build()?;
        let claims = app.claims.clone();
        tokio::spawn(async move {
            // The same claims as the receiver: an event is never handled by both.
            match webhooks::reconcile_unprocessed(&client, &claims)
                .run(handle)
                .await
            {
                Ok(report) => println!(
                    "recovered {} missed event(s), {} failed, {} busy",
                    report.handled.len(),
                    report.failed.len(),
                    report.busy.len()
                ),
                Err(err) => eprintln!("could not list missed events: {err}"),
            }
        });
    }

    let router = Router::new()
        .route("/fastspring/webhooks", post(receive))
        .with_state(app);
    let addr = std::env::var("LISTEN_ADDR").unwrap_or_else(|_| "127.0.0.1:8282".to_string());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on http://{addr}/fastspring/webhooks");
    axum::serve(listener, router).await?;
    Ok(())
}

/// One webhook POST, already verified by the extractor (401/413/400 otherwise). Each
/// event is claimed, handled once, and acknowledged; one that another handler holds
/// stays unacknowledged, so FastSpring sends it again.
async fn receive(State(app): State<App>, webhook: VerifiedWebhook) -> AckResponse {
    let (ack, _failures) = webhooks::handle_events(
        &app.claims,
        &webhook.envelope.events,
        DEFAULT_LEASE,
        |event| handle(event.clone()),
    )
    .await;
    ack.response()
}

/// The application's business logic.
async fn handle(event: Event) -> Result<(), String> {
    let live = if event.live == Some(true) {
        "live"
    } else {
        "test"
    };
    match &event.data {
        // A known type whose data does not match the spec: leave it unprocessed, so it
        // is retried (and stays in /events/unprocessed) until the crate is updated.
        Err(problem) => Err(problem.to_string()),
        Ok(EventData::OrderCompleted(order)) => {
            let total = order
                .total
                .as_ref()
                .map(|t| t.to_string())
                .unwrap_or_default();
            let currency = order.currency.as_deref().unwrap_or("");
            println!("[{live}] order {} completed: {total} {currency}", order.id);
            Ok(())
        }
        Ok(EventData::SubscriptionActivated(subscription)) => {
            println!("[{live}] subscription {} activated", subscription.id);
            Ok(())
        }
        Ok(EventData::SubscriptionDeactivated(subscription)) => {
            println!("[{live}] subscription {} deactivated", subscription.id);
            Ok(())
        }
        Ok(EventData::Unknown { event_type, .. }) => {
            println!("[{live}] event type {event_type} is new to this crate; ignored");
            Ok(())
        }
        Ok(other) => {
            println!(
                "[{live}] {} not handled by this receiver",
                other.event_type()
            );
            Ok(())
        }
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            if matches!(error.downcast_ref(), Some(fastspring_api::Error::Config(_))) {
                eprintln!("{HINT}");
            }
            std::process::ExitCode::FAILURE
        }
    }
}

/// What to do about a missing setting, in one line.
const HINT: &str = "hint: set FASTSPRING_API_USERNAME and FASTSPRING_API_PASSWORD, or try it without an account: run `cargo run -p fastspring-mock` and set FASTSPRING_API_BASE_URL=http://127.0.0.1:8080 (any username and password)";
