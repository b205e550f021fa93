//! The intermediate representation: every Rust name is decided here, collisions
//! are resolved here, and the emitter only prints what this module decided.

//!
//! This file holds the IR types only (what the emitter may read). The lowering is one
//! state type, `lower::Lowerer`, whose `impl` blocks are spread by construct:
//! `lower` (the pipeline and the spec walk), `schema`, `operation`, `quirks` (`x-fs-*`)
//! and `features`; `names` turns spec names into Rust identifiers.

use std::collections::BTreeSet;

mod features;
mod lower;
mod methods;
mod names;
mod operation;
mod quirks;
mod schema;

pub use lower::lower;
pub use names::{camel_ident, is_keyword, snake_ident};

/// Index of a [`TypeDef`] in [`Ir::types`].
pub type TypeId = usize;

/// A Rust type as used in a field, parameter or response.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Ty {
    String,
    /// `format: password`: a string that `Debug` never shows.
    Secret,
    I64,
    F64,
    Bool,
    Decimal,
    EpochMillis,
    EpochSeconds,
    Json,
    /// A string that names a resource of one kind (`x-fs-id`): a typed ID.
    Id(IdKind),
    Named(TypeId),
    Vec(Box<Ty>),
    Map(Box<Ty>),
}

/// What an ID names (`x-fs-id`), so that an account ID cannot go where a subscription ID
/// belongs. Each kind is a hand-written newtype over `String` in `fastspring-api`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IdKind {
    Account,
    Subscription,
    Order,
    /// A product path (FastSpring's product ID).
    Product,
}

impl IdKind {
    /// Every kind, in the order `x-fs-id` documents them.
    pub const ALL: [IdKind; 4] = [
        IdKind::Account,
        IdKind::Subscription,
        IdKind::Order,
        IdKind::Product,
    ];

    /// The value `x-fs-id` takes for this kind.
    pub fn as_str(self) -> &'static str {
        match self {
            IdKind::Account => "account",
            IdKind::Subscription => "subscription",
            IdKind::Order => "order",
            IdKind::Product => "product",
        }
    }

    /// The kind an `x-fs-id` value names.
    pub fn parse(value: &str) -> Option<IdKind> {
        IdKind::ALL.into_iter().find(|k| k.as_str() == value)
    }

    /// The Rust type in `fastspring-api` (imported by every generated module).
    pub fn rust_name(self) -> &'static str {
        match self {
            IdKind::Account => "AccountId",
            IdKind::Subscription => "SubscriptionId",
            IdKind::Order => "OrderId",
            IdKind::Product => "ProductPath",
        }
    }
}

/// A named type the generator emits.
#[derive(Debug, Clone)]
pub struct TypeDef {
    pub name: String,
    pub module: String,
    pub doc: Option<String>,
    pub kind: TypeKind,
    /// Features that need this type; `None` = always compiled.
    pub features: Option<BTreeSet<String>>,
    /// Where the schema is (file#pointer).
    pub location: String,
    /// Reachable from a request body: optional nullable fields are tri-state.
    pub in_request: bool,
    /// Methods beyond the fields: how a request value is built, its `with_*` setters,
    /// and the accessors (decided by `methods`, after the request marks).
    pub methods: Methods,
}

/// The methods a generated type gets besides its fields.
#[derive(Debug, Clone, Default)]
pub struct Methods {
    pub constructor: Constructor,
    /// `with_*` setters of a request type's optional fields: (field index, method name).
    pub setters: Vec<(usize, String)>,
    pub accessors: Vec<Accessor>,
}

/// How a request type with required fields is built.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Constructor {
    /// Not a request type, or no required field (then it is `Default`).
    #[default]
    None,
    /// `new(required…)`: the required fields' types are all different, so a swap does
    /// not compile.
    New,
    /// Two required fields share a type: `T::builder()` names each one at the call site
    /// (a typestate builder whose `build()` exists once all are set).
    Builder { name: String },
}

