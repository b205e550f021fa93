//! Typed seeds, a stateful `estimateSubscription`, a prorated plan change through the
//! API, and a paused subscription resumed through the API: what an app's tests see on
//! the wire (plain HTTP and JSON), each answer checked against the client's generated
//! type for it.

use fastspring_api::payload::{self, Outcome};
use fastspring_api::registry::Part;
use fastspring_api::webhooks::Event;
use fastspring_mock::{AccountSeed, MockServer, OrderSeed, ProductSeed, Seed};
use serde_json::{Value, json};

/// 2025-01-01T00:00:00Z: January has 31 days, so fractions of the period are visible.
fn jan1() -> jiff::Timestamp {
    "2025-01-01T00:00:00Z".parse().unwrap()
}

fn http() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// Calls the API and checks a 2xx answer against the client's type for `operation`.
async fn call(
    mock: &MockServer,
    operation: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = http()
        .request(
            reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
            format!("{}{path}", mock.base_url()),
        )
        .header("user-agent", "seeds-test/1.0")
        .basic_auth("user", Some("password"));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let value: Value = response.json().await.unwrap();
    if (200..300).contains(&status) {
        let shapes: Vec<_> = payload::shapes_for_operation(operation)
            .into_iter()
            .filter(|s| s.part == Part::Response(status))
            .collect();
        match payload::check_response(&shapes, &value) {
            Outcome::Ok | Outcome::Drift(_) => {}
            other => panic!("{operation}: {}", other.summary()),
        }
    }
    (status, value)
}

/// `POST /subscriptions/estimate` with this body: the preview of a change.
async fn preview(mock: &MockServer, body: Value) -> (u16, Value) {
    call(
        mock,
        "estimateSubscription",
        "POST",
        "/subscriptions/estimate",
        Some(body),
    )
    .await
}

/// `GET /subscriptions/{id}`: the subscription as the API answers it (checked).
async fn subscription(mock: &MockServer, id: &str) -> Value {
    let path = format!("/subscriptions/{id}");
    call(mock, "getSubscription", "GET", &path, None).await.1
}

/// `POST /subscriptions` with this body.
async fn update(mock: &MockServer, body: Value) -> (u16, Value) {
    call(
        mock,
        "updateSubscriptions",
        "POST",
        "/subscriptions",
        Some(body),
    )
    .await
}

fn types(events: &[Value]) -> Vec<&str> {
    events.iter().filter_map(|e| e["type"].as_str()).collect()
}

fn assert_decodes(events: &[Value]) {
    for raw in events {
        let event = Event::from_json(raw.clone()).expect("event header");
        assert!(event.data.is_ok(), "{} does not decode", event.event_type);
    }
}

