//! [`Ctx`]: where the emitter is printing (which module, nested in `builders` or not),
//! and what follows from it: the path of a type from there, intra-doc links, a type
//! described in words, and the JSON tokens a type can start with.

use std::collections::BTreeSet;

use proc_macro2::TokenStream;
use quote::quote;

use super::docs::article;
use super::ident;
use crate::contract::union_mask::{ANY, BOOL, MAP, NUM, SEQ, STR};
use crate::ir::{Ir, Ty, TypeDef, TypeKind};

pub(super) struct Ctx<'a> {
    pub(super) ir: &'a Ir,
    pub(super) module: &'a str,
    /// Emitting into the group's `builders` submodule (other modules are one level up).
    pub(super) nested: bool,
}

impl Ctx<'_> {
    pub(super) fn ty(&self, ty: &Ty) -> TokenStream {
        match ty {
            Ty::String => quote!(String),
            Ty::Secret => quote!(Secret),
            Ty::Id(kind) => {
                let name = ident(kind.rust_name());
                quote!(#name)
            }
            Ty::I64 => quote!(i64),
            Ty::F64 => quote!(f64),
            Ty::Bool => quote!(bool),
            Ty::Decimal => quote!(Amount),
            Ty::EpochMillis => quote!(EpochMillis),
            Ty::EpochSeconds => quote!(EpochSeconds),
            Ty::Json => quote!(Value),
            Ty::Named(id) => self.named(*id),
            Ty::Vec(inner) => {
                let inner = self.ty(inner);
                quote!(Vec<#inner>)
            }
            Ty::Map(inner) => {
                let inner = self.ty(inner);
                quote!(BTreeMap<String, #inner>)
            }
        }
    }

    pub(super) fn named(&self, id: usize) -> TokenStream {
        let def = &self.ir.types[id];
        let name = ident(&def.name);
        if def.module == self.module {
            quote!(#name)
        } else if self.nested {
            let module = ident(&def.module);
            quote!(super::super::#module::#name)
        } else {
            let module = ident(&def.module);
            quote!(super::#module::#name)
        }
    }

    /// An intra-doc link to a generated type from this module.
    pub(super) fn link(&self, def: &TypeDef) -> String {
        let up = if self.nested { "super::super" } else { "super" };
        if def.module == self.module {
            format!("[`{}`]", def.name)
        } else {
            format!("[`{}`]({up}::{}::{})", def.name, def.module, def.name)
        }
    }

    /// What a value of `ty` is, in words (for generated docs).
    pub(super) fn describe(&self, ty: &Ty) -> String {
        match ty {
            Ty::String => "a string".into(),
            Ty::Secret => "a secret string".into(),
            Ty::Id(kind) => format!("{} [`{}`]", article(kind.rust_name()), kind.rust_name()),
            Ty::I64 => "an integer".into(),
            Ty::F64 => "a number".into(),
            Ty::Bool => "a boolean".into(),
            Ty::Decimal => "an amount".into(),
            Ty::EpochMillis => "a time in epoch milliseconds".into(),
            Ty::EpochSeconds => "a time in epoch seconds".into(),
            Ty::Json => "any JSON value".into(),
            Ty::Named(id) => {
                let def = &self.ir.types[*id];
                match &def.kind {
                    TypeKind::Struct { .. } => {
                        format!("{} {} object", article(&def.name), self.link(def))
                    }
                    _ => format!("{} {}", article(&def.name), self.link(def)),
                }
            }
            Ty::Vec(inner) => format!("a list of {}", self.describe_plural(inner)),
            Ty::Map(inner) => format!("a map of {}", self.describe_plural(inner)),
        }
    }

    fn describe_plural(&self, ty: &Ty) -> String {
        match ty {
            Ty::Named(id) => self.link(&self.ir.types[*id]),
            Ty::String => "strings".into(),
            Ty::Decimal => "amounts".into(),
            Ty::I64 => "integers".into(),
            Ty::F64 => "numbers".into(),
            Ty::Bool => "booleans".into(),
            other => format!("items, each {}", self.describe(other)),
        }
    }

    /// The JSON tokens a value of `ty` can start with (`runtime::union`'s mask).
    pub(super) fn accepts(&self, ty: &Ty) -> TokenStream {
        let names: &[&str] = match ty {
            Ty::String | Ty::Secret | Ty::Id(_) => &[STR],
            Ty::I64 | Ty::F64 => &[NUM],
            Ty::Bool => &[BOOL],
            Ty::Decimal | Ty::EpochMillis | Ty::EpochSeconds => &[NUM, STR],
            Ty::Json => &[ANY],
            Ty::Vec(_) => &[SEQ],
            Ty::Map(_) => &[MAP],
            Ty::Named(id) => match &self.ir.types[*id].kind {
                TypeKind::Struct { .. } => &[MAP],
                TypeKind::Enum { .. } => &[STR],
                TypeKind::Untagged { .. } => &[ANY],
                TypeKind::Alias(inner) => return self.accepts(inner),
            },
        };
        let names = names.iter().map(|n| ident(n));
        quote!(#(#names)|*)
    }

    /// The member names a struct form declares (`None` for other forms).
    pub(super) fn object_keys(&self, ty: &Ty) -> Option<BTreeSet<&str>> {
        match ty {
            Ty::Named(id) => match &self.ir.types[*id].kind {
                TypeKind::Struct { fields } => Some(
                    fields
                        .iter()
                        .filter(|f| !f.flatten)
                        .map(|f| f.json.as_str())
                        .collect(),
                ),
                TypeKind::Alias(inner) => self.object_keys(inner),
                _ => None,
            },
            _ => None,
        }
    }

    pub(super) fn is_struct(&self, ty: &Ty) -> bool {
        matches!(ty, Ty::Named(id) if matches!(self.ir.types[*id].kind, TypeKind::Struct { .. }))
    }

    pub(super) fn module_handle(&self) -> String {
        self.ir
            .modules
            .iter()
            .find(|m| m.name == self.module)
            .and_then(|m| m.handle.clone())
            .unwrap_or_default()
    }
}