/// A read accessor decided in the IR, so that every type offers the same ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Accessor {
    /// `name() -> Option<jiff::Timestamp>`: the first of the twin time fields present
    /// (`next`, `nextValue`, `nextInSeconds`), as field indices.
    Time { name: String, fields: Vec<usize> },
    /// `id()`: the object's own ID, the first present of its twin ID fields (`x-fs-key`).
    /// `required` when one of them is required (then it returns `&Id`, else `Option`).
    Key {
        kind: IdKind,
        fields: Vec<usize>,
        required: bool,
    },
    /// `id()` of an ID-or-object union: the ID variant's value, or the object's key.
    UnionId {
        kind: IdKind,
        /// The variant holding the bare ID.
        id_variant: String,
        /// Object variants and whether their key is required.
        objects: Vec<(String, bool)>,
    },
}

#[derive(Debug, Clone)]
pub enum TypeKind {
    Struct {
        fields: Vec<Field>,
    },
    /// String enum: (JSON value, Rust variant).
    Enum {
        values: Vec<(String, String)>,
    },
    /// Untagged union: (Rust variant, type), tried in order.
    Untagged {
        variants: Vec<(String, Ty)>,
    },
    Alias(Ty),
}

#[derive(Debug, Clone)]
pub struct Field {
    /// The JSON member name (empty for the flattened map of additional members).
    pub json: String,
    pub rust: String,
    pub ty: Ty,
    pub required: bool,
    pub nullable: bool,
    pub doc: Option<String>,
    /// The map of members beyond the declared ones (`additionalProperties` beside
    /// `properties`), flattened into the struct.
    pub flatten: bool,
}

/// A resource group: one module, one cargo feature, one handle on the client.
#[derive(Debug, Clone)]
pub struct Module {
    pub name: String,
    pub kind: ModuleKind,
    pub tag: Option<String>,
    pub feature: Option<String>,
    pub handle: Option<String>,
    pub handle_method: Option<String>,
    pub doc: String,
}

/// What a generated module holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModuleKind {
    /// A tag's group: its types, and its operations behind a handle.
    Group,
    /// The webhook tag: the event payloads and `EventData`.
    WebhookEvents,
    /// A spec file without operations: schemas several groups share.
    Shared,
}

/// The HTTP method of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Put,
    Post,
    Delete,
    Patch,
}

