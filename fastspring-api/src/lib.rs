//! Typed async client for the [FastSpring REST API](https://developer.fastspring.com)
//! and its webhooks.
//!
//! Types and operations are generated from the hand-maintained OpenAPI spec in
//! `api-spec/` by `cargo xtask regenerate`; the runtime around them (auth, retries,
//! rate limit, errors, batch outcomes, multi-ID reads) is written by hand.
//!
//! ```no_run
//! # async fn run() -> Result<(), fastspring_api::Error> {
//! let client = fastspring_api::Client::builder()
//!     .credentials("API_USERNAME", "API_PASSWORD")
//!     .user_agent("my-app/1.0")
//!     .build()?;
//!
//! // One resource, with optional inputs as setters.
//! let orders = client.orders().list().days(7).send().await?;
//!
//! // Several IDs at once, whatever shape FastSpring answers with.
//! let subscriptions = client.subscriptions().get_many(["sub-1", "sub-2"]).await?;
//! # let _ = (orders, subscriptions); Ok(()) }
//! ```
//!
//! Every resource group is a cargo feature (`accounts`, `orders`, `subscriptions`, …,
//! `webhook-events`), all on by default; turn off the default features to compile only
//! the groups an application uses.

#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod batch;
mod client;
mod error;
#[cfg(feature = "payload-check")]
#[cfg_attr(docsrs, doc(cfg(feature = "payload-check")))]
pub mod payload;
pub mod policy;
#[cfg(feature = "data")]
pub mod reports;
#[doc(hidden)]
pub mod runtime;
mod types;
#[cfg(feature = "webhook-events")]
pub mod webhooks;

#[allow(missing_docs)]
#[rustfmt::skip]
mod generated;

pub use batch::{BatchOutcome, ItemError};
pub use client::{
    BASE_URL_ENV, CRATE_USER_AGENT, Client, ClientBuilder, DEFAULT_BASE_URL, PASSWORD_ENV,
    RequestOptions, USERNAME_ENV,
};
pub use error::{DecodeError, Error, ErrorBody};
pub use generated::*;
pub use policy::{RateLimit, RetryPolicy};
pub use types::{Amount, EpochMillis, EpochSeconds, Ids, Secret};

/// The README's code, compiled as doc tests so that it stays true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
