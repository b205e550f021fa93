//! Generated types: structs (with their `object!` call), string enums (`string_enum!`),
//! untagged unions (`union!`) and aliases.

use std::collections::BTreeSet;

use proc_macro2::{Ident, TokenStream};
use quote::quote;

use super::ctx::Ctx;
use super::docs::{capitalize, fallback_doc};
use super::{cfg_attr, doc_attrs, ident};
use crate::contract::{
    DOUBLE_OPTION, IS_ABSENT, LENIENT_BOOL, LENIENT_FLOAT, LENIENT_INT, LENIENT_STRING,
};
use crate::ir::{Field, Ty, TypeDef, TypeKind};

/// A struct field: its declaration, its Rust type, and its entry in `object!` (how it
/// is decoded, and encoded for response types).
pub(super) struct FieldTokens {
    decl: TokenStream,
    pub(super) ty: TokenStream,
    entry: TokenStream,
}

pub(super) fn field_tokens(ctx: &Ctx<'_>, def: &TypeDef, field: &Field) -> FieldTokens {
    let name = ident(&field.rust);
    let json = &field.json;
    let doc = doc_attrs(Some(&field.doc.clone().unwrap_or_else(|| {
        format!("`{}` (no description in the spec).", field.json)
    })));
    if field.flatten {
        let ty = ctx.ty(&field.ty);
        let attr = if def.in_request {
            quote!(#[serde(flatten)])
        } else {
            quote!(#[cfg_attr(feature = "schemars", schemars(flatten))])
        };
        return FieldTokens {
            decl: quote!(#doc #attr pub #name: #ty),
            ty,
            entry: quote!(),
        };
    }
    let inner = ctx.ty(&field.ty);
    // Names `rename_all = "camelCase"` does not produce are renamed one by one.
    let rename =
        (serde_camel_case(&name.to_string()) != field.json).then(|| quote!(rename = #json));
    // Responses decode leniently: FastSpring sometimes writes whole numbers as `1.0`
    // (integers, everywhere), and numbers or `"true"` where the reference says string or
    // boolean (only in types never sent, so request types stay strict when checked).
    let lenient = match &field.ty {
        Ty::I64 => Some(LENIENT_INT.ident()),
        Ty::String if !def.in_request => Some(LENIENT_STRING.ident()),
        Ty::Bool if !def.in_request => Some(LENIENT_BOOL.ident()),
        // Numbers too: numeric strings read, and an unreadable optional one is absent
        // and reported instead of failing the reply (`fastspring_api::unreadable`).
        Ty::F64 if !def.in_request => Some(LENIENT_FLOAT.ident()),
        _ => None,
    };
    // `required`: must be present; `nullable`: required but may be `null`, always
    // written; `optional`: may be absent, left out when `None`.
    let double_option = field.nullable && def.in_request && !field.required;
    let (kind, ty, seed) = if field.required && !field.nullable {
        (quote!(required), inner.clone(), lenient)
    } else if field.required {
        (quote!(nullable), quote!(Option<#inner>), lenient)
    } else if double_option {
        (
            quote!(optional),
            quote!(Option<Option<#inner>>),
            Some(DOUBLE_OPTION.ident()),
        )
    } else {
        (quote!(optional), quote!(Option<#inner>), lenient)
    };
    let seed_tokens = seed.map(|m| quote!((#m)));
    let entry = quote!(#name: #json #kind #seed_tokens);
    // Request types derive `Serialize` (and `schemars` reads the same attributes); the
    // others are encoded by `object!` and need only what `schemars` reads.
    let attr = if def.in_request {
        let mut args: Vec<TokenStream> = rename.into_iter().collect();
        let is_absent = IS_ABSENT.crate_path();
        if double_option {
            let with = DOUBLE_OPTION.crate_path();
            args.push(quote!(
                default,
                with = #with,
                skip_serializing_if = #is_absent
            ));
        } else if !field.required {
            args.push(quote!(
                default,
                skip_serializing_if = #is_absent
            ));
        }
        let serde = if args.is_empty() {
            quote!()
        } else {
            quote!(#[serde(#(#args),*)])
        };
        // schemars reads `with` as a type; tell it the field's JSON shape instead.
        let schema_with = if double_option {
            let shape = quote!(Option<#inner>).to_string().replace(" ", "");
            quote!(#[cfg_attr(feature = "schemars", schemars(with = #shape))])
        } else {
            quote!()
        };
        quote!(#serde #schema_with)
    } else {
        match rename {
            Some(rename) => quote!(#[cfg_attr(feature = "schemars", schemars(#rename))]),
            None => quote!(),
        }
    };
    FieldTokens {
        decl: quote!(#doc #attr pub #name: #ty),
        ty,
        entry,
    }
}

/// What every generated type starts with: its name, docs and feature gate.
struct TypeHead {
    name: Ident,
    doc: TokenStream,
    cfg: TokenStream,
}

pub(super) fn emit_type(ctx: &Ctx<'_>, def: &TypeDef) -> TokenStream {
    let doc_text = def.doc.clone().unwrap_or_else(|| fallback_doc(ctx, def));
    let head = TypeHead {
        name: ident(&def.name),
        doc: doc_attrs(Some(&doc_text)),
        cfg: cfg_attr(&def.features),
    };
    match &def.kind {
        TypeKind::Alias(ty) => {
            let TypeHead { name, doc, cfg } = head;
            let ty = ctx.ty(ty);
            quote!(#doc #cfg pub type #name = #ty;)
        }
        TypeKind::Struct { fields } => emit_struct(ctx, def, head, fields),
        TypeKind::Enum { values } => emit_string_enum(head, values),
        TypeKind::Untagged { variants } => emit_union(ctx, def, head, variants),
    }
}

/// A struct, its `object!` call (decoding, and encoding of response types) and its
/// methods: a request type's constructor (`new` or `builder()`) and `with_*` setters, a
/// response type's accessors.
fn emit_struct(ctx: &Ctx<'_>, def: &TypeDef, head: TypeHead, fields: &[Field]) -> TokenStream {
    let TypeHead { name, doc, cfg } = head;
    let mut decls = Vec::new();
    let mut entries = Vec::new();
    let mut others = quote!();
    for field in fields {
        let FieldTokens { decl, entry, .. } = field_tokens(ctx, def, field);
        decls.push(decl);
        if field.flatten {
            let rest = ident(&field.rust);
            others = quote!(others: #rest);
        } else {
            entries.push(entry);
        }
    }
    let all_optional = fields
        .iter()
        .all(|f| f.flatten || !f.required || f.nullable);
    let default = if all_optional {
        quote!(Default,)
    } else {
        quote!()
    };
    let methods = super::methods::emit_methods(ctx, def, &name, fields);
    let methods = if methods.is_empty() {
        quote!()
    } else {
        quote!(#cfg #methods)
    };
    let builder = super::methods::emit_builder(ctx, def, &name, fields, &cfg);
    // `Deserialize` (and a response type's `Serialize`) come from `object!`.
    let (derives, object) = if def.in_request {
        (
            quote! {
                #[derive(Debug, Clone, PartialEq, #default serde::Serialize)]
                #[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
                #[serde(rename_all = "camelCase")]
            },
            quote!(object!(#name { #(#entries),* } #others);),
        )
    } else {
        (
            quote! {
                #[derive(Debug, Clone, PartialEq, #default)]
                #[cfg_attr(
                    feature = "schemars",
                    derive(schemars::JsonSchema),
                    schemars(rename_all = "camelCase")
                )]
            },
            quote!(object!(serialize #name { #(#entries),* } #others);),
        )
    };
    quote! {
        #doc
        #cfg
        #derives
        pub struct #name { #(#decls,)* }

        #cfg
        #object

        #methods

        #builder
    }
}

/// A string enum with an `Unknown` fallback (`string_enum!`).
fn emit_string_enum(head: TypeHead, values: &[(String, String)]) -> TokenStream {
    let TypeHead { name, doc, cfg } = head;
    let variants: Vec<Ident> = values.iter().map(|(_, v)| ident(v)).collect();
    let jsons: Vec<&String> = values.iter().map(|(j, _)| j).collect();
    let variant_docs: Vec<String> = jsons.iter().map(|j| format!(" `{j}`")).collect();
    quote! {
        #doc
        ///
        /// Values FastSpring adds later are kept in `Unknown`.
        #cfg
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum #name {
            #(#[doc = #variant_docs] #variants,)*
            /// A value this version of the crate does not know.
            Unknown(String),
        }
        #cfg
        string_enum!(#name { #(#variants = #jsons),* });
    }
}

/// An untagged union, decoded in one pass where its forms can be told apart (`union!`).
fn emit_union(
    ctx: &Ctx<'_>,
    def: &TypeDef,
    head: TypeHead,
    variants: &[(String, Ty)],
) -> TokenStream {
    let TypeHead { name, doc, cfg } = head;
    let methods = super::methods::emit_union_methods(def, &name);
    let methods = if methods.is_empty() {
        quote!()
    } else {
        quote!(#cfg #methods)
    };
    // Request types are serialized to be sent; response types only when an application
    // asks for it (the `serialize` feature, also on for payload checks).
    let serialize = if def.in_request {
        quote!(#[derive(serde::Serialize)])
    } else {
        quote!(#[cfg_attr(feature = "serialize", derive(serde::Serialize))])
    };
    let arms = variants.iter().map(|(v, ty)| {
        let vname = ident(v);
        let vdoc = format!(" {}.", capitalize(&ctx.describe(ty)));
        let inner = ctx.ty(ty);
        let inner = if ctx.is_struct(ty) {
            quote!(Box<#inner>)
        } else {
            inner
        };
        quote!(#[doc = #vdoc] #vname(#inner))
    });
    // The runtime decides the form from the first token or from a key only one
    // object form declares, and reads it in one pass (`runtime::union`).
    let object_keys: Vec<Option<BTreeSet<&str>>> =
        variants.iter().map(|(_, ty)| ctx.object_keys(ty)).collect();
    let forms = variants.iter().enumerate().map(|(i, (v, ty))| {
        let vname = ident(v);
        let accepts = ctx.accepts(ty);
        let keys: Vec<&str> = match &object_keys[i] {
            Some(own) => {
                own.iter()
                    .copied()
                    .filter(|k| {
                        object_keys.iter().enumerate().all(|(j, other)| {
                            j == i || other.as_ref().is_none_or(|o| !o.contains(k))
                        })
                    })
                    .collect()
            }
            None => Vec::new(),
        };
        quote!(#vname: #accepts, [#(#keys),*])
    });
    let untagged = if def.in_request {
        quote!(#[serde(untagged)])
    } else {
        quote!(#[cfg_attr(any(feature = "serialize", feature = "schemars"), serde(untagged))])
    };
    quote! {
        #doc
        ///
        /// The form is told by the JSON token or by a key only one form has.
        #cfg
        #[derive(Debug, Clone, PartialEq)]
        #serialize
        #[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
        #untagged
        pub enum #name { #(#arms,)* }

        #cfg
        union!(#name { #(#forms),* });

        #methods
    }
}

/// The JSON name serde gives a field `rust` under `rename_all = "camelCase"` (serde's
/// rule: drop a leading `r#`, remove each `_` and upper-case the letter after it).
fn serde_camel_case(rust: &str) -> String {
    let rust = rust.strip_prefix("r#").unwrap_or(rust);
    let mut out = String::with_capacity(rust.len());
    let mut upper = false;
    for ch in rust.chars() {
        if ch == '_' {
            upper = true;
        } else if upper {
            out.push(ch.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(ch);
        }
    }
    out
}
