//! Receiving FastSpring webhooks: verify the signature, parse the typed events,
//! acknowledge what was processed, skip duplicates, and recover missed events.
//!
//! FastSpring POSTs a JSON body `{"events": [...]}` holding one or more events. When the
//! webhook endpoint has an "HMAC SHA256 Secret", the request carries the header
//! `X-FS-Signature` (any letter case) = Base64(HMAC-SHA256(secret, raw body)). Nothing
//! else is signed (no timestamp), so there is no replay protection: de-duplicate on the
//! event `id`, which stays the same across FastSpring's automatic retries.
//!
//! A receiver does, per request:
//!
//! 1. keep the **raw body bytes** (never re-serialize parsed JSON before verifying);
//! 2. find the header with [`signature_header`] (or [`find_signature`] for plain pairs);
//! 3. [`parse`] = [`verify`] then decode into an [`Envelope`] of typed [`Event`]s;
//! 4. handle each event, and tell an [`Acknowledgement`] which IDs were processed;
//! 5. answer with [`Acknowledgement::response`]: 200 when all were processed, 202 with
//!    the processed IDs one per line when only some were, 500 when none was.
//!
//! ```
//! use fastspring_api::webhooks::{self, Acknowledgement, WebhookError};
//!
//! fn receive(raw_body: &[u8], signature: Option<&str>) -> Result<webhooks::AckResponse, WebhookError> {
//!     // During a key rotation, list both secrets: the new one and the old one.
//!     let envelope = webhooks::parse(&["new-secret", "old-secret"], raw_body, signature)?;
//!     let mut ack = Acknowledgement::new(&envelope);
//!     for event in &envelope.events {
//!         match &event.data {
//!             Ok(data) => { /* handle `data` (an `EventData` variant) */ ack.mark_processed(&event.id); }
//!             Err(problem) => eprintln!("event {} not understood: {problem}", event.id),
//!         }
//!     }
//!     Ok(ack.response())
//! }
//! ```
//!
//! Events the receiver missed (downtime, non-2xx answers) stay in
//! `GET /events/unprocessed` for 30 days; [`reconcile_unprocessed`] hands them to the
//! same handler and marks each one processed once the handler succeeded.
//!
//! # Rotating the webhook secret without downtime
//!
//! FastSpring switches to a new secret immediately and documents no overlap, while
//! retries queued before the switch may still carry the old signature. So:
//!
//! 1. Deploy the receiver with **both** secrets, new first:
//!    `webhooks::verify(&[new, old], body, header)` accepts either
//!    ([`verify_key_index`] tells which one matched, worth logging).
//! 2. Switch FastSpring over, in the app (Developer Tools > Webhooks) or by API:
//!    ```no_run
//!    # async fn run(client: fastspring_api::Client) -> Result<(), fastspring_api::Error> {
//!    use fastspring_api::webhook_keys::WebhookKeyRotateRequest;
//!    use fastspring_api::Secret;
//!    let request = WebhookKeyRotateRequest::new(
//!        "https://example.com/fastspring/webhooks".to_string(),
//!        Secret::new(std::env::var("NEW_WEBHOOK_SECRET").unwrap_or_default()),
//!    );
//!    client.webhook_keys().rotate(request).await?; // the secret never shows in Debug output
//!    # Ok(()) }
//!    ```
//! 3. Once the old secret has not matched for longer than FastSpring retries (7 days),
//!    remove it from the list and redeploy.

use std::collections::{HashSet, VecDeque};
use std::convert::Infallible;
use std::future::Future;
use std::sync::Mutex;

use base64::Engine as _;
use hmac::{Hmac, Mac};
use reqwest::header::HeaderMap;
use serde::Deserialize;
use serde_json::Value;
use sha2::Sha256;

use crate::EpochMillis;
use crate::webhook_events::EventData;

/// Name of the signature header. FastSpring may send it in any letter case.
pub const SIGNATURE_HEADER: &str = "X-FS-Signature";

/// Length in bytes of an HMAC-SHA256 digest.
const DIGEST_LEN: usize = 32;

/// Largest webhook body [`parse`] accepts (16 MiB): checked before the signature is
/// computed, so an unauthenticated sender cannot make the receiver hash or parse more.
/// FastSpring's deliveries are far smaller. Keep your HTTP framework's own body limit
/// at or below it; [`parse_with_limits`] sets another value.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// Most events [`parse`] accepts in one delivery.
pub const MAX_EVENTS: usize = 10_000;

