//! What generated code may name in `fastspring-api`, in one place: the generator and the
//! runtime agree through this file (smithy-rs keeps such a registry in `RuntimeType.kt`).
//!
//! - [`imports`]: the `use` lines every generated module starts with ([`CRATE_IMPORTS`],
//!   [`RUNTIME_IMPORTS`]); the names they bring in are reserved for the runtime.
//! - [`RUNTIME_ITEMS`]: every item of `fastspring_api::runtime` generated code names
//!   (through `runtime::…` paths, the imports, or as an argument a runtime macro resolves
//!   under `runtime`). The emitter prints them from the constants below, never from a
//!   literal of its own. `codegen/tests/contract.rs` pins this list (with
//!   [`RUNTIME_SUPPORT_ITEMS`]) to what `fastspring-api/src/runtime.rs` exports.
//! - [`RESERVED_TYPE_NAMES`], [`BUILDER_METHODS`], [`BUILDER_FIELDS`]: names the IR must
//!   not give to spec types or builder setters.
//! - [`MULTI_ID_PLACEHOLDER`] and the `union!` masks ([`union_mask`]).

use proc_macro2::{Ident, Span, TokenStream};
use quote::{ToTokens, quote};

/// An item of `fastspring_api::runtime` that generated code names: prints as
/// `runtime::name` (every generated module imports `crate::runtime`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuntimeItem(&'static str);

impl RuntimeItem {
    /// The item's name in `runtime`.
    pub const fn name(self) -> &'static str {
        self.0
    }

    /// The item's name alone, for a runtime macro that resolves it under `runtime`
    /// (`object!`'s seeds).
    pub fn ident(self) -> Ident {
        Ident::new(self.0, Span::call_site())
    }

    /// `crate::runtime::name`, for attributes that take a path as a string (serde's `with`).
    pub fn crate_path(self) -> String {
        format!("crate::runtime::{}", self.0)
    }
}

