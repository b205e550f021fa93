//! Time passing: what FastSpring does to subscriptions when their dates come, played
//! out in time order when the mock's clock is advanced. Each transition changes the
//! stored subscription (and creates orders) and records the events FastSpring sends;
//! the sources of each rule are in the crate README ("The clock").
//!
//! The engine keeps one due time per subscription in a heap: advancing over `n`
//! subscriptions with `k` transitions costs `O((n + k) log n)`.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;

use serde_json::{Value, json};

use crate::clock::add_interval;
use crate::event::Event;
use crate::lazy::Lazy;
use crate::store::{Billing, Kind, Snapshot, Store, object, set_time};

/// FastSpring lists events for 30 days; older ones are dropped as the clock passes.
const EVENT_RETENTION_MS: i64 = 30 * 86_400_000;

/// The dunning settings when neither the subscription nor its product has any: the
/// values of FastSpring's published `subscription.payment.overdue` sample.
const DEFAULT_OVERDUE: (&str, i64, i64) = ("week", 1, 2);

/// What happens next to a subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// `subscription.payment.reminder` before `next`.
    PaymentReminder,
    /// `subscription.trial.reminder` before a trial's end.
    TrialReminder,
    /// The charge at `next`.
    Renew,
    /// A trial's end: charged, or deactivated without a payment method.
    TrialEnd,
    /// A scheduled pause starts at `next`.
    PauseStart,
    /// A pause ends at `resumeDate`: charged.
    Resume,
    /// A canceled subscription reaches `deactivationDate`.
    Deactivate,
    /// A dunning retry of an overdue subscription.
    DunningRetry,
    /// Dunning exhausted: deactivated.
    DunningEnd,
}

/// The events recorded at one instant: one webhook delivery.
pub(crate) type Batch = Vec<Event>;

fn int(value: &Value, key: &str) -> Option<i64> {
    value.get(key).and_then(Value::as_i64)
}

fn text<'a>(value: &'a Value, key: &str) -> &'a str {
    value.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// The subscription's billing interval: `(unit, length)`, a month by default.
fn interval(sub: &Value) -> (String, i64) {
    let unit = match text(sub, "intervalUnit") {
        "" => "month",
        unit => unit,
    };
    (
        unit.to_string(),
        int(sub, "intervalLength").unwrap_or(1).max(1),
    )
}

/// `{intervalUnit, intervalLength}` → `(unit, length)`.
fn setting(value: Option<&Value>) -> Option<(String, i64)> {
    let value = value.filter(|v| v.is_object())?;
    if value.get("enabled") == Some(&Value::Bool(false)) {
        return None;
    }
    let unit = value
        .get("intervalUnit")
        .or_else(|| value.get("interval"))
        .and_then(Value::as_str)?;
    Some((unit.to_string(), int(value, "intervalLength").unwrap_or(1)))
}

/// The product object a subscription is of.
fn product_of<'a>(store: &'a Store, sub: &Value) -> Option<&'a Value> {
    let path = match sub.get("product") {
        Some(Value::String(path)) => path.as_str(),
        Some(product) => text(product, "product"),
        None => return None,
    };
    store.get(Kind::Products, path)
}

/// The reminder interval: the subscription's own setting, else the product's
/// `reminderNotification`.
fn reminder(store: &Store, sub: &Value, own: &str) -> Option<(String, i64)> {
    setting(sub.get(own)).or_else(|| {
        setting(product_of(store, sub).and_then(|p| p.pointer("/pricing/reminderNotification")))
    })
}

/// When and what comes next for subscription `id`, seen at `now`.
fn next_step(store: &Store, id: &str) -> Option<(i64, Step)> {
    let (sub, next) = store.clock_view(id)?;
    let next = next.or_else(|| int(sub, "next"));
    let (billing, now) = (store.billing.get(id), store.now);
    let remind = |own: &str, step: Step| -> Option<(i64, Step)> {
        let next = next?;
        let (unit, length) = reminder(store, sub, own)?;
        let due = add_interval(next, &unit, -length);
        let sent = billing.and_then(|b| b.reminded_for) == Some(next);
        (!sent && due >= now && due < next).then_some((due, step))
    };
    match text(sub, "state") {
        "canceled" => int(sub, "deactivationDate").map(|at| (at, Step::Deactivate)),
        "overdue" => {
            let since = billing?.overdue_since?;
            let overdue = sub.get("paymentOverdue")?;
            let (unit, length) = setting(Some(overdue))?;
            let (sent, total) = (
                int(overdue, "sent").unwrap_or(0),
                int(overdue, "total").unwrap_or(0),
            );
            if sent < total {
                Some((
                    add_interval(since, &unit, length * (sent + 1)),
                    Step::DunningRetry,
                ))
            } else {
                let last = add_interval(since, &unit, length * total);
                let (unit, length) =
                    setting(sub.get("cancellationSetting")).unwrap_or((unit, length));
                Some((add_interval(last, &unit, length), Step::DunningEnd))
            }
        }
        "paused" => int(sub, "resumeDate").map(|at| (at, Step::Resume)),
        "trial" => remind("trialReminder", Step::TrialReminder)
            .or_else(|| next.map(|at| (at, Step::TrialEnd))),
        "active" if sub.get("autoRenew") != Some(&Value::Bool(false)) => {
            let next = next?;
            if sub.get("isPauseScheduled") == Some(&Value::Bool(true)) {
                return Some((next, Step::PauseStart));
            }
            remind("paymentReminder", Step::PaymentReminder).or(Some((next, Step::Renew)))
        }
        _ => None,
    }
}

