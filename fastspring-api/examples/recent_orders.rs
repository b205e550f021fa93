//! Streams the orders of the last 7 days, page after page, and prints each order's ID
//! and total.
//!
//! ```text
//! FASTSPRING_API_USERNAME=… FASTSPRING_API_PASSWORD=… \
//!     cargo run -p fastspring-api --example recent_orders
//! ```
//!
//! Without a FastSpring account, against the mock (`cargo run -p fastspring-mock` in
//! another terminal):
//!
//! ```text
//! FASTSPRING_API_BASE_URL=http://127.0.0.1:8080 FASTSPRING_API_USERNAME=u FASTSPRING_API_PASSWORD=p \
//!     cargo run -p fastspring-api --example recent_orders
//! ```
//!
//! `.items()` follows FastSpring's paging (`nextPage`) and yields one order at a time;
//! a page that fails to load ends the stream with that error.

use fastspring_api::ClientBuilder;
use fastspring_api::orders::OrderOrId;
use futures_util::StreamExt;

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let client = ClientBuilder::from_env()?
        .user_agent("recent-orders-example/1.0")
        .build()?;

    let mut orders = std::pin::pin!(client.orders().list().days(7).limit(50).items());
    let mut count = 0;
    while let Some(item) = orders.next().await {
        match item? {
            OrderOrId::Order(order) => {
                let total = match (&order.total_display, &order.total, &order.currency) {
                    (Some(display), _, _) => display.clone(),
                    (None, Some(total), currency) => {
                        format!("{total} {}", currency.as_deref().unwrap_or(""))
                    }
                    (None, None, _) => "(no total)".to_string(),
                };
                println!("{:<28} {total}", order.id);
            }
            // Listings can carry bare IDs; fetch the order for its details if needed.
            OrderOrId::Id(id) => println!("{id:<28} (ID only)"),
        }
        count += 1;
    }
    println!("{count} orders in the last 7 days");
    Ok(())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            if matches!(error.downcast_ref(), Some(fastspring_api::Error::Config(_))) {
                eprintln!("{HINT}");
            }
            std::process::ExitCode::FAILURE
        }
    }
}

/// What to do about a missing setting, in one line.
const HINT: &str = "hint: set FASTSPRING_API_USERNAME and FASTSPRING_API_PASSWORD, or try it without an account: run `cargo run -p fastspring-mock` and set FASTSPRING_API_BASE_URL=http://127.0.0.1:8080 (any username and password)";
