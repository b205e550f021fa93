//! The intermediate representation: every Rust name is decided here, collisions
//! are resolved here, and the emitter only prints what this module decided.

use std::collections::{BTreeMap, BTreeSet};

use heck::{ToSnakeCase, ToUpperCamelCase};

use crate::Error;
use crate::spec::{Node, Spec};

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
    Named(TypeId),
    Vec(Box<Ty>),
    Map(Box<Ty>),
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
    pub doc: Option<String>,
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

const WEBHOOK_TAG: &str = "webhook-events";
const RUST_KEYWORDS: &[&str] = &[
    "as", "break", "const", "continue", "crate", "else", "enum", "extern", "false", "fn", "for",
    "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return",
    "self", "Self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use", "where",
    "while", "async", "await", "dyn", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "typeof", "unsized", "virtual", "yield", "try", "gen",
];

/// Names the runtime uses in the same namespaces as generated items.
const RESERVED_TYPE_NAMES: &[&str] = &[
    "Client",
    "Error",
    "Result",
    "Option",
    "Vec",
    "String",
    "Box",
    "Decimal",
    "EpochMillis",
    "EpochSeconds",
    "Value",
    "BTreeMap",
    "Self",
    // imported by every generated module (`emit::short_paths`)
    "Amount",
    "BatchOutcome",
    "Ids",
    "RequestOptions",
    "Secret",
];

/// Turns any name into a snake_case Rust identifier (keywords are kept and emitted raw).
pub fn snake_ident(name: &str) -> String {
    let mut s = name.to_snake_case();
    if s.is_empty() {
        s = "field".into();
    }
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        s = format!("n{s}");
    }
    // These cannot even be raw identifiers.
    if matches!(s.as_str(), "self" | "super" | "crate") {
        s.push('_');
    }
    s
}

/// Names builders reserve for their own methods.
pub const BUILDER_METHODS: &[&str] = &[
    "send",
    "timeout",
    "options",
    "into_future",
    "retry_non_idempotent",
];

/// `path` as literal text and the indexes of its path parameters in `params`.
fn path_template(path: &str, params: &[Param]) -> Result<Vec<PathPiece>, String> {
    let mut pieces = Vec::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        if start > 0 {
            pieces.push(PathPiece::Literal(rest[..start].to_string()));
        }
        let end = rest[start..]
            .find('}')
            .map(|e| start + e)
            .ok_or_else(|| format!("unclosed `{{` in path `{path}`"))?;
        let name = &rest[start + 1..end];
        let index = params
            .iter()
            .position(|p| p.location == ParamIn::Path && p.name == name)
            .ok_or_else(|| {
                format!("path `{path}` names `{name}`, which is not a path parameter")
            })?;
        pieces.push(PathPiece::Param(index));
        rest = &rest[end + 1..];
    }
    if !rest.is_empty() {
        pieces.push(PathPiece::Literal(rest.to_string()));
    }
    Ok(pieces)
}

/// Whether every `{` of a path template is closed by a `}` before the next `{`.
fn is_well_formed_template(path: &str) -> bool {
    let mut open = false;
    for c in path.chars() {
        match (c, open) {
            ('{', false) => open = true,
            ('}', true) => open = false,
            ('{', true) | ('}', false) => return false,
            _ => {}
        }
    }
    !open
}

/// Whether `name` can be used as a type name as written (`x-rust-name`).
fn is_type_ident(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !is_keyword(name)
}

/// Turns any name into an UpperCamelCase Rust identifier.
pub fn camel_ident(name: &str) -> String {
    let mut s = name.to_upper_camel_case();
    if s.is_empty() {
        s = "Empty".into();
    }
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        s = format!("V{s}");
    }
    s
}

/// Whether `s` is a Rust keyword (emitted as a raw identifier).
pub fn is_keyword(s: &str) -> bool {
    RUST_KEYWORDS.contains(&s)
}

fn unique(name: String, taken: &mut BTreeSet<String>) -> String {
    if taken.insert(name.clone()) {
        return name;
    }
    (2..)
        .map(|i| format!("{name}{i}"))
        .find(|candidate| taken.insert(candidate.clone()))
        .expect("an unused name exists")
}

struct Lowerer {
    types: Vec<TypeDef>,
    by_location: BTreeMap<String, TypeId>,
    names: BTreeMap<String, String>,
    file_modules: BTreeMap<String, String>,
    /// Edges for feature propagation: type → types it mentions.
    refs: BTreeMap<TypeId, BTreeSet<TypeId>>,
}

/// Lowers a loaded spec into the IR, validating everything the generator relies on.
///
/// The steps run in this order because it decides the order (and so the names) of the
/// types: groups from the tags, each file's group, component names reserved, components,
/// operations, webhooks; then features and request marks over the result.
pub fn lower(spec: &Spec) -> Result<Ir, Error> {
    let root = spec.root();
    let openapi = root.str("openapi")?.unwrap_or("");
    if !openapi.starts_with("3.1") {
        return Err(root.error(format!("`openapi` must be 3.1.x, found `{openapi}`")));
    }
    crate::extensions::check(spec)?;

    let (mut modules, tags) = tag_modules(&root)?;
    let all_features: BTreeSet<String> = modules.iter().filter_map(|m| m.feature.clone()).collect();
    let (path_items, webhook_items) = root_items(&root)?;
    let file_modules = file_modules(spec, &path_items, &webhook_items, &tags, &mut modules)?;

    let mut lw = Lowerer {
        types: Vec::new(),
        by_location: BTreeMap::new(),
        names: BTreeMap::new(),
        file_modules,
        refs: BTreeMap::new(),
    };
    for reserved in RESERVED_TYPE_NAMES {
        lw.names.insert(reserved.to_string(), "(runtime)".into());
    }
    for module in &modules {
        if let Some(handle) = &module.handle {
            lw.names
                .insert(handle.clone(), format!("(handle of tag {:?})", module.tag));
        }
    }

    lw.lower_components(spec)?;

    // operationIds are unique across operations and webhooks.
    let mut op_ids = BTreeMap::new();
    let operations = lw.lower_operations(&path_items, &mut op_ids)?;
    let webhooks = lw.lower_webhooks(&webhook_items, &mut op_ids)?;

    lw.assign_features(&operations, &webhooks, &modules, &all_features);
    lw.mark_requests(&operations);

    Ok(Ir {
        modules,
        types: lw.types,
        operations,
        webhooks,
    })
}

/// A path or webhook key with its resolved path item.
type Items<'a> = Vec<(String, Node<'a>)>;

