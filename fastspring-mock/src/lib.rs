//! A FastSpring you can run anywhere: a real HTTP server on loopback, driven by the
//! project's OpenAPI spec, for trying `fastspring-api` without a store and for testing
//! apps (subscription flows, webhook handlers) without the internet.
//!
//! ```no_run
//! # async fn run() {
//! let mock = fastspring_mock::MockServer::start().await;
//! let client = mock.client();
//! let account = client.accounts().get("abcDEFgHiJklM1N-3OP9q").await.unwrap();
//! # let _ = account; }
//! ```
//!
//! # How the spec drives it
//!
//! `cargo xtask regenerate` bundles `api-spec/` into one JSON document
//! (`fastspring-mock/spec/openapi.json`, checked by `--check` like the generated code).
//! The mock embeds it and, on first start, builds its route table from it: for every
//! operation the method and path template, the `operationId`, the parameters with their
//! schemas, the request body schema, whether it may be called without credentials
//! (`security` listing `{}`), and the declared responses with their examples. An
//! operation added to the spec is served after `regenerate` with no mock code.
//!
//! Every request is checked as FastSpring would: a `User-Agent` and HTTP Basic
//! credentials (401 otherwise, except the anonymous checkout-session operations),
//! required path and query parameters and their types, and the JSON body against the
//! request schema (a validator for the JSON-schema keywords the spec uses). A bad
//! request gets a 400 in the error format of the operation's family, naming the field:
//! `{"action": "account.create", "result": "error", "error": {"contact.email": "required"}}`
//! for the classic endpoints, `{"status": "400 BAD_REQUEST", "errors": [{"field": …}]}`
//! for checkout sessions.
//!
//! # State
//!
//! Accounts, products, coupons, subscriptions, orders and events live in the mock
//! instance (two mocks never share state). They start from the spec's examples and can
//! be seeded ([`MockBuilder::seed`], [`MockServer::seed`], the admin API). Reads see
//! earlier writes; subscription pause, resume, cancel, uncancel and updates, account
//! creation and updates record webhook events, listed by `/events/unprocessed` until
//! acknowledged and delivered to a configured receiver. Every other operation answers
//! its spec example.
//!
//! # Time
//!
//! The mock has its own clock ([`MockBuilder::start_time`], [`MockServer::now`]); every
//! time it writes comes from it, and it moves only when advanced
//! ([`MockServer::advance`], [`MockServer::advance_by`], [`MockServer::advance_to`],
//! `POST /mock/admin/clock`). Advancing plays out in time order what FastSpring does when
//! dates come: renewals with rebill orders, payment and trial reminders, trial ends,
//! deactivation of canceled subscriptions, pauses and resumes, declined charges and
//! dunning ([`MockServer::decline_charges`]), each with its events and deliveries. A paid
//! checkout ([`MockServer::complete_checkout`]) and named stories
//! ([`MockServer::run_scenario`]) start from the library or the admin API. The rules and
//! their sources are in the crate README.
//!
//! # Faults, rate limit, admin API
//!
//! [`MockServer::inject`] (or `POST /mock/admin/faults`) makes one operation or all
//! answer a status (429 with or without `Retry-After`, 5xx), wait, reset the connection
//! or truncate the body. [`MockServer::set_rate_limit`] (or `PUT /mock/admin/rate-limit`)
//! enforces FastSpring's 250 requests per minute, or a shorter window for tests
//! ([`MockServer::set_rate_limit_window`]). The admin endpoints are listed in the
//! crate README and in `GET /mock/admin`.

#![warn(missing_docs)]

mod admin;
mod checkout;
mod clock;
mod event;
mod exchange;
mod faults;
mod guard;
mod lazy;
mod logs;
mod ops;
mod proration;
mod scenarios;
mod seed;
mod server;
// ---- the bundled spec: not public API (issue 23 item 9) ----
// The crate's own `tests/every_operation.rs` walks the route table, so the module stays
// reachable, hidden from the docs and outside any compatibility promise. Apps use
// `operation_ids()`.
#[doc(hidden)]
pub mod spec;
// ---- end of the spec module ----
mod store;
mod timeline;
mod webhooks;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::{Notify, mpsc, watch};