/// Content type of every [`AckResponse`].
pub const ACK_CONTENT_TYPE: &str = "text/plain; charset=utf-8";

// ---------------------------------------------------------------------------------------
// Secrets and verification
// ---------------------------------------------------------------------------------------

/// One or more webhook secrets that [`verify`] tries.
///
/// Implemented for a single secret (`str`, `String`, [`crate::Secret`],
/// `secrecy::SecretString`) and for lists of them (slices, arrays, `Vec`), so both
/// `verify("secret", ..)` and `verify(&["new", "old"], ..)` work. Empty secrets are
/// ignored: an unset environment variable must not turn into a key anyone can use.
/// Surrounding whitespace is trimmed (a secret read from a file often ends in a
/// newline), and a secret that is only whitespace counts as empty.
pub trait Secrets {
    /// Appends the secrets' bytes to `out`, in the order they should be tried.
    fn collect_secrets<'a>(&'a self, out: &mut Vec<&'a [u8]>);
}

impl Secrets for str {
    fn collect_secrets<'a>(&'a self, out: &mut Vec<&'a [u8]>) {
        out.push(self.as_bytes());
    }
}

impl Secrets for String {
    fn collect_secrets<'a>(&'a self, out: &mut Vec<&'a [u8]>) {
        out.push(self.as_bytes());
    }
}

impl Secrets for crate::Secret {
    fn collect_secrets<'a>(&'a self, out: &mut Vec<&'a [u8]>) {
        out.push(self.expose().as_bytes());
    }
}

impl Secrets for secrecy::SecretString {
    fn collect_secrets<'a>(&'a self, out: &mut Vec<&'a [u8]>) {
        use secrecy::ExposeSecret as _;
        out.push(self.expose_secret().as_bytes());
    }
}

impl<T: Secrets + ?Sized> Secrets for &T {
    fn collect_secrets<'a>(&'a self, out: &mut Vec<&'a [u8]>) {
        (**self).collect_secrets(out);
    }
}

impl<T: Secrets> Secrets for [T] {
    fn collect_secrets<'a>(&'a self, out: &mut Vec<&'a [u8]>) {
        for secret in self {
            secret.collect_secrets(out);
        }
    }
}

impl<T: Secrets, const N: usize> Secrets for [T; N] {
    fn collect_secrets<'a>(&'a self, out: &mut Vec<&'a [u8]>) {
        self.as_slice().collect_secrets(out);
    }
}

impl<T: Secrets> Secrets for Vec<T> {
    fn collect_secrets<'a>(&'a self, out: &mut Vec<&'a [u8]>) {
        self.as_slice().collect_secrets(out);
    }
}

/// Why a webhook request was refused. Never contains a secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// No (non-empty) secret was given to check the signature with.
    #[error("no webhook secret configured")]
    NoSecrets,
    /// The request has no `X-FS-Signature` header (is a secret set for this endpoint in
    /// the FastSpring app?).
    #[error("the X-FS-Signature header is missing")]
    MissingSignature,
    /// The header is not a standard Base64 encoding of 32 bytes.
    #[error("the X-FS-Signature header is malformed: {reason}")]
    MalformedSignature {
        /// What is wrong with it.
        reason: String,
    },
    /// The signature does not match the body under any of the secrets: a wrong secret,
    /// a body changed on the way (or re-serialized before verifying), or a forgery.
    #[error("the X-FS-Signature header does not match the body under any configured secret")]
    SignatureMismatch,
    /// The body is larger than the receiver accepts (checked before the signature).
    #[error("the webhook body is larger than {limit} bytes")]
    BodyTooLarge {
        /// The limit in force.
        limit: usize,
    },
    /// The delivery holds more events than the receiver accepts.
    #[error("the webhook delivery holds more than {limit} events")]
    TooManyEvents {
        /// The limit in force.
        limit: usize,
    },
    /// The body was authentic but is not a FastSpring event envelope.
    #[error("the webhook body is not a FastSpring event envelope: {message}")]
    InvalidBody {
        /// What is wrong, with the position in the body.
        message: String,
    },
}

