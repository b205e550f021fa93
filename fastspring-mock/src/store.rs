//! The state of one mock: accounts, products, coupons, subscriptions, orders and
//! events, as JSON objects shaped like the spec's responses.
//!
//! Collections start from the spec's own examples (the 200 examples of `getAccount`,
//! `getProduct`, `getCoupon`, `getSubscription`, `getOrder`), so a fresh mock answers
//! the IDs printed in the spec; [`crate::Seed`] adds more. Stateful operations read
//! and change these collections; every other operation answers its spec example.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};

use crate::event::{Event, StoredEvent};
use crate::lazy::Lazy;
pub(crate) use crate::lazy::object;
use crate::spec::{Spec, resolve};

/// The resource kinds the mock keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// Customer accounts (key: `account`).
    Accounts,
    /// Catalog products (key: `product`, the product path).
    Products,
    /// Coupons (key: `coupon`).
    Coupons,
    /// Subscriptions (key: `id`).
    Subscriptions,
    /// Orders (key: `id`).
    Orders,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 5] = [
        Kind::Accounts,
        Kind::Products,
        Kind::Coupons,
        Kind::Subscriptions,
        Kind::Orders,
    ];

    /// The member that holds an object's ID.
    pub fn key(self) -> &'static str {
        match self {
            Kind::Accounts => "account",
            Kind::Products => "product",
            Kind::Coupons => "coupon",
            Kind::Subscriptions | Kind::Orders => "id",
        }
    }

    /// Lower-case plural name, as in the admin API (`/mock/admin/state/accounts`).
    pub fn name(self) -> &'static str {
        match self {
            Kind::Accounts => "accounts",
            Kind::Products => "products",
            Kind::Coupons => "coupons",
            Kind::Subscriptions => "subscriptions",
            Kind::Orders => "orders",
        }
    }

    /// The kind named `name`.
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The operation whose 200 examples seed this kind, and the wrapper array of its
    /// several-IDs form.
    fn seed_operation(self) -> (&'static str, &'static str) {
        match self {
            Kind::Accounts => ("getAccount", "accounts"),
            Kind::Products => ("getProduct", "products"),
            Kind::Coupons => ("getCoupon", "coupons"),
            Kind::Subscriptions => ("getSubscription", "subscriptions"),
            Kind::Orders => ("getOrder", "orders"),
        }
    }
}

/// The collections of one mock.
#[derive(Debug, Default)]
pub struct Store {
    /// Objects by kind, then by ID (an order a renewal created is built when first read).
    objects: BTreeMap<Kind, BTreeMap<String, Lazy>>,
    /// Events in creation order.
    pub events: Vec<StoredEvent>,
    /// The mock's clock, epoch milliseconds: every time the store writes is this one.
    /// It stands still until advanced (`crate::timeline`).
    pub now: i64,
    /// What the mock knows of a subscription's billing beyond its JSON (by ID).
    pub billing: std::collections::HashMap<String, Billing>,
    nonce: u64,
    counter: u64,
}

/// A subscription's billing as the mock plays it out: not part of the API's view.
#[derive(Debug, Clone, Default)]
pub struct Billing {
    /// How many of the next charges are declined.
    pub declines: u32,
    /// Whether a payment method is on file (a trial converts only with one).
    pub payment_method: bool,
    /// When the charge that put it in dunning was due (the billing anchor).
    pub overdue_since: Option<i64>,
    /// The `next` date whose reminder was already sent.
    pub reminded_for: Option<i64>,
    /// The billing anchor and the periods charged since: `next` is the anchor plus
    /// that many intervals, so a subscription begun on the 31st renews on the last day
    /// of shorter months and on the 31st again after them.
    pub anchor: Option<(i64, i64)>,
    /// The subscription as its last completed charge left it, when nothing else changed
    /// it since (any other change drops it): its stored JSON is this snapshot's
    /// rendering. The clock's next charge then only moves the snapshot's numbers on,
    /// without touching JSON (`crate::timeline`).
    pub snapshot: Option<Snapshot>,
}

