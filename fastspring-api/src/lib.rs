//! Typed async client for the [FastSpring REST API](https://developer.fastspring.com)
//! and its webhooks.
//!
//! Types and operations are generated from the hand-maintained OpenAPI spec in
//! `api-spec/` by `cargo xtask regenerate`; the runtime around them (auth, retries,
//! rate limit, errors, batch outcomes, multi-ID reads, paging, webhook signatures) is
//! written by hand.
//!
//! # Call an operation
//!
//! Build one [`Client`], then reach each resource group through its handle
//! (`client.orders()`, `client.subscriptions()`, …). Required inputs are arguments,
//! optional ones setters; a request is sent by `.await` (or `.send().await`).
//!
//! ```no_run
//! # async fn run() -> Result<(), fastspring_api::Error> {
//! use fastspring_api::Client;
//!
//! let client = Client::builder()
//!     .credentials("API_USERNAME", "API_PASSWORD") // or Client::from_env()
//!     .user_agent("my-app/1.0")
//!     .build()?;
//!
//! // One resource by ID: the `Account` itself, whether FastSpring sends it bare or in
//! // its `{"accounts": [...]}` wrapper.
//! let account = client.accounts().get("uKj7izONRfanVwBL9eiG_A").await?;
//! let email = account.contact.as_ref().and_then(|c| c.email.as_deref());
//!
//! // One page of a listing, with optional inputs as setters; dates are `jiff` values
//! // (re-exported as `fastspring_api::jiff`), written as FastSpring reads them.
//! let orders = client
//!     .orders()
//!     .list()
//!     .begin(fastspring_api::jiff::civil::date(2025, 1, 1))
//!     .send()
//!     .await?;
//!
//! // Several IDs at once, whatever shape FastSpring answers with.
//! let subscriptions = client.subscriptions().get_many(["sub-1", "sub-2"]).await?;
//! # let _ = (email, orders, subscriptions); Ok(()) }
//! ```
//!
//! Every failure is one [`Error`]: transport, timeout, rate limit, FastSpring's error
//! body, or a [`DecodeError`] naming the operation, status and JSON path.
//!
//! # Build a request body
//!
//! Request bodies are structs with public fields, built in one style across the crate:
//!
//! - required fields go to `T::new(…)`, which takes `&str`, `String`, typed IDs, amounts
//!   and times through `impl Into<…>`, and lists from any iterator of them;
//! - where two required fields share a type (`first`, `last`, `email`), a positional
//!   argument could be swapped unnoticed, so the type has `T::builder()` instead: one
//!   named setter per required field, in any order, and `build()` once all are set (a
//!   missing one is a compile error);
//! - optional fields are chained with `with_<field>(value)`, no `let mut` needed; a value
//!   that is already an `Option` goes in with struct-update syntax, `T { field,
//!   ..T::new(…) }`. Types without required fields are `Default`.
//!
//! ```no_run
//! # async fn run(client: fastspring_api::Client) -> Result<(), fastspring_api::Error> {
//! use fastspring_api::accounts::{CreateAccountRequest, NewAccountContact};
//! use fastspring_api::subscriptions::{SubscriptionUpdate, UpdateSubscriptionsRequest};
//!
//! let contact = NewAccountContact::builder()
//!     .first("Ada")
//!     .last("Lovelace")
//!     .email("ada@example.com")
//!     .build()
//!     .with_phone("+44 20 7946 0000");
//! let created = client
//!     .accounts()
//!     .create(CreateAccountRequest::new(contact).with_country("GB"))
//!     .await?;
//!
//! let quantity: Option<i64> = Some(2); // from your own input
//! let change = SubscriptionUpdate {
//!     quantity,
//!     ..SubscriptionUpdate::new("sub-1")
//!         .with_product("pro-monthly")
//!         .with_prorate(true)
//! };
//! client
//!     .subscriptions()
//!     .update(UpdateSubscriptionsRequest::new([change]))
//!     .send_batch()
//!     .await?
//!     .into_result()?;
//! # let _ = created; Ok(()) }
//! ```
//!
//! # IDs and accessors
//!
//! Where the spec says what an ID names, it is typed: [`AccountId`], [`SubscriptionId`],
//! [`OrderId`], [`ProductPath`], in response fields, request fields and the path
//! parameters of the handle methods. Each is made from a `&str` or `String` and reads as
//! a `&str`; any string FastSpring sends decodes.
//!
//! Responses answer the usual questions with one call, whatever form FastSpring sent:
//! `id()` on the resources (`Account::id()` reads `id`, then its twin `account`), `id()`
//! on ID-or-object fields (`SubscriptionAccount::{Id, Expanded}`, expanded in webhooks),
//! and `<time>_at()` as a `jiff::Timestamp` for every epoch time (`next_at()` reads
//! `next`, then `nextValue`, then `nextInSeconds`).
//!
//! ```no_run
//! # async fn run(
//! #     client: fastspring_api::Client,
//! #     subscription: fastspring_api::subscriptions::Subscription,
//! # ) -> Result<(), fastspring_api::Error> {
//! let account = subscription.account.as_ref().map(|account| account.id());
//! let renews = subscription.next_at();
//! client.subscriptions().resume(subscription.id()).await?;
//! # let _ = (account, renews); Ok(()) }
//! ```
//!
//! An ID of another kind does not compile:
//!
//! ```compile_fail
//! # async fn run(
//! #     client: fastspring_api::Client,
//! #     subscription: fastspring_api::subscriptions::Subscription,
//! # ) -> Result<(), fastspring_api::Error> {
//! let account = subscription.account.as_ref().unwrap().id(); // an AccountId
//! client.subscriptions().resume(account).await?;
//! # Ok(()) }
//! ```
//!
//! # Page through a list
//!
//! Paged listings have `.items()` (every item, as a stream, fetching pages as it goes)
//! and `.pages()` (every page). The stream ends with an error instead of looping when
//! FastSpring's paging does not advance.
//!
//! ```no_run
//! # async fn run(client: fastspring_api::Client) -> Result<(), fastspring_api::Error> {
//! use futures_util::TryStreamExt;
//!
//! let mut orders = std::pin::pin!(client.orders().list().days(30).items());
//! while let Some(order) = orders.try_next().await? {
//!     println!("{order:?}");
//! }
//!
//! // Or all at once.
//! let all: Vec<_> = client.orders().list().days(7).items().try_collect().await?;
//!
//! // A filtered listing may answer with IDs or with objects: `objects()` gives the
//! // objects either way, looking the IDs up (one `get_many` per page).
//! let owned: Vec<_> = client
//!     .subscriptions()
//!     .list()
//!     .account_id("uKj7izONRfanVwBL9eiG_A")
//!     .objects()
//!     .try_collect()
//!     .await?;
//! # let _ = (all, owned); Ok(()) }
//! ```
//!
//! # Receive a webhook
//!
//! `webhooks` (feature `webhook-events`) verifies a delivery's `X-FS-Signature` against
//! the **raw body bytes**, decodes its events and builds the answer FastSpring expects
//! (`webhooks::Acknowledgement`: 200, 202 with the processed IDs, or 500).
//!
//! ```no_run
//! use fastspring_api::webhooks::{self, Acknowledgement};
//!
//! /// Returns the HTTP status, content type and body to answer with.
//! fn receive(
//!     headers: &axum::http::HeaderMap,
//!     body: &[u8],
//! ) -> (u16, &'static str, String) {
//!     let secrets = ["new-secret", "old-secret"]; // from your configuration
//!     let envelope = match webhooks::parse(&secrets, body, webhooks::signature_header(headers)) {
//!         Ok(envelope) => envelope,
//!         Err(err) => return (err.http_status(), "text/plain", err.to_string()),
//!     };
//!     let mut ack = Acknowledgement::new(&envelope);
//!     for event in &envelope.events {
//!         match &event.data {
//!             // Your handler; keep it idempotent (FastSpring may deliver an event again).
//!             Ok(data) => {
//!                 println!("{}: {}", event.id, data.event_type());
//!                 ack.mark_processed(&event.id);
//!             }
//!             Err(problem) => eprintln!("not processed: {problem}"), // retried later
//!         }
//!     }
//!     let reply = ack.response();
//!     (reply.status, reply.content_type, reply.body)
//! }
//! ```
//!
//! # Crate organization
//!
//! - The generated modules, one per resource group (`orders`, `subscriptions`, …, and
//!   `common` for shared types): the request and response types, the group's handle
//!   (`client.orders()`) and its request builders in `<group>::builders`.
//! - The crate root: [`Client`] and [`ClientBuilder`], [`Error`] and the error details
//!   ([`DecodeError`], [`ErrorBody`], [`ItemError`]), [`BatchOutcome`],
//!   [`RequestOptions`], the value types ([`Amount`], [`EpochMillis`], [`Ids`],
//!   [`QueryDate`], [`Secret`], …), the typed IDs ([`AccountId`], [`SubscriptionId`],
//!   [`OrderId`], [`ProductPath`]), the builders' [`Unset`], and the crate's versions of
//!   [`jiff`] and [`rust_decimal`].
//! - [`policy`]: retries, the rate limit, and the clock and sleeper tests inject.
//! - `webhooks`, `reports`, `payload`: built on the generated code (features
//!   `webhook-events`, `data`, `payload-check`).
//!
//! The hand-written runtime below them is layered (JSON codec, errors and policy; the
//! request description; decoding; the client and its transport; what a call does on
//! top); `DESIGN.md` has the module map.
//!
//! # Features
//!
//! - **One feature per resource group**: `accounts`, `coupons`, `orders`, `products`,
//!   `subscriptions`, `invoices`, `quotes`, `returns`, `sessions-v1`,
//!   `checkout-sessions`, `events`, `data` (with `reports`), `webhook-keys`,
//!   `webhook-events` (with `webhooks`); all on by default. Turn off the default
//!   features to compile only the groups an application uses:
//!   `default-features = false, features = ["orders", "webhook-events"]`.
//! - `serialize`: `serde::Serialize` for response and webhook types too (request types
//!   always have it), e.g. to store or forward what FastSpring sent.
//! - `schemars`: `schemars::JsonSchema` for every generated type.
//! - `payload-check`: the `payload` module, which decodes a recorded payload and reports
//!   the fields the spec does not know (maintainer tooling behind
//!   `cargo xtask check-payload`; implies `serialize`).

