//! Maps keyed by event ID for `MemoryClaims`: each ID is hashed once per operation,
//! however many maps the operation looks in, and completed IDs are kept end to end in
//! large blocks instead of one small allocation each.
//!
//! The caller hashes the ID with [`IdHasher`] (SipHash with a random key, as std's
//! `HashMap`, so IDs cannot be picked to collide) and passes the hash with the ID. The
//! maps are keyed by that hash and compare the ID itself (`text` tells where a value
//! keeps it), so two IDs with one hash are still told apart: the second one goes to a
//! small `overflow` map.
//!
//! Why blocks: a store that remembers a week of events holds one ID per event for
//! long, and one allocation per ID, taken between the short-lived ones of parsing each
//! delivery, splinters the allocator's free memory: every later delivery parsed
//! slower (measured: the in-memory path took 1.5× the time of verify + parse).

use std::collections::hash_map::{Entry, RandomState};
use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};

/// Hashes event IDs for every [`IdMap`] of one store.
#[derive(Debug, Default)]
pub(super) struct IdHasher(RandomState);

/// An event ID with its hash.
#[derive(Debug, Clone, Copy)]
pub(super) struct HashedId<'a> {
    hash: u64,
    id: &'a str,
}

impl IdHasher {
    /// `id` with its hash.
    pub(super) fn hash<'a>(&self, id: &'a str) -> HashedId<'a> {
        HashedId {
            hash: self.0.hash_one(id),
            id,
        }
    }
}

/// Event ID → `V`, where each `V` knows its ID (the `is_for` argument of the methods
/// tells whether a value is an ID's). Each method takes the ID's [`HashedId`] from one [`IdHasher`].
#[derive(Debug)]
pub(super) struct IdMap<V> {
    /// The first ID stored under each hash.
    primary: HashMap<u64, V, BuildHasherDefault<HashIsKey>>,
    /// IDs whose hash another ID in `primary` has (with a 64-bit hash: practically
    /// never), with that hash.
    overflow: HashMap<Box<str>, (u64, V)>,
}

impl<V> Default for IdMap<V> {
    fn default() -> Self {
        IdMap {
            primary: HashMap::default(),
            overflow: HashMap::new(),
        }
    }
}

impl<V> IdMap<V> {
    /// The value of `key`.
    pub(super) fn get(&self, key: HashedId<'_>, is_for: impl Fn(&V, &str) -> bool) -> Option<&V> {
        match self.primary.get(&key.hash) {
            Some(value) if is_for(value, key.id) => Some(value),
            _ if self.overflow.is_empty() => None,
            _ => self.overflow.get(key.id).map(|(_, value)| value),
        }
    }

    /// The value of `key`, to change (but not its ID).
    pub(super) fn get_mut(
        &mut self,
        key: HashedId<'_>,
        is_for: impl Fn(&V, &str) -> bool,
    ) -> Option<&mut V> {
        match self.primary.get_mut(&key.hash) {
            Some(value) if is_for(value, key.id) => Some(value),
            _ if self.overflow.is_empty() => None,
            _ => self.overflow.get_mut(key.id).map(|(_, value)| value),
        }
    }

    /// Stores `value` (whose ID is `key`'s) for `key`, which is not in the map: the
    /// caller looked it up first.
    pub(super) fn insert_new(&mut self, key: HashedId<'_>, value: V) {
        match self.primary.entry(key.hash) {
            Entry::Vacant(slot) => {
                slot.insert(value);
            }
            Entry::Occupied(_) => {
                self.overflow.insert(key.id.into(), (key.hash, value));
            }
        }
    }

