//! Every operation of the coupons (7), products (8) and returns (2) groups, called
//! through its generated method against a loopback server that answers with the spec's
//! own example. Each test checks what went over the wire (method, raw path, query, auth,
//! User-Agent, Content-Type, JSON body) and what came back; each group also has tests of
//! its documented error replies, and the batch operations of a reply that mixes a
//! success and a failure.

use crate::support;

use std::collections::BTreeMap;

use fastspring_api::common::{ErrorDetail, ResultStatus};
use fastspring_api::coupons::{
    CouponActionResult, CouponAvailability, CouponCodesAddRequest, CouponDeserializationError,
    CouponDiscountInput, CouponDiscountInputType, CouponDiscountTier, CouponDiscountTierType,
    CouponDiscountType, CouponError, CouponProductsItem, CouponUpsertRequest, GetCouponResponse,
    ListCouponCodesResponse, ListCouponsResponse,
};
use fastspring_api::orders::OrderNote;
use fastspring_api::products::{
    ProductActionResult, ProductBillingInterval, ProductCancellationInput,
    ProductCancellationInputInterval, ProductCancellationInterval, ProductDescription,
    ProductFormat, ProductFulfillmentApplicability, ProductFulfillmentBehavior,
    ProductFulfillmentsValue, ProductNotificationInterval, ProductNotificationIntervalInput,
    ProductOffer, ProductOfferInput, ProductOfferType, ProductOfferTypeInput,
    ProductOffersOfProduct, ProductOffersUpsertRequest, ProductOffersUpsertRequestProducts,
    ProductOverdueNotificationInput, ProductPricingInput,
    ProductPricingInputQuantityDiscountsValue, ProductQuantityBehavior,
    ProductReminderNotificationInput, ProductUpsert, ProductUpsertFulfillment,
    ProductsUpsertRequest,
};
use fastspring_api::returns::{
    CreateReturnsRequest, NewReturn, NewReturnItem, NewReturnNotification, NewReturnReason,
    NewReturnRefundType, Return, ReturnAccount, ReturnError, ReturnItemRefundType, ReturnOrError,
    ReturnRefundPerformerType, ReturnRefundSourceComponent, ReturnType,
};
use fastspring_api::{Amount, EpochMillis, EpochSeconds, Error};
use serde_json::json;
use support::{
    Reply, amount, api_error, assert_sent, per_currency, request_example, response_example, s,
    serve_example, serve_reply, serve_status_example, texts,
};

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|i| i.to_string()).collect()
}

// ---------------------------------------------------------------------------------------
// coupons
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn coupons_list() {
    let (server, t) = serve_example("listCoupons", "coupon-ids").await;

    let response = t.client.coupons().list().await.unwrap();

    assert_sent(&server, "GET", "/coupons", &[], None);
    let ListCouponsResponse::List(list) = response else {
        panic!("a successful listing is the list, not the error branch: {response:?}");
    };
    assert_eq!(
        list.coupons,
        Some(strings(&[
            "summer-sale-2026",
            "new-subscriber-offer",
            "annual-upgrade-promo"
        ]))
    );
}

#[tokio::test]
async fn coupons_upsert() {
    let (server, t) = serve_example("upsertCoupon", "created").await;
    let discount = CouponDiscountInput {
        r#type: Some(CouponDiscountInputType::Flat),
        amount: Some(per_currency(&[("USD", "10"), ("EUR", "9"), ("GBP", "8")])),
        ..Default::default()
    };
    let mut body = CouponUpsertRequest::new(s("summer-sale-2026"));
    body.order_level_discount = Some(true);
    body.discount = Some(discount);
    body.reason = Some(texts(&[("en", "Summer Sale — $10 off your order")]));
    body.limit = Some(500);
    body.available = Some(CouponAvailability {
        start: Some(s("2026-06-01")),
        end: Some(s("2026-08-31")),
    });
    body.codes = Some(strings(&["SUMMER10"]));

    let response = t.client.coupons().upsert(body).await.unwrap();

    assert_sent(
        &server,
        "POST",
        "/coupons",
        &[],
        Some(&request_example(
            "upsertCoupon",
            "order-level-flat-discount",
        )),
    );
    assert_eq!(response.coupon.as_deref(), Some("summer-sale-2026"));
    assert_eq!(response.action.as_deref(), Some("coupon.create"));
    assert_eq!(response.result, Some(ResultStatus::Success));
    assert_eq!(response.error, None);
}

#[tokio::test]
async fn coupons_upsert_multi_tier() {
    let (server, t) = serve_example("upsertCoupon", "updated").await;
    let tier = |percent: f64, product: &str, periods: i64, immediately: bool| CouponDiscountTier {
        r#type: Some(CouponDiscountTierType::Percent),
        percent: Some(percent),
        products: Some(strings(&[product])),
        discount_period_count: Some(Some(periods)),
        apply_discount_immediately: Some(immediately),
        ..CouponDiscountTier::default()
    };
    let mut body = CouponUpsertRequest::new(s("annual-upgrade-promo"));
    body.order_level_discount = Some(false);
    body.has_multi_discount = Some(true);
    body.discounts = Some(vec![
        tier(50.0, "pro-plan-annual", 3, true),
        tier(25.0, "pro-plan-monthly", 6, false),
    ]);
    body.combine = Some(false);
    body.reason = Some(texts(&[("en", "Upgrade and save")]));
    body.codes = Some(strings(&["ANNUAL50", "ANNUAL25"]));

    let response = t.client.coupons().upsert(body).await.unwrap();

    assert_sent(
        &server,
        "POST",
        "/coupons",
        &[],
        Some(&request_example(
            "upsertCoupon",
            "multi-tier-subscription-discount",
        )),
    );
    assert_eq!(response.action.as_deref(), Some("coupon.update"));
    assert_eq!(response.result, Some(ResultStatus::Success));
}

