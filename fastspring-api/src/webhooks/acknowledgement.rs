//! The answer to a delivery: which events were processed.

use std::collections::HashSet;

use super::{ACK_CONTENT_TYPE, Envelope, Outcome};

/// Collects which events of one delivery were processed and builds the answer
/// FastSpring expects:
///
/// - every event processed (or no event at all): **200**, empty body;
/// - some processed: **202**, body = their IDs one per line (`\n`, no trailing newline),
///   in delivery order; FastSpring marks only those processed and retries the others;
/// - none processed: **500** with a short text; FastSpring retries the whole delivery
///   (a 202 with an empty list is not documented).
///
/// Events found done by the claim store were processed earlier: they count as processed
/// ([`Acknowledgement::record`] does this). Events another handler holds
/// ([`Outcome::Busy`]) stay unacknowledged.
#[derive(Debug, Clone, Default)]
pub struct Acknowledgement {
    received: Vec<String>,
    index: HashSet<String>,
    processed: HashSet<String>,
}

/// The HTTP answer to a webhook delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AckResponse {
    /// HTTP status: 200, 202 or 500.
    pub status: u16,
    /// Value for the `Content-Type` header ([`ACK_CONTENT_TYPE`]).
    pub content_type: &'static str,
    /// The body.
    pub body: String,
}

/// Body of the 500 answer when no event was processed.
pub const NONE_PROCESSED_BODY: &str = "no event of this delivery was processed";

impl Acknowledgement {
    /// An acknowledgement for the events of `envelope`, none processed yet.
    pub fn new(envelope: &Envelope) -> Acknowledgement {
        Acknowledgement::for_ids(envelope.ids())
    }

    /// An acknowledgement for these event IDs (in delivery order), none processed yet.
    pub fn for_ids<I>(ids: I) -> Acknowledgement
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        let mut received: Vec<String> = Vec::new();
        let mut index = HashSet::new();
        for id in ids {
            let id = id.into();
            if index.insert(id.clone()) {
                received.push(id);
            }
        }
        Acknowledgement {
            received,
            index,
            processed: HashSet::new(),
        }
    }

    /// Records that the event `id` was processed. Returns `false` (and records nothing)
    /// when `id` is not part of this delivery.
    pub fn mark_processed(&mut self, id: &str) -> bool {
        if self.index.contains(id) {
            self.processed.insert(id.to_string());
            true
        } else {
            false
        }
    }

    /// Records what [`handle_once`](super::handle_once) did with the event `id`: handled
    /// now or earlier counts as processed; [`Outcome::Busy`] does not (another handler
    /// holds it, so FastSpring must send it again). Returns whether `id` is now
    /// recorded as processed.
    pub fn record(&mut self, id: &str, outcome: Outcome) -> bool {
        outcome.is_done() && self.mark_processed(id)
    }

    /// Records every event of the delivery as processed.
    pub fn mark_all_processed(&mut self) {
        self.processed = self.received.iter().cloned().collect();
    }

    /// Whether `id` was recorded as processed.
    pub fn is_processed(&self, id: &str) -> bool {
        self.processed.contains(id)
    }

    /// The answer to send.
    pub fn response(&self) -> AckResponse {
        let done: Vec<&str> = self
            .received
            .iter()
            .filter(|id| self.processed.contains(id.as_str()))
            .map(String::as_str)
            .collect();
        let (status, body) = if done.len() == self.received.len() {
            (200, String::new())
        } else if done.is_empty() {
            (500, NONE_PROCESSED_BODY.to_string())
        } else {
            (202, done.join("\n"))
        };
        AckResponse {
            status,
            content_type: ACK_CONTENT_TYPE,
            body,
        }
    }
}

impl AckResponse {
    /// The status as an `http::StatusCode` (the type axum and hyper use).
    pub fn status_code(&self) -> reqwest::StatusCode {
        // The fields are public: a status set by hand outside 100..=999 becomes a 500.
        reqwest::StatusCode::from_u16(self.status)
            .unwrap_or(reqwest::StatusCode::INTERNAL_SERVER_ERROR)
    }
}
