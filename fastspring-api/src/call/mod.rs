//! What a call of an operation does on top of [`Client::execute`]: the `send_*`
//! methods the generated builders delegate to (decode the body as JSON, text, bytes or
//! nothing), `request_builder!`, and, one file each, batch outcomes, paging,
//! multi-ID reads, one-ID lookups (`single`) and listings resolved to objects
//! (`objects`).

use bytes::Bytes;
use serde::de::DeserializeOwned;

use crate::client::Client;
use crate::decode::decode_json;
use crate::error::{DecodeError, EXCERPT_LIMIT, Error, excerpt};
use crate::request::Request;

pub mod batch;
pub mod multi_id;
pub mod objects;
pub mod paging;
pub mod single;

// Generated code calls these as `self.client.send_json(..)`; which of them a build uses
// depends on the group features it enables.
impl Client {
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
}

/// What every request builder has besides its own inputs: per-request options, and
/// `IntoFuture` so that the builder itself can be awaited (its `send()`, boxed).
/// `request_builder!(ListOrdersBuilder => OrderListResponse)`.
#[allow(unused_macros)] // the generated code (gated by group features) uses it
macro_rules! request_builder {
    ($builder:ident => $output:ty) => {
        impl<'a> $builder<'a> {
            /// Overrides the client's timeout for this request.
            pub fn timeout(mut self, timeout: std::time::Duration) -> Self {
                self.options.timeout = Some(timeout);
                self
            }

            /// Replaces all per-request options.
            pub fn options(mut self, options: $crate::RequestOptions) -> Self {
                self.options = options;
                self
            }

            /// Lets the retry policy repeat this request even though repeating it may not
            /// be safe (a POST that creates something). Off by default.
            pub fn retry_non_idempotent(mut self) -> Self {
                self.options.retry_non_idempotent = true;
                self
            }
        }

        impl<'a> std::future::IntoFuture for $builder<'a> {
            type Output = Result<$output, $crate::Error>;
            type IntoFuture =
                std::pin::Pin<Box<dyn std::future::Future<Output = Self::Output> + Send + 'a>>;

            // Inline: the decoder behind `send` is compiled where the request is awaited.
            #[inline]
            fn into_future(self) -> Self::IntoFuture {
                Box::pin(self.send())
            }
        }
    };
}

#[allow(unused_imports)] // the generated code (gated by group features) uses it
pub(crate) use request_builder;