#[tokio::test]
async fn coupons_get() {
    let (server, t) = serve_example("getCoupon", "order-level-flat-discount").await;

    let response = t
        .client
        .coupons()
        .get("summer-sale-2026")
        .expand(true)
        .await
        .unwrap();

    assert_sent(
        &server,
        "GET",
        "/coupons/summer-sale-2026",
        &[("expand", "true")],
        None,
    );
    let GetCouponResponse::Coupon(coupon) = response else {
        panic!("a found coupon is the coupon branch: {response:?}");
    };
    assert_eq!(coupon.coupon, "summer-sale-2026");
    let discount = coupon.discount.as_ref().expect("discount");
    assert_eq!(discount.r#type, Some(CouponDiscountType::Flat));
    assert_eq!(
        discount.amount,
        Some(per_currency(&[("USD", "10"), ("EUR", "9"), ("GBP", "8")]))
    );
    assert_eq!(discount.has_multiple_discounts, Some(false));
    assert_eq!(discount.discounts, Some(vec![]));
    assert_eq!(coupon.order_level_discount, Some(true));
    assert_eq!(coupon.combine, Some(true));
    assert_eq!(coupon.discount_period_count, Some(1));
    assert_eq!(coupon.limit.as_deref(), Some("500"));
    assert_eq!(
        coupon.available,
        Some(CouponAvailability {
            start: Some(s("2026-06-01")),
            end: Some(s("2026-08-31")),
        })
    );
    assert_eq!(
        coupon.reason,
        Some(texts(&[("en", "Summer Sale — $10 off your order")]))
    );
    assert_eq!(coupon.codes, Some(strings(&["SUMMER10"])));
    assert_eq!(coupon.products, Some(vec![]));
}

#[tokio::test]
async fn coupons_get_multi_tier() {
    let (server, t) = serve_example("getCoupon", "multi-tier-subscription-discount").await;

    let response = t
        .client
        .coupons()
        .get("annual-upgrade-promo")
        .await
        .unwrap();

    assert_sent(&server, "GET", "/coupons/annual-upgrade-promo", &[], None);
    let GetCouponResponse::Coupon(coupon) = response else {
        panic!("a found coupon is the coupon branch: {response:?}");
    };
    let discount = coupon.discount.as_ref().expect("discount");
    assert_eq!(discount.has_multiple_discounts, Some(true));
    assert_eq!(discount.r#type, None);
    let tiers = discount.discounts.as_ref().expect("discounts");
    assert_eq!(tiers.len(), 2);
    assert_eq!(tiers[0].r#type, Some(CouponDiscountTierType::Percent));
    assert_eq!(tiers[0].percent, Some(50.0));
    assert_eq!(tiers[0].discount_period_count, Some(Some(3)));
    assert_eq!(tiers[1].products, Some(strings(&["pro-plan-monthly"])));
    assert_eq!(tiers[1].apply_discount_immediately, Some(false));
    // `""` is FastSpring's "unlimited"; `{}` an unrestricted window.
    assert_eq!(coupon.limit.as_deref(), Some(""));
    assert_eq!(coupon.available, Some(CouponAvailability::default()));
    assert_eq!(
        coupon.products,
        Some(vec![
            CouponProductsItem::Id(s("pro-plan-annual")),
            CouponProductsItem::Id(s("pro-plan-monthly")),
        ])
    );
}

#[tokio::test]
async fn coupons_add_codes() {
    let (server, t) = serve_example("addCouponCodes", "codes-added").await;
    let body = CouponCodesAddRequest::new(strings(&["SUMMER10", "SUMMER20", "SUMMER30"]));

    let response = t
        .client
        .coupons()
        .add_codes("summer-sale-2026", body)
        .await
        .unwrap();

    assert_sent(
        &server,
        "POST",
        "/coupons/summer-sale-2026",
        &[],
        Some(&request_example("addCouponCodes", "summer-codes")),
    );
    assert_eq!(response.coupon.as_deref(), Some("summer-sale-2026"));
    assert_eq!(
        response.codes,
        Some(strings(&["SUMMER10", "SUMMER20", "SUMMER30"]))
    );
    assert_eq!(response.result, Some(ResultStatus::Success));
    assert_eq!(response.action, None);
}

#[tokio::test]
async fn coupons_delete() {
    let (server, t) = serve_example("deleteCoupon", "deleted").await;

    // An ID with characters that cannot stand in a path segment as they are.
    let response = t
        .client
        .coupons()
        .delete("100%off/summer sale")
        .await
        .unwrap();

    assert_sent(
        &server,
        "DELETE",
        "/coupons/100%25off%2Fsummer%20sale",
        &[],
        None,
    );
    assert_eq!(response.coupon.as_deref(), Some("summer-sale-2026"));
    assert_eq!(response.result, Some(ResultStatus::Success));
    assert_eq!(response.error, None);
}

#[tokio::test]
async fn coupons_list_codes() {
    let (server, t) = serve_example("listCouponCodes", "summer-codes").await;

    // A `/` in the ID must not add a path segment before `/codes`.
    let response = t
        .client
        .coupons()
        .list_codes("summer-sale/2026 eu")
        .await
        .unwrap();

    assert_sent(
        &server,
        "GET",
        "/coupons/summer-sale%2F2026%20eu/codes",
        &[],
        None,
    );
    let ListCouponCodesResponse::Codes(codes) = response else {
        panic!("a successful listing is the codes branch: {response:?}");
    };
    assert_eq!(codes.coupon.as_deref(), Some("summer-sale-2026"));
    assert_eq!(
        codes.codes,
        Some(strings(&["SUMMER10", "SUMMER20", "SUMMER30"]))
    );
}

#[tokio::test]
async fn coupons_delete_codes() {
    let (server, t) = serve_example("deleteCouponCodes", "codes-deleted").await;

    let response = t
        .client
        .coupons()
        .delete_codes("summer-sale-2026")
        .await
        .unwrap();

    assert_sent(
        &server,
        "DELETE",
        "/coupons/summer-sale-2026/codes",
        &[],
        None,
    );
    assert_eq!(response.coupon.as_deref(), Some("summer-sale-2026"));
    assert_eq!(
        response.codes_deleted,
        Some(strings(&["SUMMER10", "SUMMER20", "SUMMER30"]))
    );
    assert_eq!(response.action.as_deref(), Some("delete coupon codes"));
    assert_eq!(response.result, Some(ResultStatus::Success));
}

#[tokio::test]
async fn coupons_upsert_rejected_inside_a_200() {
    // FastSpring reports a refused coupon with HTTP 200 and `result: error`.
    let (server, t) = serve_example("upsertCoupon", "invalid-discount-type").await;
    let discount = CouponDiscountInput {
        r#type: Some(CouponDiscountInputType::Unknown(s("amount"))),
        amount: Some(per_currency(&[("USD", "10")])),
        ..Default::default()
    };
    let mut body = CouponUpsertRequest::new(s("summer-sale-2026"));
    body.discount = Some(discount);

    let error = t.client.coupons().upsert(body).await.unwrap_err();

    assert_sent(
        &server,
        "POST",
        "/coupons",
        &[],
        Some(&json!({
            "coupon": "summer-sale-2026",
            "discount": {"type": "amount", "amount": {"USD": 10}}
        })),
    );
    let body = api_error(error, "upsertCoupon", 200);
    assert_eq!(
        body.message().as_deref(),
        Some("Invalid discount type amount")
    );
    assert_eq!(
        body.field_errors(),
        texts(&[("error", "Invalid discount type amount")])
    );
    let parsed: CouponActionResult = body.parse().expect("a coupon result body");
    assert_eq!(parsed.coupon.as_deref(), Some("summer-sale-2026"));
    assert_eq!(parsed.result, Some(ResultStatus::Error));
    assert_eq!(
        parsed.error,
        Some(ErrorDetail::Message(s("Invalid discount type amount")))
    );
}

#[tokio::test]
async fn coupons_upsert_unsupported_field_400() {
    let (server, t) = serve_status_example("upsertCoupon", 400, "unsupported-field").await;
    let mut body = CouponUpsertRequest::new(s("summer-sale-2026"));
    body.auto_select_discount = Some(true);

    let error = t.client.coupons().upsert(body).await.unwrap_err();

    assert_sent(
        &server,
        "POST",
        "/coupons",
        &[],
        Some(&json!({"coupon": "summer-sale-2026", "autoSelectDiscount": true})),
    );
    let body = api_error(error, "upsertCoupon", 400);
    assert_eq!(body.message().as_deref(), Some("unreadable"));
    let parsed: CouponDeserializationError = body.parse().expect("the 400 body");
    assert_eq!(parsed.params, Some(vec![]));
}

#[tokio::test]
async fn coupons_get_validation_error_400() {
    let (server, t) = serve_status_example("getCoupon", 400, "validation-error").await;

    let error = t
        .client
        .coupons()
        .get("SUMMER@10")
        .expand(false)
        .await
        .unwrap_err();

    assert_sent(
        &server,
        "GET",
        "/coupons/SUMMER%4010",
        &[("expand", "false")],
        None,
    );
    let body = api_error(error, "getCoupon", 400);
    assert_eq!(
        body.message().as_deref(),
        Some("Invalid coupon code SUMMER@10")
    );
    assert_eq!(
        body.field_errors(),
        texts(&[("error", "Invalid coupon code SUMMER@10")])
    );
    let parsed: CouponError = body.parse().expect("a coupon error body");
    assert_eq!(parsed.result, ResultStatus::Error);
}

// ---------------------------------------------------------------------------------------
// products
// ---------------------------------------------------------------------------------------

/// The product of the spec's `create-product` request example.
fn new_laptop() -> ProductUpsert {
    let mut pricing = ProductPricingInput {
        price: Some(per_currency(&[("USD", "444.99"), ("EUR", "899.99")])),
        payment_collected: Some(true),
        paid_trial: Some(false),
        quantity_discounts: Some(BTreeMap::from([(
            s("10"),
            ProductPricingInputQuantityDiscountsValue::Percent(25.0),
        )])),
        discount_reason: Some(texts(&[("en", "Seasonal Promotion")])),
        trial: Some(14),
        interval: Some(ProductBillingInterval::Month),
        interval_length: Some(1),
        quantity_behavior: Some(ProductQuantityBehavior::Allow),
        discount_duration: Some(1),
        ..ProductPricingInput::default()
    };
    pricing.reminder_notification = Some(ProductReminderNotificationInput {
        enabled: Some(true),
        interval: Some(ProductNotificationIntervalInput::Day),
        interval_length: Some(3),
    });
    pricing.overdue_notification = Some(ProductOverdueNotificationInput {
        enabled: Some(true),
        interval: Some(ProductNotificationIntervalInput::Day),
        interval_length: Some(3),
        amount: Some(10),
    });
    pricing.cancellation = Some(ProductCancellationInput {
        interval: Some(ProductCancellationInputInterval::Month),
        interval_length: Some(2),
    });
    let mut product = ProductUpsert::new(s("new-laptop"));
    product.display = Some(texts(&[("en", "New Laptop")]));
    product.pricing = Some(pricing);
    product.description = Some(ProductDescription {
        summary: Some(texts(&[("en", "A lightweight, high-performance laptop.")])),
        action: Some(texts(&[(
            "en",
            "Buy now to experience unparalleled portability.",
        )])),
        full: Some(texts(&[(
            "en",
            "The New Laptop is designed for students and professionals on the go.",
        )])),
    });
    product.fulfillment = Some(ProductUpsertFulfillment {
        instructions: Some(texts(&[
            ("en", "Ships within 2-3 business days."),
            ("es", "Se envía en 2-3 días hábiles."),
        ])),
    });
    product.attributes = Some(texts(&[("color", "Silver"), ("storage", "512GB SSD")]));
    product.image = Some(s("https://example.com/images/new-laptop.jpg"));
    product.format = Some(ProductFormat::Digital);
    product.sku = Some(s("sku-98765"));
    product.badge = Some(texts(&[("en", "Best Value")]));
    product.rank = Some(1);
    product
}

/// The product of the spec's `trial-without-payment` request example.
fn trial_plan() -> ProductUpsert {
    let mut product = ProductUpsert::new(s("trial-plan-premium"));
    product.display = Some(texts(&[("en", "Premium Plan Trial - No Payment Required")]));
    product.description = Some(ProductDescription {
        summary: Some(texts(&[(
            "en",
            "Start your free trial of the Premium Plan today. No payment method needed.",
        )])),
        ..ProductDescription::default()
    });
    product.pricing = Some(ProductPricingInput {
        quantity_default: Some(1),
        interval: Some(ProductBillingInterval::Month),
        interval_length: Some(1),
        trial: Some(30),
        payment_collected: Some(false),
        paid_trial: Some(false),
        trial_price: Some(per_currency(&[("USD", "0"), ("EUR", "0")])),
        price: Some(per_currency(&[("USD", "19.99"), ("EUR", "17.99")])),
        ..ProductPricingInput::default()
    });
    product
}

#[tokio::test]
async fn products_list() {
    let (server, t) = serve_example("listProducts", "product-paths").await;

    let response = t.client.products().list().await.unwrap();

    assert_sent(&server, "GET", "/products", &[], None);
    assert_eq!(response.action.as_deref(), Some("products.getall"));
    assert_eq!(response.result, Some(ResultStatus::Success));
    assert_eq!(
        response.products,
        Some(strings(&[
            "product-path-1",
            "product-path-2",
            "product-path-3"
        ]))
    );
    assert_eq!(response.total, Some(0));
    assert_eq!(
        (response.page, response.limit, response.next_page),
        (None, None, None)
    );
}

#[tokio::test]
async fn products_upsert() {
    let (server, t) = serve_example("createProducts", "created").await;

    let response = t
        .client
        .products()
        .upsert(ProductsUpsertRequest::new(vec![new_laptop()]))
        .await
        .unwrap();

    assert_sent(
        &server,
        "POST",
        "/products",
        &[],
        Some(&request_example("createProducts", "create-product")),
    );
    let outcomes = response.products.expect("products");
    assert_eq!(outcomes.len(), 1);
    assert_eq!(outcomes[0].product.as_deref(), Some("new-laptop"));
    assert_eq!(outcomes[0].action.as_deref(), Some("product.create"));
    assert_eq!(outcomes[0].result, Some(ResultStatus::Success));
    assert_eq!(
        outcomes[0].created_id.as_deref(),
        Some("kyCJS3ovQ4qhfjA-PPzv_g")
    );
    assert_eq!(outcomes[0].updated_id, None);
}

#[tokio::test]
async fn products_upsert_batch_with_one_failed_item() {
    // FastSpring accepts the first product and refuses the second (a free trial without
    // payment method cannot have the trial price it was given). The error item is the
    // spec's published one, with its placeholder path replaced by the refused product.
    let success = response_example("createProducts", 200, "created")["products"][0].clone();
    let mut failure = response_example("createProducts", 500, "item-error")["products"][0].clone();
    failure["product"] = json!("trial-plan-premium");
    let (server, t) = serve_reply(Reply::ok(&json!({"products": [success, failure]}))).await;

    let outcome = t
        .client
        .products()
        .upsert(ProductsUpsertRequest::new(vec![new_laptop(), trial_plan()]))
        .send_batch()
        .await
        .expect("a 200 batch is reported item by item");

    let mut expected = Vec::new();
    for example in ["create-product", "trial-without-payment"] {
        let value = request_example("createProducts", example);
        expected.extend(value["products"].as_array().unwrap().iter().cloned());
    }
    assert_sent(
        &server,
        "POST",
        "/products",
        &[],
        Some(&json!({ "products": expected })),
    );
    assert_eq!(outcome.operation, "createProducts");
    assert_eq!(outcome.items.len(), 2);
    let created = outcome.items[0].as_ref().expect("first product created");
    assert_eq!(created.product.as_deref(), Some("new-laptop"));
    assert_eq!(
        created.created_id.as_deref(),
        Some("kyCJS3ovQ4qhfjA-PPzv_g")
    );
    assert_eq!(created.result, Some(ResultStatus::Success));
    let refused = outcome.items[1]
        .as_ref()
        .expect_err("second product refused");
    assert_eq!(refused.index, 1);
    assert_eq!(refused.id.as_deref(), Some("trial-plan-premium"));
    assert!(refused.undecodable.is_none());
    assert_eq!(
        refused.messages,
        texts(&[
            (
                "setupFee",
                "Cannot be applied when a free trial without payment method required is set up"
            ),
            (
                "trialPrice",
                "price must be defined \"USD\" price may not be zero or less"
            ),
        ])
    );
    assert!(!outcome.all_succeeded());
    assert_eq!(outcome.succeeded().count(), 1);
    let error = outcome.into_result().unwrap_err();
    let Error::ItemFailures {
        operation,
        total,
        failures,
    } = &error
    else {
        panic!("expected Error::ItemFailures, got {error:?}");
    };
    assert_eq!(
        (*operation, *total, failures.len()),
        ("createProducts", 2, 1)
    );
}

/// `GET /products/{paths}` takes several comma-separated paths through `get_many`: each
/// is encoded on its own and joined with `,`; an empty list sends nothing.
#[tokio::test]
async fn products_get_many_several_paths_in_one_request() {
    let (server, t) = serve_example("getProduct", "subscription-product").await;

    let paths = vec!["premium-laptop".to_string(), "basic laptop/eu".to_string()];
    let items = t.client.products().get_many(paths).await.unwrap();

    assert_sent(
        &server,
        "GET",
        "/products/premium-laptop,basic%20laptop%2Feu",
        &[],
        None,
    );
    // The published example holds one item (whatever was asked).
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].action.as_deref(), Some("products.get"));

    let none = t
        .client
        .products()
        .get_many(Vec::<String>::new())
        .await
        .unwrap();
    assert!(none.is_empty());
    assert_eq!(server.requests().len(), 1, "nothing more was sent");
}

#[tokio::test]
async fn products_get() {
    let (server, t) = serve_example("getProduct", "subscription-product").await;

    // FastSpring wraps even one product (`{"products": [{…}]}`); `get` unwraps it.
    let product = t.client.products().get("premium-laptop").await.unwrap();

    assert_sent(&server, "GET", "/products/premium-laptop", &[], None);
    // The published example keeps its `{product_path}` placeholder.
    assert_eq!(product.product, "{product_path}");
    assert_eq!(
        product.product_app_reference.as_deref(),
        Some("QwEYIcPgTvaet2-pKLC9yU")
    );
    assert_eq!(product.display, Some(texts(&[("en", "product_name")])));
    assert_eq!(product.format, Some(ProductFormat::Digital));
    assert_eq!(product.taxcode.as_deref(), Some("DC020501"));
    let offers = product.offers.as_ref().expect("offers");
    assert_eq!(
        offers[0],
        ProductOffer {
            r#type: ProductOfferType::Addon,
            display: Some(BTreeMap::new()),
            items: strings(&["product_item"]),
        }
    );
    let fulfillments = product.fulfillments.as_ref().expect("fulfillments");
    let Some(ProductFulfillmentsValue::Action(file)) = fulfillments.get("sub-auto-addon_file_0")
    else {
        panic!("a file fulfillment action: {fulfillments:?}");
    };
    assert_eq!(file.fulfillment, "product_file");
    assert_eq!(file.name.as_deref(), Some("File Download (signed.pdf)"));
    assert_eq!(
        file.applicability,
        Some(ProductFulfillmentApplicability::NonRebillOnly)
    );
    assert_eq!(
        file.behavior,
        Some(ProductFulfillmentBehavior::PreferExplicit)
    );
    assert_eq!(file.previous, Some(vec![]));
    let pricing = product.pricing.as_ref().expect("pricing");
    assert_eq!(pricing.price, Some(per_currency(&[("USD", "100")])));
    assert_eq!(pricing.interval, Some(ProductBillingInterval::Month));
    assert_eq!(pricing.interval_length, Some(1));
    assert_eq!(
        pricing.quantity_behavior,
        Some(ProductQuantityBehavior::Allow)
    );
    assert_eq!(pricing.date_limits_enabled, Some(false));
    let reminder = pricing.reminder_notification.as_ref().expect("reminder");
    assert_eq!(reminder.interval, Some(ProductNotificationInterval::Week));
    let overdue = pricing.overdue_notification.as_ref().expect("overdue");
    assert_eq!(overdue.amount, Some(4));
    let cancellation = pricing.cancellation.as_ref().expect("cancellation");
    assert_eq!(
        cancellation.interval,
        Some(ProductCancellationInterval::Week)
    );
}

#[tokio::test]
async fn products_delete() {
    let (server, t) = serve_example("deleteProduct", "deleted-current").await;

    let response = t.client.products().delete("basic-laptop").await.unwrap();

    assert_sent(&server, "DELETE", "/products/basic-laptop", &[], None);
    assert_eq!(
        response.products,
        Some(vec![ProductActionResult {
            action: Some(s("products.delete")),
            result: Some(ResultStatus::Success),
            error: None,
            product: Some(s("basic-laptop")),
        }])
    );
}

#[tokio::test]
async fn products_delete_unknown_path_400() {
    // `send_batch` reports the per-item 400 item by item; `.await` gives the error.
    let (server, t) = serve_status_example("deleteProduct", 400, "not-found").await;
    server.push(Reply::json(
        400,
        &response_example("deleteProduct", 400, "not-found"),
    ));

    let outcome = t
        .client
        .products()
        .delete("basic-laptopp")
        .send_batch()
        .await
        .expect("a per-item report, not an error");
    assert_eq!((outcome.operation, outcome.status), ("deleteProduct", 400));
    assert_eq!(outcome.items.len(), 1);
    let failed = outcome.items[0].as_ref().expect_err("the item failed");
    assert_eq!(failed.id.as_deref(), Some("basic-laptopp"));
    assert_eq!(failed.messages, texts(&[("product", "Not found")]));

    let error = t
        .client
        .products()
        .delete("basic-laptopp")
        .await
        .unwrap_err();
    let requests = server.requests();
    assert_eq!(requests.len(), 2, "one request each, no retry");
    for request in &requests {
        assert_eq!(
            (request.method.as_str(), request.path.as_str()),
            ("DELETE", "/products/basic-laptopp")
        );
    }
    let body = api_error(error, "deleteProduct", 400);
    assert_eq!(body.field_errors(), texts(&[("product", "Not found")]));
    assert_eq!(body.message().as_deref(), Some("product: Not found"));
    let parsed: fastspring_api::products::ProductsActionResponse =
        body.parse().expect("the 400 body is the products wrapper");
    let item = &parsed.products.expect("products")[0];
    assert_eq!(item.product.as_deref(), Some("basic-laptopp"));
    assert_eq!(item.result, Some(ResultStatus::Error));
}

#[tokio::test]
async fn products_get_offers() {
    let (server, t) = serve_example("getProductOffers", "four-offers").await;

    let response = t
        .client
        .products()
        .get_offers("basic-laptop")
        .r#type(ProductOfferTypeInput::CrossSell)
        .await
        .unwrap();

    assert_sent(
        &server,
        "GET",
        "/products/offers/basic-laptop",
        &[("type", "cross-sell")],
        None,
    );
    let items = response.products.expect("products");
    let item = &items[0];
    assert_eq!(item.product.as_deref(), Some("basic-laptop"));
    assert_eq!(item.action.as_deref(), Some("products.offers.get"));
    assert_eq!(item.result, Some(ResultStatus::Success));
    let offers = item.offers.as_ref().expect("offers");
    assert_eq!(
        offers.iter().map(|o| o.r#type.clone()).collect::<Vec<_>>(),
        vec![
            ProductOfferType::CrossSell,
            ProductOfferType::Addon,
            ProductOfferType::Upsell,
            ProductOfferType::Downsell,
        ]
    );
    assert_eq!(
        offers[0].items,
        strings(&["wireless-mouse", "keyboard-cover"])
    );
    assert_eq!(
        offers[2].display,
        Some(texts(&[(
            "en",
            "Upgrade to the premium version for more features."
        )]))
    );
}

/// The offers of the spec's `four-offers` request example.
fn four_offers() -> Vec<ProductOfferInput> {
    let offer = |kind, text: &str, items: &[&str]| ProductOfferInput {
        r#type: kind,
        display: Some(texts(&[("en", text)])),
        items: strings(items),
    };
    vec![
        offer(
            ProductOfferTypeInput::CrossSell,
            "Discover our complementary products to maximize your results.",
            &["wireless-mouse", "keyboard-cover"],
        ),
        offer(
            ProductOfferTypeInput::Addon,
            "Enhance your experience with additional features.",
            &["extra-storage"],
        ),
        offer(
            ProductOfferTypeInput::Upsell,
            "Upgrade to the premium version for more features.",
            &["premium-laptop"],
        ),
        offer(
            ProductOfferTypeInput::Downsell,
            "Switch to a more affordable version of the product.",
            &["basic-laptop"],
        ),
    ]
}

#[tokio::test]
async fn products_upsert_per_item_report_under_500_is_final_and_reported_item_by_item() {
    // The spec documents the per-item error of createProducts with HTTP 500. The
    // operation is safe to repeat, so a plain 500 would be retried; a per-item report
    // is FastSpring's verdict and must not be (retrying would repeat the same refusal).
    let failure = response_example("createProducts", 500, "item-error");
    let (server, t) = serve_reply(Reply::json(500, &failure)).await;
    server.push(Reply::ok(&response_example(
        "createProducts",
        200,
        "created",
    )));

    let outcome = t
        .client
        .products()
        .upsert(ProductsUpsertRequest::new(vec![trial_plan()]))
        .send_batch()
        .await
        .expect("a per-item report, not an error");

    assert_eq!(server.requests().len(), 1, "not retried");
    assert_eq!(server.unused_replies(), 1);
    assert!(t.sleeper.slept().is_empty(), "no backoff wait");
    assert_eq!((outcome.operation, outcome.status), ("createProducts", 500));
    assert_eq!(outcome.items.len(), 1);
    let refused = outcome.items[0]
        .as_ref()
        .expect_err("the product was refused");
    assert_eq!(
        refused.messages,
        failure["products"][0]["error"]
            .as_object()
            .expect("field errors")
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().expect("text").to_string()))
            .collect::<BTreeMap<_, _>>()
    );
}

