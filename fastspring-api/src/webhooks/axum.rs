//! An axum extractor for verified deliveries, and [`AckResponse`] as an axum response
//! (feature `axum`).
//!
//! ```no_run
//! use std::sync::Arc;
//! use axum::{Router, extract::{FromRef, State}, routing::post};
//! use fastspring_api::webhooks::{self, AckResponse, MemoryClaims, VerifiedWebhook, WebhookSecrets};
//!
//! #[derive(Clone)]
//! struct App { secrets: WebhookSecrets, claims: Arc<MemoryClaims> }
//!
//! impl FromRef<App> for WebhookSecrets {
//!     fn from_ref(app: &App) -> WebhookSecrets { app.secrets.clone() }
//! }
//!
//! async fn receive(State(app): State<App>, webhook: VerifiedWebhook) -> AckResponse {
//!     let (ack, _failures) = webhooks::handle_events(
//!         &app.claims, &webhook.envelope.events, webhooks::DEFAULT_LEASE,
//!         |event| async move { /* your handler */ Ok::<(), String>(()) },
//!     ).await;
//!     ack.response()
//! }
//!
//! let app = App {
//!     secrets: WebhookSecrets::new(["new-secret", "old-secret"]),
//!     claims: Arc::new(MemoryClaims::new(100_000)),
//! };
//! let router: Router = Router::new().route("/fastspring/webhooks", post(receive)).with_state(app);
//! ```

use std::sync::Arc;

use axum_core::body::Body;
use axum_core::extract::{FromRef, FromRequest, Request};
use axum_core::response::{IntoResponse, Response};
use bytes::Bytes;
use http::HeaderMap;
use http_body_util::BodyExt as _;

use super::{
    AckResponse, Envelope, MAX_BODY_BYTES, MAX_EVENTS, WebhookError, signature_header,
    verify::check_and_verify,
};
use crate::Secret;

/// The secrets (and limits) the [`VerifiedWebhook`] extractor checks deliveries with.
/// Put it in the router's state, or make it reachable with `FromRef`. Cheap to clone;
/// its `Debug` output shows no secret.
#[derive(Clone)]
pub struct WebhookSecrets {
    secrets: Arc<[Secret]>,
    max_body_bytes: usize,
    max_events: usize,
}

impl std::fmt::Debug for WebhookSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookSecrets")
            .field("secrets", &self.secrets.len())
            .field("max_body_bytes", &self.max_body_bytes)
            .field("max_events", &self.max_events)
            .finish()
    }
}

impl WebhookSecrets {
    /// These secrets, tried in order (new first during a rotation), with the limits of
    /// [`parse`](super::parse).
    pub fn new<I>(secrets: I) -> WebhookSecrets
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        WebhookSecrets {
            secrets: secrets.into_iter().map(|s| Secret::new(s.into())).collect(),
            max_body_bytes: MAX_BODY_BYTES,
            max_events: MAX_EVENTS,
        }
    }

    /// Another body limit: a larger body is refused with 413 before it is read whole.
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.max_body_bytes = limit;
        self
    }

    /// Another limit on the events of one delivery.
    pub fn max_events(mut self, limit: usize) -> Self {
        self.max_events = limit;
        self
    }
}

/// A delivery whose signature matched one of the [`WebhookSecrets`], read and parsed.
/// Extracting it refuses anything else with a [`WebhookRejection`].
#[derive(Debug, Clone)]
pub struct VerifiedWebhook {
    /// The parsed events.
    pub envelope: Envelope,
    /// The body exactly as received (for storing it, as `fastspring-inbox` does).
    pub raw_body: Bytes,
    /// The request's headers.
    pub headers: HeaderMap,
    /// Which secret matched (its position among the non-empty ones).
    pub key_index: usize,
}

/// Why the [`VerifiedWebhook`] extractor refused a request; answers with
/// [`WebhookError::http_status`] (401, 413, 400, or 500 without secrets) and the error's
/// text, which never contains a secret.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct WebhookRejection(pub WebhookError);

impl IntoResponse for WebhookRejection {
    fn into_response(self) -> Response {
        let status = http::StatusCode::from_u16(self.0.http_status())
            .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
        tracing::warn!(status = status.as_u16(), error = %self.0, "webhook refused");
        (status, self.0.to_string()).into_response()
    }
}

impl<S> FromRequest<S> for VerifiedWebhook
where
    S: Send + Sync,
    WebhookSecrets: FromRef<S>,
{
    type Rejection = WebhookRejection;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let config = WebhookSecrets::from_ref(state);
        let (parts, body) = request.into_parts();
        let raw_body = read_limited(body, config.max_body_bytes).await?;
        let signature = signature_header(&parts.headers);
        let (key_index, envelope) = check_and_verify(
            config.secrets.as_ref(),
            &raw_body,
            signature,
            config.max_body_bytes,
            config.max_events,
        )
        .map_err(WebhookRejection)?;
        Ok(VerifiedWebhook {
            envelope,
            raw_body,
            headers: parts.headers,
            key_index,
        })
    }
}

/// Reads at most `limit` bytes of `body`; a longer body is [`WebhookError::BodyTooLarge`]
/// as soon as the limit is passed.
async fn read_limited(body: Body, limit: usize) -> Result<Bytes, WebhookRejection> {
    let too_large = || WebhookRejection(WebhookError::BodyTooLarge { limit });
    match http_body_util::Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(err) if err.is::<http_body_util::LengthLimitError>() => Err(too_large()),
        Err(err) => Err(WebhookRejection(WebhookError::InvalidBody {
            message: format!("the body could not be read: {err}"),
        })),
    }
}

impl IntoResponse for AckResponse {
    fn into_response(self) -> Response {
        (
            self.status_code(),
            [(http::header::CONTENT_TYPE, self.content_type)],
            self.body,
        )
            .into_response()
    }
}
