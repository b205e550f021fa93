//! A group's handle and its `builders` submodule: per operation, the handle method (and
//! `*_many`), the request builder with its setters, `build_request` (path, query,
//! headers, body, `OperationMeta`), `send`, and `pages`/`items`/`send_batch` where the
//! operation pages or reports per item.

use proc_macro2::TokenStream;
use quote::quote;

use super::ctx::Ctx;
use super::docs::operation_doc;
use super::{doc_attrs, ident, lit_str};
use crate::contract::{
    BATCH_META, DATE_FORM, ENCODE_BODY, ENCODE_PATH_IDS, ENCODE_PATH_PARAM, GET_MANY, ITEMS,
    MULTI_ID_PLACEHOLDER, OBJECTS, OPERATION_META, PAGES, PAGING_META, PAGING_STYLE, REQUEST,
    RESOLVER, SEND_BATCH, SEND_ONE,
};
use crate::ir::{
    DateForm, Operation, PagingStyle, ParamIn, PathPiece, ResponseKind, Ty, is_keyword,
};

pub(super) fn emit_operations(
    ctx: &Ctx<'_>,
    handle: &str,
    feature: &str,
    ops: &[&Operation],
) -> TokenStream {
    let handle_ident = ident(handle);
    let accessor = ctx
        .ir
        .modules
        .iter()
        .find(|m| m.name == ctx.module)
        .and_then(|m| m.handle_method.as_deref())
        .unwrap_or(ctx.module);
    let handle_doc = format!(
        " Operations of the `{feature}` group; get it with `client.{accessor}()`. Each method returns a request builder from [`builders`]."
    );
    let builders_doc = format!(
        " The request builders of the `{feature}` group, one per operation of [`{handle}`], with the handle's methods."
    );
    // The operations and their builders live in one submodule, so that the group's
    // page lists its types and its handle, and the builders sit one click away.
    let nested = Ctx {
        ir: ctx.ir,
        module: ctx.module,
        nested: true,
    };
    let mut methods = Vec::new();
    let mut builders = Vec::new();
    for op in ops {
        let (method, builder) = emit_operation(&nested, op);
        methods.push(method);
        builders.push(builder);
    }
    quote! {
        #[doc = #handle_doc]
        #[cfg(feature = #feature)]
        #[derive(Debug, Clone, Copy)]
        pub struct #handle_ident<'a> {
            pub(crate) client: &'a Client,
        }

        #[doc = #builders_doc]
        #[cfg(feature = #feature)]
        pub mod builders {
            use super::*;

            impl<'a> #handle_ident<'a> {
                #(#methods)*
            }

            #(#builders)*
        }
    }
}

/// One operation: the method on its group's handle, and its request builder.
fn emit_operation(ctx: &Ctx<'_>, op: &Operation) -> (TokenStream, TokenStream) {
    let inputs = operation_inputs(ctx, op);
    let method = handle_method(ctx, op, &inputs);
    let builder = emit_builder(ctx, op, inputs);
    (method, builder)
}

/// The inputs of an operation: the handle method's arguments, the builder's fields and
/// setters, and the code that puts them into the query, the headers and the body.
#[derive(Default)]
struct Inputs {
    args: Vec<TokenStream>,
    inits: Vec<TokenStream>,
    fields: Vec<TokenStream>,
    setters: Vec<TokenStream>,
    query: Vec<TokenStream>,
    headers: Vec<TokenStream>,
    body: TokenStream,
}

