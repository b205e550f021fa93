//! Exactly once, on four servers: `fastspring-mock` delivers 1,000 events of mixed types
//! to one webhook URL, a round-robin proxy in front of four receivers, each with its own
//! store handle on one database. The proxy gives up on a receiver after a few
//! milliseconds (as FastSpring does after its timeout) while the receiver carries on,
//! so the mock's retries overlap first attempts; two reconcile loops work through
//! `/events/unprocessed` at the same time; one handler crashes midway, its claim held
//! until the lease runs out. Every event's side effect must happen exactly once and
//! none may be lost: with `MemoryClaims` (one process), SQLite and PostgreSQL.

mod support;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use fastspring_api::webhooks::{
    self, ClaimStore, Event, ManualClock, MemoryClaims, VerifiedWebhook, WebhookSecrets,
};
use fastspring_inbox::Inbox;
use fastspring_mock::MockServer;
use serde_json::json;
use support::{TempDir, options, postgres_database};

const SECRET: &str = "acceptance-secret";
const EVENTS: usize = 1_000;
const RECEIVERS: usize = 4;
/// Long enough that no live handler loses its lease: leases run out only when the test
/// moves the clock on, after everything but the crashed event is done.
const LEASE: Duration = Duration::from_secs(60);
/// The proxy's patience, shorter than the slowest injected handler delay.
const PROXY_TIMEOUT: Duration = Duration::from_millis(6);
/// Pause between reconcile passes.
const RECONCILE_EVERY: Duration = Duration::from_millis(1000);
const TYPES: [&str; 5] = [
    "order.completed",
    "subscription.activated",
    "subscription.canceled",
    "account.created",
    "subscription.charge.completed",
];

/// What the handlers did: how often each event's side effect ran.
#[derive(Default)]
struct Ledger {
    effects: Mutex<HashMap<String, u32>>,
    crash_id: Mutex<Option<String>>,
    crashed: AtomicBool,
    /// Claims that found the event held by another handler (overlapping attempts).
    busy: AtomicUsize,
    /// Passes (a delivery's handling, a reconcile pass) under way, crashed ones ended.
    in_flight: AtomicUsize,
}

/// Counts a pass as under way until it ends, by return or by panic.
struct InFlight(Arc<Ledger>);

