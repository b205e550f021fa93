//! Every operation of the accounts (5), orders (3) and subscriptions (12 + 11) groups,
//! called through its generated method against a loopback server that answers with the
//! spec's own example. Each test checks what went over the wire (method, raw path, query,
//! auth, User-Agent, Content-Type, JSON body) and what came back.

use crate::support;

use std::collections::BTreeMap;

use fastspring_api::accounts::{
    AccountAddressInput, AccountContactUpdate, AccountLookupInput, AccountOrId,
    CreateAccountRequest, ListAccountsSubscriptions, NewAccountContact, UpdateAccountRequest,
};
use fastspring_api::common::ResultStatus;
use fastspring_api::orders::{
    ListOrdersScope, ListOrdersStatus, OrderItemAttributesUpdate, OrderOrId, OrderTagsUpdate,
    UpdateOrderTagsRequest,
};
use fastspring_api::subscriptions::{
    CancelSurvey, CancelSurveyAnswerInput, CancelSurveyAnswerInputReasonId,
    CancelSurveyAnswerInputReasonName, CancelSurveyQueryPagination, CancelSurveyQueryRequest,
    CancelSurveyQuerySorting, CancelSurveyQuerySortingField, CancelSurveyQuerySortingOrder,
    CancelSurveyResponseRequest, ChargeSubscriptionsRequest, CreateCotermGroupInput,
    CreateCotermGroupRequest, CreateProformaInvoiceRequest, CreateProformaInvoiceRequestLanguage,
    EstimateSubscriptionRequest, GetProformaInvoiceLang, GetSubscriptionScope,
    GetSubscriptionStatus, ListSubscriptionHistoryOrder, ListSubscriptionHistoryScope,
    ListSubscriptionsScope, ListSubscriptionsStatus, PauseSubscriptionRequest,
    ProformaInvoicePricing, SubscriptionAddonChange, SubscriptionCharge, SubscriptionOrId,
    SubscriptionPriceOverride, SubscriptionPricingOverride, SubscriptionState,
    SubscriptionTransferAccount, SubscriptionTransferAddress, SubscriptionTransferTargetAccount,
    SubscriptionUpdate, SubscriptionUpdateEnd, SubscriptionUpdateNext,
    TransferSubscriptionsRequest, UpdateCotermGroupRequest, UpdateCotermGroupRequestAction,
    UpdateSubscriptionsRequest,
};
use fastspring_api::{Amount, EpochMillis, EpochSeconds, Secret};
use serde_json::json;
use support::{
    Reply, amount, api_error, assert_sent, per_currency, request_example, response_example, s,
    serve_example, serve_reply, serve_status_example,
};

// ---------------------------------------------------------------------------------------
// accounts
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn accounts_create() {
    let (server, t) = serve_example("createAccount", "created-current").await;
    // The crate's one style: required fields named (a builder where two share a type),
    // optional ones chained with `with_*`; no `let mut`, no `.to_string()`.
    let body = CreateAccountRequest::new(
        NewAccountContact::builder()
            .first("Alex")
            .last("Morgan")
            .email("alex.morgan@example.com")
            .build()
            .with_company("Example Corp")
            .with_phone("+1 5550001000"),
    )
    .with_language("en")
    .with_country("US")
    .with_lookup(AccountLookupInput::default().with_custom("customKey"))
    .with_address(
        AccountAddressInput::default()
            .with_address_line1("801 Garden St")
            .with_address_line2("Suite 200")
            .with_city("Santa Barbara")
            .with_postal_code("93101")
            .with_region("CA"),
    );

    let created = t.client.accounts().create(body).await.unwrap();

    assert_sent(
        &server,
        "POST",
        "/accounts",
        &[],
        Some(&request_example("createAccount", "with-address")),
    );
    assert_eq!(created.id.as_deref(), Some("abcDEFgHiJklM1N-3OP9q"));
    assert_eq!(created.account.as_deref(), Some("abcDEFgHiJklM1N-3OP9q"));
    assert_eq!(created.action.as_deref(), Some("account.create"));
    assert_eq!(created.result, Some(ResultStatus::Success));
}

#[tokio::test]
async fn accounts_list() {
    let (server, t) = serve_example("listAccounts", "lookup-by-email").await;

    let page = t
        .client
        .accounts()
        .list()
        .email("first.last@domain.com")
        .subscriptions(ListAccountsSubscriptions::Active)
        .limit(25)
        .page(2)
        .send()
        .await
        .unwrap();

    let request = assert_sent(
        &server,
        "GET",
        "/accounts",
        &[
            ("email", "first.last@domain.com"),
            ("subscriptions", "active"),
            ("limit", "25"),
            ("page", "2"),
        ],
        None,
    );
    assert_eq!(
        request.raw_query.as_deref(),
        Some("email=first.last%40domain.com&subscriptions=active&limit=25&page=2")
    );
    assert_eq!(page.action.as_deref(), Some("account.lookup"));
    let accounts = page.accounts.expect("accounts");
    assert_eq!(accounts.len(), 1);
    let AccountOrId::Account(account) = &accounts[0] else {
        panic!("a lookup answers with account objects: {:?}", accounts[0]);
    };
    assert_eq!(account.account, "abcDEFgHiJklM1N-3OP9q");
    let contact = account.contact.as_ref().expect("contact");
    assert_eq!(contact.email.as_deref(), Some("first.last@domain.com"));
    assert_eq!(
        account.lookup.as_ref().and_then(|l| l.global.as_deref()),
        Some("ab-Cd9e8F6ghiJ-Okl3M3n")
    );
}

