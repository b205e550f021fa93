//! Named scenarios: one subscription's story, played from the clock's current time with
//! the same rules as any advance (`timeline`), so what an app sees is what it would
//! see from its own requests. Each starts with a checkout by a new buyer.

use jiff::Span;
use serde_json::{Value, json};

use crate::Shared;
use crate::checkout::Checkout;
use crate::event::Event;
use crate::store::{Kind, Store};
use crate::timeline::{change_plan_prorated, schedule_pause};

/// A subscription's story the mock can play out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scenario {
    /// A monthly subscription renews: payment reminder, then the charge and its rebill order.
    Renewal,
    /// The renewal charge is declined (`overdue`), the first dunning retry succeeds.
    RenewalFailedThenRecovered,
    /// Canceled mid-period, still active until the period ends, then deactivated.
    CancelAtPeriodEnd,
    /// A pause of one period from the next billing date; resumed and charged after it.
    PauseAndResume,
    /// A 14-day trial with a payment method: trial reminder, then the first charge.
    TrialConverts,
    /// A 14-day trial without a payment method: trial reminder, then deactivated.
    TrialExpires,
    /// Mid-period upgrade with proration: the difference charged now, the new price at renewal.
    UpgradeProrated,
}

/// What a scenario did.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioRun {
    /// Which scenario ran.
    pub scenario: Scenario,
    /// The buyer's account.
    pub account: String,
    /// The subscription the story is about.
    pub subscription: String,
    /// Every event recorded, in order (the checkout's included).
    pub events: Vec<Value>,
}

impl ScenarioRun {
    /// The event types, in order.
    pub fn event_types(&self) -> Vec<&str> {
        self.events
            .iter()
            .filter_map(|e| e["type"].as_str())
            .collect()
    }

    /// The admin API's JSON form.
    pub fn to_json(&self) -> Value {
        json!({
            "scenario": self.scenario.name(),
            "account": self.account,
            "subscription": self.subscription,
            "events": self.events,
        })
    }
}

impl Scenario {
    /// Every scenario.
    pub const ALL: [Scenario; 7] = [
        Scenario::Renewal,
        Scenario::RenewalFailedThenRecovered,
        Scenario::CancelAtPeriodEnd,
        Scenario::PauseAndResume,
        Scenario::TrialConverts,
        Scenario::TrialExpires,
        Scenario::UpgradeProrated,
    ];