/// A subscription as a completed charge left it: a copy shared by every charge since
/// (taken at the first one after another change) and what each charge moves on.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The subscription at the charge that took the copy.
    pub base: Arc<Value>,
    /// `next` (and `nextChargeDate`), epoch milliseconds.
    pub next: i64,
    /// `changed`, epoch milliseconds.
    pub changed: i64,
    /// `sequence`: the charges so far.
    pub sequence: i64,
}

impl Snapshot {
    /// The subscription's JSON.
    pub fn render(&self) -> Value {
        let mut sub = Value::clone(&self.base);
        if let Some(obj) = sub.as_object_mut() {
            let next = TimeValues::of(Some(self.next));
            next.set(obj, "next");
            next.set(obj, "nextChargeDate");
            set_time(obj, "changed", Some(self.changed));
            obj.insert("sequence".into(), Value::from(self.sequence));
        }
        sub
    }
}

/// Milliseconds since the Unix epoch by the machine's clock: only the default start of
/// a mock's own clock.
pub fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// `{field}`, `{field}Value`, `{field}InSeconds`, `{field}Display`, `{field}DisplayISO8601`
/// for an epoch-millisecond time (or all null).
pub fn set_time(obj: &mut Map<String, Value>, field: &str, millis: Option<i64>) {
    TimeValues::of(millis).set(obj, field);
}

/// The five members of a time (`next`, `nextValue`, `nextInSeconds`, `nextDisplay`,
/// `nextDisplayISO8601`), computed once for the fields that share it.
pub(crate) struct TimeValues([Value; 5]);

impl TimeValues {
    const SUFFIXES: [&str; 5] = ["", "Value", "InSeconds", "Display", "DisplayISO8601"];

    /// The members of `millis`, or five nulls.
    pub(crate) fn of(millis: Option<i64>) -> TimeValues {
        TimeValues(match millis {
            Some(ms) => {
                let date = crate::clock::utc_date(ms);
                [
                    Value::from(ms),
                    Value::from(ms),
                    Value::from(ms / 1000),
                    Value::String(crate::clock::display_form(date)),
                    Value::String(crate::clock::iso_form(date)),
                ]
            }
            None => std::array::from_fn(|_| Value::Null),
        })
    }

    /// Writes them as `field`'s members.
    pub(crate) fn set(&self, obj: &mut Map<String, Value>, field: &str) {
        // Values are replaced in place: a renewal rewrites several times, and a new key
        // string for each member would be most of its cost.
        let mut key = String::with_capacity(field.len() + 14);
        for (suffix, value) in Self::SUFFIXES.into_iter().zip(&self.0) {
            key.clear();
            key.push_str(field);
            key.push_str(suffix);
            match obj.get_mut(key.as_str()) {
                Some(slot) => slot.clone_from(value),
                None => {
                    obj.insert(key.clone(), value.clone());
                }
            }
        }
    }
}

/// Merges `patch` into `target`: objects member by member, anything else replaced.
pub fn merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                merge(t.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        (t, p) => *t = p.clone(),
    }
}