#[tokio::test]
async fn accounts_get() {
    let (server, t) = serve_example("getAccount", "single-account").await;

    // One ID answers with the bare account, which `get` returns as it is.
    let account = t
        .client
        .accounts()
        .get("abcDEFgHiJklM1N-3OP9q")
        .await
        .unwrap();

    assert_sent(&server, "GET", "/accounts/abcDEFgHiJklM1N-3OP9q", &[], None);
    assert_eq!(account.id.as_deref(), Some("abcDEFgHiJklM1N-3OP9q"));
    assert_eq!(account.country.as_deref(), Some("US"));
    assert_eq!(
        account.address.as_ref().and_then(|a| a.region.as_deref()),
        Some("US-CA")
    );
    assert_eq!(
        account.orders.as_deref(),
        Some(
            &[
                "aAB0cdefGHiJkL0m8n8OpQ".into(),
                "rST2uv1wXy279zABCd_E2f".into()
            ][..]
        )
    );
    let charge = &account.charges.as_ref().expect("charges")[0];
    assert_eq!(charge.total, Some(Amount::from(100)));
    assert_eq!(charge.timestamp, Some(EpochMillis::from(1_693_959_029_538)));
    assert_eq!(
        charge.timestamp_in_seconds,
        Some(EpochSeconds::from(1_693_959_029))
    );
    assert_eq!(
        charge.order_reference.as_deref(),
        Some("ABC230906-7581-30108")
    );
}

#[tokio::test]
async fn accounts_update() {
    let (server, t) = serve_example("updateAccount", "updated").await;
    let mut contact = AccountContactUpdate::new(s("j.doe@fastspring.com"));
    contact.first = Some(s("John"));
    contact.last = Some(s("Doe"));
    contact.company = Some(s("FastSpring"));
    contact.phone = Some(s("402-402-4024"));
    let body = UpdateAccountRequest {
        contact: Some(contact),
        language: Some(s("en")),
        country: Some(s("US")),
        lookup: Some(AccountLookupInput {
            custom: Some(s("customKey")),
        }),
        address: None,
    };

    let updated = t
        .client
        .accounts()
        .update("abcDEFgHiJklM1N-3OP9q", body)
        .await
        .unwrap();

    assert_sent(
        &server,
        "POST",
        "/accounts/abcDEFgHiJklM1N-3OP9q",
        &[],
        Some(&request_example("updateAccount", "contact-and-settings")),
    );
    assert_eq!(updated.action.as_deref(), Some("account.update"));
    assert_eq!(updated.result, Some(ResultStatus::Success));
    let items = updated.accounts.expect("accounts");
    assert_eq!(items[0].account.as_deref(), Some("abcDEFgHiJklM1N-3OP9q"));
}

#[tokio::test]
async fn accounts_management_url() {
    let (server, t) = serve_example("getAccountManagementUrl", "portal-url-current").await;

    let response = t
        .client
        .accounts()
        .management_url("abcDEFgHiJklM1N-3OP9q")
        .await
        .unwrap();

    assert_sent(
        &server,
        "GET",
        "/accounts/abcDEFgHiJklM1N-3OP9q/authenticate",
        &[],
        None,
    );
    let portal = &response.accounts[0];
    assert_eq!(portal.result, Some(ResultStatus::Success));
    assert_eq!(portal.expires.as_deref(), Some("2024-09-17T15:15:35.366"));
    // The signed-in URL is kept, but never shown by `Debug`.
    assert_eq!(
        portal.url.as_ref().map(Secret::expose),
        Some("https://company.onfastspring.com/account/50HsQS1-QcOR3dzEF_rm3w/ydYUZOVrQ24")
    );
    assert!(!format!("{response:?}").contains("ydYUZOVrQ24"));
}

// ---------------------------------------------------------------------------------------
// orders
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn orders_list() {
    let (server, t) = serve_example("listOrders", "order-ids").await;

    let page = t
        .client
        .orders()
        .list()
        // Typed dates: a calendar date as written, a timestamp as its UTC date.
        .begin(fastspring_api::jiff::civil::date(2024, 8, 1))
        .end(
            "2024-08-31T23:30:00-05:00"
                .parse::<fastspring_api::jiff::Timestamp>()
                .unwrap(),
        )
        .scope(ListOrdersScope::Live)
        .status(ListOrdersStatus::Completed)
        .limit(50)
        .page(1)
        .await
        .unwrap();

    assert_sent(
        &server,
        "GET",
        "/orders",
        &[
            ("begin", "2024-08-01"),
            ("end", "2024-09-01"),
            ("scope", "live"),
            ("status", "completed"),
            ("limit", "50"),
            ("page", "1"),
        ],
        None,
    );
    assert_eq!(page.next_page, Some(2));
    assert_eq!(page.total, Some(2));
    assert_eq!(
        page.orders.expect("orders"),
        vec![
            OrderOrId::Id("abcDEFgHiJklM1N-3OP9q".into()),
            OrderOrId::Id("rST2uv1wXy279zABCd_E2f".into()),
        ]
    );
}

