//! Streaming stays streaming: pages N orders (FastSpring's `order.completed` sample, 50
//! per page, each with its own ID) through `client.orders().list().items()` from a
//! loopback server and reports the process's peak RSS. Runs itself twice, for 10,000
//! and 100,000 items, each in a fresh process, and prints the growth; the budget
//! (DESIGN.md) is ≤ 10 %.
//!
//! `cargo bench -p fastspring-api --bench paging_memory` (Linux: reads `/proc/self/status`).

use futures_util::StreamExt;
use serde_json::Value;

const SAMPLE: &str = include_str!("data/order.completed.json");
const PER_PAGE: usize = 50;

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// Pages `total` items and returns (items seen, peak RSS in KiB).
fn run(total: usize) -> (usize, u64) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let event: Value = serde_json::from_str(SAMPLE).expect("valid JSON");
    let mut order = event["data"].clone();
    order["id"] = Value::from("__ID__");
    let order = serde_json::to_string(&order).expect("encodes");
    let pages = total.div_ceil(PER_PAGE);
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("address");
        let app = axum::Router::new().fallback(
            move |query: axum::extract::Query<std::collections::HashMap<String, String>>| {
                let order = order.clone();
                async move {
                    let page: usize = query.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
                    let items: Vec<String> = (0..PER_PAGE)
                        .map(|i| order.replace("__ID__", &format!("o-{page}-{i}")))
                        .collect();
                    let next = if page < pages {
                        (page + 1).to_string()
                    } else {
                        "null".to_string()
                    };
                    let body = format!(
                        r#"{{"action":"order.getall","result":"success","page":{page},"limit":{PER_PAGE},"nextPage":{next},"total":{total},"orders":[{}]}}"#,
                        items.join(",")
                    );
                    ([("content-type", "application/json")], body)
                }
            },
        );
        tokio::spawn(async move { axum::serve(listener, app).await.expect("serves") });
        let client = fastspring_api::Client::builder()
            .credentials("bench", "bench")
            .base_url(format!("http://{addr}"))
            .no_proxy()
            .rate_limit(None)
            .build()
            .expect("client");
        let mut items = std::pin::pin!(client.orders().list().items());
        let mut seen = 0;
        while let Some(item) = items.next().await {
            item.expect("decodes");
            seen += 1;
        }
        (seen, peak_rss_kib())
    })
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(n) = args
        .iter()
        .position(|a| a == "--items")
        .and_then(|i| args.get(i + 1))
    {
        let total: usize = n.parse().expect("a number");
        let (seen, peak) = run(total);
        assert_eq!(seen, total);
        println!("{peak}");
        return;
    }
    // `cargo bench` passes `--bench`; run each size in a fresh process.
    let me = std::env::current_exe().expect("own path");
    let measure = |n: usize| -> u64 {
        let out = std::process::Command::new(&me)
            .args(["--items", &n.to_string()])
            .output()
            .expect("child runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .expect("peak RSS")
    };
    let small = measure(10_000);
    let large = measure(100_000);
    let growth = (large as f64 / small as f64 - 1.0) * 100.0;
    println!("paging orders through .items(), 50 per page, loopback");
    println!("  10,000 items: peak RSS {small} KiB");
    println!("  100,000 items: peak RSS {large} KiB");
    println!("  growth: {growth:+.1} % (budget ≤ 10 %)");
}
