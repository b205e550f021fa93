//! The webhook events module's `EventData`: one variant per event type, decoded by the
//! event's `type` (aliases included), unknown types kept raw.

use proc_macro2::{Literal, TokenStream};
use quote::quote;

use super::ctx::Ctx;
use super::{ident, lit_str};

pub(super) fn emit_webhook_events(ctx: &Ctx<'_>) -> TokenStream {
    let ir = ctx.ir;
    let variants = ir.webhooks.iter().map(|w| {
        let v = ident(&w.variant);
        let ty = ctx.ty(&w.data);
        let ty = if ctx.is_struct(&w.data) {
            quote!(Box<#ty>)
        } else {
            ty
        };
        let doc = format!(
            " `{}`: {}",
            w.event_type,
            w.doc.as_deref().unwrap_or("").lines().next().unwrap_or("")
        );
        quote!(#[doc = #doc] #v(#ty))
    });
    let decode_arms = ir.webhooks.iter().map(|w| {
        let v = ident(&w.variant);
        let t = lit_str(&w.event_type);
        let aliases = w.aliases.iter().map(|a| lit_str(a));
        let wrap = if ctx.is_struct(&w.data) {
            quote!(Self::#v(Box::new(serde_path_to_error::deserialize(data)?)))
        } else {
            quote!(Self::#v(serde_path_to_error::deserialize(data)?))
        };
        quote!(#t #(| #aliases)* => #wrap)
    });
    let type_arms = ir.webhooks.iter().map(|w| {
        let v = ident(&w.variant);
        let t = lit_str(&w.event_type);
        quote!(Self::#v(_) => #t)
    });
    let types: Vec<Literal> = ir.webhooks.iter().map(|w| lit_str(&w.event_type)).collect();
    quote! {
        /// The `data` of a webhook event, typed by the event's `type`.
        #[cfg(feature = "webhook-events")]
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        pub enum EventData {
            #(#variants,)*
            /// An event type this version of the crate does not know; the raw `data` is kept.
            Unknown {
                /// The event's `type`.
                event_type: String,
                /// The event's `data`, as received.
                data: Value,
            },
        }

        #[cfg(feature = "webhook-events")]
        impl EventData {
            /// Every event type the spec documents.
            pub const KNOWN_TYPES: &'static [&'static str] = &[#(#types),*];

            /// Decodes `data` for an event of type `event_type`; unknown types are kept raw.
            #[inline]
            pub fn decode(event_type: &str, data: Value) -> Result<Self, serde_path_to_error::Error<serde_json::Error>> {
                Ok(match Self::decode_known(event_type, &data)? {
                    Some(known) => known,
                    None => Self::Unknown { event_type: event_type.to_string(), data },
                })
            }

            /// As [`decode`](Self::decode), from borrowed `data`: copied only for an
            /// unknown type, which keeps it raw.
            #[inline]
            pub fn decode_ref(event_type: &str, data: &Value) -> Result<Self, serde_path_to_error::Error<serde_json::Error>> {
                Ok(match Self::decode_known(event_type, data)? {
                    Some(known) => known,
                    None => Self::Unknown { event_type: event_type.to_string(), data: data.clone() },
                })
            }

            /// The typed `data` of a known event type; `None` for an unknown one.
            #[inline]
            fn decode_known(event_type: &str, data: &Value) -> Result<Option<Self>, serde_path_to_error::Error<serde_json::Error>> {
                Ok(Some(match event_type {
                    #(#decode_arms,)*
                    _ => return Ok(None),
                }))
            }

            /// The event type this data belongs to.
            pub fn event_type(&self) -> &str {
                match self {
                    #(#type_arms,)*
                    Self::Unknown { event_type, .. } => event_type,
                }
            }
        }
    }
}