/// Moves the clock to `target` (never backwards), playing out every transition due on
/// the way in time order. Returns the recorded events, one batch per instant.
pub(crate) fn advance_to(store: &mut Store, target: i64) -> Vec<Batch> {
    let mut heap = BinaryHeap::new();
    let mut seq = 0u64;
    for id in store.ids(Kind::Subscriptions) {
        if let Some((at, _)) = next_step(store, &id)
            && at <= target
        {
            heap.push(Reverse((at, seq, id)));
            seq += 1;
        }
    }
    let mut batches: Vec<Batch> = Vec::new();
    let mut batch_at = i64::MIN;
    while let Some(Reverse((at, _, id))) = heap.pop() {
        let Some((due, step)) = next_step(store, &id) else {
            continue;
        };
        if due != at {
            continue;
        }
        store.now = store.now.max(at);
        let events = apply(store, &id, step, at);
        if !events.is_empty() {
            let ids = events.into_iter().map(|emitted| emitted.record(store));
            if batch_at == at
                && let Some(last) = batches.last_mut()
            {
                last.extend(ids);
            } else {
                batches.push(ids.collect());
                batch_at = at;
            }
        }
        if let Some((next, _)) = next_step(store, &id)
            && next <= target
        {
            heap.push(Reverse((next.max(at), seq, id)));
            seq += 1;
        }
    }
    store.now = store.now.max(target);
    let horizon = store.now - EVENT_RETENTION_MS;
    store
        .events
        .retain(|e| e.event.created().is_none_or(|c| c >= horizon));
    batches
}

/// Carries out one step; returns the events to record.
fn apply(store: &mut Store, id: &str, step: Step, at: i64) -> Vec<Emitted> {
    match step {
        Step::PaymentReminder | Step::TrialReminder => {
            let Some(sub) = store.get(Kind::Subscriptions, id).cloned() else {
                return Vec::new();
            };
            let next = int(&sub, "next");
            store.billing_mut(id).reminded_for = next;
            let ty = if step == Step::TrialReminder {
                "subscription.trial.reminder"
            } else {
                "subscription.payment.reminder"
            };
            vec![Emitted::Now(ty.into(), sub)]
        }
        Step::Renew => charge(store, id, at),
        Step::TrialEnd => {
            if store.billing.get(id).is_some_and(|b| b.payment_method) {
                charge(store, id, at)
            } else {
                Emitted::now(deactivate(store, id, at))
            }
        }
        Step::PauseStart => {
            let sub = store.get_mut(Kind::Subscriptions, id).expect("present");
            sub["state"] = json!("paused");
            sub["isPauseScheduled"] = json!(false);
            Store::touch_subscription(sub, at);
            vec![Emitted::Now("subscription.updated".into(), sub.clone())]
        }
        Step::Resume => charge(store, id, at),
        Step::Deactivate | Step::DunningEnd => Emitted::now(deactivate(store, id, at)),
        Step::DunningRetry => {
            let declined = take_decline(store, id);
            if declined {
                let sub = store.get_mut(Kind::Subscriptions, id).expect("present");
                if let Some(overdue) = sub.get_mut("paymentOverdue") {
                    overdue["sent"] = json!(int(overdue, "sent").unwrap_or(0) + 1);
                }
                Store::touch_subscription(sub, at);
                let failed = charge_failed(sub);
                Emitted::now(vec![
                    failed,
                    ("subscription.payment.overdue".into(), sub.clone()),
                ])
            } else {
                let due = store
                    .billing
                    .get(id)
                    .and_then(|b| b.overdue_since)
                    .unwrap_or(at);
                vec![Emitted::Charged(completed_charge(store, id, due, at))]
            }
        }
    }
}

