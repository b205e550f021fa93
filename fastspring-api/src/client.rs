//! The client: configuration, authentication, and sending requests with retries and
//! a rate limit.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{
    ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue, RETRY_AFTER, USER_AGENT,
};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use tracing::Instrument;

use crate::Error;
use crate::error::{DecodeError, EXCERPT_LIMIT, ErrorBody, excerpt};
use crate::policy::{
    Clock, Decision, Failure, Limiter, Outcome, RateLimit, RetryPolicy, RetryState, Sleeper,
    SystemClock, TokioSleeper, jitter_unit, parse_retry_after,
};
use crate::runtime::Request;

/// FastSpring's API host.
pub const DEFAULT_BASE_URL: &str = "https://api.fastspring.com";
/// The product token this crate puts first in every `User-Agent`.
pub const CRATE_USER_AGENT: &str = concat!("fastspring-api-rust/", env!("CARGO_PKG_VERSION"));
/// Default largest response body the client reads ([`ClientBuilder::max_response_bytes`]).
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 64 * 1024 * 1024;
/// Default deadline of a whole call ([`ClientBuilder::call_timeout`]).
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(5 * 60);
/// Environment variable [`Client::from_env`] reads the API username from.
pub const USERNAME_ENV: &str = "FASTSPRING_API_USERNAME";
/// Environment variable [`Client::from_env`] reads the API password from.
pub const PASSWORD_ENV: &str = "FASTSPRING_API_PASSWORD";
/// Environment variable [`Client::from_env`] reads the base URL from, when set (a
/// `fastspring-mock`, say); FastSpring's API host otherwise.
pub const BASE_URL_ENV: &str = "FASTSPRING_API_BASE_URL";

/// Options for one request, set through a request builder (`.timeout(..)`, `.options(..)`).
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct RequestOptions {
    /// Overrides the client's timeout of one attempt.
    pub timeout: Option<Duration>,
    /// Overrides the client's deadline of the whole call
    /// ([`ClientBuilder::call_timeout`]).
    pub call_timeout: Option<Duration>,
    /// Lets the retry policy repeat a request that is not idempotent (a POST that
    /// creates something). Off by default: such a POST is sent once.
    pub retry_non_idempotent: bool,
    /// Overrides the client's retry policy.
    pub retry: Option<RetryPolicy>,
}

/// A FastSpring API client. Cheap to clone; clones share the connection pool and the
/// rate limiter.
///
/// ```no_run
/// # async fn run() -> Result<(), fastspring_api::Error> {
/// let client = fastspring_api::Client::builder()
///     .credentials("API_USERNAME", "API_PASSWORD")
///     .user_agent("my-app/1.0")
///     .build()?;
/// let account = client.accounts().get("uKj7izONRfanVwBL9eiG_A").await?;
/// # let _ = account; Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base_url: String,
    auth: Option<HeaderValue>,
    user_agent: HeaderValue,
    timeout: Duration,
    call_timeout: Option<Duration>,
    max_response_bytes: u64,
    retry: RetryPolicy,
    limiter: Option<Arc<Limiter>>,
    clock: Arc<dyn Clock>,
    sleeper: Arc<dyn Sleeper>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_url)
            .field(
                "credentials",
                &self.inner.auth.as_ref().map(|_| "[redacted]"),
            )
            .field("user_agent", &self.inner.user_agent)
            .field("timeout", &self.inner.timeout)
            .field("call_timeout", &self.inner.call_timeout)
            .field("max_response_bytes", &self.inner.max_response_bytes)
            .field("retry", &self.inner.retry)
            .field("rate_limited", &self.inner.limiter.is_some())
            .finish()
    }
}

