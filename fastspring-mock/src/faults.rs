//! Faults on demand and the rate-limit mode.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The statuses a [`FaultKind::Status`] may answer: final HTTP statuses. 1xx are
/// interim answers (a `101` would switch protocols, a `100` is not an answer at all).
pub const FAULT_STATUSES: std::ops::RangeInclusive<u16> = 200..=599;

/// The longest [`FaultKind::Delay`]: a delay holds a connection, and a test waiting
/// longer than this has a typo in its units.
pub const MAX_FAULT_DELAY: Duration = Duration::from_secs(600);

/// What a fault does to a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultKind {
    /// Answer this status with an empty body; `retry_after` adds a `Retry-After`
    /// header (seconds). 429 without `Retry-After` is `Status { status: 429, retry_after: None }`.
    Status {
        /// HTTP status.
        status: u16,
        /// `Retry-After` in seconds.
        retry_after: Option<u64>,
    },
    /// Wait this long, then answer normally.
    Delay(Duration),
    /// Close the connection without an answer (TCP reset).
    Reset,
    /// Answer normally but cut the body in half and close the connection
    /// (`Content-Length` announces the whole body).
    Truncate,
}

/// A fault rule: which operation, what, how many times.
///
/// ```
/// use fastspring_mock::Fault;
/// let fault = Fault::rate_limited(Some(2)).on("getAccount").times(1);
/// # let _ = fault;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// The `operationId` it applies to; `None` for every operation.
    pub operation: Option<String>,
    /// What happens.
    pub kind: FaultKind,
    /// How many requests it affects; `None` for all until cleared.
    pub times: Option<u32>,
}

impl Fault {
    fn new(kind: FaultKind) -> Fault {
        Fault {
            operation: None,
            kind,
            times: None,
        }
    }

    /// An HTTP status with an empty body (a 5xx, say). Only [`FAULT_STATUSES`] are
    /// accepted: [`MockServer::inject`](crate::MockServer::inject) refuses others.
    pub fn status(status: u16) -> Fault {
        Fault::new(FaultKind::Status {
            status,
            retry_after: None,
        })
    }

    /// HTTP 429, with `Retry-After: <seconds>` when given.
    pub fn rate_limited(retry_after_secs: Option<u64>) -> Fault {
        Fault::new(FaultKind::Status {
            status: 429,
            retry_after: retry_after_secs,
        })
    }

    /// A delay before the normal answer.
    pub fn delay(delay: Duration) -> Fault {
        Fault::new(FaultKind::Delay(delay))
    }

    /// A connection reset instead of an answer.
    pub fn reset() -> Fault {
        Fault::new(FaultKind::Reset)
    }

    /// A truncated body.
    pub fn truncated() -> Fault {
        Fault::new(FaultKind::Truncate)
    }

    /// Only for this `operationId` (default: every operation), as the spec and the
    /// client's docs spell it (`getSubscription`; each generated method's docs name it).
    /// [`MockServer::inject`](crate::MockServer::inject) checks it against the spec, so
    /// a typo is an error naming the closest operation, never a rule that cannot fire.
    pub fn on(mut self, operation_id: impl Into<String>) -> Fault {
        self.operation = Some(operation_id.into());
        self
    }

    /// Only for the next `n` matching requests (default: until cleared).
    pub fn times(mut self, n: u32) -> Fault {
        self.times = Some(n);
        self
    }

    /// The admin API's JSON form.
    pub fn to_json(&self) -> Value {
        let mut out = json!({ "operation": self.operation, "times": self.times });
        match &self.kind {
            FaultKind::Status {
                status,
                retry_after,
            } => {
                out["status"] = json!(status);
                out["retryAfter"] = json!(retry_after);
            }
            FaultKind::Delay(d) => out["delayMs"] = json!(d.as_millis() as u64),
            FaultKind::Reset => out["reset"] = json!(true),
            FaultKind::Truncate => out["truncate"] = json!(true),
        }
        out
    }