/// Uses up one declined charge, if any is left.
fn take_decline(store: &mut Store, id: &str) -> bool {
    let billing = store.billing_mut(id);
    if billing.declines > 0 {
        billing.declines -= 1;
        true
    } else {
        false
    }
}

/// The charge due now (renewal, trial end, end of a pause): completed, or declined
/// and the subscription overdue.
fn charge(store: &mut Store, id: &str, at: i64) -> Vec<Emitted> {
    if !take_decline(store, id) {
        return vec![Emitted::Charged(completed_charge(store, id, at, at))];
    }
    let settings = store
        .get(Kind::Subscriptions, id)
        .and_then(|sub| product_of(store, sub))
        .and_then(|p| p.get("pricing"))
        .cloned()
        .unwrap_or(Value::Null);
    store.billing_mut(id).overdue_since = Some(at);
    let sub = store.get_mut(Kind::Subscriptions, id).expect("present");
    let overdue = setting(settings.get("overdueNotification"));
    let (unit, length, total) = match overdue {
        Some((unit, length)) => {
            let total =
                int(&settings["overdueNotification"], "amount").unwrap_or(DEFAULT_OVERDUE.2);
            (unit, length, total)
        }
        None => (
            DEFAULT_OVERDUE.0.to_string(),
            DEFAULT_OVERDUE.1,
            DEFAULT_OVERDUE.2,
        ),
    };
    sub["paymentOverdue"] = json!({
        "intervalUnit": unit, "intervalLength": length, "total": total, "sent": 0,
    });
    if sub.get("cancellationSetting").is_none_or(Value::is_null) {
        let (unit, length) = setting(settings.get("cancellation")).unwrap_or((unit, length));
        sub["cancellationSetting"] = json!({
            "cancellation": "AFTER_LAST_NOTIFICATION", "intervalUnit": unit, "intervalLength": length,
        });
    }
    sub["state"] = json!("overdue");
    sub["declineReason"] = json!("Card declined (fastspring-mock)");
    Store::touch_subscription(sub, at);
    Emitted::now(vec![charge_failed(sub)])
}

fn charge_failed(sub: &Value) -> (String, Value) {
    let data = object([
        ("reason", sub["declineReason"].clone()),
        ("account", sub["account"].clone()),
        ("subscription", sub.clone()),
    ]);
    ("subscription.charge.failed".into(), data)
}

/// A successful charge of the period that began at `due`: a rebill order, `next`
/// moved one interval on from `due`, the subscription active.
fn completed_charge(store: &mut Store, id: &str, due: i64, at: i64) -> Charged {
    let order_id = store.new_id();
    let last = store.billing.get(id).and_then(|b| b.snapshot.clone());
    let snapshot = match last {
        // A charge after a charge with no other change between: only `next`,
        // `changed` and `sequence` move (the members the full path below rewrites
        // already hold the values it writes), so no JSON is touched.
        Some(last) => Snapshot {
            next: next_charge(store.billing_mut(id), &last.base, None, due),
            changed: at,
            sequence: last.sequence + 1,
            base: last.base,
        },
        None => {
            let (sub, billing) = store.charging_mut(id).expect("present");
            // After a pause the anchor moves to the resume date.
            let resumed = int(sub, "resumeDate").filter(|_| text(sub, "state") == "paused");
            let next = next_charge(billing, sub, resumed, due);
            let mut sequence = 1;
            if let Some(obj) = sub.as_object_mut() {
                for field in ["pauseDate", "resumeDate"] {
                    if obj.contains_key(field) {
                        set_time(obj, field, None);
                    }
                }
                obj.remove("pausePeriodCount");
                obj.remove("declineReason");
                if let Some(overdue) = obj.get_mut("paymentOverdue") {
                    overdue["sent"] = json!(0);
                }
                obj.insert("state".into(), json!("active"));
                obj.insert("active".into(), json!(true));
                sequence = obj.get("sequence").and_then(Value::as_i64).unwrap_or(1) + 1;
            }
            // Moved, not copied: `Store::charged` replaces the stored JSON next.
            Snapshot {
                base: Arc::new(std::mem::take(sub)),
                next,
                changed: at,
                sequence,
            }
        }
    };
    store.charged(id, snapshot.clone());
    let amount = snapshot
        .base
        .get("subtotal")
        .cloned()
        .unwrap_or(Value::from(0));
    let order = {
        let (base, order_id, amount) =
            (Arc::clone(&snapshot.base), order_id.clone(), amount.clone());
        Lazy::later(move || rebill_order(&order_id, &base, &amount, at, true))
    };
    store.insert_lazy(Kind::Orders, order_id, order.clone());
    Charged {
        order,
        subscription: snapshot,
        total: amount,
        at,
    }
}