/// Builds a [`Client`].
#[must_use]
pub struct ClientBuilder {
    username: Option<String>,
    password: Option<SecretString>,
    anonymous: bool,
    user_agent: Option<String>,
    base_url: String,
    timeout: Duration,
    call_timeout: Option<Duration>,
    connect_timeout: Duration,
    max_response_bytes: u64,
    retry: RetryPolicy,
    rate_limit: Option<RateLimit>,
    clock: Arc<dyn Clock>,
    sleeper: Arc<dyn Sleeper>,
    no_proxy: bool,
    allow_insecure_http: bool,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "[redacted]"))
            .field("anonymous", &self.anonymous)
            .field("user_agent", &self.user_agent)
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("call_timeout", &self.call_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("allow_insecure_http", &self.allow_insecure_http)
            .field("retry", &self.retry)
            .field("rate_limit", &self.rate_limit)
            .finish()
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            username: None,
            password: None,
            anonymous: false,
            user_agent: None,
            base_url: DEFAULT_BASE_URL.to_string(),
            timeout: Duration::from_secs(30),
            call_timeout: Some(DEFAULT_CALL_TIMEOUT),
            connect_timeout: Duration::from_secs(10),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            retry: RetryPolicy::default(),
            rate_limit: Some(RateLimit::default()),
            clock: Arc::new(SystemClock),
            sleeper: Arc::new(TokioSleeper),
            no_proxy: false,
            allow_insecure_http: false,
        }
    }
}

impl ClientBuilder {
    /// A builder with the defaults and the credentials from `FASTSPRING_API_USERNAME`
    /// and `FASTSPRING_API_PASSWORD` ([`USERNAME_ENV`], [`PASSWORD_ENV`]), and the base
    /// URL from `FASTSPRING_API_BASE_URL` ([`BASE_URL_ENV`]) when it is set; set the
    /// user agent, base URL and the rest as usual before [`build`](Self::build).
    ///
    /// Fails with [`Error::Config`] naming the variable that is missing (or not UTF-8).
    ///
    /// ```no_run
    /// # fn run() -> Result<(), fastspring_api::Error> {
    /// let client = fastspring_api::ClientBuilder::from_env()?
    ///     .user_agent("my-app/1.0")
    ///     .build()?;
    /// # let _ = client; Ok(()) }
    /// ```
    pub fn from_env() -> Result<ClientBuilder, Error> {
        let read = |name: &str| {
            std::env::var(name)
                .map_err(|_| Error::Config(format!("environment variable {name} is not set")))
        };
        let builder =
            ClientBuilder::default().credentials(read(USERNAME_ENV)?, read(PASSWORD_ENV)?);
        Ok(match std::env::var(BASE_URL_ENV) {
            Ok(url) if !url.trim().is_empty() => builder.base_url(url.trim()),
            _ => builder,
        })
    }

    /// The store's API credentials (HTTP Basic).
    pub fn credentials(mut self, username: impl Into<String>, password: impl Into<String>) -> Self {
        self.username = Some(username.into());
        self.password = Some(SecretString::from(password.into()));
        self.anonymous = false;
        self
    }

    /// No credentials at all: only for the operations FastSpring allows without them
    /// (checkout sessions on behalf of a buyer).
    pub fn anonymous(mut self) -> Self {
        self.username = None;
        self.password = None;
        self.anonymous = true;
        self
    }

    /// Identifies your application; sent after the crate's own token
    /// (`User-Agent: fastspring-api-rust/x.y.z my-app/1.0`). FastSpring requires a User-Agent.
    pub fn user_agent(mut self, product: impl Into<String>) -> Self {
        self.user_agent = Some(product.into());
        self
    }

    /// The API's base URL (default `https://api.fastspring.com`); tests point it at loopback.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// Timeout of one attempt: connecting, sending and reading the whole answer
    /// (default 30 s); a request can override it. Retries start a new attempt; the
    /// whole call is bounded by [`call_timeout`](Self::call_timeout).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Deadline of a whole call, counted from the moment it starts: waits for the
    /// client-side rate limit, every attempt and every wait between retries (default
    /// 5 min, `DEFAULT_CALL_TIMEOUT`; `None`: only the retry policy's budgets).
    /// A rate-limit wait that would pass it fails at once with [`Error::Timeout`]; a
    /// retry that would pass it is not made and the last error is returned; an attempt
    /// gets at most the time that is left.
    pub fn call_timeout(mut self, deadline: Option<Duration>) -> Self {
        self.call_timeout = deadline;
        self
    }

