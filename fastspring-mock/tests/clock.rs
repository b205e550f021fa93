//! The clock: advancing plays out renewals, reminders, trials, pauses, cancellations
//! and dunning in time order; every payload decodes with the client's types.

use fastspring_api::Access;
use fastspring_api::subscriptions::Subscription;
use fastspring_api::webhook_events::EventData;
use fastspring_api::webhooks::Event;
use fastspring_mock::{Checkout, Kind, MockServer, Scenario, Seed};
use serde_json::{Value, json};

/// 2025-01-31T00:00:00Z: month ends make calendar arithmetic visible.
fn jan31() -> jiff::Timestamp {
    "2025-01-31T00:00:00Z".parse().unwrap()
}

/// A mock at [`jan31`] with one monthly subscription, `sub-1`, due on February 28.
async fn one_subscription() -> MockServer {
    MockServer::builder()
        .start_time(jan31())
        .seed(Seed::new().subscription("sub-1", "acct-1", "plan"))
        .start()
        .await
        .unwrap()
}

async fn mock() -> MockServer {
    MockServer::builder()
        .start_time(jan31())
        .start()
        .await
        .unwrap()
}

fn types(events: &[impl std::borrow::Borrow<Value>]) -> Vec<&str> {
    events
        .iter()
        .filter_map(|e| e.borrow()["type"].as_str())
        .collect()
}

/// Every event decodes into the crate's typed data for its type (not `Unknown`).
fn assert_decodes(events: &[impl std::borrow::Borrow<Value>]) {
    for raw in events {
        let event = Event::from_json(raw.borrow().clone()).expect("event header");
        match &event.data {
            Ok(EventData::Unknown { .. }) => panic!("{} is not a known type", event.event_type),
            Ok(_) => {}
            Err(e) => panic!("{} does not decode: {e}", event.event_type),
        }
    }
}

/// Adds a product with this `pricing`.
fn product(mock: &MockServer, path: &str, pricing: Value) {
    mock.seed(Seed::new().object(Kind::Products, json!({"product": path, "pricing": pricing})))
        .unwrap();
}

fn ms(text: &str) -> i64 {
    text.parse::<jiff::Timestamp>().unwrap().as_millisecond()
}

#[tokio::test]
async fn every_scenario_tells_its_story_with_payloads_the_client_decodes() {
    let expected: [(Scenario, &[&str], &str, &str); 7] = [
        (
            Scenario::Renewal,
            &[
                "subscription.payment.reminder",
                "subscription.charge.completed",
            ],
            "active",
            "2025-03-31",
        ),
        (
            Scenario::RenewalFailedThenRecovered,
            &[
                "subscription.payment.reminder",
                "subscription.charge.failed",
                "subscription.charge.completed",
            ],
            "active",
            "2025-03-31",
        ),
        (
            Scenario::CancelAtPeriodEnd,
            &["subscription.canceled", "subscription.deactivated"],
            "deactivated",
            "2025-02-28",
        ),
        (
            Scenario::PauseAndResume,
            &[
                "subscription.paused",
                "subscription.updated",
                "subscription.charge.completed",
            ],
            "active",
            "2025-04-28",
        ),
        (
            Scenario::TrialConverts,
            &[
                "subscription.trial.reminder",
                "subscription.charge.completed",
            ],
            "active",
            "2025-03-14",
        ),
        (
            Scenario::TrialExpires,
            &["subscription.trial.reminder", "subscription.deactivated"],
            "deactivated",
            "2025-02-14",
        ),
        (
            Scenario::UpgradeProrated,
            &[
                "subscription.updated",
                "subscription.charge.completed",
                "subscription.payment.reminder",
                "subscription.charge.completed",
            ],
            "active",
            "2025-03-31",
        ),
    ];
    for (scenario, story, state, next) in expected {
        let mock = mock().await;
        let run = mock.run_scenario(scenario);
        let mut want = vec![
            "account.created",
            "order.completed",
            "subscription.activated",
        ];
        want.extend(story);
        assert_eq!(run.event_types(), want, "{scenario:?}");
        assert_decodes(&run.events);
        let sub = mock.object(Kind::Subscriptions, &run.subscription).unwrap();
        assert_eq!(sub["state"], state, "{scenario:?}");
        assert_eq!(sub["nextDisplayISO8601"], next, "{scenario:?}");
        assert_eq!(Scenario::from_name(scenario.name()), Some(scenario));
        // What an app reading the subscription concludes.
        let access = access_of(&sub, &mock);
        match state {
            "active" => assert!(
                matches!(
                    access,
                    Access::Active {
                        renews_on: Some(_),
                        ..
                    }
                ),
                "{scenario:?}: {access:?}"
            ),
            _ => assert!(
                matches!(access, Access::Ended { since: Some(_) }),
                "{scenario:?}: {access:?}"
            ),
        }
    }
}