/// The charge after the one due at `due`: the billing anchor (the resume date after a
/// pause, `due` at a trial's end or a first charge) plus as many intervals as charges
/// since it. No dunning is left open.
fn next_charge(billing: &mut Billing, sub: &Value, resumed: Option<i64>, due: i64) -> i64 {
    billing.overdue_since = None;
    let (unit, length) = interval(sub);
    let (anchor, periods) = match (resumed, billing.anchor) {
        (None, Some((anchor, periods))) if text(sub, "state") != "trial" => (anchor, periods + 1),
        (resumed, _) => (resumed.unwrap_or(due), 1),
    };
    billing.anchor = Some((anchor, periods));
    add_interval(anchor, &unit, length * periods)
}

/// A completed charge: what its `subscription.charge.completed` is made of. The clock
/// records it as is, to be rendered when the event is read; the API's changes render
/// it at once.
#[derive(Clone)]
struct Charged {
    order: Lazy,
    subscription: Snapshot,
    total: Value,
    at: i64,
}

impl Charged {
    fn data(&self) -> Value {
        charge_completed(
            self.order.get().clone(),
            &self.subscription.render(),
            self.total.clone(),
            self.at,
        )
    }
}

/// What a step of the clock records.
enum Emitted {
    /// An event whose data is built.
    Now(String, Value),
    /// `subscription.charge.completed`, built when read.
    Charged(Charged),
}

impl Emitted {
    fn now(events: Vec<(String, Value)>) -> Vec<Emitted> {
        events
            .into_iter()
            .map(|(ty, data)| Emitted::Now(ty, data))
            .collect()
    }

    /// The event type and its data, built now.
    fn into_pair(self) -> (String, Value) {
        match self {
            Emitted::Now(ty, data) => (ty, data),
            Emitted::Charged(charged) => (CHARGE_COMPLETED.to_string(), charged.data()),
        }
    }

    fn record(self, store: &mut Store) -> Event {
        match self {
            Emitted::Now(ty, data) => store.record_event(&ty, data, false),
            Emitted::Charged(charged) => {
                store.record_event_later(CHARGE_COMPLETED, move || charged.data())
            }
        }
    }
}

const CHARGE_COMPLETED: &str = "subscription.charge.completed";

/// `subscription.charge.completed` for `order`, a charge of `amount` at `at`.
fn charge_completed(order: Value, sub: &Value, amount: Value, at: i64) -> Value {
    object([
        ("order", order),
        ("currency", sub["currency"].clone()),
        ("total", amount),
        ("status", Value::from("successful")),
        ("timestamp", Value::from(at)),
        ("timestampValue", Value::from(at)),
        ("timestampInSeconds", Value::from(at / 1000)),
        ("sequence", sub["sequence"].clone()),
        ("account", sub["account"].clone()),
        ("subscription", sub.clone()),
    ])
}

/// An order for one subscription's charge; `rebill` references end in `B`, as
/// FastSpring's rebill references do.
pub(crate) fn rebill_order(id: &str, sub: &Value, amount: &Value, at: i64, rebill: bool) -> Value {
    let product = match sub.get("product") {
        Some(Value::String(path)) => path.clone(),
        Some(product) => text(product, "product").to_string(),
        None => String::new(),
    };
    let date = crate::clock::utc_date(at);
    let reference = format!(
        "MOCK{:04}{:02}{:02}-{}{}",
        i32::from(date.year()).clamp(0, 9999),
        date.month(),
        date.day(),
        &id[..6.min(id.len())].to_ascii_uppercase(),
        if rebill { "B" } else { "" }
    );
    let item = object([
        ("product", Value::from(product.as_str())),
        (
            "quantity",
            sub.get("quantity").cloned().unwrap_or(Value::from(1)),
        ),
        ("display", Value::String(product)),
        ("subtotal", amount.clone()),
        ("discount", Value::from(0)),
        ("subscription", sub["id"].clone()),
    ]);
    let mut order = object([
        ("order", Value::from(id)),
        ("id", Value::from(id)),
        ("reference", Value::String(reference)),
        ("buyerReference", Value::Null),
        ("completed", Value::Bool(true)),
        ("live", Value::Bool(false)),
        ("currency", sub["currency"].clone()),
        ("account", sub["account"].clone()),
        ("total", amount.clone()),
        ("subtotal", amount.clone()),
        ("tax", Value::from(0)),
        ("discount", Value::from(0)),
        ("reason", Value::Null),
        ("items", Value::Array(vec![item])),
    ]);
    if let Some(obj) = order.as_object_mut() {
        set_time(obj, "changed", Some(at));
    }
    order
}

