//! The generated types and the spec cannot drift apart: for every named generated
//! type (`registry::SCHEMAS`), the JSON Schema that `schemars` derives from the Rust
//! type is compared with the spec's schema at the type's location.
//!
//! Run with `cargo test -p fastspring-api --features schemars --test schema_drift`.
//!
//! The spec side is read here with plain JSON Schema semantics (not through the
//! generator's IR), so a generator bug shows up as a mismatch:
//!
//! - `$ref`s are followed; `allOf` members (and the schema's own `properties` and
//!   `required` beside `allOf`) are merged into one object, recursively;
//! - a schema is *nullable* when it says so explicitly: `type: [T, "null"]`, a
//!   `{type: "null"}` branch of `oneOf`/`anyOf`, or `null` among its `enum` values
//!   (also through a `$ref`). `{}` (any JSON) is not counted: it is `serde_json::Value`,
//!   which holds `null` itself;
//! - `oneOf`/`anyOf` with a single non-null branch is that branch.
//!
//! What must agree, per kind of schema:
//!
//! - **object** (`properties` or `allOf`): the same property names (JSON names); the
//!   same required set, where a property is required in Rust exactly when the spec lists
//!   it in `required` **and** it is not nullable (otherwise the field is an `Option`, which
//!   `schemars` never marks required); extra members are kept
//!   (`additionalProperties` beside `properties`) on both sides or on neither;
//! - **string enum**: the same set of (non-null) values;
//! - **union** (`oneOf`/`anyOf` of several non-null schemas): the same number of
//!   branches as the untagged enum's `anyOf`;
//! - **anything else** (aliases of arrays, maps, scalars): the same kind, and for
//!   scalars the same JSON `type`s.
//!
//! Also: the table lists exactly the types the generator makes (for the enabled
//! features), at the locations the generator recorded.

#![cfg(feature = "schemars")]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use codegen::spec::{Node, Spec};
use fastspring_api::registry::{SCHEMAS, SchemaFn};
use serde_json::Value;

/// The shape of a schema, as far as this test compares it.
#[derive(Debug, Clone, PartialEq)]
enum Shape {
    Object {
        /// JSON name → nullable.
        properties: BTreeMap<String, bool>,
        required: BTreeSet<String>,
        additional: bool,
    },
    Enum(BTreeSet<String>),
    Union(usize),
    Array,
    Map,
    Any,
    /// JSON `type`s of a scalar, without `null`.
    Scalar(BTreeSet<String>),
}

impl Shape {
    fn kind(&self) -> String {
        match self {
            Shape::Object { .. } => "object with properties".into(),
            Shape::Enum(_) => "string enum".into(),
            Shape::Union(_) => "union".into(),
            Shape::Array => "array".into(),
            Shape::Map => "map (object without properties)".into(),
            Shape::Any => "any JSON".into(),
            Shape::Scalar(types) => format!("scalar {types:?}"),
        }
    }
}

fn type_names(value: &Value) -> BTreeSet<String> {
    match value.get("type") {
        Some(Value::String(s)) => BTreeSet::from([s.clone()]),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => BTreeSet::new(),
    }
}

fn non_null_types(value: &Value) -> BTreeSet<String> {
    let mut types = type_names(value);
    types.remove("null");
    types
}

// ---------------------------------------------------------------- spec side

fn is_null_schema(node: &Node<'_>) -> Result<bool, String> {
    let node = resolve(node)?;
    Ok(node.value.get("type").and_then(Value::as_str) == Some("null"))
}

fn resolve<'a>(node: &Node<'a>) -> Result<Node<'a>, String> {
    node.resolve().map_err(|e| e.to_string())
}

/// Whether the schema explicitly admits `null` (see the module docs).
fn spec_nullable(node: &Node<'_>) -> Result<bool, String> {
    let node = resolve(node)?;
    if type_names(node.value).contains("null") {
        return Ok(true);
    }
    if let Some(Value::Array(values)) = node.value.get("enum")
        && values.iter().any(Value::is_null)
    {
        return Ok(true);
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(list) = node.get(key) {
            for branch in list.items().map_err(|e| e.to_string())? {
                if is_null_schema(&branch)? || spec_nullable(&branch)? {
                    return Ok(true);
                }
            }
        }
    }
    Ok(false)
}