#[tokio::test]
async fn typed_seeds_serve_accounts_orders_and_products_shaped_like_fastsprings() {
    let mock = MockServer::builder()
        .start_time(jan1())
        .seed(
            Seed::new()
                .product(
                    ProductSeed::new("pro-monthly")
                        .display("Pro")
                        .price(29.0)
                        .price_in("EUR", 27.5)
                        .every("month", 1),
                )
                .account(
                    AccountSeed::new("acct-ada", "ada@example.com")
                        .name("Ada", "Lovelace")
                        .company("Analytical Engines")
                        .country("GB")
                        .custom_key("user-42"),
                )
                .order(
                    OrderSeed::new("order-1", "acct-ada")
                        .item("pro-monthly", 2, 29.0)
                        .item("extra-seat", 1, 4.99)
                        .reference("ADA250101-0001"),
                ),
        )
        .start()
        .await
        .unwrap();

    let (status, account) = call(&mock, "getAccount", "GET", "/accounts/acct-ada", None).await;
    assert_eq!(status, 200);
    assert_eq!(account["account"], "acct-ada");
    assert_eq!(account["id"], "acct-ada");
    assert_eq!(
        account["contact"],
        json!({"first": "Ada", "last": "Lovelace", "email": "ada@example.com", "company": "Analytical Engines"})
    );
    assert_eq!(account["country"], "GB");
    assert_eq!(account["orders"], json!(["order-1"]));
    let (_, found) = call(
        &mock,
        "listAccounts",
        "GET",
        "/accounts?email=ada@example.com",
        None,
    )
    .await;
    assert_eq!(found["accounts"][0]["account"], "acct-ada");
    let (_, by_key) = call(
        &mock,
        "listAccounts",
        "GET",
        "/accounts?custom=user-42",
        None,
    )
    .await;
    assert_eq!(by_key["accounts"][0]["account"], "acct-ada");

    let (status, order) = call(&mock, "getOrder", "GET", "/orders/order-1", None).await;
    assert_eq!(status, 200);
    assert_eq!(order["id"], "order-1");
    assert_eq!(order["account"], "acct-ada");
    assert_eq!(order["reference"], "ADA250101-0001");
    assert_eq!(order["currency"], "USD");
    assert_eq!(order["total"], json!(62.99));
    assert_eq!(order["items"][0]["subtotal"], json!(58.0));
    assert_eq!(order["items"][1]["product"], "extra-seat");
    assert_eq!(order["changed"], json!(jan1().as_millisecond()));

    let (_, products) = call(&mock, "getProduct", "GET", "/products/pro-monthly", None).await;
    let product = &products["products"][0];
    assert_eq!(product["display"], json!({"en": "Pro"}));
    assert_eq!(
        product["pricing"]["price"],
        json!({"USD": 29.0, "EUR": 27.5})
    );
    assert_eq!(product["pricing"]["interval"], "month");
}

/// Basic ($10) and Pro ($25) monthly plans; `sub-1` on Basic since January 1; the
/// clock on January 16 (16 of January's 31 days left).
async fn mid_period() -> MockServer {
    let mock = MockServer::builder()
        .start_time(jan1())
        .seed(
            Seed::new()
                .product(
                    ProductSeed::new("basic")
                        .display("Basic")
                        .price(10.0)
                        .every("month", 1),
                )
                .product(
                    ProductSeed::new("pro")
                        .display("Pro")
                        .price(25.0)
                        .every("month", 1),
                )
                .subscription("sub-1", "acct-1", "basic"),
        )
        .start()
        .await
        .unwrap();
    mock.advance_by(jiff::Span::new().days(15));
    mock
}

