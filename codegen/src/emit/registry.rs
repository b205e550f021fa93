//! `registry.rs`: every request, response and webhook shape of the spec (`SHAPES`) and
//! every named type with its JSON Schema function (`SCHEMAS`), for payload checks.

use proc_macro2::TokenStream;
use quote::quote;

use super::ctx::Ctx;
use super::{cfg_attr, lit_str};
use crate::contract::{self, CLIENT_DECODE, PART, REENCODE, SCHEMA_FN, SHAPE};
use crate::ir::Ir;

pub(super) fn emit_registry(ir: &Ir) -> TokenStream {
    let mut entries = Vec::new();
    let feature_of = |module: &str| {
        ir.modules
            .iter()
            .find(|m| m.name == module)
            .and_then(|m| m.feature.clone())
            .unwrap_or_default()
    };
    for op in &ir.operations {
        let ctx = Ctx {
            ir,
            module: "registry",
            nested: false,
        };
        let feature = feature_of(&op.module);
        let id = lit_str(&op.id);
        let method = lit_str(op.method.as_str());
        let path = lit_str(&op.path);
        if let Some(body) = &op.body {
            let ty = ctx.ty(&body.ty);
            entries.push(quote! {
                #[cfg(feature = #feature)]
                Shape { operation_id: #id, method: #method, path: #path, part: Part::Request, decode: #REENCODE::<#ty>, client_decode: None }
            });
        }
        for (status, ty) in &op.responses {
            let t = ctx.ty(ty);
            entries.push(quote! {
                #[cfg(feature = #feature)]
                Shape { operation_id: #id, method: #method, path: #path, part: Part::Response(#status), decode: #REENCODE::<#t>, client_decode: Some(#CLIENT_DECODE::<#t>) }
            });
        }
    }
    for hook in &ir.webhooks {
        let ctx = Ctx {
            ir,
            module: "registry",
            nested: false,
        };
        let t = ctx.ty(&hook.data);
        let event = lit_str(&hook.event_type);
        for name in std::iter::once(&hook.event_type).chain(&hook.aliases) {
            let name = lit_str(name);
            entries.push(quote! {
                #[cfg(feature = "webhook-events")]
                Shape { operation_id: #event, method: "POST", path: "", part: Part::WebhookData(#name), decode: #REENCODE::<#t>, client_decode: None }
            });
        }
    }
    let schema_entries = emit_schema_table(ir);
    let imports = contract::imports();
    quote! {
        //! Every request body, response body and webhook `data` shape of the spec, with a
        //! function that decodes a payload into the generated type and serializes it back.
        //! `cargo xtask check-payload` and the example tests compare the two to find fields
        //! the spec does not know. Response shapes also name the client's own decode of
        //! such a reply, which the fuzz tests drive.

        #![allow(unused_imports)]

        #imports

        pub use #PART;
        pub use #SHAPE;

        /// All shapes, in spec order.
        pub static SHAPES: &[Shape] = &[#(#entries),*];

        #schema_entries
    }
}

/// `SCHEMAS`: every named generated type with the spec location it comes from and its
/// `JsonSchema` function, so that tests can compare the derived schema with the spec's.
fn emit_schema_table(ir: &Ir) -> TokenStream {
    let ctx = Ctx {
        ir,
        module: "registry",
        nested: false,
    };
    let mut ids: Vec<usize> = (0..ir.types.len()).collect();
    ids.sort_by(|a, b| ir.types[*a].name.cmp(&ir.types[*b].name));
    let entries = ids.into_iter().map(|id| {
        let def = &ir.types[id];
        let cfg = cfg_attr(&def.features);
        let name = lit_str(&def.name);
        let location = lit_str(&def.location);
        let ty = ctx.named(id);
        quote! {
            #cfg
            (#name, #location, <#ty as schemars::JsonSchema>::json_schema)
        }
    });
    quote! {
        #[cfg(feature = "schemars")]
        pub use #SCHEMA_FN;

        /// Every named generated type: its Rust name, the spec location of its schema
        /// (`file#pointer`) and the function that derives its JSON Schema. Sorted by name.
        #[cfg(feature = "schemars")]
        pub static SCHEMAS: &[(&str, &str, SchemaFn)] = &[#(#entries),*];
    }
}