fn access_of(sub: &Value, mock: &MockServer) -> Access {
    serde_json::from_value::<Subscription>(sub.clone())
        .expect("decodes")
        .access_at(mock.now())
}

#[tokio::test]
async fn every_transition_reads_as_the_access_an_app_expects() {
    let mock = mock().await;
    product(
        &mock,
        "trial",
        json!({"interval": "month", "trial": 14, "price": {"USD": 10}}),
    );
    let trial = mock
        .complete_checkout(&Checkout::new("t@example.com").item("trial", 1))
        .unwrap();
    let sub = |id: &str| mock.object(Kind::Subscriptions, id).unwrap();
    let id = &trial.subscriptions[0];
    let trial_end: jiff::Timestamp = "2025-02-14T00:00:00Z".parse().unwrap();
    assert_eq!(
        access_of(&sub(id), &mock),
        Access::Trial {
            until: Some(trial_end)
        }
    );
    mock.advance_to(trial_end);
    assert_eq!(
        access_of(&sub(id), &mock),
        Access::Active {
            renews_on: Some("2025-03-14T00:00:00Z".parse().unwrap()),
            ends_on: None
        }
    );
    // A pause of one period from the next billing date: active until then, paused during it.
    mock.client()
        .subscriptions()
        .pause(
            id.as_str(),
            fastspring_api::subscriptions::PauseSubscriptionRequest::new(1),
        )
        .await
        .unwrap();
    assert!(matches!(access_of(&sub(id), &mock), Access::Active { .. }));
    mock.advance_to("2025-03-20T00:00:00Z".parse().unwrap());
    let paused = access_of(&sub(id), &mock);
    assert_eq!(
        paused,
        Access::Paused {
            until: Some("2025-04-14T00:00:00Z".parse().unwrap())
        }
    );
    assert!(!paused.grants_access());
    mock.advance_to("2025-04-14T00:00:00Z".parse().unwrap());
    assert_eq!(
        access_of(&sub(id), &mock),
        Access::Active {
            renews_on: Some("2025-05-14T00:00:00Z".parse().unwrap()),
            ends_on: None
        }
    );
    // Declined: overdue (in the default grace), then dunning runs out: ended.
    mock.decline_charges(id, 5).unwrap();
    mock.advance_to("2025-05-15T00:00:00Z".parse().unwrap());
    assert!(matches!(
        access_of(&sub(id), &mock),
        Access::Overdue { in_grace: true, .. }
    ));
    mock.advance_by(jiff::Span::new().months(1));
    assert!(matches!(access_of(&sub(id), &mock), Access::Ended { .. }));
}

