//! Building a [`Client`]: defaults, the environment variables, and the checks of the
//! base URL and credentials (plain http only to loopback, no credentials in the URL).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};

use super::{Client, Inner};
use crate::error::Error;
use crate::policy::{Clock, RateLimit, RetryPolicy, Sleeper, SystemClock, TokioSleeper};
use crate::ratelimit::{InProcessLimiter, RateLimiter};

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
    rate_limiter: Option<Arc<dyn RateLimiter>>,
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
            .field("rate_limiter", &self.rate_limiter)
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
            rate_limiter: None,
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

    /// The client-side rate limit (default 250 requests per minute), enforced in this
    /// process by an [`InProcessLimiter`] shared by the client's clones; `None` turns
    /// it off. Replaces a [`rate_limiter`](Self::rate_limiter) set before.
    pub fn rate_limit(mut self, limit: Option<RateLimit>) -> Self {
        self.rate_limit = limit;
        self.rate_limiter = None;
        self
    }

    /// Draws every request (retries included) from `limiter` instead of a budget of
    /// this client's own: give the same limiter to clients built separately (an
    /// `Arc<InProcessLimiter>` within one process, a limiter backed by a shared store
    /// such as `fastspring-ratelimit-redis` across processes) and they share one
    /// budget, and a 429 answered to any of them pauses all of them for FastSpring's
    /// `Retry-After`. The wait for a slot counts against
    /// [`call_timeout`](Self::call_timeout). Replaces a [`rate_limit`](Self::rate_limit)
    /// set before.
    pub fn rate_limiter(mut self, limiter: Arc<dyn RateLimiter>) -> Self {
        self.rate_limiter = Some(limiter);
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
                limiter: self.rate_limiter.or_else(|| {
                    let limit = self.rate_limit?;
                    Some(Arc::new(InProcessLimiter::new(limit)) as Arc<dyn RateLimiter>)
                }),
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
}
