//! How long a mock takes to start: the first start in a process (parses the embedded
//! spec and builds the route table), later starts (state from the spec's examples, a
//! loopback port), and the first answered request.
//!
//! ```text
//! cargo run --release -p fastspring-mock --example startup
//! ```

use std::time::{Duration, Instant};

use fastspring_mock::MockServer;

#[tokio::main]
async fn main() {
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let started = Instant::now();
    let first = MockServer::start().await;
    let first_start = started.elapsed();
    let asked = Instant::now();
    let status = http
        .get(format!("{}/accounts", first.base_url()))
        .header("user-agent", "startup/1.0")
        .basic_auth("u", Some("p"))
        .send()
        .await
        .unwrap()
        .status();
    let first_request = asked.elapsed();
    assert!(status.is_success());
    drop(first);

    let runs = 50u32;
    let mut total = Duration::ZERO;
    for _ in 0..runs {
        let started = Instant::now();
        let mock = MockServer::start().await;
        total += started.elapsed();
        drop(mock);
    }
    println!("first start (spec parsed, routes built): {first_start:?}");
    println!("first request answered:                  {first_request:?}");
    println!(
        "later starts, mean of {runs}:              {:?}",
        total / runs
    );
}
