//! Advances a mock's clock one year over N monthly subscriptions (10,000 unless given)
//! once, and prints the wall and CPU time of the advance: the benchmark
//! `benches/advance.rs` as a single run, for `/usr/bin/time -v` (peak memory) and
//! callgrind (`valgrind --tool=callgrind target/release/examples/advance_year 500`).
//!
//! `cargo run --release -p fastspring-mock --example advance_year -- 10000`

use std::time::Instant;

use fastspring_mock::{MockServer, Seed};

/// This process's CPU time in seconds (user + system), where `/proc` has it.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let fields: Vec<&str> = stat.rsplit(')').next()?.split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let subscriptions: usize = match std::env::args().nth(1) {
        Some(n) => n.parse()?,
        None => 10_000,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let start: jiff::Timestamp = "2025-01-31T00:00:00Z".parse()?;
    let seed = (0..subscriptions).fold(Seed::new(), |seed, i| {
        seed.subscription(format!("sub-{i}"), format!("acct-{}", i % 1000), "monthly")
    });
    let mock = runtime.block_on(MockServer::builder().start_time(start).seed(seed).start())?;
    let (cpu_before, started) = (cpu_seconds(), Instant::now());
    let events = mock.advance_by(jiff::Span::new().years(1));
    let recorded = events.len();
    drop(events);
    let wall = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds()
        .zip(cpu_before)
        .map_or("unknown".to_string(), |(after, before)| {
            format!("{:.2} s", after - before)
        });
    println!("{subscriptions} subscriptions, {recorded} events: wall {wall:.3} s, CPU {cpu}");
    Ok(())
}
