//! Schemas to types (`impl Lowerer`): components, inline schemas, unions, enums, objects
//! and their fields; and the checks that refuse what the generator does not understand.

use std::collections::BTreeSet;

use super::lower::Lowerer;
use super::lower::doc_of;
use super::names::{camel_ident, is_type_ident, snake_ident, unique};
use super::{Field, IdKind, Ty, TypeId, TypeKind};
use crate::Error;
use crate::spec::{Node, Spec};

fn is_null_schema(node: &Node<'_>) -> bool {
    node.value.get("type").and_then(|t| t.as_str()) == Some("null")
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

impl<'a> Lowerer {
    /// Named component schemas of every file, in file order. Their names are reserved
    /// first, so that an inline schema never takes a component's name.
    pub(super) fn lower_components(&mut self, spec: &Spec) -> Result<(), Error> {
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

    /// Lowers a schema to a type, creating named types for objects, enums and unions.
    /// `hint` names an inline type; `exact` is the component name when the schema is one.
    pub(super) fn lower(
        &mut self,
        node: &Node<'a>,
        hint: &str,
        exact: Option<&str>,
    ) -> Result<Ty, Error> {
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
            self.read_key(id, node, &fields)?;
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
            ["string"] => match node.str("x-fs-id")? {
                None => Ty::String,
                Some(kind) => Ty::Id(IdKind::parse(kind).ok_or_else(|| {
                    node.error(format!(
                        "unknown x-fs-id `{kind}` ({})",
                        IdKind::ALL.map(IdKind::as_str).join(", ")
                    ))
                })?),
            },
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
            Ty::Id(_) => "Id".into(),
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
        self.read_key(id, node, &fields)?;
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
}
