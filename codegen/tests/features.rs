//! `fastspring-api/Cargo.toml`'s `[features]` against the spec's tags: every group
//! (tag) of `api-spec/openapi.yaml` has a cargo feature of the same name and is on by
//! default, and no feature names a group the spec does not have. Adding or removing a
//! group therefore cannot be half done; the failure says what to add or remove.

mod common;

use std::collections::BTreeSet;

use common::workspace_root;

/// Features of `fastspring-api` that are not resource groups.
const OTHER_FEATURES: &[&str] = &["payload-check", "serialize", "schemars", "axum", "testing"];

/// The group features of the IR of the real spec.
fn spec_features() -> BTreeSet<String> {
    let spec = codegen::spec::Spec::load(&workspace_root().join("api-spec/openapi.yaml"))
        .unwrap_or_else(|e| panic!("api-spec/{e}"));
    let ir = codegen::ir::lower(&spec).unwrap_or_else(|e| panic!("api-spec/{e}"));
    ir.modules
        .iter()
        .filter_map(|m| m.feature.clone())
        .collect()
}

/// What is wrong with `manifest`'s `[features]` for the group features `groups`, one
/// instruction per line (empty when it agrees).
fn mismatches(manifest: &str, groups: &BTreeSet<String>) -> Vec<String> {
    let doc: toml_edit::DocumentMut = manifest.parse().expect("Cargo.toml is valid TOML");
    let Some(table) = doc.get("features").and_then(|f| f.as_table()) else {
        return vec!["add a `[features]` table".to_string()];
    };
    let declared: BTreeSet<String> = table
        .iter()
        .map(|(name, _)| name.to_string())
        .filter(|name| name != "default" && !OTHER_FEATURES.contains(&name.as_str()))
        .collect();
    let mut default = BTreeSet::new();
    let mut problems = Vec::new();
    match table.get("default").and_then(|d| d.as_array()) {
        Some(list) => {
            for item in list {
                match item.as_str() {
                    Some(name) => {
                        default.insert(name.to_string());
                    }
                    None => problems.push(format!(
                        "`default` lists a {}, not a feature name",
                        item.type_name()
                    )),
                }
            }
        }
        None => problems.push("add `default = [...]` listing every group feature".to_string()),
    }

    for group in groups.difference(&declared) {
        problems.push(format!(
            "add `{group} = []` to [features]: the spec has tag `{group}`"
        ));
    }
    for stale in declared.difference(groups) {
        problems.push(format!(
            "remove feature `{stale}` (or declare tag `{stale}` in the spec; if it is not a \
             group, list it in OTHER_FEATURES of codegen/tests/features.rs)"
        ));
    }
    for group in groups.difference(&default) {
        problems.push(format!(
            "add \"{group}\" to `default`: every group is on by default"
        ));
    }
    for extra in default.difference(groups) {
        if OTHER_FEATURES.contains(&extra.as_str()) {
            problems.push(format!(
                "remove \"{extra}\" from `default`: only the groups are on by default"
            ));
        } else {
            problems.push(format!(
                "remove \"{extra}\" from `default`: the spec has no tag `{extra}`"
            ));
        }
    }
    problems
}

#[test]
fn cargo_features_match_the_spec_tags() {
    let path = workspace_root().join("fastspring-api/Cargo.toml");
    let manifest = std::fs::read_to_string(&path).expect("fastspring-api/Cargo.toml");
    let groups = spec_features();
    assert!(
        groups.len() > 5,
        "the spec has groups (tags), found {groups:?}"
    );
    let problems = mismatches(&manifest, &groups);
    assert!(
        problems.is_empty(),
        "fastspring-api/Cargo.toml [features] disagrees with the tags of api-spec/openapi.yaml:\n- {}",
        problems.join("\n- ")
    );
}

/// The check itself: a half-added group and a stale one are both reported, each with
/// what to do.
#[test]
fn a_half_done_group_is_reported() {
    let groups: BTreeSet<String> = ["orders", "widgets"].map(String::from).into();
    let manifest = r#"
[package]
name = "x"

[features]
default = ["orders", "gadgets", "serialize"]
orders = []
gadgets = []
serialize = []
"#;
    assert_eq!(
        mismatches(manifest, &groups),
        [
            "add `widgets = []` to [features]: the spec has tag `widgets`",
            "remove feature `gadgets` (or declare tag `gadgets` in the spec; if it is not a \
             group, list it in OTHER_FEATURES of codegen/tests/features.rs)",
            "add \"widgets\" to `default`: every group is on by default",
            "remove \"gadgets\" from `default`: the spec has no tag `gadgets`",
            "remove \"serialize\" from `default`: only the groups are on by default",
        ]
    );

    let fixed = r#"
[features]
default = ["orders", "widgets"]
orders = []
widgets = []
serialize = []
"#;
    assert_eq!(mismatches(fixed, &groups), Vec::<String>::new());
}
