//! What a whole typed call costs over the plainest way to fetch the same bytes: a
//! loopback server answers `GET /orders` with a page of 50 orders (FastSpring's own
//! `order.completed` sample, 50 times); one side is raw reqwest + `serde_json::Value`,
//! the other `client.orders().list().send()` (limiter, retry policy, error check,
//! typed decode). The budget (DESIGN.md) is typed ≤ 1.1× raw. A third line decodes the
//! same bytes into the same type without the client, to separate what the client adds
//! from what the generated types cost.
//!
//! `cargo bench -p fastspring-api --bench call_overhead`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::Value;

const SAMPLE: &str = include_str!("data/order.completed.json");

/// `{"action": "order.getall", ..., "orders": [50 orders]}` as FastSpring sends it.
fn fifty_orders() -> Vec<u8> {
    let event: Value = serde_json::from_str(SAMPLE).expect("valid JSON");
    let order = event["data"].clone();
    let orders: Vec<Value> = (0..50)
        .map(|i| {
            let mut o = order.clone();
            o["id"] = Value::from(format!("order-{i}"));
            o
        })
        .collect();
    serde_json::to_vec(&serde_json::json!({
        "action": "order.getall",
        "result": "success",
        "page": 1,
        "limit": 50,
        "nextPage": null,
        "total": 50,
        "orders": orders,
    }))
    .expect("encodes")
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let body = bytes::Bytes::from(fifty_orders());
    let url = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("address");
        let app = axum::Router::new().fallback(move || {
            let body = body.clone();
            async move { ([("content-type", "application/json")], body) }
        });
        tokio::spawn(async move { axum::serve(listener, app).await.expect("serves") });
        format!("http://{addr}")
    });
    let raw = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("reqwest client");
    let client = fastspring_api::Client::builder()
        .credentials("bench", "bench")
        .base_url(url.as_str())
        .no_proxy()
        .rate_limit(None)
        .build()
        .expect("client");
    let orders_url = format!("{url}/orders");

    let mut group = c.benchmark_group("GET /orders, 50 orders, loopback");
    group.bench_function("raw reqwest + serde_json::Value", |b| {
        b.iter(|| {
            rt.block_on(async {
                let bytes = raw
                    .get(orders_url.as_str())
                    .send()
                    .await
                    .expect("answer")
                    .bytes()
                    .await
                    .expect("body");
                black_box(serde_json::from_slice::<Value>(&bytes).expect("JSON"))
            })
        })
    });
    // The same typed decode without the client around it: the difference to the next
    // line is what the client itself adds (limiter, policy, error check, plumbing).
    group.bench_function(
        "raw reqwest + serde_json::from_slice::<OrderListResponse>",
        |b| {
            b.iter(|| {
                rt.block_on(async {
                    let bytes = raw
                        .get(orders_url.as_str())
                        .send()
                        .await
                        .expect("answer")
                        .bytes()
                        .await
                        .expect("body");
                    black_box(
                        serde_json::from_slice::<fastspring_api::orders::OrderListResponse>(&bytes)
                            .expect("decodes"),
                    )
                })
            })
        },
    );
    group.bench_function("typed client.orders().list().send()", |b| {
        b.iter(|| {
            rt.block_on(async { black_box(client.orders().list().send().await.expect("decodes")) })
        })
    });
    group.finish();
}

criterion_group!(call_overhead, benches);
criterion_main!(call_overhead);