/// Merges `properties`/`required` of `node` and of its `allOf` members, recursively.
fn collect_object(
    node: &Node<'_>,
    properties: &mut BTreeMap<String, bool>,
    required: &mut BTreeSet<String>,
    additional: &mut bool,
    depth: usize,
) -> Result<(), String> {
    if depth > 64 {
        return Err(format!("{}: allOf nesting too deep", node.location()));
    }
    let node = resolve(node)?;
    if node.get("oneOf").is_some() || node.get("anyOf").is_some() {
        return Err(format!(
            "{}: an allOf member with oneOf/anyOf cannot be compared",
            node.location()
        ));
    }
    if let Some(props) = node.get("properties") {
        for (name, prop) in props.entries().map_err(|e| e.to_string())? {
            properties.insert(name.to_string(), spec_nullable(&prop)?);
        }
    }
    if let Some(Value::Array(names)) = node.value.get("required") {
        required.extend(names.iter().filter_map(Value::as_str).map(str::to_string));
    }
    match node.value.get("additionalProperties") {
        Some(Value::Bool(true)) | Some(Value::Object(_)) => *additional = true,
        _ => {}
    }
    if let Some(members) = node.get("allOf") {
        for member in members.items().map_err(|e| e.to_string())? {
            collect_object(&member, properties, required, additional, depth + 1)?;
        }
    }
    Ok(())
}

fn spec_shape(node: &Node<'_>) -> Result<Shape, String> {
    let node = resolve(node)?;
    let value = node.value;
    if value == &Value::Bool(true) || value.as_object().is_some_and(|m| m.is_empty()) {
        return Ok(Shape::Any);
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(list) = node.get(key) {
            let mut others = Vec::new();
            for branch in list.items().map_err(|e| e.to_string())? {
                if !is_null_schema(&branch)? {
                    others.push(branch);
                }
            }
            return match others.as_slice() {
                [] => Err(format!(
                    "{}: a union without non-null branches",
                    node.location()
                )),
                [only] => spec_shape(only),
                many => Ok(Shape::Union(many.len())),
            };
        }
    }
    let has_properties = value
        .get("properties")
        .and_then(Value::as_object)
        .is_some_and(|m| !m.is_empty());
    if node.get("allOf").is_some() || has_properties {
        let mut properties = BTreeMap::new();
        let mut required = BTreeSet::new();
        let mut additional = false;
        collect_object(&node, &mut properties, &mut required, &mut additional, 0)?;
        return Ok(Shape::Object {
            properties,
            required,
            additional,
        });
    }
    let types = non_null_types(value);
    if let Some(Value::Array(values)) = value.get("enum")
        && (types.is_empty() || types == BTreeSet::from(["string".to_string()]))
        && values.iter().all(|v| v.is_string() || v.is_null())
    {
        return Ok(Shape::Enum(
            values
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
        ));
    }
    let decimal = value.get("format").and_then(Value::as_str) == Some("decimal");
    let set = |names: &[&str]| names.iter().map(|s| s.to_string()).collect();
    Ok(
        match types.iter().map(String::as_str).collect::<Vec<_>>()[..] {
            ["array"] => Shape::Array,
            ["object"] => Shape::Map,
            [] => Shape::Any,
            // `format: decimal` money is `Amount`: a JSON number or a numeric string.
            ["number"] if decimal => Shape::Scalar(set(&["number", "string"])),
            _ => Shape::Scalar(types),
        },
    )
}

// ---------------------------------------------------------------- Rust side

fn rust_shape(schema: &Value) -> Shape {
    if schema == &Value::Bool(true) || schema.as_object().is_some_and(|m| m.is_empty()) {
        return Shape::Any;
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(Value::Array(branches)) = schema.get(key) {
            let non_null = branches
                .iter()
                .filter(|b| b.get("type").and_then(Value::as_str) != Some("null"))
                .count();
            return Shape::Union(non_null);
        }
    }
    if let Some(Value::Array(values)) = schema.get("enum") {
        return Shape::Enum(
            values
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
        );
    }
    let types = non_null_types(schema);
    if let Some(Value::Object(props)) = schema.get("properties") {
        let required = match schema.get("required") {
            Some(Value::Array(names)) => names
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            _ => BTreeSet::new(),
        };
        let additional = matches!(
            schema.get("additionalProperties"),
            Some(Value::Bool(true)) | Some(Value::Object(_))
        );
        return Shape::Object {
            // Nullability of Rust fields is not compared directly: it follows from the
            // required set (see the module docs).
            properties: props.keys().map(|k| (k.clone(), false)).collect(),
            required,
            additional,
        };
    }
    match types.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["array"] => Shape::Array,
        ["object"] => Shape::Map,
        [] => Shape::Any,
        _ => Shape::Scalar(types),
    }
}

// ---------------------------------------------------------------- comparison