    /// Moves every entry of `from` here (their IDs are not here); `text` reads a
    /// value's ID.
    pub(super) fn append<'t>(&mut self, from: &mut IdMap<V>, text: impl Fn(&V) -> &'t str) {
        for (hash, value) in from.primary.drain() {
            match self.primary.entry(hash) {
                Entry::Vacant(slot) => {
                    slot.insert(value);
                }
                Entry::Occupied(_) => {
                    self.overflow.insert(text(&value).into(), (hash, value));
                }
            }
        }
        for (id, (hash, value)) in from.overflow.drain() {
            match self.primary.entry(hash) {
                Entry::Vacant(slot) => {
                    slot.insert(value);
                }
                Entry::Occupied(_) => {
                    self.overflow.insert(id, (hash, value));
                }
            }
        }
    }

    /// Removes `key` when `pred` holds for its value, and returns the value.
    pub(super) fn remove_if(
        &mut self,
        key: HashedId<'_>,
        is_for: impl Fn(&V, &str) -> bool,
        mut pred: impl FnMut(&V) -> bool,
    ) -> Option<V> {
        let in_primary = match self.primary.get(&key.hash) {
            Some(value) if is_for(value, key.id) => Some(pred(value)),
            _ => None,
        };
        match in_primary {
            Some(true) => self.primary.remove(&key.hash),
            Some(false) => None,
            None if self
                .overflow
                .get(key.id)
                .is_some_and(|(_, value)| pred(value)) =>
            {
                self.overflow.remove(key.id).map(|(_, value)| value)
            }
            None => None,
        }
    }

    /// Removes the entry stored under `hash` whose value satisfies `pred` (values that
    /// tell their entry apart, such as a place in an [`IdBlocks`]), and returns it.
    pub(super) fn remove_by_value(
        &mut self,
        hash: u64,
        mut pred: impl FnMut(&V) -> bool,
    ) -> Option<V> {
        if self.primary.get(&hash).is_some_and(&mut pred) {
            return self.primary.remove(&hash);
        }
        let id = self
            .overflow
            .iter()
            .find(|(_, (in_hash, value))| *in_hash == hash && pred(value))
            .map(|(id, _)| id.clone())?;
        self.overflow.remove(&id).map(|(_, value)| value)
    }

    /// Keeps the entries whose value satisfies `keep`.
    pub(super) fn retain(&mut self, mut keep: impl FnMut(&V) -> bool) {
        self.primary.retain(|_, value| keep(value));
        self.overflow.retain(|_, (_, value)| keep(value));
    }

    /// How many IDs are stored.
    pub(super) fn len(&self) -> usize {
        self.primary.len() + self.overflow.len()
    }
}

/// The hasher of `IdMap::primary`: its keys are already SipHash values, so they are
/// used as they are.
#[derive(Debug, Default)]
pub(super) struct HashIsKey(u64);

impl Hasher for HashIsKey {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is called (the keys are `u64`); this keeps any other use sound.
        for &byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(byte);
        }
    }

    fn write_u64(&mut self, hash: u64) {
        self.0 = hash;
    }
}

/// Completions kept in [`DoneIds::recent`] before they move to `older`.
const RECENT: usize = 1024;

/// The completed IDs a store remembers, forgetting the oldest first beyond a capacity.
#[derive(Debug, Default)]
pub(super) struct DoneIds {
    /// The IDs, oldest first.
    blocks: IdBlocks,
    /// The latest completions, fewer than [`RECENT`]: a table small enough to stay in
    /// the processor's cache, so adding an ID does not wait on memory; they move to
    /// `older` together, where their writes to a large table overlap.
    recent: IdMap<Place>,
    /// The other completions.
    older: IdMap<Place>,
}

impl DoneIds {
    /// Whether `key`'s ID is remembered.
    pub(super) fn contains(&self, key: HashedId<'_>) -> bool {
        let is_for = |place: &Place, id: &str| self.blocks.get(*place) == id.as_bytes();
        self.recent.get(key, is_for).is_some() || self.older.get(key, is_for).is_some()
    }

    /// Remembers `key`'s ID, which is not remembered yet, forgetting the oldest one when
    /// `capacity` are remembered (`hasher` hashed `key`).
    pub(super) fn insert(&mut self, key: HashedId<'_>, capacity: usize, hasher: &IdHasher) {
        if self.blocks.len() >= capacity
            && let Some((place, oldest)) = self.blocks.oldest()
        {
            let hash = hasher.0.hash_one(oldest);
            if self.older.remove_by_value(hash, |p| *p == place).is_none() {
                self.recent.remove_by_value(hash, |p| *p == place);
            }
            self.blocks.forget_oldest();
        }
        let place = self.blocks.push(key.id);
        self.recent.insert_new(key, place);
        if self.recent.len() >= RECENT {
            let blocks = &self.blocks;
            self.older
                .append(&mut self.recent, |place| blocks.text(*place));
        }
    }