impl WebhookError {
    /// The HTTP status to answer with: 500 for a missing secret (our configuration),
    /// 401 for signature problems, 400 for a body that is not an envelope. FastSpring
    /// retries every non-2xx answer, so a fixed configuration picks the events up again.
    pub fn http_status(&self) -> u16 {
        match self {
            WebhookError::NoSecrets => 500,
            WebhookError::MissingSignature
            | WebhookError::MalformedSignature { .. }
            | WebhookError::SignatureMismatch => 401,
            WebhookError::InvalidBody { .. } => 400,
            WebhookError::BodyTooLarge { .. } | WebhookError::TooManyEvents { .. } => 413,
        }
    }
}

/// Finds `X-FS-Signature` in an `http::HeaderMap` (the type axum, hyper and reqwest use);
/// the lookup ignores letter case. A value that is not text, or several headers that
/// disagree, come back as `"\u{FFFD}"`, so that [`verify`] reports the signature
/// malformed rather than missing or checks only one of them.
pub fn signature_header(headers: &HeaderMap) -> Option<&str> {
    let mut values = headers.get_all(SIGNATURE_HEADER).iter();
    let first = values.next()?;
    if values.any(|other| other.as_bytes().trim_ascii() != first.as_bytes().trim_ascii()) {
        return Some("\u{FFFD}");
    }
    Some(std::str::from_utf8(first.as_bytes()).unwrap_or("\u{FFFD}"))
}

/// Finds `X-FS-Signature` (any letter case) among `(name, value)` pairs, for servers
/// that do not use `http::HeaderMap`. Several occurrences that disagree come back as
/// `"\u{FFFD}"` (reported malformed by [`verify`]).
pub fn find_signature<'a, I>(headers: I) -> Option<&'a str>
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    let mut found: Option<&'a str> = None;
    for (name, value) in headers {
        if name.trim().eq_ignore_ascii_case(SIGNATURE_HEADER) {
            match found {
                None => found = Some(value),
                Some(first) if first.trim() != value.trim() => return Some("\u{FFFD}"),
                Some(_) => {}
            }
        }
    }
    found
}

/// Checks that `signature_header` is Base64(HMAC-SHA256(secret, raw_body)) for one of
/// `secrets`, comparing in constant time.
///
/// `raw_body` must be the bytes exactly as received. Pass the header value found by
/// [`signature_header`] or [`find_signature`]; `None` gives
/// [`WebhookError::MissingSignature`].
pub fn verify<S: Secrets + ?Sized>(
    secrets: &S,
    raw_body: &[u8],
    signature_header: Option<&str>,
) -> Result<(), WebhookError> {
    verify_key_index(secrets, raw_body, signature_header).map(|_| ())
}

/// Like [`verify`], and says which secret matched (its position among the non-empty
/// secrets, in the order given). During a key rotation this shows when the old secret
/// stops being used.
pub fn verify_key_index<S: Secrets + ?Sized>(
    secrets: &S,
    raw_body: &[u8],
    signature_header: Option<&str>,
) -> Result<usize, WebhookError> {
    let mut keys = Vec::new();
    secrets.collect_secrets(&mut keys);
    let mut keys: Vec<&[u8]> = keys.into_iter().map(<[u8]>::trim_ascii).collect();
    keys.retain(|key| !key.is_empty());
    if keys.is_empty() {
        return Err(WebhookError::NoSecrets);
    }
    let header = signature_header.ok_or(WebhookError::MissingSignature)?;
    let signature = decode_signature(header)?;
    // Every key is tried, so the time taken does not depend on which one matched.
    let mut matched = None;
    for (index, key) in keys.iter().enumerate() {
        let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts keys of any length");
        mac.update(raw_body);
        if mac.verify_slice(&signature).is_ok() && matched.is_none() {
            matched = Some(index);
        }
    }
    matched.ok_or(WebhookError::SignatureMismatch)
}

