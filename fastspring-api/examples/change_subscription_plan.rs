//! Changes a subscription's plan: first previews the prorated change
//! (`POST /subscriptions/estimate`), then applies it (`POST /subscriptions`) and reports
//! the outcome of each item.
//!
//! ```text
//! FASTSPRING_API_USERNAME=… FASTSPRING_API_PASSWORD=… \
//!     cargo run -p fastspring-api --example change_subscription_plan -- \
//!     SUBSCRIPTION_ID NEW_PRODUCT_PATH [QUANTITY] [--preview-only]
//! ```
//!
//! Without a FastSpring account, against the mock (`cargo run -p fastspring-mock` in
//! another terminal):
//!
//! ```text
//! FASTSPRING_API_BASE_URL=http://127.0.0.1:8080 FASTSPRING_API_USERNAME=u FASTSPRING_API_PASSWORD=p \
//!     cargo run -p fastspring-api --example change_subscription_plan -- AmYzjmPbSbWYkESv7MnwwA new-monthly-subscription
//! ```
//!
//! The change is prorated immediately (`prorate: true`): the buyer is charged, or
//! credited, the difference for the rest of the current period. `--preview-only` stops
//! after the estimate.

use fastspring_api::ClientBuilder;
use fastspring_api::subscriptions::{
    EstimateSubscriptionRequest, SubscriptionUpdate, UpdateSubscriptionsRequest,
};

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let preview_only = args.iter().any(|a| a == "--preview-only");
    let positional: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let (subscription, product) = match positional.as_slice() {
        [subscription, product, ..] => (subscription.to_string(), product.to_string()),
        _ => {
            return Err(
                "usage: change_subscription_plan SUBSCRIPTION_ID NEW_PRODUCT_PATH [QUANTITY] [--preview-only]"
                    .into(),
            );
        }
    };
    let quantity = positional.get(2).map(|q| q.parse::<i64>()).transpose()?;

    let client = ClientBuilder::from_env()?
        .user_agent("change-plan-example/1.0")
        .build()?;

    // 1. Preview: nothing changes yet.
    // Required fields in `new`, optional ones with `with_*`; a field that is already an
    // `Option` goes in with struct-update syntax.
    let estimate = EstimateSubscriptionRequest {
        quantity,
        ..EstimateSubscriptionRequest::new(&subscription)
            .with_product(&product)
            .with_prorate(true)
    };
    let preview = client.subscriptions().estimate(estimate).await?;
    let plan = |p: &Option<fastspring_api::subscriptions::SubscriptionEstimatePlan>| {
        p.as_ref()
            .and_then(|p| p.display.clone().or_else(|| p.product.clone()))
            .unwrap_or_else(|| "?".into())
    };
    println!(
        "{subscription}: {} -> {}",
        plan(&preview.current_plan),
        plan(&preview.proposed_plan)
    );
    if let Some(due) = &preview.amount_due {
        println!(
            "  due now: {}",
            due.total_amount_due_display.as_deref().unwrap_or("?")
        );
    }
    if preview.is_proratable == Some(false) {
        println!(
            "  not proratable: {}",
            preview
                .proration_status
                .as_deref()
                .unwrap_or("no reason given")
        );
    }
    if preview_only {
        return Ok(());
    }

    // 2. Apply. A 200 can still carry failed items: report each one.
    let change = SubscriptionUpdate {
        quantity,
        ..SubscriptionUpdate::new(&subscription)
            .with_product(product)
            .with_prorate(true)
    };
    let outcome = client
        .subscriptions()
        .update(UpdateSubscriptionsRequest::new([change]))
        .send_batch()
        .await?;
    for item in &outcome.items {
        match item {
            Ok(done) => println!(
                "  {}: changed{}",
                done.subscription.as_deref().unwrap_or("?"),
                if done.prorated == Some(true) {
                    " (prorated)"
                } else {
                    ""
                }
            ),
            Err(failed) => println!("  failed: {failed}"),
        }
    }
    if !outcome.all_succeeded() {
        std::process::exit(1);
    }
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