    /// How many IDs are remembered.
    pub(super) fn len(&self) -> usize {
        self.blocks.len()
    }
}

/// Bytes per block of [`IdBlocks`] (an ID longer than this gets a block of its own).
const BLOCK: usize = 64 * 1024;

/// Bytes of the length before each ID in a block.
const LEN: usize = 8;

/// IDs end to end, each after its length, in blocks of [`BLOCK`] bytes: added at the
/// end, forgotten from the front (first in, first out, as `MemoryClaims` forgets
/// completed IDs). Blocks are filled up to their capacity, never beyond, so they never
/// move; and they are never freed one ID at a time.
#[derive(Debug, Default)]
struct IdBlocks {
    blocks: VecDeque<Vec<u8>>,
    /// The number of `blocks[0]`, counting every block ever started.
    first: u64,
    /// Where the oldest ID starts in `blocks[0]`.
    front: usize,
    /// How many IDs are kept.
    count: usize,
}

/// Where [`IdBlocks`] keeps an ID: its block's number times 2^16 plus its start in the
/// block (under [`BLOCK`]; 0 in a block of its own).
type Place = u64;

impl IdBlocks {
    /// Adds `id` at the end.
    fn push(&mut self, id: &str) -> Place {
        let need = LEN + id.len();
        let fits = self
            .blocks
            .back()
            .is_some_and(|last| last.capacity() - last.len() >= need);
        if !fits {
            self.blocks.push_back(Vec::with_capacity(BLOCK.max(need)));
        }
        let block = self.first + self.blocks.len() as u64 - 1;
        let last = self.blocks.back_mut().unwrap_or_else(|| unreachable!());
        let start = last.len();
        last.extend_from_slice(&(id.len() as u64).to_le_bytes());
        last.extend_from_slice(id.as_bytes());
        self.count += 1;
        (block << 16) | start as u64
    }

    /// The ID at `place`, in bytes (empty when its block was forgotten: not a place in
    /// use).
    fn get(&self, place: Place) -> &[u8] {
        let start = (place & 0xFFFF) as usize;
        usize::try_from((place >> 16).wrapping_sub(self.first))
            .ok()
            .and_then(|index| self.blocks.get(index))
            .and_then(|block| {
                let len = block.get(start..start + LEN)?;
                let len = usize::try_from(u64::from_le_bytes(len.try_into().ok()?)).ok()?;
                block.get(start + LEN..start + LEN + len)
            })
            .unwrap_or_default()
    }

    /// The ID at `place` (copied whole from a `&str`: always UTF-8).
    fn text(&self, place: Place) -> &str {
        std::str::from_utf8(self.get(place)).unwrap_or_default()
    }

    /// The oldest ID kept, with its place.
    fn oldest(&self) -> Option<(Place, &str)> {
        let (index, front) = match self.blocks.front() {
            Some(first) if self.front < first.len() => (0, self.front),
            _ => (1, 0),
        };
        let place = ((self.first + index as u64) << 16) | front as u64;
        self.blocks.get(index)?;
        Some((place, self.text(place)))
    }

    /// Forgets the oldest ID kept, and the block it was the last one of.
    fn forget_oldest(&mut self) {
        let Some((_, oldest)) = self.oldest() else {
            return;
        };
        let size = LEN + oldest.len();
        self.drop_spent_block();
        self.front += size;
        self.count -= 1;
        self.drop_spent_block();
    }

    /// Drops the first block once every ID in it is forgotten, unless it is the last.
    fn drop_spent_block(&mut self) {
        if self.blocks.len() > 1
            && self
                .blocks
                .front()
                .is_some_and(|first| self.front >= first.len())
        {
            self.blocks.pop_front();
            self.first += 1;
            self.front = 0;
        }
    }

    /// How many IDs are kept.
    fn len(&self) -> usize {
        self.count
    }