    /// Reads the admin API's JSON form:
    /// `{"operation"?, "times"?, and one of "status" (+ "retryAfter"), "delayMs", "reset": true, "truncate": true}`.
    pub fn from_json(value: &Value) -> Result<Fault, String> {
        let kind = if let Some(status) = value.get("status") {
            let status = status
                .as_u64()
                .and_then(|s| u16::try_from(s).ok())
                .ok_or("`status` must be an HTTP status code (200-599)")?;
            let retry_after = match value.get("retryAfter") {
                None | Some(Value::Null) => None,
                Some(v) => Some(v.as_u64().ok_or("`retryAfter` must be whole seconds")?),
            };
            FaultKind::Status {
                status,
                retry_after,
            }
        } else if let Some(ms) = value.get("delayMs") {
            let ms = ms.as_u64().ok_or("`delayMs` must be milliseconds")?;
            FaultKind::Delay(Duration::from_millis(ms))
        } else if value.get("reset") == Some(&Value::Bool(true)) {
            FaultKind::Reset
        } else if value.get("truncate") == Some(&Value::Bool(true)) {
            FaultKind::Truncate
        } else {
            return Err(
                "give one of `status` (with `retryAfter`), `delayMs`, `reset: true`, `truncate: true`"
                    .into(),
            );
        };
        let operation = match value.get("operation") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return Err("`operation` must be an operationId".into()),
        };
        let times = match value.get("times") {
            None | Some(Value::Null) => None,
            Some(v) => Some(
                v.as_u64()
                    .and_then(|n| u32::try_from(n).ok())
                    .ok_or("`times` must be a count")?,
            ),
        };
        let fault = Fault {
            operation,
            kind,
            times,
        };
        fault.check_kind()?;
        Ok(fault)
    }

    /// Refuses what no FastSpring answer looks like: a status outside
    /// [`FAULT_STATUSES`], a delay over [`MAX_FAULT_DELAY`].
    fn check_kind(&self) -> Result<(), String> {
        match &self.kind {
            FaultKind::Status { status, .. } if !FAULT_STATUSES.contains(status) => Err(format!(
                "fault status {status} refused: give a final HTTP status, {}-{} ({})",
                FAULT_STATUSES.start(),
                FAULT_STATUSES.end(),
                if (100..200).contains(status) {
                    "1xx statuses are interim answers, not a reply"
                } else {
                    "no such HTTP status"
                }
            )),
            FaultKind::Delay(delay) if *delay > MAX_FAULT_DELAY => Err(format!(
                "fault delay {delay:?} refused: at most {MAX_FAULT_DELAY:?}"
            )),
            _ => Ok(()),
        }
    }

    /// Checks the rule before it is added: its kind (see `check_kind`) and its
    /// operation, which must be one of `operations` (the spec's `operationId`s). An
    /// unknown operation is named with the closest known one.
    pub(crate) fn check<'a>(
        &self,
        operations: impl IntoIterator<Item = &'a str> + Clone,
    ) -> Result<(), String> {
        self.check_kind()?;
        let Some(op) = self.operation.as_deref() else {
            return Ok(());
        };
        if operations.clone().into_iter().any(|known| known == op) {
            return Ok(());
        }
        let closest = operations
            .into_iter()
            .map(|known| {
                (
                    distance(&op.to_ascii_lowercase(), &known.to_ascii_lowercase()),
                    known,
                )
            })
            .min();
        Err(match closest {
            Some((d, known)) if d <= op.len().max(4) / 3 => format!(
                "no operation `{op}` in the spec; did you mean `{known}`? (GET /mock/admin/operations lists them)"
            ),
            _ => format!("no operation `{op}` in the spec (GET /mock/admin/operations lists them)"),
        })
    }
}

/// Edit distance (insertions, deletions, substitutions) between two short names.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

/// The active fault rules, first match wins.
#[derive(Debug, Default)]
pub struct Faults {
    rules: Vec<Fault>,
}

impl Faults {
    /// Adds a rule.
    pub fn push(&mut self, fault: Fault) {
        self.rules.push(fault);
    }

    /// Removes every rule.
    pub fn clear(&mut self) {
        self.rules.clear();
    }

    /// The rules.
    pub fn list(&self) -> &[Fault] {
        &self.rules
    }

    /// The fault for a request to `operation_id`, counting it against `times`.
    pub fn take(&mut self, operation_id: &str) -> Option<FaultKind> {
        let index = self.rules.iter().position(|f| {
            f.operation.as_deref().is_none_or(|op| op == operation_id) && f.times != Some(0)
        })?;
        let rule = &mut self.rules[index];
        let kind = rule.kind.clone();
        if let Some(n) = rule.times.as_mut() {
            *n -= 1;
            if *n == 0 {
                self.rules.remove(index);
            }
        }
        Some(kind)
    }
}

/// FastSpring's rate limit: at most `limit` requests in any `window` (FastSpring: 250
/// in 60 s; tests that must finish in seconds use a short window).
#[derive(Debug)]
pub struct RateWindow {
    /// Requests allowed per window.
    pub limit: usize,
    /// The sliding window.
    pub window: Duration,
    seen: VecDeque<Instant>,
}

