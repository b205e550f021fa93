//! Responses decode leniently where FastSpring's payloads stray from its reference:
//! whole numbers written as floats, numbers or booleans where strings are documented,
//! `"true"` for booleans, strings for amounts, unknown fields and enum values. A scalar
//! that still cannot be read (a fraction for an integer, a non-numeric amount) is kept as
//! sent or left absent (`tests/unreadable_values.rs`); a structure where a scalar or a
//! list is documented is still an error.

use fastspring_api::orders::Order;
use serde_json::json;

#[test]
fn strays_from_the_reference_still_decode() {
    let order: Order = serde_json::from_value(json!({
        "id": "EGr98BxdQ-idUfSZf_g-gw",
        "live": "false",
        "total": "54.65",
        "changed": 1542239789431.0,
        "customer": {"first": "Ann", "phone": 8055551234_i64},
        "items": [{"product": "pro", "quantity": 2.0, "shiny": "a field the spec does not know"}],
        "brandNewField": {"nested": true}
    }))
    .expect("decodes");
    assert_eq!(order.live, Some(false));
    assert_eq!(order.total.map(|t| t.to_string()).as_deref(), Some("54.65"));
    assert_eq!(order.changed.and_then(|c| c.get()), Some(1_542_239_789_431));
    assert_eq!(
        order.customer.and_then(|c| c.phone).as_deref(),
        Some("8055551234")
    );
    assert_eq!(order.items.unwrap()[0].quantity, Some(2));
}

#[test]
fn real_contradictions_are_kept_or_absent_and_structures_are_still_errors() {
    let order: Order = serde_json::from_value(json!({
        "id": "o", "items": [{"quantity": 1.5}], "total": "ten dollars", "live": "maybe"
    }))
    .expect("one unreadable value does not cost the order");
    assert_eq!(order.items.unwrap()[0].quantity, None);
    assert_eq!(
        order.total.as_ref().and_then(|t| t.unreadable()),
        Some("ten dollars")
    );
    assert_eq!(order.live, None);

    let list_as_object =
        serde_json::from_value::<Order>(json!({"id": "o", "items": {"quantity": 1}}));
    assert!(list_as_object.is_err());
    let amount_as_object = serde_json::from_value::<Order>(json!({"id": "o", "total": {"USD": 1}}));
    assert!(amount_as_object.is_err());
}

#[test]
fn a_union_that_does_not_fit_names_the_closest_form_and_where_it_failed() {
    use fastspring_api::orders::GetOrderResponse;
    // A bare order (one ID asked for) whose items are not a list.
    let err =
        serde_json::from_value::<GetOrderResponse>(json!({"id": "o", "items": "abc"})).unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("no form of GetOrderResponse fits"),
        "{message}"
    );
    assert!(message.contains("at `/items`"), "{message}");
    // A wrapper (several IDs) is still recognised as the wrapper.
    let both =
        serde_json::from_value::<GetOrderResponse>(json!({"orders": [{"id": "a"}, {"id": "b"}]}));
    assert!(matches!(both, Ok(GetOrderResponse::Several(_))), "{both:?}");
}

/// FastSpring's price list sends `"discountPeriodCount": "null"` (a string) where the
/// reference documents an optional integer: read as absent. A required integer and a
/// string field keep their meaning.
#[test]
fn the_string_null_in_an_optional_integer_is_absent() {
    let order: Order = serde_json::from_value(json!({
        "id": "o",
        "customer": {"first": "null"},
        "items": [{"product": "pro", "quantity": "null"}, {"product": "pro", "quantity": " 3 "}]
    }))
    .expect("decodes");
    let items = order.items.unwrap();
    assert_eq!(items[0].quantity, None);
    assert_eq!(items[1].quantity, Some(3));
    assert_eq!(
        order.customer.and_then(|c| c.first).as_deref(),
        Some("null")
    );
    // Any other text is unreadable: absent, not a failure of the order.
    let other: Order = serde_json::from_value(json!({"id": "o", "items": [{"quantity": "nil"}]}))
        .expect("decodes");
    assert_eq!(other.items.unwrap()[0].quantity, None);
}

/// How `object!` (the generated structs' `Deserialize` and `Serialize`) reads and writes
/// an object: keys straight from the input or escaped, the last of a repeated key,
/// the "missing field" error, members beyond the declared ones, and what is written
/// back.
#[test]
fn generated_structs_read_and_write_objects_as_declared() {
    // An escaped key (`\u0069d` is `id`) is matched like a plain one.
    let order: Order =
        serde_json::from_slice(br#"{"\u0069d": "o-1", "language": "en", "language": "de"}"#)
            .expect("decodes");
    assert_eq!(order.id, "o-1");
    // A repeated key keeps its last value (lenient: serde's derive refused it).
    assert_eq!(order.language.as_deref(), Some("de"));

    let missing = serde_json::from_value::<Order>(json!({"reference": "R-1"})).unwrap_err();
    assert_eq!(missing.to_string(), "missing field `id`");

    let not_an_object = serde_json::from_value::<Order>(json!(["o-1"])).unwrap_err();
    assert!(
        not_an_object.to_string().contains("expected struct Order"),
        "{not_an_object}"
    );

    // `others:` keeps members the spec does not declare.
    let price: fastspring_api::products::ProductCountryPrice =
        serde_json::from_value(json!({"currency": "USD", "price": 10, "10": {"discountValue": 5}}))
            .expect("decodes");
    assert_eq!(price.currency.as_deref(), Some("USD"));
    assert_eq!(
        price.additional_properties.get("10"),
        Some(&json!({"discountValue": 5}))
    );

    // Written back under the JSON names: absent optional fields left out, the kept
    // members after the declared ones.
    let written = serde_json::to_value(&price).expect("encodes");
    assert_eq!(
        written,
        json!({"currency": "USD", "price": 10, "10": {"discountValue": 5}})
    );
    let written = serde_json::to_value(&order).expect("encodes");
    assert_eq!(written, json!({"id": "o-1", "language": "de"}));
}
