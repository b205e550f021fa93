//! The inbox on real databases: SQLite on a temporary file, PostgreSQL started by the
//! shared helper. The public `ClaimStore` conformance suite, store errors, store then
//! acknowledge over HTTP, workers, dead letters and replay, migrations.

mod support;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{FromRef, State};
use axum::response::Response;
use axum::routing::post;
use fastspring_api::webhooks::testing::conformance;
use fastspring_api::webhooks::{ManualClock, VerifiedWebhook, WebhookSecrets};
use fastspring_inbox::{Inbox, SCHEMA_VERSION, Work};
use support::{TempDir, options, postgres_database, sqlite};

#[tokio::test]
async fn sqlite_passes_the_conformance_suite() {
    let dir = TempDir::new("conformance");
    let clock = ManualClock::new();
    let inbox = sqlite(&dir, &clock).await;
    conformance::run(&inbox, &clock).await;
    // A second handle on the same file sees the same claims.
    let other = sqlite(&dir, &clock).await;
    conformance::run(&other, &clock).await;
}

#[tokio::test]
async fn postgres_passes_the_conformance_suite() {
    let Some((_server, url)) = postgres_database("conformance").await else {
        return;
    };
    let clock = ManualClock::new();
    let inbox = Inbox::connect_postgres(&url, options(&clock))
        .await
        .unwrap();
    conformance::run(&inbox, &clock).await;
}

#[tokio::test]
async fn store_errors_surface_on_both_backends() {
    let dir = TempDir::new("errors");
    let clock = ManualClock::new();
    let inbox = sqlite(&dir, &clock).await;
    // The table is gone under the inbox (another program dropped it).
    spoil(&dir);
    conformance::store_errors_surface(&inbox).await;

    let Some((server, url)) = postgres_database("errors").await else {
        return;
    };
    let inbox = Inbox::connect_postgres(&url, options(&clock))
        .await
        .unwrap();
    drop(server); // the server stops
    conformance::store_errors_surface(&inbox).await;
}

/// Drops the inbox's table through a second connection to the file.
fn spoil(dir: &TempDir) {
    let other = rusqlite::Connection::open(dir.file("inbox.db")).unwrap();
    other.execute_batch("DROP TABLE inbox_events").unwrap();
}

#[tokio::test]
async fn migrations_are_versioned_and_applied_once() {
    let dir = TempDir::new("migrate");
    let clock = ManualClock::new();
    let first = sqlite(&dir, &clock).await;
    assert_eq!(first.schema_version().await.unwrap(), SCHEMA_VERSION);
    drop(first);
    let again = sqlite(&dir, &clock).await;
    assert_eq!(again.schema_version().await.unwrap(), SCHEMA_VERSION);
    let Some((_server, url)) = postgres_database("migrate").await else {
        return;
    };
    // Servers starting together migrate once (an advisory lock orders them).
    let (a, b) = tokio::join!(
        Inbox::connect_postgres(&url, options(&clock)),
        Inbox::connect_postgres(&url, options(&clock))
    );
    assert_eq!(a.unwrap().schema_version().await.unwrap(), SCHEMA_VERSION);
    assert_eq!(b.unwrap().schema_version().await.unwrap(), SCHEMA_VERSION);
}

// --- store, then acknowledge -------------------------------------------------------------

const SECRET: &str = "inbox-secret";

#[derive(Clone)]
struct App {
    secrets: WebhookSecrets,
    inbox: Arc<Inbox>,
}

impl FromRef<App> for WebhookSecrets {
    fn from_ref(app: &App) -> WebhookSecrets {
        app.secrets.clone()
    }
}

async fn receive(State(app): State<App>, webhook: VerifiedWebhook) -> Response {
    app.inbox.receive(&webhook).await
}

async fn serve(inbox: Arc<Inbox>) -> String {
    let app = App {
        secrets: WebhookSecrets::new([SECRET]),
        inbox,
    };
    let router = Router::new().route("/hook", post(receive)).with_state(app);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}/hook")
}

