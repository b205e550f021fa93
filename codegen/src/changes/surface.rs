//! What a user's code can see of the generated crate, read from the IR: per module
//! its cargo feature, its operations (as the handle's methods), its types and its
//! webhook events, each described by what a change to it would mean in Rust.

use std::collections::{BTreeMap, BTreeSet};

use crate::ir::{Accessor, Constructor, Ir, ModuleKind, ResponseKind, Ty, TypeDef, TypeKind};

/// The user-visible API of one IR, per Rust module.
#[derive(Debug, Default)]
pub(super) struct Surface {
    pub modules: BTreeMap<String, ModuleSurface>,
}

#[derive(Debug, Default)]
pub(super) struct ModuleSurface {
    /// The cargo feature that enables the module (`None`: always compiled).
    pub feature: Option<String>,
    /// The handle type on the client (`Orders`), for naming operations.
    pub handle: Option<String>,
    /// Operations by handle method.
    pub operations: BTreeMap<String, OperationSurface>,
    pub types: BTreeMap<String, TypeSurface>,
    /// Webhook events by event type: (`EventData` variant, data type).
    pub events: BTreeMap<String, (String, String)>,
}

#[derive(Debug, PartialEq)]
pub(super) struct OperationSurface {
    /// `GET /orders/{id}`.
    pub http: String,
    /// The handle method's arguments in order: (name, Rust type).
    pub required: Vec<(String, String)>,
    /// The builder's setters: name → Rust type.
    pub optional: BTreeMap<String, String>,
    /// What `send` returns.
    pub response: String,
    /// Extra entry points: `get_many`, `pages`/`items`, `send_batch`.
    pub extras: BTreeSet<String>,
}

#[derive(Debug, PartialEq)]
pub(super) struct TypeSurface {
    /// Reachable from a request body (the caller builds it).
    pub request: bool,
    pub shape: Shape,
    /// The methods the generator adds (constructor, `with_*`, accessors): name →
    /// signature as the user calls it (`new(subscription: impl Into<SubscriptionId>)`).
    pub methods: BTreeMap<String, String>,
}

#[derive(Debug, PartialEq)]
pub(super) enum Shape {
    Struct(BTreeMap<String, FieldSurface>),
    Enum(BTreeSet<String>),
    Union(Vec<(String, String)>),
    Alias(String),
}

impl Shape {
    pub fn kind(&self) -> &'static str {
        match self {
            Shape::Struct(_) => "struct",
            Shape::Enum(_) => "enum",
            Shape::Union(_) => "union",
            Shape::Alias(_) => "type alias",
        }
    }
}

#[derive(Debug, PartialEq)]
pub(super) struct FieldSurface {
    /// The JSON member name.
    pub json: String,
    /// The Rust type of the field as declared (`Option<String>`).
    pub rust_ty: String,
    pub required: bool,
    pub nullable: bool,
}

impl Surface {
    pub fn of(ir: &Ir) -> Surface {
        let mut surface = Surface::default();
        for module in &ir.modules {
            let entry = surface.modules.entry(module.name.clone()).or_default();
            entry.feature = module.feature.clone();
            entry.handle = module.handle.clone();
        }
        for def in &ir.types {
            let shape = shape(ir, def);
            surface
                .modules
                .entry(def.module.clone())
                .or_default()
                .types
                .insert(
                    def.name.clone(),
                    TypeSurface {
                        request: def.in_request,
                        shape,
                        methods: methods(ir, def),
                    },
                );
        }
        for op in &ir.operations {
            let mut required = Vec::new();
            let mut optional = BTreeMap::new();
            let many = |p: &crate::ir::Param| {
                op.multi_id.as_ref().is_some_and(|m| m.param == p.name) && matches!(p.ty, Ty::Id(_))
            };
            for p in &op.params {
                let ty = if p.comma_separated && !many(p) {
                    "Ids".to_string()
                } else if p.date.is_some() {
                    "QueryDate".to_string()
                } else {
                    rust_ty(ir, &p.ty)
                };
                if p.required {
                    required.push((p.field.clone(), ty));
                } else {
                    optional.insert(p.field.clone(), ty);
                }
            }
            if let Some(body) = &op.body {
                let ty = rust_ty(ir, &body.ty);
                if body.required {
                    required.push(("body".to_string(), ty));
                } else {
                    optional.insert("body".to_string(), ty);
                }
            }
            let response = match (&op.unwrap, &op.response) {
                (Some(unwrap), _) => rust_ty(ir, &unwrap.resource),
                (None, ResponseKind::Json(ty)) => rust_ty(ir, ty),
                (None, ResponseKind::Text) => "String".to_string(),
                (None, ResponseKind::Bytes) => "Bytes".to_string(),
                (None, ResponseKind::Empty) => "()".to_string(),
            };
            let mut extras = BTreeSet::new();
            if let Some(multi) = &op.multi_id {
                extras.insert(multi.method.clone());
            }
            if op.paging.as_ref().is_some_and(|p| p.style.streams()) {
                extras.insert("pages".to_string());
                extras.insert("items".to_string());
            }
            if op.paging.as_ref().is_some_and(|p| p.resolve.is_some()) {
                extras.insert("objects".to_string());
            }
            if op.batch.is_some() {
                extras.insert("send_batch".to_string());
            }
            surface
                .modules
                .entry(op.module.clone())
                .or_default()
                .operations
                .insert(
                    op.rust_method.clone(),
                    OperationSurface {
                        http: format!("{} {}", op.method, op.path),
                        required,
                        optional,
                        response,
                        extras,
                    },
                );
        }
        if let Some(module) = ir
            .modules
            .iter()
            .find(|m| m.kind == ModuleKind::WebhookEvents)
        {
            let events = &mut surface
                .modules
                .entry(module.name.clone())
                .or_default()
                .events;
            for hook in &ir.webhooks {
                events.insert(
                    hook.event_type.clone(),
                    (hook.variant.clone(), rust_ty(ir, &hook.data)),
                );
            }
        }
        surface
    }
}