fn decode_signature(header: &str) -> Result<Vec<u8>, WebhookError> {
    let trimmed = header.trim();
    if trimmed.is_empty() {
        return Err(WebhookError::MalformedSignature {
            reason: "the value is empty".into(),
        });
    }
    // Base64 of 32 bytes is 44 characters: anything else is refused before decoding.
    if trimmed.len() != 44 {
        return Err(WebhookError::MalformedSignature {
            reason: format!(
                "{} characters long, the Base64 of an HMAC-SHA256 has 44",
                trimmed.len()
            ),
        });
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(trimmed)
        .map_err(|err| WebhookError::MalformedSignature {
            reason: format!("not standard Base64 ({err})"),
        })?;
    if bytes.len() != DIGEST_LEN {
        return Err(WebhookError::MalformedSignature {
            reason: format!(
                "decodes to {} bytes, an HMAC-SHA256 has {DIGEST_LEN}",
                bytes.len()
            ),
        });
    }
    Ok(bytes)
}

/// Verifies the signature, then parses the body into typed events.
///
/// See [`Envelope::parse_unverified`] for what makes the whole body invalid and what
/// only affects one event.
/// Bodies over [`MAX_BODY_BYTES`] and deliveries of more than [`MAX_EVENTS`] events are
/// refused ([`parse_with_limits`] sets other limits).
pub fn parse<S: Secrets + ?Sized>(
    secrets: &S,
    raw_body: &[u8],
    signature_header: Option<&str>,
) -> Result<Envelope, WebhookError> {
    parse_with_limits(
        secrets,
        raw_body,
        signature_header,
        MAX_BODY_BYTES,
        MAX_EVENTS,
    )
}

/// [`parse`] with other limits: the body size (checked before the signature is
/// computed) and the number of events.
pub fn parse_with_limits<S: Secrets + ?Sized>(
    secrets: &S,
    raw_body: &[u8],
    signature_header: Option<&str>,
    max_body_bytes: usize,
    max_events: usize,
) -> Result<Envelope, WebhookError> {
    if raw_body.len() > max_body_bytes {
        return Err(WebhookError::BodyTooLarge {
            limit: max_body_bytes,
        });
    }
    verify(secrets, raw_body, signature_header)?;
    Envelope::parse_limited(raw_body, max_events)
}

// ---------------------------------------------------------------------------------------
// Typed events
// ---------------------------------------------------------------------------------------

/// The body of one webhook POST: one or more events, in the order FastSpring sent them.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    /// The events.
    pub events: Vec<Event>,
}

impl Envelope {
    /// Parses a body **without** checking its signature; use [`parse`] for requests.
    ///
    /// The whole body is refused ([`WebhookError::InvalidBody`]) when it is not JSON, has
    /// no `events` array, or an event lacks its `id` or `type` (without an ID it could not
    /// be acknowledged). A known event type whose `data` does not match the spec does
    /// not spoil the batch: that event's [`Event::data`] is an `Err` and the others
    /// decode normally.
    #[inline]
    pub fn parse_unverified(raw_body: &[u8]) -> Result<Envelope, WebhookError> {
        if raw_body.len() > MAX_BODY_BYTES {
            return Err(WebhookError::BodyTooLarge {
                limit: MAX_BODY_BYTES,
            });
        }
        Envelope::parse_limited(raw_body, MAX_EVENTS)
    }

