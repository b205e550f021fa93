//! Decoding a payload into its generated type and writing it back, so that a payload
//! check (`crate::payload`) can see which members the type lost. It lives here, below
//! the runtime facade, because the generated shape registry names it; the checks that
//! read the registry sit above the generated code.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::fields::WriteNulls;
use super::union::{NoFit, Reading};
use super::{DecodeFailure, path_to_pointer};

/// Decodes `bytes` into `T` and serializes it back, so callers can compare what the
/// type kept with what was sent. Every field the type knows is written back, absent
/// optional ones as `null`, so a `null` the payload sends in a field the type does not
/// know stays visible as a lost member.
pub fn reencode<T: DeserializeOwned + Serialize>(bytes: &[u8]) -> Result<Value, DecodeFailure> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut de)
        .map_err(|e| through_unions(path_to_pointer(e.path()), e.inner().to_string()))?;
    let _nulls = WriteNulls::on();
    serde_json::to_value(&value).map_err(|e| DecodeFailure {
        pointer: String::new(),
        message: format!("re-encoding failed: {e}"),
    })
}

/// A union's error says where its closest form failed, relative to the union (see
/// [`NoFit`]); this follows those pointers down, through nested unions, to the value
/// that did not fit. The reason keeps the innermost message and names the unions passed.
fn through_unions(mut pointer: String, message: String) -> DecodeFailure {
    let mut rest = message.as_str();
    let mut unions = Vec::new();
    while let Some(no_fit) = NoFit::parse(rest) {
        unions.push(format!("{} (closest form {})", no_fit.union, no_fit.form));
        // A form read straight from the input was tracked by the caller's path already.
        if no_fit.reading == Reading::Buffered && no_fit.pointer != "/" {
            pointer.push_str(no_fit.pointer);
        }
        rest = no_fit.message;
    }
    if unions.is_empty() {
        return DecodeFailure { pointer, message };
    }
    DecodeFailure {
        message: format!("{rest}; no form of {} fits", unions.join(", then ")),
        pointer,
    }
}
