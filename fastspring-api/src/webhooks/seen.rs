//! Skipping repeats by event ID.

use std::collections::{HashSet, VecDeque};

use std::convert::Infallible;

use std::future::Future;

use std::sync::Mutex;

/// Where a receiver remembers the IDs of events it has processed, to skip FastSpring's
/// repeats of them (a retry after a lost answer, an event also found by
/// [`reconcile_unprocessed`]).
///
/// [`SeenEvents`] keeps them in memory; implement this trait over a database table
/// (an `INSERT` on a unique key, say) to survive restarts and share between
/// instances. Mark an event seen only **after** it was processed, so a failure midway
/// is retried. A manual resend from the FastSpring app has a new event ID and is not
/// caught here: keep handlers idempotent on the resource ID (order, subscription) too.
pub trait SeenStore: Send + Sync {
    /// The store's error.
    type Error: std::error::Error + Send + Sync + 'static;
    /// Whether `event_id` was marked seen.
    fn is_seen(&self, event_id: &str) -> impl Future<Output = Result<bool, Self::Error>> + Send;
    /// Marks `event_id` seen.
    fn mark_seen(&self, event_id: &str) -> impl Future<Output = Result<(), Self::Error>> + Send;
}

/// A bounded in-memory set of event IDs: when full, the oldest ID is forgotten.
///
/// FastSpring retries for up to 7 days; size it for the events of that period (an ID is
/// about 22 bytes) or accept that a very late retry is handled again. Lost on restart.
#[derive(Debug)]
pub struct SeenEvents {
    capacity: usize,
    inner: Mutex<SeenInner>,
}

#[derive(Debug, Default)]
struct SeenInner {
    ids: HashSet<String>,
    order: VecDeque<String>,
}

impl SeenEvents {
    /// An empty set that remembers at most `capacity` IDs (at least 1).
    pub fn new(capacity: usize) -> SeenEvents {
        SeenEvents {
            capacity: capacity.max(1),
            inner: Mutex::new(SeenInner::default()),
        }
    }

    /// Whether `event_id` is remembered.
    pub fn contains(&self, event_id: &str) -> bool {
        self.lock().ids.contains(event_id)
    }

    /// Remembers `event_id`, forgetting the oldest ID when full. Returns `true` when it
    /// was not remembered yet.
    pub fn insert(&self, event_id: &str) -> bool {
        let mut inner = self.lock();
        if inner.ids.contains(event_id) {
            return false;
        }
        if inner.order.len() >= self.capacity
            && let Some(oldest) = inner.order.pop_front()
        {
            inner.ids.remove(&oldest);
        }
        inner.ids.insert(event_id.to_string());
        inner.order.push_back(event_id.to_string());
        true
    }

    /// How many IDs are remembered.
    pub fn len(&self) -> usize {
        self.lock().order.len()
    }

    /// Whether no ID is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The most IDs remembered at once.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SeenInner> {
        // The set stays consistent even if a holder panicked: every update is complete
        // before the guard is released.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl SeenStore for SeenEvents {
    type Error = Infallible;
    async fn is_seen(&self, event_id: &str) -> Result<bool, Infallible> {
        Ok(self.contains(event_id))
    }
    async fn mark_seen(&self, event_id: &str) -> Result<(), Infallible> {
        self.insert(event_id);
        Ok(())
    }
}
