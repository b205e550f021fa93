//! Every example in the spec, and every published FastSpring payload in
//! `api-spec/examples/`, decodes into its generated type, and the type
//! knows every field of it (no drift).

use std::path::{Path, PathBuf};

use codegen::examples::{Part, collect};
use codegen::spec::Spec;
use fastspring_api::payload::{self, Outcome};
use heck::ToKebabCase;
use serde_json::Value;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn spec() -> Spec {
    Spec::load(&workspace().join("api-spec/openapi.yaml")).expect("the spec loads")
}

fn check_example(part: &Part, operation_id: &str, value: &Value) -> Outcome {
    match part {
        Part::Webhook(event_type) => payload::check_webhook(event_type, value),
        Part::Request => {
            payload::check_request(&payload::shapes_for_operation(operation_id), value)
        }
        Part::Response(status) => {
            let shapes = payload::shapes_for_operation(operation_id);
            let exact: Vec<_> = shapes
                .iter()
                .copied()
                .filter(|s| s.part == fastspring_api::registry::Part::Response(*status))
                .collect();
            payload::check_response(&exact, value)
        }
    }
}

#[test]
fn every_spec_example_decodes_into_its_type_without_drift() {
    let spec = spec();
    let examples = collect(&spec).expect("examples collect");
    let mut checked = 0;
    let mut problems = Vec::new();
    for example in &examples {
        if !example.media_type.contains("json") {
            continue;
        }
        checked += 1;
        let outcome = check_example(&example.part, &example.operation_id, &example.value);
        if outcome != Outcome::Ok {
            problems.push(format!("{}: {}", example.location, outcome.summary()));
        }
    }
    assert!(checked > 250, "only {checked} JSON examples found");
    assert!(
        problems.is_empty(),
        "{} of {checked} examples do not fit their types:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// The published payloads kept beside the spec (`api-spec/examples/`, sources in each
/// group's `SOURCES.md`).
fn published_examples() -> PathBuf {
    let dir = workspace().join("api-spec/examples");
    assert!(
        dir.is_dir(),
        "published examples not found at {}",
        dir.display()
    );
    dir
}

/// Published responses holding values that cannot be read as their type: they decode, the
/// values are kept as sent, and the check reports them as drift at exactly these pointers.
const KNOWN_UNREADABLE: &[(&str, &[&str])] = &[(
    // `setupFeePrice` strings end in a comma ("10.0,"): with decimal commas in use that is
    // not an unambiguous number, so the amount is kept as text, not guessed.
    "products/get-product-price.response.1.json",
    &[
        "/products/0/pricing/PR/setupFeePrice",
        "/products/0/pricing/DE/setupFeePrice",
    ],
)];

/// Published examples we judge wrong, and why. Each must still fail: if the types ever
/// accept one, the entry goes (or the types were bent to a typo). The spec records the
/// same judgement in an `x-fs-note` beside the corrected copy of the example. Responses
/// are read leniently wherever the intent is unambiguous, so the only response left here
/// is a corrupt number; the request entries stay because request types are strict.
const KNOWN_WRONG: &[(&str, &str)] = &[
    (
        "coupons/list-coupon-codes.request.1.json",
        "a GET with a JSON body, from the older third-party spec; the current reference has no body",
    ),
    (
        "quotes/create-quote.request.1.json",
        "`recipient.phone` is a number; the reference types phone numbers as strings",
    ),
    (
        "quotes/update-quote.request.1.json",
        "`recipient.phone` is a number; the reference types phone numbers as strings",
    ),
    (
        "subscriptions/pause-subscription.request.1.json",
        "the body is a JSON array; the endpoint takes one object `{\"pausePeriodCount\": n}`",
    ),
    (
        "subscriptions/update-subscriptions.request.2.json",
        "`manualRenew` is the string \"true\"; requests send the documented boolean (decided in the spec's note)",
    ),
    (
        "subscriptions/transfer-subscriptions.request.1.json",
        "`postalCode` is a number; postal codes are strings (leading zeros)",
    ),
];

#[test]
fn every_published_example_decodes_into_its_type() {
    let spec = spec();
    let examples = collect(&spec).expect("examples collect");
    // Operation names as the example files spell them: kebab-case operationIds.
    let operations: Vec<String> = examples.iter().map(|e| e.operation_id.clone()).collect();
    let mut all_ops: Vec<String> = operations;
    for shape in fastspring_api::registry::SHAPES {
        all_ops.push(shape.operation_id.to_string());
    }
    all_ops.sort();
    all_ops.dedup();

    let mut checked = 0;
    let mut wrong_seen = 0;
    let mut problems = Vec::new();
    let mut groups: Vec<_> = std::fs::read_dir(published_examples())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    groups.sort();
    for group in groups.into_iter().filter(|p| p.is_dir()) {
        let mut files: Vec<_> = std::fs::read_dir(&group)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for file in files
            .into_iter()
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
        {
            let name = file.file_name().unwrap().to_string_lossy().to_string();
            let value: Value = serde_json::from_slice(&std::fs::read(&file).unwrap())
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            checked += 1;
            let outcome = if group.ends_with("webhooks") {
                let event_type = name
                    .trim_end_matches(".json")
                    .trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
                let event_type = event_type.trim_end_matches('.');
                payload::check_webhook(event_type, &value)
            } else {
                let stem = name.split('.').next().unwrap();
                let Some(op) = all_ops.iter().find(|op| op.to_kebab_case() == stem) else {
                    problems.push(format!("{name}: no operation is named `{stem}`"));
                    continue;
                };
                let shapes = payload::shapes_for_operation(op);
                if name.contains(".request.") {
                    payload::check_request(&shapes, &value)
                } else {
                    payload::check_response(&shapes, &value)
                }
            };
            let key = format!("{}/{name}", group.file_name().unwrap().to_string_lossy());
            let judged_wrong = KNOWN_WRONG.iter().any(|(file, _)| *file == key);
            if let Some((_, pointers)) = KNOWN_UNREADABLE.iter().find(|(file, _)| *file == key) {
                let expected = Outcome::Drift(pointers.iter().map(|p| p.to_string()).collect());
                if outcome != expected {
                    problems.push(format!(
                        "{key}: expected {}, got {}",
                        expected.summary(),
                        outcome.summary()
                    ));
                }
                continue;
            }
            match (&outcome, judged_wrong) {
                (Outcome::Fail { .. }, true) => wrong_seen += 1,
                (_, true) => problems.push(format!(
                    "{key}: listed as wrong but now decodes ({})",
                    outcome.summary()
                )),
                (Outcome::Ok, false) => {}
                (_, false) => problems.push(format!("{key}: {}", outcome.summary())),
            }
        }
    }
    assert!(checked >= 60, "only {checked} published examples found");
    assert_eq!(
        wrong_seen,
        KNOWN_WRONG.len(),
        "every example judged wrong is still in the folder"
    );
    assert!(
        problems.is_empty(),
        "{} of {checked} published examples do not fit:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