/// Modules from the root's tags, in document order, and the set of tag names.
fn tag_modules(root: &Node<'_>) -> Result<(Vec<Module>, BTreeSet<String>), Error> {
    let mut modules = Vec::new();
    let mut tags = BTreeSet::new();
    if let Some(tag_list) = root.get("tags") {
        for tag in tag_list.items()? {
            let name = tag.req_str("name", "tag")?;
            if !tags.insert(name.to_string()) {
                return Err(tag.error(format!("tag `{name}` declared twice")));
            }
            let module = snake_ident(name);
            let handle = (name != WEBHOOK_TAG).then(|| camel_ident(name));
            modules.push(Module {
                name: module.clone(),
                kind: if name == WEBHOOK_TAG {
                    ModuleKind::WebhookEvents
                } else {
                    ModuleKind::Group
                },
                tag: Some(name.to_string()),
                feature: Some(name.to_string()),
                handle_method: handle.as_ref().map(|_| module.clone()),
                handle,
                doc: tag.str("description")?.unwrap_or(name).to_string(),
            });
        }
    }
    Ok((modules, tags))
}

/// The root's `paths` and `webhooks`, each item resolved.
fn root_items<'a>(root: &Node<'a>) -> Result<(Items<'a>, Items<'a>), Error> {
    let mut path_items = Vec::new();
    if let Some(paths) = root.get("paths") {
        for (path, item) in paths.entries()? {
            if !path.starts_with('/') {
                return Err(item.error(format!("path `{path}` must start with `/`")));
            }
            path_items.push((path.to_string(), item.resolve()?));
        }
    }
    let mut webhook_items = Vec::new();
    if let Some(hooks) = root.get("webhooks") {
        for (event, item) in hooks.entries()? {
            webhook_items.push((event.to_string(), item.resolve()?));
        }
    }

    Ok((path_items, webhook_items))
}

/// Which module each file belongs to: the tag of its operations; a file without
/// operations is a module of shared schemas of its own (added to `modules`).
fn file_modules(
    spec: &Spec,
    path_items: &Items<'_>,
    webhook_items: &Items<'_>,
    tags: &BTreeSet<String>,
    modules: &mut Vec<Module>,
) -> Result<BTreeMap<String, String>, Error> {
    let mut file_modules: BTreeMap<String, String> = BTreeMap::new();
    for (_, item) in path_items.iter().chain(webhook_items.iter()) {
        for (method, op) in operations_of(item)? {
            let tag = single_tag(&op, tags, method)?;
            let module = snake_ident(&tag);
            if let Some(previous) = file_modules.get(item.file)
                && previous != &module
            {
                return Err(op.error(format!(
                        "file `{}` holds operations of two groups (`{previous}` and `{module}`); one file is one group",
                        item.file
                    )));
            }
            file_modules.insert(item.file.to_string(), module);
        }
    }
    for file in spec.file_names() {
        if file != spec.root && !file_modules.contains_key(file) {
            let stem = file.trim_end_matches(".yaml").trim_end_matches(".yml");
            let module = snake_ident(stem);
            if !modules.iter().any(|m| m.name == module) {
                modules.push(Module {
                    name: module.clone(),
                    kind: ModuleKind::Shared,
                    tag: None,
                    feature: None,
                    handle: None,
                    handle_method: None,
                    doc: format!("Schemas shared by several groups (`{file}`)."),
                });
            }
            file_modules.insert(file.to_string(), module);
        }
    }

    Ok(file_modules)
}

fn operations_of<'a>(item: &Node<'a>) -> Result<Vec<(&'static str, Node<'a>)>, Error> {
    const METHODS: &[&str] = &[
        "get", "put", "post", "delete", "patch", "head", "options", "trace",
    ];
    let mut out = Vec::new();
    for (key, node) in item.entries()? {
        if let Some(m) = METHODS.iter().find(|m| **m == key) {
            out.push((*m, node));
        } else if !matches!(key, "parameters" | "summary" | "description" | "servers")
            && !key.starts_with("x-")
        {
            return Err(node.error(format!("unsupported path item key `{key}`")));
        }
    }
    Ok(out)
}

fn single_tag(op: &Node<'_>, tags: &BTreeSet<String>, method: &str) -> Result<String, Error> {
    let list = op
        .get("tags")
        .ok_or_else(|| op.error(format!("{method} operation without `tags`")))?;
    let items = list.items()?;
    if items.len() != 1 {
        return Err(list.error("an operation has exactly one tag (its group)"));
    }
    let tag = items[0]
        .value
        .as_str()
        .ok_or_else(|| items[0].error("tag must be a string"))?;
    if !tags.contains(tag) {
        return Err(items[0].error(format!(
            "tag `{tag}` is not declared in the root document's `tags`"
        )));
    }
    Ok(tag.to_string())
}

fn doc_of(node: &Node<'_>) -> Result<Option<String>, Error> {
    let summary = node.str("summary")?;
    let description = node.str("description")?;
    Ok(match (summary, description) {
        (Some(s), Some(d)) => Some(format!("{}\n\n{}", s.trim(), d.trim())),
        (Some(s), None) => Some(s.trim().to_string()),
        (None, Some(d)) => Some(d.trim().to_string()),
        (None, None) => None,
    })
}

/// `requestBody.content.application/json.schema.properties.events.items.allOf[*].properties.data`
fn webhook_data_schema<'a>(op: &Node<'a>) -> Result<Node<'a>, Error> {
    let schema = op
        .req("requestBody")?
        .req("content")?
        .req("application/json")?
        .req("schema")?
        .resolve()?;
    let items = schema
        .req("properties")?
        .req("events")?
        .resolve()?
        .req("items")?
        .resolve()?;
    let members = items.req("allOf")?;
    for member in members.items()? {
        let member = member.resolve()?;
        if let Some(data) = member.get("properties").and_then(|p| p.get("data")) {
            return Ok(data);
        }
    }
    Err(members.error("no `allOf` member declares the event's `data` property"))
}

fn is_null_schema(node: &Node<'_>) -> bool {
    node.value.get("type").and_then(|t| t.as_str()) == Some("null")
}

/// What [`Lowerer::lower_responses`] finds.
struct Responses {
    /// The 2xx body.
    response: ResponseKind,
    /// The `Accept` header: the 2xx media types, or `application/json`.
    accept: String,
    /// Every JSON body by status (0 for `default`).
    responses: Vec<(u16, Ty)>,
}

/// The parameters of an operation: path-item level first, overridden (same `name` and
/// `in`) by operation level, each resolved.
fn merged_parameters<'a>(item: &Node<'a>, op: &Node<'a>) -> Result<Vec<Node<'a>>, Error> {
    let mut raw_params: Vec<Node<'a>> = Vec::new();
    for source in [item.get("parameters"), op.get("parameters")]
        .into_iter()
        .flatten()
    {
        for p in source.items()? {
            let p = p.resolve()?;
            let name = p.req_str("name", "parameter")?;
            let location = p.req_str("in", "parameter")?;
            raw_params.retain(|q| {
                !(q.value.get("name").and_then(|v| v.as_str()) == Some(name)
                    && q.value.get("in").and_then(|v| v.as_str()) == Some(location))
            });
            raw_params.push(p);
        }
    }
    Ok(raw_params)
}

