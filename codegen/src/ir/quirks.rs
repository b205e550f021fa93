//! FastSpring's extensions that shape an operation or an event (`impl Lowerer`):
//! `x-fs-paging` (and its `resolve`), `x-fs-batch`, `x-fs-multi-id`, `x-fs-unwrap`,
//! and the webhook events with `x-fs-event-type`/`x-fs-event-aliases`. Where is
//! `x-fs-X` read? Here.

use std::collections::{BTreeMap, BTreeSet};

use super::lower::{Items, Lowerer, doc_of};
use super::names::{camel_ident, unique};
use super::{
    Batch, MultiId, Operation, Paging, PagingStyle, Param, ParamIn, Resolve, ResponseKind, Ty,
    TypeId, TypeKind, Unwrap, Webhook,
};
use crate::Error;
use crate::spec::Node;

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

impl<'a> Lowerer {
    /// One webhook event per key of `webhooks`, with its aliases and its `data` type.
    pub(super) fn lower_webhooks(
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

    /// `x-fs-paging`: the style, and the item type of the response array it names.
    pub(super) fn lower_paging(
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
                // `resolve` names the lookup; `link_resolves` checks and completes it once
                // every operation is lowered.
                let resolve = match p.str("resolve")? {
                    Some(_) if kind != PagingStyle::Page => {
                        return Err(p.error("x-fs-paging `resolve` needs style `page`"));
                    }
                    Some(operation) => Some(Resolve {
                        operation: operation.to_string(),
                        method: String::new(),
                        builder: String::new(),
                        many: None,
                        items: String::new(),
                        object: Ty::Json,
                    }),
                    None => None,
                };
                Some(Paging {
                    style: kind,
                    items,
                    item,
                    resolve,
                })
            }
        })
    }

    /// `x-fs-batch`: the outcome array of the response and the field naming each subject.
    pub(super) fn lower_batch(
        &self,
        op: &Node<'a>,
        response: &ResponseKind,
    ) -> Result<Option<Batch>, Error> {
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
    pub(super) fn lower_multi_id(
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

    /// For `x-fs-multi-id`: the 200 body is `oneOf: [Wrapper{items: [T]}, T]`, or the
    /// wrapper alone; finds T.
    fn multi_id_item(&self, response: &ResponseKind, items: &str) -> Result<Ty, String> {
        let ResponseKind::Json(Ty::Named(id)) = response else {
            return Err("x-fs-multi-id needs a JSON 200 response".into());
        };
        if !matches!(
            self.types[*id].kind,
            TypeKind::Untagged { .. } | TypeKind::Struct { .. }
        ) {
            return Err(
                "x-fs-multi-id needs a 200 schema `oneOf: [Wrapper, Bare]` or the wrapper".into(),
            );
        }
        self.array_field_item(response, items)
    }

    /// `x-fs-unwrap: {items, resource}`: the handle method returns the one resource of a
    /// one-ID lookup. The 200 body is the wrapper (an object with array `items`) or
    /// `oneOf` the wrapper and the bare resource; `resource` names a schema of the
    /// operation's file. The method takes one ID: its comma-separated path parameter
    /// (several IDs go through `*_many`) becomes a plain one.
    pub(super) fn lower_unwrap(
        &self,
        op: &Node<'a>,
        response: &ResponseKind,
        params: &mut [Param],
    ) -> Result<Option<Unwrap>, Error> {
        let Some(u) = op.get("x-fs-unwrap") else {
            return Ok(None);
        };
        let items = u.req_str("items", "x-fs-unwrap")?.to_string();
        let name = u.req_str("resource", "x-fs-unwrap")?;
        let location = format!("{}#/components/schemas/{name}", op.file);
        let Some(&resource) = self.by_location.get(&location) else {
            return Err(u.error(format!(
                "x-fs-unwrap: `resource` `{name}` is not a schema of `{}`",
                op.file
            )));
        };
        let TypeKind::Struct { fields } = &self.types[resource].kind else {
            return Err(u.error(format!("x-fs-unwrap: `{name}` is not an object schema")));
        };
        if fields.iter().any(|f| f.json == items) {
            return Err(u.error(format!(
                "x-fs-unwrap: `{name}` has a property `{items}`, so a bare answer could not be told from the wrapper"
            )));
        }
        self.array_field_item(response, &items)
            .map_err(|msg| u.error(format!("x-fs-unwrap: {msg}")))?;
        let ResponseKind::Json(Ty::Named(body)) = response else {
            return Err(u.error("x-fs-unwrap needs a JSON 200 response"));
        };
        if let TypeKind::Untagged { variants } = &self.types[*body].kind {
            for (variant, ty) in variants {
                let is_wrapper = self
                    .array_field_item(&ResponseKind::Json(ty.clone()), &items)
                    .is_ok();
                if !is_wrapper && *ty != Ty::Named(resource) {
                    return Err(u.error(format!(
                        "x-fs-unwrap: the 200 form `{variant}` is neither the wrapper nor `{name}`"
                    )));
                }
            }
        }
        for p in params.iter_mut().filter(|p| p.location == ParamIn::Path) {
            p.comma_separated = false;
        }
        Ok(Some(Unwrap {
            items,
            resource: Ty::Named(resource),
        }))
    }

    /// Completes every `x-fs-paging.resolve` once all operations are lowered: the lookup
    /// is an operation of the same group with `x-fs-unwrap` and one required input, and
    /// the listing's items are its resource or an ID string.
    pub(super) fn link_resolves(
        &self,
        operations: &mut [Operation],
        pending: &[(usize, Node<'a>)],
    ) -> Result<(), Error> {
        for (index, node) in pending {
            let node = node.req("x-fs-paging")?.req("resolve")?;
            let listing = &operations[*index];
            let Some(paging) = &listing.paging else {
                continue;
            };
            let (Some(wanted), Some(item)) = (&paging.resolve, &paging.item) else {
                continue;
            };
            let Some(lookup) = operations
                .iter()
                .find(|o| o.id == wanted.operation && o.module == listing.module)
            else {
                return Err(node.error(format!(
                    "x-fs-paging resolve: no operation `{}` in group `{}`",
                    wanted.operation, listing.module
                )));
            };
            let Some(unwrap) = &lookup.unwrap else {
                return Err(node.error(format!(
                    "x-fs-paging resolve: `{}` has no x-fs-unwrap",
                    lookup.id
                )));
            };
            if lookup.params.iter().filter(|p| p.required).count() != 1 || lookup.body.is_some() {
                return Err(node.error(format!(
                    "x-fs-paging resolve: `{}` must take the ID as its only required input",
                    lookup.id
                )));
            }
            let fits = match item {
                Ty::Named(id) => match &self.types[*id].kind {
                    TypeKind::Untagged { variants } => {
                        variants.len() == 2
                            && variants
                                .iter()
                                .any(|(_, t)| matches!(t, Ty::String | Ty::Id(_)))
                            && variants.iter().any(|(_, t)| *t == unwrap.resource)
                    }
                    _ => false,
                },
                _ => false,
            };
            if !fits {
                return Err(node.error(format!(
                    "x-fs-paging resolve: the items of `{}` must be `oneOf` an ID string and the resource of `{}`",
                    paging.items.as_deref().unwrap_or_default(),
                    lookup.id
                )));
            }
            let resolve = Resolve {
                operation: lookup.id.clone(),
                method: lookup.rust_method.clone(),
                builder: lookup.builder.clone(),
                many: lookup.multi_id.as_ref().map(|m| m.method.clone()),
                items: unwrap.items.clone(),
                object: unwrap.resource.clone(),
            };
            if let Some(paging) = &mut operations[*index].paging {
                paging.resolve = Some(resolve);
            }
        }
        Ok(())
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
}
