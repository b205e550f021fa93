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
use serde_json::Value;
use tracing::Instrument;

use crate::Error;
use crate::error::{DecodeError, EXCERPT_LIMIT, ErrorBody, excerpt};
use crate::policy::{
    Clock, Limiter, RateLimit, RetryPolicy, Sleeper, SystemClock, TokioSleeper, jitter_unit,
    parse_retry_after,
};
use crate::runtime::Request;

/// FastSpring's API host.
pub const DEFAULT_BASE_URL: &str = "https://api.fastspring.com";
/// The product token this crate puts first in every `User-Agent`.
pub const CRATE_USER_AGENT: &str = concat!("fastspring-api-rust/", env!("CARGO_PKG_VERSION"));
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
    /// Overrides the client's request timeout.
    pub timeout: Option<Duration>,
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
    connect_timeout: Duration,
    retry: RetryPolicy,
    rate_limit: Option<RateLimit>,
    clock: Arc<dyn Clock>,
    sleeper: Arc<dyn Sleeper>,
    no_proxy: bool,
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
            .field("connect_timeout", &self.connect_timeout)
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
            connect_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            rate_limit: Some(RateLimit::default()),
            clock: Arc::new(SystemClock),
            sleeper: Arc::new(TokioSleeper),
            no_proxy: false,
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

    /// Timeout of a whole request (default 30 s); a request can override it.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
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
            .map_err(|e| Error::Config(format!("base URL {base_url:?}: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.query().is_some() {
            return Err(Error::Config(format!(
                "base URL {base_url:?} must be http(s) without a query"
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

    // every operation group calls it; with none enabled nothing does
    #[cfg_attr(
        not(any(
            feature = "accounts",
            feature = "coupons",
            feature = "orders",
            feature = "products",
            feature = "subscriptions",
            feature = "invoices",
            feature = "quotes",
            feature = "returns",
            feature = "sessions-v1",
            feature = "checkout-sessions",
            feature = "events",
            feature = "data",
            feature = "webhook-keys",
        )),
        allow(dead_code)
    )]
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
        String::from_utf8(body.to_vec()).map_err(|e| {
            Error::Decode(Box::new(DecodeError {
                operation: meta.id,
                status,
                path: String::new(),
                message: format!("the body is not UTF-8: {e}"),
                excerpt: excerpt(&body, EXCERPT_LIMIT),
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

    /// Sends `request`, retrying as the policy allows; returns a 2xx status and its body.
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
        let may_retry = meta.idempotent || request.options.retry_non_idempotent;
        let mut waited = Duration::ZERO;
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            if let Some(limiter) = &inner.limiter {
                let wait = limiter.reserve(inner.clock.now());
                if !wait.is_zero() {
                    tracing::debug!(
                        operation = meta.id,
                        wait_ms = wait.as_millis() as u64,
                        "client-side rate limit"
                    );
                    inner.sleeper.sleep(wait).await;
                }
            }
            let span = tracing::info_span!(
                "fastspring.request",
                operation = meta.id,
                method = meta.method,
                path = meta.path,
                attempt,
                status = tracing::field::Empty,
            );
            let outcome = self.attempt(&request).instrument(span.clone()).await;
            let (retry_after, error) = match outcome {
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
                    let per_item = crate::batch::is_item_report(meta, &body);
                    let retryable = (status == 429 && policy.retry_rate_limited)
                        || (status >= 500 && policy.retry_server_errors && !per_item);
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
                    if !retryable {
                        return Err(error);
                    }
                    (retry_after, error)
                }
                Err(error) => {
                    if !policy.retry_transport_errors || !error.is_retryable() {
                        return Err(error);
                    }
                    (None, error)
                }
            };
            if !may_retry || attempt >= policy.max_attempts {
                return Err(error);
            }
            let backoff = policy.backoff(attempt, jitter_unit());
            let wait = retry_after.unwrap_or(backoff);
            if waited + wait > policy.max_total_wait {
                tracing::debug!(operation = meta.id, "retry budget exhausted");
                return Err(error);
            }
            tracing::debug!(operation = meta.id, attempt, wait_ms = wait.as_millis() as u64, error = %error, "retrying");
            waited += wait;
            inner.sleeper.sleep(wait).await;
        }
    }

    async fn attempt(&self, request: &Request) -> Result<(u16, HeaderMap, Bytes), Error> {
        let inner = &self.inner;
        let meta = request.meta;
        let url = format!("{}{}", inner.base_url, request.path);
        let method = reqwest::Method::from_bytes(meta.method.as_bytes())
            .map_err(|_| Error::Config(format!("bad method {}", meta.method)))?;
        let mut builder = inner
            .http
            .request(method, url)
            .header(USER_AGENT, inner.user_agent.clone())
            .header(ACCEPT, meta.accept)
            .timeout(request.options.timeout.unwrap_or(inner.timeout));
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
        let transport = |source: reqwest::Error| {
            if source.is_timeout() {
                Error::Timeout { operation: meta.id }
            } else {
                Error::Transport {
                    operation: meta.id,
                    source: source.without_url(),
                }
            }
        };
        let response = builder.send().await.map_err(transport)?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(transport)?;
        Ok((status, headers, body))
    }
}

/// Decodes a 2xx JSON body, keeping the evidence when it does not fit. A body whose
/// top level says `"result": "error"` is FastSpring's way of failing inside a 2xx; it
/// becomes [`Error::Api`] (batch operations report such items per item instead).
pub(crate) fn decode_json<T: DeserializeOwned>(
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
            message,
            excerpt: excerpt(body, EXCERPT_LIMIT),
        }))
    };
    if !batch
        && let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body)
        && map.get("result").and_then(Value::as_str) == Some("error")
    {
        return Err(Error::Api {
            operation,
            status,
            body: ErrorBody::from_bytes(body),
        });
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut de)
        .map_err(|e| decode_error(e.path().to_string(), e.inner().to_string()))?;
    de.end()
        .map_err(|e| decode_error(String::new(), e.to_string()))?;
    Ok(value)
}