#[tokio::test]
async fn orders_update_tags() {
    let (server, t) = serve_example("updateOrderTags", "updated").await;
    let mut item = OrderItemAttributesUpdate::new(s("product-path"));
    item.attributes = Some(BTreeMap::from([
        (s("AttributeKey1"), s("AttributeValue1")),
        (s("AttributeKey2"), s("AttributeValue2")),
    ]));
    let mut order = OrderTagsUpdate::new(s("JL4ltRyBSTS0myETu7yJIA"));
    order.tags = Some(BTreeMap::from([
        (s("TagKey1"), s("TagValue1")),
        (s("TagKey2"), s("TagValue2")),
    ]));
    order.items = Some(vec![item]);

    let response = t
        .client
        .orders()
        .update_tags(UpdateOrderTagsRequest::new(vec![order]))
        .await
        .unwrap();

    assert_sent(
        &server,
        "POST",
        "/orders",
        &[],
        Some(&request_example("updateOrderTags", "tags-and-attributes")),
    );
    let outcome = &response.orders[0];
    assert_eq!(outcome.order.as_deref(), Some("abcDEFgHiJklM1N-3OP9q"));
    assert_eq!(outcome.result, ResultStatus::Success);
    assert_eq!(outcome.action.as_deref(), Some("order.update"));
}

#[tokio::test]
async fn orders_get() {
    let (server, t) = serve_example("getOrder", "single-order").await;

    // One ID answers with the bare order, which `get` returns as it is.
    let order = t
        .client
        .orders()
        .get("abcDEFgHiJklM1N-3OP9q")
        .await
        .unwrap();

    assert_sent(&server, "GET", "/orders/abcDEFgHiJklM1N-3OP9q", &[], None);
    assert_eq!(order.id, "abcDEFgHiJklM1N-3OP9q");
    assert_eq!(order.reference.as_deref(), Some("ABC1234567-8910-11121D"));
    assert_eq!(order.total, Some(Amount::from(10)));
    assert_eq!(order.total_display.as_deref(), Some("$10.00"));
    assert_eq!(order.changed, Some(EpochMillis::from(1_723_838_225_894)));
    let items = order.items.expect("items");
    assert_eq!(items[0].product.as_deref(), Some("furious-falcon"));
    assert_eq!(items[0].quantity, Some(1));
    assert_eq!(
        order.customer.as_ref().and_then(|c| c.email.as_deref()),
        Some("first.last@domain.com")
    );
}

// ---------------------------------------------------------------------------------------
// subscriptions (subscriptions.yaml)
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn subscriptions_list() {
    let (server, t) = serve_example("listSubscriptions", "ids").await;

    let page = t
        .client
        .subscriptions()
        .list()
        .account_id("abCdE1FGH2Hij3KLMnOpqR")
        .scope(ListSubscriptionsScope::Test)
        .status(ListSubscriptionsStatus::Active)
        .page(2)
        .limit(15)
        .await
        .unwrap();

    assert_sent(
        &server,
        "GET",
        "/subscriptions",
        &[
            ("accountId", "abCdE1FGH2Hij3KLMnOpqR"),
            ("scope", "test"),
            ("status", "active"),
            ("page", "2"),
            ("limit", "15"),
        ],
        None,
    );
    assert_eq!(page.next_page, Some(3));
    assert_eq!(page.subscriptions.len(), 15);
    assert_eq!(
        page.subscriptions[0],
        SubscriptionOrId::Id("khyNPLY3TYiQhBfHyjZINg".into())
    );
    // Listing items say their ID whichever form FastSpring sent.
    assert_eq!(page.subscriptions[0].id(), "khyNPLY3TYiQhBfHyjZINg");
}

#[tokio::test]
async fn subscriptions_update() {
    let (server, t) = serve_example("updateSubscriptions", "preview-charge").await;
    // Three changes in one call, each as in one of the spec's request examples.
    let mut next_date = SubscriptionUpdate::new(s("aBCDE12fGH3iJkL4mNOpqr"));
    next_date.next = Some(SubscriptionUpdateNext::EpochMillis(EpochMillis::from(
        1_712_188_800_000,
    )));
    next_date.end = Some(SubscriptionUpdateEnd::Date(s("2025-12-31")));
    next_date.product = Some("subscription-product-1".into());
    next_date.quantity = Some(1);
    next_date.coupons = Some(vec![s("valid_coupon_code")]);
    next_date.prorate = Some(false);
    let mut uncancel = SubscriptionUpdate::new(s("aBCDE12fGH3iJkL4mNOpqr"));
    uncancel.deactivation = Some(None);
    let mut indefinitely = SubscriptionUpdate::new(s("aBCDE12fGH3iJkL4mNOpqr"));
    indefinitely.remaining_periods = Some(None);
    let body = UpdateSubscriptionsRequest::new(vec![next_date, uncancel, indefinitely]);

    let response = t.client.subscriptions().update(body).await.unwrap();

    let mut expected = Vec::new();
    for example in ["modify-next-charge-date", "uncancel", "renew-indefinitely"] {
        let value = request_example("updateSubscriptions", example);
        expected.extend(value["subscriptions"].as_array().unwrap().iter().cloned());
    }
    assert_sent(
        &server,
        "POST",
        "/subscriptions",
        &[],
        Some(&json!({ "subscriptions": expected })),
    );
    let outcome = &response.subscriptions[0];
    assert_eq!(outcome.result, ResultStatus::Success);
    assert_eq!(
        outcome.subscription.as_deref(),
        Some("aBCDE12fGH3iJkL4mNOpqr")
    );
    assert_eq!(outcome.prorated, Some(true));
    let proration = outcome.proration.as_ref().expect("proration");
    assert_eq!(proration.charge_amount, Some(amount("198.17")));
    assert_eq!(proration.utilized_amount, Some(amount("6.83")));
    assert_eq!(proration.currency.as_deref(), Some("USD"));
}