impl RateWindow {
    /// A window allowing `per_minute` requests per minute.
    pub fn new(per_minute: usize) -> RateWindow {
        RateWindow::with_window(per_minute, Duration::from_secs(60))
    }

    /// A window allowing `limit` requests in any `window` (at least 1 ms).
    pub fn with_window(limit: usize, window: Duration) -> RateWindow {
        RateWindow {
            limit: limit.max(1),
            window: window.max(Duration::from_millis(1)),
            seen: VecDeque::new(),
        }
    }

    /// Counts a request at `now`; `Err(seconds)` to wait when over the limit
    /// (whole seconds, at least 1, as FastSpring's `Retry-After`).
    pub fn admit(&mut self, now: Instant) -> Result<(), u64> {
        while self
            .seen
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            self.seen.pop_front();
        }
        if self.seen.len() >= self.limit {
            let oldest = self.seen.front().copied().unwrap_or(now);
            let wait = self.window.saturating_sub(now.duration_since(oldest));
            return Err(wait.as_secs_f64().ceil().max(1.0) as u64);
        }
        self.seen.push_back(now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_window_admits_per_minute_then_refuses_until_the_oldest_ages_out() {
        let start = Instant::now();
        let mut window = RateWindow::new(250);
        for _ in 0..250 {
            assert!(window.admit(start).is_ok());
        }
        assert_eq!(window.admit(start + Duration::from_secs(15)), Err(45));
        assert!(window.admit(start + Duration::from_secs(60)).is_ok());
    }

    #[test]
    fn a_short_window_admits_its_limit_per_window() {
        let start = Instant::now();
        let mut window = RateWindow::with_window(20, Duration::from_millis(2000));
        for _ in 0..20 {
            assert!(window.admit(start).is_ok());
        }
        assert_eq!(window.admit(start + Duration::from_millis(500)), Err(2));
        assert_eq!(window.admit(start + Duration::from_millis(1500)), Err(1));
        assert!(window.admit(start + Duration::from_millis(2000)).is_ok());
    }

    #[test]
    fn faults_match_by_operation_and_run_out() {
        let mut faults = Faults::default();
        faults.push(Fault::status(503).on("getAccount").times(2));
        assert_eq!(faults.take("getOrder"), None);
        assert!(faults.take("getAccount").is_some());
        assert!(faults.take("getAccount").is_some());
        assert_eq!(faults.take("getAccount"), None);
        let parsed =
            Fault::from_json(&serde_json::json!({"status": 429, "retryAfter": 3})).unwrap();
        assert_eq!(parsed, Fault::rate_limited(Some(3)));
        assert!(Fault::from_json(&serde_json::json!({"status": 42})).is_err());
    }

    #[test]
    fn interim_and_impossible_statuses_and_endless_delays_are_refused() {
        for status in [0, 100, 101, 199, 600, 999] {
            let error = Fault::status(status).check(["getAccount"]).unwrap_err();
            assert!(
                error.contains(&format!("fault status {status} refused")),
                "{error}"
            );
            let json = Fault::from_json(&json!({"status": status})).unwrap_err();
            assert!(json.contains("refused"), "{json}");
        }
        assert!(
            Fault::status(101)
                .check(["getAccount"])
                .unwrap_err()
                .contains("interim")
        );
        for status in [200, 204, 302, 404, 429, 500, 599] {
            assert_eq!(Fault::status(status).check(["getAccount"]), Ok(()));
        }
        let long = Fault::delay(MAX_FAULT_DELAY + Duration::from_millis(1));
        assert!(long.check(["getAccount"]).unwrap_err().contains("at most"));
        assert!(Fault::from_json(&json!({"delayMs": 600_001})).is_err());
        assert!(Fault::from_json(&json!({"delayMs": 600_000})).is_ok());
    }

    #[test]
    fn an_unknown_operation_is_refused_with_the_closest_known_one() {
        let known = ["getSubscription", "listSubscriptions", "getAccount"];
        let typo = Fault::status(500)
            .on("getSubscriptions")
            .check(known)
            .unwrap_err();
        assert_eq!(
            typo,
            "no operation `getSubscriptions` in the spec; did you mean `getSubscription`? (GET /mock/admin/operations lists them)"
        );
        let case = Fault::status(500)
            .on("GetAccount")
            .check(known)
            .unwrap_err();
        assert!(case.contains("did you mean `getAccount`"), "{case}");
        let far = Fault::status(500)
            .on("refundEverything")
            .check(known)
            .unwrap_err();
        assert!(!far.contains("did you mean"), "{far}");
        assert_eq!(Fault::status(500).on("getAccount").check(known), Ok(()));
        assert_eq!(Fault::status(500).check(known), Ok(()));
    }
}
