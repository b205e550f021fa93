//! Decoding speed of the generated types and the webhook path, on a published
//! `order.completed` event (FastSpring's own documentation sample, copied from
//! `api-spec/examples/webhooks/order.completed.2.json`).
//!
//! `cargo bench -p fastspring-api --bench decode`

use criterion::{Criterion, criterion_group, criterion_main};
use fastspring_api::orders::Order;
use fastspring_api::webhooks;
use hmac::{Hmac, Mac};
use serde_json::Value;
use std::hint::black_box;

const DELIVERY: &str = include_str!("data/order.completed.json");
const SECRET: &str = "bench-secret";

fn signature(body: &[u8]) -> String {
    use base64::Engine;
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).expect("any key length");
    mac.update(body);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

fn benches(c: &mut Criterion) {
    // The sample is one event; a delivery wraps events in an envelope.
    let event: Value = serde_json::from_str(DELIVERY).expect("valid JSON");
    let order = serde_json::to_vec(&event["data"]).expect("order data");
    let delivery = serde_json::json!({ "events": [event] });
    let body = serde_json::to_vec(&delivery).expect("envelope");
    let body = body.as_slice();
    let header = signature(body);

    c.bench_function("decode Order (order.completed data)", |b| {
        b.iter(|| serde_json::from_slice::<Order>(black_box(&order)).expect("decodes"))
    });
    c.bench_function("webhooks::parse (verify + typed events)", |b| {
        b.iter(|| webhooks::parse(SECRET, black_box(body), Some(header.as_str())).expect("parses"))
    });
    c.bench_function("payload::check_webhook (decode + drift)", |b| {
        b.iter(|| fastspring_api::payload::check_webhook("order.completed", black_box(&delivery)))
    });
}

criterion_group!(decode, benches);
criterion_main!(decode);