pub use checkout::{Checkout, CheckoutOutcome};
pub use event::Event;
pub use faults::{FAULT_STATUSES, Fault, FaultKind, MAX_FAULT_DELAY};
pub use logs::{DELIVERY_LOG, DELIVERY_LOG_BYTES, OUTBOX_CAPACITY, REQUEST_LOG, REQUEST_LOG_BYTES};
pub use scenarios::{Scenario, ScenarioRun};
pub use seed::{AccountSeed, OrderSeed, ProductSeed, Seed};
pub use store::Kind;
pub use webhooks::{
    DELIVERY_WAIT, Delivery, DeliveryTimeout, MAX_ANSWER_BYTES, fastspring_schedule, sign,
};

use faults::{Faults, RateWindow};
use store::Store;
use webhooks::WebhookConfig;

/// Username of the credentials [`MockServer::client`] uses.
pub const MOCK_USERNAME: &str = "mock-api-user";
/// Password of the credentials [`MockServer::client`] uses.
pub const MOCK_PASSWORD: &str = "mock-api-password";

/// FastSpring's rate limit: requests per minute per IP address.
pub const FASTSPRING_RATE_LIMIT: usize = 250;

/// The `operationId` of every operation the mock serves, in the spec's order: what
/// [`Fault::on`] takes (`GET /mock/admin/operations` lists them with their paths).
pub fn operation_ids() -> impl Iterator<Item = &'static str> + Clone {
    spec::spec().routes.iter().map(|r| r.operation_id.as_str())
}

/// State shared by the server's tasks.
pub(crate) struct Shared {
    spec: &'static spec::Spec,
    store: Mutex<Store>,
    faults: Mutex<Faults>,
    rate: Mutex<Option<RateWindow>>,
    webhook: Mutex<Option<WebhookConfig>>,
    retry_schedule: Mutex<Vec<Duration>>,
    // ---- bounded logs and outbox (security review S17; see `logs.rs`) ----
    deliveries: Mutex<logs::BoundedLog<Delivery>>,
    delivered: Notify,
    outbox: mpsc::Sender<Vec<String>>,
    /// Deliveries not queued because the outbox was full.
    skipped: std::sync::atomic::AtomicUsize,
    credentials: Option<(String, String)>,
    requests: Mutex<logs::BoundedLog<(String, String)>>,
    // ---- end of bounded logs ----
    /// The client every webhook delivery of this mock uses (issue 18).
    http: reqwest::Client,
}

impl Shared {
    fn record_delivery(&self, delivery: Delivery) {
        self.deliveries
            .lock()
            .expect("deliveries lock")
            .push(delivery);
        self.delivered.notify_waiters();
    }

    /// Records a served request (`operationId`, path).
    pub(crate) fn record_request(&self, operation_id: &str, path: &str) {
        self.requests
            .lock()
            .expect("requests lock")
            .push((operation_id.to_string(), path.to_string()));
    }

    /// Records events and queues their delivery (one POST for the batch).
    fn emit(&self, events: Vec<(String, Value)>) -> Vec<Value> {
        let mut store = self.store.lock().expect("store lock");
        let recorded: Vec<Event> = events
            .into_iter()
            .map(|(ty, data)| store.record_event(&ty, data, false))
            .collect();
        drop(store);
        self.deliver(&recorded);
        recorded.iter().map(Event::to_value).collect()
    }

    /// Queues one delivery of these recorded events, when a receiver is configured.
    fn deliver(&self, events: &[Event]) {
        if !events.is_empty() && self.webhook.lock().expect("webhook lock").is_some() {
            let ids = events.iter().map(|e| e.id().to_string()).collect();
            // A full outbox (the worker far behind) skips this delivery: its events
            // stay unprocessed, as FastSpring's missed deliveries do.
            if self.outbox.try_send(ids).is_err() {
                self.skipped
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        }
    }

    /// The mock's clock, epoch milliseconds.
    pub(crate) fn now(&self) -> i64 {
        self.store.lock().expect("store lock").now
    }

    /// Advances the clock to `target`, playing out what falls due; one delivery per
    /// instant. Returns the recorded events in order.
    pub(crate) fn advance_to(&self, target: i64) -> Vec<Event> {
        let batches = timeline::advance_to(&mut self.store.lock().expect("store lock"), target);
        for batch in &batches {
            self.deliver(batch);
        }
        batches.into_iter().flatten().collect()
    }

    /// Advances the clock by a calendar span (`P1M` is a month).
    pub(crate) fn advance_by(&self, span: jiff::Span) -> Vec<Event> {
        self.advance_to(clock::add_span(self.now(), span))
    }

    /// Changes the store under its lock, then records and delivers the events the change
    /// returns, as one delivery.
    pub(crate) fn change<T>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<(T, Vec<(String, Value)>), String>,
    ) -> Result<(T, Vec<Value>), String> {
        let (out, events) = f(&mut self.store.lock().expect("store lock"))?;
        Ok((out, self.emit(events)))
    }
}

