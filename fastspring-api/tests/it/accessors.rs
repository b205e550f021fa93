//! Issue 23, deliverables 3 and 5, on FastSpring's own payloads: typed IDs, one `id()`
//! whatever form or twin FastSpring sent, the times as `jiff::Timestamp`, and request
//! bodies built without `.to_string()` or `let mut` serialising to the exact JSON.

use std::path::Path;

use fastspring_api::accounts::{Account, CreateAccountRequest, NewAccountContact};
use fastspring_api::orders::Order;
use fastspring_api::subscriptions::{
    EstimateSubscriptionRequest, Subscription, SubscriptionAccount, SubscriptionProduct,
    SubscriptionUpdate, UpdateSubscriptionsRequest,
};
use fastspring_api::{AccountId, ProductPath, SubscriptionId};
use serde_json::{Value, json};

/// A published payload from `api-spec/examples/`.
fn published(path: &str) -> Value {
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../api-spec/examples")
        .join(path);
    serde_json::from_str(&std::fs::read_to_string(&file).expect("example exists"))
        .expect("example is JSON")
}

fn timestamp(ms: i64) -> Option<jiff::Timestamp> {
    Some(jiff::Timestamp::from_millisecond(ms).unwrap())
}

#[test]
fn a_rest_subscription_names_its_account_and_product_by_id() {
    let subscription: Subscription =
        serde_json::from_value(published("subscriptions/get-subscription.response.1.json"))
            .unwrap();
    assert_eq!(subscription.id(), "AmYzjmPbSbWYkESv7MnwwA");
    let account = subscription.account.as_ref().unwrap();
    assert!(matches!(account, SubscriptionAccount::Id(_)));
    assert_eq!(account.id(), &AccountId::from("N8FjcSWcQNeYCc-suM1O8g"));
    let product = subscription.product.as_ref().unwrap();
    assert!(matches!(product, SubscriptionProduct::Id(_)));
    assert_eq!(product.id(), "example-monthly-subscription");
    // `next` and `nextInSeconds` are sent; `next_at` reads the millisecond one.
    assert_eq!(subscription.next_at(), timestamp(1_574_380_800_000));
}

#[test]
fn an_expanded_webhook_subscription_gives_the_same_accessors() {
    let event = published("webhooks/subscription.activated.2.json");
    let subscription: Subscription =
        serde_json::from_value(event["events"][0]["data"].clone()).unwrap();
    assert_eq!(subscription.id(), "r1LtQnrIS5KpDIoGQaeuHg");
    let account = subscription.account.as_ref().unwrap();
    assert!(matches!(account, SubscriptionAccount::Expanded(_)));
    assert_eq!(account.id(), "MpQe-PVBQnOguo9A_Pz8Dg");
    let product = subscription.product.as_ref().unwrap();
    assert!(matches!(product, SubscriptionProduct::Expanded(_)));
    assert_eq!(
        product.id(),
        &ProductPath::from("falcon-plus-annual-subscription-individual-license")
    );
    assert_eq!(subscription.next_at(), timestamp(1_585_699_200_000));
    assert_eq!(subscription.changed_at(), timestamp(1_554_090_861_640));
}

#[test]
fn twin_ids_and_twin_times_are_read_whichever_was_sent() {
    let account = published("accounts/get-account.response.1.json")["accounts"][0].clone();
    let both: Account = serde_json::from_value(account.clone()).unwrap();
    let expected = both.account.clone();
    assert_eq!(both.id(), &expected);
    // The oldest account payloads carry only `account` (see the spec's x-fs-note).
    let mut older = account;
    older.as_object_mut().unwrap().remove("id");
    let older: Account = serde_json::from_value(older).unwrap();
    assert_eq!(older.id(), &expected);

    // An order whose `id` is missing would not decode (`id` is required); one with only
    // the seconds twin of `changed` still has a time.
    let order = published("webhooks/order.completed.2.json");
    let mut data = order["data"].clone();
    let map = data.as_object_mut().unwrap();
    map.remove("changed");
    map.remove("changedValue");
    let order: Order = serde_json::from_value(data).unwrap();
    assert_eq!(order.id(), "EGr98BxdQ-idUfSZf_g-gw");
    assert_eq!(order.changed_at(), timestamp(1_542_239_788_000));
}