    /// Largest response body the client reads, in bytes (default 64 MiB,
    /// `DEFAULT_MAX_RESPONSE_BYTES`; FastSpring's largest answers, report downloads
    /// included, are far below it). The body is read as a stream and reading stops at
    /// the limit: a larger one (announced by `Content-Length` or not) fails with
    /// [`Error::ResponseTooLarge`] and is never retried.
    pub fn max_response_bytes(mut self, limit: u64) -> Self {
        self.max_response_bytes = limit;
        self
    }

    /// Allows a plain `http://` base URL for a host that is not loopback. Off by
    /// default: the API credentials would cross the network in clear text, so only
    /// `https://` or `http://` to `localhost`/`127.0.0.1`/`[::1]` (a local mock) is
    /// accepted.
    pub fn allow_insecure_http(mut self) -> Self {
        self.allow_insecure_http = true;
        self
    }

    /// Timeout for establishing a connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The retry policy (default [`RetryPolicy::default`]).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The client-side rate limit (default 250 requests per minute); `None` turns it off.
    pub fn rate_limit(mut self, limit: Option<RateLimit>) -> Self {
        self.rate_limit = limit;
        self
    }

    /// The clock used by retries and the rate limiter (tests inject a fake one).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// How the client waits (tests inject one that does not really sleep).
    pub fn sleeper(mut self, sleeper: Arc<dyn Sleeper>) -> Self {
        self.sleeper = sleeper;
        self
    }

    /// Ignores proxy settings from the environment (useful for loopback tests).
    pub fn no_proxy(mut self) -> Self {
        self.no_proxy = true;
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<Client, Error> {
        let auth = match (&self.username, &self.password, self.anonymous) {
            (_, _, true) => None,
            (Some(user), Some(password), false) => {
                use base64::Engine;
                if user.contains(':') {
                    return Err(Error::Config("the API username cannot contain `:`".into()));
                }
                let token = base64::engine::general_purpose::STANDARD
                    .encode(format!("{user}:{}", password.expose_secret()));
                let mut value = HeaderValue::from_str(&format!("Basic {token}"))
                    .map_err(|_| Error::Config("credentials are not valid header text".into()))?;
                value.set_sensitive(true);
                Some(value)
            }
            _ => {
                return Err(Error::Config(
                    "no credentials: call `credentials(username, password)` (or `anonymous()`)"
                        .into(),
                ));
            }
        };
        let agent = match &self.user_agent {
            Some(app) if !app.trim().is_empty() => format!("{CRATE_USER_AGENT} {}", app.trim()),
            _ => CRATE_USER_AGENT.to_string(),
        };
        let user_agent = HeaderValue::from_str(&agent)
            .map_err(|_| Error::Config(format!("user agent {agent:?} is not valid header text")))?;
        let base_url = self.base_url.trim_end_matches('/').to_string();
        let parsed = reqwest::Url::parse(&base_url)
            .map_err(|e| Error::Config(format!("the base URL does not parse: {e}")))?;
        if !parsed.username().is_empty() || parsed.password().is_some() {
            // Not echoed: it holds credentials.
            return Err(Error::Config(
                "the base URL must not contain credentials (`user:password@`); use `credentials(..)`"
                    .into(),
            ));
        }
        if !matches!(parsed.scheme(), "http" | "https")
            || parsed.query().is_some()
            || parsed.fragment().is_some()
        {
            return Err(Error::Config(format!(
                "base URL {base_url:?} must be http(s) without a query or fragment"
            )));
        }
        let loopback = parsed.host_str().is_some_and(|host| {
            host.eq_ignore_ascii_case("localhost")
                || host
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        });
        if parsed.scheme() == "http" && !loopback && !self.allow_insecure_http {
            return Err(Error::Config(format!(
                "base URL {base_url:?} is plain http to a host that is not loopback: the API \
                 credentials would cross the network in clear text (use https, or \
                 `allow_insecure_http()` if you really mean it)"
            )));
        }
        let mut http = reqwest::Client::builder()
            .tls_version_min(reqwest::tls::Version::TLS_1_2)
            .https_only(parsed.scheme() == "https")
            .connect_timeout(self.connect_timeout)
            .redirect(reqwest::redirect::Policy::none());
        if self.no_proxy {
            http = http.no_proxy();
        }
        let http = http
            .build()
            .map_err(|e| Error::Config(format!("HTTP client: {e}")))?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base_url,
                auth,
                user_agent,
                timeout: self.timeout,
                call_timeout: self.call_timeout,
                max_response_bytes: self.max_response_bytes,
                retry: self.retry,
                limiter: self.rate_limit.map(Limiter::new),
                clock: self.clock,
                sleeper: self.sleeper,
            }),
        })
    }
}