fn compare(spec: &Shape, rust: &Shape) -> Vec<String> {
    let mut out = Vec::new();
    match (spec, rust) {
        (
            Shape::Object {
                properties: spec_props,
                required: spec_required,
                additional: spec_additional,
            },
            Shape::Object {
                properties: rust_props,
                required: rust_required,
                additional: rust_additional,
            },
        ) => {
            let spec_names: BTreeSet<&String> = spec_props.keys().collect();
            let rust_names: BTreeSet<&String> = rust_props.keys().collect();
            let missing: Vec<_> = spec_names.difference(&rust_names).collect();
            let extra: Vec<_> = rust_names.difference(&spec_names).collect();
            if !missing.is_empty() {
                out.push(format!(
                    "properties in the spec but not in Rust: {missing:?}"
                ));
            }
            if !extra.is_empty() {
                out.push(format!("properties in Rust but not in the spec: {extra:?}"));
            }
            let undeclared: Vec<_> = spec_required
                .iter()
                .filter(|r| !spec_props.contains_key(*r))
                .collect();
            if !undeclared.is_empty() {
                out.push(format!(
                    "spec `required` names undeclared properties: {undeclared:?}"
                ));
            }
            // Required in Rust ⇔ required in the spec and not nullable.
            let expected: BTreeSet<&String> = spec_required
                .iter()
                .filter(|r| spec_props.get(*r) == Some(&false))
                .collect();
            let actual: BTreeSet<&String> = rust_required.iter().collect();
            let should: Vec<_> = expected.difference(&actual).collect();
            let should_not: Vec<_> = actual.difference(&expected).collect();
            if !should.is_empty() {
                out.push(format!(
                    "required and not nullable in the spec, but optional in Rust: {should:?}"
                ));
            }
            if !should_not.is_empty() {
                out.push(format!(
                    "required in Rust, but optional or nullable in the spec: {should_not:?}"
                ));
            }
            if spec_additional != rust_additional {
                out.push(format!(
                    "extra members (additionalProperties) kept: spec {spec_additional}, Rust {rust_additional}"
                ));
            }
        }
        (Shape::Enum(spec_values), Shape::Enum(rust_values)) => {
            let missing: Vec<_> = spec_values.difference(rust_values).collect();
            let extra: Vec<_> = rust_values.difference(spec_values).collect();
            if !missing.is_empty() {
                out.push(format!(
                    "enum values in the spec but not in Rust: {missing:?}"
                ));
            }
            if !extra.is_empty() {
                out.push(format!(
                    "enum values in Rust but not in the spec: {extra:?}"
                ));
            }
        }
        (Shape::Union(spec_n), Shape::Union(rust_n)) if spec_n != rust_n => {
            out.push(format!(
                "union branches: {spec_n} in the spec, {rust_n} in Rust"
            ));
        }
        (Shape::Union(_), Shape::Union(_)) => {}
        (spec, rust) if spec != rust => {
            out.push(format!(
                "kind differs: spec {}, Rust {}",
                spec.kind(),
                rust.kind()
            ));
        }
        _ => {}
    }
    out
}

fn workspace() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

fn spec() -> Spec {
    Spec::load(&workspace().join("api-spec/openapi.yaml")).expect("the spec loads")
}

fn spec_node<'a>(spec: &'a Spec, location: &str) -> Result<Node<'a>, String> {
    let (file, pointer) = location
        .split_once('#')
        .ok_or_else(|| format!("location `{location}` has no `#`"))?;
    spec.node(file, pointer)
        .ok_or_else(|| format!("location `{location}` is not in the spec"))
}

fn rust_schema(schema_fn: SchemaFn) -> Value {
    let mut generator = schemars::SchemaGenerator::default();
    schema_fn(&mut generator).to_value()
}

/// Every mismatch between the Rust types of `SCHEMAS` and the spec, one line each.
fn mismatches(spec: &Spec) -> Vec<String> {
    let mut out = Vec::new();
    for (name, location, schema_fn) in SCHEMAS {
        let rust = rust_shape(&rust_schema(*schema_fn));
        let result = spec_node(spec, location).and_then(|node| spec_shape(&node));
        match result {
            Err(e) => out.push(format!("{name} ({location}): {e}")),
            Ok(spec_shape) => {
                for difference in compare(&spec_shape, &rust) {
                    out.push(format!("{name} ({location}): {difference}"));
                }
            }
        }
    }
    out
}

#[test]
fn every_generated_type_matches_its_spec_schema() {
    let spec = spec();
    let found = mismatches(&spec);
    assert!(
        found.is_empty(),
        "{} mismatch(es) between the generated types and the spec:\n{}",
        found.len(),
        found.join("\n")
    );
}