#[tokio::test]
async fn an_estimate_reflects_the_requested_product_and_quantity_and_changes_nothing() {
    let mock = mid_period().await;
    let (status, estimate) = preview(
        &mock,
        json!({"subscription": "sub-1", "product": "pro", "quantity": 2, "prorate": true}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(estimate["currentPlan"]["product"], "basic");
    assert_eq!(estimate["proposedPlan"]["product"], "pro");
    assert_eq!(estimate["proposedPlan"]["display"], "Pro");
    assert_eq!(estimate["proposedPlan"]["quantity"], 2);
    assert_eq!(estimate["proposedPlan"]["subtotal"], json!(50.0));
    assert_eq!(estimate["proposedPlan"]["prorationRemainingDays"], 16);
    assert_eq!(estimate["proposedPlan"]["prorationTotalDays"], 31);
    // Pro ×2 for 16/31 of a month, less Basic's credit for the same: 25.81 - 5.16.
    assert_eq!(
        estimate["currentPlan"]["subscriptionProratedCredit"],
        json!(5.16)
    );
    assert_eq!(
        estimate["proposedPlan"]["subscriptionProratedCharge"],
        json!(25.81)
    );
    assert_eq!(estimate["amountDue"]["totalAmountDue"], json!(20.65));
    assert_eq!(estimate["amountDue"]["totalAmountDueDisplay"], "$20.65");
    assert_eq!(estimate["amountDue"]["nextChargeAmount"], json!(50.0));
    assert_eq!(estimate["isProratable"], true);
    assert_eq!(
        estimate["nextChargeDate"],
        json!(
            "2025-02-01T00:00:00Z"
                .parse::<jiff::Timestamp>()
                .unwrap()
                .as_millisecond()
        )
    );

    // A cheaper plan: a credit shown, nothing due.
    let (_, down) = preview(
        &mock,
        json!({"subscription": "sub-1", "quantity": 1, "pricing": {"price": {"USD": 5}}}),
    )
    .await;
    assert_eq!(down["proposedPlan"]["product"], "basic");
    assert_eq!(down["amountDue"]["prorationSubtotal"], json!(-2.58));
    assert_eq!(down["amountDue"]["totalAmountDue"], json!(0.0));

    let sub = subscription(&mock, "sub-1").await;
    assert_eq!(sub["product"], "basic", "an estimate changes nothing");
    assert_eq!(sub["quantity"], 1);

    let (status, unknown) = preview(
        &mock,
        json!({"subscription": "sub-1", "product": "no-such-plan"}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(unknown["error"]["product"], "Not a subscription product");

    let (status, missing) = preview(&mock, json!({"subscription": "nope", "product": "pro"})).await;
    assert_eq!(status, 404);
    assert_eq!(
        missing["error"]["subscription"],
        "Subscription ID does not exist: nope"
    );
}

#[tokio::test]
async fn a_prorated_plan_change_through_the_api_charges_what_the_estimate_showed() {
    let mock = mid_period().await;
    let (_, estimate) = preview(
        &mock,
        json!({"subscription": "sub-1", "product": "pro", "quantity": 2}),
    )
    .await;
    let before = mock.events().len();
    let (status, answer) = update(
        &mock,
        json!({"subscriptions": [
            {"subscription": "sub-1", "product": "pro", "quantity": 2, "prorate": true}
        ]}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(answer["subscriptions"][0]["result"], "success");
    assert_eq!(answer["subscriptions"][0]["prorated"], true);

    let events = mock.events()[before..].to_vec();
    assert_eq!(
        types(&events),
        ["subscription.updated", "subscription.charge.completed"]
    );
    assert_decodes(&events);
    let charge = &events[1]["data"];
    assert_eq!(charge["total"], estimate["amountDue"]["totalAmountDue"]);
    assert_eq!(charge["total"], json!(20.65));
    assert_eq!(charge["subscription"]["product"], "pro");
    let order_id = charge["order"]["id"].as_str().unwrap();
    let (_, order) = call(
        &mock,
        "getOrder",
        "GET",
        &format!("/orders/{order_id}"),
        None,
    )
    .await;
    assert_eq!(order["total"], json!(20.65));
    assert_eq!(order["items"][0]["product"], "pro");
    assert_eq!(order["items"][0]["subscription"], "sub-1");

    let sub = subscription(&mock, "sub-1").await;
    assert_eq!(sub["product"], "pro");
    assert_eq!(sub["quantity"], 2);
    assert_eq!(sub["price"], json!(25.0));
    assert_eq!(sub["subtotal"], json!(50.0));

    // The next renewal charges the new plan in full.
    let renewal = mock.advance_by(jiff::Span::new().days(17));
    let completed: Vec<&Value> = renewal
        .iter()
        .map(|e| &**e)
        .filter(|e| {
            e["type"] == "subscription.charge.completed"
                && e["data"]["subscription"]["id"] == "sub-1"
        })
        .collect();
    assert_eq!(completed.len(), 1);
    assert_eq!(completed[0]["data"]["total"], json!(50.0));
}

#[tokio::test]
async fn a_trial_changes_plan_without_a_proration_charge() {
    use fastspring_mock::Checkout;
    let mock = MockServer::builder()
        .start_time(jan1())
        .seed(
            Seed::new()
                .product(
                    ProductSeed::new("basic")
                        .price(10.0)
                        .every("month", 1)
                        .trial_days(14),
                )
                .product(ProductSeed::new("pro").price(25.0).every("month", 1)),
        )
        .start()
        .await
        .unwrap();
    let bought = mock
        .complete_checkout(&Checkout::new("trial@example.com").item("basic", 1))
        .unwrap();
    let id = &bought.subscriptions[0];
    let (_, estimate) = preview(&mock, json!({"subscription": id, "product": "pro"})).await;
    assert_eq!(estimate["isProratable"], false);
    assert_eq!(estimate["prorationStatus"], "TRIAL");
    let before = mock.events().len();
    let (_, answer) = update(
        &mock,
        json!({"subscriptions": [{"subscription": id, "product": "pro", "prorate": true}]}),
    )
    .await;
    assert_eq!(answer["subscriptions"][0]["result"], "success");
    assert_eq!(answer["subscriptions"][0]["prorated"], false);
    assert_eq!(types(&mock.events()[before..]), ["subscription.updated"]);
    assert_eq!(
        mock.object(fastspring_mock::Kind::Subscriptions, id)
            .unwrap()["product"],
        "pro"
    );
}

#[tokio::test]
async fn a_prorated_change_to_an_unknown_product_is_refused_per_item() {
    let mock = mid_period().await;
    let before = mock.events().len();
    let (_, answer) = update(
        &mock,
        json!({"subscriptions": [
            {"subscription": "sub-1", "product": "no-such-plan", "prorate": true}
        ]}),
    )
    .await;
    assert_eq!(answer["subscriptions"][0]["result"], "error");
    assert_eq!(
        answer["subscriptions"][0]["error"]["product"],
        "Not a subscription product"
    );
    assert_eq!(
        mock.events().len(),
        before,
        "nothing changed, nothing charged"
    );
}

#[tokio::test]
async fn resuming_a_paused_subscription_through_the_api_charges_it_and_starts_a_new_period() {
    let mock = MockServer::builder()
        .start_time(jan1())
        .seed(Seed::new().subscription("sub-1", "acct-1", "basic"))
        .start()
        .await
        .unwrap();
    let (status, _) = call(
        &mock,
        "pauseSubscription",
        "POST",
        "/subscriptions/sub-1/pause",
        Some(json!({"pausePeriodCount": 2})),
    )
    .await;
    assert_eq!(status, 200);
    // The pause starts at the next billing date (February 1).
    let paused: Vec<Value> = mock
        .advance_to("2025-02-10T00:00:00Z".parse().unwrap())
        .into_iter()
        .filter(|e| e["data"]["id"] == "sub-1")
        .map(|event| event.to_value())
        .collect();
    assert_eq!(types(&paused), ["subscription.updated"]);
    let sub = subscription(&mock, "sub-1").await;
    assert_eq!(sub["state"], "paused");

    let before = mock.events().len();
    let (status, resumed) = call(
        &mock,
        "resumeSubscription",
        "POST",
        "/subscriptions/sub-1/resume",
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(resumed["state"], "active");
    let events = mock.events()[before..].to_vec();
    assert_eq!(
        types(&events),
        ["subscription.resumed", "subscription.charge.completed"]
    );
    assert_decodes(&events);
    assert_eq!(events[1]["data"]["total"], json!(10));
    let feb10 = "2025-02-10T00:00:00Z".parse::<jiff::Timestamp>().unwrap();
    let mar10 = "2025-03-10T00:00:00Z".parse::<jiff::Timestamp>().unwrap();
    assert_eq!(
        resumed["next"],
        json!(mar10.as_millisecond()),
        "a new period from now"
    );
    assert_eq!(resumed["resumeDate"], Value::Null);
    assert_eq!(
        events[1]["data"]["timestamp"],
        json!(feb10.as_millisecond())
    );

    // Resuming again changes nothing and charges nothing.
    let again = mock.events().len();
    call(
        &mock,
        "resumeSubscription",
        "POST",
        "/subscriptions/sub-1/resume",
        None,
    )
    .await;
    assert_eq!(mock.events().len(), again);
}
