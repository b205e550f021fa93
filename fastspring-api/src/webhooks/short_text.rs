//! Short text kept in place: a claim token's event and lease IDs, and `MemoryClaims`'
//! held IDs, without an allocation each (a claim per event made two, and a burst of
//! them between a delivery's parsing slowed the allocator).

use std::fmt;

/// Longest text kept in place (FastSpring's event IDs have about 22 bytes, lease
/// numbers at most 20 digits); longer text gets an allocation of its own.
const INLINE: usize = 30;

/// Text of any length. The representation is canonical (every text of at most
/// [`INLINE`] bytes is `Inline`, zero-filled after `len`), so the derived comparisons
/// and hash compare the text.
#[derive(Clone, PartialEq, Eq, Hash)]
pub(super) enum ShortText {
    Inline { len: u8, bytes: [u8; INLINE] },
    Heap(Box<str>),
}

impl ShortText {
    /// `text`, copied.
    pub(super) fn new(text: &str) -> ShortText {
        match u8::try_from(text.len()) {
            Ok(len) if text.len() <= INLINE => {
                let mut bytes = [0; INLINE];
                bytes[..text.len()].copy_from_slice(text.as_bytes());
                ShortText::Inline { len, bytes }
            }
            _ => ShortText::Heap(text.into()),
        }
    }

    /// `text`, kept in its allocation when it is too long to be kept in place.
    pub(super) fn from_string(text: String) -> ShortText {
        if text.len() <= INLINE {
            ShortText::new(&text)
        } else {
            ShortText::Heap(text.into_boxed_str())
        }
    }

    fn as_bytes(&self) -> &[u8] {
        match self {
            ShortText::Inline { len, bytes } => &bytes[..usize::from(*len)],
            ShortText::Heap(text) => text.as_bytes(),
        }
    }

    /// The text.
    pub(super) fn as_str(&self) -> &str {
        // Copied whole from a `&str`: always UTF-8.
        std::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }

    /// Whether the text is `text`.
    pub(super) fn is(&self, text: &str) -> bool {
        self.as_bytes() == text.as_bytes()
    }
}

impl fmt::Debug for ShortText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Short and long text come back whole, and equal text is equal however it came.
    #[test]
    fn text_of_any_length_round_trips_and_compares_by_text() {
        for text in [
            "",
            "7",
            "WpYjF5MYT_Cs0eJ4S6fw3Q",
            &"é".repeat(15),
            &"x".repeat(31),
        ] {
            let short = ShortText::new(text);
            assert_eq!(short.as_str(), text);
            assert!(short.is(text) && !short.is("other"));
            assert_eq!(short, ShortText::from_string(text.to_string()));
            assert_eq!(format!("{short:?}"), format!("{text:?}"));
        }
        assert!(matches!(
            ShortText::new(&"x".repeat(30)),
            ShortText::Inline { .. }
        ));
        assert!(matches!(
            ShortText::new(&"x".repeat(31)),
            ShortText::Heap(_)
        ));
        assert_ne!(ShortText::new("12"), ShortText::new("120"));
    }
}
