//! A plan change priced for the rest of the current period: what `estimateSubscription`
//! previews and what a prorated change (the clock's scenario, or `POST /subscriptions`
//! with `prorate: true`) charges. One computation for all three, so the preview and the
//! charge agree.
//!
//! The rule (the mock's choice; FastSpring does not publish its formula): the current
//! plan is credited and the proposed plan charged for the fraction of the period left,
//! `price × quantity × remaining / period`, each rounded to cents; the difference is
//! due now when positive. A credit (a cheaper plan) is shown but never paid out.

use serde_json::{Value, json};

use crate::clock::{add_interval, display_date, iso_date};
use crate::store::{Kind, Store};

const DAY_MS: i64 = 86_400_000;

/// One side of a change: what is billed per period.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Plan {
    /// The product path.
    pub product: String,
    /// What buyers see.
    pub display: String,
    /// Price of one unit per period.
    pub price: f64,
    /// Units.
    pub quantity: i64,
}

impl Plan {
    fn subtotal(&self) -> f64 {
        cents(self.price * self.quantity as f64)
    }
}

/// A plan change of one subscription, priced at the mock's clock.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Proration {
    /// The subscription.
    pub subscription: String,
    /// Its currency.
    pub currency: String,
    /// The current period: `[start, next)`, epoch ms.
    pub start: i64,
    /// The next charge date.
    pub next: i64,
    /// The subscription's billing interval, `(unit, length)`.
    pub interval: (String, i64),
    /// Whole days of the period, used, left (rounded up).
    pub days: (i64, i64, i64),
    /// The fraction of the period left, 0..=1.
    pub fraction: f64,
    /// The plan now.
    pub current: Plan,
    /// The plan after the change.
    pub proposed: Plan,
    /// Why FastSpring would refuse to prorate it (`TRIAL`, `PAUSE`, `SCHEDULED PAUSE`,
    /// `INACTIVE`), or `None`.
    pub ineligible: Option<&'static str>,
}

impl Proration {
    /// Prices changing subscription `id` to `product` (default: the same) and
    /// `quantity` (default: the same) now. `price` overrides the new unit price (the
    /// request's `pricing.price`); otherwise it is the product's price in the
    /// subscription's currency, or, when the product has none in that currency, the
    /// current price. `Err` names what is missing.
    pub(crate) fn of(
        store: &Store,
        id: &str,
        product: Option<&str>,
        quantity: Option<i64>,
        price: Option<f64>,
    ) -> Result<Proration, String> {
        let sub = store
            .get(Kind::Subscriptions, id)
            .ok_or_else(|| format!("no subscription `{id}`"))?;
        let at = store.now;
        let text = |key: &str| sub.get(key).and_then(Value::as_str).unwrap_or_default();
        let currency = match text("currency") {
            "" => "USD".to_string(),
            c => c.to_string(),
        };
        let unit = match text("intervalUnit") {
            "" => "month",
            unit => unit,
        };
        let length = sub
            .get("intervalLength")
            .and_then(Value::as_i64)
            .unwrap_or(1)
            .max(1);
        let next = sub.get("next").and_then(Value::as_i64).unwrap_or(at);
        let start = add_interval(next, unit, -length);
        let fraction = if next > start {
            (next - at).clamp(0, next - start) as f64 / (next - start) as f64
        } else {
            0.0
        };
        let total_days = ((next - start) as f64 / DAY_MS as f64).round() as i64;
        let left_days = (((next - at).max(0) as f64) / DAY_MS as f64).ceil() as i64;
        let left_days = left_days.min(total_days);
        let current_path = match sub.get("product") {
            Some(Value::String(path)) => path.clone(),
            Some(product) => product
                .get("product")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            None => String::new(),
        };
        let current = Plan {
            display: match text("display") {
                "" => current_path.clone(),
                display => display.to_string(),
            },
            product: current_path,
            price: sub.get("price").and_then(Value::as_f64).unwrap_or(0.0),
            quantity: sub.get("quantity").and_then(Value::as_i64).unwrap_or(1),
        };
        let proposed_path = product.unwrap_or(&current.product);
        let known = store.get(Kind::Products, proposed_path);
        let proposed = Plan {
            product: proposed_path.to_string(),
            display: if proposed_path == current.product {
                current.display.clone()
            } else {
                known
                    .and_then(|p| p.pointer("/display/en"))
                    .and_then(Value::as_str)
                    .unwrap_or(proposed_path)
                    .to_string()
            },
            price: price
                .or_else(|| {
                    known
                        .and_then(|p| p.pointer(&format!("/pricing/price/{currency}")))
                        .and_then(Value::as_f64)
                })
                .unwrap_or(current.price),
            quantity: quantity.unwrap_or(current.quantity),
        };
        let ineligible = match text("state") {
            "trial" => Some("TRIAL"),
            "paused" => Some("PAUSE"),
            "active" | "overdue" if sub.get("isPauseScheduled") == Some(&Value::Bool(true)) => {
                Some("SCHEDULED PAUSE")
            }
            "active" | "overdue" => None,
            _ => Some("INACTIVE"),
        };
        Ok(Proration {
            subscription: id.to_string(),
            currency,
            start,
            next,
            interval: (unit.to_string(), length),
            days: (total_days, total_days - left_days, left_days),
            fraction,
            current,
            proposed,
            ineligible,
        })
    }

    /// The current plan credited for the rest of the period.
    pub(crate) fn credit(&self) -> f64 {
        cents(self.current.subtotal() * self.fraction)
    }

    /// The proposed plan charged for the rest of the period.
    pub(crate) fn charge(&self) -> f64 {
        cents(self.proposed.subtotal() * self.fraction)
    }