/// Deactivated now (end of a canceled period, an unconverted trial, dunning exhausted).
fn deactivate(store: &mut Store, id: &str, at: i64) -> Vec<(String, Value)> {
    let sub = store.get_mut(Kind::Subscriptions, id).expect("present");
    if let Some(obj) = sub.as_object_mut() {
        obj.insert("state".into(), json!("deactivated"));
        obj.insert("active".into(), json!(false));
        set_time(obj, "deactivationDate", Some(at));
        set_time(obj, "end", Some(at));
    }
    Store::touch_subscription(sub, at);
    vec![("subscription.deactivated".into(), sub.clone())]
}

/// Sets `pauseDate` (the next billing date) and `resumeDate` (`periods` intervals
/// later) on a subscription whose pause was just scheduled.
pub(crate) fn schedule_pause(sub: &mut Value, periods: i64) {
    let (unit, length) = interval(sub);
    let Some(next) = int(sub, "next") else {
        return;
    };
    if let Some(obj) = sub.as_object_mut() {
        set_time(obj, "pauseDate", Some(next));
        set_time(
            obj,
            "resumeDate",
            Some(add_interval(next, &unit, length * periods.max(1))),
        );
    }
}

/// An immediate plan change with proration: the subscription moves to `product` now and
/// is charged the price difference for the rest of the period (a credit, when the new
/// plan is cheaper, is not modelled). Returns `subscription.updated`, then
/// `subscription.charge.completed` for the prorated order when something was charged.
pub(crate) fn change_plan_prorated(
    store: &mut Store,
    id: &str,
    product: &str,
) -> Result<Vec<(String, Value)>, String> {
    if store.get(Kind::Products, product).is_none() {
        return Err(format!("no product `{product}`"));
    }
    let change = crate::proration::Proration::of(store, id, Some(product), None, None)?;
    Ok(apply_proration(store, &change))
}

/// Carries out a priced plan change now (`crate::proration`): the subscription takes the
/// proposed product, quantity and price, and what is due now is charged on a new order.
/// Returns `subscription.updated`, then `subscription.charge.completed` when something
/// was charged (the clock's scenario and `POST /subscriptions` with `prorate: true`).
pub(crate) fn apply_proration(
    store: &mut Store,
    change: &crate::proration::Proration,
) -> Vec<(String, Value)> {
    let at = store.now;
    let id = change.subscription.as_str();
    let Some(sub) = store.get_mut(Kind::Subscriptions, id) else {
        return Vec::new();
    };
    let plan = &change.proposed;
    sub["product"] = json!(plan.product);
    sub["display"] = json!(plan.display);
    sub["quantity"] = json!(plan.quantity);
    for field in ["price", "priceInPayoutCurrency"] {
        sub[field] = json!(plan.price);
    }
    let subtotal = crate::proration::cents(plan.price * plan.quantity as f64);
    for field in ["subtotal", "subtotalInPayoutCurrency"] {
        sub[field] = json!(subtotal);
    }
    Store::touch_subscription(sub, at);
    let mut events = vec![("subscription.updated".to_string(), sub.clone())];
    let charge = change.due_now();
    if charge > 0.0 {
        let sub = sub.clone();
        let order_id = store.new_id();
        let order = rebill_order(&order_id, &sub, &json!(charge), at, false);
        store.insert(Kind::Orders, order_id, order.clone());
        let data = charge_completed(order, &sub, json!(charge), at);
        events.push((CHARGE_COMPLETED.to_string(), data));
    }
    events
}

/// A paused subscription resumed now, through the API: charged as the clock's `Resume`
/// step charges it at `resumeDate`, the billing anchor moving to now (a new cycle).
/// Returns the charge's events (`subscription.charge.completed`, or
/// `subscription.charge.failed` when declined).
pub(crate) fn resume_now(store: &mut Store, id: &str) -> Vec<(String, Value)> {
    let at = store.now;
    if let Some(obj) = store
        .get_mut(Kind::Subscriptions, id)
        .and_then(Value::as_object_mut)
    {
        set_time(obj, "resumeDate", Some(at));
    }
    charge(store, id, at)
        .into_iter()
        .map(Emitted::into_pair)
        .collect()
}
