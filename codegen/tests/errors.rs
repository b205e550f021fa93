//! Specs the generator must refuse: each gives a `codegen::Error` that names the file and
//! the JSON pointer of the offending node and says what is wrong (and never panics).

mod common;

use common::{fixture_root, generate_fixture};

/// Generates `tests/fixtures/<fixture>/` and checks the error's file, pointer and message.
fn refused(fixture: &str, file: &str, pointer: &str, phrase: &str) {
    let error = match codegen::generate(&fixture_root(fixture)) {
        Ok(files) => panic!(
            "fixture `{fixture}` generated {} files instead of failing",
            files.len()
        ),
        Err(e) => e,
    };
    assert_eq!(
        (error.file.as_str(), error.pointer.as_str()),
        (file, pointer),
        "fixture `{fixture}`: wrong location in {error}"
    );
    assert!(
        error.message.contains(phrase),
        "fixture `{fixture}`: message `{}` does not contain `{phrase}`",
        error.message
    );
    // The Display form carries all three parts.
    assert_eq!(
        error.to_string(),
        format!("{file}#{pointer}: {}", error.message)
    );
}

#[test]
fn malformed_yaml() {
    refused("err-malformed-yaml", "openapi.yaml", "", "invalid YAML");
}

#[test]
fn duplicate_mapping_key() {
    refused("err-duplicate-key", "openapi.yaml", "", "duplicate");
}

#[test]
fn unsupported_schema_keyword() {
    refused(
        "err-unsupported-keyword",
        "openapi.yaml",
        "/components/schemas/Thing/properties/kind",
        "unsupported schema keyword `discriminator`",
    );
}

#[test]
fn openapi_3_0_nullable() {
    refused(
        "err-nullable-3-0",
        "openapi.yaml",
        "/components/schemas/Thing/properties/note",
        "`nullable` is OpenAPI 3.0",
    );
}

#[test]
fn missing_operation_id() {
    refused(
        "err-missing-operation-id",
        "openapi.yaml",
        "/paths/~1things/get",
        "without `operationId`",
    );
}

#[test]
fn duplicate_operation_id() {
    refused(
        "err-duplicate-operation-id",
        "openapi.yaml",
        "/paths/~1things~1all/get",
        "operationId `listThings` already used at openapi.yaml#/paths/~1things/get",
    );
}

#[test]
fn operation_without_tag() {
    refused(
        "err-no-tag",
        "openapi.yaml",
        "/paths/~1things/get",
        "without `tags`",
    );
}

#[test]
fn operation_with_unknown_tag() {
    refused(
        "err-unknown-tag",
        "openapi.yaml",
        "/paths/~1things/get/tags/0",
        "tag `widgets` is not declared",
    );
}

#[test]
fn path_parameter_not_in_template() {
    refused(
        "err-path-param-not-in-template",
        "openapi.yaml",
        "/paths/~1things/get/parameters/0",
        "path parameter `thing_id` does not appear in `/things`",
    );
}

#[test]
fn comma_separated_on_a_query_parameter() {
    refused(
        "err-comma-separated-query",
        "openapi.yaml",
        "/paths/~1things/get/parameters/0",
        "x-fs-comma-separated applies to string path parameters only",
    );
}

#[test]
fn unwrap_with_a_form_that_is_neither_wrapper_nor_resource() {
    refused(
        "err-unwrap-bare-form",
        "openapi.yaml",
        "/paths/~1things~1{thing_id}/get/x-fs-unwrap",
        "the 200 form `Single` is neither the wrapper nor `Thing`",
    );
}

#[test]
fn resolve_through_a_lookup_without_unwrap() {
    refused(
        "err-resolve-not-unwrapped",
        "openapi.yaml",
        "/paths/~1things/get/x-fs-paging/resolve",
        "`getThing` has no x-fs-unwrap",
    );
}

#[test]
fn epoch_time_on_a_string_without_format_date() {
    refused(
        "err-time-on-plain-string",
        "openapi.yaml",
        "/paths/~1things/get/parameters/1/schema",
        "x-fs-time on a string needs `format: date`",
    );
}

