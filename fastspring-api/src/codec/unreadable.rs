//! One unreadable value never costs the whole reply.
//!
//! When a response scalar cannot be read as its documented type (an amount written
//! `"11.0,"`, an epoch time written as a date, an integer out of range), the reply still
//! decodes: the value is kept as FastSpring sent it where the type can carry it
//! ([`Amount::unreadable`](crate::Amount::unreadable), [`EpochMillis::unreadable`](crate::EpochMillis::unreadable)),
//! an optional integer, number or boolean that cannot is left `None`, and the rest of
//! the object is intact. Only a scalar token is tolerated: an object or an array where a
//! scalar (or a list) is documented still fails, with the usual evidence.
//!
//! Each decoder that tolerates a value calls [`tolerate`], which counts it. The happy
//! path pays one thread-local read before and after a decode; only a reply that holds an
//! unreadable value is read again to say where ([`locate`]): in *locate mode* the `n`-th
//! tolerated value becomes an error, so the path tracking that locates decode errors
//! names its JSON pointer. The client logs each pointer with the operation (a `tracing`
//! warning), and `cargo xtask check-payload` reports it as drift.

use std::cell::Cell;
use std::fmt;

/// The start of the error message a tolerated value becomes in locate mode.
pub const MARKER: &str = "unreadable value";

/// At most this many unreadable values are located in one reply (each costs a decode).
pub const LOCATE_LIMIT: u32 = 32;

#[derive(Clone, Copy, Default)]
struct State {
    /// Values tolerated outside locate mode (wrapping).
    count: u32,
    /// In locate mode: the index of the value to turn into an error.
    target: Option<u32>,
    /// In locate mode: values met so far in this pass.
    seen: u32,
}

thread_local! {
    static STATE: Cell<State> = const { Cell::new(State { count: 0, target: None, seen: 0 }) };
}

/// Records that a response value could not be read as `expected`. `Ok(())`: the caller
/// keeps the value as sent (or absent); in locate mode, the value being located is an
/// error instead, whose message starts with [`MARKER`].
#[inline(never)]
pub fn tolerate<E: serde::de::Error>(expected: &str, sent: &dyn fmt::Display) -> Result<(), E> {
    STATE.with(|cell| {
        let mut state = cell.get();
        let result = match state.target {
            Some(target) => {
                let index = state.seen;
                state.seen = state.seen.saturating_add(1);
                if index == target {
                    Err(E::custom(format_args!(
                        "{MARKER}: {sent} is not {expected}"
                    )))
                } else {
                    Ok(())
                }
            }
            None => {
                state.count = state.count.wrapping_add(1);
                Ok(())
            }
        };
        cell.set(state);
        result
    })
}

/// How many values were tolerated on this thread so far (compare before and after a
/// decode; wraps).
#[inline]
pub fn count() -> u32 {
    STATE.with(|cell| cell.get().count)
}

/// Restores the state it saved when dropped (a panicking decode leaves no locate mode).
struct Restore(State);

impl Drop for Restore {
    fn drop(&mut self) {
        let saved = self.0;
        STATE.with(|cell| cell.set(saved));
    }
}

/// The JSON pointers of the unreadable values of a reply: runs `decode` once per value
/// (at most [`LOCATE_LIMIT`] times), each time with the next value turned into an error.
/// `decode` returns the pointer and message of the error it met, or `None` when the value
/// decoded.
pub fn locate(mut decode: impl FnMut() -> Option<(String, String)>) -> Vec<String> {
    let _restore = Restore(STATE.with(Cell::get));
    let mut pointers = Vec::new();
    for target in 0..LOCATE_LIMIT {
        STATE.with(|cell| {
            cell.set(State {
                count: 0,
                target: Some(target),
                seen: 0,
            })
        });
        match decode() {
            Some((pointer, message)) if message.contains(MARKER) => pointers.push(pointer),
            _ => break,
        }
    }
    pointers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerated_values_are_counted_and_located_one_by_one() {
        let before = count();
        let ok: Result<(), serde_json::Error> = tolerate("a number", &"x");
        assert!(ok.is_ok());
        assert_eq!(count(), before.wrapping_add(1));

        // A "decode" that meets three unreadable values, at /a, /b and /c.
        let pointers = locate(|| {
            for at in ["/a", "/b", "/c"] {
                if let Err(e) = tolerate::<serde_json::Error>("a number", &"x") {
                    return Some((at.to_string(), e.to_string()));
                }
            }
            None
        });
        assert_eq!(pointers, ["/a", "/b", "/c"]);
        // Locating neither counts nor leaves locate mode behind.
        assert_eq!(count(), before.wrapping_add(1));
        assert!(tolerate::<serde_json::Error>("a number", &"x").is_ok());
    }
}