impl ToTokens for RuntimeItem {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        let name = self.ident();
        tokens.extend(quote!(runtime::#name));
    }
}

/// `object` (module; `object::object` is imported, and `object!` expands to its paths).
pub const OBJECT: RuntimeItem = RuntimeItem("object");
/// `union` (module; `union::union` is imported, the masks live there).
pub const UNION: RuntimeItem = RuntimeItem("union");
/// `request_builder!` (imported).
pub const REQUEST_BUILDER: RuntimeItem = RuntimeItem("request_builder");
/// `string_enum!` (imported).
pub const STRING_ENUM: RuntimeItem = RuntimeItem("string_enum");
/// What the runtime knows about an operation (a builder's `META`).
pub const OPERATION_META: RuntimeItem = RuntimeItem("OperationMeta");
/// `x-fs-paging` in an `OperationMeta`.
pub const PAGING_META: RuntimeItem = RuntimeItem("PagingMeta");
/// `x-fs-batch` in an `OperationMeta`.
pub const BATCH_META: RuntimeItem = RuntimeItem("BatchMeta");
/// `first_time` (a generated `*_at()` accessor's body).
pub const FIRST_TIME: RuntimeItem = RuntimeItem("first_time");
/// What `build_request` returns.
pub const REQUEST: RuntimeItem = RuntimeItem("Request");
/// Percent-encodes one path parameter.
pub const ENCODE_PATH_PARAM: RuntimeItem = RuntimeItem("encode_path_param");
/// Percent-encodes and joins a comma-separated path parameter (`x-fs-comma-separated`).
pub const ENCODE_PATH_IDS: RuntimeItem = RuntimeItem("encode_path_ids");
/// Serializes a request body.
pub const ENCODE_BODY: RuntimeItem = RuntimeItem("encode_body");
/// `*_many` (`x-fs-multi-id`).
pub const GET_MANY: RuntimeItem = RuntimeItem("get_many");
/// `send()` of a one-ID lookup (`x-fs-unwrap`): the one resource, bare or unwrapped.
pub const SEND_ONE: RuntimeItem = RuntimeItem("send_one");
/// `objects()` (`x-fs-paging` with `resolve`).
pub const OBJECTS: RuntimeItem = RuntimeItem("objects");
/// The lookup `objects()` resolves IDs through.
pub const RESOLVER: RuntimeItem = RuntimeItem("Resolver");
/// How a date-valued query parameter is written (`format: date`, `x-fs-time`).
pub const DATE_FORM: RuntimeItem = RuntimeItem("DateForm");
/// `send_batch()` (`x-fs-batch`).
pub const SEND_BATCH: RuntimeItem = RuntimeItem("send_batch");
/// `pages()` (`x-fs-paging`).
pub const PAGES: RuntimeItem = RuntimeItem("pages");
/// `items()` (`x-fs-paging`).
pub const ITEMS: RuntimeItem = RuntimeItem("items");
/// The payload registry's decode-and-encode-back function.
pub const REENCODE: RuntimeItem = RuntimeItem("reencode");
/// The client's own decode of a reply (the registry's `client_decode` of a response shape).
pub const CLIENT_DECODE: RuntimeItem = RuntimeItem("client_decode");
/// Why a payload did not decode (the registry's `decode` error).
pub const DECODE_FAILURE: RuntimeItem = RuntimeItem("DecodeFailure");
/// `skip_serializing_if` of optional request fields.
pub const IS_ABSENT: RuntimeItem = RuntimeItem("is_absent");
/// Tri-state optional nullable request fields (serde `with`, and an `object!` seed).
pub const DOUBLE_OPTION: RuntimeItem = RuntimeItem("double_option");
/// `object!` seed: integers written as whole floats or strings.
pub const LENIENT_INT: RuntimeItem = RuntimeItem("lenient_int");
/// `object!` seed: response strings sent as numbers or booleans.
pub const LENIENT_STRING: RuntimeItem = RuntimeItem("lenient_string");
/// `object!` seed: response numbers sent as numeric strings; an unreadable optional one
/// is absent and reported.
pub const LENIENT_FLOAT: RuntimeItem = RuntimeItem("lenient_float");
/// `object!` seed: response booleans sent as strings.
pub const LENIENT_BOOL: RuntimeItem = RuntimeItem("lenient_bool");

/// `PagingMeta::style`: how an operation pages.
pub const PAGING_STYLE: RuntimeItem = RuntimeItem("PagingStyle");
/// The shape registry (payload-check): which part of an exchange a shape describes.
pub const PART: RuntimeItem = RuntimeItem("Part");
/// The shape registry (payload-check): one decodable shape.
pub const SHAPE: RuntimeItem = RuntimeItem("Shape");
/// The schema table (payload-check + schemars): derives one type's JSON Schema.
pub const SCHEMA_FN: RuntimeItem = RuntimeItem("SchemaFn");

/// Every item of `runtime` that generated code names.
pub const RUNTIME_ITEMS: &[RuntimeItem] = &[
    OBJECT,
    UNION,
    REQUEST_BUILDER,
    STRING_ENUM,
    FIRST_TIME,
    OPERATION_META,
    PAGING_META,
    PAGING_STYLE,
    BATCH_META,
    REQUEST,
    ENCODE_PATH_PARAM,
    ENCODE_PATH_IDS,
    ENCODE_BODY,
    GET_MANY,
    SEND_ONE,
    OBJECTS,
    RESOLVER,
    DATE_FORM,
    SEND_BATCH,
    PAGES,
    ITEMS,
    REENCODE,
    CLIENT_DECODE,
    DECODE_FAILURE,
    IS_ABSENT,
    DOUBLE_OPTION,
    LENIENT_INT,
    LENIENT_STRING,
    LENIENT_BOOL,
    LENIENT_FLOAT,
    PART,
    SHAPE,
    SCHEMA_FN,
];

/// What else `runtime` exports, which generated code does not name itself: paths the
/// runtime's own macros expand to, and hooks for the benches and fuzz tests. Listed so
/// that the pinning test can tell a forgotten contract entry from a deliberate export.
pub const RUNTIME_SUPPORT_ITEMS: &[(&str, &str)] = &[
    ("decode_json", "benches: the client's 2xx decode"),
    (
        "exercise_response_handling",
        "fuzz tests: the response handling without the typed decode",
    ),
];

/// Names of `fastspring_api`'s root that every generated module imports.
pub const CRATE_IMPORTS: &[&str] = &[
    "AccountId",
    "Amount",
    "BatchOutcome",
    "Client",
    "EpochMillis",
    "EpochSeconds",
    "Error",
    "Ids",
    "OrderId",
    "ProductPath",
    "QueryDate",
    "RequestOptions",
    "Secret",
    "SubscriptionId",
    "Unset",
];

/// Paths under `runtime` that every generated module imports (besides `runtime` itself).
pub const RUNTIME_IMPORTS: &[&str] = &[
    "object::object",
    "request_builder",
    "string_enum",
    "union::union",
];

/// The `use` lines every module file starts with, so that the code below reads with
/// short names. Items are gated by features, so the files allow `unused_imports`.
pub fn imports() -> TokenStream {
    let runtime = RUNTIME_IMPORTS.iter().map(|path| {
        let segments = path.split("::").map(|s| Ident::new(s, Span::call_site()));
        quote!(#(#segments)::*)
    });
    let krate = CRATE_IMPORTS
        .iter()
        .map(|name| Ident::new(name, Span::call_site()));
    quote! {
        use std::collections::BTreeMap;

        use serde_json::Value;

        use crate::runtime::{self, #(#runtime),*};
        use crate::{#(#krate),*};
    }
}

/// Names the runtime and the imports use in the same namespace as generated types
/// (besides [`CRATE_IMPORTS`], which lowering reserves too).
pub const RESERVED_TYPE_NAMES: &[&str] = &[
    "Result", "Option", "Vec", "String", "Box", "Self", "Decimal",
    // imported by every generated module (`imports`)
    "Value", "BTreeMap",
];

/// Names a request builder uses for its own methods: those the emitter writes
/// (`build_request`, `send`, `send_batch`, `pages`, `items`, `objects`, the optional
/// body's `body`) and those `request_builder!` adds (`timeout`, `options`,
/// `retry_non_idempotent`, and `into_future` from `IntoFuture`). A parameter whose
/// setter would take one of them gets the field `{name}_param`.
pub const BUILDER_METHODS: &[&str] = &[
    "body",
    "build_request",
    "into_future",
    "items",
    "objects",
    "options",
    "pages",
    "retry_non_idempotent",
    "send",
    "send_batch",
    "timeout",
];

/// A request builder's own fields (besides its parameters).
pub const BUILDER_FIELDS: &[&str] = &["client", "options", "body"];

/// The stand-in ID that `get_many` builds its path template with (it cannot occur in
/// an encoded ID, since `%` itself is encoded).
pub const MULTI_ID_PLACEHOLDER: &str = "%MULTI_ID%";

/// The JSON token kinds a `union!` form accepts (constants of `runtime::union`).
pub mod union_mask {
    /// A string.
    pub const STR: &str = "STR";
    /// A number.
    pub const NUM: &str = "NUM";
    /// A boolean.
    pub const BOOL: &str = "BOOL";
    /// An array.
    pub const SEQ: &str = "SEQ";
    /// An object.
    pub const MAP: &str = "MAP";
    /// Anything (the form is tried whatever the token).
    pub const ANY: &str = "ANY";
}