    #[inline]
    fn parse_limited(raw_body: &[u8], max_events: usize) -> Result<Envelope, WebhookError> {
        let body: Value =
            serde_json::from_slice(raw_body).map_err(|err| WebhookError::InvalidBody {
                message: format!("not JSON: {err}"),
            })?;
        let Value::Object(mut body) = body else {
            return Err(WebhookError::InvalidBody {
                message: "the body is not a JSON object".into(),
            });
        };
        let Some(Value::Array(list)) = body.remove("events") else {
            return Err(WebhookError::InvalidBody {
                message: "no `events` array".into(),
            });
        };
        if list.len() > max_events {
            return Err(WebhookError::TooManyEvents { limit: max_events });
        }
        let events = list
            .into_iter()
            .enumerate()
            .map(|(index, value)| {
                Event::from_json(value).map_err(|message| WebhookError::InvalidBody {
                    message: format!("/events/{index}: {message}"),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Envelope { events })
    }

    /// The event IDs, in order.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.events.iter().map(|event| event.id.as_str())
    }
}

/// One webhook event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Event ID: stable across FastSpring's automatic retries (a manual resend from the
    /// app gets a new one); the key for de-duplication and for `POST /events/{id}`.
    pub id: String,
    /// Event type as sent, such as `order.completed`.
    pub event_type: String,
    /// `true` for live data, `false` for test orders; `None` if FastSpring left it out.
    pub live: Option<bool>,
    /// Whether FastSpring considers the event processed (`false` on delivery).
    pub processed: Option<bool>,
    /// When the event was created.
    pub created: Option<EpochMillis>,
    /// The typed payload. A type this crate does not know gives
    /// [`EventData::Unknown`] with the raw `data`; a known type whose `data` does not
    /// match the spec gives `Err` (the raw JSON stays in [`Event::raw`]).
    pub data: Result<EventData, EventDecodeError>,
    /// The whole event object exactly as decoded from the body (`data` included).
    pub raw: Value,
}

/// The `data` of a known event type did not match the spec's shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`data` of {event_type} does not match the spec at {path}: {message}")]
pub struct EventDecodeError {
    /// The event's type.
    pub event_type: String,
    /// Where in `data` decoding failed (`items[0].quantity`; `.` for the top).
    pub path: String,
    /// What was wrong there.
    pub message: String,
}

#[derive(Deserialize)]
struct EventHeader {
    id: String,
    #[serde(rename = "type")]
    event_type: String,
    #[serde(default)]
    live: Option<bool>,
    #[serde(default)]
    processed: Option<bool>,
    #[serde(default)]
    created: Option<EpochMillis>,
}

impl Event {
    /// Decodes one event object (`{"id", "type", "live", "processed", "created",
    /// "data"}`). Fails only when `id` or `type` is missing or a header field has the
    /// wrong type; a `data` problem ends up in [`Event::data`].
    #[inline]
    pub fn from_json(value: Value) -> Result<Event, String> {
        if !value.is_object() {
            return Err("an event must be a JSON object".into());
        }
        let header = serde_path_to_error::deserialize::<_, EventHeader>(&value)
            .map_err(|err| format!("{}: {}", err.path(), err.inner()))?;
        let data = value.get("data").cloned().unwrap_or(Value::Null);
        Ok(Event {
            data: decode_data(&header.event_type, data),
            id: header.id,
            event_type: header.event_type,
            live: header.live,
            processed: header.processed,
            created: header.created,
            raw: value,
        })
    }

