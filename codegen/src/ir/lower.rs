//! The `lower` pipeline and the [`Lowerer`] state it threads through the construct
//! files (`schema`, `operation`, `quirks`, `features`, each an `impl Lowerer` block):
//! the walk over the spec (tags, paths, webhooks, which file belongs to which group)
//! and the claiming of type names.

use std::collections::{BTreeMap, BTreeSet};

use super::names::{camel_ident, is_type_ident, snake_ident};
use super::{Ir, Methods, Module, ModuleKind, Ty, TypeDef, TypeId, TypeKind};
use crate::Error;
use crate::contract::{CRATE_IMPORTS, RESERVED_TYPE_NAMES};
use crate::spec::{Node, Spec};

pub(super) const WEBHOOK_TAG: &str = "webhook-events";

pub(super) struct Lowerer {
    pub(super) types: Vec<TypeDef>,
    pub(super) by_location: BTreeMap<String, TypeId>,
    pub(super) names: BTreeMap<String, String>,
    pub(super) file_modules: BTreeMap<String, String>,
    /// Edges for feature propagation: type → types it mentions.
    pub(super) refs: BTreeMap<TypeId, BTreeSet<TypeId>>,
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
    for reserved in RESERVED_TYPE_NAMES.iter().chain(CRATE_IMPORTS) {
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
    lw.plan_methods()?;

    Ok(Ir {
        modules,
        types: lw.types,
        operations,
        webhooks,
    })
}

/// A path or webhook key with its resolved path item.
pub(super) type Items<'a> = Vec<(String, Node<'a>)>;

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

pub(super) fn operations_of<'a>(item: &Node<'a>) -> Result<Vec<(&'static str, Node<'a>)>, Error> {
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

pub(super) fn doc_of(node: &Node<'_>) -> Result<Option<String>, Error> {
    let summary = node.str("summary")?;
    let description = node.str("description")?;
    Ok(match (summary, description) {
        (Some(s), Some(d)) => Some(format!("{}\n\n{}", s.trim(), d.trim())),
        (Some(s), None) => Some(s.trim().to_string()),
        (None, Some(d)) => Some(d.trim().to_string()),
        (None, None) => None,
    })
}

impl Lowerer {
    pub(super) fn module_of(&self, node: &Node<'_>) -> Result<String, Error> {
        self.file_modules
            .get(node.file)
            .cloned()
            .ok_or_else(|| node.error(format!("file `{}` has no module", node.file)))
    }

    pub(super) fn claim_name(
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

    pub(super) fn new_type(
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
            methods: Methods::default(),
        });
        self.by_location.insert(location, id);
        Ok(id)
    }

    /// Creates a named type whose contents are lowered next (so that recursive references
    /// find it); the name is the component's (`exact`) or derived from `hint`.
    pub(super) fn start_type(
        &mut self,
        node: &Node<'_>,
        hint: &str,
        exact: Option<&str>,
        kind: TypeKind,
    ) -> Result<(TypeId, String), Error> {
        let id = self.new_type(exact.unwrap_or(hint), node, exact.is_some(), kind, None)?;
        Ok((id, self.types[id].name.clone()))
    }

    pub(super) fn add_refs(&mut self, from: TypeId, ty: &Ty) {
        match ty {
            Ty::Named(to) => {
                self.refs.entry(from).or_default().insert(*to);
            }
            Ty::Vec(inner) | Ty::Map(inner) => self.add_refs(from, inner),
            _ => {}
        }
    }
}
