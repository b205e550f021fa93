//! Decoding speed of the generated types against `serde_json::Value` on the same bytes:
//! a 50-order `GET /orders/{ids}` reply (the wrapper union), the same orders as a bare
//! list, and a signed webhook delivery. "typed" is `serde_json::from_slice` into the
//! generated type; "client decode" is what the client does with a 2xx body
//! (`runtime::decode_json`). The order is FastSpring's own published
//! `order.completed` sample (`data/order.completed.json`, copied from
//! `api-spec/examples/webhooks/order.completed.2.json`), repeated with distinct IDs.
//!
//! `cargo bench -p fastspring-api --bench decode`; `scripts/measure.sh` runs the same
//! cases under `callgrind` for instruction counts (see README, Performance).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use fastspring_api::orders::{GetOrderResponse, Order};
use fastspring_api::runtime::decode_json;
use fastspring_api::webhooks;
use hmac::{Hmac, Mac};
use serde_json::Value;
use std::hint::black_box;

mod support;

use support::{DELIVERY, fifty_orders};

const SECRET: &str = "bench-secret";

fn signature(body: &[u8]) -> String {
    use base64::Engine;
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).expect("any key length");
    mac.update(body);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

fn benches(c: &mut Criterion) {
    let (wrapper, bare) = fifty_orders();
    let mut group = c.benchmark_group("50 orders, GET /orders/{ids} reply");
    group.throughput(Throughput::Bytes(wrapper.len() as u64));
    group.bench_function("serde_json::Value", |b| {
        b.iter(|| serde_json::from_slice::<Value>(black_box(&wrapper)).expect("decodes"))
    });
    group.bench_function("typed GetOrderResponse", |b| {
        b.iter(|| serde_json::from_slice::<GetOrderResponse>(black_box(&wrapper)).expect("decodes"))
    });
    group.bench_function("client decode GetOrderResponse", |b| {
        b.iter(|| {
            decode_json::<GetOrderResponse>("getOrder", false, 200, black_box(&wrapper))
                .expect("decodes")
        })
    });
    group.finish();

    let mut group = c.benchmark_group("50 orders, bare list");
    group.throughput(Throughput::Bytes(bare.len() as u64));
    group.bench_function("serde_json::Value", |b| {
        b.iter(|| serde_json::from_slice::<Value>(black_box(&bare)).expect("decodes"))
    });
    group.bench_function("typed Vec<Order>", |b| {
        b.iter(|| serde_json::from_slice::<Vec<Order>>(black_box(&bare)).expect("decodes"))
    });
    group.bench_function("client decode Vec<Order>", |b| {
        b.iter(|| {
            decode_json::<Vec<Order>>("getOrder", false, 200, black_box(&bare)).expect("decodes")
        })
    });
    group.finish();

    // The sample is one event; a delivery wraps events in an envelope.
    let event: Value = serde_json::from_str(DELIVERY).expect("valid JSON");
    let delivery = serde_json::json!({ "events": [event] });
    let body = serde_json::to_vec(&delivery).expect("envelope");
    let body = body.as_slice();
    let header = signature(body);
    let mut group = c.benchmark_group("webhook delivery, one order.completed");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("serde_json::Value", |b| {
        b.iter(|| serde_json::from_slice::<Value>(black_box(body)).expect("decodes"))
    });
    group.bench_function("webhooks::parse (verify + typed events)", |b| {
        b.iter(|| webhooks::parse(SECRET, black_box(body), Some(header.as_str())).expect("parses"))
    });
    group.finish();
}

criterion_group!(decode, benches);
criterion_main!(decode);
