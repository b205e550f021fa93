//! Generates a revenue or subscription report as a background job, waits for it and
//! writes the CSV to standard output (progress goes to standard error).
//!
//! ```text
//! FASTSPRING_API_USERNAME=… FASTSPRING_API_PASSWORD=… \
//!     cargo run -p fastspring-api --example download_report -- \
//!     [revenue|subscription] [START_DATE END_DATE] > report.csv
//! ```
//!
//! Without a FastSpring account, against the mock (`cargo run -p fastspring-mock` in
//! another terminal):
//!
//! ```text
//! FASTSPRING_API_BASE_URL=http://127.0.0.1:8080 FASTSPRING_API_USERNAME=u FASTSPRING_API_PASSWORD=p \
//!     cargo run -p fastspring-api --example download_report
//! ```
//!
//! Dates are `YYYY-MM-DD`; the default range is the last 30 days. The job is looked at
//! every 10 seconds for at most 20 minutes.

use std::time::Duration;

use fastspring_api::ClientBuilder;
use fastspring_api::data::{DataReportFilter, DataReportRequest};
use fastspring_api::reports::{self, ReportKind};
use jiff::ToSpan;

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let kind = match args.next().as_deref() {
        None | Some("revenue") => ReportKind::Revenue,
        Some("subscription") => ReportKind::Subscription,
        Some(other) => return Err(format!("unknown report kind {other:?}").into()),
    };
    let today = jiff::Zoned::now().date();
    let start = args
        .next()
        .unwrap_or_else(|| today.saturating_sub(30.days()).to_string());
    let end = args.next().unwrap_or_else(|| today.to_string());

    let client = ClientBuilder::from_env()?
        .user_agent("download-report-example/1.0")
        .build()?;
    let request = DataReportRequest::new(
        DataReportFilter::default()
            .with_start_date(&start)
            .with_end_date(&end),
    );
    eprintln!("{kind} report {start} .. {end}: starting");
    let report = reports::generate(&client, kind, request)
        .poll_interval(Duration::from_secs(10))
        .timeout(Duration::from_secs(20 * 60))
        .await?;
    if let Some(csv) = report.csv() {
        if let Some(job) = report.job() {
            eprintln!("job {} complete, {} lines", job.id, csv.lines().count());
        }
        print!("{csv}");
    } else if let Some(rows) = report.rows() {
        // FastSpring answered synchronously: print the rows as JSON lines.
        eprintln!("answered synchronously with {} rows", rows.len());
        for row in rows {
            println!("{}", serde_json::to_string(row)?);
        }
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