    /// The name used by the admin API (`POST /mock/admin/scenarios/{name}`).
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Renewal => "renewal",
            Scenario::RenewalFailedThenRecovered => "renewal_failed_then_recovered",
            Scenario::CancelAtPeriodEnd => "cancel_at_period_end",
            Scenario::PauseAndResume => "pause_and_resume",
            Scenario::TrialConverts => "trial_converts",
            Scenario::TrialExpires => "trial_expires",
            Scenario::UpgradeProrated => "upgrade_prorated",
        }
    }

    /// The scenario with this name.
    pub fn from_name(name: &str) -> Option<Scenario> {
        Scenario::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// Products the scenarios buy: monthly ($10, reminders 3 days ahead, weekly dunning
/// with 2 notices), its $25 upgrade, and a 14-day trial of the monthly plan.
const PRODUCTS: [(&str, f64, i64); 3] = [
    ("scenario-monthly", 10.0, 0),
    ("scenario-monthly-pro", 25.0, 0),
    ("scenario-trial-monthly", 10.0, 14),
];

fn ensure_products(store: &mut Store) {
    for (path, price, trial) in PRODUCTS {
        if store.get(Kind::Products, path).is_some() {
            continue;
        }
        let mut pricing = json!({
            "interval": "month", "intervalLength": 1, "price": {"USD": price},
            "reminderNotification": {"enabled": true, "interval": "day", "intervalLength": 3},
            "overdueNotification": {"enabled": true, "interval": "week", "intervalLength": 1, "amount": 2},
            "cancellation": {"interval": "week", "intervalLength": 1},
        });
        if trial > 0 {
            pricing["trial"] = json!(trial);
        }
        store.insert(
            Kind::Products,
            path.to_string(),
            json!({"product": path, "display": {"en": path}, "format": "digital", "pricing": pricing}),
        );
    }
}

/// The events of an advance as values of their own, for a [`ScenarioRun`].
fn copies(events: Vec<Event>) -> impl Iterator<Item = Value> {
    events.into_iter().map(|event| event.to_value())
}

pub(crate) fn run(shared: &Shared, scenario: Scenario) -> ScenarioRun {
    let month = Span::new().months(1);
    let product = match scenario {
        Scenario::TrialConverts | Scenario::TrialExpires => "scenario-trial-monthly",
        _ => "scenario-monthly",
    };
    let ((account, subscription), mut events) = shared
        .change(|store| {
            ensure_products(store);
            let email = format!("{}-{}@scenario.test", scenario.name(), store.new_id());
            let mut checkout = Checkout::new(email).item(product, 1);
            if scenario == Scenario::TrialExpires {
                checkout = checkout.without_payment_method();
            }
            let (outcome, events) = checkout.complete(store)?;
            Ok(((outcome.account, outcome.subscriptions[0].clone()), events))
        })
        .expect("the scenario's products are in the store");
    let id = subscription.clone();
    match scenario {
        Scenario::Renewal => events.extend(copies(shared.advance_by(month))),
        Scenario::RenewalFailedThenRecovered => {
            if let Some(billing) = shared
                .store
                .lock()
                .expect("store lock")
                .billing
                .get_mut(&id)
            {
                billing.declines = 1;
            }
            events.extend(copies(shared.advance_by(month)));
            events.extend(copies(shared.advance_by(Span::new().weeks(1))));
        }
        Scenario::CancelAtPeriodEnd => {
            events.extend(copies(shared.advance_by(Span::new().days(10))));
            events.extend(act(shared, &id, |sub, now| {
                Store::cancel_subscription(sub, false, now);
                "subscription.canceled"
            }));
            events.extend(copies(shared.advance_by(month)));
        }
        Scenario::PauseAndResume => {
            events.extend(act(shared, &id, |sub, now| {
                sub["isPauseScheduled"] = json!(true);
                sub["pausePeriodCount"] = json!(1);
                schedule_pause(sub, 1);
                Store::touch_subscription(sub, now);
                "subscription.paused"
            }));
            events.extend(copies(shared.advance_by(month)));
            events.extend(copies(shared.advance_by(month)));
        }
        Scenario::TrialConverts | Scenario::TrialExpires => {
            events.extend(copies(shared.advance_by(Span::new().days(14))));
        }
        Scenario::UpgradeProrated => {
            events.extend(copies(shared.advance_by(Span::new().days(15))));
            let (_, changed) = shared
                .change(|store| {
                    Ok((
                        (),
                        change_plan_prorated(store, &id, "scenario-monthly-pro")?,
                    ))
                })
                .expect("the subscription and the upgrade exist");
            events.extend(changed);
            events.extend(copies(shared.advance_by(month)));
        }
    }
    // Only this story's events: other subscriptions in the store (the spec's examples)
    // may fall due on the way too.
    events.retain(|e| concerns(&e["data"], &account, &subscription));
    ScenarioRun {
        scenario,
        account,
        subscription,
        events,
    }
}

/// Whether an event's data is about this account or subscription.
fn concerns(data: &Value, account: &str, subscription: &str) -> bool {
    let id = |v: &Value| match v {
        Value::String(s) => s.clone(),
        v => v["id"].as_str().unwrap_or_default().to_string(),
    };
    id(data) == subscription
        || id(data) == account
        || id(&data["subscription"]) == subscription
        || id(&data["account"]) == account
}

/// Changes one subscription now and records the event `change` names, with the
/// subscription as its data.
fn act(
    shared: &Shared,
    id: &str,
    change: impl FnOnce(&mut Value, i64) -> &'static str,
) -> Vec<Value> {
    shared
        .change(|store| {
            let now = store.now;
            let sub = store
                .get_mut(Kind::Subscriptions, id)
                .ok_or_else(|| format!("no subscription `{id}`"))?;
            let event = change(sub, now);
            Ok(((), vec![(event.to_string(), sub.clone())]))
        })
        .map(|(_, events)| events)
        .unwrap_or_default()
}