/// Whether `op`'s `security` allows no credentials (an empty requirement).
fn auth_optional(op: &Node<'_>) -> Result<bool, Error> {
    Ok(match op.get("security") {
        Some(s) => s
            .items()?
            .iter()
            .any(|req| req.value.as_object().is_some_and(|o| o.is_empty())),
        None => false,
    })
}

impl<'a> Lowerer {
    /// Named component schemas of every file, in file order. Their names are reserved
    /// first, so that an inline schema never takes a component's name.
    fn lower_components(&mut self, spec: &Spec) -> Result<(), Error> {
        let files: Vec<String> = spec.file_names().map(str::to_string).collect();
        for file in &files {
            let Some(schemas) = spec.node(file, "/components/schemas") else {
                continue;
            };
            for (name, schema) in schemas.entries()? {
                let wanted = match schema.str("x-rust-name")? {
                    Some(n) if is_type_ident(n) => n.to_string(),
                    Some(n) => return Err(schema.error(format!("x-rust-name `{n}` is not a Rust type name (ASCII letters, digits and `_`, starting with a letter)"))),
                    None => camel_ident(name),
                };
                if let Some(prev) = self.names.get(&wanted) {
                    return Err(schema.error(format!("schema name `{wanted}` is already used by {prev}; names are unique across the spec")));
                }
                self.names.insert(wanted, schema.location());
            }
        }
        for file in &files {
            let Some(schemas) = spec.node(file, "/components/schemas") else {
                continue;
            };
            for (name, schema) in schemas.entries()? {
                self.lower_named(name, &schema)?;
            }
        }

        Ok(())
    }

    /// The operations of every path item, in document order; each `x-rust-method` is
    /// unique in its group.
    fn lower_operations(
        &mut self,
        path_items: &Items<'a>,
        op_ids: &mut BTreeMap<String, String>,
    ) -> Result<Vec<Operation>, Error> {
        let mut operations = Vec::new();
        let mut methods_per_module: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        for (path, item) in path_items {
            for (method, op) in operations_of(item)? {
                if let Some(id) = op.str("operationId")?
                    && let Some(prev) = op_ids.insert(id.to_string(), op.location())
                {
                    return Err(op.error(format!("operationId `{id}` already used at {prev}")));
                }
                let operation = self.lower_operation(path, method, item, &op)?;
                let taken = methods_per_module
                    .entry(operation.module.clone())
                    .or_default();
                if let Some(prev) =
                    taken.insert(operation.rust_method.clone(), operation.id.clone())
                {
                    return Err(op.error(format!(
                        "x-rust-method `{}` already used by `{prev}` in the same group",
                        operation.rust_method
                    )));
                }
                operations.push(operation);
            }
        }

        Ok(operations)
    }

    /// One webhook event per key of `webhooks`, with its aliases and its `data` type.
    fn lower_webhooks(
        &mut self,
        webhook_items: &Items<'a>,
        op_ids: &mut BTreeMap<String, String>,
    ) -> Result<Vec<Webhook>, Error> {
        let mut webhooks = Vec::new();
        let mut variants = BTreeSet::new();
        for (event, item) in webhook_items {
            let op = item.req("post")?;
            let id = op.req_str("operationId", "webhook")?;
            if let Some(prev) = op_ids.insert(id.to_string(), op.location()) {
                return Err(op.error(format!("operationId `{id}` already used at {prev}")));
            }
            if let Some(declared) = op.str("x-fs-event-type")?
                && declared != event
            {
                return Err(op.error(format!(
                    "x-fs-event-type `{declared}` differs from the webhook key `{event}`"
                )));
            }
            let data = webhook_data_schema(&op)?;
            let variant = unique(camel_ident(&event.replace('.', "_")), &mut variants);
            let ty = self.lower(
                &data,
                &format!("{}Data", camel_ident(&event.replace('.', "_"))),
                None,
            )?;
            let mut aliases = Vec::new();
            if let Some(list) = op.get("x-fs-event-aliases") {
                for alias in list.items()? {
                    let alias = alias
                        .value
                        .as_str()
                        .ok_or_else(|| alias.error("x-fs-event-aliases lists strings"))?;
                    if webhook_items.iter().any(|(e, _)| e == alias) {
                        return Err(list.error(format!("alias `{alias}` is itself a webhook key")));
                    }
                    aliases.push(alias.to_string());
                }
            }
            webhooks.push(Webhook {
                event_type: event.clone(),
                aliases,
                variant,
                data: ty,
                doc: doc_of(&op)?,
            });
        }

        Ok(webhooks)
    }

    fn module_of(&self, node: &Node<'_>) -> Result<String, Error> {
        self.file_modules
            .get(node.file)
            .cloned()
            .ok_or_else(|| node.error(format!("file `{}` has no module", node.file)))
    }

    fn claim_name(
        &mut self,
        wanted: &str,
        location: &str,
        exact: bool,
        node: &Node<'_>,
    ) -> Result<String, Error> {
        if let Some(prev) = self.names.get(wanted) {
            if exact && prev == location {
                return Ok(wanted.to_string());
            }
            if exact {
                return Err(node.error(format!("schema name `{wanted}` is already used by {prev}; names are unique across the spec")));
            }
            let name = (2..)
                .map(|i| format!("{wanted}{i}"))
                .find(|c| !self.names.contains_key(c))
                .expect("free name");
            self.names.insert(name.clone(), location.to_string());
            return Ok(name);
        }
        self.names.insert(wanted.to_string(), location.to_string());
        Ok(wanted.to_string())
    }

    fn lower_named(&mut self, name: &str, schema: &Node<'a>) -> Result<Ty, Error> {
        if schema.is_ref() {
            // An alias of another schema.
            let target = self.lower(schema, name, None)?;
            let id = self.new_type(name, schema, true, TypeKind::Alias(target.clone()), None)?;
            self.add_refs(id, &target);
            return Ok(Ty::Named(id));
        }
        let ty = self.lower(schema, name, Some(name))?;
        if let Ty::Named(_) = ty {
            return Ok(ty);
        }
        // Primitive, array or map component: an alias keeps the spec's name usable.
        if let Some(id) = self.by_location.get(&schema.location()) {
            return Ok(Ty::Named(*id));
        }
        let id = self.new_type(name, schema, true, TypeKind::Alias(ty.clone()), None)?;
        self.add_refs(id, &ty);
        Ok(Ty::Named(id))
    }

    fn new_type(
        &mut self,
        wanted: &str,
        node: &Node<'_>,
        exact: bool,
        kind: TypeKind,
        doc: Option<String>,
    ) -> Result<TypeId, Error> {
        let location = node.location();
        let name = match node.str("x-rust-name")? {
            Some(n) if !is_type_ident(n) => {
                return Err(node.error(format!("x-rust-name `{n}` is not a Rust type name (ASCII letters, digits and `_`, starting with a letter)")));
            }
            Some(n) => self.claim_name(n, &location, true, node)?,
            None => self.claim_name(&camel_ident(wanted), &location, exact, node)?,
        };
        let doc = match doc {
            Some(d) => Some(d),
            None => doc_of(node)?,
        };
        let id = self.types.len();
        self.types.push(TypeDef {
            name,
            module: self.module_of(node)?,
            doc,
            kind,
            features: None,
            location: location.clone(),
            in_request: false,
        });
        self.by_location.insert(location, id);
        Ok(id)
    }

    /// Creates a named type whose contents are lowered next (so that recursive references
    /// find it); the name is the component's (`exact`) or derived from `hint`.
    fn start_type(
        &mut self,
        node: &Node<'_>,
        hint: &str,
        exact: Option<&str>,
        kind: TypeKind,
    ) -> Result<(TypeId, String), Error> {
        let id = self.new_type(exact.unwrap_or(hint), node, exact.is_some(), kind, None)?;
        Ok((id, self.types[id].name.clone()))
    }

    fn add_refs(&mut self, from: TypeId, ty: &Ty) {
        match ty {
            Ty::Named(to) => {
                self.refs.entry(from).or_default().insert(*to);
            }
            Ty::Vec(inner) | Ty::Map(inner) => self.add_refs(from, inner),
            _ => {}
        }
    }

    /// Lowers a schema to a type, creating named types for objects, enums and unions.
    /// `hint` names an inline type; `exact` is the component name when the schema is one.
    fn lower(&mut self, node: &Node<'a>, hint: &str, exact: Option<&str>) -> Result<Ty, Error> {
        Ok(self.lower_nullable(node, hint, exact)?.0)
    }

    /// Like [`Self::lower`], also telling whether the schema admits `null`.
    fn lower_nullable(
        &mut self,
        node: &Node<'a>,
        hint: &str,
        exact: Option<&str>,
    ) -> Result<(Ty, bool), Error> {
        if node.is_ref() {
            let target = node.resolve()?;
            if let Some(id) = self.by_location.get(&target.location()) {
                return Ok((Ty::Named(*id), component_admits_null(&target)));
            }
            // A component not yet lowered (forward reference): lower it under its own name.
            let name = component_name(&target);
            let nullable = component_admits_null(&target);
            let ty = match name {
                Some(n) => self.lower_named(&n, &target)?,
                None => self.lower(&target, hint, None)?,
            };
            return Ok((ty, nullable));
        }
        let v = node.value;
        if !v.is_object() {
            if v.as_bool() == Some(true) {
                return Ok((Ty::Json, true));
            }
            return Err(node.error("a schema must be a mapping"));
        }
        if let Some(id) = self.by_location.get(&node.location()) {
            return Ok((Ty::Named(*id), schema_admits_null(node)));
        }
        if node.value.get("nullable").is_some() {
            return Err(node.error("`nullable` is OpenAPI 3.0; write `type: [T, \"null\"]`"));
        }
        check_keywords(node)?;

        // oneOf / anyOf
        for key in ["oneOf", "anyOf"] {
            if let Some(list) = node.get(key) {
                let branches = list.items()?;
                let (nulls, others): (Vec<_>, Vec<_>) =
                    branches.into_iter().partition(is_null_schema);
                let nullable = !nulls.is_empty() || schema_admits_null(node);
                if others.is_empty() {
                    return Err(list.error("a union needs at least one non-null branch"));
                }
                if others.len() == 1 {
                    let (ty, inner_null) = self.lower_nullable(&others[0], hint, exact)?;
                    return Ok((ty, nullable || inner_null));
                }
                let (id, type_name) =
                    self.start_type(node, hint, exact, TypeKind::Untagged { variants: vec![] })?;
                let mut variants = Vec::new();
                let mut taken = BTreeSet::new();
                let mut seen_types = BTreeSet::new();
                for branch in &others {
                    let resolved = branch.resolve()?;
                    let title = branch.str("title")?.or(resolved.str("title")?);
                    let ty = self.lower(
                        branch,
                        &format!(
                            "{type_name}{}",
                            title
                                .map(camel_ident)
                                .unwrap_or_else(|| format!("Variant{}", variants.len() + 1))
                        ),
                        None,
                    )?;
                    if !seen_types.insert(ty.clone()) {
                        return Err(branch.error(
                            "two branches of this union lower to the same Rust type; merge them",
                        ));
                    }
                    let wanted = match title {
                        Some(t) => camel_ident(t),
                        None => self.variant_name_for(&ty),
                    };
                    variants.push((unique(wanted, &mut taken), ty.clone()));
                    self.add_refs(id, &ty);
                }
                self.types[id].kind = TypeKind::Untagged { variants };
                return Ok((Ty::Named(id), nullable));
            }
        }

        // allOf: merged into one struct.
        if let Some(list) = node.get("allOf") {
            let (id, type_name) =
                self.start_type(node, hint, exact, TypeKind::Struct { fields: vec![] })?;
            let mut props: Vec<(String, Node<'a>)> = Vec::new();
            let mut required = BTreeSet::new();
            let mut doc = self.types[id].doc.clone();
            // Members are flattened depth-first; a nested `allOf` contributes its members.
            let mut pending: Vec<Node<'a>> = list.items()?.into_iter().rev().collect();
            let mut depth = 0;
            while let Some(member) = pending.pop() {
                let is_ref = member.is_ref();
                let member = member.resolve()?;
                depth += 1;
                if depth > 256 {
                    return Err(member.error("`allOf` nesting too deep (a cycle?)"));
                }
                if member.get("oneOf").is_some() || member.get("anyOf").is_some() {
                    return Err(member
                        .error("an `allOf` member must be an object schema (no `oneOf`/`anyOf`)"));
                }
                if let Some(nested) = member.get("allOf") {
                    pending.extend(nested.items()?.into_iter().rev());
                }
                collect_object(&member, &mut props, &mut required)?;
                if doc.is_none() && !is_ref {
                    doc = doc_of(&member)?;
                }
            }
            self.types[id].doc = doc;
            let fields = self.lower_fields(id, &type_name, props, &required)?;
            self.types[id].kind = TypeKind::Struct { fields };
            return Ok((Ty::Named(id), schema_admits_null(node)));
        }

        let (types, nullable) = type_list(node)?;
        let format = node.str("format")?;
        if let Some(enum_values) = node.get("enum") {
            let values = enum_values.items()?;
            if types == ["string"]
                || (types.is_empty()
                    && values
                        .iter()
                        .all(|v| v.value.is_string() || v.value.is_null()))
            {
                // `Unknown` is the fallback variant; a value spelled so becomes `UnknownValue`.
                let mut taken = BTreeSet::from(["Unknown".to_string()]);
                let mut out = Vec::new();
                let mut enum_null = false;
                for value in &values {
                    match value.value {
                        serde_json::Value::String(s) => {
                            let wanted = match camel_ident(s) {
                                c if c == "Unknown" => "UnknownValue".to_string(),
                                c => c,
                            };
                            out.push((s.clone(), unique(wanted, &mut taken)));
                        }
                        serde_json::Value::Null => enum_null = true,
                        _ => return Err(value.error("string enum with a non-string value")),
                    }
                }
                let id = self.new_type(
                    exact.unwrap_or(hint),
                    node,
                    exact.is_some(),
                    TypeKind::Enum { values: out },
                    None,
                )?;
                return Ok((Ty::Named(id), nullable || enum_null));
            }
        }
        let ty = match types.as_slice() {
            [] => {
                if node.get("properties").is_some() {
                    self.lower_object(node, hint, exact)?
                } else {
                    Ty::Json
                }
            }
            ["string"] if format == Some("password") => Ty::Secret,
            ["string"] => Ty::String,
            ["boolean"] => Ty::Bool,
            ["integer"] => match node.str("x-fs-time")? {
                None => Ty::I64,
                Some("epoch-millis") => Ty::EpochMillis,
                Some("epoch-seconds") => Ty::EpochSeconds,
                Some(other) => {
                    return Err(node.error(format!(
                        "unknown x-fs-time `{other}` (epoch-millis or epoch-seconds)"
                    )));
                }
            },
            ["number"] if format == Some("decimal") => Ty::Decimal,
            ["number"] => Ty::F64,
            ["number", "string"] | ["string", "number"] if format == Some("decimal") => Ty::Decimal,
            ["array"] => {
                let items = node
                    .get("items")
                    .ok_or_else(|| node.error("array without `items`"))?;
                let (inner, _) =
                    self.lower_nullable(&items, &format!("{}Item", exact.unwrap_or(hint)), None)?;
                Ty::Vec(Box::new(inner))
            }
            ["object"] => self.lower_object(node, hint, exact)?,
            other => {
                return Err(node.error(format!(
                    "unsupported `type` {other:?}; several types need `oneOf` (or `format: decimal` for number/string)"
                )));
            }
        };
        Ok((ty, nullable))
    }

    fn variant_name_for(&self, ty: &Ty) -> String {
        match ty {
            Ty::String | Ty::Secret => "String".into(),
            Ty::I64 => "Integer".into(),
            Ty::F64 | Ty::Decimal => "Number".into(),
            Ty::Bool => "Bool".into(),
            Ty::EpochMillis | Ty::EpochSeconds => "Timestamp".into(),
            Ty::Json => "Json".into(),
            Ty::Named(id) => self.types[*id].name.clone(),
            Ty::Vec(_) => "List".into(),
            Ty::Map(_) => "Map".into(),
        }
    }

    fn lower_object(
        &mut self,
        node: &Node<'a>,
        hint: &str,
        exact: Option<&str>,
    ) -> Result<Ty, Error> {
        let has_props = node
            .get("properties")
            .is_some_and(|p| p.value.as_object().is_some_and(|m| !m.is_empty()));
        if !has_props {
            return Ok(match node.get("additionalProperties") {
                Some(ap) if ap.value.is_object() => {
                    let (inner, _) =
                        self.lower_nullable(&ap, &format!("{}Value", exact.unwrap_or(hint)), None)?;
                    Ty::Map(Box::new(inner))
                }
                _ => Ty::Map(Box::new(Ty::Json)),
            });
        }
        let (id, type_name) =
            self.start_type(node, hint, exact, TypeKind::Struct { fields: vec![] })?;
        let mut props = Vec::new();
        let mut required = BTreeSet::new();
        collect_object(node, &mut props, &mut required)?;
        let mut fields = self.lower_fields(id, &type_name, props, &required)?;
        let extra = node
            .get("additionalProperties")
            .filter(|ap| ap.value.is_object() || ap.value == &serde_json::Value::Bool(true));
        if let Some(ap) = extra {
            let mut rust = "additional_properties".to_string();
            while fields.iter().any(|f| f.rust == rust) {
                rust.push('_');
            }
            let described = ap.resolve()?.location();
            fields.push(Field {
                json: String::new(),
                rust,
                ty: Ty::Map(Box::new(Ty::Json)),
                required: true,
                nullable: false,
                doc: Some(format!("Members beyond the declared ones, as received (the spec describes them at `{described}`).")),
                flatten: true,
            });
        }
        self.types[id].kind = TypeKind::Struct { fields };
        Ok(Ty::Named(id))
    }

    fn lower_fields(
        &mut self,
        id: TypeId,
        type_name: &str,
        props: Vec<(String, Node<'a>)>,
        required: &BTreeSet<String>,
    ) -> Result<Vec<Field>, Error> {
        let mut taken = BTreeSet::new();
        let mut fields = Vec::new();
        for (json, prop) in props {
            // `x-rust-field` names the field; `x-rust-name` on a property's schema names its type.
            let rust = match prop.str("x-rust-field")? {
                Some(n) if snake_ident(n) == n => n.to_string(),
                Some(n) => return Err(prop.error(format!("x-rust-field `{n}` must be snake_case"))),
                None => snake_ident(&json),
            };
            let rust = {
                let mut candidate = rust.clone();
                let mut n = 2;
                while !taken.insert(candidate.clone()) {
                    candidate = format!("{rust}_{n}");
                    n += 1;
                }
                candidate
            };
            let (ty, nullable) =
                self.lower_nullable(&prop, &format!("{type_name}{}", camel_ident(&json)), None)?;
            self.add_refs(id, &ty);
            let doc = doc_of(&prop)?;
            fields.push(Field {
                required: required.contains(&json),
                json,
                rust,
                ty,
                nullable,
                doc,
                flatten: false,
            });
        }
        Ok(fields)
    }

    /// One operation, in steps: its names, parameters, body, responses, then the
    /// extensions that read the response (paging, batch, multi-ID). The order of the steps
    /// is the order in which types are created, so it is part of the output.
    fn lower_operation(
        &mut self,
        path: &str,
        method: &str,
        item: &Node<'a>,
        op: &Node<'a>,
    ) -> Result<Operation, Error> {
        let id = op.req_str("operationId", "operation")?.to_string();
        if id.to_snake_case().to_upper_camel_case() != camel_ident(&id)
            || id.contains(['-', '_', ' '])
        {
            return Err(op.error(format!("operationId `{id}` must be lowerCamelCase")));
        }
        let module = self.module_of(item)?;
        let rust_method = match op.str("x-rust-method")? {
            Some(m) => {
                if snake_ident(m) != m {
                    return Err(op.error(format!("x-rust-method `{m}` must be snake_case")));
                }
                m.to_string()
            }
            None => snake_ident(&id),
        };
        let op_pascal = camel_ident(&id);
        let builder = self.claim_name(&format!("{op_pascal}Builder"), &op.location(), true, op)?;

        let raw_params = merged_parameters(item, op)?;
        let params = self.lower_params(path, op, &op_pascal, &raw_params)?;
        let body = self.lower_body(op, &op_pascal)?;
        let Responses {
            response,
            accept,
            responses,
        } = self.lower_responses(op, &op_pascal)?;
        let paging = self.lower_paging(op, &response, &params)?;
        let batch = self.lower_batch(op, &response)?;
        let mut multi_id = self.lower_multi_id(op, &response, &params)?;
        if let Some(multi) = &mut multi_id {
            multi.method = format!("{rust_method}_many");
        }
        let template = path_template(path, &params).map_err(|msg| op.error(msg))?;
        let method = Method::parse(method)
            .ok_or_else(|| op.error(format!("unsupported method `{method}`")))?;
        Ok(Operation {
            id: id.clone(),
            method,
            path: path.to_string(),
            template,
            module,
            rust_method,
            builder,
            summary: op.str("summary")?.map(|s| s.trim().to_string()),
            description: op.str("description")?.map(|s| s.trim().to_string()),
            params,
            body,
            response,
            accept,
            responses,
            paging,
            batch,
            multi_id,
            idempotent: op
                .bool("x-fs-idempotent")?
                .unwrap_or(method != Method::Post),
            auth_optional: auth_optional(op)?,
            location: op.location(),
        })
    }

    /// The parameters of `op` (merged by [`merged_parameters`]), checked against the path
    /// template `path`, with their types and unique Rust names.
    fn lower_params(
        &mut self,
        path: &str,
        op: &Node<'a>,
        op_pascal: &str,
        raw_params: &[Node<'a>],
    ) -> Result<Vec<Param>, Error> {
        if !is_well_formed_template(path) {
            return Err(op.error(format!(
                "path `{path}` has an unclosed, unopened or nested `{{`/`}}`"
            )));
        }
        let template_params: Vec<&str> = path
            .split('{')
            .skip(1)
            .filter_map(|s| s.split('}').next())
            .collect();
        let mut params = Vec::new();
        let mut taken = BTreeSet::new();
        for p in raw_params {
            let param = self.lower_param(p, path, &template_params, op_pascal, &mut taken)?;
            params.push(param);
        }
        for t in &template_params {
            if !params
                .iter()
                .any(|p| p.location == ParamIn::Path && p.name == *t)
            {
                return Err(op.error(format!("path parameter `{t}` of `{path}` is not declared")));
            }
        }
        Ok(params)
    }

    /// One parameter: its location (checked against the path template), type and Rust
    /// name (made unique in `taken`).
    fn lower_param(
        &mut self,
        p: &Node<'a>,
        path: &str,
        template_params: &[&str],
        op_pascal: &str,
        taken: &mut BTreeSet<String>,
    ) -> Result<Param, Error> {
        let name = p.str("name")?.unwrap_or_default().to_string();
        let location = match p.str("in")?.unwrap_or_default() {
            "path" => ParamIn::Path,
            "query" => ParamIn::Query,
            "header" => ParamIn::Header,
            other => return Err(p.error(format!("unsupported parameter location `{other}`"))),
        };
        if location == ParamIn::Path && !template_params.contains(&name.as_str()) {
            return Err(p.error(format!(
                "path parameter `{name}` does not appear in `{path}`"
            )));
        }
        let required = location == ParamIn::Path || p.bool("required")?.unwrap_or(false);
        if location == ParamIn::Path && p.bool("required")? != Some(true) {
            return Err(p.error("path parameters must say `required: true`"));
        }
        let schema = p
            .get("schema")
            .ok_or_else(|| p.error("parameter without `schema`"))?;
        let ty = self.lower(&schema, &format!("{op_pascal}{}", camel_ident(&name)), None)?;
        let scalar = |t: &Ty| {
            matches!(
                t,
                Ty::String
                    | Ty::I64
                    | Ty::F64
                    | Ty::Bool
                    | Ty::Decimal
                    | Ty::EpochMillis
                    | Ty::EpochSeconds
            )
        };
        let ok = match &ty {
            Ty::Vec(inner) => location == ParamIn::Query && (scalar(inner) || self.is_enum(inner)),
            t => scalar(t) || self.is_enum(t),
        };
        if !ok {
            return Err(schema
                .error("parameters must be scalars, string enums or (query only) arrays of them"));
        }
        if location == ParamIn::Path && ty != Ty::String && ty != Ty::I64 {
            return Err(schema.error("path parameters are strings or integers"));
        }
        let comma_separated = p.bool("x-fs-comma-separated")?.unwrap_or(false);
        if comma_separated && (location != ParamIn::Path || ty != Ty::String) {
            return Err(p.error("x-fs-comma-separated applies to string path parameters only"));
        }
        let rust = unique(snake_ident(&name), taken);
        let field =
            if BUILDER_METHODS.contains(&rust.as_str()) || rust == "client" || rust == "body" {
                format!("{rust}_param")
            } else {
                rust.clone()
            };
        Ok(Param {
            name,
            rust,
            field,
            location,
            ty,
            required,
            explode: p.bool("explode")?.unwrap_or(true),
            comma_separated,
            doc: p.str("description")?.map(|d| d.trim().to_string()),
        })
    }

    /// The JSON request body of `op`, if any.
    fn lower_body(&mut self, op: &Node<'a>, op_pascal: &str) -> Result<Option<Body>, Error> {
        Ok(match op.get("requestBody") {
            None => None,
            Some(rb) => {
                let rb = rb.resolve()?;
                let content = rb.req("content")?;
                let media = content
                    .get("application/json")
                    .ok_or_else(|| content.error("request bodies must be `application/json`"))?;
                let schema = media.req("schema")?;
                let ty = self.lower(&schema, &format!("{op_pascal}Request"), None)?;
                Some(Body {
                    ty,
                    required: rb.bool("required")?.unwrap_or(false),
                })
            }
        })
    }

    /// The responses of `op`: the 2xx body, the `Accept` list and every JSON body by status.
    fn lower_responses(&mut self, op: &Node<'a>, op_pascal: &str) -> Result<Responses, Error> {
        let responses_node = op.req("responses")?;
        let mut response = None;
        let mut accept: Vec<String> = Vec::new();
        let mut responses = Vec::new();
        for (code, resp) in responses_node.entries()? {
            let status: u16 = if code == "default" {
                0
            } else {
                code.parse()
                    .map_err(|_| resp.error(format!("unsupported response code `{code}`")))?
            };
            let resp = resp.resolve()?;
            let content = resp.get("content");
            let kind = match &content {
                None => ResponseKind::Empty,
                Some(content) => self.response_kind(content, status, code, op_pascal)?,
            };
            if let ResponseKind::Json(ty) = &kind {
                responses.push((status, ty.clone()));
            }
            if (200..300).contains(&status)
                && let Some(content) = &content
            {
                for (media, _) in content.entries()? {
                    if !accept.iter().any(|m| m == media) {
                        accept.push(media.to_string());
                    }
                }
            }
            if (200..300).contains(&status) {
                match &response {
                    None => {
                        response = Some(kind);
                    }
                    Some(first)
                        if *first != kind
                            && kind != ResponseKind::Empty
                            && *first != ResponseKind::Empty =>
                    {
                        return Err(resp.error(
                            "several 2xx responses with different bodies are not supported",
                        ));
                    }
                    Some(ResponseKind::Empty) if kind != ResponseKind::Empty => {
                        response = Some(kind);
                    }
                    _ => {}
                }
            }
        }
        let response = response.ok_or_else(|| responses_node.error("no 2xx response"))?;

        Ok(Responses {
            response,
            accept: if accept.is_empty() {
                "application/json".to_string()
            } else {
                accept.join(", ")
            },
            responses,
        })
    }

    /// What one response's `content` is: JSON (its type lowered, named after the
    /// operation and `code`), text, bytes, or nothing.
    fn response_kind(
        &mut self,
        content: &Node<'a>,
        status: u16,
        code: &str,
        op_pascal: &str,
    ) -> Result<ResponseKind, Error> {
        let entries = content.entries()?;
        let json = entries
            .iter()
            .find(|(k, _)| k.starts_with("application/json") || k.ends_with("+json"));
        if let Some((_, media)) = json {
            let hint = if (200..300).contains(&status) {
                format!("{op_pascal}Response")
            } else {
                format!("{op_pascal}Error{code}")
            };
            return Ok(match media.get("schema") {
                Some(schema) => ResponseKind::Json(self.lower(&schema, &hint, None)?),
                None => ResponseKind::Json(Ty::Json),
            });
        }
        Ok(if entries.iter().any(|(k, _)| k.starts_with("text/")) {
            ResponseKind::Text
        } else if entries.is_empty() {
            ResponseKind::Empty
        } else {
            ResponseKind::Bytes
        })
    }

    /// `x-fs-paging`: the style, and the item type of the response array it names.
    fn lower_paging(
        &self,
        op: &Node<'a>,
        response: &ResponseKind,
        params: &[Param],
    ) -> Result<Option<Paging>, Error> {
        Ok(match op.get("x-fs-paging") {
            None => None,
            Some(p) => {
                let style = p.req_str("style", "x-fs-paging")?;
                let kind = match style {
                    "page" => PagingStyle::Page,
                    "events" => PagingStyle::Events,
                    "report" => PagingStyle::Report,
                    "none" => PagingStyle::None,
                    _ => {
                        return Err(p.error(format!(
                            "unknown paging style `{style}` (page, events, report, none)"
                        )));
                    }
                };
                let items = p.str("items")?.map(str::to_string);
                if kind.streams() && items.is_none() {
                    return Err(p.error(format!("paging style `{style}` needs `items`")));
                }
                let item = match &items {
                    Some(name) if kind.streams() => Some(
                        self.array_field_item(response, name)
                            .map_err(|msg| p.error(format!("x-fs-paging: {msg}")))?,
                    ),
                    _ => None,
                };
                if kind == PagingStyle::Page {
                    for needed in ["page", "limit"] {
                        if !params
                            .iter()
                            .any(|q| q.location == ParamIn::Query && q.name == needed)
                        {
                            return Err(p.error(format!(
                                "paging style `page` needs a query parameter `{needed}`"
                            )));
                        }
                    }
                }
                Some(Paging {
                    style: kind,
                    items,
                    item,
                })
            }
        })
    }

    /// `x-fs-batch`: the outcome array of the response and the field naming each subject.
    fn lower_batch(&self, op: &Node<'a>, response: &ResponseKind) -> Result<Option<Batch>, Error> {
        Ok(match op.get("x-fs-batch") {
            None => None,
            Some(b) => {
                let items = b.req_str("items", "x-fs-batch")?.to_string();
                let item = self
                    .array_field_item(response, &items)
                    .map_err(|msg| b.error(format!("x-fs-batch: {msg}")))?;
                Some(Batch {
                    id: b.req_str("id", "x-fs-batch")?.to_string(),
                    items,
                    item,
                })
            }
        })
    }

    /// `x-fs-multi-id`: the path parameter that takes several IDs and the item type.
    fn lower_multi_id(
        &self,
        op: &Node<'a>,
        response: &ResponseKind,
        params: &[Param],
    ) -> Result<Option<MultiId>, Error> {
        Ok(match op.get("x-fs-multi-id") {
            None => None,
            Some(m) => {
                let param = m.req_str("param", "x-fs-multi-id")?.to_string();
                let items = m.req_str("items", "x-fs-multi-id")?.to_string();
                if !params
                    .iter()
                    .any(|p| p.location == ParamIn::Path && p.name == param)
                {
                    return Err(m.error(format!(
                        "x-fs-multi-id names `{param}`, which is not a path parameter"
                    )));
                }
                let item = self
                    .multi_id_item(response, &items)
                    .map_err(|msg| m.error(msg))?;
                Some(MultiId {
                    param,
                    method: String::new(), // named with the operation, in `lower_operation`
                    items,
                    item,
                })
            }
        })
    }

    fn is_enum(&self, ty: &Ty) -> bool {
        matches!(ty, Ty::Named(id) if matches!(self.types[*id].kind, TypeKind::Enum { .. }))
    }

    /// For `x-fs-multi-id`: the 200 body is `oneOf: [Wrapper{items: [T]}, T]`; finds T.
    fn multi_id_item(&self, response: &ResponseKind, items: &str) -> Result<Ty, String> {
        let ResponseKind::Json(Ty::Named(id)) = response else {
            return Err("x-fs-multi-id needs a JSON 200 response".into());
        };
        if !matches!(self.types[*id].kind, TypeKind::Untagged { .. }) {
            return Err("x-fs-multi-id needs a 200 schema `oneOf: [Wrapper, Bare]`".into());
        }
        self.array_field_item(response, items)
    }

    /// The element type of array property `items` of the response (or of one of its union branches).
    fn array_field_item(&self, response: &ResponseKind, items: &str) -> Result<Ty, String> {
        let ResponseKind::Json(Ty::Named(id)) = response else {
            return Err("needs a JSON 2xx response".into());
        };
        let candidates: Vec<TypeId> = match &self.types[*id].kind {
            TypeKind::Untagged { variants } => variants
                .iter()
                .filter_map(|(_, t)| if let Ty::Named(w) = t { Some(*w) } else { None })
                .collect(),
            _ => vec![*id],
        };
        for w in candidates {
            if let TypeKind::Struct { fields } = &self.types[w].kind
                && let Some(f) = fields.iter().find(|f| f.json == items)
                && let Some(inner) = self.array_item(&f.ty)
            {
                return Ok(inner);
            }
        }
        Err(format!("the 2xx schema has no array property `{items}`"))
    }

    /// The element type of an array, or of the array form of a union (`oneOf: [array,
    /// object]`: a property FastSpring sends as a list or as its one element).
    fn array_item(&self, ty: &Ty) -> Option<Ty> {
        match ty {
            Ty::Vec(inner) => Some((**inner).clone()),
            Ty::Named(u) => match &self.types[*u].kind {
                TypeKind::Untagged { variants } => variants.iter().find_map(|(_, t)| match t {
                    Ty::Vec(inner) => Some((**inner).clone()),
                    _ => None,
                }),
                _ => None,
            },
            _ => None,
        }
    }

    fn assign_features(
        &mut self,
        operations: &[Operation],
        webhooks: &[Webhook],
        modules: &[Module],
        all: &BTreeSet<String>,
    ) {
        let feature_of_module: BTreeMap<&str, &str> = modules
            .iter()
            .filter_map(|m| m.feature.as_deref().map(|f| (m.name.as_str(), f)))
            .collect();
        let mut sets: Vec<BTreeSet<String>> = vec![BTreeSet::new(); self.types.len()];
        let mut always = vec![false; self.types.len()];
        let seed = |sets: &mut Vec<BTreeSet<String>>, ty: &Ty, feature: &str| {
            let mut stack = vec![ty.clone()];
            while let Some(t) = stack.pop() {
                match t {
                    Ty::Named(id) if sets[id].insert(feature.to_string()) => {
                        for next in self.refs.get(&id).into_iter().flatten() {
                            stack.push(Ty::Named(*next));
                        }
                    }
                    Ty::Vec(inner) | Ty::Map(inner) => stack.push(*inner),
                    _ => {}
                }
            }
        };
        for op in operations {
            let feature = feature_of_module[op.module.as_str()];
            for p in &op.params {
                seed(&mut sets, &p.ty, feature);
            }
            if let Some(b) = &op.body {
                seed(&mut sets, &b.ty, feature);
            }
            for (_, ty) in &op.responses {
                seed(&mut sets, ty, feature);
            }
        }
        for hook in webhooks {
            seed(&mut sets, &hook.data, WEBHOOK_TAG);
        }
        for id in 0..self.types.len() {
            match feature_of_module.get(self.types[id].module.as_str()) {
                Some(feature) => seed(&mut sets, &Ty::Named(id), feature),
                None => {
                    if sets[id].is_empty() {
                        always[id] = true;
                    }
                }
            }
        }
        // A type that is always compiled makes everything it mentions always compiled.
        let mut stack: Vec<TypeId> = (0..self.types.len()).filter(|i| always[*i]).collect();
        while let Some(id) = stack.pop() {
            for next in self.refs.get(&id).into_iter().flatten() {
                if !always[*next] {
                    always[*next] = true;
                    stack.push(*next);
                }
            }
        }
        for (id, def) in self.types.iter_mut().enumerate() {
            def.features = if always[id] || &sets[id] == all {
                None
            } else {
                Some(sets[id].clone())
            };
        }
    }

    fn mark_requests(&mut self, operations: &[Operation]) {
        let mut stack: Vec<Ty> = operations
            .iter()
            .filter_map(|o| o.body.as_ref().map(|b| b.ty.clone()))
            .collect();
        while let Some(t) = stack.pop() {
            match t {
                Ty::Named(id) if !self.types[id].in_request => {
                    self.types[id].in_request = true;
                    for next in self.refs.get(&id).into_iter().flatten() {
                        stack.push(Ty::Named(*next));
                    }
                }
                Ty::Vec(inner) | Ty::Map(inner) => stack.push(*inner),
                _ => {}
            }
        }
    }
}

fn component_name(node: &Node<'_>) -> Option<String> {
    let rest = node.pointer.strip_prefix("/components/schemas/")?;
    (!rest.contains('/')).then(|| rest.replace("~1", "/").replace("~0", "~"))
}

fn type_list(node: &Node<'_>) -> Result<(Vec<&'static str>, bool), Error> {
    const TYPES: &[&str] = &[
        "string", "integer", "number", "boolean", "array", "object", "null",
    ];
    let mut out = Vec::new();
    let mut nullable = false;
    let names: Vec<&str> = match node.value.get("type") {
        None => vec![],
        Some(serde_json::Value::String(s)) => vec![s.as_str()],
        Some(serde_json::Value::Array(items)) => items.iter().filter_map(|v| v.as_str()).collect(),
        Some(_) => return Err(node.error("`type` must be a string or a list of strings")),
    };
    for name in names {
        let known = TYPES
            .iter()
            .find(|t| **t == name)
            .ok_or_else(|| node.error(format!("unknown type `{name}`")))?;
        if *known == "null" {
            nullable = true;
        } else {
            out.push(*known);
        }
    }
    if node.value.get("nullable").is_some() {
        return Err(node.error("`nullable` is OpenAPI 3.0; write `type: [T, \"null\"]`"));
    }
    Ok((out, nullable))
}

/// Whether a referenced schema admits `null` in any of the ways the spec can say so.
fn component_admits_null(node: &Node<'_>) -> bool {
    let null_branch = |key: &str| {
        node.value
            .get(key)
            .and_then(|v| v.as_array())
            .is_some_and(|branches| {
                branches
                    .iter()
                    .any(|b| b.get("type").and_then(|t| t.as_str()) == Some("null"))
            })
    };
    let null_value = node
        .value
        .get("enum")
        .and_then(|v| v.as_array())
        .is_some_and(|values| values.iter().any(|v| v.is_null()));
    schema_admits_null(node) || null_branch("oneOf") || null_branch("anyOf") || null_value
}

fn schema_admits_null(node: &Node<'_>) -> bool {
    match node.value.get("type") {
        Some(serde_json::Value::Array(items)) => items.iter().any(|v| v == "null"),
        Some(serde_json::Value::String(s)) => s == "null",
        _ => false,
    }
}

fn collect_object<'a>(
    node: &Node<'a>,
    props: &mut Vec<(String, Node<'a>)>,
    required: &mut BTreeSet<String>,
) -> Result<(), Error> {
    if let Some(p) = node.get("properties") {
        for (name, prop) in p.entries()? {
            if let Some(existing) = props.iter_mut().find(|(n, _)| n == name) {
                existing.1 = prop;
            } else {
                props.push((name.to_string(), prop));
            }
        }
    }
    if let Some(r) = node.get("required") {
        for item in r.items()? {
            required.insert(
                item.value
                    .as_str()
                    .ok_or_else(|| item.error("`required` lists strings"))?
                    .to_string(),
            );
        }
    }
    Ok(())
}

/// Refuses schema keywords the generator does not understand (so nothing is silently lost).
fn check_keywords(node: &Node<'_>) -> Result<(), Error> {
    const KNOWN: &[&str] = &[
        "type",
        "format",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "enum",
        "const",
        "oneOf",
        "anyOf",
        "allOf",
        "description",
        "title",
        "example",
        "examples",
        "default",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "minLength",
        "maxLength",
        "pattern",
        "minItems",
        "maxItems",
        "uniqueItems",
        "readOnly",
        "writeOnly",
        "deprecated",
        "multipleOf",
        "minProperties",
        "maxProperties",
        "externalDocs",
        "$comment",
        "contentMediaType",
        "contentEncoding",
        "x-rust-field",
    ];
    for key in node.value.as_object().into_iter().flat_map(|m| m.keys()) {
        if !KNOWN.contains(&key.as_str()) && !key.starts_with("x-") {
            return Err(node.error(format!("unsupported schema keyword `{key}`")));
        }
    }
    Ok(())
}
