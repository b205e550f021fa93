//! The clock: advancing plays out renewals, reminders, trials, pauses, cancellations
//! and dunning in time order; every payload decodes with the client's types.

use fastspring_api::webhook_events::EventData;
use fastspring_api::webhooks::Event;
use fastspring_mock::{Checkout, Kind, MockServer, Scenario, Seed};
use serde_json::{Value, json};

/// 2025-01-31T00:00:00Z: month ends make calendar arithmetic visible.
fn jan31() -> jiff::Timestamp {
    "2025-01-31T00:00:00Z".parse().unwrap()
}

async fn mock() -> MockServer {
    MockServer::builder()
        .start_time(jan31())
        .start()
        .await
        .unwrap()
}

fn types(events: &[Value]) -> Vec<&str> {
    events.iter().filter_map(|e| e["type"].as_str()).collect()
}

/// Every event decodes into the crate's typed data for its type (not `Unknown`).
fn assert_decodes(events: &[Value]) {
    for raw in events {
        let event = Event::from_json(raw.clone()).expect("event header");
        match &event.data {
            Ok(EventData::Unknown { .. }) => panic!("{} is not a known type", event.event_type),
            Ok(_) => {}
            Err(e) => panic!("{} does not decode: {e}", event.event_type),
        }
    }
}

#[tokio::test]
async fn print_scenarios() {
    for scenario in Scenario::ALL {
        let mock = mock().await;
        let run = mock.run_scenario(scenario);
        assert_decodes(&run.events);
        let sub = mock.object(Kind::Subscriptions, &run.subscription).unwrap();
        println!(
            "{:?}: {:?} -> {} {}",
            scenario,
            run.event_types(),
            sub["state"],
            sub["nextDisplayISO8601"]
        );
    }
}