async fn deliver(url: &str, body: &str, secret: &str) -> (u16, String) {
    let response = reqwest::Client::new()
        .post(url)
        .header(
            "X-FS-Signature",
            fastspring_mock::sign(secret, body.as_bytes()),
        )
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

fn body(ids: &[&str]) -> String {
    let events: Vec<_> = ids
        .iter()
        .map(|id| serde_json::json!({"id": id, "type": "account.created", "data": {"id": format!("acct-{id}")}}))
        .collect();
    serde_json::json!({ "events": events }).to_string()
}

async fn store_then_acknowledge(inbox: Arc<Inbox>) {
    let url = serve(inbox.clone()).await;
    // Forged: refused, nothing stored.
    let (status, _) = deliver(&url, &body(&["forged"]), "wrong-secret").await;
    assert_eq!(status, 401);
    assert_eq!(inbox.pending().await.unwrap(), 0);
    // Verified: stored, then 200 for every event.
    let (status, text) = deliver(&url, &body(&["a1", "a2"]), SECRET).await;
    assert_eq!((status, text.as_str()), (200, ""));
    assert_eq!(inbox.pending().await.unwrap(), 2);
    // FastSpring's retry of the same delivery stores nothing twice.
    assert_eq!(deliver(&url, &body(&["a1", "a2"]), SECRET).await.0, 200);
    assert_eq!(inbox.pending().await.unwrap(), 2);
    // Workers hand each stored event to the handler once.
    let mut handled = Vec::new();
    loop {
        match inbox
            .work_once(|event| {
                handled.push(event.id.clone());
                async { Ok::<(), String>(()) }
            })
            .await
            .unwrap()
        {
            Work::Idle => break,
            Work::Handled(_) => {}
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(handled, ["a1", "a2"]);
    assert_eq!(inbox.pending().await.unwrap(), 0);
}

#[tokio::test]
async fn sqlite_stores_then_acknowledges() {
    let dir = TempDir::new("ack");
    let clock = ManualClock::new();
    store_then_acknowledge(Arc::new(sqlite(&dir, &clock).await)).await;
}

#[tokio::test]
async fn postgres_stores_then_acknowledges_and_answers_503_when_down() {
    let Some((server, url)) = postgres_database("ack").await else {
        return;
    };
    let clock = ManualClock::new();
    let inbox = Arc::new(
        Inbox::connect_postgres(&url, options(&clock))
            .await
            .unwrap(),
    );
    store_then_acknowledge(inbox.clone()).await;
    let hook = serve(inbox.clone()).await;
    drop(server);
    let (status, text) = deliver(&hook, &body(&["lost"]), SECRET).await;
    assert_eq!(status, 503, "{text}");
}

async fn dead_letters_and_replay(inbox: &Inbox, clock: &ManualClock) {
    inbox
        .store(&fastspring_inbox::Delivery {
            raw_body: b"{}",
            headers: vec![],
            events: &fastspring_api::webhooks::Envelope::parse_unverified(
                body(&["bad"]).as_bytes(),
            )
            .unwrap()
            .events,
        })
        .await
        .unwrap();
    let max = inbox.options().max_attempts;
    for attempt in 1..=max {
        let work = inbox
            .work_once(|_| async { Err::<(), _>("ledger offline") })
            .await
            .unwrap();
        let expected = if attempt == max {
            Work::DeadLettered("bad".into())
        } else {
            Work::Failed("bad".into())
        };
        assert_eq!(work, expected, "attempt {attempt}");
    }
    assert_eq!(
        inbox
            .work_once(|_| async { Ok::<(), String>(()) })
            .await
            .unwrap(),
        Work::Idle
    );
    let dead = inbox.dead_letters().await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(
        (
            dead[0].event_id.as_str(),
            dead[0].event_type.as_str(),
            dead[0].attempts
        ),
        ("bad", "account.created", max)
    );
    assert_eq!(dead[0].last_error.as_deref(), Some("ledger offline"));
    assert!(inbox.replay("bad").await.unwrap());
    assert!(
        !inbox.replay("bad").await.unwrap(),
        "no longer a dead letter"
    );
    // A crashed attempt (claimed, never settled) counts too, and is retried after its lease.
    let claimed = inbox.next().await.unwrap().unwrap();
    assert_eq!(claimed.attempts, 1);
    assert!(
        inbox.next().await.unwrap().is_none(),
        "held by the crashed worker"
    );
    clock.advance(inbox.options().lease + Duration::from_secs(1));
    assert_eq!(
        inbox
            .work_once(|_| async { Ok::<(), String>(()) })
            .await
            .unwrap(),
        Work::Handled("bad".into())
    );
    assert!(inbox.dead_letters().await.unwrap().is_empty());
}

#[tokio::test]
async fn sqlite_dead_letters_after_max_attempts_and_replays() {
    let dir = TempDir::new("dead");
    let clock = ManualClock::new();
    dead_letters_and_replay(&sqlite(&dir, &clock).await, &clock).await;
}

#[tokio::test]
async fn postgres_dead_letters_after_max_attempts_and_replays() {
    let Some((_server, url)) = postgres_database("dead").await else {
        return;
    };
    let clock = ManualClock::new();
    let inbox = Inbox::connect_postgres(&url, options(&clock))
        .await
        .unwrap();
    dead_letters_and_replay(&inbox, &clock).await;
}
