//! One webhook delivery, from the event being recorded to the receiver's 200 recorded
//! by the mock: signing, the POST over loopback, the acknowledgement. Each iteration
//! uses a fresh mock (started outside the measurement), so its delivery is the first.
//! `cargo bench -p fastspring-mock --bench delivery`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use fastspring_mock::MockServer;

fn one_delivery(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (url, _receiver) = runtime.block_on(async {
        // A receiver that acknowledges everything with a 200.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/webhooks", listener.local_addr().unwrap());
        let app = axum::Router::new().route("/webhooks", axum::routing::post(|| async { "" }));
        let receiver = tokio::spawn(async move { axum::serve(listener, app).await });
        (url, receiver)
    });
    let mut group = c.benchmark_group("mock_webhooks");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("one_delivery", |b| {
        b.iter_batched(
            || {
                runtime
                    .block_on(
                        MockServer::builder()
                            .webhook(url.clone(), "bench-secret")
                            .retry_schedule(Vec::new())
                            .start(),
                    )
                    .unwrap()
            },
            |mock| {
                runtime.block_on(async {
                    mock.emit("order.completed", None);
                    let deliveries = mock.wait_for_deliveries(1).await;
                    assert_eq!(deliveries[0].status, Some(200));
                    black_box(deliveries.len());
                });
                mock
            },
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

criterion_group!(benches, one_delivery);
criterion_main!(benches);
