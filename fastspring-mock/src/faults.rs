//! Faults on demand and the rate-limit mode.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

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

    /// An HTTP status with an empty body (a 5xx, say).
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

    /// Only for this `operationId` (default: every operation).
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
                .filter(|s| (100..=599).contains(s))
                .ok_or("`status` must be an HTTP status code")?;
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
            FaultKind::Delay(Duration::from_millis(ms.min(600_000)))
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
        Ok(Fault {
            operation,
            kind,
            times,
        })
    }
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
}
