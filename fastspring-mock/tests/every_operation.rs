//! Every operation of the spec is served by the mock, and its answer decodes into the
//! client's generated type for that status. The requests are built from the spec's
//! own examples (parameters and bodies), so a new operation is covered by this test the
//! moment it is added to the spec and regenerated.

use fastspring_api::payload::{self, Outcome};
use fastspring_api::registry::Part;
use fastspring_mock::MockServer;
use fastspring_mock::spec::{ParamIn, Route, spec};
use serde_json::Value;

fn http() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

fn example_text(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => "example".into(),
    }
}

/// The request the spec's examples describe for `route`.
fn request(base: &str, route: &Route) -> reqwest::RequestBuilder {
    let mut path = route.template.clone();
    let mut query = Vec::new();
    for param in &route.params {
        let value = example_text(param.example.as_ref());
        match param.location {
            ParamIn::Path => {
                let encoded = percent_encoding::utf8_percent_encode(
                    &value,
                    percent_encoding::NON_ALPHANUMERIC,
                )
                .to_string();
                path = path.replace(&format!("{{{}}}", param.name), &encoded);
            }
            ParamIn::Query if param.required => query.push((param.name.clone(), value)),
            _ => {}
        }
    }
    let method = reqwest::Method::from_bytes(route.method.as_bytes()).unwrap();
    let mut builder = http()
        .request(method, format!("{base}{path}"))
        .query(&query)
        .header("user-agent", "every-operation-test/1.0")
        .basic_auth("user", Some("password"));
    if let Some(body) = route.body_examples.values().next() {
        builder = builder.json(body);
    }
    builder
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_spec_operation_answers_a_body_that_decodes_into_its_generated_type() {
    let spec = spec();
    assert!(!spec.routes.is_empty());
    let mut failures = Vec::new();
    let mut checked = 0;
    for route in &spec.routes {
        // A fresh mock per operation: deletes and updates do not disturb later reads.
        let mock = MockServer::start().await;
        let response = request(&mock.base_url(), route).send().await.unwrap();
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string());
        let bytes = response.bytes().await.unwrap();
        if !(200..300).contains(&status) {
            failures.push(format!(
                "{} {} ({}): HTTP {status} {}",
                route.method,
                route.template,
                route.operation_id,
                String::from_utf8_lossy(&bytes)
            ));
            continue;
        }
        let shapes: Vec<_> = payload::shapes_for_operation(&route.operation_id)
            .into_iter()
            .filter(|s| s.part == Part::Response(status))
            .collect();
        let json = content_type
            .as_deref()
            .is_some_and(|ct| ct.contains("json"));
        if !json {
            // Report downloads (text/csv) and bodiless answers (204) have no JSON type.
            assert!(shapes.is_empty() || bytes.is_empty() == (status == 204));
            checked += 1;
            continue;
        }
        if shapes.is_empty() {
            failures.push(format!(
                "{}: no generated type for HTTP {status}",
                route.operation_id
            ));
            continue;
        }
        let value: Value = serde_json::from_slice(&bytes).unwrap();
        match payload::check_response(&shapes, &value) {
            Outcome::Ok | Outcome::Drift(_) => checked += 1,
            other => failures.push(format!("{}: {}", route.operation_id, other.summary())),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} operations failed:\n{}",
        failures.len(),
        spec.routes.len(),
        failures.join("\n")
    );
    assert_eq!(checked, spec.routes.len());
}