#[tokio::test]
async fn products_upsert_offers() {
    let (server, t) = serve_example("createProductOffers", "updated").await;
    let body = ProductOffersUpsertRequest::new(ProductOffersUpsertRequestProducts::List(vec![
        ProductOffersOfProduct::new(s("premium-keyboard"), four_offers()),
    ]));

    let response = t
        .client
        .products()
        .upsert_offers("premium-keyboard", body)
        .await
        .unwrap();

    assert_sent(
        &server,
        "POST",
        "/products/offers/premium-keyboard",
        &[],
        Some(&request_example("createProductOffers", "four-offers")),
    );
    let Some(fastspring_api::products::ProductOffersActionResponseProducts::List(outcomes)) =
        response.products
    else {
        panic!("the current reference answers a `products` list");
    };
    let outcome = &outcomes[0];
    assert_eq!(outcome.product.as_deref(), Some("premium-keyboard"));
    assert_eq!(outcome.action.as_deref(), Some("products.offers.update"));
    assert_eq!(outcome.result, Some(ResultStatus::Success));
}

#[tokio::test]
async fn products_upsert_offers_path_mismatch_400() {
    let (server, t) = serve_status_example("createProductOffers", 400, "path-mismatch").await;
    let body = ProductOffersUpsertRequest::new(ProductOffersUpsertRequestProducts::List(vec![
        ProductOffersOfProduct::new(
            s("premium-keyboarddd"),
            vec![ProductOfferInput::new(
                ProductOfferTypeInput::Upgrade,
                strings(&["premium-laptop"]),
            )],
        ),
    ]));

    let error = t
        .client
        .products()
        .upsert_offers("premium-keyboard", body)
        .await
        .unwrap_err();

    assert_sent(
        &server,
        "POST",
        "/products/offers/premium-keyboard",
        &[],
        Some(&json!({"products": [{
            "product": "premium-keyboarddd",
            "offers": [{"type": "upgrade", "items": ["premium-laptop"]}]
        }]})),
    );
    let body = api_error(error, "createProductOffers", 400);
    assert_eq!(
        body.field_errors(),
        texts(&[(
            "product",
            "Product in URL 'premium-keyboard' does not match product in request body \
             'premium-keyboarddd'"
        )])
    );
}