/// Configures a [`MockServer`] before it starts.
#[derive(Debug, Clone)]
#[must_use]
pub struct MockBuilder {
    ip: IpAddr,
    port: u16,
    seed: Seed,
    webhook: Option<(String, String)>,
    retry_schedule: Vec<Duration>,
    rate_limit: Option<(usize, Duration)>,
    credentials: Option<(String, String)>,
    start_time: Option<jiff::Timestamp>,
}

impl Default for MockBuilder {
    fn default() -> Self {
        MockBuilder {
            ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            seed: Seed::default(),
            webhook: None,
            retry_schedule: fastspring_schedule(),
            rate_limit: None,
            credentials: None,
            start_time: None,
        }
    }
}

impl MockBuilder {
    /// The port to listen on (default 0: any free port). The mock listens on
    /// 127.0.0.1 only.
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Objects to add to the spec's examples.
    pub fn seed(mut self, seed: Seed) -> Self {
        self.seed = seed;
        self
    }

    /// Deliver events to `url`, signed with `secret`.
    pub fn webhook(mut self, url: impl Into<String>, secret: impl Into<String>) -> Self {
        self.webhook = Some((url.into(), secret.into()));
        self
    }

    /// Waits between delivery attempts (default [`fastspring_schedule`]); tests pass
    /// `vec![Duration::ZERO; 3]` for three immediate retries.
    pub fn retry_schedule(mut self, schedule: Vec<Duration>) -> Self {
        self.retry_schedule = schedule;
        self
    }

    /// Enforce a rate limit of `per_minute` requests from the start (FastSpring: 250).
    pub fn rate_limit(self, per_minute: usize) -> Self {
        self.rate_limit_window(per_minute, Duration::from_secs(60))
    }

    /// Enforce at most `limit` requests in any `window` from the start (tests that
    /// must finish in seconds: 20 in 2 s).
    pub fn rate_limit_window(mut self, limit: usize, window: Duration) -> Self {
        self.rate_limit = Some((limit, window));
        self
    }

    /// Accept only these credentials (default: any non-empty Basic credentials).
    pub fn credentials(mut self, username: impl Into<String>, password: impl Into<String>) -> Self {
        self.credentials = Some((username.into(), password.into()));
        self
    }

    /// Where the mock's clock starts (default: the machine's time at start). The clock
    /// then stands still until advanced ([`MockServer::advance`]).
    pub fn start_time(mut self, at: jiff::Timestamp) -> Self {
        self.start_time = Some(at);
        self
    }