impl Client {
    /// A builder with the defaults.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client with credentials from `FASTSPRING_API_USERNAME` and `FASTSPRING_API_PASSWORD`
    /// and every other setting at its default; use [`ClientBuilder::from_env`] to
    /// change the others.
    pub fn from_env() -> Result<Client, Error> {
        ClientBuilder::from_env()?.build()
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The clock the client was built with (helpers that wait measure time with it).
    #[cfg_attr(not(feature = "data"), allow(dead_code))] // only the reports helper waits
    pub(crate) fn clock(&self) -> &Arc<dyn Clock> {
        &self.inner.clock
    }

    /// The sleeper the client was built with (helpers that wait use it).
    #[cfg_attr(not(feature = "data"), allow(dead_code))] // only the reports helper waits
    pub(crate) fn sleeper(&self) -> &Arc<dyn Sleeper> {
        &self.inner.sleeper
    }

    #[allow(dead_code)] // used by generated code only when a group with such an operation is enabled
    pub(crate) async fn send_json<T: DeserializeOwned>(
        &self,
        request: Request,
    ) -> Result<T, Error> {
        let meta = request.meta;
        let (status, body) = self.execute(request).await?;
        decode_json(meta.id, meta.batch.is_some(), status, &body)
    }

    #[allow(dead_code)] // used by generated code only when a group with such an operation is enabled
    pub(crate) async fn send_text(&self, request: Request) -> Result<String, Error> {
        let meta = request.meta;
        let (status, body) = self.execute(request).await?;
        // `Vec::from` takes the buffer over without copying when the body is one chunk.
        String::from_utf8(Vec::from(body)).map_err(|e| {
            let message = format!("the body is not UTF-8: {}", e.utf8_error());
            Error::Decode(Box::new(DecodeError {
                operation: meta.id,
                status,
                path: String::new(),
                message,
                excerpt: excerpt(e.as_bytes(), EXCERPT_LIMIT),
            }))
        })
    }

    #[allow(dead_code)] // generated code calls it for binary responses; the current spec has none
    pub(crate) async fn send_bytes(&self, request: Request) -> Result<Bytes, Error> {
        Ok(self.execute(request).await?.1)
    }

    #[allow(dead_code)] // used by generated code only when a group with such an operation is enabled
    pub(crate) async fn send_empty(&self, request: Request) -> Result<(), Error> {
        self.execute(request).await.map(|_| ())
    }

    /// Sends `request`, retrying as the policy decides ([`RetryPolicy::decide`]);
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
        let idempotent = meta.idempotent || request.options.retry_non_idempotent;
        let mut waited = Duration::ZERO;
        let mut attempt: u32 = 0;
        loop {
            attempt = attempt.saturating_add(1);
            if let Some(limiter) = &inner.limiter {
                // Dropped unused (the caller gave up, or the deadline is too close), the
                // reservation gives its slot back.
                let reservation = limiter.reserve(inner.clock.now());
                let wait = reservation.wait();
                if !wait.is_zero() {
                    if remaining().is_some_and(|left| wait >= left) {
                        tracing::debug!(operation = meta.id, "rate-limit wait passes the deadline");
                        return Err(timed_out());
                    }
                    tracing::debug!(
                        operation = meta.id,
                        wait_ms = wait.as_millis() as u64,
                        "client-side rate limit"
                    );
                    inner.sleeper.sleep(wait).await;
                }
                reservation.commit();
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
                    let item_report = crate::batch::is_item_report(meta, &body);
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
                // Every caller of this client waits, not only this one.
                if let Some(until) = inner.clock.now().checked_add(wait) {
                    limiter.hold_until(until);
                }
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
                        source: source.without_url(),
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

/// Decodes a 2xx JSON body, keeping the evidence when it does not fit. A body whose
/// top level says `"result": "error"` is FastSpring's way of failing inside a 2xx; it
/// becomes [`Error::Api`] (batch operations report such items per item instead).
pub fn decode_json<T: DeserializeOwned>(
    operation: &'static str,
    batch: bool,
    status: u16,
    body: &[u8],
) -> Result<T, Error> {
    let decode_error = |path: String, message: String| {
        Error::Decode(Box::new(DecodeError {
            operation,
            status,
            path,
            message: crate::error::cap(message),
            excerpt: excerpt(body, EXCERPT_LIMIT),
        }))
    };
    if !batch && says_result_error(body) {
        return Err(Error::Api {
            operation,
            status,
            body: ErrorBody::from_bytes(body),
        });
    }
    // One pass on the happy path. Only a body that fails is read again, as a
    // `serde_json::Value` and then with path tracking, to say where it failed: going
    // through `&Value` shares the decoders that unions, paging and webhooks instantiate
    // for it, instead of compiling every type once more for a tracked slice reader.
    //
    // The body's UTF-8 is checked once, up front, and read as a `&str`: reading bytes,
    // serde_json checks every string on its own, which costs more on string-heavy
    // replies. A body that is not UTF-8 goes straight to the reading below, whose error
    // says where.
    let tolerated = crate::unreadable::count();
    let first = match std::str::from_utf8(body).map(serde_json::from_str) {
        Ok(Ok(value)) => {
            // A value that could not be read was kept as sent; say where (issue 17).
            if crate::unreadable::count() != tolerated {
                crate::unreadable::report_reply::<T>(operation, body);
            }
            return Ok(value);
        }
        Ok(Err(e)) => Some(e),
        Err(_) => None,
    };
    let tree: serde_json::Value = match serde_json::from_slice(body) {
        Ok(tree) => tree,
        // Not JSON at all: serde_json's message says where (line and column).
        Err(e) => {
            let message = first.map_or_else(|| e.to_string(), |first| first.to_string());
            return Err(decode_error(String::new(), message));
        }
    };
    match serde_path_to_error::deserialize::<_, T>(&tree) {
        Ok(value) => Ok(value),
        Err(e) => Err(decode_error(e.path().to_string(), e.inner().to_string())),
    }
}

/// Whether the top level of a JSON body says `"result": "error"`.
///
/// A byte scan for `"result"` followed by `:` and `"error"` rules out nearly every body
/// without parsing it (a successful answer does not say `"error"` after `"result"`); only
/// when the pattern appears somewhere is the top level read, without building a tree,
/// to tell a top-level `result` from a nested one.
pub(crate) fn says_result_error(body: &[u8]) -> bool {
    if !mentions_result_error(body) {
        return false;
    }
    #[derive(serde::Deserialize)]
    struct Top<'a> {
        #[serde(borrow, default)]
        result: Option<std::borrow::Cow<'a, str>>,
    }
    matches!(
        serde_json::from_slice::<Top<'_>>(body),
        Ok(Top { result: Some(r) }) if r == "error"
    )
}

/// `"result"`, optional whitespace, `:`, optional whitespace, `"error"` anywhere in `body`.
fn mentions_result_error(body: &[u8]) -> bool {
    let finder = memchr::memmem::Finder::new(b"\"result\"");
    let skip_ws = |mut at: usize| {
        while body.get(at).is_some_and(|b| b.is_ascii_whitespace()) {
            at += 1;
        }
        at
    };
    let mut from = 0;
    while let Some(found) = body.get(from..).and_then(|rest| finder.find(rest)) {
        let end = from + found + finder.needle().len();
        let mut at = skip_ws(end);
        if body.get(at) == Some(&b':') {
            at = skip_ws(at + 1);
            if body
                .get(at..)
                .is_some_and(|rest| rest.starts_with(b"\"error\""))
            {
                return true;
            }
        }
        from = end;
    }
    false
}
