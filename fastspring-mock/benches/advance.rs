//! Advancing the mock's clock one year over 10,000 monthly subscriptions: 120,000
//! renewals, each with its rebill order and `subscription.charge.completed` event.
//! Budget: 1 s in release. `cargo bench -p fastspring-mock --bench advance`.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use fastspring_mock::{MockServer, Seed};

const SUBSCRIPTIONS: usize = 10_000;

fn advance_one_year(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let start: jiff::Timestamp = "2025-01-31T00:00:00Z".parse().unwrap();
    let seed = (0..SUBSCRIPTIONS).fold(Seed::new(), |seed, i| {
        seed.subscription(format!("sub-{i}"), format!("acct-{}", i % 1000), "monthly")
    });
    let mut group = c.benchmark_group("mock_clock");
    group.sample_size(10);
    group.bench_function("advance_one_year_10k_subscriptions", |b| {
        b.iter_batched(
            || {
                runtime
                    .block_on(
                        MockServer::builder()
                            .start_time(start)
                            .seed(seed.clone())
                            .start(),
                    )
                    .unwrap()
            },
            |mock| {
                let events = mock.advance_by(jiff::Span::new().years(1));
                assert!(events.len() >= SUBSCRIPTIONS * 12);
                black_box(events.len());
                mock
            },
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

criterion_group!(benches, advance_one_year);
criterion_main!(benches);
