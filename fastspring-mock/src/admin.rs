//! The admin API under `/mock/admin`: what a test or a person at a terminal uses to
//! look at and steer the mock (faults, rate limit, webhook receiver, events,
//! deliveries, state). No credentials: the mock listens on loopback only.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde_json::{Value, json};

use crate::checkout::Checkout;
use crate::exchange::json_response;
use crate::faults::Fault;
use crate::scenarios::{self, Scenario};
use crate::store::{Kind, Store};
use crate::{Seed, Shared};

/// The admin routes; the server adds the API as the fallback.
pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/mock/admin", get(admin_index))
        .route("/mock/admin/operations", get(admin_operations))
        .route(
            "/mock/admin/faults",
            get(admin_faults)
                .post(admin_add_fault)
                .delete(admin_clear_faults),
        )
        .route("/mock/admin/rate-limit", put(admin_rate_limit))
        .route("/mock/admin/webhook", put(admin_webhook))
        .route("/mock/admin/events", get(admin_events).post(admin_emit))
        .route("/mock/admin/deliveries", get(admin_deliveries))
        .route("/mock/admin/clock", get(admin_clock).post(admin_advance))
        .route("/mock/admin/checkouts", post(admin_checkout))
        .route(
            "/mock/admin/subscriptions/{id}/declines",
            post(admin_declines),
        )
        .route("/mock/admin/scenarios", get(admin_scenarios))
        .route("/mock/admin/scenarios/{name}", post(admin_run_scenario))
        .route(
            "/mock/admin/state/{kind}",
            get(admin_state).post(admin_seed),
        )
}

async fn admin_index(State(shared): State<Arc<Shared>>) -> Response {
    json_response(
        200,
        &json!({
            "operations": shared.spec.routes.len(),
            "webhookEventTypes": shared.spec.webhook_types.len(),
            "endpoints": {
                "GET /mock/admin/operations": "every operation served: method, path, operationId",
                "GET|POST|DELETE /mock/admin/faults": "list, add ({operation?, times?, status+retryAfter? | delayMs | reset | truncate}), clear fault rules",
                "PUT /mock/admin/rate-limit": "{\"perMinute\": 250} or {\"limit\": 20, \"windowMs\": 2000} enforces a rate limit, {\"perMinute\": null} turns it off",
                "PUT /mock/admin/webhook": "{\"url\", \"secret\"} sets the receiver, null removes it",
                "GET|POST /mock/admin/events": "list stored events, emit one ({\"type\", \"data\"?})",
                "GET /mock/admin/deliveries": "webhook delivery attempts",
                "GET|POST /mock/admin/state/{kind}": "list or add accounts, products, coupons, subscriptions, orders",
                "GET|POST /mock/admin/clock": "the clock; advance it ({\"advance\": \"P1M\"} or {\"to\": epochMs}), playing out renewals, reminders, trials, pauses, dunning",
                "POST /mock/admin/checkouts": "complete a paid checkout ({\"email\", \"items\": [{\"product\", \"quantity\"?}], \"paymentMethod\"?})",
                "POST /mock/admin/subscriptions/{id}/declines": "decline the next charges ({\"count\": n})",
                "GET /mock/admin/scenarios, POST /mock/admin/scenarios/{name}": "list or run a named scenario",
            }
        }),
    )
}

async fn admin_operations(State(shared): State<Arc<Shared>>) -> Response {
    let list: Vec<Value> = shared
        .spec
        .routes
        .iter()
        .map(|r| json!({"method": r.method, "path": r.template, "operationId": r.operation_id, "anonymous": r.anonymous}))
        .collect();
    json_response(200, &Value::Array(list))
}

async fn admin_faults(State(shared): State<Arc<Shared>>) -> Response {
    let faults = shared.faults.lock().expect("faults lock");
    let list: Vec<Value> = faults.list().iter().map(Fault::to_json).collect();
    json_response(200, &Value::Array(list))
}