    /// Binds the port and starts serving.
    pub async fn start(self) -> std::io::Result<MockServer> {
        let spec = spec::spec();
        let start = self
            .start_time
            .map_or_else(store::now_millis, |t| t.as_millisecond());
        let mut store = Store::from_spec(spec, start);
        self.seed
            .apply(&mut store)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        let listener = tokio::net::TcpListener::bind(SocketAddr::new(self.ip, self.port)).await?;
        let addr = listener.local_addr()?;
        let http = webhooks::http_client().map_err(std::io::Error::other)?;
        let (outbox, mut inbox) = mpsc::channel::<Vec<String>>(OUTBOX_CAPACITY);
        let shared = Arc::new(Shared {
            spec,
            store: Mutex::new(store),
            faults: Mutex::new(Faults::default()),
            rate: Mutex::new(
                self.rate_limit
                    .map(|(limit, window)| RateWindow::with_window(limit, window)),
            ),
            webhook: Mutex::new(self.webhook.map(|(url, secret)| WebhookConfig {
                url,
                secret,
                retry_schedule: self.retry_schedule.clone(),
            })),
            retry_schedule: Mutex::new(self.retry_schedule),
            deliveries: Mutex::new(logs::BoundedLog::new(
                DELIVERY_LOG,
                DELIVERY_LOG_BYTES,
                |d: &Delivery| d.body.len() + d.signature.len(),
            )),
            delivered: Notify::new(),
            outbox,
            skipped: Default::default(),
            credentials: self.credentials,
            requests: Mutex::new(logs::BoundedLog::new(
                REQUEST_LOG,
                REQUEST_LOG_BYTES,
                |(op, path): &(String, String)| op.len() + path.len(),
            )),
            http,
        });
        let (stop, stopped) = watch::channel(false);
        let server = tokio::spawn(server::serve(listener, shared.clone(), stopped.clone()));
        let worker_shared = shared.clone();
        let mut worker_stop = stopped;
        let retries_stop = worker_stop.clone();
        let worker = tokio::spawn(async move {
            loop {
                tokio::select! {
                    batch = inbox.recv() => match batch {
                        Some(ids) => webhooks::deliver(worker_shared.clone(), ids, retries_stop.clone()).await,
                        None => return,
                    },
                    _ = worker_stop.changed() => return,
                }
            }
        });
        Ok(MockServer {
            addr,
            shared,
            stop,
            tasks: vec![server, worker],
        })
    }
}

/// A running mock. Stops when dropped.
#[derive(Debug)]
pub struct MockServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared").finish_non_exhaustive()
    }
}

impl MockServer {
    /// Starts a mock on a free loopback port with the spec's example data.
    ///
    /// # Panics
    ///
    /// When no loopback port can be bound (use [`MockServer::builder`] to handle it).
    pub async fn start() -> MockServer {
        MockServer::builder()
            .start()
            .await
            .expect("fastspring-mock could not bind a loopback port")
    }

    /// A builder for a configured mock.
    pub fn builder() -> MockBuilder {
        MockBuilder::default()
    }

    /// The base URL, `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address the mock listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A client builder pointed at the mock, with credentials, a user agent and no
    /// proxy; change what the test needs and build it. The client-side rate limit is
    /// off (a test suite may well send more than 250 requests a minute); turn on the
    /// mock's rate-limit mode to test how an app copes with FastSpring's limit.
    pub fn client_builder(&self) -> fastspring_api::ClientBuilder {
        let (user, password) = self
            .shared
            .credentials
            .clone()
            .unwrap_or_else(|| (MOCK_USERNAME.into(), MOCK_PASSWORD.into()));
        fastspring_api::Client::builder()
            .credentials(user, password)
            .user_agent("fastspring-mock-client/1.0")
            .base_url(self.base_url())
            .rate_limit(None)
            .no_proxy()
    }

    /// A client pointed at the mock.
    ///
    /// # Panics
    ///
    /// Never in practice: the builder's settings are fixed and valid.
    pub fn client(&self) -> fastspring_api::Client {
        self.client_builder()
            .build()
            .expect("a client for the mock builds")
    }

    // ---- faults checked before they are added (issue 23 item 9, issue 22 S17) ----

    /// Adds a fault rule (first matching rule wins).
    ///
    /// # Panics
    ///
    /// When the rule is refused (see [`MockServer::try_inject`]): an operation the spec
    /// does not have (`Fault::on("getSubscriptions")` names `getSubscription`), a status
    /// outside [`FAULT_STATUSES`], a delay over
    /// [`MAX_FAULT_DELAY`]. A test with a typo fails at the
    /// line that made it instead of passing with a fault that never fires.
    #[track_caller]
    pub fn inject(&self, fault: Fault) {
        if let Err(message) = self.try_inject(fault) {
            panic!("fastspring-mock refused a fault: {message}");
        }
    }

    /// Adds a fault rule, or says why not: the same checks as `POST /mock/admin/faults`
    /// (the operation is an `operationId` of the spec, the status a final HTTP status,
    /// the delay at most ten minutes).
    pub fn try_inject(&self, fault: Fault) -> Result<(), String> {
        fault.check(operation_ids())?;
        self.shared.faults.lock().expect("faults lock").push(fault);
        Ok(())
    }

