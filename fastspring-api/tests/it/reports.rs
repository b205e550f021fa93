//! The reports helper against the loopback mock server: start the job, poll it with
//! the injected sleeper, download the CSV; failed, unknown and slow jobs end with a
//! clear error. Also `ClientBuilder::from_env` (in a child process, since the test
//! cannot change its own environment).

use crate::support;

use std::time::Duration;

use fastspring_api::data::{DataJobStatus, DataReportFilter, DataReportRequest};
use fastspring_api::reports::{self, Report, ReportError, ReportKind};
use fastspring_api::{ClientBuilder, Error, PASSWORD_ENV, USERNAME_ENV};
use serde_json::{Value, json};
use support::{
    Loopback, Recorded, Reply, assert_json_eq, request_example, response_example, test_client,
};

const JOB: &str = "JOBZNCFWNVJOZGBFBGBFFFTMEUBPMX";
const CSV: &str = "arr,subscriptions,subscriber_loss,mrr_add_on,product_name\n\
                   0.0,1.0,0.0,0.0,primary subscription (addon-subscription)\n";

/// The job as FastSpring answers when it starts one.
fn started(status: &str) -> Value {
    json!({
        "id": JOB,
        "name": "RevenueReport",
        "status": status,
        "request": {"filter": {"startDate": "2022-01-01", "endDate": "2022-06-30"}, "async": true}
    })
}

/// The job as `GET /data/v1/jobs/{id}` answers while it runs (or ends otherwise).
fn job(status: &str) -> Value {
    json!({
        "id": JOB,
        "status": status,
        "name": "RevenueReport",
        "created": "2022-09-08T12:11:01.000Z",
        "notificationEmails": ["any@fastspring.com"]
    })
}

/// The spec's completed job (`getJob` example `complete`).
fn completed() -> Value {
    response_example("getJob", 200, "complete")
}

fn csv_reply() -> Reply {
    Reply::status(200)
        .header("content-type", "text/plain")
        .body(CSV)
}

/// The spec's revenue request example, asking for a synchronous page.
fn revenue_request() -> DataReportRequest {
    serde_json::from_value(request_example("generateRevenueReport", "sync-page"))
        .expect("the spec example is a DataReportRequest")
}

fn route(r: &Recorded) -> String {
    format!("{} {}", r.method, r.path)
}

fn routes(server: &Loopback) -> Vec<String> {
    server.requests().iter().map(route).collect()
}

#[tokio::test]
async fn job_is_polled_until_complete_then_downloaded() {
    let server = Loopback::start([
        Reply::ok(&started("PROCESSING")),
        Reply::ok(&job("PENDING")),
        Reply::ok(&completed()),
        csv_reply(),
    ])
    .await;
    let t = test_client(&server);
    let report = reports::generate(&t.client, ReportKind::Revenue, revenue_request())
        .await
        .expect("the report runs");

    assert_eq!(report.csv(), Some(CSV));
    let done = report.job().expect("went through a job");
    assert_eq!(done.id, JOB);
    assert_eq!(done.status, DataJobStatus::Complete);
    assert!(done.download_url.is_some());
    assert_eq!(report.rows(), None);

    let job_path = format!("GET /data/v1/jobs/{JOB}");
    assert_eq!(
        routes(&server),
        [
            "POST /data/v1/revenue".to_string(),
            job_path.clone(),
            job_path,
            format!("GET /data/v1/downloads/{JOB}"),
        ]
    );
    // Two waits before the two polls, each the default interval; none after completion.
    assert_eq!(
        t.sleeper.slept(),
        [
            reports::DEFAULT_POLL_INTERVAL,
            reports::DEFAULT_POLL_INTERVAL
        ]
    );
    assert_eq!(reports::DEFAULT_POLL_INTERVAL, Duration::from_secs(5));

    let requests = server.requests();
    for r in &requests {
        r.assert_client_headers();
    }
    // The body is the caller's request with `async` forced on.
    let mut expected = request_example("generateRevenueReport", "sync-page");
    expected["async"] = json!(true);
    assert_json_eq(&requests[0].json(), &expected);
    assert!(requests[1..].iter().all(|r| r.body.is_empty()));
    // JSON is asked for where JSON comes back; the download asks for the CSV text
    // (FastSpring answers JSON by default).
    let accepts: Vec<_> = requests.iter().map(|r| r.header("accept")).collect();
    assert_eq!(
        accepts,
        [
            Some("application/json"),
            Some("application/json"),
            Some("application/json"),
            Some("text/plain")
        ]
    );
    assert_eq!(server.unused_replies(), 0);
}