impl Method {
    /// The method as sent (`GET`).
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Put => "PUT",
            Method::Post => "POST",
            Method::Delete => "DELETE",
            Method::Patch => "PATCH",
        }
    }

    fn parse(method: &str) -> Option<Method> {
        Some(match method {
            "get" => Method::Get,
            "put" => Method::Put,
            "post" => Method::Post,
            "delete" => Method::Delete,
            "patch" => Method::Patch,
            _ => return None,
        })
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A path template, split into literal text and parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathPiece {
    /// Text sent as written.
    Literal(String),
    /// The operation's parameter at this index of `Operation::params`.
    Param(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamIn {
    Path,
    Query,
    Header,
}

#[derive(Debug, Clone)]
pub struct Param {
    pub name: String,
    pub rust: String,
    /// The builder's field (and setter) for it: `rust`, unless that is a name the
    /// builder uses for itself.
    pub field: String,
    pub location: ParamIn,
    pub ty: Ty,
    pub required: bool,
    pub explode: bool,
    pub comma_separated: bool,
    /// A date-valued query parameter (`format: date`): taken as a `QueryDate` and
    /// written in this form.
    pub date: Option<DateForm>,
    pub doc: Option<String>,
}

/// How a date-valued query parameter is written (the runtime's `DateForm`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateForm {
    /// `format: date`: `YYYY-MM-DD`, a timestamp as its UTC date.
    Date,
    /// `format: date` with `x-fs-time: epoch-millis`: a date as `YYYY-MM-DD`, a
    /// timestamp as epoch milliseconds.
    DateOrEpochMillis,
}

#[derive(Debug, Clone)]
pub struct Body {
    pub ty: Ty,
    pub required: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ResponseKind {
    Json(Ty),
    Text,
    Bytes,
    Empty,
}

#[derive(Debug, Clone)]
pub struct Paging {
    pub style: PagingStyle,
    pub items: Option<String>,
    /// Element type of the `items` array, for `page` and `events` styles.
    pub item: Option<Ty>,
    /// `resolve`: the items are IDs or objects, and IDs are looked up through this
    /// operation of the group (`objects()`).
    pub resolve: Option<Resolve>,
}

/// How `objects()` turns a listing's IDs into objects (`x-fs-paging.resolve`).
#[derive(Debug, Clone)]
pub struct Resolve {
    /// The lookup's `operationId`.
    pub operation: String,
    /// The lookup's handle method (`get`) and builder (`GetSubscriptionBuilder`).
    pub method: String,
    pub builder: String,
    /// The lookup's `*_many` method when it takes several IDs (`x-fs-multi-id`).
    pub many: Option<String>,
    /// The wrapper's array in the lookup's answer.
    pub items: String,
    /// The object type (the lookup's `x-fs-unwrap` resource).
    pub object: Ty,
}

/// How a list operation pages (`x-fs-paging`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PagingStyle {
    /// `page`/`limit` query parameters and `nextPage` in the reply.
    Page,
    /// Windows of events, continued while the reply says `more`.
    Events,
    /// A report job: run, poll, download.
    Report,
    /// Documented as not paging.
    None,
}

impl PagingStyle {
    /// The name the spec and the runtime use.
    pub fn as_str(self) -> &'static str {
        match self {
            PagingStyle::Page => "page",
            PagingStyle::Events => "events",
            PagingStyle::Report => "report",
            PagingStyle::None => "none",
        }
    }

    /// Whether the builder gets `pages()` and `items()`.
    pub fn streams(self) -> bool {
        matches!(self, PagingStyle::Page | PagingStyle::Events)
    }
}

#[derive(Debug, Clone)]
pub struct Batch {
    pub items: String,
    pub id: String,
    /// Type of one outcome (the items array's element type).
    pub item: Ty,
}

#[derive(Debug, Clone)]
pub struct MultiId {
    pub param: String,
    /// The client method that takes several IDs (`get_many`).
    pub method: String,
    pub items: String,
    /// The item type inside the wrapper (and the bare object).
    pub item: Ty,
}

/// `x-fs-unwrap`: the handle method returns the one resource of a one-ID lookup.
#[derive(Debug, Clone)]
pub struct Unwrap {
    /// The array of the wrapper answer.
    pub items: String,
    /// The resource type (the bare answer, and the wrapper's item).
    pub resource: Ty,
}

#[derive(Debug, Clone)]
pub struct Operation {
    pub id: String,
    pub method: Method,
    pub path: String,
    /// `path` split into literal text and parameters.
    pub template: Vec<PathPiece>,
    pub module: String,
    pub rust_method: String,
    pub builder: String,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub params: Vec<Param>,
    pub body: Option<Body>,
    pub response: ResponseKind,
    /// `Accept` header: the media types of the success response.
    pub accept: String,
    /// Declared response bodies by status (`0` = default), for the payload registry.
    pub responses: Vec<(u16, Ty)>,
    pub paging: Option<Paging>,
    pub batch: Option<Batch>,
    pub multi_id: Option<MultiId>,
    pub unwrap: Option<Unwrap>,
    pub idempotent: bool,
    pub auth_optional: bool,
    pub location: String,
}

#[derive(Debug, Clone)]
pub struct Webhook {
    pub event_type: String,
    /// Other spellings of the type FastSpring documents (`x-fs-event-aliases`).
    pub aliases: Vec<String>,
    pub variant: String,
    pub data: Ty,
    pub doc: Option<String>,
}

/// Everything the emitter needs.
#[derive(Debug, Clone)]
pub struct Ir {
    pub modules: Vec<Module>,
    pub types: Vec<TypeDef>,
    pub operations: Vec<Operation>,
    pub webhooks: Vec<Webhook>,
}
