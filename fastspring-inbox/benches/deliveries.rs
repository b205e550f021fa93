//! Deliveries per second through verify → parse → claim → handle (no-op) → complete →
//! acknowledge, for `MemoryClaims`, SQLite (a temporary file, durable settings) and
//! PostgreSQL on loopback (durable defaults), with 1- and 25-event deliveries; beside
//! them, verify + parse alone (what a receiver did before claims). Then the durable
//! stores with 8 deliveries in flight at once, as a server receives them: one delivery
//! at a time is bound by one disk flush per commit, several share their flushes.
//! Throughput is in events (criterion's "elements").

use std::sync::Arc;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use fastspring_api::webhooks::{self, ClaimStore, Envelope, MemoryClaims};
use fastspring_inbox::{Inbox, InboxOptions};
use serde_json::json;

const SECRET: &str = "bench-secret";

/// A signed delivery of `n` events with IDs unique to this process and `round`.
fn delivery(n: usize, round: u64) -> (String, String) {
    let events: Vec<_> = (0..n)
        .map(|i| {
            json!({"id": format!("ev-{}-{round}-{i}", std::process::id()), "type": "subscription.activated",
                   "live": false, "processed": false, "created": 1_700_000_000_000i64,
                   "data": {"id": format!("sub-{i}"), "state": "active", "changed": 1_700_000_000_000i64}})
        })
        .collect();
    let body = json!({ "events": events }).to_string();
    let signature = fastspring_mock::sign(SECRET, body.as_bytes());
    (body, signature)
}

/// Receives one delivery: its status, and its envelope, for the caller to return to
/// criterion, which drops it outside the timed part as it does the baseline's.
async fn receive<S: ClaimStore>(store: &S, body: &str, signature: &str) -> (u16, Envelope) {
    let envelope = webhooks::parse(SECRET, body.as_bytes(), Some(signature)).unwrap();
    let (ack, _) = webhooks::handle_events(
        store,
        &envelope.events,
        webhooks::DEFAULT_LEASE,
        |_| async { Ok::<(), String>(()) },
    )
    .await;
    let status = ack.response().status;
    (status, envelope)
}

/// One delivery through `store`, asserting it was acknowledged in full.
async fn accepted<S: ClaimStore>(store: &S, body: String, signature: String) -> Envelope {
    let (status, envelope) = receive(store, &body, &signature).await;
    assert_eq!(status, 200);
    envelope
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = std::env::temp_dir().join(format!("inbox-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sqlite = runtime
        .block_on(Inbox::open_sqlite(
            dir.join("bench.db"),
            InboxOptions::default(),
        ))
        .unwrap();
    let server = fastspring_test_services::Postgres::start_with(&[]);
    let postgres = server.as_ref().map(|server| {
        runtime
            .block_on(Inbox::connect_postgres(
                &server.url(),
                InboxOptions::default(),
            ))
            .unwrap()
    });
    // Sized so that it never evicts during the run: it grows to millions of IDs.
    let memory = MemoryClaims::new(10_000_000);
    // The README's receiver keeps 100,000 IDs: full after the warm-up, then evicting
    // the oldest as it completes, as a long-running server's store is.
    let memory_100k = MemoryClaims::new(100_000);
    let round = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let next = || round.fetch_add(1, std::sync::atomic::Ordering::Relaxed);

    let mut group = c.benchmark_group("deliveries");
    for size in [1usize, 25] {
        group.throughput(Throughput::Elements(size as u64));
        let (body, signature) = delivery(size, u64::MAX);
        group.bench_function(BenchmarkId::new("verify+parse", size), |b| {
            b.iter(|| webhooks::parse(SECRET, body.as_bytes(), Some(&signature)).unwrap())
        });
        // The same, timed as the stores are (a fresh delivery per iteration, on the
        // runtime): the fair baseline of the in-memory path.
        group.bench_function(BenchmarkId::new("verify+parse-async", size), |b| {
            b.to_async(&runtime).iter_batched(
                || delivery(size, next()),
                |(body, signature)| async move {
                    webhooks::parse(SECRET, body.as_bytes(), Some(&signature)).unwrap()
                },
                criterion::BatchSize::SmallInput,
            )
        });
        for (name, store) in [("memory", &memory), ("memory-100k", &memory_100k)] {
            group.bench_function(BenchmarkId::new(name, size), |b| {
                b.to_async(&runtime).iter_batched(
                    || delivery(size, next()),
                    |(body, signature)| accepted(store, body, signature),
                    criterion::BatchSize::SmallInput,
                )
            });
        }
        group.bench_function(BenchmarkId::new("sqlite", size), |b| {
            b.to_async(&runtime).iter_batched(
                || delivery(size, next()),
                |(body, signature)| accepted(&sqlite, body, signature),
                criterion::BatchSize::SmallInput,
            )
        });
        if let Some(postgres) = &postgres {
            group.bench_function(BenchmarkId::new("postgres", size), |b| {
                b.to_async(&runtime).iter_batched(
                    || delivery(size, next()),
                    |(body, signature)| accepted(postgres, body, signature),
                    criterion::BatchSize::SmallInput,
                )
            });
        }
    }
    group.finish();

    const IN_FLIGHT: usize = 8;
    let sqlite = Arc::new(sqlite);
    let postgres = postgres.map(Arc::new);
    let mut group = c.benchmark_group("deliveries_8_at_once");
    for size in [1usize, 25] {
        group.throughput(Throughput::Elements((size * IN_FLIGHT) as u64));
        let stores: [(&str, Option<Arc<Inbox>>); 2] = [
            ("sqlite", Some(sqlite.clone())),
            ("postgres", postgres.clone()),
        ];
        for (name, store) in stores {
            let Some(store) = store else { continue };
            group.bench_function(BenchmarkId::new(name, size), |b| {
                b.to_async(&runtime).iter_batched(
                    || {
                        (0..IN_FLIGHT)
                            .map(|_| delivery(size, next()))
                            .collect::<Vec<_>>()
                    },
                    |deliveries| {
                        let store = store.clone();
                        async move {
                            let tasks: Vec<_> = deliveries
                                .into_iter()
                                .map(|(body, signature)| {
                                    let store = store.clone();
                                    tokio::spawn(
                                        async move { accepted(&*store, body, signature).await },
                                    )
                                })
                                .collect();
                            let mut envelopes = Vec::with_capacity(IN_FLIGHT);
                            for task in tasks {
                                envelopes.push(task.await.unwrap());
                            }
                            envelopes
                        }
                    },
                    criterion::BatchSize::SmallInput,
                )
            });
        }
    }
    group.finish();
    drop(sqlite);
    drop(postgres);
    drop(server);
    let _ = std::fs::remove_dir_all(dir);
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
