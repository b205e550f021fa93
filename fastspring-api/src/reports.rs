//! Reports end to end: start an asynchronous revenue or subscription report, wait for
//! its job, download the file.
//!
//! FastSpring's reporting service (`/data/v1/…`) builds large reports in the
//! background: `POST /data/v1/revenue` or `/data/v1/subscription` with `async: true`
//! answers with a job (`status: PROCESSING`), `GET /data/v1/jobs/{job_id}` tells when it
//! is `COMPLETE` (or `FAILED`), and `GET /data/v1/downloads/{job_id}` returns the report
//! as CSV text. [`generate`] does all three:
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use fastspring_api::data::{DataReportFilter, DataReportRequest};
//! use fastspring_api::reports::{self, ReportKind};
//!
//! let client = fastspring_api::Client::from_env()?;
//! let request = DataReportRequest {
//!     filter: DataReportFilter {
//!         start_date: Some("2024-01-01".into()),
//!         end_date: Some("2024-06-30".into()),
//!         ..Default::default()
//!     },
//!     report_columns: Some(vec!["transaction_date".into(), "income_in_usd".into()]),
//!     ..DataReportRequest::new(DataReportFilter::default())
//! };
//! let report = reports::generate(&client, ReportKind::Revenue, request)
//!     .poll_interval(Duration::from_secs(10))
//!     .timeout(Duration::from_secs(15 * 60))
//!     .await?;
//! if let Some(csv) = report.csv() {
//!     println!("{csv}");
//! }
//! # Ok(()) }
//! ```
//!
//! Waiting goes through the client's [`Sleeper`](crate::policy::Sleeper) and time is
//! measured with its [`Clock`](crate::policy::Clock), so tests run without real sleeps.
//! Polling never runs forever: it ends when the job completes, fails, reports a status
//! this crate does not recognise, or when the total timeout is used up.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::time::Duration;

use crate::data::{
    DataJob, DataJobStatus, DataReportPage, DataReportRequest, DataReportResponse, DataReportRow,
};
use crate::{Client, Error};

/// Default wait between two looks at the job.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(5);
/// Default limit on the time spent waiting for the job, from the start of the run.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30 * 60);
/// Shortest poll interval; shorter ones are raised to it (a zero interval would spin).
pub const MIN_POLL_INTERVAL: Duration = Duration::from_millis(100);

/// Which report to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReportKind {
    /// `POST /data/v1/revenue`.
    Revenue,
    /// `POST /data/v1/subscription`.
    Subscription,
}

impl fmt::Display for ReportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ReportKind::Revenue => "revenue",
            ReportKind::Subscription => "subscription",
        })
    }
}

/// Starts a report run: see [`ReportRun`]. Nothing is sent until it is awaited.
///
/// The request's `async` flag is always sent as `true` (the helper exists to run the
/// background job); `pageCount`/`pageNumber` are ignored by FastSpring for jobs.
pub fn generate(client: &Client, kind: ReportKind, request: DataReportRequest) -> ReportRun<'_> {
    ReportRun {
        client,
        kind,
        request,
        poll_interval: DEFAULT_POLL_INTERVAL,
        timeout: DEFAULT_TIMEOUT,
    }
}

/// A report run being configured; `.await` it (or call [`send`](Self::send)).
#[derive(Debug)]
#[must_use = "a report run does nothing until it is awaited or sent"]
pub struct ReportRun<'a> {
    client: &'a Client,
    kind: ReportKind,
    request: DataReportRequest,
    poll_interval: Duration,
    timeout: Duration,
}

/// What a report run produced.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Report {
    /// The job completed and its file was downloaded.
    Csv {
        /// The job as last seen (status `COMPLETE`, with `completeDate` and `downloadUrl`).
        job: Box<DataJob>,
        /// The report file: a header line with the column names, then one line per row.
        csv: String,
    },
    /// FastSpring answered the request synchronously with rows instead of starting a
    /// job (not expected with `async: true`). The page is returned as sent; nothing is
    /// polled or downloaded, and no further pages are fetched.
    Rows(Box<DataReportPage>),
}

impl Report {
    /// The downloaded CSV text, for a run that went through a job.
    pub fn csv(&self) -> Option<&str> {
        match self {
            Report::Csv { csv, .. } => Some(csv),
            Report::Rows(_) => None,
        }
    }

    /// The completed job, for a run that went through one.
    pub fn job(&self) -> Option<&DataJob> {
        match self {
            Report::Csv { job, .. } => Some(job),
            Report::Rows(_) => None,
        }
    }

    /// The rows of a synchronous answer.
    pub fn rows(&self) -> Option<&[DataReportRow]> {
        match self {
            Report::Csv { .. } => None,
            Report::Rows(page) => Some(&page.report),
        }
    }
}

/// Why a report run did not produce a report.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// A request failed (starting the report, polling the job, downloading the file).
    #[error(transparent)]
    Request(#[from] Error),
    /// FastSpring reports that the job failed.
    #[error("report job {} failed (status {})", .job.id, .job.status)]
    JobFailed {
        /// The job as last seen.
        job: Box<DataJob>,
    },
    /// The job has a status this crate does not recognise; polling stopped rather than
    /// waiting for something that may never come.
    #[error("report job {} has status {:?}, which this crate does not recognise; stopped polling", .job.id, .job.status.as_str())]
    UnexpectedStatus {
        /// The job as last seen.
        job: Box<DataJob>,
    },
    /// The job was still running when the run's timeout was used up.
    #[error("report job {} still {} after {:.1} s (timeout {:.1} s)", .job.id, .job.status, .waited.as_secs_f64(), .timeout.as_secs_f64())]
    TimedOut {
        /// The job as last seen.
        job: Box<DataJob>,
        /// Time spent since the run started.
        waited: Duration,
        /// The configured timeout.
        timeout: Duration,
    },
}

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Done,
    Running,
    Failed,
    Unrecognised,
}