/// Features of this crate that are enabled in this build.
fn enabled_features() -> BTreeSet<&'static str> {
    macro_rules! features {
        ($($f:literal),* $(,)?) => {
            [$(($f, cfg!(feature = $f))),*]
                .into_iter()
                .filter(|(_, on)| *on)
                .map(|(f, _)| f)
                .collect()
        };
    }
    features!(
        "accounts",
        "coupons",
        "orders",
        "products",
        "subscriptions",
        "invoices",
        "quotes",
        "returns",
        "sessions-v1",
        "checkout-sessions",
        "events",
        "data",
        "webhook-keys",
        "webhook-events",
    )
}

#[test]
fn the_table_lists_every_generated_type_at_its_location() {
    let spec = spec();
    let ir = codegen::ir::lower(&spec).expect("the spec lowers");
    let enabled = enabled_features();
    let known: BTreeSet<&str> = ir
        .modules
        .iter()
        .filter_map(|m| m.feature.as_deref())
        .collect();
    assert!(
        enabled.is_subset(&known),
        "this test lists features the spec does not have: {enabled:?} vs {known:?}"
    );
    let expected: BTreeMap<&str, &str> = ir
        .types
        .iter()
        .filter(|t| match &t.features {
            None => true,
            Some(set) => set.is_empty() || set.iter().any(|f| enabled.contains(f.as_str())),
        })
        .map(|t| (t.name.as_str(), t.location.as_str()))
        .collect();
    let listed: BTreeMap<&str, &str> = SCHEMAS.iter().map(|(n, l, _)| (*n, *l)).collect();
    assert_eq!(listed.len(), SCHEMAS.len(), "a name is listed twice");
    assert_eq!(
        listed, expected,
        "registry::SCHEMAS differs from the generator's types; run `cargo xtask regenerate`"
    );
}

/// The comparison itself finds what it is meant to find.
#[test]
fn the_comparison_reports_each_kind_of_difference() {
    let spec = Spec::from_documents(
        "a.yaml",
        &[(
            "a.yaml",
            r##"
components:
  schemas:
    Base:
      type: object
      required: [id]
      properties:
        id: {type: string}
    Thing:
      allOf:
        - $ref: "#/components/schemas/Base"
        - type: object
          required: [name, note, kind]
          properties:
            name: {type: string}
            note: {type: [string, "null"]}
            kind: {$ref: "#/components/schemas/Kind"}
    Kind:
      type: [string, "null"]
      enum: [a, b, null]
    Either:
      oneOf:
        - {type: string}
        - {type: integer}
        - {type: "null"}
"##,
        )],
    )
    .unwrap();
    let shape = |name: &str| {
        spec_shape(
            &spec
                .node("a.yaml", &format!("/components/schemas/{name}"))
                .unwrap(),
        )
        .unwrap()
    };
    let thing = shape("Thing");
    let Shape::Object {
        properties,
        required,
        ..
    } = &thing
    else {
        panic!("Thing is an object: {thing:?}");
    };
    assert_eq!(
        properties.iter().filter(|(_, n)| **n).count(),
        2,
        "note and kind are nullable: {properties:?}"
    );
    assert_eq!(required.len(), 4);
    assert_eq!(
        shape("Kind"),
        Shape::Enum(["a", "b"].map(String::from).into())
    );
    assert_eq!(shape("Either"), Shape::Union(2));

    // Rust: `id` and `name` required (the others are nullable), nothing else.
    let matching = rust_shape(&serde_json::json!({
        "type": "object",
        "properties": {"id": {}, "name": {}, "note": {}, "kind": {}},
        "required": ["id", "name"],
    }));
    assert_eq!(compare(&thing, &matching), Vec::<String>::new());
    let drifted = rust_shape(&serde_json::json!({
        "type": "object",
        "properties": {"id": {}, "name": {}, "kind": {}, "extra": {}},
        "required": ["id", "kind"],
        "additionalProperties": true,
    }));
    let found = compare(&thing, &drifted).join("\n");
    for expected in [
        "in the spec but not in Rust: [\"note\"]",
        "in Rust but not in the spec: [\"extra\"]",
        "optional in Rust: [\"name\"]",
        "optional or nullable in the spec: [\"kind\"]",
        "additionalProperties",
    ] {
        assert!(found.contains(expected), "`{expected}` not in:\n{found}");
    }
    let found = compare(
        &shape("Kind"),
        &rust_shape(&serde_json::json!({"type": "string", "enum": ["a", "c"]})),
    )
    .join("\n");
    assert!(
        found.contains("[\"b\"]") && found.contains("[\"c\"]"),
        "{found}"
    );
    let found = compare(
        &shape("Either"),
        &rust_shape(&serde_json::json!({"anyOf": [{"type": "string"}]})),
    );
    assert_eq!(found, ["union branches: 2 in the spec, 1 in Rust"]);
    let found = compare(
        &shape("Either"),
        &rust_shape(&serde_json::json!({"type": "string"})),
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("kind differs"), "{found:?}");
}
