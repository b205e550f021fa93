//! Webhook delivery as FastSpring does it: `{"events": [...]}` POSTed with
//! `X-FS-Signature` = Base64(HMAC-SHA256(secret, raw body)); 200 marks every event of
//! the delivery processed, 202 marks the IDs listed in its body (one per line), any
//! other answer (or no answer) is retried on the schedule; events never acknowledged
//! stay in `/events/unprocessed`.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::Shared;

/// FastSpring's documented retry schedule: waits after attempt 1, 2, … (1 h, 2 h, 4 h,
/// 6 h ×3, then 24 h) — 12 retries within about 7 days.
pub fn fastspring_schedule() -> Vec<Duration> {
    let h = |n: u64| Duration::from_secs(n * 3600);
    let mut schedule = vec![h(1), h(2), h(4), h(6), h(6), h(6)];
    schedule.extend(std::iter::repeat_n(h(24), 6));
    schedule
}

/// Where and how events are delivered.
#[derive(Clone)]
pub struct WebhookConfig {
    /// The receiver's URL.
    pub url: String,
    /// The HMAC secret.
    pub secret: String,
    /// Waits between attempts; its length is the number of retries.
    pub retry_schedule: Vec<Duration>,
}

impl std::fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("url", &self.url)
            .field("secret", &"[redacted]")
            .field("retry_schedule", &self.retry_schedule)
            .finish()
    }
}

/// One delivery attempt, as the mock recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// 1 for the first attempt, 2 for the first retry, …
    pub attempt: usize,
    /// The events sent, in order.
    pub event_ids: Vec<String>,
    /// The receiver's status; `None` when it could not be reached.
    pub status: Option<u16>,
    /// The events this attempt got acknowledged.
    pub acknowledged: Vec<String>,
    /// The raw body sent.
    pub body: String,
    /// The `X-FS-Signature` sent.
    pub signature: String,
}

impl Delivery {
    /// The `type` of each event sent, in order (read from the body).
    pub fn event_types(&self) -> Vec<String> {
        let body: Value = serde_json::from_str(&self.body).unwrap_or(Value::Null);
        body["events"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| e["type"].as_str().unwrap_or("?").to_string())
            .collect()
    }

    /// The admin API's JSON form.
    pub fn to_json(&self) -> Value {
        json!({
            "attempt": self.attempt,
            "eventIds": self.event_ids,
            "status": self.status,
            "acknowledged": self.acknowledged,
        })
    }
}

/// How long [`MockServer::wait_for_deliveries`](crate::MockServer::wait_for_deliveries)
/// waits before it gives up and reports what was delivered.
pub const DELIVERY_WAIT: Duration = Duration::from_secs(10);

/// Fewer delivery attempts than awaited were made in time: what was delivered, and what
/// may explain the rest. Its `Display` is the report a failed test shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryTimeout {
    /// How many attempts were awaited.
    pub wanted: usize,
    /// How long the wait lasted.
    pub waited: Duration,
    /// The attempts made, in order.
    pub delivered: Vec<Delivery>,
    /// The receiver configured when the wait ended; `None`: none, so nothing is sent.
    pub receiver: Option<String>,
    /// Events stored and not yet acknowledged (`/events/unprocessed`).
    pub unprocessed: usize,
    /// Deliveries never queued because the outbox was full
    /// ([`OUTBOX_CAPACITY`](crate::OUTBOX_CAPACITY)).
    pub skipped: usize,
}

impl std::fmt::Display for DeliveryTimeout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "waited {:?} for {} webhook delivery attempt(s); {} made",
            self.waited,
            self.wanted,
            self.delivered.len()
        )?;
        for (index, delivery) in self.delivered.iter().enumerate() {
            let status = delivery
                .status
                .map_or_else(|| "no answer".to_string(), |s| format!("HTTP {s}"));
            write!(
                f,
                "\n  #{}: attempt {} -> {status}, {} of {} acknowledged: {}",
                index + 1,
                delivery.attempt,
                delivery.acknowledged.len(),
                delivery.event_ids.len(),
                delivery.event_types().join(", ")
            )?;
        }
        match &self.receiver {
            Some(url) => write!(f, "\n  receiver: {url}")?,
            None => write!(
                f,
                "\n  no webhook receiver is configured (MockBuilder::webhook, MockServer::set_webhook), so nothing is sent"
            )?,
        }
        if self.skipped > 0 {
            write!(
                f,
                "\n  deliveries skipped with the outbox full: {}",
                self.skipped
            )?;
        }
        write!(f, "\n  events not yet acknowledged: {}", self.unprocessed)
    }
}

