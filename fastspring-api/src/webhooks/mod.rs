//! Receiving FastSpring webhooks: verify the signature, parse the typed events,
//! handle each event once (on one server or many), acknowledge what was done, and
//! recover missed events.
//!
//! FastSpring POSTs a JSON body `{"events": [...]}` holding one or more events. When the
//! webhook endpoint has an "HMAC SHA256 Secret", the request carries the header
//! `X-FS-Signature` (any letter case) = Base64(HMAC-SHA256(secret, raw body)). Nothing
//! else is signed (no timestamp), so there is no replay protection: claim each event `id`
//! (it stays the same across FastSpring's automatic retries) in a [`ClaimStore`].
//!
//! A receiver does, per request:
//!
//! 1. keep the **raw body bytes** (never re-serialize parsed JSON before verifying);
//! 2. find the header with [`signature_header`] (or [`find_signature`] for plain pairs);
//! 3. [`parse`] = [`verify`] then decode into an [`Envelope`] of typed [`Event`]s;
//! 4. claim, handle and complete each event ([`handle_events`] over a [`ClaimStore`]:
//!    [`MemoryClaims`] on one server, `fastspring-inbox` on many), which tells an
//!    [`Acknowledgement`] which IDs are done (an event another handler holds is not);
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
//! `GET /events/unprocessed` for 30 days; [`reconcile_unprocessed`] claims them in the
//! same store, hands them to the same handler and marks each one processed once done.
//!
//! Events can arrive out of order and a manual resend has a new ID: see [`freshness`]
//! and [`ResendKey`]. With feature `axum`, `VerifiedWebhook` does steps 1–3 as an
//! extractor and [`AckResponse`] is a response.
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

mod acknowledgement;
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
mod axum;
mod claims;
mod events;
mod id_map;
mod ordering;
#[cfg(feature = "events")]
mod reconcile;
mod short_text;
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;
mod verify;

pub use acknowledgement::{AckResponse, Acknowledgement, NONE_PROCESSED_BODY};
#[cfg(feature = "axum")]
pub use axum::{VerifiedWebhook, WebhookRejection, WebhookSecrets};
pub use claims::{
    Claim, ClaimStore, ClaimToken, DEFAULT_LEASE, ManualClock, MemoryClaims, OnceError, Outcome,
    Settled, handle_events, handle_once, lease_millis, wall_millis,
};
pub use events::{Envelope, Event, EventDecodeError};
pub use ordering::{Freshness, ResendKey, ResourceVersion, freshness, resource_version};
#[cfg(feature = "events")]
pub use reconcile::{
    Reconcile, ReconcileError, ReconcileFailure, ReconcileFailureReason, ReconcileReport,
    reconcile_unprocessed,
};
pub use verify::{
    SIGNATURE_HEADER, Secrets, WebhookError, find_signature, parse, parse_with_limits,
    signature_header, verify, verify_key_index,
};

/// Largest webhook body [`parse`] accepts (16 MiB): checked before the signature is
/// computed, so an unauthenticated sender cannot make the receiver hash or parse more.
/// FastSpring's deliveries are far smaller. Keep your HTTP framework's own body limit
/// at or below it; [`parse_with_limits`] sets another value.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// Most events [`parse`] accepts in one delivery.
pub const MAX_EVENTS: usize = 10_000;

/// Content type of every [`AckResponse`].
pub const ACK_CONTENT_TYPE: &str = "text/plain; charset=utf-8";