/// An argument as the generated methods take it (`impl Into<String>` for strings, IDs,
/// amounts and times, any iterator of them for lists).
fn argument(ir: &Ir, ty: &Ty) -> String {
    match ty {
        Ty::String | Ty::Secret | Ty::Id(_) | Ty::Decimal | Ty::EpochMillis | Ty::EpochSeconds => {
            format!("impl Into<{}>", rust_ty(ir, ty))
        }
        Ty::Vec(inner) => format!(
            "impl IntoIterator<Item = impl Into<{}>>",
            rust_ty(ir, inner)
        ),
        other => rust_ty(ir, other),
    }
}

/// The methods `ir::methods` decided for a type, as signatures.
fn methods(ir: &Ir, def: &TypeDef) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let TypeKind::Struct { fields } = &def.kind else {
        for accessor in &def.methods.accessors {
            if let Accessor::UnionId { kind, objects, .. } = accessor {
                let ret = if objects.iter().all(|(_, r)| *r) {
                    format!("&{}", kind.rust_name())
                } else {
                    format!("Option<&{}>", kind.rust_name())
                };
                out.insert("id".to_string(), format!("id() -> {ret}"));
            }
        }
        return out;
    };
    let required = fields
        .iter()
        .filter(|f| f.required && !f.nullable && !f.flatten);
    match &def.methods.constructor {
        Constructor::None => {}
        Constructor::New => {
            let args: Vec<String> = required
                .map(|f| format!("{}: {}", f.rust, argument(ir, &f.ty)))
                .collect();
            out.insert("new".to_string(), format!("new({})", args.join(", ")));
        }
        Constructor::Builder { name } => {
            let setters: Vec<String> = required
                .map(|f| format!(".{}({})", f.rust, argument(ir, &f.ty)))
                .collect();
            out.insert(
                "builder".to_string(),
                format!("builder() -> {name}: {}.build()", setters.join("")),
            );
        }
    }
    for (index, name) in &def.methods.setters {
        let ty = argument(ir, &fields[*index].ty);
        out.insert(name.clone(), format!("{name}({ty})"));
    }
    for accessor in &def.methods.accessors {
        match accessor {
            Accessor::Time { name, .. } => {
                out.insert(name.clone(), format!("{name}() -> Option<jiff::Timestamp>"));
            }
            Accessor::Key {
                kind,
                fields: sources,
                ..
            } => {
                // As the emitter decides: `&Id` once a required field is among them.
                let ret = if sources
                    .iter()
                    .any(|i| fields[*i].required && !fields[*i].nullable)
                {
                    format!("&{}", kind.rust_name())
                } else {
                    format!("Option<&{}>", kind.rust_name())
                };
                out.insert("id".to_string(), format!("id() -> {ret}"));
            }
            Accessor::UnionId { .. } => {}
        }
    }
    out
}

fn shape(ir: &Ir, def: &TypeDef) -> Shape {
    match &def.kind {
        TypeKind::Struct { fields } => Shape::Struct(
            fields
                .iter()
                .map(|f| {
                    let inner = rust_ty(ir, &f.ty);
                    // As the emitter declares it: required → T; required and nullable,
                    // or optional → Option<T>; optional and nullable in a request type →
                    // Option<Option<T>> (absent, null, value).
                    let rust_ty = if f.flatten || (f.required && !f.nullable) {
                        inner
                    } else if f.nullable && !f.required && def.in_request {
                        format!("Option<Option<{inner}>>")
                    } else {
                        format!("Option<{inner}>")
                    };
                    (
                        f.rust.clone(),
                        FieldSurface {
                            json: f.json.clone(),
                            rust_ty,
                            required: f.required,
                            nullable: f.nullable,
                        },
                    )
                })
                .collect(),
        ),
        TypeKind::Enum { values } => Shape::Enum(values.iter().map(|(j, _)| j.clone()).collect()),
        TypeKind::Untagged { variants } => Shape::Union(
            variants
                .iter()
                .map(|(v, ty)| (v.clone(), rust_ty(ir, ty)))
                .collect(),
        ),
        TypeKind::Alias(ty) => Shape::Alias(rust_ty(ir, ty)),
    }
}

/// The Rust spelling of a type, as the generated code names it.
pub(super) fn rust_ty(ir: &Ir, ty: &Ty) -> String {
    match ty {
        Ty::String => "String".into(),
        Ty::Secret => "Secret".into(),
        Ty::Id(kind) => kind.rust_name().into(),
        Ty::I64 => "i64".into(),
        Ty::F64 => "f64".into(),
        Ty::Bool => "bool".into(),
        Ty::Decimal => "Amount".into(),
        Ty::EpochMillis => "EpochMillis".into(),
        Ty::EpochSeconds => "EpochSeconds".into(),
        Ty::Json => "Value".into(),
        Ty::Named(id) => ir
            .types
            .get(*id)
            .map_or_else(|| format!("#{id}"), |t| t.name.clone()),
        Ty::Vec(inner) => format!("Vec<{}>", rust_ty(ir, inner)),
        Ty::Map(inner) => format!("BTreeMap<String, {}>", rust_ty(ir, inner)),
    }
}