async fn admin_add_fault(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let parsed = serde_json::from_slice::<Value>(&body)
        .map_err(|e| e.to_string())
        .and_then(|v| Fault::from_json(&v));
    match parsed {
        Ok(fault) => {
            if let Err(message) =
                fault.check(shared.spec.routes.iter().map(|r| r.operation_id.as_str()))
            {
                return json_response(400, &json!({ "message": message }));
            }
            let out = fault.to_json();
            shared.faults.lock().expect("faults lock").push(fault);
            json_response(201, &out)
        }
        Err(message) => json_response(400, &json!({ "message": message })),
    }
}

async fn admin_clear_faults(State(shared): State<Arc<Shared>>) -> Response {
    shared.faults.lock().expect("faults lock").clear();
    StatusCode::NO_CONTENT.into_response()
}

async fn admin_rate_limit(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let positive = |key: &str| value.get(key).and_then(Value::as_u64).filter(|n| *n > 0);
    // `{"perMinute": 250}`, `{"limit": 20, "windowMs": 2000}`, or null to turn it off.
    let (limit, window_ms) = match (value.get("perMinute"), value.get("limit")) {
        (Some(Value::Null), None) | (None, Some(Value::Null)) => (None, None),
        (Some(_), None) => (positive("perMinute"), Some(60_000)),
        (None, Some(_)) => (positive("limit"), positive("windowMs")),
        _ => (None, Some(0)),
    };
    let rate = match (limit, window_ms) {
        (None, None) => None,
        (Some(limit), Some(ms)) => Some(crate::faults::RateWindow::with_window(
            usize::try_from(limit).unwrap_or(usize::MAX),
            std::time::Duration::from_millis(ms),
        )),
        _ => {
            return json_response(
                400,
                &json!({"message": "give `perMinute` (250 for FastSpring's limit), or `limit` and `windowMs` (positive counts), or null to turn it off"}),
            );
        }
    };
    let answer = rate.as_ref().map_or(json!({"limit": null}), |r| {
        let window_ms = r.window.as_millis() as u64;
        let per_minute = (window_ms == 60_000).then_some(r.limit);
        json!({"limit": r.limit, "windowMs": window_ms, "perMinute": per_minute})
    });
    *shared.rate.lock().expect("rate lock") = rate;
    json_response(200, &answer)
}

async fn admin_webhook(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let schedule = shared.retry_schedule.lock().expect("schedule lock").clone();
    let config = match (
        &value,
        value.get("url").and_then(Value::as_str),
        value.get("secret").and_then(Value::as_str),
    ) {
        (Value::Null, _, _) => None,
        (_, Some(url), Some(secret)) => Some(crate::webhooks::WebhookConfig {
            url: url.to_string(),
            secret: secret.to_string(),
            retry_schedule: schedule,
        }),
        _ => {
            return json_response(
                400,
                &json!({"message": "give {\"url\", \"secret\"} or null"}),
            );
        }
    };
    let url = config.as_ref().map(|c| c.url.clone());
    *shared.webhook.lock().expect("webhook lock") = config;
    json_response(200, &json!({ "url": url }))
}

async fn admin_events(State(shared): State<Arc<Shared>>) -> Response {
    let store = shared.store.lock().expect("store lock");
    let list: Vec<Value> = store.events.iter().map(|e| e.to_value()).collect();
    json_response(200, &Value::Array(list))
}

async fn admin_emit(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let Some(event_type) = value.get("type").and_then(Value::as_str) else {
        return json_response(
            400,
            &json!({"message": "give the event `type` (and optionally `data`)"}),
        );
    };
    let data = value
        .get("data")
        .cloned()
        .or_else(|| crate::store::example_event_data(shared.spec, event_type))
        .unwrap_or_else(|| json!({}));
    let event = shared.emit(vec![(event_type.to_string(), data)]).remove(0);
    json_response(201, &event)
}

async fn admin_deliveries(State(shared): State<Arc<Shared>>) -> Response {
    let log = shared.deliveries.lock().expect("deliveries lock");
    let list: Vec<Value> = log.iter().map(crate::Delivery::to_json).collect();
    json_response(200, &Value::Array(list))
}