#[tokio::test]
async fn custom_poll_interval_is_what_the_sleeper_sees() {
    let server = Loopback::start([
        Reply::ok(&started("PROCESSING")),
        Reply::ok(&job("PROCESSING")),
        Reply::ok(&job("PROCESSING")),
        Reply::ok(&completed()),
        csv_reply(),
    ])
    .await;
    let t = test_client(&server);
    let request = DataReportRequest {
        filter: DataReportFilter {
            start_date: Some("2022-01-01".into()),
            end_date: Some("2022-12-31".into()),
            ..Default::default()
        },
        r#async: Some(false),
        ..DataReportRequest::new(DataReportFilter::default())
    };
    let report = reports::generate(&t.client, ReportKind::Subscription, request)
        .poll_interval(Duration::from_secs(2))
        .await
        .expect("the report runs");
    assert_eq!(report.csv(), Some(CSV));
    assert_eq!(t.sleeper.slept(), [Duration::from_secs(2); 3]);
    assert_eq!(t.clock.elapsed(), Duration::from_secs(6));
    let requests = server.requests();
    assert_eq!(route(&requests[0]), "POST /data/v1/subscription");
    assert_json_eq(
        &requests[0].json(),
        &json!({"filter": {"startDate": "2022-01-01", "endDate": "2022-12-31"}, "async": true}),
    );
    assert_eq!(requests.len(), 5);
}

#[tokio::test]
async fn a_job_that_is_complete_at_once_is_downloaded_without_waiting() {
    let server = Loopback::start([Reply::ok(&started("COMPLETE")), csv_reply()]).await;
    let t = test_client(&server);
    let report = reports::generate(
        &t.client,
        ReportKind::Revenue,
        DataReportRequest::new(DataReportFilter::default()),
    )
    .await
    .expect("the report runs");
    assert_eq!(report.csv(), Some(CSV));
    assert!(t.sleeper.slept().is_empty());
    assert_eq!(
        routes(&server),
        [
            "POST /data/v1/revenue".to_string(),
            format!("GET /data/v1/downloads/{JOB}")
        ]
    );
}

#[tokio::test]
async fn a_failed_job_is_a_clear_error_and_nothing_is_downloaded() {
    let server = Loopback::start([
        Reply::ok(&started("PROCESSING")),
        Reply::ok(&job("PROCESSING")),
        Reply::ok(&job("FAILED")),
    ])
    .await;
    let t = test_client(&server);
    let error = reports::generate(&t.client, ReportKind::Revenue, revenue_request())
        .poll_interval(Duration::from_secs(3))
        .await
        .expect_err("the job failed");
    let ReportError::JobFailed { job } = &error else {
        panic!("expected JobFailed, got {error:?}");
    };
    assert_eq!(job.id, JOB);
    assert_eq!(job.status, DataJobStatus::Failed);
    let message = error.to_string();
    assert!(
        message.contains(JOB) && message.contains("failed") && message.contains("FAILED"),
        "{message}"
    );
    assert_eq!(t.sleeper.slept(), [Duration::from_secs(3); 2]);
    assert_eq!(server.requests().len(), 3, "{:?}", routes(&server));
}