    /// What is due now: the charge less the credit, when positive.
    pub(crate) fn due_now(&self) -> f64 {
        cents(self.charge() - self.credit()).max(0.0)
    }

    /// The `estimateSubscription` answer (`SubscriptionEstimate`).
    pub(crate) fn estimate(&self) -> Value {
        let money = |amount: f64| money_display(amount, &self.currency);
        let difference = cents(self.charge() - self.credit());
        let period_end = self.next - DAY_MS;
        let plan = |plan: &Plan, current: bool| {
            let subtotal = plan.subtotal();
            let mut out = json!({
                "display": plan.display,
                "product": plan.product,
                "billingFrequency": format!("{} {}", self.interval.1, self.interval.0),
                "price": plan.price, "priceDisplay": money(plan.price),
                "discount": 0, "discountDisplay": money(0.0),
                "quantity": plan.quantity,
                "subtotal": subtotal, "subtotalDisplay": money(subtotal),
                "tax": 0, "taxDisplay": money(0.0),
                "total": subtotal, "totalDisplay": money(subtotal),
                "taxPercent": 0, "taxPercentDisplay": "0%",
                "prorationUtilizedDays": self.days.1,
                "prorationRemainingDays": self.days.2,
                "prorationTotalDays": self.days.0,
                "proratedItemCharge": self.charge(), "proratedItemChargeDisplay": money(self.charge()),
                "proratedItemCredit": self.credit(), "proratedItemCreditDisplay": money(self.credit()),
                "proratedItemSubtotal": difference, "proratedItemSubtotalDisplay": money(difference),
                "proratedItemTax": 0, "proratedItemTaxDisplay": money(0.0),
                "proratedItemTotal": difference, "proratedItemTotalDisplay": money(difference),
                "addons": [],
                "subscriptionSubtotal": subtotal, "subscriptionSubtotalDisplay": money(subtotal),
                "subscriptionTax": 0, "subscriptionTaxDisplay": money(0.0),
                "subscriptionTotal": subtotal, "subscriptionTotalDisplay": money(subtotal),
                "subscriptionEndDate": null, "subscriptionEndDateDisplay": null,
                "subscriptionEndDateDisplayISO8601": null,
            });
            dates(&mut out, "periodStartDate", self.start);
            dates(&mut out, "periodEndDate", period_end);
            if current {
                out["subscriptionProratedCredit"] = json!(self.credit());
                out["subscriptionProratedCreditDisplay"] = json!(money(self.credit()));
            } else {
                out["subscriptionProratedCharge"] = json!(self.charge());
                out["subscriptionProratedChargeDisplay"] = json!(money(self.charge()));
            }
            out
        };
        let next_amount = self.proposed.subtotal();
        let mut amount_due = json!({
            "prorationSubtotal": difference, "prorationSubtotalDisplay": money(difference),
            "prorationTax": 0, "prorationTaxDisplay": money(0.0),
            "totalAmountDue": self.due_now(), "totalAmountDueDisplay": money(self.due_now()),
            "nextChargeAmount": next_amount, "nextChargeAmountDisplay": money(next_amount),
        });
        dates(&mut amount_due, "nextChargeDate", self.next);
        let mut out = json!({
            "subscription": self.subscription,
            "currency": self.currency,
            "timezone": "UTC",
            "endDate": null, "endDateDisplay": null, "endDateDisplayISO8601": null,
            "remainingPeriods": -1,
            "isProratable": self.ineligible.is_none(),
            "prorationStatus": self.ineligible.unwrap_or("Available"),
            "currentPlan": plan(&self.current, true),
            "proposedPlan": plan(&self.proposed, false),
            "amountDue": amount_due,
            "discountTotals": {
                "productLevelDiscountTotal": 0, "productLevelDiscountTotalDisplay": money(0.0),
                "couponLevelDiscountTotal": 0, "couponLevelDiscountTotalDisplay": money(0.0),
            },
        });
        dates(&mut out, "periodStartDate", self.start);
        dates(&mut out, "periodEndDate", period_end);
        dates(&mut out, "nextChargeDate", self.next);
        out
    }
}

/// `{field}`, `{field}Display`, `{field}DisplayISO8601`, as the estimate carries dates.
fn dates(out: &mut Value, field: &str, ms: i64) {
    out[field] = json!(ms);
    out[format!("{field}Display")] = json!(display_date(ms));
    out[format!("{field}DisplayISO8601")] = json!(iso_date(ms));
}

/// Rounded to cents, as FastSpring's amounts are.
pub(crate) fn cents(amount: f64) -> f64 {
    (amount * 100.0).round() / 100.0
}

/// `$80.00`, `-$20.00`, `€4.50`; other currencies as `12.00 SEK`.
pub(crate) fn money_display(amount: f64, currency: &str) -> String {
    let sign = if amount < 0.0 { "-" } else { "" };
    let digits = format!("{:.2}", amount.abs());
    match currency {
        "USD" => format!("{sign}${digits}"),
        "EUR" => format!("{sign}€{digits}"),
        "GBP" => format!("{sign}£{digits}"),
        other => format!("{sign}{digits} {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_reads_as_fastspring_displays_it() {
        assert_eq!(money_display(80.0, "USD"), "$80.00");
        assert_eq!(money_display(-20.0, "USD"), "-$20.00");
        assert_eq!(money_display(4.5, "EUR"), "€4.50");
        assert_eq!(money_display(12.0, "SEK"), "12.00 SEK");
        assert_eq!(cents(10.0 / 3.0), 3.33);
    }
}