#[test]
fn ref_to_nothing() {
    refused(
        "err-ref-to-nothing",
        "openapi.yaml",
        "/paths/~1things/get/responses/200/content/application~1json/schema",
        "`#/components/schemas/Missing` points to nothing",
    );
}

#[test]
fn same_schema_name_in_two_files() {
    refused(
        "err-duplicate-schema-name",
        "things.yaml",
        "/components/schemas/Thing",
        "schema name `Thing` is already used by common.yaml#/components/schemas/Thing",
    );
}

#[test]
fn rust_method_collision_in_a_group() {
    refused(
        "err-rust-method-collision",
        "openapi.yaml",
        "/paths/~1things~1archived/get",
        "x-rust-method `list` already used by `listThings`",
    );
}

#[test]
fn parameter_renamed_onto_another_parameter() {
    // `pages` is a builder method, so its field is `pages_param`: the name `pagesParam`
    // already has. Refused here, located, instead of a duplicate field in rustc.
    refused(
        "err-builder-field-collision",
        "openapi.yaml",
        "/paths/~1things/get/parameters/1",
        "parameter `pagesParam` would be the builder's `pages_param`, which parameter `pages` already is",
    );
}

#[test]
fn unknown_extension_key() {
    refused(
        "err-unknown-extension-key",
        "things.yaml",
        "/components/pathItems/things/get/x-fs-pagign",
        "unknown extension key `x-fs-pagign` (did you mean `x-fs-paging`?); known keys: x-fs-batch, x-fs-comma-separated,",
    );
}

/// Strict YAML booleans: `NO`, `yes`, `on`, `off`, `y`, `n` stay strings, so an enum
/// value `NO` (Norway) is a variant, and `on`/`no` are property names.
#[test]
fn yaml_1_1_booleans_stay_strings() {
    let files = generate_fixture("strict-booleans");
    let module = files
        .iter()
        .find(|f| f.path == "countries.rs")
        .expect("countries.rs");
    // Whitespace is collapsed: prettyplease wraps the `string_enum!` invocation freely.
    let contents = module
        .contents
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for expected in [
        r#"No = "NO","#,
        r#"Yes = "yes","#,
        r#"On = "on","#,
        r#"Off = "off","#,
        r#"Y = "y","#,
        r#"N = "n" }"#,
        "pub on: Option<bool>,",
        "pub no: Option<String>,",
    ] {
        assert!(
            contents.contains(expected),
            "countries.rs lacks `{expected}`:\n{}",
            module.contents
        );
    }
}

/// In-memory specs go through the same checks as files.
#[test]
fn in_memory_documents_are_checked_too() {
    let spec = codegen::spec::Spec::from_documents(
        "openapi.yaml",
        &[(
            "openapi.yaml",
            "openapi: 3.0.3\ninfo: {title: t, version: '1'}\n",
        )],
    )
    .expect("valid YAML");
    let error = codegen::generate_from(&spec).expect_err("3.0 is refused");
    assert_eq!(
        (error.file.as_str(), error.pointer.as_str()),
        ("openapi.yaml", "")
    );
    assert!(
        error.message.contains("must be 3.1.x, found `3.0.3`"),
        "{error}"
    );

    let error = codegen::spec::Spec::from_documents("openapi.yaml", &[("other.yaml", "a: 1\n")])
        .expect_err("root missing");
    assert_eq!(error.file, "openapi.yaml");
    assert!(error.message.contains("root document missing"), "{error}");

    let error =
        codegen::spec::Spec::from_documents("openapi.yaml", &[("openapi.yaml", "a: 1\na: 2\n")])
            .expect_err("duplicate key");
    assert_eq!(
        (error.file.as_str(), error.pointer.as_str()),
        ("openapi.yaml", "")
    );
    assert!(error.message.contains("duplicate"), "{error}");
}

#[test]
fn unknown_id_kind() {
    refused(
        "err-unknown-id-kind",
        "openapi.yaml",
        "/components/schemas/Thing/properties/owner",
        "unknown x-fs-id `customer` (account, subscription, order, product)",
    );
}

#[test]
fn key_field_without_an_id_type() {
    refused(
        "err-key-without-id",
        "openapi.yaml",
        "/components/schemas/Thing/x-fs-key/1",
        "x-fs-key names `name`, which has no x-fs-id",
    );
}