/// Classifies a job status. Only `PROCESSING`, `COMPLETE` and `FAILED` have been seen;
/// a few obvious spellings of the same states are accepted too (case-insensitive), and
/// anything else is unrecognised.
fn phase(status: &DataJobStatus) -> Phase {
    match status.as_str().trim().to_ascii_uppercase().as_str() {
        "COMPLETE" | "COMPLETED" | "DONE" | "SUCCEEDED" | "SUCCESS" | "FINISHED" => Phase::Done,
        "PROCESSING" | "PENDING" | "QUEUED" | "RUNNING" | "IN_PROGRESS" | "STARTED" | "CREATED"
        | "SUBMITTED" => Phase::Running,
        "FAILED" | "FAILURE" | "ERROR" | "CANCELLED" | "CANCELED" | "ABORTED" | "EXPIRED" => {
            Phase::Failed
        }
        _ => Phase::Unrecognised,
    }
}

impl<'a> ReportRun<'a> {
    /// Wait between two looks at the job (default 5 s, at least 100 ms).
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval.max(MIN_POLL_INTERVAL);
        self
    }

    /// Most time the run may take until the job is complete, counted from the start
    /// (default 30 min); a poll in flight gets only the time that is left (its
    /// retries included). The download that follows has the client's own call
    /// deadline ([`crate::ClientBuilder::call_timeout`]). The last wait is shortened so that the job is looked at once
    /// more when the time is up; if it is still running then, the run ends with
    /// [`ReportError::TimedOut`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Starts the report, waits for its job and downloads the file.
    pub async fn send(self) -> Result<Report, ReportError> {
        let ReportRun {
            client,
            kind,
            mut request,
            poll_interval,
            timeout,
        } = self;
        let clock = client.clock().clone();
        let sleeper = client.sleeper().clone();
        let started = clock.now();
        request.r#async = Some(true);
        let data = client.data();
        // Not retried: a repeated POST could start a second job.
        let answer = match kind {
            ReportKind::Revenue => data.revenue_report(request).send().await?,
            ReportKind::Subscription => data.subscription_report(request).send().await?,
        };
        let mut job = match answer {
            DataReportResponse::Job(job) => job,
            DataReportResponse::Page(page) => {
                tracing::debug!(report = %kind, rows = page.report.len(), "report answered synchronously");
                return Ok(Report::Rows(page));
            }
        };
        let job_id = job.id.clone();
        tracing::debug!(report = %kind, job = %job_id, status = %job.status, "report job started");
        let mut slept = Duration::ZERO;
        loop {
            match phase(&job.status) {
                Phase::Done => break,
                Phase::Failed => return Err(ReportError::JobFailed { job }),
                Phase::Unrecognised => return Err(ReportError::UnexpectedStatus { job }),
                Phase::Running => {}
            }
            // The sum of the waits bounds the loop even if the clock stands still.
            let waited = clock.now().saturating_duration_since(started).max(slept);
            if waited >= timeout {
                return Err(ReportError::TimedOut {
                    job,
                    waited,
                    timeout,
                });
            }
            let wait = poll_interval.min(timeout - waited);
            sleeper.sleep(wait).await;
            slept += wait;
            // A poll (with its retries) may not outlast the run's timeout either.
            let options = crate::RequestOptions {
                call_timeout: Some(
                    timeout
                        .saturating_sub(waited.saturating_add(wait))
                        .max(MIN_POLL_INTERVAL),
                ),
                ..crate::RequestOptions::default()
            };
            job = Box::new(
                data.get_job(job_id.as_str())
                    .options(options)
                    .send()
                    .await?,
            );
            tracing::debug!(job = %job_id, status = %job.status, "report job polled");
        }
        let csv = data.download(job_id.as_str()).send().await?;
        Ok(Report::Csv { job, csv })
    }
}

impl<'a> IntoFuture for ReportRun<'a> {
    type Output = Result<Report, ReportError>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'a>>;

    #[inline]
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::DataReportFilter;

    #[test]
    fn statuses_are_classified() {
        let p = |s: &str| phase(&DataJobStatus::from(s));
        assert_eq!(p("COMPLETE"), Phase::Done);
        assert_eq!(p("completed"), Phase::Done);
        assert_eq!(p("PROCESSING"), Phase::Running);
        assert_eq!(p("PENDING"), Phase::Running);
        assert_eq!(p("FAILED"), Phase::Failed);
        assert_eq!(p("Cancelled"), Phase::Failed);
        assert_eq!(p("ARCHIVED"), Phase::Unrecognised);
        assert_eq!(p(""), Phase::Unrecognised);
    }

    #[test]
    fn poll_interval_has_a_floor() {
        let client = Client::builder()
            .credentials("u", "p")
            .build()
            .expect("client builds");
        let run = generate(
            &client,
            ReportKind::Revenue,
            DataReportRequest::new(DataReportFilter::default()),
        )
        .poll_interval(Duration::ZERO);
        assert_eq!(run.poll_interval, MIN_POLL_INTERVAL);
        let run = run.poll_interval(Duration::from_secs(7));
        assert_eq!(run.poll_interval, Duration::from_secs(7));
    }
}