async fn admin_state(State(shared): State<Arc<Shared>>, Path(kind): Path<String>) -> Response {
    let Some(kind) = Kind::from_name(&kind) else {
        return json_response(
            404,
            &json!({"message": "kinds: accounts, products, coupons, subscriptions, orders"}),
        );
    };
    let store = shared.store.lock().expect("store lock");
    let list: Vec<Value> = store
        .ids(kind)
        .iter()
        .filter_map(|id| store.get(kind, id).cloned())
        .collect();
    json_response(200, &Value::Array(list))
}

async fn admin_seed(
    State(shared): State<Arc<Shared>>,
    Path(kind): Path<String>,
    body: Bytes,
) -> Response {
    let Some(kind) = Kind::from_name(&kind) else {
        return json_response(
            404,
            &json!({"message": "kinds: accounts, products, coupons, subscriptions, orders"}),
        );
    };
    let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let mut store: std::sync::MutexGuard<'_, Store> = shared.store.lock().expect("store lock");
    match Seed::new().object(kind, value.clone()).apply(&mut store) {
        Ok(()) => json_response(201, &value),
        Err(message) => json_response(400, &json!({ "message": message })),
    }
}

fn clock_json(now: i64) -> Value {
    json!({ "now": now, "iso": crate::clock::iso_millis(now) })
}

async fn admin_clock(State(shared): State<Arc<Shared>>) -> Response {
    json_response(200, &clock_json(shared.now()))
}

async fn admin_advance(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let events = match (value.get("advance"), value.get("to")) {
        (Some(Value::String(duration)), None) => match crate::clock::parse_duration(duration) {
            Ok(span) => shared.advance_by(span),
            Err(message) => return json_response(400, &json!({ "message": message })),
        },
        (None, Some(to)) if to.is_i64() => shared.advance_to(to.as_i64().unwrap_or_default()),
        _ => {
            return json_response(
                400,
                &json!({"message": "give {\"advance\": \"P1M\"} (ISO 8601 duration) or {\"to\": <epoch ms>}"}),
            );
        }
    };
    let mut out = clock_json(shared.now());
    out["events"] = events.iter().map(|e| Value::clone(e)).collect();
    json_response(200, &out)
}

async fn admin_checkout(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let outcome = Checkout::from_json(&value)
        .and_then(|checkout| shared.change(|store| checkout.complete(store)));
    match outcome {
        Ok((outcome, events)) => json_response(
            201,
            &json!({
                "account": outcome.account, "newAccount": outcome.new_account,
                "order": outcome.order, "subscriptions": outcome.subscriptions,
                "events": events,
            }),
        ),
        Err(message) => json_response(400, &json!({ "message": message })),
    }
}

async fn admin_declines(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let Some(count) = value.get("count").and_then(Value::as_u64) else {
        return json_response(400, &json!({"message": "give {\"count\": n}"}));
    };
    let count = u32::try_from(count).unwrap_or(u32::MAX);
    let mut store = shared.store.lock().expect("store lock");
    if store.get(Kind::Subscriptions, &id).is_none() {
        return json_response(404, &json!({"message": format!("no subscription `{id}`")}));
    }
    store.billing_mut(&id).declines = count;
    json_response(200, &json!({ "subscription": id, "declines": count }))
}

async fn admin_scenarios() -> Response {
    let names: Vec<&str> = Scenario::ALL.iter().map(|s| s.name()).collect();
    json_response(200, &json!(names))
}

async fn admin_run_scenario(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
) -> Response {
    match Scenario::from_name(&name) {
        Some(scenario) => json_response(200, &scenarios::run(&shared, scenario).to_json()),
        None => {
            let names: Vec<&str> = Scenario::ALL.iter().map(|s| s.name()).collect();
            json_response(
                404,
                &json!({"message": format!("no scenario `{name}`"), "scenarios": names}),
            )
        }
    }
}
