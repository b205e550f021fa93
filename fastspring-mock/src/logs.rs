//! What the mock remembers of its traffic, bounded (security review S17): the requests
//! served and the webhook delivery attempts. Each log keeps its newest entries up to a
//! count and a byte budget; older ones are dropped, oldest first, in O(1) each.

use std::collections::VecDeque;

/// How many served requests the mock remembers ([`crate::MockServer::requests`]).
pub const REQUEST_LOG: usize = 10_000;
/// How many bytes of request paths that log keeps at most.
pub const REQUEST_LOG_BYTES: usize = 4 << 20;
/// How many delivery attempts the mock remembers ([`crate::MockServer::deliveries`]).
pub const DELIVERY_LOG: usize = 10_000;
/// How many bytes of delivery bodies that log keeps at most.
pub const DELIVERY_LOG_BYTES: usize = 64 << 20;
/// Deliveries waiting for the delivery worker; past it a delivery is not queued and its
/// events stay in `/events/unprocessed` (FastSpring's own path for missed events).
pub const OUTBOX_CAPACITY: usize = 1024;

/// A log of the newest entries: at most `max_items`, and at most `max_bytes` by
/// `weigh` (the newest entry is always kept, whatever it weighs).
#[derive(Debug)]
pub(crate) struct BoundedLog<T> {
    items: VecDeque<T>,
    max_items: usize,
    max_bytes: usize,
    bytes: usize,
    weigh: fn(&T) -> usize,
    total: usize,
}

impl<T: Clone> BoundedLog<T> {
    pub(crate) fn new(max_items: usize, max_bytes: usize, weigh: fn(&T) -> usize) -> Self {
        BoundedLog {
            items: VecDeque::new(),
            max_items: max_items.max(1),
            max_bytes,
            bytes: 0,
            weigh,
            total: 0,
        }
    }

    /// Adds an entry, dropping the oldest past either bound.
    pub(crate) fn push(&mut self, item: T) {
        self.bytes += (self.weigh)(&item);
        self.items.push_back(item);
        self.total += 1;
        while self.items.len() > self.max_items
            || (self.bytes > self.max_bytes && self.items.len() > 1)
        {
            if let Some(old) = self.items.pop_front() {
                self.bytes -= (self.weigh)(&old);
            }
        }
    }

    /// The kept entries, oldest first.
    pub(crate) fn to_vec(&self) -> Vec<T> {
        self.items.iter().cloned().collect()
    }

    /// The kept entries, oldest first.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> {
        self.items.iter()
    }

    /// How many entries were ever pushed (kept or dropped).
    pub(crate) fn total(&self) -> usize {
        self.total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_keeps_the_newest_entries_within_its_count_and_byte_budget() {
        let mut log = BoundedLog::new(3, 10, |s: &String| s.len());
        for word in ["a", "bb", "ccc", "dddd"] {
            log.push(word.to_string());
        }
        assert_eq!(log.to_vec(), ["bb", "ccc", "dddd"], "count bound");
        log.push("eeeeeeeee".into());
        assert_eq!(log.to_vec(), ["eeeeeeeee"], "byte bound: 9 + 4 > 10");
        log.push("x".repeat(50));
        assert_eq!(
            log.to_vec(),
            ["x".repeat(50)],
            "the newest stays, whatever it weighs"
        );
        assert_eq!(log.total(), 6);
        assert_eq!(log.iter().count(), 1);
    }
}