#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "subscriptions")]
mod access;
mod call;
mod client;
mod codec;
mod decode;
mod error;
mod ids;
#[cfg(test)]
mod layers;
#[cfg(feature = "payload-check")]
#[cfg_attr(docsrs, doc(cfg(feature = "payload-check")))]
pub mod payload;
pub mod policy;
mod query_date;
pub mod ratelimit;
#[cfg(feature = "data")]
pub mod reports;
mod request;
mod required;
#[doc(hidden)]
pub mod runtime;
#[cfg(feature = "payload-check")]
mod shape;
mod types;
#[cfg(feature = "webhook-events")]
pub mod webhooks;

#[rustfmt::skip]
mod generated;

#[cfg(feature = "subscriptions")]
pub use access::{Access, OverdueGrace};
pub use call::batch::BatchOutcome;
pub use client::{
    BASE_URL_ENV, CRATE_USER_AGENT, Client, ClientBuilder, DEFAULT_BASE_URL, PASSWORD_ENV,
    USERNAME_ENV,
};
pub use error::{DecodeError, Error, ErrorBody, ItemError};
pub use generated::*;
pub use ids::{AccountId, OrderId, ProductPath, SubscriptionId};
pub use policy::{RateLimit, RetryPolicy};
pub use query_date::QueryDate;
pub use ratelimit::{InProcessLimiter, RateLimiter};
pub use request::RequestOptions;
pub use required::Unset;
pub use types::{Amount, EpochMillis, EpochSeconds, Ids, Secret};
// The crate's versions of the date and decimal libraries its types use, so that an
// application names the same `jiff::Timestamp` and `rust_decimal::Decimal`.
pub use jiff;
pub use rust_decimal;
// One unreadable value never costs the whole reply: how values are tolerated and located.
pub use codec::unreadable;

/// The README's code, compiled as doc tests so that it stays true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
