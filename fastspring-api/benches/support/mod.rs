//! The payloads the decode benches share.

use serde_json::Value;

/// FastSpring's published `order.completed` delivery (copied from
/// `api-spec/examples/webhooks/order.completed.2.json`).
pub const DELIVERY: &str = include_str!("../data/order.completed.json");

/// `(wrapper, bare list)`: 50 copies of the sample order with distinct IDs, as
/// `{"orders": [...]}` (a `GET /orders/{ids}` reply for several IDs) and as `[...]`.
pub fn fifty_orders() -> (Vec<u8>, Vec<u8>) {
    let event: Value = serde_json::from_str(DELIVERY).expect("valid JSON");
    let orders: Vec<Value> = (0..50)
        .map(|i| {
            let mut order = event["data"].clone();
            order["id"] = Value::from(format!("bench-order-{i:02}"));
            order["order"] = order["id"].clone();
            order["reference"] = Value::from(format!("FUR241216-{i:04}-10101"));
            order
        })
        .collect();
    let wrapper = serde_json::to_vec(&serde_json::json!({ "orders": orders })).expect("wrapper");
    let bare = serde_json::to_vec(&orders).expect("list");
    (wrapper, bare)
}
