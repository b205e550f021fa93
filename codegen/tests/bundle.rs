//! `codegen::bundle`: the spec as one document whose references all stay inside it.

mod common;

use codegen::bundle::bundle;
use codegen::spec::Spec;
use serde_json::Value;

/// Every `$ref` string below `value`.
fn refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                match (key.as_str(), child) {
                    ("$ref", Value::String(r)) => out.push(r.clone()),
                    _ => refs(child, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

const METHODS: [&str; 5] = ["get", "post", "put", "delete", "patch"];

fn operation_ids(doc: &Value, section: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for item in doc[section]
        .as_object()
        .into_iter()
        .flat_map(|m| m.values())
    {
        for method in METHODS {
            if let Some(id) = item[method]["operationId"].as_str() {
                ids.push(id.to_string());
            }
        }
    }
    ids
}

#[test]
fn the_real_spec_bundles_into_one_document_with_every_operation() {
    let root = common::workspace_root().join("api-spec/openapi.yaml");
    let spec = Spec::load(&root).expect("spec loads");
    let doc = bundle(&spec).expect("spec bundles");

    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(all.len() > 500, "only {} references", all.len());
    for r in &all {
        let pointer = r
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("`{r}` leaves the document"));
        assert!(doc.pointer(pointer).is_some(), "`{r}` points to nothing");
    }
    assert!(doc["components"].get("pathItems").is_none());
    assert_eq!(doc["openapi"], "3.1.0");

    let paths = operation_ids(&doc, "paths");
    let webhooks = operation_ids(&doc, "webhooks");
    assert_eq!(paths.len(), 74, "REST operations in the bundle");
    assert_eq!(webhooks.len(), 37, "webhook events in the bundle");
    assert!(paths.iter().any(|id| id == "createAccount"));
    assert!(doc["components"]["schemas"]["Account"].is_object());

    // Same spec, same bytes.
    let again = bundle(&Spec::load(&root).expect("spec loads")).expect("spec bundles");
    assert_eq!(
        serde_json::to_string(&doc).unwrap(),
        serde_json::to_string(&again).unwrap()
    );
}

const ROOT: &str = r##"
openapi: 3.1.0
info: {title: t, version: "1"}
paths:
  /things:
    $ref: "things.yaml#/components/pathItems/things"
components:
  securitySchemes:
    basicAuth: {type: http, scheme: basic}
"##;

#[test]
fn references_across_files_point_inside_the_bundle() {
    let things = r##"
components:
  pathItems:
    things:
      get:
        operationId: listThings
        responses:
          "200":
            description: ok
            content:
              application/json:
                schema: {$ref: "#/components/schemas/Thing"}
  schemas:
    Thing:
      type: object
      properties:
        owner: {$ref: "common.yaml#/components/schemas/Owner"}
"##;
    let common = "components:\n  schemas:\n    Owner: {type: string}\n";
    let spec = Spec::from_documents(
        "openapi.yaml",
        &[
            ("openapi.yaml", ROOT),
            ("things.yaml", things),
            ("common.yaml", common),
        ],
    )
    .unwrap();
    let doc = bundle(&spec).unwrap();
    let schema = &doc["paths"]["/things"]["get"]["responses"]["200"]["content"]["application/json"]
        ["schema"];
    assert_eq!(schema["$ref"], "#/components/schemas/Thing");
    assert_eq!(
        doc["components"]["schemas"]["Thing"]["properties"]["owner"]["$ref"],
        "#/components/schemas/Owner"
    );
    assert_eq!(doc["components"]["schemas"]["Owner"]["type"], "string");
    assert_eq!(
        doc["components"]["securitySchemes"]["basicAuth"]["scheme"],
        "basic"
    );
}

#[test]
fn a_component_defined_twice_is_refused_with_its_place() {
    let things =
        "components:\n  pathItems:\n    things: {}\n  schemas:\n    Owner: {type: string}\n";
    let common = "components:\n  schemas:\n    Owner: {type: integer}\n";
    let spec = Spec::from_documents(
        "openapi.yaml",
        &[
            ("openapi.yaml", ROOT),
            ("things.yaml", things),
            ("common.yaml", common),
        ],
    )
    .unwrap();
    let err = bundle(&spec).unwrap_err();
    assert_eq!(err.file, "things.yaml");
    assert_eq!(err.pointer, "/components/schemas/Owner");
    assert!(
        err.message.contains("also defined by another file"),
        "{err}"
    );
}

#[test]
fn a_reference_outside_components_is_refused_with_its_place() {
    let things = r##"
components:
  pathItems:
    things:
      get:
        responses:
          "200": {$ref: "other.yaml#/paths/~1x/get/responses/200"}
"##;
    let spec = Spec::from_documents(
        "openapi.yaml",
        &[("openapi.yaml", ROOT), ("things.yaml", things)],
    )
    .unwrap();
    let err = bundle(&spec).unwrap_err();
    assert_eq!(err.file, "things.yaml");
    assert_eq!(
        err.pointer,
        "/components/pathItems/things/get/responses/200/$ref"
    );
    assert!(
        err.message
            .contains("only move references into `components`"),
        "{err}"
    );
}
