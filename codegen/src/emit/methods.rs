//! The methods the IR decided for a type (`TypeDef::methods`): a request type's `new` or
//! typestate builder and its `with_*` setters, a response type's `*_at()` times and
//! `id()`, and `id()` on ID-or-object unions.

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::ctx::Ctx;
use super::ident;
use super::types::field_tokens;
use crate::contract::FIRST_TIME;
use crate::ir::{Accessor, Constructor, Field, Ty, TypeDef};

/// How an argument of type `ty` is taken, and how it becomes the stored value: strings,
/// IDs, secrets, amounts and times through `Into`, lists from any iterator of them.
fn argument(ctx: &Ctx<'_>, ty: &Ty) -> (TokenStream, TokenStream) {
    let stored = ctx.ty(ty);
    match ty {
        Ty::String | Ty::Secret | Ty::Id(_) | Ty::Decimal | Ty::EpochMillis | Ty::EpochSeconds => {
            (quote!(impl Into<#stored>), quote!(.into()))
        }
        Ty::Vec(inner) => {
            let item = ctx.ty(inner);
            (
                quote!(impl IntoIterator<Item = impl Into<#item>>),
                quote!(.into_iter().map(Into::into).collect()),
            )
        }
        _ => (stored, quote!()),
    }
}

fn is_required(field: &Field) -> bool {
    field.required && !field.nullable && !field.flatten
}

/// `head { required…, optional: None… }`: each required field from the variable of its
/// name, with `convert(field)` after it (`.into()`, or nothing).
fn construct(
    head: TokenStream,
    fields: &[Field],
    convert: impl Fn(&Field) -> TokenStream,
) -> TokenStream {
    let inits = fields.iter().map(|f| {
        let name = ident(&f.rust);
        if f.flatten {
            quote!(#name: Default::default())
        } else if is_required(f) {
            let conv = convert(f);
            if conv.is_empty() {
                quote!(#name)
            } else {
                quote!(#name: #name #conv)
            }
        } else {
            quote!(#name: None)
        }
    });
    quote!(#head { #(#inits),* })
}

/// The inherent methods of a struct: constructor, setters, accessors.
pub(super) fn emit_methods(
    ctx: &Ctx<'_>,
    def: &TypeDef,
    name: &Ident,
    fields: &[Field],
) -> TokenStream {
    let mut items = Vec::new();
    match &def.methods.constructor {
        Constructor::None => {}
        Constructor::New => {
            let mut args = Vec::new();
            for f in fields.iter().filter(|f| is_required(f)) {
                let fname = ident(&f.rust);
                let (arg, _) = argument(ctx, &f.ty);
                args.push(quote!(#fname: #arg));
            }
            let build = construct(quote!(Self), fields, |f| {
                let (_, conv) = argument(ctx, &f.ty);
                quote!(#conv)
            });
            items.push(quote! {
                /// Builds the value from its required fields (each of its own type, so they
                /// cannot be swapped); optional fields start empty and are set with `with_*`.
                pub fn new(#(#args),*) -> Self {
                    #build
                }
            });
        }
        Constructor::Builder { name: builder } => {
            let builder = ident(builder);
            let unset = fields.iter().filter(|f| is_required(f)).map(|f| {
                let fname = ident(&f.rust);
                quote!(#fname: Unset)
            });
            let doc = format!(
                " Starts a [`{builder}`]: each required field is set by name, and `build()` exists once all are set (two of them share a type, so positional arguments could be swapped unnoticed)."
            );
            items.push(quote! {
                #[doc = #doc]
                pub fn builder() -> #builder {
                    #builder { #(#unset),* }
                }
            });
        }
    }
    for (index, method) in &def.methods.setters {
        let field = &fields[*index];
        let fname = ident(&field.rust);
        let method = ident(method);
        let (arg, conv) = argument(ctx, &field.ty);
        let double = field.nullable && !field.required;
        let value = if double {
            quote!(Some(Some(value #conv)))
        } else {
            quote!(Some(value #conv))
        };
        let doc = format!(
            " Sets `{}` ([`Self::{}`]), keeping the rest.",
            field.json, field.rust
        );
        items.push(quote! {
            #[doc = #doc]
            pub fn #method(mut self, value: #arg) -> Self {
                self.#fname = #value;
                self
            }
        });
    }
    for accessor in &def.methods.accessors {
        items.push(accessor_tokens(accessor, fields));
    }
    if items.is_empty() {
        return quote!();
    }
    quote! {
        impl #name { #(#items)* }
    }
}

/// An accessor of a struct.
fn accessor_tokens(accessor: &Accessor, fields: &[Field]) -> TokenStream {
    match accessor {
        Accessor::Time {
            name,
            fields: sources,
        } => {
            let method = ident(name);
            let reads = sources.iter().map(|i| {
                let fname = ident(&fields[*i].rust);
                quote!(self.#fname)
            });
            let jsons: Vec<String> = sources
                .iter()
                .map(|i| format!("`{}`", fields[*i].json))
                .collect();
            let doc = match jsons.as_slice() {
                [only] => {
                    format!(" {only} as a [`jiff::Timestamp`] (`None` when absent or unreadable).")
                }
                all => format!(
                    " {} as a [`jiff::Timestamp`], from the first of {} that FastSpring sent and that is readable.",
                    all[0],
                    all.join(", ")
                ),
            };
            quote! {
                #[doc = #doc]
                pub fn #method(&self) -> Option<jiff::Timestamp> {
                    #FIRST_TIME(&[#(&#reads),*])
                }
            }
        }
        Accessor::Key {
            kind,
            fields: sources,
            ..
        } => {
            let kind_ty = ident(kind.rust_name());
            let jsons: Vec<String> = sources
                .iter()
                .map(|i| format!("`{}`", fields[*i].json))
                .collect();
            let doc = format!(
                " The {}'s ID, from the first of {} that FastSpring sent (the same value under twin names).",
                kind.as_str(),
                jsons.join(", ")
            );
            // The optional fields before the first required one, then that one.
            let mut optional = Vec::new();
            let mut fallback = None;
            for i in sources {
                let f = &fields[*i];
                let fname = ident(&f.rust);
                if f.required && !f.nullable {
                    fallback = Some(quote!(&self.#fname));
                    break;
                }
                optional.push(quote!(self.#fname.as_ref()));
            }
            let chain = optional
                .split_first()
                .map(|(first, rest)| quote!(#first #(.or(#rest))*));
            let (ret, body) = match (chain, fallback) {
                (None, Some(only)) => (quote!(&#kind_ty), only),
                (Some(chain), Some(fallback)) => {
                    (quote!(&#kind_ty), quote!(#chain.unwrap_or(#fallback)))
                }
                (Some(chain), None) => (quote!(Option<&#kind_ty>), chain),
                (None, None) => return quote!(), // lowering refuses an empty x-fs-key
            };
            quote! {
                #[doc = #doc]
                pub fn id(&self) -> #ret {
                    #body
                }
            }
        }
        Accessor::UnionId { .. } => quote!(),
    }
}

/// `id()` of an ID-or-object union.
pub(super) fn emit_union_methods(def: &TypeDef, name: &Ident) -> TokenStream {
    let Some(Accessor::UnionId {
        kind,
        id_variant,
        objects,
    }) = def
        .methods
        .accessors
        .iter()
        .find(|a| matches!(a, Accessor::UnionId { .. }))
    else {
        return quote!();
    };
    let kind_ty = ident(kind.rust_name());
    let all_required = objects.iter().all(|(_, r)| *r);
    let id_variant = ident(id_variant);
    let arms = objects.iter().map(|(variant, required)| {
        let variant = ident(variant);
        match (all_required, required) {
            (true, _) | (false, false) => quote!(Self::#variant(object) => object.id(),),
            (false, true) => quote!(Self::#variant(object) => Some(object.id()),),
        }
    });
    let (ret, id_arm) = if all_required {
        (quote!(&#kind_ty), quote!(Self::#id_variant(id) => id,))
    } else {
        (
            quote!(Option<&#kind_ty>),
            quote!(Self::#id_variant(id) => Some(id),),
        )
    };
    let doc = format!(
        " The [`{}`], whichever form FastSpring sent: the bare ID, or the object's own ID.",
        kind.rust_name()
    );
    quote! {
        impl #name {
            #[doc = #doc]
            pub fn id(&self) -> #ret {
                match self {
                    #id_arm
                    #(#arms)*
                }
            }
        }
    }
}

/// The typestate builder of a request type whose required fields share a type
/// (`Constructor::Builder`): one type parameter per required field, [`Unset`] until its
/// setter is called; `build()` exists only when every one is set. `cfg` (the type's
/// feature gate) goes on every item: the struct and each `impl`.
pub(super) fn emit_builder(
    ctx: &Ctx<'_>,
    def: &TypeDef,
    target: &Ident,
    fields: &[Field],
    cfg: &TokenStream,
) -> TokenStream {
    let Constructor::Builder { name } = &def.methods.constructor else {
        return quote!();
    };
    let builder = ident(name);
    let required: Vec<&Field> = fields.iter().filter(|f| is_required(f)).collect();
    let params: Vec<Ident> = (1..=required.len())
        .map(|i| format_ident!("F{i}"))
        .collect();
    let names: Vec<Ident> = required.iter().map(|f| ident(&f.rust)).collect();
    let stored: Vec<TokenStream> = required
        .iter()
        .map(|f| field_tokens(ctx, def, f).ty)
        .collect();
    let setters = required.iter().enumerate().map(|(i, f)| {
        let fname = &names[i];
        let (arg, conv) = argument(ctx, &f.ty);
        let others: Vec<&Ident> = params
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, p)| p)
            .collect();
        let from: Vec<TokenStream> = params
            .iter()
            .enumerate()
            .map(|(j, p)| if j == i { quote!(Unset) } else { quote!(#p) })
            .collect();
        let to: Vec<TokenStream> = params
            .iter()
            .enumerate()
            .map(|(j, p)| {
                if j == i {
                    stored[j].clone()
                } else {
                    quote!(#p)
                }
            })
            .collect();
        let moves = names.iter().enumerate().map(|(j, n)| {
            if j == i {
                quote!(#n: value #conv)
            } else {
                quote!(#n: self.#n)
            }
        });
        let doc = format!(" Sets the required `{}`.", f.json);
        quote! {
            #cfg
            impl<#(#others),*> #builder<#(#from),*> {
                #[doc = #doc]
                pub fn #fname(self, value: #arg) -> #builder<#(#to),*> {
                    #builder { #(#moves),* }
                }
            }
        }
    });
    let build = construct(quote!(#target), fields, |_| quote!());
    let doc = format!(
        " Builds a [`{target}`] with each required field named: [`{target}::builder`], one setter per required field in any order, then `build()`."
    );
    let build_doc =
        format!(" The [`{target}`], its optional fields empty (set them with `with_*`).");
    quote! {
        #cfg
        #[doc = #doc]
        #[derive(Debug, Clone)]
        #[must_use = "call `build()` once every required field is set"]
        pub struct #builder<#(#params = Unset),*> {
            #(#names: #params),*
        }

        #(#setters)*

        #cfg
        impl #builder<#(#stored),*> {
            #[doc = #build_doc]
            pub fn build(self) -> #target {
                let #builder { #(#names),* } = self;
                #build
            }
        }
    }
}