#[tokio::test]
async fn products_list_prices() {
    let (server, t) = serve_example("listProductPrices", "one-product").await;

    let page = t
        .client
        .products()
        .list_prices()
        .country("US")
        .currency("USD")
        .limit(1)
        .page(1)
        .await
        .unwrap();

    assert_sent(
        &server,
        "GET",
        "/products/price",
        &[
            ("country", "US"),
            ("currency", "USD"),
            ("limit", "1"),
            ("page", "1"),
        ],
        None,
    );
    assert_eq!(
        (page.page, page.limit, page.next_page),
        (Some(1), Some(1), Some(2))
    );
    let items = page.products.expect("products");
    let item = &items[0];
    assert_eq!(item.product.as_deref(), Some("basic-laptop"));
    assert_eq!(item.action.as_deref(), Some("product.price.getall"));
    assert_eq!(item.result, Some(ResultStatus::Success));
    let us = &item.pricing.as_ref().expect("pricing")["US"];
    assert_eq!(us.currency.as_deref(), Some("USD"));
    assert_eq!(us.price, Some(Amount::from(600)));
    assert_eq!(us.display.as_deref(), Some("$600.00"));
    let tier = &us.quantity_discount.as_ref().expect("quantityDiscount")["5"];
    assert_eq!(tier.discount_percent, Some(10.0));
    assert_eq!(tier.discount_value, Some(Amount::from(60)));
    assert_eq!(tier.unit_price, Some(Amount::from(540)));
    assert_eq!(tier.unit_price_display.as_deref(), Some("$540.00"));
    assert_eq!(us.discount_period_count, Some(3));
    assert_eq!(us.setup_fee_price, Some(Amount::from(100)));
    assert_eq!(
        us.setup_fee_reason,
        Some(texts(&[("en", "One-time Setup Fee")]))
    );
    assert!(us.additional_properties.is_empty());
}