#[tokio::test]
async fn subscriptions_estimate() {
    let (server, t) = serve_example("estimateSubscription", "estimate").await;
    let mut addon = SubscriptionAddonChange::new(s("extra-storage"), 2);
    addon.pricing = Some(SubscriptionPricingOverride {
        price: Some(SubscriptionPriceOverride::PerCurrency(per_currency(&[
            ("USD", "5"),
            ("EUR", "4.5"),
        ]))),
        discount: None,
    });
    let mut body = EstimateSubscriptionRequest::new(s("aBCDE12fGH3iJkL4mNOpqr"));
    body.product = Some("hulu".into());
    body.quantity = Some(1);
    body.pricing = Some(SubscriptionPricingOverride {
        price: Some(SubscriptionPriceOverride::PerCurrency(per_currency(&[
            ("USD", "50"),
            ("EUR", "45"),
        ]))),
        discount: None,
    });
    body.addons = Some(vec![addon]);
    body.prorate = Some(true);
    body.coupons = Some(vec![s("20OFF")]);

    let estimate = t.client.subscriptions().estimate(body).await.unwrap();

    assert_sent(
        &server,
        "POST",
        "/subscriptions/estimate",
        &[],
        Some(&request_example("estimateSubscription", "estimate")),
    );
    assert_eq!(
        estimate.subscription.as_deref(),
        Some("aBCDE12fGH3iJkL4mNOpqr")
    );
    assert_eq!(estimate.currency.as_deref(), Some("USD"));
    assert_eq!(
        estimate.period_start_date,
        Some(EpochMillis::from(1_767_744_000_000))
    );
    assert_eq!(estimate.remaining_periods, Some(-1));
    assert_eq!(estimate.is_proratable, Some(true));
    let current = estimate.current_plan.as_ref().expect("currentPlan");
    assert_eq!(current.product.as_deref(), Some("basic"));
    assert_eq!(current.total, Some(Amount::from(108)));
    let due = estimate.amount_due.as_ref().expect("amountDue");
    assert_eq!(due.next_charge_amount, Some(amount("86.4")));
}

#[tokio::test]
async fn subscriptions_transfer() {
    let (server, t) = serve_example("transferSubscriptions", "partial").await;
    let mut account = SubscriptionTransferAccount::new(SubscriptionTransferAddress {
        line1: Some(s("123 Main Street")),
        city: Some(s("Santa Barbara")),
        region: Some(s("US-CA")),
        country: Some(s("US")),
        postal_code: Some(s("93101")),
    });
    account.first_name = Some(s("First"));
    account.last_name = Some(s("Last"));
    account.company = Some(s("Company Name"));
    account.phone = Some(s("555-555-5555"));
    account.language = Some(s("en"));
    let mut body = TransferSubscriptionsRequest::new(
        s("first.last@domain.com"),
        s("aAB0cdefGHiJkL0m8n8OpQ"),
        vec![s("1abc2DE_FGhIjKLm3NoPQR"), s("12cDfgHIjKLmNOPqRs_tUV")],
    );
    body.target_account = Some(SubscriptionTransferTargetAccount::new(
        s("first.last@domain.com"),
        account,
    ));

    let response = t.client.subscriptions().transfer(body).await.unwrap();

    assert_sent(
        &server,
        "POST",
        "/subscriptions/transfer",
        &[],
        Some(&request_example("transferSubscriptions", "new-account")),
    );
    assert_eq!(
        response.target_account_id.as_deref(),
        Some("rST2uv1wXy279zABCd_E2f")
    );
    assert_eq!(
        response.transferred_subscriptions.as_deref(),
        Some(&[s("1abc2DE_FGhIjKLm3NoPQR")][..])
    );
    let failed = &response.failed_subscriptions.expect("failedSubscriptions")[0];
    assert_eq!(
        failed.subscription_id.as_deref(),
        Some("12cDfgHIjKLmNOPqRs_tUV")
    );
    assert_eq!(failed.error_code.as_deref(), Some("SUBSCRIPTION_NOT_FOUND"));
}

#[tokio::test]
async fn subscriptions_charge() {
    let (server, t) = serve_example("chargeSubscriptions", "success").await;
    let body = ChargeSubscriptionsRequest::new(vec![SubscriptionCharge::new(s("subscription-id"))]);

    let response = t.client.subscriptions().charge(body).await.unwrap();

    assert_sent(
        &server,
        "POST",
        "/subscriptions/charge",
        &[],
        Some(&request_example("chargeSubscriptions", "one")),
    );
    let outcome = &response.subscription.expect("subscription")[0];
    assert_eq!(outcome.subscription.as_deref(), Some("subscription-id-1"));
    assert_eq!(outcome.action.as_deref(), Some("subscription.charge"));
    assert_eq!(outcome.result, ResultStatus::Success);
}

