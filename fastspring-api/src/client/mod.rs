//! The client: one configured connection to the API. `builder` checks the
//! configuration and builds it; `transport` sends one request, carrying out the retry
//! policy and the rate limit. What an operation does on top of that (decoding, paging,
//! batch outcomes) is in `call`.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderValue;

use crate::policy::{Clock, RetryPolicy, Sleeper};
use crate::ratelimit::RateLimiter;

mod builder;
mod transport;

pub use builder::{
    BASE_URL_ENV, CRATE_USER_AGENT, ClientBuilder, DEFAULT_BASE_URL, PASSWORD_ENV, USERNAME_ENV,
};

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
    limiter: Option<Arc<dyn RateLimiter>>,
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

impl Client {
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
}
