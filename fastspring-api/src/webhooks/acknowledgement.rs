//! The answer to a delivery: which events were processed.

use std::collections::HashSet;
use std::fmt;
use std::sync::OnceLock;

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
#[derive(Clone, Default)]
pub struct Acknowledgement {
    /// The delivery's distinct IDs in delivery order, end to end (one allocation for
    /// the whole delivery, not one per ID).
    ids: String,
    /// Per distinct ID, in delivery order: where it ends in `ids`, whether processed.
    entries: Vec<Entry>,
    /// Positions in `entries` ordered by ID, for lookups by ID in long deliveries:
    /// made by the first such lookup (`handle_events` records by position, needing none).
    by_id: OnceLock<Vec<usize>>,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    end: usize,
    processed: bool,
}

/// Deliveries up to this many events are searched by a scan, longer ones through
/// `by_id` (FastSpring sends one event per delivery most of the time).
const SCAN_LIMIT: usize = 8;

/// A quick 64-bit fingerprint of `id`, to find the IDs that may repeat in a delivery.
/// Not a defence against chosen IDs, and not needed to be: equal fingerprints only
/// lead to an exact check.
fn fingerprint(id: &str) -> u64 {
    let mut print = id.len() as u64;
    for chunk in id.as_bytes().chunks(8) {
        let mut word = [0; 8];
        word[..chunk.len()].copy_from_slice(chunk);
        print = (print ^ u64::from_le_bytes(word))
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .rotate_left(29);
    }
    print
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
        Acknowledgement::from_ids(envelope.ids())
    }

    /// An acknowledgement for these event IDs (in delivery order), none processed yet.
    pub fn for_ids<I>(ids: I) -> Acknowledgement
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        let ids: Vec<String> = ids.into_iter().map(Into::into).collect();
        Acknowledgement::from_ids(ids.iter().map(String::as_str))
    }

    /// An acknowledgement for these IDs, each kept once (its first place).
    pub(super) fn from_ids<'a, I>(ids: I) -> Acknowledgement
    where
        I: IntoIterator<Item = &'a str>,
        I::IntoIter: Clone,
    {
        let ids = ids.into_iter();
        let mut ack = Acknowledgement {
            ids: String::with_capacity(ids.clone().map(str::len).sum()),
            entries: Vec::with_capacity(ids.size_hint().0),
            by_id: OnceLock::new(),
        };
        for id in ids {
            ack.push(id);
        }
        if ack.may_repeat_an_id() {
            ack = ack.without_duplicates();
        }
        ack
    }

    fn push(&mut self, id: &str) {
        self.ids.push_str(id);
        self.entries.push(Entry {
            end: self.ids.len(),
            processed: false,
        });
    }

    /// `false` when every ID is different; `true` when two may be the same. Short
    /// deliveries compare every pair; long ones sort a fingerprint per ID, so two IDs
    /// with one fingerprint are merely checked again exactly.
    fn may_repeat_an_id(&self) -> bool {
        let count = self.entries.len();
        if count <= SCAN_LIMIT {
            return (1..count).any(|i| (0..i).any(|j| self.id(j) == self.id(i)));
        }
        let mut prints: Vec<u64> = (0..count).map(|i| fingerprint(self.id(i))).collect();
        prints.sort_unstable();
        prints.windows(2).any(|pair| pair[0] == pair[1])
    }

    /// The same IDs, each at its first place only (a delivery that repeats an ID: rare).
    fn without_duplicates(&self) -> Acknowledgement {
        let mut seen = HashSet::with_capacity(self.entries.len());
        let mut ack = Acknowledgement {
            ids: String::with_capacity(self.ids.len()),
            ..Acknowledgement::default()
        };
        for i in 0..self.entries.len() {
            let id = self.id(i);
            if seen.insert(id) {
                ack.push(id);
            }
        }
        ack
    }

    /// The ID of the entry at `position`.
    fn id(&self, position: usize) -> &str {
        let start = position
            .checked_sub(1)
            .map_or(0, |before| self.entries[before].end);
        &self.ids[start..self.entries[position].end]
    }

    /// Where `id` is in `entries`.
    fn position(&self, id: &str) -> Option<usize> {
        if self.entries.len() <= SCAN_LIMIT {
            return (0..self.entries.len()).find(|&i| self.id(i) == id);
        }
        let by_id = self.by_id.get_or_init(|| {
            let mut by_id: Vec<usize> = (0..self.entries.len()).collect();
            by_id.sort_unstable_by(|&a, &b| self.id(a).cmp(self.id(b)));
            by_id
        });
        by_id
            .binary_search_by(|&i| self.id(i).cmp(id))
            .ok()
            .map(|found| by_id[found])
    }

    /// Records that the event `id` was processed. Returns `false` (and records nothing)
    /// when `id` is not part of this delivery.
    pub fn mark_processed(&mut self, id: &str) -> bool {
        match self.position(id) {
            Some(position) => {
                self.entries[position].processed = true;
                true
            }
            None => false,
        }
    }

    /// Records what [`handle_once`](super::handle_once) did with the event `id`: handled
    /// now or earlier counts as processed; [`Outcome::Busy`] does not (another handler
    /// holds it, so FastSpring must send it again). Returns whether `id` is now
    /// recorded as processed.
    pub fn record(&mut self, id: &str, outcome: Outcome) -> bool {
        outcome.is_done() && self.mark_processed(id)
    }

    /// As [`record`](Self::record) for the event at `position` in the delivery: found
    /// there without a search unless an earlier ID was repeated.
    pub(super) fn record_at(&mut self, position: usize, id: &str, outcome: Outcome) -> bool {
        if !outcome.is_done() {
            return false;
        }
        if position < self.entries.len() && self.id(position) == id {
            self.entries[position].processed = true;
            return true;
        }
        self.mark_processed(id)
    }

    /// Records every event of the delivery as processed.
    pub fn mark_all_processed(&mut self) {
        for entry in &mut self.entries {
            entry.processed = true;
        }
    }

    /// Whether `id` was recorded as processed.
    pub fn is_processed(&self, id: &str) -> bool {
        self.position(id)
            .is_some_and(|position| self.entries[position].processed)
    }

    /// The processed IDs, in delivery order.
    fn processed(&self) -> impl Iterator<Item = &str> {
        (0..self.entries.len())
            .filter(|&i| self.entries[i].processed)
            .map(|i| self.id(i))
    }

    /// The answer to send.
    pub fn response(&self) -> AckResponse {
        let done = self.entries.iter().filter(|entry| entry.processed).count();
        let (status, body) = if done == self.entries.len() {
            (200, String::new())
        } else if done == 0 {
            (500, NONE_PROCESSED_BODY.to_string())
        } else {
            let mut body = String::with_capacity(self.ids.len() + self.entries.len());
            for (i, id) in self.processed().enumerate() {
                if i > 0 {
                    body.push('\n');
                }
                body.push_str(id);
            }
            (202, body)
        };
        AckResponse {
            status,
            content_type: ACK_CONTENT_TYPE,
            body,
        }
    }
}

impl fmt::Debug for Acknowledgement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let received: Vec<&str> = (0..self.entries.len()).map(|i| self.id(i)).collect();
        let processed: Vec<&str> = self.processed().collect();
        f.debug_struct("Acknowledgement")
            .field("received", &received)
            .field("processed", &processed)
            .finish()
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