#[tokio::test]
async fn subscriptions_get() {
    let (server, t) = serve_example("getSubscription", "single").await;

    let subscription = t
        .client
        .subscriptions()
        .get("AmYzjmPbSbWYkESv7MnwwA")
        .scope(GetSubscriptionScope::All)
        .status(GetSubscriptionStatus::Trial)
        .await
        .unwrap();

    assert_sent(
        &server,
        "GET",
        "/subscriptions/AmYzjmPbSbWYkESv7MnwwA",
        &[("scope", "all"), ("status", "trial")],
        None,
    );
    assert_eq!(subscription.id, "AmYzjmPbSbWYkESv7MnwwA");
    assert_eq!(subscription.state, Some(SubscriptionState::Trial));
    assert_eq!(subscription.price, Some(amount("14.95")));
    assert_eq!(subscription.discount, Some(amount("3.74")));
    assert_eq!(
        subscription.next,
        Some(EpochMillis::from(1_574_380_800_000))
    );
    assert_eq!(
        subscription.next_in_seconds,
        Some(EpochSeconds::from(1_574_380_800))
    );
    assert_eq!(
        subscription
            .attributes
            .as_ref()
            .and_then(|a| a.get("Furious"))
            .map(String::as_str),
        Some("Falcon")
    );
    let addons = subscription.addons.expect("addons");
    assert_eq!(addons[0].product.as_deref(), Some("example-product-3"));
}

#[tokio::test]
async fn subscriptions_cancel() {
    let (server, t) = serve_example("cancelSubscription", "canceled").await;

    let response = t
        .client
        .subscriptions()
        .cancel("1abc2DE_FGhIjKLm3NoPQR")
        .billing_period(0)
        .await
        .unwrap();

    assert_sent(
        &server,
        "DELETE",
        "/subscriptions/1abc2DE_FGhIjKLm3NoPQR",
        &[("billingPeriod", "0")],
        None,
    );
    let outcome = &response.subscriptions[0];
    assert_eq!(
        outcome.subscription.as_deref(),
        Some("1abc2DE_FGhIjKLm3NoPQR")
    );
    assert_eq!(outcome.action.as_deref(), Some("subscription.cancel"));
    assert_eq!(outcome.result, ResultStatus::Success);
}

#[tokio::test]
async fn subscriptions_list_entries() {
    let (server, t) = serve_example("listSubscriptionEntries", "entries").await;

    let entries = t
        .client
        .subscriptions()
        .list_entries("aBCDE12fGH3iJkL4mNOpqr")
        .await
        .unwrap();

    assert_sent(
        &server,
        "GET",
        "/subscriptions/aBCDE12fGH3iJkL4mNOpqr/entries",
        &[],
        None,
    );
    assert_eq!(entries[0].id.as_deref(), Some("QT3ktTTKT1-QIAZ8QAjxFQ"));
    assert_eq!(entries[0].begin_period_date.as_deref(), Some("2025-01-01"));
    let order = entries[0].order.as_ref().expect("order");
    assert_eq!(order.reference.as_deref(), Some("NKO250115-3434-73110B"));
    assert_eq!(order.total, Some(amount("799.99")));
    assert_eq!(
        order.items.as_ref().expect("items")[0].product.as_deref(),
        Some("premium-tablet")
    );
}

#[tokio::test]
async fn subscriptions_pause() {
    let (server, t) = serve_example("pauseSubscription", "scheduled").await;

    let response = t
        .client
        .subscriptions()
        .pause("aBCDE12fGH3iJkL4mNOpqr", PauseSubscriptionRequest::new(2))
        .await
        .unwrap();

    assert_sent(
        &server,
        "POST",
        "/subscriptions/aBCDE12fGH3iJkL4mNOpqr/pause",
        &[],
        Some(&request_example("pauseSubscription", "two-periods")),
    );
    assert_eq!(response.id, "aBCDE12fGH3iJkL4mNOpqr");
    assert_eq!(response.is_pause_scheduled, Some(true));
    assert_eq!(response.state, Some(SubscriptionState::Active));
    assert_eq!(response.price, Some(Amount::from(10)));
    assert_eq!(response.next, Some(EpochMillis::from(1_825_977_600_000)));
    assert_eq!(response.end, None);
}

#[tokio::test]
async fn subscriptions_resume() {
    let (server, t) = serve_example("resumeSubscription", "resumed").await;

    let response = t
        .client
        .subscriptions()
        .resume("aBCDE12fGH3iJkL4mNOpqr")
        .await
        .unwrap();

    assert_sent(
        &server,
        "POST",
        "/subscriptions/aBCDE12fGH3iJkL4mNOpqr/resume",
        &[],
        None,
    );
    assert_eq!(response.id, "aBCDE12fGH3iJkL4mNOpqr");
    assert_eq!(response.is_pause_scheduled, Some(false));
    assert_eq!(response.active, Some(true));
}

#[tokio::test]
async fn subscriptions_convert() {
    let (server, t) = serve_example("convertSubscription", "session").await;

    let session = t
        .client
        .subscriptions()
        .convert("aBCDE12fGH3iJkL4mNOpqr")
        .await
        .unwrap();

    assert_sent(
        &server,
        "POST",
        "/subscriptions/aBCDE12fGH3iJkL4mNOpqr/convert",
        &[],
        None,
    );
    assert_eq!(session.id.as_deref(), Some("1665462758431"));
    assert_eq!(session.expires, Some(EpochMillis::from(1_665_549_158_235)));
    assert_eq!(session.subtotal, Some(amount("14.99")));
    assert_eq!(session.order, None);
    let items = session.items.expect("items");
    assert_eq!(items[0].product.as_deref(), Some("monthly-magazine"));
}

