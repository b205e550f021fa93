//! The stateful operations, by `operationId`. Requests reach them already validated
//! against the spec; anything not listed here answers its spec example.

use serde_json::{Value, json};

use crate::Shared;
use crate::exchange::{Answer, Call};
use crate::proration::Proration;
use crate::store::{Kind, Store, merge, set_time};

/// The status the operation uses for a missing resource: the first of 400, 404, 500
/// it declares (400 when none).
fn not_found_status(call: &Call<'_>) -> u16 {
    [400, 404, 500]
        .into_iter()
        .find(|s| call.route.response(*s).is_some())
        .unwrap_or(400)
}

fn not_found(call: &Call<'_>, key: &str, id: &str, message: &str) -> Answer {
    Answer::json(
        not_found_status(call),
        json!({
            key: id,
            "action": call.route.action,
            "result": "error",
            "error": { key: message },
        }),
    )
}

fn ids_of(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// `page`/`limit` paging over IDs: `(page items, nextPage)`.
fn page_of<T: Clone>(call: &Call<'_>, all: &[T]) -> (Vec<T>, Value, i64, i64) {
    let limit = call
        .query("limit")
        .and_then(|l| l.parse::<i64>().ok())
        .filter(|l| *l > 0)
        .unwrap_or(50);
    let page = call
        .query("page")
        .and_then(|p| p.parse::<i64>().ok())
        .filter(|p| *p > 0)
        .unwrap_or(1);
    let start = usize::try_from((page - 1).saturating_mul(limit)).unwrap_or(usize::MAX);
    let items: Vec<T> = all
        .iter()
        .skip(start)
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .cloned()
        .collect();
    let next = if start.saturating_add(items.len()) < all.len() {
        json!(page + 1)
    } else {
        Value::Null
    };
    (items, next, page, limit)
}

/// Handles `call` when its operation is stateful.
pub(crate) fn stateful(shared: &Shared, call: &Call<'_>) -> Option<Answer> {
    let mut events: Vec<(String, Value)> = Vec::new();
    let answer = {
        let mut store = shared.store.lock().expect("store lock");
        let store = &mut *store;
        match call.route.operation_id.as_str() {
            "createAccount" => create_account(store, call, &mut events),
            "listAccounts" => list_accounts(store, call),
            "getAccount" => get_many(store, call, Kind::Accounts, "account_id", "accounts"),
            "updateAccount" => update_account(store, call, &mut events),
            "createProducts" => upsert_products(store, call),
            "listProducts" => Some(list_ids(
                store,
                call,
                Kind::Products,
                "products",
                "products.getall",
            )),
            "getProduct" => get_products(store, call),
            "deleteProduct" => delete_product(store, call),
            "upsertCoupon" => upsert_coupon(store, call),
            "listCoupons" => Some(Answer::json(
                200,
                json!({ "coupons": store.ids(Kind::Coupons) }),
            )),
            "getCoupon" => with_coupon(store, call, |c| c.clone()),
            "deleteCoupon" => delete_coupon(store, call),
            "addCouponCodes" => add_coupon_codes(store, call),
            "listCouponCodes" => with_coupon(
                store,
                call,
                |c| json!({ "coupon": c["coupon"], "codes": c.get("codes").cloned().unwrap_or_else(|| json!([])) }),
            ),
            "deleteCouponCodes" => delete_coupon_codes(store, call),
            "listSubscriptions" => list_subscriptions(store, call),
            "getSubscription" => get_many(
                store,
                call,
                Kind::Subscriptions,
                "subscription_id",
                "subscriptions",
            ),
            "updateSubscriptions" => update_subscriptions(store, call, &mut events),
            "estimateSubscription" => estimate_subscription(store, call),
            "cancelSubscription" => cancel_subscription(store, call, &mut events),
            "pauseSubscription" => pause_resume(store, call, true, &mut events),
            "resumeSubscription" => pause_resume(store, call, false, &mut events),
            "listOrders" => Some(list_orders(store, call)),
            "getOrder" => get_orders(store, call),
            "updateOrderTags" => update_order_tags(store, call),
            "listUnprocessedEvents" => Some(list_events(store, false)),
            "listProcessedEvents" => Some(list_events(store, true)),
            "updateEvent" => update_event(store, call),
            _ => None,
        }
    };
    shared.emit(events);
    answer
}

fn create_account(
    store: &mut Store,
    call: &Call<'_>,
    events: &mut Vec<(String, Value)>,
) -> Option<Answer> {
    let body = call.body.clone().unwrap_or_default();
    // Addresses are compared when they look like addresses: the spec's published
    // examples use the placeholder `String`, which must not block every later create.
    if let Some(email) = body
        .pointer("/contact/email")
        .and_then(Value::as_str)
        .filter(|e| e.contains('@'))
    {
        let existing = store.account_by_email(email);
        if let Some(existing) = existing {
            return Some(Answer::json(
                400,
                json!({
                    "action": "account.create",
                    "result": "error",
                    "error": { "email": format!("email already exists, /accounts/{existing}") },
                }),
            ));
        }
    }
    let (id, account) = store.new_account(&body);
    store.insert(Kind::Accounts, id.clone(), account.clone());
    events.push(("account.created".into(), account));
    Some(Answer::json(
        200,
        json!({ "account": id, "id": id, "action": "account.create", "result": "success" }),
    ))
}

fn list_accounts(store: &Store, call: &Call<'_>) -> Option<Answer> {
    let filters: [(&str, &str); 3] = [
        ("email", "/contact/email"),
        ("custom", "/lookup/custom"),
        ("global", "/lookup/global"),
    ];
    let active: Vec<(&str, &str)> = filters
        .iter()
        .filter_map(|(q, ptr)| call.query(q).map(|v| (v, *ptr)))
        .collect();
    let all: Vec<Value> = store
        .ids(Kind::Accounts)
        .iter()
        .filter_map(|id| store.get(Kind::Accounts, id))
        .filter(|a| {
            active
                .iter()
                .all(|(want, ptr)| a.pointer(ptr).and_then(Value::as_str) == Some(*want))
        })
        .cloned()
        .collect();
    // Lookups by email or key answer whole accounts; a plain listing answers IDs.
    let entries: Vec<Value> = if active.is_empty() {
        all.iter().map(|a| a["account"].clone()).collect()
    } else {
        all
    };
    let (items, next, page, limit) = page_of(call, &entries);
    Some(Answer::json(
        200,
        json!({
            "action": "account.getall", "result": "success",
            "page": page, "limit": limit, "nextPage": next, "total": entries.len(),
            "accounts": items,
        }),
    ))
}

/// `GET /<kind>/{ids}`: one ID → the bare object, several → `{<wrapper>: [...]}`.
fn get_many(
    store: &Store,
    call: &Call<'_>,
    kind: Kind,
    param: &str,
    wrapper: &str,
) -> Option<Answer> {
    let ids = ids_of(call.path(param));
    let singular = kind.name().trim_end_matches('s');
    if ids.len() == 1 {
        let id = &ids[0];
        return Some(match store.get(kind, id) {
            Some(object) => Answer::json(200, object.clone()),
            None => not_found(call, singular, id, "Not found"),
        });
    }
    let items: Vec<Value> = ids
        .iter()
        .map(|id| match store.get(kind, id) {
            Some(object) => object.clone(),
            None => json!({
                singular: id, "action": call.route.action, "result": "error",
                "error": { singular: "Not found" },
            }),
        })
        .collect();
    Some(Answer::json(200, json!({ wrapper: items })))
}

fn update_account(
    store: &mut Store,
    call: &Call<'_>,
    events: &mut Vec<(String, Value)>,
) -> Option<Answer> {
    let id = call.path("account_id").to_string();
    let Some(account) = store.get_mut(Kind::Accounts, &id) else {
        return Some(not_found(call, "account", &id, "account id not found"));
    };
    if let Some(Value::Object(body)) = &call.body {
        for (key, value) in body {
            if matches!(
                key.as_str(),
                "contact" | "language" | "country" | "lookup" | "address"
            ) {
                merge(account.get_mut(key).unwrap_or(&mut Value::Null), value);
                if account.get(key).is_none() {
                    account[key.as_str()] = value.clone();
                }
            }
        }
    }
    events.push(("account.updated".into(), account.clone()));
    let result =
        json!({ "id": id, "account": id, "action": "account.update", "result": "success" });
    let mut body = result.clone();
    body["accounts"] = json!([result]);
    Some(Answer::json(200, body))
}

fn list_ids(store: &Store, call: &Call<'_>, kind: Kind, wrapper: &str, action: &str) -> Answer {
    let ids = store.ids(kind);
    let (items, next, page, limit) = page_of(call, &ids);
    Answer::json(
        200,
        json!({
            "action": action, "result": "success", "page": page, "limit": limit,
            "nextPage": next, "total": ids.len(), wrapper: items,
        }),
    )
}

fn upsert_products(store: &mut Store, call: &Call<'_>) -> Option<Answer> {
    let products = call.body.as_ref()?.get("products")?.as_array()?.clone();
    let mut results = Vec::new();
    for product in products {
        let Some(path) = product
            .get("product")
            .and_then(Value::as_str)
            .map(str::to_string)
        else {
            continue;
        };
        let (action, id_key) = match store.get_mut(Kind::Products, &path) {
            Some(existing) => {
                merge(existing, &product);
                ("product.update", "updated.id")
            }
            None => {
                let mut stored = product.clone();
                stored["productAppReference"] = json!(store.new_id());
                store.insert(Kind::Products, path.clone(), stored);
                ("product.create", "created.id")
            }
        };
        let reference = store
            .get(Kind::Products, &path)
            .and_then(|p| p.get("productAppReference"))
            .cloned()
            .unwrap_or(Value::Null);
        results.push(
            json!({ "product": path, "action": action, id_key: reference, "result": "success" }),
        );
    }
    Some(Answer::json(200, json!({ "products": results })))
}

fn get_products(store: &Store, call: &Call<'_>) -> Option<Answer> {
    let items: Vec<Value> = ids_of(call.path("product_path"))
        .iter()
        .map(|path| match store.get(Kind::Products, path) {
            Some(product) => {
                let mut item = product.clone();
                item["action"] = json!("products.get");
                item["result"] = json!("success");
                item
            }
            None => json!({
                "product": path, "action": "products.get", "result": "error",
                "error": { "product": "Product not found" },
            }),
        })
        .collect();
    Some(Answer::json(200, json!({ "products": items })))
}

fn delete_product(store: &mut Store, call: &Call<'_>) -> Option<Answer> {
    let items: Vec<Value> = ids_of(call.path("product_path"))
        .iter()
        .map(|path| match store.remove(Kind::Products, path) {
            Some(_) => json!({ "action": "products.delete", "result": "success", "product": path }),
            None => json!({
                "action": "products.delete", "result": "error", "product": path,
                "error": { "product": "Product not found" },
            }),
        })
        .collect();
    Some(Answer::json(200, json!({ "products": items })))
}

fn upsert_coupon(store: &mut Store, call: &Call<'_>) -> Option<Answer> {
    let body = call.body.clone()?;
    let id = body.get("coupon")?.as_str()?.to_string();
    let action = match store.get_mut(Kind::Coupons, &id) {
        Some(existing) => {
            merge(existing, &body);
            "coupon.update"
        }
        None => {
            let mut coupon = body.clone();
            if coupon.get("codes").is_none() {
                coupon["codes"] = json!([]);
            }
            store.insert(Kind::Coupons, id.clone(), coupon);
            "coupon.create"
        }
    };
    Some(Answer::json(
        200,
        json!({ "coupon": id, "action": action, "result": "success" }),
    ))
}

fn coupon_missing(call: &Call<'_>, id: &str) -> Answer {
    Answer::json(
        not_found_status(call),
        json!({ "coupon": id, "action": call.route.action, "result": "error", "error": format!("Coupon {id} not found") }),
    )
}

fn with_coupon(store: &Store, call: &Call<'_>, f: impl Fn(&Value) -> Value) -> Option<Answer> {
    let id = call.path("coupon_id");
    Some(match store.get(Kind::Coupons, id) {
        Some(coupon) => Answer::json(200, f(coupon)),
        None => coupon_missing(call, id),
    })
}

fn delete_coupon(store: &mut Store, call: &Call<'_>) -> Option<Answer> {
    let id = call.path("coupon_id").to_string();
    Some(match store.remove(Kind::Coupons, &id) {
        Some(_) => Answer::json(
            200,
            json!({ "coupon": id, "action": "coupon.delete", "result": "success" }),
        ),
        None => coupon_missing(call, &id),
    })
}

fn add_coupon_codes(store: &mut Store, call: &Call<'_>) -> Option<Answer> {
    let id = call.path("coupon_id").to_string();
    let new: Vec<Value> = call
        .body
        .as_ref()
        .and_then(|b| b.get("codes"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let Some(coupon) = store.get_mut(Kind::Coupons, &id) else {
        return Some(coupon_missing(call, &id));
    };
    let codes = coupon
        .as_object_mut()?
        .entry("codes")
        .or_insert_with(|| json!([]));
    if let Some(list) = codes.as_array_mut() {
        for code in &new {
            if !list.contains(code) {
                list.push(code.clone());
            }
        }
    }
    Some(Answer::json(
        200,
        json!({ "coupon": id, "codes": new, "result": "success" }),
    ))
}

fn delete_coupon_codes(store: &mut Store, call: &Call<'_>) -> Option<Answer> {
    let id = call.path("coupon_id").to_string();
    let Some(coupon) = store.get_mut(Kind::Coupons, &id) else {
        return Some(coupon_missing(call, &id));
    };
    let removed = coupon
        .as_object_mut()?
        .insert("codes".into(), json!([]))
        .unwrap_or_else(|| json!([]));
    Some(Answer::json(
        200,
        json!({ "coupon": id, "codes deleted": removed, "action": "delete coupon codes", "result": "success" }),
    ))
}

fn list_subscriptions(store: &Store, call: &Call<'_>) -> Option<Answer> {
    let all: Vec<&Value> = store
        .ids(Kind::Subscriptions)
        .iter()
        .filter_map(|id| store.get(Kind::Subscriptions, id))
        .filter(|s| {
            call.query("accountId")
                .is_none_or(|a| s.get("account").and_then(Value::as_str) == Some(a))
                && call
                    .query("status")
                    .is_none_or(|st| s.get("state").and_then(Value::as_str) == Some(st))
        })
        .collect();
    let filtered = ["accountId", "status", "products", "scope", "event"]
        .iter()
        .any(|q| call.query(q).is_some());
    let entries: Vec<Value> = if filtered {
        all.into_iter().cloned().collect()
    } else {
        all.iter().map(|s| s["id"].clone()).collect()
    };
    let (items, next, _, _) = page_of(call, &entries);
    Some(Answer::json(
        200,
        json!({ "action": "subscription.getall", "result": "success", "nextPage": next, "subscriptions": items }),
    ))
}

fn sub_result(id: &str, action: &str) -> Value {
    json!({ "subscription": id, "action": action, "result": "success" })
}

fn sub_error(id: &str, action: &str, message: &str) -> Value {
    json!({ "subscription": id, "action": action, "result": "error", "error": { "subscription": message } })
}

fn update_subscriptions(
    store: &mut Store,
    call: &Call<'_>,
    events: &mut Vec<(String, Value)>,
) -> Option<Answer> {
    let now = store.now;
    let updates = call
        .body
        .as_ref()?
        .get("subscriptions")?
        .as_array()?
        .clone();
    let mut results = Vec::new();
    for update in updates {
        let Some(id) = update
            .get("subscription")
            .and_then(Value::as_str)
            .map(str::to_string)
        else {
            continue;
        };
        if store.get(Kind::Subscriptions, &id).is_none() {
            results.push(sub_error(
                &id,
                "subscription.update",
                "Subscription not found",
            ));
            continue;
        }
        if update.get("preview") == Some(&Value::Bool(true)) {
            results.push(sub_result(&id, "subscription.update"));
            continue;
        }
        // ---- `prorate: true`: the change and its charge now (issue 20) ----
        let prorated = match prorated_change(store, &update, &id) {
            Ok(change) => change,
            Err(refusal) => {
                results.push(refusal);
                continue;
            }
        };
        let Some(sub) = store.get_mut(Kind::Subscriptions, &id) else {
            continue;
        };
        // ---- end of `prorate: true` ----
        let mut uncanceled = false;
        if let Some(Value::Object(fields)) = Some(&update) {
            for (key, value) in fields {
                match key.as_str() {
                    "subscription" | "prorate" | "preview" => {}
                    "product" | "quantity" | "pricing" if prorated.is_some() => {}
                    "deactivation"
                        if value.is_null()
                            && sub.get("state").and_then(Value::as_str) == Some("canceled") =>
                    {
                        Store::uncancel_subscription(sub, now);
                        uncanceled = true;
                    }
                    "product" | "quantity" | "coupons" | "addons" | "manualRenew"
                    | "taxExemptId" => {
                        sub[key.as_str()] = value.clone();
                        if key == "product" {
                            sub["display"] = value.clone();
                        }
                        if key == "manualRenew" {
                            sub["autoRenew"] = json!(value != &Value::Bool(true));
                        }
                    }
                    "next" | "end" => {
                        if let Some(ms) = value.as_i64() {
                            let mut obj =
                                std::mem::take(sub).as_object().cloned().unwrap_or_default();
                            set_time(&mut obj, key, Some(ms));
                            *sub = Value::Object(obj);
                        }
                    }
                    _ => {}
                }
            }
        }
        Store::touch_subscription(sub, now);
        if let Some(change) = prorated {
            events.extend(crate::timeline::apply_proration(store, &change));
            let mut result = sub_result(&id, "subscription.update");
            result["prorated"] = json!(true);
            results.push(result);
            continue;
        }
        let data = sub.clone();
        let mut result = sub_result(&id, "subscription.update");
        if update.get("prorate") == Some(&Value::Bool(true)) {
            result["prorated"] = json!(false);
        }
        events.push((
            if uncanceled {
                "subscription.uncanceled"
            } else {
                "subscription.updated"
            }
            .into(),
            data,
        ));
        results.push(result);
    }
    Some(Answer::json(200, json!({ "subscriptions": results })))
}

/// The new unit price a change asks for: `pricing.price` as a number, or its entry for
/// the subscription's currency.
fn requested_price(request: &Value, currency: &str) -> Option<f64> {
    let price = request.pointer("/pricing/price")?;
    price
        .as_f64()
        .or_else(|| price.get(currency).and_then(Value::as_f64))
}

/// A `prorate: true` change of `product` and/or `quantity`, priced now; `Ok(None)` when
/// the update is not one, or the subscription cannot be prorated but can change (a
/// trial, a paused or pause-scheduled one: changed without a charge); `Err` is the
/// item's error answer (an unknown product, a quantity below 1, an inactive
/// subscription).
fn prorated_change(store: &Store, update: &Value, id: &str) -> Result<Option<Proration>, Value> {
    let changes_plan = ["product", "quantity", "pricing"]
        .iter()
        .any(|k| update.get(*k).is_some());
    if update.get("prorate") != Some(&Value::Bool(true)) || !changes_plan {
        return Ok(None);
    }
    let error = |key: &str, message: &str| json!({ "subscription": id, "action": "subscription.update", "result": "error", "error": { key: message } });
    let product = update.get("product").and_then(Value::as_str);
    if let Some(product) = product
        && store.get(Kind::Products, product).is_none()
    {
        return Err(error("product", "Not a subscription product"));
    }
    let currency = store
        .get(Kind::Subscriptions, id)
        .and_then(|s| s.get("currency"))
        .and_then(Value::as_str)
        .unwrap_or("USD")
        .to_string();
    let quantity = update.get("quantity").and_then(Value::as_i64);
    if quantity.is_some_and(|q| q <= 0) {
        return Err(error("quantity", "Must be greater than zero"));
    }
    let change = Proration::of(
        store,
        id,
        product,
        quantity,
        requested_price(update, &currency),
    )
    .map_err(|message| error("subscription", &message))?;
    match change.ineligible {
        // Not changeable at all.
        Some("INACTIVE") => Err(error("subscription", "Subscription is not changeable")),
        // Changed without proration: nothing is charged for the period.
        Some(_) => Ok(None),
        None => Ok(Some(change)),
    }
}

/// `POST /subscriptions/estimate`: the proposed change priced against the stored
/// subscription and catalog (`crate::proration`); nothing changes.
fn estimate_subscription(store: &Store, call: &Call<'_>) -> Option<Answer> {
    let body = call.body.as_ref()?;
    let id = body.get("subscription")?.as_str()?.to_string();
    let Some(sub) = store.get(Kind::Subscriptions, &id) else {
        return Some(Answer::json(
            404,
            json!({
                "status": "subscriptions.estimate.update", "subscription": id, "result": "error",
                "error": { "subscription": format!("Subscription ID does not exist: {id}") },
            }),
        ));
    };
    let currency = sub
        .get("currency")
        .and_then(Value::as_str)
        .unwrap_or("USD")
        .to_string();
    if let Some(product) = body.get("product").and_then(Value::as_str)
        && store.get(Kind::Products, product).is_none()
    {
        return Some(Answer::json(
            400,
            json!({
                "action": "subscriptions.estimate.update", "subscription": id, "result": "error",
                "error": { "product": "Not a subscription product" },
            }),
        ));
    }
    let change = Proration::of(
        store,
        &id,
        body.get("product").and_then(Value::as_str),
        body.get("quantity").and_then(Value::as_i64),
        requested_price(body, &currency),
    )
    .ok()?;
    Some(Answer::json(200, change.estimate()))
}

fn cancel_subscription(
    store: &mut Store,
    call: &Call<'_>,
    events: &mut Vec<(String, Value)>,
) -> Option<Answer> {
    let immediately = call.query("billingPeriod") == Some("0");
    let now = store.now;
    let mut results = Vec::new();
    for id in ids_of(call.path("subscription_id")) {
        let Some(sub) = store.get_mut(Kind::Subscriptions, &id) else {
            results.push(sub_error(
                &id,
                "subscription.cancel",
                "Subscription not found",
            ));
            continue;
        };
        if sub.get("state").and_then(Value::as_str) == Some("deactivated") {
            results.push(sub_error(
                &id,
                "subscription.cancel",
                "Subscription is already deactivated",
            ));
            continue;
        }
        Store::cancel_subscription(sub, immediately, now);
        // FastSpring does not send `subscription.canceled` for an immediate
        // cancellation, only `subscription.deactivated` (the reference's
        // `subscription.canceled` page: "canceled via API without billingPeriod=0").
        let event = if immediately {
            "subscription.deactivated"
        } else {
            "subscription.canceled"
        };
        events.push((event.into(), sub.clone()));
        results.push(sub_result(&id, "subscription.cancel"));
    }
    Some(Answer::json(200, json!({ "subscriptions": results })))
}

fn pause_resume(
    store: &mut Store,
    call: &Call<'_>,
    pause: bool,
    events: &mut Vec<(String, Value)>,
) -> Option<Answer> {
    let id = call.path("subscription_id").to_string();
    let now = store.now;
    let action = if pause {
        "subscription.pause"
    } else {
        "subscription.resume"
    };
    let Some(sub) = store.get_mut(Kind::Subscriptions, &id) else {
        return Some(Answer::json(
            400,
            sub_error(&id, action, "Subscription not found"),
        ));
    };
    let state = sub
        .get("state")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if state == "deactivated" || state == "canceled" {
        return Some(Answer::json(
            400,
            sub_error(&id, action, &format!("Subscription is {state}")),
        ));
    }
    // ---- resuming a paused subscription charges it now (issue 20) ----
    if !pause && state == "paused" {
        let charged = crate::timeline::resume_now(store, &id);
        let sub = store.get(Kind::Subscriptions, &id)?.clone();
        events.push(("subscription.resumed".into(), sub.clone()));
        events.extend(charged);
        return Some(Answer::json(200, sub));
    }
    // ---- end of resuming a paused subscription ----
    // Pausing again changes the number of periods; resuming an unpaused subscription
    // changes nothing and records no event.
    let scheduled = sub.get("isPauseScheduled") == Some(&Value::Bool(true));
    if !pause && !scheduled {
        return Some(Answer::json(200, sub.clone()));
    }
    sub["isPauseScheduled"] = json!(pause);
    if pause {
        let periods = call
            .body
            .as_ref()
            .and_then(|b| b.get("pausePeriodCount"))
            .cloned()
            .unwrap_or(json!(1));
        let count = periods.as_i64().unwrap_or(1);
        sub["pausePeriodCount"] = periods;
        crate::timeline::schedule_pause(sub, count);
    } else if let Some(obj) = sub.as_object_mut() {
        obj.remove("pausePeriodCount");
        for field in ["pauseDate", "resumeDate"] {
            set_time(obj, field, None);
        }
    }
    Store::touch_subscription(sub, now);
    events.push((
        if pause {
            "subscription.paused"
        } else {
            "subscription.resumed"
        }
        .into(),
        sub.clone(),
    ));
    Some(Answer::json(200, sub.clone()))
}

fn get_orders(store: &Store, call: &Call<'_>) -> Option<Answer> {
    let ids = ids_of(call.path("order_id"));
    let missing = |id: &str| json!({ "action": "order.get", "order": id, "result": "error", "error": { "order": "Not found" } });
    if ids.len() == 1 {
        return Some(match store.get(Kind::Orders, &ids[0]) {
            Some(order) => Answer::json(200, order.clone()),
            None => Answer::json(
                not_found_status(call),
                json!({ "orders": [missing(&ids[0])] }),
            ),
        });
    }
    let items: Vec<Value> = ids
        .iter()
        .map(|id| {
            store
                .get(Kind::Orders, id)
                .cloned()
                .unwrap_or_else(|| missing(id))
        })
        .collect();
    Some(Answer::json(
        200,
        json!({ "action": "order.get", "result": "success", "orders": items }),
    ))
}

fn update_order_tags(store: &mut Store, call: &Call<'_>) -> Option<Answer> {
    let updates = call.body.as_ref()?.get("orders")?.as_array()?.clone();
    let mut results = Vec::new();
    for (index, update) in updates.iter().enumerate() {
        let id = update
            .get("order")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let Some(order) = store.get_mut(Kind::Orders, id) else {
            results.push(json!({
                "action": "order.update", "result": "error", "order": format!("[{index}]"),
                "error": { "order": "Not found" },
            }));
            continue;
        };
        if let Some(tags) = update.get("tags") {
            let slot = order
                .as_object_mut()?
                .entry("tags")
                .or_insert_with(|| json!({}));
            if !slot.is_object() {
                *slot = json!({});
            }
            merge(slot, tags);
        }
        for item in update
            .get("items")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let product = item
                .get("product")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if let Some(items) = order.get_mut("items").and_then(Value::as_array_mut) {
                for stored in items
                    .iter_mut()
                    .filter(|i| i.get("product").and_then(Value::as_str) == Some(product))
                {
                    if let Some(attributes) = item.get("attributes") {
                        let slot = stored
                            .as_object_mut()?
                            .entry("attributes")
                            .or_insert_with(|| json!({}));
                        if !slot.is_object() {
                            *slot = json!({});
                        }
                        merge(slot, attributes);
                    }
                }
            }
        }
        results.push(json!({ "action": "order.update", "result": "success", "order": id }));
    }
    Some(Answer::json(200, json!({ "orders": results })))
}

fn list_events(store: &Store, processed: bool) -> Answer {
    let events: Vec<Value> = store
        .events
        .iter()
        .filter(|e| e.processed == processed)
        .map(|e| e.to_value())
        .collect();
    Answer::json(
        200,
        json!({
            "action": "events.get", "result": "success", "page": null, "limit": null,
            "nextPage": null, "total": events.len(), "more": false, "events": events,
        }),
    )
}

fn update_event(store: &mut Store, call: &Call<'_>) -> Option<Answer> {
    let id = call.path("event_id").to_string();
    let processed = call
        .body
        .as_ref()
        .and_then(|b| b.get("processed"))
        .and_then(Value::as_bool)
        .unwrap_or(true);
    Some(match store.mark_event(&id, processed) {
        Some(event) => Answer::json(200, event),
        None => not_found(call, "event", &id, "Event not found"),
    })
}

/// `GET /orders`: IDs without filters; with a filter, whole orders (the older published
/// examples of filtered searches, `action: order.lookup`, carry full order objects).
fn list_orders(store: &Store, call: &Call<'_>) -> Answer {
    let filtered = [
        "begin", "end", "days", "products", "rebill", "returns", "scope", "status",
    ]
    .iter()
    .any(|q| call.query(q).is_some());
    if !filtered {
        return list_ids(store, call, Kind::Orders, "orders", "order.getall");
    }
    let orders: Vec<Value> = store
        .ids(Kind::Orders)
        .iter()
        .filter_map(|id| store.get(Kind::Orders, id).cloned())
        .collect();
    let (items, next, page, limit) = page_of(call, &orders);
    Answer::json(
        200,
        json!({
            "action": "order.lookup", "result": "success", "page": page, "limit": limit,
            "nextPage": next, "total": orders.len(), "orders": items,
        }),
    )
}
