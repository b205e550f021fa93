//! How the generated types read and write JSON: the `object!` and `union!` decoders,
//! lenient scalars, string enums and the field helpers. No I/O and no client: this
//! layer imports nothing else from the crate.

pub mod fields;
pub mod lenient;
pub mod object;
#[cfg(feature = "payload-check")]
pub mod reencode;
pub mod string_enum;
pub mod union;
pub mod unreadable;

/// Why a payload did not decode into its generated type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeFailure {
    /// JSON pointer of the offending value (`/orders/0/items/2/quantity`).
    pub pointer: String,
    /// What serde reported.
    pub message: String,
}

/// `serde_path_to_error`'s path as a JSON pointer.
pub fn path_to_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for segment in path.iter() {
        out.push('/');
        match segment {
            Segment::Seq { index } => out.push_str(&index.to_string()),
            Segment::Map { key } => out.push_str(&key.replace('~', "~0").replace('/', "~1")),
            Segment::Enum { variant } => out.push_str(variant),
            Segment::Unknown => out.push('?'),
        }
    }
    out
}
