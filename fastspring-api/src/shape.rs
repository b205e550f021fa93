//! The types of the generated shape registry (`registry::SHAPES`, `registry::SCHEMAS`):
//! which payload a shape describes and how to decode it. The registry itself is data.

use serde_json::Value;

use crate::codec::DecodeFailure;
use crate::error::Error;

/// Which part of an exchange a shape describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The request body.
    Request,
    /// A response body for this status (`0` = the spec's `default`).
    Response(u16),
    /// The `data` of a webhook event of this type.
    WebhookData(&'static str),
}

/// One decodable shape.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    /// The operation's `operationId` (the event type for webhooks).
    pub operation_id: &'static str,
    /// HTTP method.
    pub method: &'static str,
    /// Path template, as in the spec.
    pub path: &'static str,
    /// Request, response or webhook data.
    pub part: Part,
    /// Decodes JSON into the generated type and serializes it back to JSON.
    pub decode: fn(&[u8]) -> Result<Value, DecodeFailure>,
    /// For a response shape, the client's own reading of such a reply
    /// (`runtime::client_decode`): given the operation, the HTTP status and the body, it
    /// decodes the body into the shape's generated type the way a call does and keeps
    /// only the error a caller would see, with its evidence (operation, status, JSON
    /// path, excerpt). `None` for request bodies and webhook data.
    #[allow(clippy::type_complexity)] // spelled out: an alias would hide it in the docs
    pub client_decode: Option<fn(&'static str, u16, &[u8]) -> Result<(), Error>>,
}

/// Derives the JSON Schema of one generated type.
#[cfg(feature = "schemars")]
pub type SchemaFn = fn(&mut schemars::SchemaGenerator) -> schemars::Schema;