impl Store {
    /// A store holding the spec's example objects, its clock at `now`.
    pub fn from_spec(spec: &Spec, now: i64) -> Store {
        let nonce = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        let mut store = Store {
            now,
            nonce,
            ..Store::default()
        };
        for kind in Kind::ALL {
            let (operation, wrapper) = kind.seed_operation();
            let Some(route) = spec.operation(operation) else {
                continue;
            };
            let Some(response) = route.success() else {
                continue;
            };
            for example in response.examples.values() {
                let candidates: Vec<&Value> = match example.get(wrapper).and_then(Value::as_array) {
                    Some(items) => items.iter().collect(),
                    None => vec![example],
                };
                for object in candidates {
                    if object.get("result").and_then(Value::as_str) == Some("error") {
                        continue;
                    }
                    if let Some(id) = object.get(kind.key()).and_then(Value::as_str) {
                        // Placeholders such as `{product_path}` are not IDs.
                        if !id.contains('{') && !id.is_empty() {
                            store.insert(kind, id.to_string(), object.clone());
                        }
                    }
                }
            }
        }
        // The spec's requests name IDs of their own (`/subscriptions/1abc…/pause`): each
        // path parameter example of a kept kind gets an object (a copy of the first
        // example object), so the spec's example requests find what they ask for.
        // The same for the subscription a single-object body names (`estimateSubscription`)
        // and the products the subscription requests change to (`product`, also inside
        // `subscriptions[]`), so the documented plan changes find their plans.
        let mut named: Vec<(Kind, &str)> = Vec::new();
        for route in &spec.routes {
            for param in &route.params {
                let kind = match param.name.as_str() {
                    "account_id" => Kind::Accounts,
                    "subscription_id" => Kind::Subscriptions,
                    "order_id" => Kind::Orders,
                    "coupon_id" => Kind::Coupons,
                    "product_path" if route.tag == "products" => Kind::Products,
                    _ => continue,
                };
                if let Some(example) = param.example.as_ref().and_then(Value::as_str) {
                    named.push((kind, example));
                }
            }
            if route.tag == "subscriptions" {
                for body in route.body_examples.values() {
                    if let Some(id) = body.get("subscription").and_then(Value::as_str) {
                        named.push((Kind::Subscriptions, id));
                    }
                    let changes = body.get("subscriptions").and_then(Value::as_array);
                    for change in std::iter::once(body).chain(changes.into_iter().flatten()) {
                        if let Some(path) = change.get("product").and_then(Value::as_str) {
                            named.push((Kind::Products, path));
                        }
                    }
                }
            }
        }
        for (kind, example) in named {
            for id in example.split(',').map(str::trim) {
                if id.is_empty() || id.contains('{') || store.get(kind, id).is_some() {
                    continue;
                }
                // Products: the spec's only product example has a placeholder path,
                // so it serves as the template without being stored itself.
                let Some(template) = store
                    .values(kind)
                    .next()
                    .map(|(_, object)| object.clone())
                    .or_else(|| (kind == Kind::Products).then(|| example_product(spec))?)
                else {
                    continue;
                };
                let mut object = template;
                object[kind.key()] = json!(id);
                if kind == Kind::Products {
                    object["display"] = json!({ "en": id });
                }
                for twin in ["id", "account", "subscription", "order"] {
                    if twin != kind.key()
                        && object.get(twin).is_some_and(Value::is_string)
                        && matches!(
                            (kind, twin),
                            (Kind::Accounts, "id")
                                | (Kind::Subscriptions, "subscription")
                                | (Kind::Orders, "order")
                        )
                    {
                        object[twin] = json!(id);
                    }
                }
                store.insert(kind, id.to_string(), object);
            }
        }
        // The events of the spec's event listings are history: stored as processed.
        for operation in ["listProcessedEvents", "listUnprocessedEvents"] {
            let examples = spec
                .operation(operation)
                .and_then(|r| r.success())
                .map(|r| r.examples.values().cloned().collect::<Vec<_>>())
                .unwrap_or_default();
            for example in examples {
                for event in example
                    .get("events")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let Some(id) = event.get("id").and_then(Value::as_str) else {
                        continue;
                    };
                    if store.events.iter().any(|e| e.id() == id) {
                        continue;
                    }
                    let mut value = event.clone();
                    value["processed"] = Value::Bool(true);
                    store.events.push(StoredEvent {
                        event: Event::from_value(value),
                        processed: true,
                    });
                }
            }
        }
        store
    }

    /// A new ID in FastSpring's style: 22 characters of URL-safe Base64.
    pub fn new_id(&mut self) -> String {
        use base64::Engine;
        /// SplitMix64's finalizer: a bijection on `u64` that scatters its bits.
        fn mix(mut z: u64) -> u64 {
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }
        self.counter += 1;
        // The second half is a bijection of the counter: no two IDs of a store are equal.
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&mix(self.nonce ^ self.counter.rotate_left(32)).to_le_bytes());
        bytes[8..].copy_from_slice(&mix(self.counter ^ self.nonce).to_le_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }

    /// What the mock knows of a subscription's billing, created empty when first asked.
    pub fn billing_mut(&mut self, subscription: &str) -> &mut Billing {
        // Looked up before inserting: the clock asks once or twice per charge, and a
        // key string per lookup would be a tenth of a charge's cost.
        if !self.billing.contains_key(subscription) {
            self.billing
                .insert(subscription.to_string(), Billing::default());
        }
        self.billing.get_mut(subscription).expect("inserted above")
    }

    /// The account with this e-mail address (compared without case), if any.
    pub fn account_by_email(&self, email: &str) -> Option<String> {
        self.ids(Kind::Accounts).into_iter().find(|id| {
            self.get(Kind::Accounts, id)
                .and_then(|a| a.pointer("/contact/email"))
                .and_then(Value::as_str)
                .is_some_and(|e| e.eq_ignore_ascii_case(email))
        })
    }

    /// Stores (or replaces) an object.
    pub fn insert(&mut self, kind: Kind, id: String, object: Value) {
        self.insert_lazy(kind, id, Lazy::ready(object));
    }

    /// Stores an object built when first read (an order of the clock's renewals).
    pub(crate) fn insert_lazy(&mut self, kind: Kind, id: String, object: Lazy) {
        self.forget_snapshot(kind, &id);
        self.objects.entry(kind).or_default().insert(id, object);
    }

    /// An object by ID.
    pub fn get(&self, kind: Kind, id: &str) -> Option<&Value> {
        self.objects.get(&kind)?.get(id).map(Lazy::get)
    }

    /// An object by ID, to change it.
    pub fn get_mut(&mut self, kind: Kind, id: &str) -> Option<&mut Value> {
        self.forget_snapshot(kind, id);
        self.objects.get_mut(&kind)?.get_mut(id).map(Lazy::make_mut)
    }

    /// A subscription and its billing, to change both (`crate::timeline`'s charges,
    /// which set the snapshot themselves).
    pub(crate) fn charging_mut(&mut self, id: &str) -> Option<(&mut Value, &mut Billing)> {
        let sub = self
            .objects
            .get_mut(&Kind::Subscriptions)?
            .get_mut(id)?
            .make_mut();
        if !self.billing.contains_key(id) {
            self.billing.insert(id.to_string(), Billing::default());
        }
        let billing = self.billing.get_mut(id).expect("inserted above");
        billing.snapshot = None;
        Some((sub, billing))
    }

    /// A subscription as the clock reads it, without building its JSON: the snapshot's
    /// copy and `next` when a charge left it so (every other member is as stored),
    /// else the stored JSON and `None`.
    pub(crate) fn clock_view(&self, id: &str) -> Option<(&Value, Option<i64>)> {
        match self.billing.get(id).and_then(|b| b.snapshot.as_ref()) {
            Some(snapshot) => Some((&*snapshot.base, Some(snapshot.next))),
            None => self.get(Kind::Subscriptions, id).map(|sub| (sub, None)),
        }
    }

    /// A completed charge left the subscription as `snapshot` says: its JSON is now
    /// that snapshot's, rendered when read.
    pub(crate) fn charged(&mut self, id: &str, snapshot: Snapshot) {
        if let Some(entry) = self
            .objects
            .get_mut(&Kind::Subscriptions)
            .and_then(|subs| subs.get_mut(id))
        {
            let recipe = snapshot.clone();
            *entry = Lazy::later(move || recipe.render());
        }
        self.billing_mut(id).snapshot = Some(snapshot);
    }

    /// A changed subscription's snapshot no longer holds.
    fn forget_snapshot(&mut self, kind: Kind, id: &str) {
        if kind == Kind::Subscriptions
            && let Some(billing) = self.billing.get_mut(id)
        {
            billing.snapshot = None;
        }
    }

    /// Removes an object.
    pub fn remove(&mut self, kind: Kind, id: &str) -> Option<Value> {
        self.forget_snapshot(kind, id);
        self.objects
            .get_mut(&kind)?
            .remove(id)
            .map(Lazy::into_value)
    }

    /// The objects of a kind with their IDs, sorted by ID.
    pub fn values(&self, kind: Kind) -> impl Iterator<Item = (&String, &Value)> {
        self.objects
            .get(&kind)
            .into_iter()
            .flatten()
            .map(|(id, object)| (id, object.get()))
    }

    /// The IDs of a kind, sorted.
    pub fn ids(&self, kind: Kind) -> Vec<String> {
        self.objects
            .get(&kind)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// Records an event (unprocessed) and returns it, shared with the store.
    pub fn record_event(&mut self, event_type: &str, data: Value, live: bool) -> Event {
        let event = Event::ready(self.new_id(), event_type, self.now, live, data);
        self.push_event(event)
    }

    /// Records an event (unprocessed, not live) whose `data` is built when first read.
    pub(crate) fn record_event_later(
        &mut self,
        event_type: &str,
        data: impl Fn() -> Value + Send + Sync + 'static,
    ) -> Event {
        let event = Event::later(self.new_id(), event_type, self.now, false, data);
        self.push_event(event)
    }

    fn push_event(&mut self, event: Event) -> Event {
        self.events.push(StoredEvent {
            event: event.clone(),
            processed: false,
        });
        event
    }

    /// Marks an event processed (or not). `None` when there is no such event.
    pub fn mark_event(&mut self, id: &str, processed: bool) -> Option<Value> {
        let event = self.events.iter_mut().find(|e| e.id() == id)?;
        event.processed = processed;
        Some(event.to_value())
    }

    /// Builds a stored account from a `createAccount` body.
    pub fn new_account(&mut self, body: &Value) -> (String, Value) {
        let id = self.new_id();
        let global = self.new_id();
        let mut lookup = json!({ "global": global });
        if let Some(custom) = body.pointer("/lookup/custom") {
            lookup["custom"] = custom.clone();
        }
        let mut account = json!({
            "id": id,
            "account": id,
            "contact": body.get("contact").cloned().unwrap_or_else(|| json!({})),
            "language": body.get("language").cloned().unwrap_or_else(|| json!("en")),
            "country": body.get("country").cloned().unwrap_or_else(|| json!("US")),
            "lookup": lookup,
            "url": format!("https://mock.test.onfastspring.com/account/{id}"),
            "payment": {"methods": 0, "active": 0},
            "orders": [],
            "subscriptions": [],
            "charges": [],
            "subscribed": true,
        });
        if let Some(address) = body.get("address") {
            account["address"] = address.clone();
        }
        (id, account)
    }

    /// Changes a subscription: sets its `changed` time to `now`.
    pub fn touch_subscription(subscription: &mut Value, now: i64) {
        if let Some(obj) = subscription.as_object_mut() {
            set_time(obj, "changed", Some(now));
        }
    }

    /// Marks a subscription canceled at the end of its period (or deactivated now).
    pub fn cancel_subscription(subscription: &mut Value, immediately: bool, now: i64) {
        let Some(obj) = subscription.as_object_mut() else {
            return;
        };
        set_time(obj, "canceledDate", Some(now));
        if immediately {
            obj.insert("state".into(), json!("deactivated"));
            obj.insert("active".into(), json!(false));
            set_time(obj, "deactivationDate", Some(now));
            set_time(obj, "end", Some(now));
        } else {
            obj.insert("state".into(), json!("canceled"));
            let next = obj.get("next").and_then(Value::as_i64).unwrap_or(now);
            set_time(obj, "deactivationDate", Some(next));
            set_time(obj, "end", Some(next));
        }
        set_time(obj, "changed", Some(now));
    }

    /// Undoes a cancellation that is not yet effective.
    pub fn uncancel_subscription(subscription: &mut Value, now: i64) {
        let Some(obj) = subscription.as_object_mut() else {
            return;
        };
        obj.insert("state".into(), json!("active"));
        obj.insert("active".into(), json!(true));
        set_time(obj, "canceledDate", None);
        set_time(obj, "deactivationDate", None);
        set_time(obj, "end", None);
        set_time(obj, "changed", Some(now));
    }

    /// A subscription in the pristine active state, for `Seed::subscription`.
    pub fn active_subscription(
        &mut self,
        id: Option<&str>,
        account: &str,
        product: &str,
    ) -> (String, Value) {
        let id = id.map(str::to_string).unwrap_or_else(|| self.new_id());
        let now = self.now;
        let mut sub = json!({
            "id": id, "subscription": id, "active": true, "state": "active",
            "isSubscriptionEligibleForPauseByBuyer": true, "isPauseScheduled": false,
            "live": false, "currency": "USD", "account": account, "product": product,
            "display": product, "quantity": 1, "adhoc": false, "autoRenew": true,
            "price": 10, "priceDisplay": "$10.00", "priceInPayoutCurrency": 10,
            "priceInPayoutCurrencyDisplay": "$10.00", "discount": 0, "discountDisplay": "$0.00",
            "discountInPayoutCurrency": 0, "discountInPayoutCurrencyDisplay": "$0.00",
            "subtotal": 10, "subtotalDisplay": "$10.00", "subtotalInPayoutCurrency": 10,
            "subtotalInPayoutCurrencyDisplay": "$10.00",
            "intervalUnit": "month", "intervalLength": 1,
        });
        if let Some(obj) = sub.as_object_mut() {
            set_time(obj, "changed", Some(now));
            set_time(obj, "begin", Some(now));
            set_time(
                obj,
                "next",
                Some(crate::clock::add_interval(now, "month", 1)),
            );
            set_time(
                obj,
                "nextChargeDate",
                Some(crate::clock::add_interval(now, "month", 1)),
            );
            for field in ["end", "canceledDate", "deactivationDate"] {
                set_time(obj, field, None);
            }
        }
        self.billing.insert(
            id.clone(),
            Billing {
                payment_method: true,
                anchor: Some((now, 1)),
                ..Billing::default()
            },
        );
        (id, sub)
    }
}

