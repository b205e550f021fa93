//! One webhook delivery, from the event being recorded to the receiver's 200 recorded
//! by the mock: signing, the POST over loopback, the acknowledgement. `one_delivery`
//! uses a fresh mock per iteration (started outside the measurement), so its delivery
//! is the mock's first; `delivery_on_a_running_mock` measures the later ones.
//! `cargo bench -p fastspring-mock --bench delivery`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use fastspring_mock::MockServer;

/// A mock delivering to `url`, no retries.
fn start(runtime: &tokio::runtime::Runtime, url: &str) -> MockServer {
    runtime
        .block_on(
            MockServer::builder()
                .webhook(url, "bench-secret")
                .retry_schedule(Vec::new())
                .start(),
        )
        .unwrap()
}

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
            || start(&runtime, &url),
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
    // Deliveries one after another on a running mock (20 per mock, so the delivery log
    // stays small): what a test suite's later deliveries cost.
    group.bench_function("delivery_on_a_running_mock", |b| {
        b.iter_custom(|iters| {
            let mut spent = Duration::ZERO;
            let mut mock = None;
            for i in 0..iters {
                let made = (i % 20) as usize + 1;
                if made == 1 {
                    mock = Some(start(&runtime, &url));
                }
                let mock = mock.as_ref().unwrap();
                let started = Instant::now();
                runtime.block_on(async {
                    mock.emit("order.completed", None);
                    let deliveries = mock.wait_for_deliveries(made).await;
                    assert_eq!(deliveries[made - 1].status, Some(200));
                });
                spent += started.elapsed();
            }
            spent
        });
    });
    // What each delivery paid before the client was kept per mock: building the client
    // (the same settings as the mock's).
    group.bench_function("build_a_delivery_client", |b| {
        b.iter(|| {
            black_box(
                reqwest::Client::builder()
                    .no_proxy()
                    .redirect(reqwest::redirect::Policy::none())
                    .timeout(Duration::from_secs(30))
                    .build()
                    .unwrap(),
            )
        });
    });
    group.finish();
}

criterion_group!(benches, one_delivery);
criterion_main!(benches);