#[test]
fn ids_decode_leniently() {
    // FastSpring documents no ID format: any string (or a number, kept as text) is one.
    let subscription: Subscription =
        serde_json::from_value(json!({"id": 12345, "account": "x y/z"})).unwrap();
    assert_eq!(subscription.id(), "12345");
    assert_eq!(subscription.account.unwrap().id(), "x y/z");
}

#[test]
fn request_bodies_from_str_serialise_to_the_spec_example() {
    // The spec's first `updateSubscriptions` request example, one change of it.
    let change = SubscriptionUpdate::new("aBCDE12fGH3iJkL4mNOpqr")
        .with_product("subscription-product-1")
        .with_quantity(1)
        .with_coupons(["valid_coupon_code"])
        .with_prorate(false);
    assert_eq!(
        serde_json::to_value(UpdateSubscriptionsRequest::new([change])).unwrap(),
        json!({"subscriptions": [{
            "subscription": "aBCDE12fGH3iJkL4mNOpqr",
            "product": "subscription-product-1",
            "quantity": 1,
            "coupons": ["valid_coupon_code"],
            "prorate": false
        }]})
    );

    // A typed ID from a response goes straight back into a request.
    let subscription: Subscription =
        serde_json::from_value(published("subscriptions/get-subscription.response.1.json"))
            .unwrap();
    let estimate = EstimateSubscriptionRequest::new(subscription.id())
        .with_product(subscription.product.as_ref().unwrap().id())
        .with_quantity(2);
    assert_eq!(
        serde_json::to_value(&estimate).unwrap(),
        json!({
            "subscription": "AmYzjmPbSbWYkESv7MnwwA",
            "product": "example-monthly-subscription",
            "quantity": 2
        })
    );
    let id: SubscriptionId = estimate.subscription;
    assert_eq!(id, subscription.id);
}

#[test]
fn same_typed_required_fields_are_named_at_the_call_site() {
    // Any order of the setters builds the same value; `build()` exists once all are set.
    let a = NewAccountContact::builder()
        .first("Ada")
        .last("Lovelace")
        .email("ada@example.com")
        .build();
    let b = NewAccountContact::builder()
        .email("ada@example.com")
        .last("Lovelace")
        .first("Ada")
        .build();
    assert_eq!(a, b);
    assert_eq!(
        serde_json::to_value(CreateAccountRequest::new(a.with_phone("+1 555"))).unwrap(),
        json!({"contact": {
            "first": "Ada", "last": "Lovelace", "email": "ada@example.com", "phone": "+1 555"
        }})
    );
}

/// The new-user app's account lookup, without its `account_id()`/`product_path()`
/// helpers: the account's ID goes into the typed filter, each listed subscription
/// names its ID, account and product whichever form FastSpring sent.
#[tokio::test]
async fn an_account_lookup_feeds_its_id_to_the_typed_filter() {
    use crate::support::{Loopback, Reply, test_client};
    use futures_util::TryStreamExt;

    let mut listed: Value = published("subscriptions/get-subscription.response.1.json");
    listed["account"] = json!("N8FjcSWcQNeYCc-suM1O8g");
    let server = Loopback::start([Reply::ok(&json!({
        "subscriptions": [listed, "khyNPLY3TYiQhBfHyjZINg"],
        "nextPage": null
    }))])
    .await;
    let t = test_client(&server);
    let account: Account = serde_json::from_value(
        published("accounts/get-account.response.1.json")["accounts"][0].clone(),
    )
    .unwrap();

    let items: Vec<_> = t
        .client
        .subscriptions()
        .list()
        .account_id(account.id())
        .items()
        .try_collect()
        .await
        .unwrap();

    let sent = server.only_request();
    assert!(
        sent.query
            .contains(&("accountId".to_string(), account.id().to_string())),
        "{:?}",
        sent.query
    );
    let ids: Vec<&str> = items.iter().map(|item| item.id().as_str()).collect();
    assert_eq!(ids, ["AmYzjmPbSbWYkESv7MnwwA", "khyNPLY3TYiQhBfHyjZINg"]);
    let fastspring_api::subscriptions::SubscriptionOrId::Subscription(first) = &items[0] else {
        panic!("the first item is an object");
    };
    assert_eq!(
        first.account.as_ref().unwrap().id(),
        "N8FjcSWcQNeYCc-suM1O8g"
    );
    assert_eq!(
        first.product.as_ref().unwrap().id(),
        "example-monthly-subscription"
    );
}