#[tokio::test]
async fn subscriptions_history() {
    let (server, t) = serve_example("listSubscriptionHistory", "add-on-removed").await;

    let history = t
        .client
        .subscriptions()
        .history("aBCDE12fGH3iJkL4mNOpqr")
        .scope(ListSubscriptionHistoryScope::AddOn)
        .order(ListSubscriptionHistoryOrder::Decreasing)
        .await
        .unwrap();

    let request = assert_sent(
        &server,
        "GET",
        "/subscriptions/aBCDE12fGH3iJkL4mNOpqr/history",
        &[("scope", "add_on"), ("order", "decreasing")],
        None,
    );
    assert!(request.raw_query.is_some());
    assert_eq!(history.currency.as_deref(), Some("USD"));
    let change = &history.changes.expect("changes")[0];
    assert_eq!(change.change_type.as_deref(), Some("ADD_ON_REMOVE"));
    assert_eq!(
        change.insert_timestamp,
        Some(EpochMillis::from(1_684_378_979_000))
    );
    assert_eq!(change.item_product_path.as_deref(), Some("document-viewer"));
    assert_eq!(change.order_ref, None);
}

// ---------------------------------------------------------------------------------------
// subscriptions (subscriptions-extras.yaml)
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn subscriptions_create_coterm_group() {
    let (server, t) = serve_example("createCotermGroup", "created").await;
    let body = CreateCotermGroupRequest::new(
        s("Mn7Op8Qr9St0Uv1Wx2Yz3A"),
        CreateCotermGroupInput {
            display_name: Some(s("Example co-term group name")),
            subscriptions: Some(vec![s("Ab1C-DeFgH-iJ2K3l4MmNo")]),
        },
    );

    let response = t
        .client
        .subscriptions()
        .create_coterm_group(body)
        .await
        .unwrap();

    assert_sent(
        &server,
        "POST",
        "/subscriptions/coterm",
        &[],
        Some(&request_example("createCotermGroup", "create")),
    );
    assert_eq!(response.result, Some(ResultStatus::Success));
    assert_eq!(
        response.account_id.as_deref(),
        Some("Mn7Op8Qr9St0Uv1Wx2Yz3A")
    );
    let group = response.co_term_group.expect("coTermGroup");
    assert_eq!(
        group.co_term_group_id.as_deref(),
        Some("X_yZ1a2Bc3De4Fg5Hi6JkL")
    );
    let members = group.subscriptions.expect("subscriptions");
    assert_eq!(
        members[0].subscription.as_deref(),
        Some("Ab1C-DeFgH-iJ2K3l4MmNo")
    );
    assert_eq!(members[0].status.as_deref(), Some("Co-Termed"));
}

#[tokio::test]
async fn subscriptions_get_coterm_group() {
    let (server, t) = serve_example("getCotermGroup", "group").await;

    let group = t
        .client
        .subscriptions()
        .get_coterm_group("X_yZ1a2Bc3De4Fg5Hi6JkL")
        .await
        .unwrap();

    assert_sent(
        &server,
        "GET",
        "/subscriptions/coterm/X_yZ1a2Bc3De4Fg5Hi6JkL",
        &[],
        None,
    );
    assert_eq!(
        group.display_name.as_deref(),
        Some("Example co-term group name")
    );
    assert_eq!(
        group.initial_order.as_deref(),
        Some("JQVCfHTZTSSyyV4c2D20Iw")
    );
    assert_eq!(
        group.next_period_date,
        Some(EpochMillis::from(1_772_496_000_000))
    );
    let member = &group.subscriptions.expect("subscriptions")[0];
    assert_eq!(member.co_term_status.as_deref(), Some("Executed"));
    assert_eq!(member.renewal_amount.as_deref(), Some("$100.00"));
}

#[tokio::test]
async fn subscriptions_update_coterm_group() {
    let (server, t) = serve_example("updateCotermGroup", "executed").await;
    let mut body = UpdateCotermGroupRequest::new(
        UpdateCotermGroupRequestAction::Add,
        vec![s("Fg2Hi3Jk4Lm5No6Pq7Rs8T")],
    );
    body.display_name = Some(s("Example co-term group name"));
    body.preview = Some(false);
    body.prorate = Some(true);

    let response = t
        .client
        .subscriptions()
        .update_coterm_group("X_yZ1a2Bc3De4Fg5Hi6JkL", body)
        .await
        .unwrap();

    assert_sent(
        &server,
        "POST",
        "/subscriptions/coterm/X_yZ1a2Bc3De4Fg5Hi6JkL",
        &[],
        Some(&request_example("updateCotermGroup", "add")),
    );
    assert_eq!(
        response.action.as_deref(),
        Some("subscriptions.coterm.update")
    );
    let change = &response
        .co_term_changes_result
        .expect("coTermChangesResult")[0];
    assert_eq!(
        change.subscription.as_deref(),
        Some("Fg2Hi3Jk4Lm5No6Pq7Rs8T")
    );
    assert_eq!(change.status.as_deref(), Some("EXECUTED"));
}

