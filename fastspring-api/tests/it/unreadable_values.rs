//! One unreadable value never costs the whole reply (issue 17): a price list whose one
//! `setupFeePrice` reads `"11.0,"` decodes, the amount is kept as sent, the rest is
//! intact, the drift is reported with its pointer (check-payload and a `tracing` event);
//! a structural mismatch still fails with operation, status, path and excerpt.

use crate::support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use fastspring_api::Error;
use fastspring_api::payload::{self, Outcome};
use serde_json::{Value, json};
use support::{Reply, serve_reply};

/// A two-country price list of one product; `bad` is the US setup fee as sent.
fn price_list(bad: Value) -> Value {
    json!({
        "page": 1, "limit": 50, "nextPage": null,
        "products": [{
            "action": "product.price.get", "result": "success", "product": "example-subscription",
            "pricing": {
                "DE": {"currency": "EUR", "price": 100, "display": "100,00 €", "setupFeePrice": 11.0},
                "US": {"currency": "USD", "price": 110, "display": "$110.00", "setupFeePrice": bad,
                       "setupFeePriceDisplay": "$11.00"}
            }
        }]
    })
}

/// Everything `tracing` writes while it is alive, as text.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

#[tokio::test]
async fn a_price_list_with_one_bad_amount_decodes_keeps_it_and_logs_where() {
    let (_server, t) = serve_reply(Reply::ok(&price_list(json!("11.0,")))).await;
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let prices = t
        .client
        .products()
        .list_prices()
        .send()
        .await
        .expect("one unreadable amount does not cost the reply");

    let product = &prices.products.as_ref().expect("products")[0];
    let pricing = product.pricing.as_ref().expect("pricing");
    let us = &pricing["US"];
    let fee = us.setup_fee_price.as_ref().expect("kept");
    assert_eq!(fee.unreadable(), Some("11.0,"));
    assert_eq!(fee.value(), None);
    // The rest of the object, and the other country, are intact.
    assert_eq!(us.setup_fee_price_display.as_deref(), Some("$11.00"));
    assert_eq!(us.price.as_ref().and_then(|p| p.value()), Some(110.into()));
    assert_eq!(
        pricing["DE"]
            .setup_fee_price
            .as_ref()
            .and_then(|p| p.value()),
        Some(11.into())
    );

    let log = captured.text();
    assert!(log.contains("operation=\"listProductPrices\""), "{log}");
    assert!(
        log.contains("pointer=\"/products/0/pricing/US/setupFeePrice\""),
        "{log}"
    );
    assert!(
        !log.contains("11.0,"),
        "the value itself is not logged: {log}"
    );
}

#[test]
fn check_payload_reports_the_bad_amount_as_drift_with_its_pointer() {
    let shapes = payload::shapes_for_operation("listProductPrices");
    let outcome = payload::check_response(&shapes, &price_list(json!("11.0,")));
    assert_eq!(
        outcome,
        Outcome::Drift(vec!["/products/0/pricing/US/setupFeePrice".into()])
    );
    // A time and an integer that cannot be read are drift too, not failures.
    let mut odd = price_list(json!(11));
    odd["nextPage"] = json!("two");
    let outcome = payload::check_response(&shapes, &odd);
    assert_eq!(outcome, Outcome::Drift(vec!["/nextPage".into()]));
    // A readable reply has no drift.
    assert_eq!(
        payload::check_response(&shapes, &price_list(json!("11.00"))),
        Outcome::Ok
    );
}

#[tokio::test]
async fn a_structural_mismatch_still_fails_with_its_evidence() {
    let mut reply = price_list(json!(11));
    reply["products"] = json!({"product": "example-subscription"});
    let (_server, t) = serve_reply(Reply::ok(&reply)).await;

    let error = t
        .client
        .products()
        .list_prices()
        .send()
        .await
        .expect_err("an object where the list of products is documented");

    let Error::Decode(decode) = error else {
        panic!("expected a decode error, got {error:?}");
    };
    assert_eq!(decode.operation, "listProductPrices");
    assert_eq!(decode.status, 200);
    assert_eq!(decode.path, "products");
    assert!(decode.excerpt.contains("example-subscription"), "{decode}");
}