impl InFlight {
    fn enter(ledger: &Arc<Ledger>) -> InFlight {
        ledger.in_flight.fetch_add(1, Ordering::SeqCst);
        InFlight(ledger.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Ledger {
    /// The application's handler: an injected delay for some events (so retries
    /// overlap), a crash midway for one, then the side effect.
    async fn handle(self: Arc<Self>, event: Event) -> Result<(), String> {
        let n: u64 = event.id.bytes().map(u64::from).sum();
        if n.is_multiple_of(3) {
            tokio::time::sleep(Duration::from_millis(n % 12)).await;
        }
        let is_crash = self.crash_id.lock().unwrap().as_deref() == Some(event.id.as_str());
        if is_crash && !self.crashed.swap(true, Ordering::SeqCst) {
            panic!("handler crashed midway through {}", event.id);
        }
        *self.effects.lock().unwrap().entry(event.id).or_default() += 1;
        Ok(())
    }

    fn done(&self) -> usize {
        self.effects.lock().unwrap().len()
    }
}

struct Receiver<S> {
    store: Arc<S>,
    ledger: Arc<Ledger>,
    secrets: WebhookSecrets,
}

impl<S> Clone for Receiver<S> {
    fn clone(&self) -> Self {
        Receiver {
            store: self.store.clone(),
            ledger: self.ledger.clone(),
            secrets: self.secrets.clone(),
        }
    }
}

impl<S> axum::extract::FromRef<Receiver<S>> for WebhookSecrets {
    fn from_ref(receiver: &Receiver<S>) -> WebhookSecrets {
        receiver.secrets.clone()
    }
}

async fn receive<S: ClaimStore + 'static>(
    State(receiver): State<Receiver<S>>,
    webhook: VerifiedWebhook,
) -> Response {
    // The work goes on in a task of its own, whether or not the caller still waits; a
    // panic in it is the server crashing midway (the claim stays held).
    let work = tokio::spawn(async move {
        let _pass = InFlight::enter(&receiver.ledger);
        let events = webhook.envelope.events;
        let (ack, failures) = webhooks::handle_events(&*receiver.store, &events, LEASE, |event| {
            receiver.ledger.clone().handle(event.clone())
        })
        .await;
        let acked = events.iter().filter(|e| ack.is_processed(&e.id)).count();
        let busy = events.len() - acked - failures.len();
        receiver.ledger.busy.fetch_add(busy, Ordering::Relaxed);
        ack.response()
    });
    match work.await {
        Ok(ack) => ack.into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

async fn listen(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}/hook")
}

#[derive(Clone)]
struct Proxy {
    targets: Arc<Vec<String>>,
    next: Arc<AtomicUsize>,
    http: reqwest::Client,
}

async fn proxy(State(proxy): State<Proxy>, headers: HeaderMap, body: Bytes) -> Response {
    let i = proxy.next.fetch_add(1, Ordering::Relaxed) % proxy.targets.len();
    let mut request = proxy.http.post(&proxy.targets[i]).body(body);
    if let Some(signature) = headers.get("x-fs-signature") {
        request = request.header("x-fs-signature", signature);
    }
    match request.timeout(PROXY_TIMEOUT).send().await {
        Ok(answer) => {
            let status = StatusCode::from_u16(answer.status().as_u16()).unwrap();
            (status, answer.text().await.unwrap_or_default()).into_response()
        }
        Err(_) => StatusCode::GATEWAY_TIMEOUT.into_response(),
    }
}

/// Runs the scenario: `receivers` and `reconcilers` are the store handles (four and
/// two), all on one database; `clock` measures their leases.
async fn exactly_once<S: ClaimStore + 'static>(
    receivers: Vec<Arc<S>>,
    reconcilers: Vec<Arc<S>>,
    clock: ManualClock,
) {
    let started = Instant::now();
    let ledger = Arc::new(Ledger::default());
    let mut targets = Vec::new();
    for store in receivers {
        let router = Router::new()
            .route("/hook", post(receive::<S>))
            .with_state(Receiver {
                store,
                ledger: ledger.clone(),
                secrets: WebhookSecrets::new([SECRET]),
            });
        targets.push(listen(router).await);
    }
    let proxy_url: String = listen(Router::new().route("/hook", post(proxy)).with_state(Proxy {
        targets: Arc::new(targets),
        next: Arc::new(AtomicUsize::new(0)),
        http: reqwest::Client::builder().no_proxy().build().unwrap(),
    }))
    .await;
    let mock = MockServer::builder()
        .webhook(proxy_url.clone(), SECRET)
        .retry_schedule(vec![Duration::from_millis(3); 6])
        .start()
        .await
        .unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let mut loops = Vec::new();
    for store in reconcilers {
        let (client, ledger, stop) = (mock.client(), ledger.clone(), stop.clone());
        loops.push(tokio::spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                let (client, store, ledger) = (client.clone(), store.clone(), ledger.clone());
                // A panic in the handler ends this pass only, as a crashed pod would.
                let _ = tokio::spawn(async move {
                    let _pass = InFlight::enter(&ledger);
                    let report = webhooks::reconcile_unprocessed(&client, &*store)
                        .days(1)
                        .lease(LEASE)
                        .run(|event| ledger.clone().handle(event))
                        .await;
                    if let Ok(report) = report {
                        ledger.busy.fetch_add(report.busy.len(), Ordering::Relaxed);
                    }
                })
                .await;
                tokio::time::sleep(RECONCILE_EVERY).await;
            }
        }));
    }

    // FastSpring's repeats, besides the mock's own (slower) deliveries: each batch of
    // ten events goes to the one webhook URL twice at once, as a retry that overlaps the
    // first attempt, signed as FastSpring signs.
    let sender = reqwest::Client::builder().no_proxy().build().unwrap();
    let mut repeats = Vec::new();
    let mut batch = Vec::new();
    let mut ids = Vec::with_capacity(EVENTS);
    for i in 0..EVENTS {
        let event_type = TYPES[i % TYPES.len()];
        let data = json!({"id": format!("res-{i}"), "changed": 1_700_000_000_000i64 + i as i64});
        let event = mock.emit(event_type, Some(data));
        let id = event["id"].as_str().unwrap().to_string();
        if i == EVENTS / 2 {
            *ledger.crash_id.lock().unwrap() = Some(id.clone());
        }
        ids.push(id);
        batch.push(event);
        if i % 10 == 9 {
            let body = json!({ "events": std::mem::take(&mut batch) }).to_string();
            let signature = fastspring_mock::sign(SECRET, body.as_bytes());
            for _ in 0..2 {
                let request = sender
                    .post(&proxy_url)
                    .header("X-FS-Signature", &signature)
                    .body(body.clone());
                repeats.push(tokio::spawn(request.send()));
            }
            // Events come over time, not all at once.
            tokio::time::sleep(Duration::from_millis(15)).await;
        }
    }

    let deadline = Instant::now() + Duration::from_secs(120);
    let mut advanced = false;
    loop {
        assert!(
            Instant::now() < deadline,
            "not done in time: {} of {EVENTS} handled, {} unprocessed",
            ledger.done(),
            mock.unprocessed().len()
        );
        let crashed = ledger.crashed.load(Ordering::SeqCst);
        // Only the crashed event is left, and no pass is between an event's side effect
        // and its completion (whose lease the jump would end too): its lease runs out.
        if !advanced
            && crashed
            && ledger.done() == EVENTS - 1
            && ledger.in_flight.load(Ordering::SeqCst) == 0
        {
            clock.advance(LEASE + Duration::from_secs(1));
            advanced = true;
        }
        if ledger.done() == EVENTS && mock.unprocessed().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stop.store(true, Ordering::SeqCst);
    let mut answered = 0;
    for repeat in repeats {
        if repeat.await.unwrap().is_ok() {
            answered += 1;
        }
    }
    for handle in loops {
        handle.await.unwrap();
    }

    assert!(ledger.crashed.load(Ordering::SeqCst), "the crash happened");
    let effects = ledger.effects.lock().unwrap().clone();
    let twice: Vec<_> = effects.iter().filter(|(_, n)| **n != 1).collect();
    assert!(twice.is_empty(), "side effects not exactly once: {twice:?}");
    for id in &ids {
        assert_eq!(effects.get(id), Some(&1), "event {id} lost");
    }
    assert_eq!(effects.len(), EVENTS);
    let busy = ledger.busy.load(Ordering::Relaxed);
    assert!(
        busy > 0,
        "the scenario must make handlers overlap on one event (no claim found it busy)"
    );
    let deliveries = mock.deliveries();
    eprintln!(
        "{EVENTS} events exactly once in {:?}: {} deliveries by the mock, {answered} repeats answered, {busy} claims found busy",
        started.elapsed(),
        deliveries.len()
    );
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn exactly_once_with_memory_claims() {
    let clock = ManualClock::new();
    let store = Arc::new(MemoryClaims::with_clock(10_000, Arc::new(clock.clone())));
    exactly_once(
        vec![store.clone(); RECEIVERS],
        vec![store.clone(), store],
        clock,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn exactly_once_with_sqlite() {
    let dir = TempDir::new("acceptance");
    let clock = ManualClock::new();
    let mut handles = Vec::new();
    for _ in 0..RECEIVERS + 2 {
        let inbox = Inbox::open_sqlite(dir.file("inbox.db"), options(&clock))
            .await
            .unwrap();
        handles.push(Arc::new(inbox));
    }
    let reconcilers = handles.split_off(RECEIVERS);
    exactly_once(handles, reconcilers, clock).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn exactly_once_with_postgres() {
    let Some((_server, url)) = postgres_database("acceptance").await else {
        return;
    };
    let clock = ManualClock::new();
    let mut handles = Vec::new();
    for _ in 0..RECEIVERS + 2 {
        let mut options = options(&clock);
        options.connections = 2;
        handles.push(Arc::new(
            Inbox::connect_postgres(&url, options).await.unwrap(),
        ));
    }
    let reconcilers = handles.split_off(RECEIVERS);
    exactly_once(handles, reconcilers, clock).await;
}