    /// How many blocks are kept.
    #[cfg(test)]
    fn block_count(&self) -> usize {
        self.blocks.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn own(value: &(&'static str, u32), id: &str) -> bool {
        value.0 == id
    }

    /// Two IDs forced under one hash are still told apart, found, and removed one by one.
    #[test]
    fn ids_sharing_a_hash_stay_apart() {
        let mut map: IdMap<(&'static str, u32)> = IdMap::default();
        let a = HashedId {
            hash: 7,
            id: "evt-a",
        };
        let b = HashedId {
            hash: 7,
            id: "evt-b",
        };
        map.insert_new(a, ("evt-a", 1));
        assert_eq!(map.get(b, own), None);
        map.insert_new(b, ("evt-b", 2));
        assert_eq!(map.get(a, own), Some(&("evt-a", 1)));
        assert_eq!((map.get(b, own), map.len()), (Some(&("evt-b", 2)), 2));
        map.get_mut(b, own).unwrap().1 = 3;
        assert_eq!(map.remove_if(a, own, |v| v.1 == 9), None);
        assert_eq!(map.remove_if(a, own, |v| v.1 == 1), Some(("evt-a", 1)));
        assert_eq!(
            (map.get(a, own), map.get(b, own)),
            (None, Some(&("evt-b", 3)))
        );
        // The hash's slot is free again while `evt-b` still sits in the overflow.
        map.insert_new(a, ("evt-a", 4));
        assert_eq!(map.remove_by_value(7, |v| v.1 == 3), Some(("evt-b", 3)));
        assert_eq!((map.get(b, own), map.len()), (None, 1));
        assert_eq!(map.get(a, own), Some(&("evt-a", 4)));
        map.retain(|v| v.1 != 4);
        assert_eq!(map.len(), 0);
    }

    /// IDs come back from their places, long ones included, and come out oldest first;
    /// a block goes once its last ID is forgotten.
    #[test]
    fn blocks_keep_ids_first_in_first_out() {
        let mut blocks = IdBlocks::default();
        let long = "x".repeat(BLOCK + 5);
        let mut ids: Vec<String> = (0..10_000).map(|i| format!("evt-{i}")).collect();
        ids.push(long);
        ids.push(String::new());
        ids.push("evt-after".to_string());
        let places: Vec<Place> = ids.iter().map(|id| blocks.push(id)).collect();
        for (id, place) in ids.iter().zip(&places) {
            assert_eq!(blocks.text(*place), id);
        }
        assert_eq!(blocks.len(), ids.len());
        let count = blocks.block_count();
        assert!(count >= 4, "{count} blocks");
        for (i, (id, place)) in ids.iter().zip(&places).enumerate() {
            assert_eq!(blocks.oldest(), Some((*place, id.as_str())), "ID {i}");
            blocks.forget_oldest();
            assert_eq!(blocks.len(), ids.len() - i - 1);
        }
        assert_eq!((blocks.oldest(), blocks.block_count()), (None, 1));
        // Forgotten places read as nothing; new IDs follow on.
        assert_eq!(blocks.get(places[0]), b"");
        let next = blocks.push("evt-next");
        assert_eq!(blocks.oldest(), Some((next, "evt-next")));

        // A spent block kept as the last one is dropped when the next block's first ID
        // is forgotten.
        let mut blocks = IdBlocks::default();
        let full = "f".repeat(BLOCK - LEN);
        blocks.push(&full);
        blocks.forget_oldest();
        let later = blocks.push("evt-later");
        assert_eq!(blocks.block_count(), 2);
        assert_eq!(blocks.oldest(), Some((later, "evt-later")));
        blocks.forget_oldest();
        assert_eq!(
            (blocks.oldest(), blocks.len(), blocks.block_count()),
            (None, 0, 1)
        );
    }

    /// The oldest completion is forgotten once `capacity` are remembered, whether it
    /// still sits in the recent table or moved to the older one.
    #[test]
    fn done_ids_forget_the_oldest_beyond_capacity() {
        let hasher = IdHasher::default();
        for capacity in [3, RECENT + 10] {
            let mut done = DoneIds::default();
            let ids: Vec<String> = (0..capacity + 2 * RECENT)
                .map(|i| format!("evt-{i}"))
                .collect();
            for (i, id) in ids.iter().enumerate() {
                done.insert(hasher.hash(id), capacity, &hasher);
                assert_eq!(done.len(), (i + 1).min(capacity));
            }
            let kept = ids.len() - capacity;
            assert!(ids[..kept].iter().all(|id| !done.contains(hasher.hash(id))));
            assert!(ids[kept..].iter().all(|id| done.contains(hasher.hash(id))));
        }
    }
}