#[tokio::test]
async fn products_get_price() {
    let (server, t) = serve_example("getProductPrice", "current-shape").await;

    // A product path with a `/` and a space: one encoded path segment.
    let prices = t
        .client
        .products()
        .get_price("basic-laptop/eu edition")
        .country("US")
        .currency("USD")
        .await
        .unwrap();

    assert_sent(
        &server,
        "GET",
        "/products/price/basic-laptop%2Feu%20edition",
        &[("country", "US"), ("currency", "USD")],
        None,
    );
    assert_eq!(
        (prices.page, prices.limit, prices.next_page),
        (Some(1), Some(50), None)
    );
    let item = &prices.products.expect("products")[0];
    assert_eq!(item.action.as_deref(), Some("product.price.get"));
    let us = &item.pricing.as_ref().expect("pricing")["US"];
    assert_eq!(us.price, Some(Amount::from(600)));
    let available = us.available.as_ref().expect("available");
    assert_eq!(
        (available.start.as_deref(), available.end.as_deref()),
        (Some("2025-01-01"), Some("2025-12-31"))
    );
}

#[tokio::test]
async fn products_get_price_older_shape_keeps_tiers() {
    let (server, t) = serve_example("getProductPrice", "older-published").await;

    let prices = t
        .client
        .products()
        .get_price("example-subscription")
        .await
        .unwrap();

    assert_sent(
        &server,
        "GET",
        "/products/price/example-subscription",
        &[],
        None,
    );
    let item = &prices.products.expect("products")[0];
    let pricing = item.pricing.as_ref().expect("pricing");
    let de = &pricing["DE"];
    assert_eq!(de.currency.as_deref(), Some("EUR"));
    assert_eq!(de.price, Some(Amount::from(90)));
    assert_eq!(de.setup_fee_price, Some(Amount::from(11)));
    assert_eq!(de.discount_period_count, None);
    // Tiers outside `quantityDiscount` are kept as additional members.
    assert_eq!(de.additional_properties["4"]["unitPrice"], json!(76.5));
    assert_eq!(
        pricing["PR"]
            .additional_properties
            .keys()
            .collect::<Vec<_>>(),
        ["2", "3", "4", "5"]
    );
}