#[tokio::test]
async fn a_renewal_creates_a_rebill_order_moves_next_by_a_calendar_month_and_stamps_changed() {
    let mock = one_subscription().await;
    let sub = mock.object(Kind::Subscriptions, "sub-1").unwrap();
    assert_eq!(
        sub["next"],
        ms("2025-02-28T00:00:00Z"),
        "a month after January 31"
    );
    // Nothing falls due before `next`; no reminder without a reminder setting.
    assert!(
        mock.advance(std::time::Duration::from_secs(27 * 86_400))
            .iter()
            .all(|e| e["data"]["id"] != "sub-1")
    );
    let events = mock.advance_by(jiff::Span::new().days(1));
    let charge = events
        .iter()
        .find(|e| {
            e["type"] == "subscription.charge.completed"
                && e["data"]["subscription"]["id"] == "sub-1"
        })
        .expect("the renewal charge");
    assert_eq!(
        charge["created"],
        ms("2025-02-28T00:00:00Z"),
        "recorded when it fell due"
    );
    let order_id = charge["data"]["order"]["id"].as_str().unwrap();
    let order = mock
        .object(Kind::Orders, order_id)
        .expect("the rebill order is stored");
    assert_eq!(order["items"][0]["subscription"], "sub-1");
    assert!(
        order["reference"].as_str().unwrap().ends_with('B'),
        "rebill references end in B"
    );
    let sub = mock.object(Kind::Subscriptions, "sub-1").unwrap();
    assert_eq!(
        sub["next"],
        ms("2025-03-31T00:00:00Z"),
        "back on the 31st: the anchor is kept"
    );
    assert_eq!(sub["changed"], ms("2025-02-28T00:00:00Z"));
    assert_eq!(sub["sequence"], 2);
    assert_decodes(&events);
    // A year on: eleven more renewals, the last on 2026-01-31.
    let year = mock.advance_to("2026-02-01T00:00:00Z".parse().unwrap());
    let renewals = year
        .iter()
        .filter(|e| {
            e["type"] == "subscription.charge.completed"
                && e["data"]["subscription"]["id"] == "sub-1"
        })
        .count();
    assert_eq!(renewals, 11);
    assert_eq!(
        mock.object(Kind::Subscriptions, "sub-1").unwrap()["nextDisplayISO8601"],
        "2026-02-28"
    );
    assert_eq!(
        mock.now(),
        "2026-02-01T00:00:00Z".parse::<jiff::Timestamp>().unwrap()
    );
}

#[tokio::test]
async fn declined_charges_run_through_dunning_to_deactivation() {
    let mock = MockServer::builder()
        .start_time(jan31())
        .seed(
            Seed::new()
                .subscription("sub-1", "acct-1", "plan")
                .declines("sub-1", 9),
        )
        .start()
        .await
        .unwrap();
    let events: Vec<Value> = mock
        .advance_by(jiff::Span::new().months(2))
        .into_iter()
        .filter(|e| e["data"]["id"] == "sub-1" || e["data"]["subscription"]["id"] == "sub-1")
        .map(|event| event.to_value())
        .collect();
    // Default dunning (FastSpring's published sample): 2 weekly notices, cancellation a
    // week after the last.
    assert_eq!(
        types(&events),
        [
            "subscription.charge.failed",
            "subscription.charge.failed",
            "subscription.payment.overdue",
            "subscription.charge.failed",
            "subscription.payment.overdue",
            "subscription.deactivated",
        ]
    );
    let created: Vec<i64> = events
        .iter()
        .map(|e| e["created"].as_i64().unwrap())
        .collect();
    assert_eq!(
        created,
        [
            ms("2025-02-28T00:00:00Z"),
            ms("2025-03-07T00:00:00Z"),
            ms("2025-03-07T00:00:00Z"),
            ms("2025-03-14T00:00:00Z"),
            ms("2025-03-14T00:00:00Z"),
            ms("2025-03-21T00:00:00Z"),
        ]
    );
    assert_eq!(events[0]["data"]["subscription"]["state"], "overdue");
    assert_eq!(events[4]["data"]["paymentOverdue"]["sent"], 2);
    let sub = mock.object(Kind::Subscriptions, "sub-1").unwrap();
    assert_eq!(
        (sub["state"].clone(), sub["active"].clone()),
        (json!("deactivated"), json!(false))
    );
    assert_decodes(&events);
}