#[tokio::test]
async fn subscriptions_delete_coterm_group() {
    let (server, t) = serve_example("deleteCotermGroup", "deleted").await;

    let response = t
        .client
        .subscriptions()
        .delete_coterm_group("X_yZ1a2Bc3De4Fg5Hi6JkL")
        .await
        .unwrap();

    assert_sent(
        &server,
        "DELETE",
        "/subscriptions/coterm/X_yZ1a2Bc3De4Fg5Hi6JkL",
        &[],
        None,
    );
    assert_eq!(response.result, Some(ResultStatus::Success));
    let member = &response.subscriptions.expect("subscriptions")[0];
    assert_eq!(member.status.as_deref(), Some("Opted Out of Co-Terming"));
}

#[tokio::test]
async fn subscriptions_estimate_coterm_group() {
    let (server, t) = serve_example("estimateCotermGroup", "estimate").await;

    let estimate = t
        .client
        .subscriptions()
        .estimate_coterm_group("X_yZ1a2Bc3De4Fg5Hi6JkL")
        .await
        .unwrap();

    assert_sent(
        &server,
        "POST",
        "/subscriptions/coterm/X_yZ1a2Bc3De4Fg5Hi6JkL/estimate",
        &[],
        None,
    );
    assert_eq!(
        estimate.co_term_group_id.as_deref(),
        Some("X_yZ1a2Bc3De4Fg5Hi6JkL")
    );
    assert_eq!(estimate.currency.as_deref(), Some("USD"));
    assert_eq!(
        estimate.period_end_date,
        Some(EpochMillis::from(1_772_409_600_000))
    );
    let member = &estimate.subscriptions.expect("subscriptions")[0];
    assert_eq!(
        member.subscription.as_deref(),
        Some("Ab1C-DeFgH-iJ2K3l4MmNo")
    );
    assert_eq!(member.remaining_periods, Some(-1));
}

#[tokio::test]
async fn subscriptions_execute_coterm_group() {
    let (server, t) = serve_example("executeCotermGroup", "executed").await;

    let execution = t
        .client
        .subscriptions()
        .execute_coterm_group("X_yZ1a2Bc3De4Fg5Hi6JkL")
        .await
        .unwrap();

    assert_sent(
        &server,
        "POST",
        "/subscriptions/coterm/X_yZ1a2Bc3De4Fg5Hi6JkL/execute",
        &[],
        None,
    );
    assert_eq!(execution.order.as_deref(), Some("JQVCfHTZTSSyyV4c2D20Iw"));
    assert_eq!(execution.prorated, Some(true));
    assert_eq!(
        execution.subscriptions.as_deref(),
        Some(&[s("Ab1C-DeFgH-iJ2K3l4MmNo")][..])
    );
}

#[tokio::test]
async fn subscriptions_create_proforma_invoice() {
    let (server, t) = serve_example("createProformaInvoice", "reference").await;
    let mut body = CreateProformaInvoiceRequest::new(
        s("1abc2DE_FGhIjKLm3NoPQR"),
        s("subscription1monthly"),
        false,
        2,
    );
    body.language = Some(CreateProformaInvoiceRequestLanguage::Es);
    body.pricing = Some(ProformaInvoicePricing {
        price: Some(per_currency(&[("USD", "200")])),
    });

    let response = t
        .client
        .subscriptions()
        .create_proforma_invoice(body)
        .await
        .unwrap();

    assert_sent(
        &server,
        "POST",
        "/subscriptions/proformaInvoice",
        &[],
        Some(&request_example("createProformaInvoice", "reference")),
    );
    let invoice = response.invoice.expect("invoice");
    assert_eq!(invoice.id.as_deref(), Some("proforma12345"));
    assert_eq!(invoice.quantity, Some(2));
    assert_eq!(invoice.total_price, Some(per_currency(&[("USD", "200")])));
    let header = response
        .proforma_invoice_header
        .expect("proformaInvoiceHeader");
    assert_eq!(header.language.as_deref(), Some("es"));
    assert_eq!(
        header.pro_forma_invoice_creation_date,
        Some(EpochMillis::from(1_656_016_000_000))
    );
}

#[tokio::test]
async fn subscriptions_get_proforma_invoice() {
    let (server, t) = serve_example("getProformaInvoice", "reference").await;

    let invoice = t
        .client
        .subscriptions()
        .get_proforma_invoice("O99xUogETs-M7Ks28M4wuw")
        .lang(GetProformaInvoiceLang::En)
        .await
        .unwrap();

    assert_sent(
        &server,
        "GET",
        "/subscriptions/proformaInvoice/O99xUogETs-M7Ks28M4wuw",
        &[("lang", "en")],
        None,
    );
    let header = invoice
        .proforma_invoice_header
        .expect("proformaInvoiceHeader");
    assert_eq!(header.currency.as_deref(), Some("USD"));
    assert_eq!(
        invoice.contact.as_ref().and_then(|c| c.email.as_deref()),
        Some("john@fastspring.com")
    );
    let items = invoice.items.expect("items");
    assert_eq!(
        items.subscription.as_deref(),
        Some("O99xUogETs-M7Ks28M4wuw")
    );
    let due = invoice.amount_due.expect("amountDue");
    assert_eq!(due.next_charge_amount, Some(amount("36.72")));
}