    /// Turns an event listed by `GET /events/unprocessed` (or `/processed`) into the
    /// same typed event a webhook delivery gives.
    #[cfg(feature = "events")]
    #[inline]
    pub fn from_stored(stored: crate::events::StoredEvent) -> Event {
        // The members FastSpring sent, as `StoredEvent` knows them (response types do
        // not implement `Serialize` without the `serialize` feature).
        let mut raw = serde_json::Map::new();
        raw.insert("id".into(), Value::from(stored.id.as_str()));
        if let Some(event) = &stored.event {
            raw.insert("event".into(), Value::from(event.as_str()));
        }
        raw.insert("type".into(), Value::from(stored.r#type.as_str()));
        if let Some(live) = stored.live {
            raw.insert("live".into(), Value::from(live));
        }
        if let Some(processed) = stored.processed {
            raw.insert("processed".into(), Value::from(processed));
        }
        if let Some(created) = &stored.created {
            raw.insert(
                "created".into(),
                created
                    .get()
                    .map_or_else(|| Value::from(created.to_string()), Value::from),
            );
        }
        if let Some(data) = &stored.data {
            raw.insert("data".into(), data.clone());
        }
        let raw = Value::Object(raw);
        let data = stored.data.unwrap_or(Value::Null);
        Event {
            data: decode_data(&stored.r#type, data),
            id: stored.id,
            event_type: stored.r#type,
            live: stored.live,
            processed: stored.processed,
            created: stored.created,
            raw,
        }
    }

    /// The typed payload, when it decoded.
    pub fn decoded(&self) -> Option<&EventData> {
        self.data.as_ref().ok()
    }
}

#[inline]
fn decode_data(event_type: &str, data: Value) -> Result<EventData, EventDecodeError> {
    EventData::decode(event_type, data).map_err(|err| EventDecodeError {
        event_type: event_type.to_string(),
        path: err.path().to_string(),
        message: crate::error::cap(err.inner().to_string()),
    })
}

// ---------------------------------------------------------------------------------------
// Acknowledgement
// ---------------------------------------------------------------------------------------

/// Collects which events of one delivery were processed and builds the answer
/// FastSpring expects:
///
/// - every event processed (or no event at all): **200**, empty body;
/// - some processed: **202**, body = their IDs one per line (`\n`, no trailing newline),
///   in delivery order; FastSpring marks only those processed and retries the others;
/// - none processed: **500** with a short text; FastSpring retries the whole delivery
///   (a 202 with an empty list is not documented).
///
/// Events skipped as duplicates were processed earlier: mark them processed too.
#[derive(Debug, Clone, Default)]
pub struct Acknowledgement {
    received: Vec<String>,
    index: HashSet<String>,
    processed: HashSet<String>,
}

/// The HTTP answer to a webhook delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AckResponse {
    /// HTTP status: 200, 202 or 500.
    pub status: u16,
    /// Value for the `Content-Type` header ([`ACK_CONTENT_TYPE`]).
    pub content_type: &'static str,
    /// The body.
    pub body: String,
}

/// Body of the 500 answer when no event was processed.
pub const NONE_PROCESSED_BODY: &str = "no event of this delivery was processed";

impl Acknowledgement {
    /// An acknowledgement for the events of `envelope`, none processed yet.
    pub fn new(envelope: &Envelope) -> Acknowledgement {
        Acknowledgement::for_ids(envelope.ids())
    }

    /// An acknowledgement for these event IDs (in delivery order), none processed yet.
    pub fn for_ids<I>(ids: I) -> Acknowledgement
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        let mut received: Vec<String> = Vec::new();
        let mut index = HashSet::new();
        for id in ids {
            let id = id.into();
            if index.insert(id.clone()) {
                received.push(id);
            }
        }
        Acknowledgement {
            received,
            index,
            processed: HashSet::new(),
        }
    }

    /// Records that the event `id` was processed. Returns `false` (and records nothing)
    /// when `id` is not part of this delivery.
    pub fn mark_processed(&mut self, id: &str) -> bool {
        if self.index.contains(id) {
            self.processed.insert(id.to_string());
            true
        } else {
            false
        }
    }

    /// Records every event of the delivery as processed.
    pub fn mark_all_processed(&mut self) {
        self.processed = self.received.iter().cloned().collect();
    }

    /// Whether `id` was recorded as processed.
    pub fn is_processed(&self, id: &str) -> bool {
        self.processed.contains(id)
    }

    /// The answer to send.
    pub fn response(&self) -> AckResponse {
        let done: Vec<&str> = self
            .received
            .iter()
            .filter(|id| self.processed.contains(id.as_str()))
            .map(String::as_str)
            .collect();
        let (status, body) = if done.len() == self.received.len() {
            (200, String::new())
        } else if done.is_empty() {
            (500, NONE_PROCESSED_BODY.to_string())
        } else {
            (202, done.join("\n"))
        };
        AckResponse {
            status,
            content_type: ACK_CONTENT_TYPE,
            body,
        }
    }
}

impl AckResponse {
    /// The status as an `http::StatusCode` (the type axum and hyper use).
    pub fn status_code(&self) -> reqwest::StatusCode {
        // The fields are public: a status set by hand outside 100..=999 becomes a 500.
        reqwest::StatusCode::from_u16(self.status)
            .unwrap_or(reqwest::StatusCode::INTERNAL_SERVER_ERROR)
    }
}

// ---------------------------------------------------------------------------------------
// Duplicates
// ---------------------------------------------------------------------------------------

/// Where a receiver remembers the IDs of events it has processed, to skip FastSpring's
/// repeats of them (a retry after a lost answer, an event also found by
/// [`reconcile_unprocessed`]).
///
/// [`SeenEvents`] keeps them in memory; implement this trait over a database table
/// (an `INSERT` on a unique key, say) to survive restarts and share between
/// instances. Mark an event seen only **after** it was processed, so a failure midway
/// is retried. A manual resend from the FastSpring app has a new event ID and is not
/// caught here: keep handlers idempotent on the resource ID (order, subscription) too.
pub trait SeenStore: Send + Sync {
    /// The store's error.
    type Error: std::error::Error + Send + Sync + 'static;
    /// Whether `event_id` was marked seen.
    fn is_seen(&self, event_id: &str) -> impl Future<Output = Result<bool, Self::Error>> + Send;
    /// Marks `event_id` seen.
    fn mark_seen(&self, event_id: &str) -> impl Future<Output = Result<(), Self::Error>> + Send;
}

/// A bounded in-memory set of event IDs: when full, the oldest ID is forgotten.
///
/// FastSpring retries for up to 7 days; size it for the events of that period (an ID is
/// about 22 bytes) or accept that a very late retry is handled again. Lost on restart.
#[derive(Debug)]
pub struct SeenEvents {
    capacity: usize,
    inner: Mutex<SeenInner>,
}

#[derive(Debug, Default)]
struct SeenInner {
    ids: HashSet<String>,
    order: VecDeque<String>,
}

impl SeenEvents {
    /// An empty set that remembers at most `capacity` IDs (at least 1).
    pub fn new(capacity: usize) -> SeenEvents {
        SeenEvents {
            capacity: capacity.max(1),
            inner: Mutex::new(SeenInner::default()),
        }
    }