#[tokio::test]
async fn a_checkout_creates_the_buyer_the_order_and_the_subscription_once_per_buyer() {
    let mock = mock().await;
    product(
        &mock,
        "pro",
        json!({"interval": "year", "intervalLength": 1, "price": {"USD": 120}}),
    );
    let first = mock
        .complete_checkout(&Checkout::new("ada@example.com").item("pro", 2))
        .unwrap();
    assert!(first.new_account);
    let again = mock
        .complete_checkout(&Checkout::new("ADA@example.com").item("pro", 1))
        .unwrap();
    assert!(!again.new_account, "the same buyer by e-mail address");
    assert_eq!(again.account, first.account);
    let events = mock.events();
    let ours: Vec<&Value> = events
        .iter()
        .filter(|e| {
            e["data"]["account"] == json!(first.account) || e["data"]["id"] == json!(first.account)
        })
        .collect();
    assert_eq!(
        ours.iter()
            .filter_map(|e| e["type"].as_str())
            .collect::<Vec<_>>(),
        [
            "account.created",
            "order.completed",
            "subscription.activated",
            "order.completed",
            "subscription.activated"
        ]
    );
    let sub = mock
        .object(Kind::Subscriptions, &first.subscriptions[0])
        .unwrap();
    assert_eq!(sub["nextDisplayISO8601"], "2026-01-31", "a yearly plan");
    assert_eq!(sub["subtotal"], 240.0);
    let order = mock.object(Kind::Orders, &first.order).unwrap();
    assert_eq!(
        order["items"][0]["subscription"],
        json!(first.subscriptions[0])
    );
    assert!(
        mock.complete_checkout(&Checkout::new("x@example.com").item("nope", 1))
            .unwrap_err()
            .contains("nope")
    );
    let owned: Vec<Value> = ours.into_iter().cloned().collect();
    assert_decodes(&owned);
}