impl std::error::Error for DeliveryTimeout {}

/// `X-FS-Signature` of `body` under `secret`.
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(body);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Delivers the events with these IDs: the first attempt now (so deliveries leave in
/// the order the events happened), then, when some event was not acknowledged, the
/// retries on the schedule in a task of their own. The retries end when the mock stops
/// (`stop` changes or its sender is dropped) or the receiver is removed, and each one
/// goes to the receiver configured at that moment (security review S4).
pub(crate) async fn deliver(
    shared: Arc<Shared>,
    ids: Vec<String>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let Some(config) = shared.webhook.lock().expect("webhook lock").clone() else {
        return;
    };
    // The mock's one client (a handle: cloning it shares its connection pool).
    let http = shared.http.clone();
    if attempt(&shared, &config, &http, &ids, 1).await {
        return;
    }
    tokio::spawn(async move {
        for (retry, wait) in config.retry_schedule.iter().enumerate() {
            tokio::select! {
                _ = tokio::time::sleep(*wait) => {}
                _ = stop.changed() => return,
            }
            if *stop.borrow() {
                return;
            }
            let Some(current) = shared.webhook.lock().expect("webhook lock").clone() else {
                return;
            };
            let done = tokio::select! {
                done = attempt(&shared, &current, &http, &ids, retry + 2) => done,
                _ = stop.changed() => return,
            };
            if done {
                return;
            }
        }
    });
}

/// The HTTP client of a mock's deliveries, built once per mock: building one loads the
/// TLS roots and takes about as long as a delivery itself (issue 18). No proxy; no
/// redirects: a 307/308 would re-POST the signed body elsewhere (review S3).
pub(crate) fn http_client() -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
}

/// Most of a receiver's answer the mock reads: it needs the status and, for a 202, the
/// acknowledged IDs (one per line). The rest is left unread and the connection dropped.
pub const MAX_ANSWER_BYTES: usize = 1 << 20;

/// The first [`MAX_ANSWER_BYTES`] of the answer, as text; a line cut by the limit is
/// left out.
async fn read_answer(mut response: reqwest::Response) -> String {
    let mut bytes = Vec::new();
    let mut cut = false;
    while let Ok(Some(chunk)) = response.chunk().await {
        let room = MAX_ANSWER_BYTES - bytes.len();
        bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if chunk.len() >= room {
            cut = true;
            break;
        }
    }
    if cut {
        let whole_lines = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        bytes.truncate(whole_lines);
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// One POST of the still unprocessed events among `ids`; `true` when nothing is left.
async fn attempt(
    shared: &Shared,
    config: &WebhookConfig,
    http: &reqwest::Client,
    ids: &[String],
    attempt: usize,
) -> bool {
    let events: Vec<Value> = {
        let store = shared.store.lock().expect("store lock");
        store
            .events
            .iter()
            .filter(|e| ids.iter().any(|id| id == e.id()) && !e.processed)
            .map(|e| e.to_value())
            .collect()
    };
    if events.is_empty() {
        return true;
    }
    let event_ids: Vec<String> = events
        .iter()
        .filter_map(|e| e["id"].as_str().map(str::to_string))
        .collect();
    let body = json!({ "events": events }).to_string();
    let signature = sign(&config.secret, body.as_bytes());
    let answer = http
        .post(&config.url)
        .header("content-type", "application/json")
        .header("x-fs-signature", &signature)
        .header("user-agent", "FS")
        .body(body.clone())
        .send()
        .await;
    let (status, text) = match answer {
        Ok(response) => {
            let status = response.status().as_u16();
            (Some(status), read_answer(response).await)
        }
        Err(_) => (None, String::new()),
    };
    let acknowledged: Vec<String> = match status {
        Some(200) => event_ids.clone(),
        Some(202) => text
            .lines()
            .map(str::trim)
            .filter(|id| event_ids.iter().any(|e| e == id))
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    };
    {
        let mut store = shared.store.lock().expect("store lock");
        for id in &acknowledged {
            store.mark_event(id, true);
        }
    }
    let done = acknowledged.len() == event_ids.len();
    shared.record_delivery(Delivery {
        attempt,
        event_ids,
        status,
        acknowledged,
        body,
        signature,
    });
    done
}