    /// Whether `event_id` is remembered.
    pub fn contains(&self, event_id: &str) -> bool {
        self.lock().ids.contains(event_id)
    }

    /// Remembers `event_id`, forgetting the oldest ID when full. Returns `true` when it
    /// was not remembered yet.
    pub fn insert(&self, event_id: &str) -> bool {
        let mut inner = self.lock();
        if inner.ids.contains(event_id) {
            return false;
        }
        if inner.order.len() >= self.capacity
            && let Some(oldest) = inner.order.pop_front()
        {
            inner.ids.remove(&oldest);
        }
        inner.ids.insert(event_id.to_string());
        inner.order.push_back(event_id.to_string());
        true
    }

    /// How many IDs are remembered.
    pub fn len(&self) -> usize {
        self.lock().order.len()
    }

    /// Whether no ID is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The most IDs remembered at once.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SeenInner> {
        // The set stays consistent even if a holder panicked: every update is complete
        // before the guard is released.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl SeenStore for SeenEvents {
    type Error = Infallible;
    async fn is_seen(&self, event_id: &str) -> Result<bool, Infallible> {
        Ok(self.contains(event_id))
    }
    async fn mark_seen(&self, event_id: &str) -> Result<(), Infallible> {
        self.insert(event_id);
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// Recovery
// ---------------------------------------------------------------------------------------

/// Starts a pass over `GET /events/unprocessed`: set the window, then
/// [`Reconcile::run`] it with a handler.
///
/// ```no_run
/// # async fn run(client: fastspring_api::Client) {
/// let report = fastspring_api::webhooks::reconcile_unprocessed(&client)
///     .days(7)
///     .run(|event| async move {
///         // the same code the webhook receiver runs for `event`
///         Ok::<(), String>(())
///     })
///     .await;
/// # let _ = report; }
/// ```
#[cfg(feature = "events")]
pub fn reconcile_unprocessed(client: &crate::Client) -> Reconcile<'_> {
    Reconcile {
        client,
        days: None,
        begin: None,
        end: None,
        max_rounds: 100,
    }
}

/// A pass over the unprocessed events; see [`reconcile_unprocessed`].
#[cfg(feature = "events")]
#[derive(Debug)]
#[must_use = "nothing happens until `run` is awaited"]
pub struct Reconcile<'a> {
    client: &'a crate::Client,
    days: Option<i64>,
    begin: Option<String>,
    end: Option<String>,
    max_rounds: usize,
}

/// What a reconcile pass did.
#[cfg(feature = "events")]
#[derive(Debug, Default)]
pub struct ReconcileReport {
    /// IDs of the events the handler accepted and that were then marked processed.
    pub handled: Vec<String>,
    /// Events that stay unprocessed, with the reason.
    pub failed: Vec<ReconcileFailure>,
    /// IDs listed but not handed to the handler: already marked processed, or listed
    /// again after this pass marked them.
    pub skipped: Vec<String>,
    /// How many times the list was fetched.
    pub rounds: usize,
    /// `true` when FastSpring said no more events were waiting (`more` not `true`);
    /// `false` when the pass stopped because a round marked nothing (the remaining
    /// events keep failing and hide the rest) or after the round limit.
    pub complete: bool,
}

/// An event that stays unprocessed after a reconcile pass.
#[cfg(feature = "events")]
#[derive(Debug)]
pub struct ReconcileFailure {
    /// The event ID.
    pub event_id: String,
    /// The event type.
    pub event_type: String,
    /// Why it was not marked processed.
    pub reason: ReconcileFailureReason,
}

/// Why an event was not marked processed.
#[cfg(feature = "events")]
#[derive(Debug)]
pub enum ReconcileFailureReason {
    /// The handler returned this error (its `Display` text).
    Handler(String),
    /// The handler succeeded but `POST /events/{id}` failed; the event will be listed
    /// (and handled) again next time.
    MarkProcessed(crate::Error),
}

/// Listing the unprocessed events failed; `report` holds what was done before.
#[cfg(feature = "events")]
#[derive(Debug, thiserror::Error)]
#[error("listing unprocessed events failed after {} round(s): {source}", report.rounds)]
pub struct ReconcileError {
    /// What the pass did before the failure (events marked processed stay marked).
    pub report: ReconcileReport,
    /// The listing error.
    #[source]
    pub source: crate::Error,
}

#[cfg(feature = "events")]
impl<'a> Reconcile<'a> {
    /// Window: the last `days` days (1 to 30). The default, when neither `days` nor
    /// `begin` is set, is 30 days (everything FastSpring keeps).
    pub fn days(mut self, days: i64) -> Self {
        self.days = Some(days);
        self
    }