#[tokio::test]
async fn an_unrecognised_status_stops_polling() {
    let server = Loopback::start([
        Reply::ok(&started("PROCESSING")),
        Reply::ok(&job("ARCHIVED")),
    ])
    .await;
    let t = test_client(&server);
    let error = reports::generate(&t.client, ReportKind::Revenue, revenue_request())
        .await
        .expect_err("unknown status");
    let ReportError::UnexpectedStatus { job } = &error else {
        panic!("expected UnexpectedStatus, got {error:?}");
    };
    assert_eq!(job.status.as_str(), "ARCHIVED");
    assert!(error.to_string().contains("\"ARCHIVED\""), "{error}");
    assert_eq!(t.sleeper.slept(), [reports::DEFAULT_POLL_INTERVAL]);
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn the_total_timeout_ends_polling() {
    let server = Loopback::start([Reply::ok(&started("PROCESSING"))]).await;
    for _ in 0..10 {
        server.push(Reply::ok(&job("PROCESSING")));
    }
    let t = test_client(&server);
    let error = reports::generate(&t.client, ReportKind::Revenue, revenue_request())
        .poll_interval(Duration::from_secs(5))
        .timeout(Duration::from_secs(12))
        .await
        .expect_err("the job never completes");
    let ReportError::TimedOut {
        job,
        waited,
        timeout,
    } = &error
    else {
        panic!("expected TimedOut, got {error:?}");
    };
    assert_eq!(job.status, DataJobStatus::Processing);
    assert_eq!(*waited, Duration::from_secs(12));
    assert_eq!(*timeout, Duration::from_secs(12));
    // Full intervals, then the rest of the budget for one last look.
    assert_eq!(
        t.sleeper.slept(),
        [
            Duration::from_secs(5),
            Duration::from_secs(5),
            Duration::from_secs(2)
        ]
    );
    // Start + three polls; no download.
    assert_eq!(server.requests().len(), 4, "{:?}", routes(&server));
    assert_eq!(server.unused_replies(), 7);
    assert!(error.to_string().contains("timeout 12.0 s"), "{error}");
}

#[tokio::test]
async fn a_zero_timeout_gives_up_after_starting_the_job() {
    let server = Loopback::start([Reply::ok(&started("PROCESSING"))]).await;
    let t = test_client(&server);
    let error = reports::generate(&t.client, ReportKind::Revenue, revenue_request())
        .timeout(Duration::ZERO)
        .await
        .expect_err("no time to wait");
    assert!(matches!(error, ReportError::TimedOut { .. }), "{error:?}");
    assert!(t.sleeper.slept().is_empty());
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn a_synchronous_answer_returns_its_rows() {
    let page = response_example("generateSubscriptionReport", 200, "sync-page");
    let server = Loopback::start([Reply::ok(&page)]).await;
    let t = test_client(&server);
    let report = reports::generate(
        &t.client,
        ReportKind::Subscription,
        DataReportRequest::new(DataReportFilter::default()),
    )
    .await
    .expect("the report runs");
    let Report::Rows(rows) = &report else {
        panic!("expected rows, got {report:?}");
    };
    assert_eq!(rows.report.len(), 1);
    assert_eq!(report.rows().map(<[_]>::len), Some(1));
    assert_eq!(
        report.rows().unwrap()[0].get("country_name"),
        Some(&json!("Uruguay"))
    );
    assert_eq!(report.csv(), None);
    assert!(t.sleeper.slept().is_empty());
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn a_download_error_is_reported_as_the_request_error() {
    let invalid = response_example("downloadReport", 400, "invalid-job-id");
    let server = Loopback::start([Reply::ok(&completed()), Reply::json(400, &invalid)]).await;
    let t = test_client(&server);
    let error = reports::generate(&t.client, ReportKind::Revenue, revenue_request())
        .await
        .expect_err("download refused");
    let ReportError::Request(Error::Api {
        operation, status, ..
    }) = &error
    else {
        panic!("expected an API error, got {error:?}");
    };
    assert_eq!((*operation, *status), ("downloadReport", 400));
    assert!(error.to_string().contains("Invalid JobId"), "{error}");
}

#[tokio::test]
async fn starting_the_report_is_not_retried() {
    // A repeated POST could start a second job: a 503 ends the run at once.
    let server = Loopback::start([Reply::status(503), Reply::ok(&started("PROCESSING"))]).await;
    let t = test_client(&server);
    let error = reports::generate(&t.client, ReportKind::Revenue, revenue_request())
        .await
        .expect_err("server error");
    assert_eq!(
        match &error {
            ReportError::Request(e) => e.status(),
            _ => None,
        },
        Some(503),
        "{error:?}"
    );
    assert_eq!(server.requests().len(), 1);
    assert!(t.sleeper.slept().is_empty());
}

#[tokio::test]
async fn polling_is_retried_like_any_get() {
    let server = Loopback::start([
        Reply::ok(&started("PROCESSING")),
        Reply::status(503),
        Reply::ok(&completed()),
        csv_reply(),
    ])
    .await;
    let t = test_client(&server);
    let report = reports::generate(&t.client, ReportKind::Revenue, revenue_request())
        .await
        .expect("the report runs");
    assert_eq!(report.csv(), Some(CSV));
    let slept = t.sleeper.slept();
    assert_eq!(
        slept.len(),
        2,
        "poll interval, then one retry backoff: {slept:?}"
    );
    assert_eq!(slept[0], reports::DEFAULT_POLL_INTERVAL);
    assert!(slept[1] < reports::DEFAULT_POLL_INTERVAL, "{slept:?}");
}

// ---------------------------------------------------------------------------------------
// ClientBuilder::from_env, checked in a child process with a controlled environment
// ---------------------------------------------------------------------------------------

/// Tells the child test which server to call (or, when absent, to expect an error).
const CHILD_URL_ENV: &str = "REPORTS_TEST_CHILD_BASE_URL";

/// Runs `child_from_env` in a fresh process of this test binary with `env` set and
/// the two credential variables removed first.
fn run_child(env: &[(&str, &str)]) -> std::process::Output {
    let mut command = std::process::Command::new(std::env::current_exe().expect("test binary"));
    command
        .arg(support::test_name(module_path!(), "child_from_env"))
        .args(["--exact", "--ignored", "--test-threads=1"])
        .env_remove(USERNAME_ENV)
        .env_remove(PASSWORD_ENV)
        .env_remove(CHILD_URL_ENV);
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("child test runs")
}

fn assert_child_passed(output: &std::process::Output) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Only run by the tests below, in a child process whose environment they set.
#[tokio::test]
#[ignore = "run by from_env_* in a child process"]
async fn child_from_env() {
    match std::env::var(CHILD_URL_ENV) {
        Ok(url) => {
            let client = ClientBuilder::from_env()
                .expect("credentials in the environment")
                .user_agent(support::APP)
                .base_url(url)
                .no_proxy()
                .rate_limit(None)
                .build()
                .expect("client builds");
            let job = client.data().get_job(JOB).await.expect("job read");
            assert_eq!(job.id, JOB);
        }
        Err(_) => {
            let error = ClientBuilder::from_env().expect_err("a variable is missing");
            assert!(matches!(error, Error::Config(_)), "{error:?}");
            let missing = if std::env::var(USERNAME_ENV).is_err() {
                USERNAME_ENV
            } else {
                PASSWORD_ENV
            };
            assert!(error.to_string().contains(missing), "{error}");
            let error = fastspring_api::Client::from_env().expect_err("same for Client");
            assert!(error.to_string().contains(missing), "{error}");
        }
    }
}

#[tokio::test]
async fn from_env_builder_uses_the_environment_credentials_and_keeps_other_settings() {
    let server = Loopback::start([Reply::ok(&completed())]).await;
    let url = server.url().to_string();
    let output = tokio::task::spawn_blocking(move || {
        run_child(&[
            (USERNAME_ENV, support::USER),
            (PASSWORD_ENV, support::PASSWORD),
            (CHILD_URL_ENV, &url),
        ])
    })
    .await
    .expect("child joined");
    assert_child_passed(&output);
    let request = server.only_request();
    request.assert_client_headers();
    assert_eq!(route(&request), format!("GET /data/v1/jobs/{JOB}"));
}

#[test]
fn from_env_names_the_missing_variable() {
    assert_child_passed(&run_child(&[(USERNAME_ENV, support::USER)]));
    assert_child_passed(&run_child(&[(PASSWORD_ENV, support::PASSWORD)]));
    assert_child_passed(&run_child(&[]));
}

#[tokio::test]
async fn list_jobs_decodes_the_bare_array_of_jobs() {
    let server = Loopback::start([Reply::ok(&response_example("listJobs", 200, "two-jobs"))]).await;
    let t = test_client(&server);

    let jobs = t.client.data().list_jobs().await.unwrap();

    let request = server.only_request();
    request.assert_client_headers();
    assert_eq!(route(&request), "GET /data/v1/jobs");
    assert_eq!(request.raw_query, None);
    assert!(request.body.is_empty());
    assert_eq!(request.header("accept"), Some("application/json"));
    assert_eq!(jobs.len(), 2);
    assert_eq!(jobs[0].id, JOB);
    assert_eq!(jobs[0].status, DataJobStatus::Complete);
    assert_eq!(
        jobs[0].complete_date.as_deref(),
        Some("2022-09-08T12:12:35.000Z")
    );
    assert_eq!(jobs[1].status, DataJobStatus::Failed);
    assert_eq!(jobs[1].complete_date, None);
}

#[tokio::test]
async fn reset_cache_asks_for_text_and_returns_it() {
    let server = Loopback::start([Reply::status(200)
        .header("content-type", "text/plain")
        .body("Cache reset success")])
    .await;
    let t = test_client(&server);

    let text = t.client.data().reset_cache().await.unwrap();

    let request = server.only_request();
    request.assert_client_headers();
    assert_eq!(route(&request), "GET /data/v1/util/cache");
    assert_eq!(request.header("accept"), Some("text/plain"));
    assert_eq!(text, "Cache reset success");
}