    // ---- end of fault checks ----

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        self.shared.faults.lock().expect("faults lock").clear();
    }

    /// Turns the rate-limit mode on (`Some(per_minute)`) or off.
    pub fn set_rate_limit(&self, per_minute: Option<usize>) {
        *self.shared.rate.lock().expect("rate lock") = per_minute.map(RateWindow::new);
    }

    /// Turns the rate-limit mode on with `limit` requests in any `window`
    /// (`Some((20, Duration::from_secs(2)))`) or off.
    pub fn set_rate_limit_window(&self, limit: Option<(usize, Duration)>) {
        *self.shared.rate.lock().expect("rate lock") =
            limit.map(|(limit, window)| RateWindow::with_window(limit, window));
    }

    /// Sets (or, with `None`, removes) the webhook receiver.
    pub fn set_webhook(&self, receiver: Option<(String, String)>) {
        let schedule = self
            .shared
            .retry_schedule
            .lock()
            .expect("schedule lock")
            .clone();
        *self.shared.webhook.lock().expect("webhook lock") =
            receiver.map(|(url, secret)| WebhookConfig {
                url,
                secret,
                retry_schedule: schedule,
            });
    }

    /// Adds objects to the state.
    pub fn seed(&self, seed: Seed) -> Result<(), String> {
        seed.apply(&mut self.shared.store.lock().expect("store lock"))
    }

    /// An object of the state, as the API would return it.
    pub fn object(&self, kind: Kind, id: &str) -> Option<Value> {
        self.shared
            .store
            .lock()
            .expect("store lock")
            .get(kind, id)
            .cloned()
    }

    /// Records an event and delivers it to the receiver, if any. `data: None` takes the
    /// spec's example data for `event_type`. Returns the stored event.
    pub fn emit(&self, event_type: &str, data: Option<Value>) -> Value {
        let data = data
            .or_else(|| store::example_event_data(self.shared.spec, event_type))
            .unwrap_or_else(|| Value::Object(Default::default()));
        self.shared
            .emit(vec![(event_type.to_string(), data)])
            .remove(0)
    }

    /// Every stored event, in creation order.
    pub fn events(&self) -> Vec<Value> {
        let store = self.shared.store.lock().expect("store lock");
        store.events.iter().map(|e| e.to_value()).collect()
    }

    /// IDs of the events not yet processed.
    pub fn unprocessed(&self) -> Vec<String> {
        let store = self.shared.store.lock().expect("store lock");
        store
            .events
            .iter()
            .filter(|e| !e.processed)
            .map(|e| e.id().to_string())
            .collect()
    }

    /// The webhook delivery attempts so far, oldest first: the last [`DELIVERY_LOG`]
    /// (10,000), within [`DELIVERY_LOG_BYTES`] (64 MiB) of bodies.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.shared
            .deliveries
            .lock()
            .expect("deliveries lock")
            .to_vec()
    }

    // ---- waiting for deliveries, bounded (issue 23 item 9) ----

    /// Waits until at least `n` delivery attempts were made since the mock started
    /// (counting those the log has since dropped); returns the kept ones
    /// ([`MockServer::deliveries`]).
    ///
    /// # Panics
    ///
    /// After [`DELIVERY_WAIT`] (10 s) with fewer attempts, with a report of what was
    /// delivered (each attempt's status and event types, the receiver, the events not
    /// yet acknowledged). [`MockServer::wait_for_deliveries_within`] returns that
    /// report as an error instead and takes its own timeout.
    #[track_caller]
    pub fn wait_for_deliveries(
        &self,
        n: usize,
    ) -> impl std::future::Future<Output = Vec<Delivery>> + '_ {
        // `#[track_caller]` does not reach into an `async fn`: the caller's location is
        // taken here and named in the panic.
        let caller = std::panic::Location::caller();
        async move {
            match self.wait_for_deliveries_within(n, DELIVERY_WAIT).await {
                Ok(deliveries) => deliveries,
                Err(timeout) => panic!("{caller}: {timeout}"),
            }
        }
    }

    /// Waits at most `timeout` (tokio's timer: under paused time it elapses as soon as
    /// the runtime is idle) until at least `n` delivery attempts were made; returns
    /// them, or what was delivered when time ran out.
    pub async fn wait_for_deliveries_within(
        &self,
        n: usize,
        timeout: Duration,
    ) -> Result<Vec<Delivery>, DeliveryTimeout> {
        let wait = async {
            loop {
                let notified = self.shared.delivered.notified();
                if self
                    .shared
                    .deliveries
                    .lock()
                    .expect("deliveries lock")
                    .total()
                    >= n
                {
                    return;
                }
                notified.await;
            }
        };
        let delivered = tokio::time::timeout(timeout, wait).await;
        let deliveries = self.deliveries();
        match delivered {
            Ok(()) => Ok(deliveries),
            Err(_) => Err(DeliveryTimeout {
                wanted: n,
                waited: timeout,
                delivered: deliveries,
                receiver: self
                    .shared
                    .webhook
                    .lock()
                    .expect("webhook lock")
                    .as_ref()
                    .map(|w| w.url.clone()),
                unprocessed: self.unprocessed().len(),
                skipped: self
                    .shared
                    .skipped
                    .load(std::sync::atomic::Ordering::Relaxed),
            }),
        }
    }

    // ---- end of waiting for deliveries ----

    /// The mock's clock: where it started, plus every advance. All times the mock
    /// writes (`changed`, `next`, event `created`, orders) come from it.
    pub fn now(&self) -> jiff::Timestamp {
        jiff::Timestamp::from_millisecond(self.shared.now()).unwrap_or(jiff::Timestamp::MAX)
    }

    /// Advances the clock by `by`, playing out in time order what falls due on the way
    /// (renewals, reminders, trial ends, deactivations, pauses, dunning), with events
    /// recorded and delivered (one delivery per instant). Returns the events recorded,
    /// shared with the mock's store rather than copied (a year over thousands of
    /// subscriptions is hundreds of thousands of events); each reads as its JSON
    /// (`event["type"]`), built when first read. For calendar months and years use
    /// [`MockServer::advance_by`].
    pub fn advance(&self, by: Duration) -> Vec<Event> {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.shared.advance_to(self.shared.now().saturating_add(ms))
    }

    /// Advances the clock by a calendar span: `jiff::Span::new().months(1)` is one
    /// month (January 31 → February 28 or 29), as `"P1M"` is in the admin API.
    pub fn advance_by(&self, span: jiff::Span) -> Vec<Event> {
        self.shared.advance_by(span)
    }

    /// Advances the clock to `at` (never backwards; an earlier time changes nothing).
    pub fn advance_to(&self, at: jiff::Timestamp) -> Vec<Event> {
        self.shared.advance_to(at.as_millisecond())
    }

    /// Declines the next `charges` charges of a subscription: the next one sends
    /// `subscription.charge.failed` and makes it `overdue`; dunning retries use up the
    /// rest, and the first retry left undeclined recovers it.
    pub fn decline_charges(&self, subscription: &str, charges: u32) -> Result<(), String> {
        let mut store = self.shared.store.lock().expect("store lock");
        if store.get(Kind::Subscriptions, subscription).is_none() {
            return Err(format!("no subscription `{subscription}`"));
        }
        store.billing_mut(subscription).declines = charges;
        Ok(())
    }

    /// Completes a checkout as if the buyer paid: `account.created` (new buyer),
    /// `order.completed`, `subscription.activated` per subscription product, in one
    /// delivery. Fails when a product is not in the store.
    pub fn complete_checkout(&self, checkout: &Checkout) -> Result<CheckoutOutcome, String> {
        self.shared
            .change(|store| checkout.complete(store))
            .map(|(outcome, _)| outcome)
    }

    /// Runs a named scenario from the clock's current time: it creates what it needs
    /// (products, a buyer through a checkout), acts and advances the clock.
    pub fn run_scenario(&self, scenario: Scenario) -> ScenarioRun {
        scenarios::run(&self.shared, scenario)
    }

    /// `(operationId, path)` of the requests served so far, oldest first: the last
    /// [`REQUEST_LOG`] (10,000), within [`REQUEST_LOG_BYTES`] (4 MiB).
    pub fn requests(&self) -> Vec<(String, String)> {
        self.shared.requests.lock().expect("requests lock").to_vec()
    }

    /// Stops serving and closes every connection.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        for task in self.tasks.drain(..) {
            let _ = task.await;
        }
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// The README's examples, compiled as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