/// The first product of the spec's `getProduct` example, without its `action`/`result`.
fn example_product(spec: &Spec) -> Option<Value> {
    let example = spec
        .operation("getProduct")?
        .success()?
        .examples
        .values()
        .next()?;
    let mut product = example.pointer("/products/0")?.clone();
    let object = product.as_object_mut()?;
    object.remove("action");
    object.remove("result");
    Some(product)
}

/// The data of an event of type `event_type` as the spec exemplifies it (the first
/// example, by name, of the webhook's request body).
pub fn example_event_data(spec: &Spec, event_type: &str) -> Option<Value> {
    let item = spec.doc.get("webhooks")?.get(event_type)?;
    let item = resolve(&spec.doc, item);
    let media = item.pointer("/post/requestBody/content/application~1json")?;
    let example = media
        .get("examples")
        .and_then(Value::as_object)
        .and_then(|e| e.values().next())
        .map(|e| resolve(&spec.doc, e))
        .and_then(|e| e.get("value"))
        .or_else(|| media.get("example"))?;
    example.pointer("/events/0/data").cloned()
}

#[cfg(test)]
/// The schema of the `data` of event type `event_type`, from the spec's `webhooks`.
pub fn event_data_schema<'a>(spec: &'a Spec, event_type: &str) -> Option<&'a Value> {
    let item = resolve(&spec.doc, spec.doc.get("webhooks")?.get(event_type)?);
    let events = item.pointer("/post/requestBody/content/application~1json/schema")?;
    let events = resolve(&spec.doc, events);
    let event = resolve(&spec.doc, events.pointer("/properties/events/items")?);
    event
        .get("allOf")
        .and_then(Value::as_array)?
        .iter()
        .find_map(|branch| resolve(&spec.doc, branch).pointer("/properties/data"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{spec, validate};

    #[test]
    fn the_data_of_the_events_the_mock_records_fits_the_specs_webhook_schemas() {
        let spec = spec();
        let mut store = Store::from_spec(spec, 1_700_000_000_000);
        let now = store.now;
        let (_, active) = store.active_subscription(Some("sub-1"), "acct-1", "plan");
        let mut canceled = active.clone();
        Store::cancel_subscription(&mut canceled, false, now);
        let mut deactivated = active.clone();
        Store::cancel_subscription(&mut deactivated, true, now);
        let mut uncanceled = canceled.clone();
        Store::uncancel_subscription(&mut uncanceled, now);
        let (_, account) = store.new_account(&json!({
            "contact": {"first": "Ada", "last": "Lovelace", "email": "ada@example.com"}
        }));
        for (event_type, data) in [
            ("subscription.paused", &active),
            ("subscription.resumed", &active),
            ("subscription.updated", &active),
            ("subscription.canceled", &canceled),
            ("subscription.deactivated", &deactivated),
            ("subscription.uncanceled", &uncanceled),
            ("account.created", &account),
            ("account.updated", &account),
        ] {
            let schema = event_data_schema(spec, event_type).expect(event_type);
            if let Err(e) = validate(&spec.doc, schema, data) {
                panic!("{event_type}: {} {}", e.path, e.message);
            }
        }
        assert!(example_event_data(spec, "order.completed").is_some());
    }
}
