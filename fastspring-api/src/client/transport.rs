//! Sending one request: [`Client::execute`] carries out the retry policy
//! ([`RetryPolicy::decide`](crate::RetryPolicy::decide)), the client-side rate limit and the call's deadline;
//! `attempt` is one exchange (headers, body limit, tracing span).

use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, RETRY_AFTER, USER_AGENT};
use tracing::Instrument;

use super::Client;
use crate::error::{Error, ErrorBody};
use crate::policy::{Decision, Failure, Outcome, RetryState, jitter_unit, parse_retry_after};
use crate::ratelimit::{Acquire, AcquireError};
use crate::request::Request;

impl Client {
    /// Sends `request`, retrying as the policy decides ([`RetryPolicy::decide`](crate::RetryPolicy::decide));
    /// returns a 2xx status and its body.
    pub(crate) async fn execute(&self, request: Request) -> Result<(u16, Bytes), Error> {
        let inner = &self.inner;
        let meta = request.meta;
        let policy = request.options.retry.as_ref().unwrap_or(&inner.retry);
        if inner.auth.is_none() && !meta.auth_optional {
            return Err(Error::Config(format!(
                "{} needs API credentials; this client was built with `anonymous()`",
                meta.id
            )));
        }
        let started = inner.clock.now();
        let deadline = request.options.call_timeout.or(inner.call_timeout);
        let remaining = || {
            deadline.map(|d| d.saturating_sub(inner.clock.now().saturating_duration_since(started)))
        };
        let timed_out = || Error::Timeout { operation: meta.id };
        // A DELETE with per-item outcomes (cancelSubscription) that timed out may have
        // succeeded; repeated, it would report "already canceled" as a failure. It is
        // repeated only when surely not processed (429, a refused connection), as writes are.
        let batch_delete = meta.method == "DELETE" && meta.batch.is_some();
        let idempotent = (meta.idempotent && !batch_delete) || request.options.retry_non_idempotent;
        let mut waited = Duration::ZERO;
        let mut attempt: u32 = 0;
        loop {
            attempt = attempt.saturating_add(1);
            // A slot per attempt, from whichever limiter the client shares.
            if let Some(limiter) = &inner.limiter {
                // Dropped unused (the caller gave up), the acquire gives its slot back.
                let left = remaining();
                let slot = Acquire::new(meta.id, left, &*inner.clock, &*inner.sleeper);
                let acquired = match left {
                    // Bounded by the deadline whatever the limiter does.
                    Some(left) => tokio::time::timeout(left, limiter.acquire(slot))
                        .await
                        .unwrap_or(Err(AcquireError::PastDeadline)),
                    None => limiter.acquire(slot).await,
                };
                match acquired {
                    Ok(()) => {}
                    Err(AcquireError::PastDeadline) => return Err(timed_out()),
                    Err(error) => {
                        return Err(Error::RateLimiter {
                            operation: meta.id,
                            source: error,
                        });
                    }
                }
            }
            let per_attempt = request.options.timeout.unwrap_or(inner.timeout);
            let timeout = match remaining() {
                Some(left) if left.is_zero() => return Err(timed_out()),
                Some(left) => per_attempt.min(left),
                None => per_attempt,
            };
            let span = tracing::info_span!(
                "fastspring.request",
                operation = meta.id,
                method = meta.method,
                path = meta.path,
                attempt,
                status = tracing::field::Empty,
            );
            let (outcome, error) = match self
                .attempt(&request, timeout)
                .instrument(span.clone())
                .await
            {
                Ok((status, headers, body)) => {
                    span.record("status", status);
                    if (200..300).contains(&status) {
                        return Ok((status, body));
                    }
                    let retry_after = headers
                        .get(RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| parse_retry_after(v, inner.clock.wall_time()));
                    let body = ErrorBody::from_bytes(&body);
                    // A per-item report is FastSpring's verdict, even under a 5xx.
                    let item_report = meta.batch.is_some_and(|batch| batch.is_item_report(&body));
                    let outcome = Outcome::Status {
                        status,
                        retry_after,
                        item_report,
                    };
                    let error = if status == 429 {
                        Error::RateLimited {
                            operation: meta.id,
                            status,
                            retry_after,
                            body,
                        }
                    } else {
                        Error::Api {
                            operation: meta.id,
                            status,
                            body,
                        }
                    };
                    (outcome, error)
                }
                Err((failure, error)) => (Outcome::Transport(failure), error),
            };
            let state = RetryState::new(attempt, idempotent)
                .waited(waited)
                .remaining(remaining())
                .jitter_unit(jitter_unit());
            let wait = match policy.decide(&outcome, &state) {
                Decision::Retry(wait) => wait,
                Decision::GiveUp => return Err(error),
            };
            if let (Outcome::Status { status: 429, .. }, Some(limiter)) = (outcome, &inner.limiter)
            {
                // Every caller sharing the limiter waits, not only this one.
                limiter.hold(wait, &*inner.clock).await;
            }
            tracing::debug!(operation = meta.id, attempt, wait_ms = wait.as_millis() as u64, error = %error, "retrying");
            waited = waited.saturating_add(wait);
            inner.sleeper.sleep(wait).await;
        }
    }

