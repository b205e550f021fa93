//! What the mock answers on the wire: request validation in FastSpring's error formats,
//! state that later reads see, faults, the rate limit and the admin API. Plain HTTP
//! (reqwest + JSON), as any app's HTTP client would see it.

use std::time::Duration;

use fastspring_mock::{Fault, Kind, MockServer, Seed};
use serde_json::{Value, json};

fn http() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// `GET url`, its JSON body.
async fn get_json(url: &str) -> Value {
    http().get(url).send().await.unwrap().json().await.unwrap()
}

/// A request with the User-Agent and Basic credentials FastSpring requires.
fn api(method: reqwest::Method, url: String) -> reqwest::RequestBuilder {
    http()
        .request(method, url)
        .header("user-agent", "http-behaviour-test/1.0")
        .basic_auth("user", Some("password"))
}

async fn call(mock: &MockServer, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut request = api(
        reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
        format!("{}{path}", mock.base_url()),
    );
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

// ---- validation ----

#[tokio::test]
async fn a_request_without_user_agent_or_credentials_is_refused_with_401_naming_what_is_missing() {
    let mock = MockServer::start().await;
    let url = format!("{}/accounts", mock.base_url());
    let no_agent = http()
        .get(&url)
        .basic_auth("u", Some("p"))
        .send()
        .await
        .unwrap();
    assert_eq!(no_agent.status(), 401);
    assert_eq!(
        no_agent.json::<Value>().await.unwrap()["params"],
        json!(["User-Agent"])
    );

    let no_auth = http()
        .get(&url)
        .header("user-agent", "t/1")
        .send()
        .await
        .unwrap();
    assert_eq!(no_auth.status(), 401);
    assert_eq!(
        no_auth.json::<Value>().await.unwrap()["params"],
        json!(["Authorization"])
    );

    // Checkout sessions on behalf of a buyer need no credentials.
    let anonymous = http()
        .post(format!(
            "{}/v2/checkouts/store/checkout/sessions",
            mock.base_url()
        ))
        .header("user-agent", "t/1")
        .json(&json!({ "locale": "en" }))
        .send()
        .await
        .unwrap();
    assert!(anonymous.status().is_success(), "{}", anonymous.status());

    let strict = MockServer::builder()
        .credentials("me", "secret")
        .start()
        .await
        .unwrap();
    let wrong = api(
        reqwest::Method::GET,
        format!("{}/accounts", strict.base_url()),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(wrong.status(), 401);
    assert!(
        strict
            .client_builder()
            .build()
            .unwrap()
            .accounts()
            .list()
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn a_body_missing_a_required_field_gets_fastsprings_action_error_naming_the_field() {
    let mock = MockServer::start().await;
    let (status, body) = call(
        &mock,
        "POST",
        "/accounts",
        Some(json!({"contact": {"first": "Ada", "email": "ada@example.com"}})),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({"action": "account.create", "result": "error", "error": {"contact.last": "required"}})
    );
}

#[tokio::test]
async fn mistyped_bodies_and_query_parameters_are_refused_naming_the_field() {
    let mock = MockServer::start().await;
    let (status, body) = call(
        &mock,
        "POST",
        "/subscriptions/AmYzjmPbSbWYkESv7MnwwA/pause",
        Some(json!({"pausePeriodCount": "two"})),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["error"],
        json!({"pausePeriodCount": "must be an integer"})
    );

    let (status, body) = call(&mock, "GET", "/accounts?limit=many", None).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], json!({"limit": "must be an integer"}));

    let (status, body) = call(&mock, "GET", "/orders?status=lost", None).await;
    assert_eq!(status, 400);
    assert!(
        body["error"]["status"]
            .as_str()
            .unwrap()
            .starts_with("must be one of"),
        "{body}"
    );

    let response = api(
        reqwest::Method::POST,
        format!("{}/accounts", mock.base_url()),
    )
    .header("content-type", "application/json")
    .body("{not json")
    .send()
    .await
    .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.json::<Value>().await.unwrap()["error"]["body"],
        "unreadable: not JSON"
    );

    let (status, _) = call(
        &mock,
        "POST",
        "/subscriptions/AmYzjmPbSbWYkESv7MnwwA/pause",
        None,
    )
    .await;
    assert_eq!(status, 400, "a required body that is missing");
}

#[tokio::test]
async fn checkout_session_errors_use_the_v2_format_with_the_field_and_rejected_value() {
    let mock = MockServer::start().await;
    let (status, body) = call(
        &mock,
        "POST",
        "/v2/checkouts/store/checkout/sessions",
        Some(json!({"locale": 5})),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["status"], "400 BAD_REQUEST");
    assert_eq!(body["errors"][0]["field"], "locale");
    assert_eq!(body["errors"][0]["rejectedValue"], 5);
}

#[tokio::test]
async fn unknown_paths_are_404_and_known_paths_with_another_method_are_405() {
    let mock = MockServer::start().await;
    assert_eq!(call(&mock, "GET", "/nothing/here", None).await.0, 404);
    assert_eq!(call(&mock, "PATCH", "/accounts", None).await.0, 405);
}

// ---- state ----

#[tokio::test]
async fn accounts_create_get_list_update_are_reflected_and_duplicates_refused() {
    let mock = MockServer::start().await;
    let (status, created) = call(
        &mock,
        "POST",
        "/accounts",
        Some(json!({
            "contact": {"first": "Ada", "last": "Lovelace", "email": "ada@example.com"},
            "lookup": {"custom": "crm-42"}
        })),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(created["result"], "success");
    let id = created["account"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 22);

    let (status, account) = call(&mock, "GET", &format!("/accounts/{id}"), None).await;
    assert_eq!(status, 200);
    assert_eq!(account["contact"]["email"], "ada@example.com");
    assert_eq!(account["lookup"]["custom"], "crm-42");

    let (_, listed) = call(&mock, "GET", "/accounts?limit=500", None).await;
    assert!(listed["accounts"].as_array().unwrap().contains(&json!(id)));
    let (_, by_email) = call(&mock, "GET", "/accounts?email=ada@example.com", None).await;
    assert_eq!(by_email["accounts"][0]["account"], json!(id));

    let (status, _) = call(
        &mock,
        "POST",
        &format!("/accounts/{id}"),
        Some(json!({
            "contact": {"first": "Augusta", "last": "Lovelace", "email": "ada@example.com"},
            "language": "fr"
        })),
    )
    .await;
    assert_eq!(status, 200);
    let (_, account) = call(&mock, "GET", &format!("/accounts/{id}"), None).await;
    assert_eq!(account["contact"]["first"], "Augusta");
    assert_eq!(account["language"], "fr");
    assert_eq!(
        account["lookup"]["custom"], "crm-42",
        "fields not sent are kept"
    );

    let (status, duplicate) = call(
        &mock,
        "POST",
        "/accounts",
        Some(json!({
            "contact": {"first": "A", "last": "L", "email": "ADA@example.com"}
        })),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        duplicate["error"]["email"],
        format!("email already exists, /accounts/{id}")
    );

    let types: Vec<Value> = mock
        .events()
        .iter()
        .map(|e| e["type"].clone())
        .filter(|t| t.as_str().unwrap().starts_with("account."))
        .collect();
    assert_eq!(
        types,
        vec![json!("account.created"), json!("account.updated")]
    );

    let (status, missing) = call(&mock, "GET", "/accounts/no-such-account", None).await;
    assert_eq!(status, 400);
    assert_eq!(missing["result"], "error");
}

#[tokio::test]
async fn two_mocks_do_not_share_state() {
    let (a, b) = (MockServer::start().await, MockServer::start().await);
    let (_, created) = call(
        &a,
        "POST",
        "/accounts",
        Some(json!({"contact": {"first": "A", "last": "B", "email": "a@b.c"}})),
    )
    .await;
    let id = created["account"].as_str().unwrap();
    assert_eq!(
        call(&a, "GET", &format!("/accounts/{id}"), None).await.0,
        200
    );
    assert_eq!(
        call(&b, "GET", &format!("/accounts/{id}"), None).await.0,
        400
    );
}

#[tokio::test]
async fn products_create_update_delete_are_reflected_in_reads() {
    let mock = MockServer::start().await;
    let (status, created) = call(&mock, "POST", "/products", Some(json!({"products": [
        {"product": "mock-widget", "display": {"en": "Widget"}, "pricing": {"price": {"USD": 5}}}
    ]}))).await;
    assert_eq!(status, 200);
    assert_eq!(created["products"][0]["action"], "product.create");
    let (_, updated) = call(
        &mock,
        "POST",
        "/products",
        Some(json!({"products": [
            {"product": "mock-widget", "display": {"en": "Widget Pro"}}
        ]})),
    )
    .await;
    assert_eq!(updated["products"][0]["action"], "product.update");
    let (_, got) = call(&mock, "GET", "/products/mock-widget", None).await;
    assert_eq!(got["products"][0]["display"]["en"], "Widget Pro");
    assert_eq!(got["products"][0]["pricing"]["price"]["USD"], 5);
    let (_, listed) = call(&mock, "GET", "/products?limit=500", None).await;
    assert!(
        listed["products"]
            .as_array()
            .unwrap()
            .contains(&json!("mock-widget"))
    );

    let (_, deleted) = call(&mock, "DELETE", "/products/mock-widget", None).await;
    assert_eq!(deleted["products"][0]["result"], "success");
    let (_, gone) = call(&mock, "GET", "/products/mock-widget", None).await;
    assert_eq!(gone["products"][0]["result"], "error");
}

#[tokio::test]
async fn coupons_and_their_codes_are_reflected_in_reads() {
    let mock = MockServer::start().await;
    let (status, created) = call(
        &mock,
        "POST",
        "/coupons",
        Some(json!({
            "coupon": "spring-sale", "discount": {"type": "percent", "percent": 20}
        })),
    )
    .await;
    assert_eq!(
        (status, created["action"].clone()),
        (200, json!("coupon.create"))
    );
    call(
        &mock,
        "POST",
        "/coupons/spring-sale",
        Some(json!({"codes": ["SPRING1", "SPRING2"]})),
    )
    .await;
    let (_, codes) = call(&mock, "GET", "/coupons/spring-sale/codes", None).await;
    assert_eq!(codes["codes"], json!(["SPRING1", "SPRING2"]));
    let (_, coupon) = call(&mock, "GET", "/coupons/spring-sale", None).await;
    assert_eq!(coupon["discount"]["percent"], 20);
    let (_, listed) = call(&mock, "GET", "/coupons", None).await;
    assert!(
        listed["coupons"]
            .as_array()
            .unwrap()
            .contains(&json!("spring-sale"))
    );

    let (_, removed) = call(&mock, "DELETE", "/coupons/spring-sale/codes", None).await;
    assert_eq!(removed["codes deleted"], json!(["SPRING1", "SPRING2"]));
    let (_, codes) = call(&mock, "GET", "/coupons/spring-sale/codes", None).await;
    assert_eq!(codes["codes"], json!([]));
    call(&mock, "DELETE", "/coupons/spring-sale", None).await;
    let (status, gone) = call(&mock, "GET", "/coupons/spring-sale", None).await;
    assert_eq!((status, gone["result"].clone()), (400, json!("error")));
}

#[tokio::test]
async fn orders_are_seeded_from_the_spec_and_tag_updates_are_reflected() {
    let mock = MockServer::start().await;
    let (_, listed) = call(&mock, "GET", "/orders", None).await;
    let id = listed["orders"][0]
        .as_str()
        .expect("the spec's example orders are seeded")
        .to_string();
    let (status, result) = call(
        &mock,
        "POST",
        "/orders",
        Some(json!({"orders": [
            {"order": id, "tags": {"crm": "synced"}},
            {"order": "no-such-order", "tags": {"x": "y"}}
        ]})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(result["orders"][0]["result"], "success");
    assert_eq!(result["orders"][1]["result"], "error");
    let (_, order) = call(&mock, "GET", &format!("/orders/{id}"), None).await;
    assert_eq!(order["tags"]["crm"], "synced");
}

#[tokio::test]
async fn a_subscription_canceled_then_uncanceled_reads_back_active_with_both_events() {
    let mock = MockServer::builder()
        .seed(Seed::new().subscription("sub-1", "acct-1", "monthly-plan"))
        .start()
        .await
        .unwrap();
    let (_, result) = call(&mock, "DELETE", "/subscriptions/sub-1", None).await;
    assert_eq!(result["subscriptions"][0]["result"], "success");
    let (_, sub) = call(&mock, "GET", "/subscriptions/sub-1", None).await;
    assert_eq!(sub["state"], "canceled");
    assert!(sub["deactivationDate"].is_i64());

    let (_, result) = call(
        &mock,
        "POST",
        "/subscriptions",
        Some(json!({"subscriptions": [{"subscription": "sub-1", "deactivation": null}]})),
    )
    .await;
    assert_eq!(result["subscriptions"][0]["result"], "success");
    let (_, sub) = call(&mock, "GET", "/subscriptions/sub-1", None).await;
    assert_eq!(sub["state"], "active");
    assert_eq!(sub["deactivationDate"], Value::Null);

    let (_, filtered) = call(&mock, "GET", "/subscriptions?accountId=acct-1", None).await;
    assert_eq!(filtered["subscriptions"][0]["id"], "sub-1");

    let (_, result) = call(
        &mock,
        "DELETE",
        "/subscriptions/sub-1?billingPeriod=0",
        None,
    )
    .await;
    assert_eq!(result["subscriptions"][0]["result"], "success");
    let (_, sub) = call(&mock, "GET", "/subscriptions/sub-1", None).await;
    assert_eq!(
        (sub["state"].clone(), sub["active"].clone()),
        (json!("deactivated"), json!(false))
    );

    let types: Vec<String> = mock
        .events()
        .iter()
        .filter(|e| e["data"]["id"] == "sub-1")
        .map(|e| e["type"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        types,
        [
            "subscription.canceled",
            "subscription.uncanceled",
            "subscription.deactivated"
        ],
        "an immediate cancellation sends only subscription.deactivated"
    );
}

#[tokio::test]
async fn events_move_from_unprocessed_to_processed_when_marked() {
    let mock = MockServer::start().await;
    let (_, before) = call(&mock, "GET", "/events/unprocessed", None).await;
    assert_eq!(
        before["events"],
        json!([]),
        "a fresh mock has nothing to process"
    );
    let event = mock.emit("order.completed", None);
    let id = event["id"].as_str().unwrap();
    assert!(
        event["data"]["order"].is_string() || event["data"]["id"].is_string(),
        "spec example data: {}",
        event["data"]
    );
    let (_, unprocessed) = call(&mock, "GET", "/events/unprocessed", None).await;
    assert_eq!(unprocessed["events"][0]["id"], json!(id));
    let (status, marked) = call(
        &mock,
        "POST",
        &format!("/events/{id}"),
        Some(json!({"processed": true})),
    )
    .await;
    assert_eq!((status, marked["processed"].clone()), (200, json!(true)));
    let (_, unprocessed) = call(&mock, "GET", "/events/unprocessed", None).await;
    assert_eq!(unprocessed["events"], json!([]));
    let (_, processed) = call(&mock, "GET", "/events/processed", None).await;
    assert!(
        processed["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["id"] == json!(id))
    );
}

#[tokio::test]
async fn seeded_objects_are_served_and_the_admin_api_seeds_and_lists_state() {
    let mock = MockServer::builder()
        .seed(Seed::new().object(
            Kind::Accounts,
            json!({"account": "seeded-1", "id": "seeded-1", "contact": {"email": "s@example.com"}}),
        ))
        .start()
        .await
        .unwrap();
    assert_eq!(
        call(&mock, "GET", "/accounts/seeded-1", None).await.1["contact"]["email"],
        "s@example.com"
    );
    let response = http()
        .post(format!("{}/mock/admin/state/orders", mock.base_url()))
        .json(&json!({"id": "admin-order", "reference": "REF-1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(
        call(&mock, "GET", "/orders/admin-order", None).await.1["reference"],
        "REF-1"
    );
    assert_eq!(
        mock.object(Kind::Orders, "admin-order").unwrap()["reference"],
        "REF-1"
    );
    let listed: Value = get_json(&format!("{}/mock/admin/state/accounts", mock.base_url())).await;
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["account"] == "seeded-1")
    );
}

// ---- faults ----

#[tokio::test]
async fn status_faults_answer_429_with_and_without_retry_after_and_5xx_then_stop() {
    let mock = MockServer::start().await;
    mock.inject(Fault::rate_limited(Some(7)).on("listOrders").times(1));
    mock.inject(Fault::rate_limited(None).on("listAccounts").times(1));
    mock.inject(Fault::status(503).times(1));
    let url = |p: &str| format!("{}{p}", mock.base_url());

    let r = api(reqwest::Method::GET, url("/orders"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        (
            r.status().as_u16(),
            r.headers()["retry-after"].to_str().unwrap()
        ),
        (429, "7")
    );
    let r = api(reqwest::Method::GET, url("/accounts"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert!(r.headers().get("retry-after").is_none());
    let r = api(reqwest::Method::GET, url("/coupons"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    for path in ["/orders", "/accounts", "/coupons"] {
        assert_eq!(
            api(reqwest::Method::GET, url(path))
                .send()
                .await
                .unwrap()
                .status(),
            200,
            "{path}"
        );
    }
}

#[tokio::test]
async fn a_reset_fault_drops_the_connection_without_an_answer() {
    let mock = MockServer::start().await;
    mock.inject(Fault::reset().on("getOrder").times(1));
    let url = format!("{}/orders/abc", mock.base_url());
    let error = api(reqwest::Method::GET, url.clone())
        .send()
        .await
        .unwrap_err();
    assert!(error.is_request() || error.is_connect(), "{error:?}");
    assert_eq!(
        api(reqwest::Method::GET, url)
            .send()
            .await
            .unwrap()
            .status(),
        400,
        "next request answered"
    );
}

#[tokio::test]
async fn a_truncated_body_fails_to_read_and_a_typed_call_reports_it() {
    let mock = MockServer::start().await;
    mock.inject(Fault::truncated().on("listOrders").times(1));
    let response = api(reqwest::Method::GET, format!("{}/orders", mock.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.bytes().await.is_err(),
        "the body ends before its Content-Length"
    );

    mock.inject(Fault::truncated().on("listOrders"));
    let client = mock
        .client_builder()
        .retry_policy(fastspring_api::RetryPolicy::never())
        .build()
        .unwrap();
    assert!(client.orders().list().await.is_err());
}

#[tokio::test]
async fn a_delay_fault_makes_a_short_client_timeout_fire() {
    let mock = MockServer::start().await;
    mock.inject(Fault::delay(Duration::from_secs(30)).on("listCoupons"));
    let client = mock
        .client_builder()
        .timeout(Duration::from_millis(100))
        .retry_policy(fastspring_api::RetryPolicy::never())
        .build()
        .unwrap();
    let error = client.coupons().list().await.unwrap_err();
    assert!(
        matches!(error, fastspring_api::Error::Timeout { .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn the_admin_api_adds_lists_and_clears_faults() {
    let mock = MockServer::start().await;
    let admin = format!("{}/mock/admin/faults", mock.base_url());
    let added = http()
        .post(&admin)
        .json(&json!({"operation": "getOrder", "status": 502}))
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), 201);
    let refused = http()
        .post(&admin)
        .json(&json!({"operation": "noSuchOperation", "status": 502}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    let listed: Value = get_json(&admin).await;
    assert_eq!(
        listed,
        json!([{"operation": "getOrder", "times": null, "status": 502, "retryAfter": null}])
    );
    assert_eq!(call(&mock, "GET", "/orders/x", None).await.0, 502);
    assert_eq!(call(&mock, "GET", "/orders/x", None).await.0, 502);
    assert_eq!(http().delete(&admin).send().await.unwrap().status(), 204);
    assert_eq!(call(&mock, "GET", "/orders/x", None).await.0, 400);
}

#[tokio::test]
async fn the_admin_api_refuses_interim_statuses_and_misspelled_operations_naming_the_problem() {
    let mock = MockServer::start().await;
    let admin = format!("{}/mock/admin/faults", mock.base_url());
    for (rule, says) in [
        (json!({"status": 101}), "fault status 101 refused"),
        (json!({"status": 100}), "interim"),
        (json!({"status": 600}), "fault status 600 refused"),
        (json!({"delayMs": 3_600_000}), "at most"),
        (
            json!({"operation": "getSubscriptions", "status": 500}),
            "did you mean `getSubscription`?",
        ),
    ] {
        let refused = http().post(&admin).json(&rule).send().await.unwrap();
        assert_eq!(refused.status(), 400, "{rule}");
        let body: Value = refused.json().await.unwrap();
        let message = body["message"].as_str().unwrap();
        assert!(message.contains(says), "{rule}: {message}");
    }
    let listed: Value = get_json(&admin).await;
    assert_eq!(listed, json!([]));
    // Nothing was added: the operation answers normally.
    assert_eq!(call(&mock, "GET", "/accounts", None).await.0, 200);
}

#[tokio::test]
async fn the_library_refuses_the_same_faults_and_a_refused_fault_never_fires() {
    let mock = MockServer::start().await;
    let typo = mock
        .try_inject(Fault::status(500).on("getSubscriptions"))
        .unwrap_err();
    assert!(typo.contains("did you mean `getSubscription`?"), "{typo}");
    let interim = mock.try_inject(Fault::status(101)).unwrap_err();
    assert!(interim.contains("fault status 101 refused"), "{interim}");
    assert_eq!(
        call(&mock, "GET", "/subscriptions/sub-x", None).await.0,
        400,
        "no fault fired: the mock's own not-found answer"
    );
    mock.try_inject(Fault::status(503).on("getSubscription").times(1))
        .unwrap();
    assert_eq!(
        call(&mock, "GET", "/subscriptions/sub-x", None).await.0,
        503
    );
}

#[tokio::test]
#[should_panic(
    expected = "fastspring-mock refused a fault: no operation `listSubscription` in the spec; did you mean `listSubscriptions`?"
)]
async fn inject_panics_at_a_misspelled_operation() {
    let mock = MockServer::start().await;
    mock.inject(Fault::status(500).on("listSubscription"));
}

#[tokio::test]
async fn rate_limit_mode_admits_250_requests_a_minute_then_answers_429_with_retry_after() {
    let mock = MockServer::start().await;
    let set = http()
        .put(format!("{}/mock/admin/rate-limit", mock.base_url()))
        .json(&json!({"perMinute": 250}))
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), 200);
    let url = format!("{}/coupons", mock.base_url());
    // One client for all requests (building one per request loads TLS roots each time).
    let client = http();
    let get = || {
        client
            .get(&url)
            .header("user-agent", "http-behaviour-test/1.0")
            .basic_auth("user", Some("password"))
    };
    for i in 0..250 {
        let status = get().send().await.unwrap().status();
        assert_eq!(status, 200, "request {i}");
    }
    let limited = get().send().await.unwrap();
    assert_eq!(limited.status(), 429);
    let wait: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait));
    mock.set_rate_limit(None);
    assert_eq!(get().send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn rate_limit_mode_takes_a_short_window_for_tests_that_must_finish_in_seconds() {
    let mock = MockServer::start().await;
    let client = http();
    let admin = format!("{}/mock/admin/rate-limit", mock.base_url());
    for bad in [
        json!({"limit": 3}),
        json!({"limit": 0, "windowMs": 1000}),
        json!({"limit": 3, "windowMs": -1}),
        json!({"perMinute": 250, "limit": 3, "windowMs": 1000}),
        json!({}),
    ] {
        let refused = client.put(&admin).json(&bad).send().await.unwrap();
        assert_eq!(refused.status(), 400, "{bad}");
    }
    let set = client
        .put(&admin)
        .json(&json!({"limit": 3, "windowMs": 1500}))
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), 200);
    let echoed: serde_json::Value = set.json().await.unwrap();
    assert_eq!(echoed["limit"], 3);
    assert_eq!(echoed["windowMs"], 1500);
    let url = format!("{}/coupons", mock.base_url());
    let get = || {
        client
            .get(&url)
            .header("user-agent", "http-behaviour-test/1.0")
            .basic_auth("user", Some("password"))
    };
    let started = std::time::Instant::now();
    for i in 0..3 {
        assert_eq!(get().send().await.unwrap().status(), 200, "request {i}");
    }
    let limited = get().send().await.unwrap();
    assert_eq!(limited.status(), 429);
    // Whole seconds, rounded up: the window frees in at most 1.5 s.
    assert_eq!(limited.headers()["retry-after"], "2");
    // Once the window has passed, requests are admitted again.
    tokio::time::sleep(Duration::from_millis(1500).saturating_sub(started.elapsed())).await;
    assert_eq!(get().send().await.unwrap().status(), 200);
    let off = client
        .put(&admin)
        .json(&json!({"limit": null}))
        .send()
        .await
        .unwrap();
    assert_eq!(off.status(), 200);
}

#[tokio::test]
async fn the_admin_index_lists_every_operation() {
    let mock = MockServer::start().await;
    let ops: Value = get_json(&format!("{}/mock/admin/operations", mock.base_url())).await;
    assert_eq!(
        ops.as_array().unwrap().len(),
        fastspring_mock::operation_ids().count()
    );
    assert!(
        ops.as_array()
            .unwrap()
            .iter()
            .any(|o| o["operationId"] == "createCheckoutSession" && o["anonymous"] == true)
    );
}
