//! The change report over spec pairs: `tests/fixtures/changes/base.yaml` against one
//! edited copy per kind of change (`<case>.yaml`); the expected report is a snapshot.

mod common;

use codegen::changes::{Bump, Impact, Report};
use codegen::ir::{Ir, lower};
use codegen::spec::Spec;

const VERSION: &str = "0.1.0";

fn ir_of(file: &str) -> Ir {
    // Loaded as a root document: `features.yaml` refers to the group in `accounts.yaml`.
    let path = common::fixtures_dir().join("changes").join(file);
    let spec = Spec::load(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
    lower(&spec).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// The report from `base.yaml` to `<case>.yaml`.
fn report(case: &str) -> Report {
    Report::between(&ir_of("base.yaml"), &ir_of(&format!("{case}.yaml")))
}

fn markdown(case: &str) -> String {
    report(case).to_markdown("base", case, VERSION)
}

/// (impact, item, what) of every line, for assertions that do not depend on wording.
fn lines(report: &Report) -> Vec<(Impact, String)> {
    report
        .changes
        .iter()
        .map(|c| (c.impact, format!("{} {}", c.item, c.what)))
        .collect()
}

#[test]
fn no_change_is_one_line() {
    let same = Report::between(&ir_of("base.yaml"), &ir_of("base.yaml"));
    assert!(same.is_empty());
    assert_eq!(same.bump(), Bump::None);
    assert_eq!(
        same.to_markdown("HEAD", "working tree", VERSION),
        "No change to the Rust API (HEAD → working tree).\n"
    );
}

#[test]
fn operations_added_and_removed() {
    let r = report("operations");
    // The operation, and the constructor and two setters of its body type, which is no
    // longer a request type once nothing sends it.
    assert_eq!(r.count(Impact::Breaking), 4, "{r:#?}");
    assert_eq!(r.next_version(VERSION).as_deref(), Some("0.2.0"));
    insta::assert_snapshot!(markdown("operations"));
}

#[test]
fn inputs_path_method_required_and_optional() {
    insta::assert_snapshot!(markdown("inputs"));
}

#[test]
fn types_and_fields() {
    insta::assert_snapshot!(markdown("types-and-fields"));
}

#[test]
fn a_response_field_turned_optional_breaks_readers() {
    let r = report("response-field-turned-optional");
    assert_eq!(
        lines(&r),
        [(
            Impact::Breaking,
            "`Order.total` now optional (was required): `Option<i64>` (was `i64`): breaking for readers"
                .to_string()
        )]
    );
    insta::assert_snapshot!(markdown("response-field-turned-optional"));
}

#[test]
fn a_request_field_turned_required_breaks_callers() {
    let r = report("request-field-turned-required");
    let breaking: Vec<String> = lines(&r)
        .into_iter()
        .filter(|(i, _)| *i == Impact::Breaking)
        .map(|(_, l)| l)
        .collect();
    assert!(
        breaking
            .iter()
            .any(|l| l.starts_with("`OrderUpdate.note` now required")),
        "{breaking:#?}"
    );
    assert!(
        breaking
            .iter()
            .any(|l| l.starts_with("`OrderUpdate.reason` new required field")),
        "{breaking:#?}"
    );
    // A new optional field of a request type is only an addition.
    assert!(lines(&r).contains(&(
        Impact::Additive,
        "`OrderUpdate.channel` new field `Option<String>`".to_string()
    )));
    insta::assert_snapshot!(markdown("request-field-turned-required"));
}

#[test]
fn enum_values_added_are_additive_in_requests_and_responses() {
    let r = report("enum-values");
    let added: Vec<(Impact, String)> = lines(&r)
        .into_iter()
        .filter(|(_, l)| l.contains("new value"))
        .collect();
    assert_eq!(added.len(), 2, "{added:#?}");
    assert!(added.iter().all(|(i, _)| *i == Impact::Additive));
    // In a response type the value was read as `Unknown` before.
    assert!(
        added
            .iter()
            .any(|(_, l)| l.starts_with("`OrderStatus`") && l.contains("Unknown"))
    );
    // A removed value removes its variant.
    assert!(lines(&r).contains(&(
        Impact::Breaking,
        "`OrderStatus` value `\"canceled\"` removed (its variant is gone): breaking for readers".to_string()
    )));
    insta::assert_snapshot!(markdown("enum-values"));
    insta::assert_snapshot!(
        "enum_values_json",
        serde_json::to_string_pretty(&r.to_json("base", "enum-values", VERSION)).expect("JSON")
    );
}

#[test]
fn features_added_and_removed() {
    insta::assert_snapshot!(markdown("features"));
    // The other way round the module and its feature are gone.
    let back = Report::between(&ir_of("features.yaml"), &ir_of("base.yaml"));
    assert_eq!(back.bump(), Bump::Major);
    insta::assert_snapshot!(
        "features_removed",
        back.to_markdown("features", "base", VERSION)
    );
}

#[test]
fn next_version_follows_cargo_rules_before_and_after_1_0() {
    let additive = report("features");
    let breaking = report("operations");
    let compatible = Report::between(&ir_of("base.yaml"), &ir_of("base.yaml"));
    assert_eq!(additive.bump(), Bump::Minor);
    assert_eq!(additive.next_version("0.1.3").as_deref(), Some("0.1.4"));
    assert_eq!(additive.next_version("1.2.3").as_deref(), Some("1.3.0"));
    assert_eq!(breaking.next_version("0.1.3").as_deref(), Some("0.2.0"));
    assert_eq!(breaking.next_version("1.2.3").as_deref(), Some("2.0.0"));
    assert_eq!(compatible.next_version("0.1.3"), None);
    assert_eq!(breaking.next_version("not a version"), None);
    assert!(
        breaking
            .version_line("0.1.0")
            .contains("before 1.0 a breaking change bumps the minor")
    );
}