    /// Window start, sent as given (see `ListUnprocessedEventsBuilder::begin`).
    pub fn begin(mut self, begin: impl Into<String>) -> Self {
        self.begin = Some(begin.into());
        self
    }

    /// Window end, sent as given.
    pub fn end(mut self, end: impl Into<String>) -> Self {
        self.end = Some(end.into());
        self
    }

    /// Most list requests in one pass (default 100, about 2,500 events).
    pub fn max_rounds(mut self, rounds: usize) -> Self {
        self.max_rounds = rounds.max(1);
        self
    }

    /// Fetches the unprocessed events, hands each one once to `handler`, and marks it
    /// processed (`POST /events/{id}` with `{"processed": true}`) only when the handler
    /// returned `Ok`.
    ///
    /// FastSpring lists at most about 25 events per call with `more: true` when there
    /// are more; marked events drop out of the list, so the same window is fetched
    /// again until `more` is no longer `true`. A round that marks nothing ends the pass
    /// (the next fetch would return the same events), as does `max_rounds`.
    pub async fn run<F, Fut, E>(self, mut handler: F) -> Result<ReconcileReport, ReconcileError>
    where
        F: FnMut(Event) -> Fut,
        Fut: Future<Output = Result<(), E>>,
        E: std::fmt::Display,
    {
        let mut report = ReconcileReport::default();
        let mut attempted: HashSet<String> = HashSet::new();
        loop {
            if report.rounds >= self.max_rounds {
                return Ok(report);
            }
            report.rounds += 1;
            let mut request = self.client.events().list_unprocessed();
            match (&self.begin, self.days) {
                (Some(begin), _) => request = request.begin(begin.clone()),
                (None, Some(days)) => request = request.days(days),
                (None, None) => request = request.days(30),
            }
            if let Some(end) = &self.end {
                request = request.end(end.clone());
            }
            let page = match request.send().await {
                Ok(page) => page,
                Err(source) => return Err(ReconcileError { report, source }),
            };
            let mut marked_this_round = 0usize;
            for stored in page.events.unwrap_or_default() {
                if !attempted.insert(stored.id.clone()) {
                    // Failed earlier in this pass (already reported) or marked but still
                    // listed: not handed over twice.
                    if report.handled.contains(&stored.id) && !report.skipped.contains(&stored.id) {
                        report.skipped.push(stored.id);
                    }
                    continue;
                }
                if stored.processed == Some(true) {
                    report.skipped.push(stored.id);
                    continue;
                }
                let event = Event::from_stored(stored);
                let (event_id, event_type) = (event.id.clone(), event.event_type.clone());
                if let Err(err) = handler(event).await {
                    report.failed.push(ReconcileFailure {
                        event_id,
                        event_type,
                        reason: ReconcileFailureReason::Handler(err.to_string()),
                    });
                    continue;
                }
                let mark = crate::events::EventUpdateRequest::new(true);
                match self.client.events().update(event_id.clone(), mark).await {
                    Ok(_) => {
                        marked_this_round += 1;
                        report.handled.push(event_id);
                    }
                    Err(err) => report.failed.push(ReconcileFailure {
                        event_id,
                        event_type,
                        reason: ReconcileFailureReason::MarkProcessed(err),
                    }),
                }
            }
            if page.more != Some(true) {
                report.complete = true;
                return Ok(report);
            }
            if marked_this_round == 0 {
                return Ok(report);
            }
        }
    }
}