#[tokio::test]
async fn the_admin_api_reads_and_advances_the_clock_and_runs_scenarios() {
    let mock = mock().await;
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let url = |path: &str| format!("{}/mock/admin/{path}", mock.base_url());
    let get = |url: String| {
        let request = http.get(url);
        async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let clock: Value = get(url("clock")).await;
    assert_eq!(
        clock,
        json!({"now": ms("2025-01-31T00:00:00Z"), "iso": "2025-01-31T00:00:00.000Z"})
    );
    let advanced: Value = http
        .post(url("clock"))
        .json(&json!({"advance": "P1M"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(advanced["iso"], "2025-02-28T00:00:00.000Z");
    assert!(advanced["events"].is_array());
    let to = ms("2025-03-01T12:00:00Z");
    let moved: Value = http
        .post(url("clock"))
        .json(&json!({"to": to}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(moved["now"], to);
    for bad in [
        json!({"advance": "a month"}),
        json!({}),
        json!({"to": "soon"}),
    ] {
        let response = http.post(url("clock")).json(&bad).send().await.unwrap();
        assert_eq!(response.status(), 400, "{bad}");
    }
    let run: Value = http
        .post(url("scenarios/trial_expires"))
        // Admin writes are JSON (a web page cannot send that without CORS).
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        run["events"].as_array().unwrap().last().unwrap()["type"],
        "subscription.deactivated"
    );
    let sub = run["subscription"].as_str().unwrap();
    let declines = http
        .post(url(&format!("subscriptions/{sub}/declines")))
        .json(&json!({"count": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(declines.status(), 200);
    assert_eq!(
        http.post(url("subscriptions/nope/declines"))
            .json(&json!({"count": 1}))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        http.post(url("scenarios/nope"))
            .json(&json!({}))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let names: Value = get(url("scenarios")).await;
    assert_eq!(names.as_array().unwrap().len(), Scenario::ALL.len());
    product(
        &mock,
        "p",
        json!({"interval": "month", "price": {"USD": 5}}),
    );
    let checkout: Value = http
        .post(url("checkouts"))
        .json(&json!({"email": "grace@example.com", "items": [{"product": "p"}]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(checkout["newAccount"], true);
    assert_eq!(
        types(checkout["events"].as_array().unwrap()),
        [
            "account.created",
            "order.completed",
            "subscription.activated"
        ]
    );
    let bad = http
        .post(url("checkouts"))
        .json(&json!({"items": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn requests_write_the_mocks_time_not_the_machines() {
    let mock = one_subscription().await;
    mock.advance(std::time::Duration::from_secs(3600));
    mock.client().subscriptions().cancel("sub-1").await.unwrap();
    let sub = mock.object(Kind::Subscriptions, "sub-1").unwrap();
    assert_eq!(sub["canceledDate"], ms("2025-01-31T01:00:00Z"));
    assert_eq!(sub["changed"], ms("2025-01-31T01:00:00Z"));
    let canceled = mock
        .events()
        .into_iter()
        .find(|e| e["type"] == "subscription.canceled")
        .unwrap();
    assert_eq!(canceled["created"], ms("2025-01-31T01:00:00Z"));
}

/// The clock records its charges as what they are made of and builds their JSON when
/// read: read after later changes, each event still shows the subscription and the
/// order as they were at its charge.
#[tokio::test]
async fn charge_events_read_later_show_the_subscription_as_it_was_at_each_charge() {
    let mock = one_subscription().await;
    let charges: Vec<fastspring_mock::Event> = mock
        .advance_to("2025-05-01T00:00:00Z".parse().unwrap())
        .into_iter()
        .filter(|e| e.event_type() == "subscription.charge.completed")
        .collect();
    assert_eq!(charges.len(), 3, "February 28, March 31, April 30");
    let after_last = mock.object(Kind::Subscriptions, "sub-1").unwrap();
    mock.client().subscriptions().cancel("sub-1").await.unwrap();
    assert_eq!(
        mock.object(Kind::Subscriptions, "sub-1").unwrap()["state"],
        "canceled"
    );
    // First read of the events' JSON, after the cancellation.
    let expected = [
        ("2025-02-28", "2025-03-31", 2),
        ("2025-03-31", "2025-04-30", 3),
        ("2025-04-30", "2025-05-31", 4),
    ];
    for (event, (charged, next, sequence)) in charges.iter().zip(expected) {
        let sub = &event["data"]["subscription"];
        assert_eq!(sub["state"], "active", "{charged}");
        assert_eq!(sub["changedDisplayISO8601"], charged);
        assert_eq!(sub["changed"], event["created"]);
        assert_eq!(sub["nextDisplayISO8601"], next);
        assert_eq!(sub["nextChargeDateDisplayISO8601"], next);
        assert_eq!(sub["sequence"], sequence);
        assert_eq!(event["data"]["sequence"], sequence);
        assert_eq!(event.created(), Some(ms(&format!("{charged}T00:00:00Z"))));
        let order_id = event["data"]["order"]["id"].as_str().unwrap();
        assert_eq!(
            event["data"]["order"],
            mock.object(Kind::Orders, order_id).unwrap(),
            "the event's order is the stored order"
        );
    }
    assert_eq!(
        charges[2]["data"]["subscription"], after_last,
        "the last charge's subscription is the stored one as that charge left it"
    );
    // The listing (the last 30 days) shows the same JSON, `processed` as it stands.
    let listed = mock
        .events()
        .into_iter()
        .find(|e| e["id"] == charges[2].id())
        .unwrap();
    assert_eq!(listed, *charges[2]);
    assert_decodes(&charges);
}