/// Parameters and body, as arguments (required) or setters (optional).
fn operation_inputs(ctx: &Ctx<'_>, op: &Operation) -> Inputs {
    let mut inputs = Inputs::default();
    for p in &op.params {
        let fname = ident(&p.field);
        let stored = if p.comma_separated {
            quote!(Ids)
        } else if p.date.is_some() {
            quote!(QueryDate)
        } else {
            ctx.ty(&p.ty)
        };
        let (arg_ty, conv) = if p.comma_separated {
            (quote!(impl Into<Ids>), quote!(.into()))
        } else if p.date.is_some() {
            (quote!(impl Into<QueryDate>), quote!(.into()))
        } else {
            param_arg_type(ctx, &p.ty)
        };
        if p.required {
            let many = op.multi_id.as_ref().is_some_and(|m| m.param == p.name);
            let (arg_ty, init) = match (&p.ty, p.comma_separated) {
                // A typed ID (`x-fs-id`) in the parameter of a multi-ID read: the method
                // takes one ID of its kind; several go through `*_many`.
                (Ty::Id(_), true) if many => {
                    let id = ctx.ty(&p.ty);
                    (
                        quote!(impl Into<#id>),
                        quote!(#fname: Ids::from(Into::<#id>::into(#fname).into_string())),
                    )
                }
                _ if conv.is_empty() => (arg_ty.clone(), quote!(#fname)),
                _ => (arg_ty.clone(), quote!(#fname: #fname #conv)),
            };
            inputs.args.push(quote!(#fname: #arg_ty));
            inputs.inits.push(init);
            inputs.fields.push(quote!(#fname: #stored));
        } else {
            let mut text = p
                .doc
                .clone()
                .unwrap_or_else(|| format!("Sets `{}` (no description in the spec).", p.name));
            if let Some(form) = p.date {
                text.push_str(&format!("\n\n{}", date_doc(form)));
            }
            let pdoc = doc_attrs(Some(&text));
            inputs.inits.push(quote!(#fname: None));
            inputs.fields.push(quote!(#fname: Option<#stored>));
            inputs.setters.push(quote! {
                #pdoc
                pub fn #fname(mut self, value: #arg_ty) -> Self {
                    self.#fname = Some(value #conv);
                    self
                }
            });
        }
        let name = lit_str(&p.name);
        match (p.location, p.required) {
            (ParamIn::Query, true) => inputs.query.push(query_push(p, &quote!(self.#fname))),
            (ParamIn::Query, false) => {
                let push = query_push(p, &quote!(value));
                inputs
                    .query
                    .push(quote!(if let Some(value) = &self.#fname { #push }));
            }
            (ParamIn::Header, true) => inputs
                .headers
                .push(quote!(headers.push((#name, self.#fname.to_string()));)),
            (ParamIn::Header, false) => inputs.headers.push(
                quote!(if let Some(value) = &self.#fname { headers.push((#name, value.to_string())); }),
            ),
            (ParamIn::Path, _) => {}
        }
    }
    inputs.body = match &op.body {
        Some(body) if body.required => {
            let ty = ctx.ty(&body.ty);
            inputs.args.push(quote!(body: #ty));
            inputs.inits.push(quote!(body));
            inputs.fields.push(quote!(body: #ty));
            quote!(Some(#ENCODE_BODY(META, &self.body)?))
        }
        Some(body) => {
            let ty = ctx.ty(&body.ty);
            inputs.inits.push(quote!(body: None));
            inputs.fields.push(quote!(body: Option<#ty>));
            inputs.setters.push(quote! {
                /// Sets the request body.
                pub fn body(mut self, value: #ty) -> Self {
                    self.body = Some(value);
                    self
                }
            });
            quote!(match &self.body {
                Some(body) => Some(#ENCODE_BODY(META, body)?),
                None => None,
            })
        }
        None => quote!(None),
    };
    inputs
}

fn param_arg_type(ctx: &Ctx<'_>, ty: &Ty) -> (TokenStream, TokenStream) {
    // (argument type, conversion into the stored type)
    match ty {
        Ty::String => (quote!(impl Into<String>), quote!(.into())),
        // Typed IDs (`x-fs-id`): from `&str`/`String` or the ID type, never another kind.
        Ty::Id(_) => {
            let id = ctx.ty(ty);
            (quote!(impl Into<#id>), quote!(.into()))
        }
        other => (ctx.ty(other), quote!()),
    }
}

/// How a date parameter's setter says it is sent.
fn date_doc(form: DateForm) -> &'static str {
    match form {
        DateForm::Date => {
            "Takes a `jiff::civil::Date` (sent as `YYYY-MM-DD`), a `jiff::Timestamp` (sent as its UTC date) or text (sent as given); see [`QueryDate`]."
        }
        DateForm::DateOrEpochMillis => {
            "Takes a `jiff::civil::Date` (sent as `YYYY-MM-DD`), a `jiff::Timestamp` (sent as epoch milliseconds) or text (sent as given); see [`QueryDate`]."
        }
    }
}

fn query_push(param: &crate::ir::Param, field: &TokenStream) -> TokenStream {
    let name = lit_str(&param.name);
    if let Some(form) = param.date {
        let form = match form {
            DateForm::Date => quote!(Date),
            DateForm::DateOrEpochMillis => quote!(DateOrEpochMillis),
        };
        return quote!(query.push((#name, #field.to_query(#DATE_FORM::#form))););
    }
    match &param.ty {
        Ty::Vec(_) if param.explode => quote! {
            for item in #field { query.push((#name, item.to_string())); }
        },
        Ty::Vec(_) => quote! {
            query.push((#name, #field.iter().map(|item| item.to_string()).collect::<Vec<_>>().join(",")));
        },
        _ => quote!(query.push((#name, #field.to_string()));),
    }
}

/// `let path = …;` with every parameter percent-encoded: each parameter bound to a local
/// first, so that the `format!` reads like hand-written Rust (`"/orders/{order_id}"`;
/// a keyword-named one, which a format string cannot name, positionally).
fn path_statements(op: &Operation) -> TokenStream {
    let mut format = String::new();
    let mut bindings = Vec::new();
    let mut positional = Vec::new();
    for piece in &op.template {
        match piece {
            PathPiece::Literal(text) => {
                format.push_str(&text.replace('{', "{{").replace('}', "}}"))
            }
            PathPiece::Param(index) => {
                let param = &op.params[*index];
                let field = ident(&param.field);
                let name = lit_str(&param.name);
                bindings.push(if param.comma_separated {
                    quote!(let #field = #ENCODE_PATH_IDS(META.id, #name, &self.#field)?;)
                } else if matches!(param.ty, Ty::Id(_)) {
                    quote!(let #field = #ENCODE_PATH_PARAM(META.id, #name, self.#field.as_str())?;)
                } else {
                    quote!(let #field = #ENCODE_PATH_PARAM(META.id, #name, &self.#field.to_string())?;)
                });
                if is_keyword(&param.field) {
                    format.push_str("{}");
                    positional.push(field);
                } else {
                    format.push('{');
                    format.push_str(&param.field);
                    format.push('}');
                }
            }
        }
    }
    let format = lit_str(&format);
    if bindings.is_empty() {
        quote!(let path = #format.to_string();)
    } else {
        quote! {
            #(#bindings)*
            let path = format!(#format #(, #positional)*);
        }
    }
}

/// What the runtime knows about the operation (`OperationMeta`).
fn operation_meta(op: &Operation) -> TokenStream {
    let id = lit_str(&op.id);
    let method = lit_str(op.method.as_str());
    let path = lit_str(&op.path);
    let accept = lit_str(&op.accept);
    let idempotent = op.idempotent;
    let auth_optional = op.auth_optional;
    let paging = match &op.paging {
        Some(p) => {
            // The runtime's `PagingStyle` has the IR's variants.
            let style = match p.style {
                PagingStyle::Page => quote!(Page),
                PagingStyle::Events => quote!(Events),
                PagingStyle::Report => quote!(Report),
                PagingStyle::None => quote!(None),
            };
            let items = match &p.items {
                Some(i) => {
                    let i = lit_str(i);
                    quote!(Some(#i))
                }
                None => quote!(None),
            };
            quote!(Some(#PAGING_META { style: #PAGING_STYLE::#style, items: #items }))
        }
        None => quote!(None),
    };
    let batch = match &op.batch {
        Some(b) => {
            let items = lit_str(&b.items);
            let id = lit_str(&b.id);
            quote!(Some(#BATCH_META { items: #items, id: #id }))
        }
        None => quote!(None),
    };
    quote! {
        #OPERATION_META {
            id: #id,
            method: #method,
            path: #path,
            accept: #accept,
            idempotent: #idempotent,
            auth_optional: #auth_optional,
            paging: #paging,
            batch: #batch,
        }
    }
}

/// An intra-doc link to a generated type (other types in backticks).
fn link_of(ctx: &Ctx<'_>, ty: &Ty) -> String {
    match ty {
        Ty::Named(id) => ctx.link(&ctx.ir.types[*id]),
        other => format!("`{}`", ctx.ty(other)),
    }
}

/// The "Returns …" line of a handle method: what awaiting its builder gives.
fn returns_doc(ctx: &Ctx<'_>, op: &Operation) -> String {
    let what = match (&op.unwrap, &op.response) {
        (Some(unwrap), _) => ctx.describe(&unwrap.resource),
        (None, ResponseKind::Json(ty)) => ctx.describe(ty),
        (None, ResponseKind::Text) => "the body as text (`String`)".to_string(),
        (None, ResponseKind::Bytes) => "the body as bytes (`bytes::Bytes`)".to_string(),
        (None, ResponseKind::Empty) => "nothing (`()`) on success".to_string(),
    };
    let mut line = format!("Returns {what} when awaited.");
    if let Some(batch) = &op.batch {
        line.push_str(&format!(
            " `.send_batch()` reports every item of `{}` instead.",
            batch.items
        ));
    }
    if let Some(paging) = op.paging.as_ref().filter(|p| p.style.streams()) {
        let item = paging
            .item
            .as_ref()
            .map_or_else(|| "`Value`".to_string(), |t| link_of(ctx, t));
        line.push_str(&format!(" `.items()` streams every {item} of every page"));
        match &paging.resolve {
            Some(resolve) => line.push_str(&format!(
                ", `.objects()` every {} (IDs looked up).",
                link_of(ctx, &resolve.object)
            )),
            None => line.push('.'),
        }
    }
    line
}

/// What `send` returns: the one resource of an `x-fs-unwrap` lookup, else the body.
fn response_type(ctx: &Ctx<'_>, op: &Operation) -> TokenStream {
    if let Some(unwrap) = &op.unwrap {
        return ctx.ty(&unwrap.resource);
    }
    match &op.response {
        ResponseKind::Json(ty) => ctx.ty(ty),
        ResponseKind::Text => quote!(String),
        ResponseKind::Bytes => quote!(bytes::Bytes),
        ResponseKind::Empty => quote!(()),
    }
}

/// `pages()` and `items()` for an operation that pages.
fn paging_methods(ctx: &Ctx<'_>, op: &Operation) -> TokenStream {
    let (Some(paging), ResponseKind::Json(_)) = (&op.paging, &op.response) else {
        return quote!();
    };
    if !paging.style.streams() {
        return quote!();
    }
    let resp = response_type(ctx, op);
    let item = paging
        .item
        .as_ref()
        .map(|t| ctx.ty(t))
        .unwrap_or_else(|| quote!(Value));
    let items_key = lit_str(paging.items.as_deref().unwrap_or_default());
    let how = if paging.style == PagingStyle::Page {
        "follows `nextPage` (keeping `limit`)"
    } else {
        "follows the `more` flag, starting each window after the last event's `created` time"
    };
    let pages_doc = format!(
        " Streams every page of the result: {how}. Stops when FastSpring reports no more, and fails (instead of looping) if a page does not advance."
    );
    let items_doc = format!(
        " Streams the `{}` of every page, one by one (see [`Self::pages`]).",
        paging.items.as_deref().unwrap_or_default()
    );
    let objects = objects_method(ctx, op);
    quote! {
        #[doc = #pages_doc]
        #[inline]
        pub fn pages(self) -> impl futures_util::Stream<Item = Result<#resp, Error>> + Send + 'a {
            let client = self.client;
            let request = self.build_request();
            #PAGES(client, request)
        }

        #[doc = #items_doc]
        #[inline]
        pub fn items(self) -> impl futures_util::Stream<Item = Result<#item, Error>> + Send + 'a {
            let client = self.client;
            let request = self.build_request();
            #ITEMS(client, request, #items_key)
        }

        #objects
    }
}

/// `objects()` for a listing whose items are IDs or objects (`x-fs-paging.resolve`).
fn objects_method(ctx: &Ctx<'_>, op: &Operation) -> TokenStream {
    let Some(paging) = &op.paging else {
        return quote!();
    };
    let Some(resolve) = &paging.resolve else {
        return quote!();
    };
    let object = ctx.ty(&resolve.object);
    let items_key = lit_str(paging.items.as_deref().unwrap_or_default());
    let handle = ident(&ctx.module_handle());
    let method = ident(&resolve.method);
    let lookup = ident(&resolve.builder);
    let lookup_items = lit_str(&resolve.items);
    let placeholder = lit_str(MULTI_ID_PLACEHOLDER);
    let several = resolve.many.is_some();
    let how = match &resolve.many {
        Some(many) => format!(
            "fetched with [`{}::{many}`] (one request per page's IDs)",
            ctx.module_handle()
        ),
        None => format!(
            "fetched one by one with [`{}::{}`]",
            ctx.module_handle(),
            resolve.method
        ),
    };
    let doc = format!(
        " Streams the `{}` of every page as {} objects, whichever form FastSpring lists them in: objects as they are, IDs {how}. The order is the listing's; an ID the lookup refuses is that item's `Err` (`Error::Api`).",
        paging.items.as_deref().unwrap_or_default(),
        link_of(ctx, &resolve.object),
    );
    quote! {
        #[doc = #doc]
        #[inline]
        pub fn objects(self) -> impl futures_util::Stream<Item = Result<#object, Error>> + Send + 'a {
            let client = self.client;
            let request = self.build_request();
            let resolver = #RESOLVER {
                meta: &#lookup::META,
                template: #handle { client }.#method(#placeholder).build_request(),
                placeholder: #placeholder,
                items: #lookup_items,
                several: #several,
            };
            #OBJECTS(client, request, #items_key, resolver)
        }
    }
}

/// `send_batch()` for an operation that reports an outcome per item.
fn send_batch_method(ctx: &Ctx<'_>, op: &Operation) -> TokenStream {
    let Some(batch) = &op.batch else {
        return quote!();
    };
    let item = ctx.ty(&batch.item);
    let doc = format!(
        " Sends the request and reports every item of `{}`: a failed item is an `Err` even when FastSpring answered 200, and a per-item report sent with an error status is returned item by item.",
        batch.items
    );
    quote! {
        #[doc = #doc]
        #[inline]
        pub async fn send_batch(self) -> Result<BatchOutcome<#item>, Error> {
            let request = self.build_request()?;
            #SEND_BATCH(self.client, request).await
        }
    }
}

/// The method on the group's handle that starts the builder (and `*_many`).
fn handle_method(ctx: &Ctx<'_>, op: &Operation, inputs: &Inputs) -> TokenStream {
    let doc = doc_attrs(Some(&format!(
        "{}\n\n{}",
        operation_doc(op),
        returns_doc(ctx, op)
    )));
    let name = ident(&op.rust_method);
    let builder = ident(&op.builder);
    let args = &inputs.args;
    let inits = &inputs.inits;
    let many = emit_get_many(ctx, op);
    quote! {
        #doc
        pub fn #name(&self, #(#args),*) -> #builder<'a> {
            #builder { client: self.client, options: RequestOptions::default(), #(#inits),* }
        }

        #many
    }
}

/// The request builder: its fields, setters, `build_request`, and the ways to send it
/// (the options and `IntoFuture` every builder shares come from `request_builder!`).
fn emit_builder(ctx: &Ctx<'_>, op: &Operation, inputs: Inputs) -> TokenStream {
    let builder = ident(&op.builder);
    let resp = response_type(ctx, op);
    let doc = format!(
        " Request builder for [`{}::{}`]: set optional inputs, then `.await` it (or call `send`).",
        ctx.module_handle(),
        op.rust_method
    );
    let meta = operation_meta(op);
    let path = path_statements(op);
    let send_call = match (&op.unwrap, &op.response) {
        (Some(unwrap), _) => {
            let items = lit_str(&unwrap.items);
            quote!(#SEND_ONE(self.client, request, #items).await)
        }
        (None, ResponseKind::Json(_)) => quote!(self.client.send_json(request).await),
        (None, ResponseKind::Text) => quote!(self.client.send_text(request).await),
        (None, ResponseKind::Bytes) => quote!(self.client.send_bytes(request).await),
        (None, ResponseKind::Empty) => quote!(self.client.send_empty(request).await),
    };
    // Only what is pushed to is `mut`.
    let mutable = |pushes: &[TokenStream]| (!pushes.is_empty()).then(|| quote!(mut));
    let (query_mut, headers_mut) = (mutable(&inputs.query), mutable(&inputs.headers));
    let query_init = quote!(let #query_mut query: Vec<(&'static str, String)> = Vec::new(););
    let headers_init = quote!(let #headers_mut headers: Vec<(&'static str, String)> = Vec::new(););
    let send_batch = send_batch_method(ctx, op);
    let paging = paging_methods(ctx, op);
    let send_doc = match &op.unwrap {
        Some(unwrap) => format!(
            " Sends the request and returns the one {}, whether FastSpring answers with it bare or in `{}`; a wrapper with no item or several is an `Error::Decode`, an error item an `Error::Api`.",
            link_of(ctx, &unwrap.resource),
            unwrap.items
        ),
        None => " Sends the request and decodes the response.".to_string(),
    };
    let send_doc = quote!(#[doc = #send_doc]);
    let Inputs {
        fields,
        setters,
        query,
        headers,
        body,
        ..
    } = inputs;
    quote! {
        #[doc = #doc]
        #[derive(Debug)]
        #[must_use = "a request does nothing until it is awaited or sent"]
        pub struct #builder<'a> {
            client: &'a Client,
            options: RequestOptions,
            #(#fields,)*
        }

        impl<'a> #builder<'a> {
            const META: #OPERATION_META = #meta;

            #(#setters)*

            /// The request as it will be sent (path encoded, query and body serialized);
            /// what `send` and the streams build on. Not a stable API.
            #[doc(hidden)]
            pub fn build_request(&self) -> Result<#REQUEST, Error> {
                const META: &#OPERATION_META = &#builder::META;
                #path
                #query_init
                #(#query)*
                #headers_init
                #(#headers)*
                Ok(#REQUEST {
                    meta: META,
                    path,
                    query,
                    headers,
                    body: #body,
                    options: self.options.clone(),
                })
            }

            #send_batch

            #paging

            #send_doc
            #[inline]
            pub async fn send(self) -> Result<#resp, Error> {
                let request = self.build_request()?;
                #send_call
            }
        }

        request_builder!(#builder => #resp);
    }
}

/// `get_many` for operations with `x-fs-multi-id`.
fn emit_get_many(ctx: &Ctx<'_>, op: &Operation) -> TokenStream {
    let Some(multi) = &op.multi_id else {
        return quote!();
    };
    if op
        .params
        .iter()
        .any(|p| p.required && p.name != multi.param)
    {
        return quote!();
    }
    let item_ty = ctx.ty(&multi.item);
    let method = ident(&multi.method);
    let builder = ident(&op.builder);
    let single = ident(&op.rust_method);
    let items = lit_str(&multi.items);
    let placeholder = lit_str(MULTI_ID_PLACEHOLDER);
    let doc = format!(
        " Like [`Self::{}`] for several IDs at once: each ID is percent-encoded, the IDs are joined with `,`, long lists are split over several requests, and the items come back as one `Vec` whatever shape FastSpring answers with (a bare object for one ID, a wrapper with `{}` for several).",
        op.rust_method, multi.items
    );
    let returns = format!(
        " Returns one item per ID FastSpring answered for, each {}.",
        ctx.describe(&multi.item)
    );
    quote! {
        #[doc = #doc]
        #[doc = ""]
        #[doc = #returns]
        pub async fn #method<I, S>(&self, ids: I) -> Result<Vec<#item_ty>, Error>
        where
            I: IntoIterator<Item = S>,
            S: Into<String>,
        {
            let ids: Vec<String> = ids.into_iter().map(Into::into).collect();
            let template = self.#single(#placeholder).build_request()?;
            #GET_MANY(self.client, &#builder::META, template, #placeholder, #items, &ids).await
        }
    }
}