    /// One attempt: sends the request and reads the answer (at most
    /// `max_response_bytes` of body).
    async fn attempt(
        &self,
        request: &Request,
        timeout: Duration,
    ) -> Result<(u16, HeaderMap, Bytes), (Failure, Error)> {
        let inner = &self.inner;
        let meta = request.meta;
        let url = format!("{}{}", inner.base_url, request.path);
        let method = reqwest::Method::from_bytes(meta.method.as_bytes()).map_err(|_| {
            (
                Failure::Final,
                Error::Config(format!("bad method {}", meta.method)),
            )
        })?;
        let mut builder = inner
            .http
            .request(method, url)
            .header(USER_AGENT, inner.user_agent.clone())
            .header(ACCEPT, meta.accept)
            .timeout(timeout);
        if let Some(auth) = &inner.auth {
            builder = builder.header(AUTHORIZATION, auth.clone());
        }
        if !request.query.is_empty() {
            builder = builder.query(&request.query);
        }
        for (name, value) in &request.headers {
            builder = builder.header(*name, value.as_str());
        }
        if let Some(body) = &request.body {
            builder = builder
                .header(CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        let transport = |source: reqwest::Error, reading: bool| {
            if source.is_timeout() {
                (Failure::Timeout, Error::Timeout { operation: meta.id })
            } else {
                let failure = if reading {
                    Failure::Body
                } else if source.is_connect() {
                    Failure::Connect
                } else {
                    Failure::Other
                };
                (
                    failure,
                    Error::Transport {
                        operation: meta.id,
                        // Only scheme, host and port stay: a path may carry IDs.
                        source: match source.url().map(origin_only) {
                            Some(Some(origin)) => source.with_url(origin),
                            _ => source.without_url(),
                        },
                    },
                )
            }
        };
        let mut response = builder.send().await.map_err(|e| transport(e, false))?;
        let status = response.status().as_u16();
        let limit = inner.max_response_bytes;
        let too_large = || {
            (
                Failure::Final,
                Error::ResponseTooLarge {
                    operation: meta.id,
                    status,
                    limit,
                },
            )
        };
        let announced = response.content_length();
        if announced.is_some_and(|len| len > limit) {
            return Err(too_large());
        }
        let headers = std::mem::take(response.headers_mut());
        // Read chunk by chunk, so a body past the limit is never held whole.
        let mut first: Option<Bytes> = None;
        let mut body: Vec<u8> = Vec::new();
        let mut read: u64 = 0;
        while let Some(chunk) = response.chunk().await.map_err(|e| transport(e, true))? {
            read = read.saturating_add(chunk.len() as u64);
            if read > limit {
                return Err(too_large());
            }
            match first.take() {
                // Most answers arrive in one chunk: keep it without copying.
                None if body.is_empty() => first = Some(chunk),
                Some(previous) => {
                    let capacity = announced.unwrap_or(read).min(limit);
                    body.reserve(usize::try_from(capacity).unwrap_or(0));
                    body.extend_from_slice(&previous);
                    body.extend_from_slice(&chunk);
                }
                None => body.extend_from_slice(&chunk),
            }
        }
        let body = first.unwrap_or_else(|| Bytes::from(body));
        Ok((status, headers, body))
    }
}

/// The URL reduced to scheme, host and port (what a transport error may show).
fn origin_only(url: &reqwest::Url) -> Option<reqwest::Url> {
    let mut origin = reqwest::Url::parse(&url.origin().ascii_serialization()).ok()?;
    origin.set_path("/");
    Some(origin)
}
