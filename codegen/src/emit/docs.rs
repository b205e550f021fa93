//! Docs the spec does not write: what a schema without a description is (from where it
//! is used), an operation's doc, and the small word helpers they share.

use super::ctx::Ctx;
use crate::ir::{Ir, Module, ModuleKind, Operation, Ty, TypeDef, TypeKind};

/// A sentence saying what a schema without a description is, from where it is used
/// (an operation's parameter or response) or where it sits in the spec.
pub(super) fn fallback_doc(ctx: &Ctx<'_>, def: &TypeDef) -> String {
    let id = ctx.ir.types.iter().position(|t| std::ptr::eq(t, def));
    let is_def = |ty: &Ty| {
        let mut ty = ty;
        while let Ty::Vec(inner) | Ty::Map(inner) = ty {
            ty = inner;
        }
        matches!(ty, Ty::Named(n) if Some(*n) == id)
    };
    for op in &ctx.ir.operations {
        let call = format!("`{} {}`", op.method, op.path);
        if let Some(p) = op.params.iter().find(|p| is_def(&p.ty)) {
            return format!("Values of the `{}` parameter of {call}.", p.name);
        }
        if op.body.as_ref().is_some_and(|b| is_def(&b.ty)) {
            return format!("The request body of {call}.");
        }
        if let Some((status, _)) = op.responses.iter().find(|(_, ty)| is_def(ty)) {
            return format!("The body of {call}'s {status} response.");
        }
    }
    if let Some(hook) = ctx.ir.webhooks.iter().find(|w| is_def(&w.data)) {
        return format!("The data of the `{}` webhook event.", hook.event_type);
    }
    if !def.location.contains("/properties/") {
        // A schema of its own: say where it is used.
        for parent in &ctx.ir.types {
            if let TypeKind::Struct { fields } = &parent.kind
                && let Some(field) = fields.iter().find(|f| is_def(&f.ty))
            {
                return format!("The value of `{}` in {}.", field.json, ctx.link(parent));
            }
        }
    }
    let link = |name: &str| match ctx.ir.types.iter().find(|t| t.name == name) {
        Some(t) => ctx.link(t),
        None => format!("`{name}`"),
    };
    let pointer = def.location.split_once('#').map_or("", |(_, p)| p);
    let segments: Vec<&str> = pointer.split('/').collect();
    let owner = segments
        .iter()
        .position(|s| *s == "schemas")
        .and_then(|i| segments.get(i + 1));
    let property = segments
        .iter()
        .rposition(|s| *s == "properties")
        .and_then(|i| segments.get(i + 1).map(|p| (p, &segments[i + 2..])));
    let owner = owner.filter(|o| **o != def.name);
    match (owner, property) {
        (Some(owner), Some((prop, rest))) => {
            let owner = link(owner);
            match rest.first() {
                Some(&"items") => format!("One item of `{prop}` in {owner}."),
                Some(&"additionalProperties") => {
                    format!("One value of the `{prop}` map in {owner}.")
                }
                _ => format!("The `{prop}` field of {owner}."),
            }
        }
        (Some(owner), None) => {
            let owner = link(owner);
            match segments
                .iter()
                .rposition(|s| *s == "oneOf" || *s == "anyOf")
            {
                Some(i) => format!(
                    "One form of {owner} (form {}).",
                    segments
                        .get(i + 1)
                        .and_then(|n| n.parse::<usize>().ok())
                        .map_or(1, |n| n + 1)
                ),
                None => format!("Part of {owner}."),
            }
        }
        _ => format!(
            "The `{}` schema of the spec (it has no description).",
            def.name
        ),
    }
}

pub(super) fn operation_doc(op: &Operation) -> String {
    let mut doc = String::new();
    if let Some(s) = &op.summary {
        doc.push_str(s);
    }
    if let Some(d) = &op.description {
        doc.push_str("\n\n");
        doc.push_str(d);
    }
    doc.push_str(&format!(
        "\n\n`{} {}` (operation `{}`).",
        op.method, op.path, op.id
    ));
    doc
}

pub(super) fn article(word: &str) -> &'static str {
    if word.starts_with(['A', 'E', 'I', 'O', 'U', 'a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

pub(super) fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The "start here" paragraph of a module's page (written on its `pub mod` line): how
/// to reach the group's operations, where their builders are, which types they return.
pub(super) fn start_here(ir: &Ir, module: &Module) -> Option<String> {
    let name = &module.name;
    match module.kind {
        ModuleKind::Group => {
            let handle = module.handle.as_deref()?;
            let accessor = module.handle_method.as_deref()?;
            let ops: Vec<&Operation> = ir.operations.iter().filter(|o| &o.module == name).collect();
            if ops.is_empty() {
                return None;
            }
            let methods: Vec<String> = ops
                .iter()
                .flat_map(|o| {
                    let many = o.multi_id.as_ref().map(|m| format!("`{}`", m.method));
                    std::iter::once(format!("`{}`", o.rust_method)).chain(many)
                })
                .collect();
            let mut text = format!(
                "**Start here:** `client.{accessor}()` gives [`{handle}`]({name}::{handle}), one method per operation ({}). Each returns a request builder from [`builders`]({name}::builders): required inputs are the method's arguments, optional ones the builder's setters, and `.await` sends it (each method's docs say what it returns); a `*_many` method takes several IDs and is awaited directly.",
                methods.join(", ")
            );
            let resources: Vec<String> = ops
                .iter()
                .filter_map(|o| {
                    let Ty::Named(id) = &o.unwrap.as_ref()?.resource else {
                        return None;
                    };
                    let def = &ir.types[*id];
                    (def.module == *name).then(|| {
                        format!(
                            "`{}` returns [`{}`]({name}::{})",
                            o.rust_method, def.name, def.name
                        )
                    })
                })
                .collect();
            if !resources.is_empty() {
                text.push_str(&format!(" The resource: {}.", resources.join(", ")));
            }
            text.push_str(" The rest of this page are the request and response types.");
            Some(text)
        }
        ModuleKind::WebhookEvents => Some(format!(
            "**Start here:** `webhooks::parse` verifies a delivery and decodes each event's `data` into [`EventData`]({name}::EventData), one variant per event type; the types below are those payloads."
        )),
        ModuleKind::Shared => None,
    }
}