#[tokio::test]
async fn subscriptions_set_cancel_survey_response() {
    let (server, t) = serve_example("upsertCancelSurveyResponse", "stored").await;
    let body = CancelSurveyResponseRequest::new(
        s("aBCDE12fGH3iJkL4mNOpqr"),
        CancelSurveyAnswerInput {
            reason_id: Some(CancelSurveyAnswerInputReasonId::V7),
            reason_name: Some(CancelSurveyAnswerInputReasonName::Other),
            feedback_text: Some(s("Optional feedback text")),
            lang: Some(s("en")),
        },
    );

    let answer = t
        .client
        .subscriptions()
        .set_cancel_survey_response(body)
        .await
        .unwrap();

    assert_sent(
        &server,
        "POST",
        "/subscriptions/cancelSurvey/response",
        &[],
        Some(&request_example("upsertCancelSurveyResponse", "by-id")),
    );
    assert_eq!(answer.id.as_deref(), Some("2cDfgHIjKLmNOPqRs_tUV"));
    assert_eq!(answer.reason_id.as_deref(), Some("7"));
    assert_eq!(answer.display_name.as_deref(), Some("Other"));
}

#[tokio::test]
async fn subscriptions_query_cancel_survey_responses() {
    let (server, t) = serve_example("queryCancelSurveyResponses", "page").await;
    let mut body = CancelSurveyQueryRequest::builder()
        .start_date("2025-01-01T00:00:00Z")
        .end_date("2026-01-31T23:59:59Z")
        .pagination(
            CancelSurveyQueryPagination::builder()
                .limit(30)
                .offset(0)
                .build(),
        )
        .build();
    body.product_path = Some(s("my-product-path"));
    body.sorting = Some(CancelSurveyQuerySorting {
        field: Some(CancelSurveyQuerySortingField::CreationTime),
        order: Some(CancelSurveyQuerySortingOrder::Desc),
    });

    let page = t
        .client
        .subscriptions()
        .query_cancel_survey_responses(body)
        .await
        .unwrap();

    assert_sent(
        &server,
        "POST",
        "/subscriptions/cancelSurvey/response/query",
        &[],
        Some(&request_example("queryCancelSurveyResponses", "query")),
    );
    assert_eq!(page.total_records, Some(3));
    assert_eq!(page.total_pages, Some(1));
    let survey = &page.surveys.expect("surveys")[0];
    assert_eq!(
        survey.subscription_id.as_deref(),
        Some("aBCDE12fGH3iJkL4mNOpqr")
    );
    assert_eq!(survey.product_path.as_deref(), Some("fastspring-falcon"));
}

#[tokio::test]
async fn subscriptions_get_cancel_survey() {
    let (server, t) = serve_example("getCancelSurvey", "not-canceled").await;

    let survey = t
        .client
        .subscriptions()
        .get_cancel_survey("1abc2DE_FGhIjKLm3NoPQR")
        .lang("en")
        .await
        .unwrap();

    assert_sent(
        &server,
        "GET",
        "/subscriptions/cancelSurvey/reasons/1abc2DE_FGhIjKLm3NoPQR",
        &[("lang", "en")],
        None,
    );
    let CancelSurvey::Reasons(reasons) = survey else {
        panic!("a subscription without an answer gets the list of reasons: {survey:?}");
    };
    assert_eq!(reasons.language.as_deref(), Some("en"));
    assert_eq!(reasons.reasons.len(), 3);
    assert_eq!(reasons.reasons[2].name.as_deref(), Some("other"));
    assert_eq!(reasons.reasons[0].enabled, Some(true));
    assert_eq!(
        reasons
            .subscription
            .as_ref()
            .and_then(|s| s.subscription_id.as_deref()),
        Some("1abc2DE_FGhIjKLm3NoPQR")
    );
}

#[tokio::test]
async fn subscriptions_charge_batch_reads_the_plural_key_too() {
    // Audit N1: the reference puts the 200 outcomes under `subscription`, a 2026 client
    // reads them from `subscriptions`; the batch reader takes either.
    let item =
        response_example("chargeSubscriptions", 200, "rebill-limit")["subscription"][0].clone();
    let (_server, t) = serve_reply(Reply::ok(&json!({"subscriptions": [item]}))).await;
    let body =
        ChargeSubscriptionsRequest::new(vec![SubscriptionCharge::new(s("subscription-id-2"))]);

    let outcome = t
        .client
        .subscriptions()
        .charge(body)
        .send_batch()
        .await
        .expect("the outcomes split into items");

    assert_eq!(outcome.items.len(), 1);
    let failed = outcome.failed().next().expect("the one item failed");
    assert_eq!(failed.id.as_deref(), Some("subscription-id-2"));
    assert!(failed.messages["subscription"].starts_with("Only 1 successful rebill per day"));
}

#[tokio::test]
async fn subscriptions_charge_single_object_failure_is_an_api_error() {
    // A whole-request failure answered as one outcome object (issue 17) reaches the
    // caller as the API error it is, with FastSpring's message.
    let (_server, t) = serve_status_example("chargeSubscriptions", 400, "single-outcome").await;
    let body = ChargeSubscriptionsRequest::new(vec![SubscriptionCharge::new(s("subscription-id"))]);

    let error = t
        .client
        .subscriptions()
        .charge(body)
        .send_batch()
        .await
        .expect_err("HTTP 400 with one outcome object fails the call");

    let body = api_error(error, "chargeSubscriptions", 400);
    assert_eq!(
        body.field_errors()["subscription"],
        "Renew can only be performed for 'Adhoc' subscriptions."
    );
}
