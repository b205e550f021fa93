//! A checkout paid: what FastSpring does when a buyer completes a purchase. The buyer's
//! account (created for a new e-mail address), a completed order, and a subscription
//! for each subscription product, with the events FastSpring sends for them.

use serde_json::{Value, json};

use crate::clock::add_interval;
use crate::store::{Billing, Kind, Store, set_time};
use crate::timeline::rebill_order;

/// A purchase to complete, as a buyer would at FastSpring's checkout.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct Checkout {
    email: String,
    items: Vec<(String, i64)>,
    payment_method: bool,
}

/// What a completed checkout created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutOutcome {
    /// The buyer's account ID (new, or the existing one with that e-mail address).
    pub account: String,
    /// Whether the account was created by this checkout.
    pub new_account: bool,
    /// The completed order's ID.
    pub order: String,
    /// The subscriptions created, one per subscription product, in item order.
    pub subscriptions: Vec<String>,
}

impl Checkout {
    /// A checkout by the buyer with this e-mail address.
    pub fn new(email: impl Into<String>) -> Checkout {
        Checkout {
            email: email.into(),
            items: Vec::new(),
            payment_method: true,
        }
    }

    /// Buys `quantity` of the product at `path` (a subscription product, one whose
    /// `pricing.interval` is set, starts a subscription).
    pub fn item(mut self, path: impl Into<String>, quantity: i64) -> Checkout {
        self.items.push((path.into(), quantity.max(1)));
        self
    }

    /// A free trial taken without a payment method (FastSpring's "free trial without
    /// payment method"): at the trial's end the subscription is deactivated instead of
    /// charged. Default: a payment method is on file.
    pub fn without_payment_method(mut self) -> Checkout {
        self.payment_method = false;
        self
    }

    /// Reads the admin API's form: `{"email", "items": [{"product", "quantity"?}],
    /// "paymentMethod"?: bool}`.
    pub(crate) fn from_json(value: &Value) -> Result<Checkout, String> {
        let email = value
            .get("email")
            .and_then(Value::as_str)
            .filter(|e| e.contains('@'))
            .ok_or("give the buyer's `email`")?;
        let mut checkout = Checkout::new(email);
        for item in value
            .get("items")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let product = item
                .get("product")
                .and_then(Value::as_str)
                .ok_or("each item needs a `product` path")?;
            let quantity = item.get("quantity").and_then(Value::as_i64).unwrap_or(1);
            checkout = checkout.item(product, quantity);
        }
        if checkout.items.is_empty() {
            return Err("give at least one item: {\"items\": [{\"product\": \"…\"}]}".into());
        }
        if value.get("paymentMethod") == Some(&Value::Bool(false)) {
            checkout = checkout.without_payment_method();
        }
        Ok(checkout)
    }

    /// Completes the checkout in `store`; returns what it created and the events to
    /// record (`account.created` for a new buyer, `order.completed`, then
    /// `subscription.activated` per subscription).
    pub(crate) fn complete(
        &self,
        store: &mut Store,
    ) -> Result<(CheckoutOutcome, Vec<(String, Value)>), String> {
        for (path, _) in &self.items {
            if store.get(Kind::Products, path).is_none() {
                return Err(format!("no product `{path}` (seed it first)"));
            }
        }
        let now = store.now;
        let mut events = Vec::new();
        let existing = store.account_by_email(&self.email);
        let new_account = existing.is_none();
        let account = match existing {
            Some(id) => id,
            None => {
                let first = self.email.split('@').next().unwrap_or("buyer");
                let (id, account) = store.new_account(&json!({
                    "contact": {"first": first, "last": "Buyer", "email": self.email},
                }));
                store.insert(Kind::Accounts, id.clone(), account.clone());
                events.push(("account.created".to_string(), account));
                id
            }
        };
        let order_id = store.new_id();
        let mut items = Vec::new();
        let mut subscriptions = Vec::new();
        let mut activated = Vec::new();
        let mut total = 0.0;
        for (path, quantity) in &self.items {
            let pricing = store
                .get(Kind::Products, path)
                .and_then(|p| p.get("pricing"))
                .cloned()
                .unwrap_or(Value::Null);
            let price = pricing
                .pointer("/price/USD")
                .and_then(Value::as_f64)
                .unwrap_or(10.0);
            let subtotal = price * *quantity as f64;
            total += subtotal;
            let mut item = json!({
                "product": path, "quantity": quantity, "display": path,
                "subtotal": subtotal, "discount": 0,
            });
            if let Some(unit) = pricing.get("interval").and_then(Value::as_str) {
                let length = pricing
                    .get("intervalLength")
                    .and_then(Value::as_i64)
                    .unwrap_or(1);
                let trial_days = pricing.get("trial").and_then(Value::as_i64).unwrap_or(0);
                let (id, mut sub) = store.active_subscription(None, &account, path);
                if let Some(obj) = sub.as_object_mut() {
                    obj.insert("intervalUnit".into(), json!(unit));
                    obj.insert("intervalLength".into(), json!(length));
                    obj.insert("quantity".into(), json!(quantity));
                    for field in ["price", "priceInPayoutCurrency"] {
                        obj.insert(field.into(), json!(price));
                    }
                    for field in ["subtotal", "subtotalInPayoutCurrency"] {
                        obj.insert(field.into(), json!(subtotal));
                    }
                    obj.insert("initialOrderId".into(), json!(order_id));
                    obj.insert("sequence".into(), json!(1));
                    let next = if trial_days > 0 {
                        obj.insert("state".into(), json!("trial"));
                        add_interval(now, "day", trial_days)
                    } else {
                        add_interval(now, unit, length)
                    };
                    set_time(obj, "next", Some(next));
                    set_time(obj, "nextChargeDate", Some(next));
                }
                store.billing.insert(
                    id.clone(),
                    Billing {
                        payment_method: self.payment_method,
                        // A trial's anchor is set when it converts.
                        anchor: (trial_days == 0).then_some((now, 1)),
                        ..Billing::default()
                    },
                );
                store.insert(Kind::Subscriptions, id.clone(), sub.clone());
                item["subscription"] = json!(id);
                subscriptions.push(id);
                activated.push(("subscription.activated".to_string(), sub));
            }
            items.push(item);
        }
        let mut order = rebill_order(
            &order_id,
            &json!({"currency": "USD", "account": account}),
            &json!(total),
            now,
            false,
        );
        order["items"] = Value::Array(items);
        store.insert(Kind::Orders, order_id.clone(), order.clone());
        if let Some(acct) = store.get_mut(Kind::Accounts, &account) {
            for (list, ids) in [
                ("orders", vec![order_id.clone()]),
                ("subscriptions", subscriptions.clone()),
            ] {
                if let Some(list) = acct.get_mut(list).and_then(Value::as_array_mut) {
                    list.extend(ids.into_iter().map(Value::from));
                }
            }
        }
        events.push(("order.completed".to_string(), order));
        events.extend(activated);
        Ok((
            CheckoutOutcome {
                account,
                new_account,
                order: order_id,
                subscriptions,
            },
            events,
        ))
    }
}