// ---------------------------------------------------------------------------------------
// returns
// ---------------------------------------------------------------------------------------

/// A return as in the spec's request examples (reason, note and notification fixed).
fn new_return(order: &str, refund_type: NewReturnRefundType) -> NewReturn {
    let mut r = NewReturn::new(s(order));
    r.reason = Some(NewReturnReason::DuplicateOrder);
    r.note = Some(s("As requested by customer"));
    r.notification = Some(NewReturnNotification::Original);
    r.refund_type = Some(refund_type);
    r
}

fn partial_return(order: &str) -> NewReturn {
    let mut r = new_return(order, NewReturnRefundType::Partial);
    r.items = Some(vec![NewReturnItem::new(
        s("your-product-path-ID-1"),
        amount("15.75"),
    )]);
    r
}

#[tokio::test]
async fn returns_create() {
    let (server, t) = serve_example("createReturn", "created").await;
    let body = CreateReturnsRequest::new(vec![new_return(
        "abCdE1FGH2Hij3KLMnOpqR",
        NewReturnRefundType::Full,
    )]);

    let response = t.client.returns().create(body).await.unwrap();

    assert_sent(
        &server,
        "POST",
        "/returns",
        &[],
        Some(&request_example("createReturn", "full")),
    );
    assert_eq!(response.returns.len(), 1);
    let ReturnOrError::Return(created) = &response.returns[0] else {
        panic!(
            "a created return, not an error item: {:?}",
            response.returns[0]
        );
    };
    assert_eq!(created.r#return, "JV8jCQrJT1GD7yndYgrorw");
    assert_eq!(created.reference.as_deref(), Some("FUR191003-4739-52106X"));
    assert_eq!(created.action.as_deref(), Some("return.create"));
    assert_eq!(created.result, Some(ResultStatus::Success));
    assert_eq!(created.completed, Some(true));
    assert_eq!(created.changed, Some(EpochMillis::from(1_570_130_905_372)));
    assert_eq!(
        created.changed_in_seconds,
        Some(EpochSeconds::from(1_570_130_905))
    );
    assert_eq!(
        created.account,
        Some(ReturnAccount::Id("2-hl9JWwQrualioCsY5lbg".into()))
    );
    assert_eq!(created.currency.as_deref(), Some("USD"));
    assert_eq!(created.total_return, Some(amount("5.31")));
    assert_eq!(created.total_return_display.as_deref(), Some("$5.31"));
    assert_eq!(created.tax, Some(amount("0.36")));
    assert_eq!(created.subtotal, Some(amount("4.95")));
    assert_eq!(
        created.total_refund_in_payout_currency,
        Some(amount("5.31"))
    );
    assert_eq!(created.reason.as_deref(), Some("DUPLICATE_ORDER"));
    let payment = created.payment.as_ref().expect("payment");
    assert_eq!(payment.creditcard.as_deref(), Some("visa"));
    assert_eq!(payment.card_ending.as_deref(), Some("0369"));
    let original = created.original.as_ref().expect("original");
    assert_eq!(original.reference.as_deref(), Some("FUR191003-8210-23117"));
    assert_eq!(original.total, Some(amount("5.31")));
    assert_eq!(original.notes, Some(vec![]));
    let items = created.items.as_ref().expect("items");
    assert_eq!(items[0].product.as_deref(), Some("eggs"));
    assert_eq!(items[0].subtotal, Some(amount("4.95")));
    assert_eq!(
        items[0]
            .attributes
            .as_ref()
            .and_then(|a| a.get("conditions"))
            .map(String::as_str),
        Some("{exclude:{countries:['AT','GB']}}")
    );
}

#[tokio::test]
async fn returns_create_batch_with_one_failed_item() {
    // The full return goes through; the partial one is refused (the spec's
    // RETURN_ITEMS_AMOUNT_ZERO_ERROR item).
    let success = response_example("createReturn", 200, "created")["returns"][0].clone();
    let failure = response_example("createReturn", 400, "amount-zero")["returns"][0].clone();
    let (server, t) = serve_reply(Reply::ok(&json!({"returns": [success, failure]}))).await;
    let body = CreateReturnsRequest::new(vec![
        new_return("1-abCdE1FGH2Hij3KLMnOp", NewReturnRefundType::Full),
        partial_return("2-abCdE1FGH2Hij3KLMnOp"),
    ]);

    let outcome = t
        .client
        .returns()
        .create(body)
        .send_batch()
        .await
        .expect("a 200 batch is reported item by item");

    assert_sent(
        &server,
        "POST",
        "/returns",
        &[],
        Some(&request_example("createReturn", "combined")),
    );
    assert_eq!(outcome.operation, "createReturn");
    assert_eq!(outcome.items.len(), 2);
    let Ok(ReturnOrError::Return(created)) = &outcome.items[0] else {
        panic!("first return created: {:?}", outcome.items[0]);
    };
    assert_eq!(created.r#return, "JV8jCQrJT1GD7yndYgrorw");
    assert_eq!(created.total_return, Some(amount("5.31")));
    let refused = outcome.items[1]
        .as_ref()
        .expect_err("second return refused");
    assert_eq!(refused.index, 1);
    assert_eq!(refused.id.as_deref(), Some("AbC1D2eFGH34ijklmnopQrs"));
    assert_eq!(
        refused.messages,
        texts(&[(
            "RETURN_ITEMS_AMOUNT_ZERO_ERROR",
            "Invalid amount: must be greater than zero. See the Returns API reference for details."
        )])
    );
    assert_eq!(refused.raw["action"], json!("return.create"));
    assert!(!outcome.all_succeeded());
}

#[tokio::test]
async fn returns_create_refused_400() {
    let (server, t) = serve_status_example("createReturn", 400, "refund-type").await;
    let body = CreateReturnsRequest::new(vec![new_return(
        "abCdE1FGH2Hij3KLMnOpqR",
        NewReturnRefundType::Unknown(s("HALF")),
    )]);

    let error = t.client.returns().create(body).await.unwrap_err();

    assert_sent(
        &server,
        "POST",
        "/returns",
        &[],
        Some(&json!({"returns": [{
            "order": "abCdE1FGH2Hij3KLMnOpqR",
            "reason": "DUPLICATE_ORDER",
            "note": "As requested by customer",
            "notification": "ORIGINAL",
            "refundType": "HALF"
        }]})),
    );
    let body = api_error(error, "createReturn", 400);
    assert_eq!(
        body.field_errors(),
        texts(&[(
            "REFUND_TYPE_ERROR",
            "Invalid refundType provided. Valid values are full or partial. See the Returns API \
             reference for details."
        )])
    );
    let parsed: fastspring_api::returns::ReturnsResponse =
        body.parse().expect("the 400 body is the returns wrapper");
    let ReturnOrError::Error(item) = &parsed.returns[0] else {
        panic!("an error item: {:?}", parsed.returns[0]);
    };
    assert_eq!(item.r#return.as_deref(), Some("AbC1D2eFGH34ijklmnopQrs"));
}

#[tokio::test]
async fn returns_get() {
    let (server, t) = serve_example("getReturn", "partial-return-current").await;

    // FastSpring wraps even one return (`{"returns": [{…}]}`); `get` unwraps it.
    let found = t
        .client
        .returns()
        .get("aBCDE12fGH3iJkL4mNOpqr")
        .await
        .unwrap();

    assert_sent(&server, "GET", "/returns/aBCDE12fGH3iJkL4mNOpqr", &[], None);
    assert_partial_return(&found);
}

/// The return of the spec's `partial-return-current` example.
#[track_caller]
fn assert_partial_return(found: &Return) {
    assert_eq!(found.r#return, "aBCDE12fGH3iJkL4mNOpqr");
    assert_eq!(found.quote, None);
    assert_eq!(found.action.as_deref(), Some("return.get"));
    assert_eq!(found.result, Some(ResultStatus::Success));
    assert_eq!(found.changed_display_iso8601.as_deref(), Some("2024-11-12"));
    assert_eq!(found.live, Some(false));
    assert_eq!(found.total_return, Some(Amount::from(5)));
    assert_eq!(found.total_return_in_payout_currency, Some(Amount::from(5)));
    assert_eq!(found.tax, Some(Amount::from(0)));
    assert_eq!(found.reason.as_deref(), Some("Duplicate Order"));
    assert_eq!(found.r#type, Some(ReturnType::Return));
    assert_eq!(
        found.refund_performer_type,
        Some(ReturnRefundPerformerType::Api)
    );
    assert_eq!(
        found.refund_source_component,
        Some(ReturnRefundSourceComponent::Refund)
    );
    assert_eq!(
        found.refund_performer.as_deref(),
        Some("jane.doe@example.com")
    );
    let original = found.original.as_ref().expect("original");
    assert_eq!(original.order.as_deref(), Some("AbC1D2eFGH34ijklmnopQrs"));
    assert_eq!(original.total, Some(Amount::from(10)));
    assert_eq!(
        original.tags,
        Some(texts(&[("TagKey1", "test123"), ("TagKey2", "TagValue2")]))
    );
    let customer = found.customer.as_ref().expect("customer");
    assert_eq!(customer.email.as_deref(), Some("jane.doe@example.com"));
    let item = &found.items.as_ref().expect("items")[0];
    assert_eq!(item.product.as_deref(), Some("furious-falcon"));
    assert_eq!(item.quantity, Some(0));
    assert_eq!(item.refund_type, Some(ReturnItemRefundType::PartialRefund));
    assert_eq!(item.subtotal, Some(Amount::from(5)));
    assert_eq!(
        item.withholdings.as_ref().and_then(|w| w.tax_withholdings),
        Some(false)
    );
}

#[tokio::test]
async fn returns_get_many() {
    // Two IDs in one request; FastSpring answers with one wrapper holding both.
    let mut returns = Vec::new();
    for example in ["partial-return-current", "one-return"] {
        let value = response_example("getReturn", 200, example);
        returns.extend(value["returns"].as_array().unwrap().iter().cloned());
    }
    let (server, t) = serve_reply(Reply::ok(&json!({ "returns": returns }))).await;

    let found = t
        .client
        .returns()
        .get_many(["aBCDE12fGH3iJkL4mNOpqr", "QpMoe70PT5mMb5OMT4N5lA"])
        .await
        .unwrap();

    assert_sent(
        &server,
        "GET",
        "/returns/aBCDE12fGH3iJkL4mNOpqr,QpMoe70PT5mMb5OMT4N5lA",
        &[],
        None,
    );
    assert_eq!(found.len(), 2);
    let ReturnOrError::Return(first) = &found[0] else {
        panic!("a found return: {:?}", found[0]);
    };
    assert_partial_return(first);
    let ReturnOrError::Return(second) = &found[1] else {
        panic!("a found return: {:?}", found[1]);
    };
    assert_eq!(second.r#return, "QpMoe70PT5mMb5OMT4N5lA");
    assert_eq!(second.reason.as_deref(), Some("Product Not Received"));
    assert_eq!(second.total_return, Some(Amount::from(10)));
    let notes = second
        .original
        .as_ref()
        .and_then(|o| o.notes.as_ref())
        .expect("notes");
    let OrderNote::Note(note) = &notes[0] else {
        panic!("the older payload has note objects: {notes:?}");
    };
    assert_eq!(note.note, "Before canceling the subscription");
    assert_eq!(note.creator.as_deref(), Some("admin@yourexamplestore.com"));
    assert_eq!(
        second.items.as_ref().expect("items")[0]
            .subscription
            .as_deref(),
        Some("RPN1Bp62Q3mEXloZvxUxmg")
    );
}

#[tokio::test]
async fn returns_get_unknown_id_400() {
    let (server, t) = serve_status_example("getReturn", 400, "not-found").await;

    let error = t
        .client
        .returns()
        .get("aBCDE12fGH3iJkL4mNOpqr")
        .await
        .unwrap_err();

    assert_sent(&server, "GET", "/returns/aBCDE12fGH3iJkL4mNOpqr", &[], None);
    let body = api_error(error, "getReturn", 400);
    assert_eq!(body.field_errors(), texts(&[("return", "Not found")]));
    assert_eq!(body.message().as_deref(), Some("return: Not found"));
    let parsed: fastspring_api::returns::ReturnsResponse =
        body.parse().expect("the 400 body is the returns wrapper");
    let ReturnOrError::Error(item) = &parsed.returns[0] else {
        panic!("an error item: {:?}", parsed.returns[0]);
    };
    let expected: ReturnError = serde_json::from_value(json!({
        "action": "return.get",
        "return": "aBCDE12fGH3iJkL4mNOpqr",
        "result": "error",
        "error": {"return": "Not found"}
    }))
    .unwrap();
    assert_eq!(**item, expected);
}

#[tokio::test]
async fn products_upsert_offers_single_object_answer_is_one_item() {
    // The older form (and recorded replies, issue 17): `products` is one outcome object.
    let (_server, t) = serve_reply(Reply::ok(&json!({
        "products": {"product": "premium-keyboard", "action": "product.offers.update", "result": "success"}
    })))
    .await;
    let body =
        ProductOffersUpsertRequest::new(ProductOffersUpsertRequestProducts::Single(Box::new(
            ProductOffersOfProduct::new(s("premium-keyboard"), four_offers()),
        )));

    let outcome = t
        .client
        .products()
        .upsert_offers("premium-keyboard", body)
        .send_batch()
        .await
        .expect("the object is the one outcome");

    assert_eq!(outcome.items.len(), 1);
    let done = outcome.succeeded().next().expect("it succeeded");
    assert_eq!(done.product.as_deref(), Some("premium-keyboard"));
    assert_eq!(done.action.as_deref(), Some("product.offers.update"));
}
