//! One-pass decoding of untagged unions.
//!
//! A union's form is decided from the first token (a string, a number, an array, an
//! object) or, between several object forms, from the first key that only one of them
//! declares (a wrapper is told by its array key, an error outcome by `error`). The
//! chosen form then reads the rest of the input directly, with no `serde_json::Value`
//! in between. Only when neither tells the forms apart is the value buffered and every
//! form tried in order; then, as when the chosen form does not fit, the error names the
//! form that came closest and where it failed.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::value::{
    BoolDeserializer, BorrowedStrDeserializer, F64Deserializer, I64Deserializer,
    MapAccessDeserializer, SeqAccessDeserializer, StrDeserializer, StringDeserializer,
    U64Deserializer, UnitDeserializer,
};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::object::Key;
use super::{DecodeFailure, path_to_pointer};

/// A JSON string.
pub const STR: u8 = 1;
/// A JSON number.
pub const NUM: u8 = 2;
/// `true` or `false`.
pub const BOOL: u8 = 4;
/// `null`.
pub const NULL: u8 = 8;
/// An array.
pub const SEQ: u8 = 16;
/// An object.
pub const MAP: u8 = 32;
/// Anything.
pub const ANY: u8 = 63;

/// One form of a union.
#[derive(Debug, Clone, Copy)]
pub struct Form {
    /// The variant's name, for errors.
    pub name: &'static str,
    /// The JSON tokens the form can start with (a mask of [`STR`], [`NUM`], …).
    pub accepts: u8,
    /// Object keys that only this form declares among the union's object forms: seeing
    /// one decides the form.
    pub keys: &'static [&'static str],
}

/// An untagged union (implemented by the generated code through `union!`).
pub trait Union: Sized {
    /// The type's name, for errors.
    const NAME: &'static str;
    /// The forms, in the order they are tried.
    const FORMS: &'static [Form];
    /// Decodes form `index`.
    fn form<'de, D: Deserializer<'de>>(index: usize, deserializer: D) -> Result<Self, D::Error>;
}

/// `Deserialize::deserialize` of a union.
pub fn deserialize<'de, U: Union, D: Deserializer<'de>>(deserializer: D) -> Result<U, D::Error> {
    deserializer.deserialize_any(UnionVisitor::<U>(PhantomData))
}

/// The form of a union that came closest to fitting: the one that failed deepest.
#[derive(Debug)]
pub(crate) struct Closest {
    union: &'static str,
    best: Option<(&'static str, DecodeFailure)>,
}

impl Closest {
    /// Starts collecting failures for union `union`.
    pub fn new(union: &'static str) -> Closest {
        Closest { union, best: None }
    }

    /// Records that `form` did not fit.
    pub fn note(&mut self, form: &'static str, failure: DecodeFailure) {
        let depth = failure.pointer.matches('/').count();
        let deeper = self
            .best
            .as_ref()
            .is_none_or(|(_, b)| depth > b.pointer.matches('/').count());
        if deeper {
            self.best = Some((form, failure));
        }
    }
}

impl std::fmt::Display for Closest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.best {
            Some((form, failure)) => NoFit {
                union: self.union,
                form,
                reading: Reading::Buffered,
                pointer: if failure.pointer.is_empty() {
                    "/"
                } else {
                    &failure.pointer
                },
                message: &failure.message,
            }
            .fmt(f),
            None => write!(f, "{} has no forms", self.union),
        }
    }
}

/// How the form named in a union's error was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reading {
    /// Tried on a buffered copy of the value: the pointer is relative to the union
    /// (`closest is`).
    Buffered,
    /// Read straight from the input: the caller's path tracking already ends at the
    /// pointer (`it is read as`).
    Live,
}

/// A union's error, in its one format: `no form of U fits; closest is F, which fails
/// at `/p`: message` (or `it is read as F` for a form read from the input). Written by
/// [`Closest`] and the one-pass reader, parsed back by [`NoFit::parse`] (payload checks
/// follow the pointers down through nested unions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NoFit<'a> {
    /// The union's name.
    pub union: &'a str,
    /// The form that came closest.
    pub form: &'a str,
    /// How that form was read.
    pub reading: Reading,
    /// Where the form failed (`/` for the union's value itself).
    pub pointer: &'a str,
    /// The form's own error.
    pub message: &'a str,
}

const NO_FORM_OF: &str = "no form of ";
const FITS_BUFFERED: &str = " fits; closest is ";
const FITS_LIVE: &str = " fits; it is read as ";
const FAILS_AT: &str = ", which fails at `";
const BECAUSE: &str = "`: ";

impl fmt::Display for NoFit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fits = match self.reading {
            Reading::Buffered => FITS_BUFFERED,
            Reading::Live => FITS_LIVE,
        };
        write!(
            f,
            "{NO_FORM_OF}{}{fits}{}{FAILS_AT}{}{BECAUSE}{}",
            self.union, self.form, self.pointer, self.message
        )
    }
}

impl<'a> NoFit<'a> {
    /// Reads back a message written by `Display`; `None` for any other message.
    #[cfg_attr(not(feature = "payload-check"), allow(dead_code))] // payload checks parse it
    pub(crate) fn parse(message: &'a str) -> Option<NoFit<'a>> {
        let rest = message.strip_prefix(NO_FORM_OF)?;
        let (union, rest, reading) = match rest.split_once(FITS_BUFFERED) {
            Some((union, rest)) => (union, rest, Reading::Buffered),
            None => {
                let (union, rest) = rest.split_once(FITS_LIVE)?;
                (union, rest, Reading::Live)
            }
        };
        let (form, rest) = rest.split_once(FAILS_AT)?;
        let (pointer, message) = rest.split_once(BECAUSE)?;
        Some(NoFit {
            union,
            form,
            reading,
            pointer,
            message,
        })
    }
}

/// Tries every form on a buffered value, in order; the error names the closest form.
fn buffered<U: Union, E: de::Error>(value: Value) -> Result<U, E> {
    let mut closest = Closest::new(U::NAME);
    for (index, form) in U::FORMS.iter().enumerate() {
        let mut track = serde_path_to_error::Track::new();
        let de = serde_path_to_error::Deserializer::new(&value, &mut track);
        match U::form(index, de) {
            Ok(v) => return Ok(v),
            Err(e) => closest.note(
                form.name,
                DecodeFailure {
                    pointer: path_to_pointer(&track.path()),
                    message: e.to_string(),
                },
            ),
        }
    }
    Err(E::custom(closest))
}

/// The forms that accept `token`, as a bit set over indices.
fn candidates<U: Union>(token: u8) -> (usize, Option<usize>) {
    let mut count = 0;
    let mut first = None;
    for (index, form) in U::FORMS.iter().enumerate() {
        if form.accepts & token != 0 {
            count += 1;
            first.get_or_insert(index);
        }
    }
    (count, first)
}

/// A scalar: the forms that accept its token are tried in order straight from it; if
/// none fits, every form is tried on the buffered value so the error is the usual one.
fn scalar<'de, U, E, P>(
    token: u8,
    make: impl Fn() -> P,
    value: impl FnOnce() -> Value,
) -> Result<U, E>
where
    U: Union,
    E: de::Error,
    P: Deserializer<'de, Error = E>,
{
    for (index, form) in U::FORMS.iter().enumerate() {
        if form.accepts & token != 0
            && let Ok(v) = U::form(index, make())
        {
            return Ok(v);
        }
    }
    buffered(value())
}

struct UnionVisitor<U>(PhantomData<U>);

impl<'de, U: Union> Visitor<'de> for UnionVisitor<U> {
    type Value = U;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a {}", U::NAME)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<U, E> {
        scalar(BOOL, || BoolDeserializer::new(v), || Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<U, E> {
        scalar(NUM, || I64Deserializer::new(v), || Value::from(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<U, E> {
        scalar(NUM, || U64Deserializer::new(v), || Value::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<U, E> {
        scalar(NUM, || F64Deserializer::new(v), || Value::from(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<U, E> {
        scalar(STR, || StrDeserializer::new(v), || Value::from(v))
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<U, E> {
        scalar(STR, || BorrowedStrDeserializer::new(v), || Value::from(v))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<U, E> {
        self.visit_str(&v)
    }

    fn visit_unit<E: de::Error>(self) -> Result<U, E> {
        scalar(NULL, UnitDeserializer::new, || Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<U, E> {
        self.visit_unit()
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<U, A::Error> {
        let (count, first) = candidates::<U>(SEQ);
        match (count, first) {
            (1, Some(index)) => {
                let mut at = At::default();
                let tracked = TrackedSeq {
                    seq,
                    at: &mut at,
                    next: 0,
                };
                U::form(index, SeqAccessDeserializer::new(tracked))
                    .map_err(|e| at.error::<U, A::Error>(index, &e))
            }
            _ => buffered(Value::deserialize(SeqAccessDeserializer::new(seq))?),
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<U, A::Error> {
        let (count, first) = candidates::<U>(MAP);
        if count == 1 {
            let index = first.unwrap_or_default();
            return commit::<U, A>(index, Vec::new(), None, map);
        }
        // Keys seen before the deciding one are kept, to be replayed to the chosen form.
        let mut seen: Vec<(String, Value)> = Vec::new();
        while let Some(key) = map.next_key::<Key<'de>>()? {
            if count > 1
                && let Some(index) = U::FORMS
                    .iter()
                    .position(|f| f.accepts & MAP != 0 && f.keys.contains(&key.as_str()))
            {
                return commit::<U, A>(index, seen, Some(key), map);
            }
            let value: Value = map.next_value()?;
            seen.push((key.into_string(), value));
        }
        buffered(Value::Object(seen.into_iter().collect()))
    }
}

/// Decodes form `index` from the rest of the object (after replaying `seen` and `key`).
fn commit<'de, U: Union, A: MapAccess<'de>>(
    index: usize,
    seen: Vec<(String, Value)>,
    key: Option<Key<'de>>,
    map: A,
) -> Result<U, A::Error> {
    let mut at = At::default();
    let tracked = TrackedMap {
        seen: seen.into_iter(),
        replay: None,
        key,
        map,
        at: &mut at,
    };
    U::form(index, MapAccessDeserializer::new(tracked))
        .map_err(|e| at.error::<U, A::Error>(index, &e))
}

/// Where the chosen form is reading: the member or element of the union's value.
#[derive(Default)]
struct At {
    key: String,
    index: Option<usize>,
    in_value: bool,
    replayed: bool,
}

impl At {
    fn error<U: Union, E: de::Error>(&self, index: usize, inner: &dyn fmt::Display) -> E {
        let mut pointer = String::new();
        if self.in_value {
            pointer.push('/');
            match self.index {
                Some(i) => pointer.push_str(&i.to_string()),
                None => pointer.push_str(&self.key.replace('~', "~0").replace('/', "~1")),
            }
        } else {
            pointer.push('/');
        }
        let message = inner.to_string();
        // A replayed member was read from a buffer the caller's path tracking did not see,
        // so its pointer is relative to the union ("closest is"); a live one was seen, so
        // the caller's path already ends there ("it is read as").
        let reading = if self.replayed && self.in_value {
            Reading::Buffered
        } else {
            Reading::Live
        };
        E::custom(NoFit {
            union: U::NAME,
            form: U::FORMS[index].name,
            reading,
            pointer: &pointer,
            message: strip_position(&message),
        })
    }
}

/// serde_json appends ` at line L column C` to errors; the outer error gets its own.
fn strip_position(message: &str) -> &str {
    if let Some(at) = message.rfind(" at line ") {
        let tail = &message[at + " at line ".len()..];
        let mut parts = tail.splitn(3, ' ');
        if let (Some(line), Some("column"), Some(column)) =
            (parts.next(), parts.next(), parts.next())
            && line.bytes().all(|b| b.is_ascii_digit())
            && column.bytes().all(|b| b.is_ascii_digit())
        {
            return &message[..at];
        }
    }
    message
}

/// Feeds a key to the chosen form's key seed.
fn feed_key<'de, S: DeserializeSeed<'de>, E: de::Error>(
    seed: S,
    key: Key<'de>,
) -> Result<S::Value, E> {
    match key {
        Key::Borrowed(s) => seed.deserialize(BorrowedStrDeserializer::new(s)),
        Key::Owned(s) => seed.deserialize(StringDeserializer::new(s)),
    }
}

/// The object as the chosen form sees it: replayed members, the deciding key, then the
/// rest of the input; it remembers which member is being read, for errors.
struct TrackedMap<'a, 'de, A> {
    seen: std::vec::IntoIter<(String, Value)>,
    replay: Option<Value>,
    key: Option<Key<'de>>,
    map: A,
    at: &'a mut At,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for TrackedMap<'_, 'de, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        self.at.in_value = false;
        if let Some((key, value)) = self.seen.next() {
            self.replay = Some(value);
            self.at.replayed = true;
            self.at.key.clear();
            self.at.key.push_str(&key);
            return feed_key(seed, Key::Owned(key)).map(Some);
        }
        self.at.replayed = false;
        let key = match self.key.take() {
            Some(key) => key,
            None => match self.map.next_key::<Key<'de>>()? {
                Some(key) => key,
                None => return Ok(None),
            },
        };
        self.at.key.clear();
        self.at.key.push_str(key.as_str());
        feed_key(seed, key).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        self.at.in_value = true;
        let value = match self.replay.take() {
            Some(value) => seed.deserialize(value).map_err(de::Error::custom)?,
            None => self.map.next_value_seed(seed)?,
        };
        self.at.in_value = false;
        Ok(value)
    }

    fn size_hint(&self) -> Option<usize> {
        self.map.size_hint()
    }
}

/// The array as the chosen form sees it; it remembers which element is being read.
struct TrackedSeq<'a, A> {
    seq: A,
    at: &'a mut At,
    next: usize,
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for TrackedSeq<'_, A> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, A::Error> {
        self.at.index = Some(self.next);
        self.at.in_value = true;
        let element = self.seq.next_element_seed(seed)?;
        self.at.in_value = false;
        self.next += 1;
        Ok(element)
    }

    fn size_hint(&self) -> Option<usize> {
        self.seq.size_hint()
    }
}

/// Implements [`Union`] and `Deserialize` for a generated union:
/// `union!(Name { Variant: TOKENS ["key", …], … })`.
#[allow(unused_macros)] // the generated code (gated by group features) uses it
macro_rules! union {
    ($name:ident { $($variant:ident : $($accepts:ident)|+, [$($key:literal),* $(,)?]),+ $(,)? }) => {
        impl $crate::codec::union::Union for $name {
            const NAME: &'static str = stringify!($name);
            const FORMS: &'static [$crate::codec::union::Form] = &[
                $($crate::codec::union::Form {
                    name: stringify!($variant),
                    accepts: 0 $(| $crate::codec::union::$accepts)+,
                    keys: &[$($key),*],
                }),+
            ];
            fn form<'de, D: serde::Deserializer<'de>>(index: usize, deserializer: D) -> Result<Self, D::Error> {
                $crate::codec::union::union!(@arms $name, index, deserializer, 0usize, [] $($variant)+)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                $crate::codec::union::deserialize(deserializer)
            }
        }
    };
    (@arms $name:ident, $index:ident, $de:ident, $n:expr, [$($done:tt)*] $variant:ident $($rest:ident)+) => {
        $crate::codec::union::union!(@arms $name, $index, $de, $n + 1usize,
            [$($done)* i if i == $n => serde::Deserialize::deserialize($de).map($name::$variant),] $($rest)+)
    };
    (@arms $name:ident, $index:ident, $de:ident, $n:expr, [$($done:tt)*] $variant:ident) => {
        match $index {
            $($done)*
            _ => serde::Deserialize::deserialize($de).map($name::$variant),
        }
    };
}

#[allow(unused_imports)] // the generated code (gated by group features) uses it
pub(crate) use union;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_union_error_reads_back_as_written() {
        for reading in [Reading::Buffered, Reading::Live] {
            let written = NoFit {
                union: "Outcome",
                form: "Failure",
                reading,
                pointer: "/error/code",
                message: "invalid type: integer `3`, expected a string",
            };
            let text = written.to_string();
            assert_eq!(NoFit::parse(&text), Some(written), "{text}");
        }
        assert_eq!(
            NoFit {
                union: "U",
                form: "A",
                reading: Reading::Buffered,
                pointer: "/",
                message: "m",
            }
            .to_string(),
            "no form of U fits; closest is A, which fails at `/`: m"
        );
        assert_eq!(NoFit::parse("missing field `id`"), None);
    }

    #[test]
    fn closest_names_the_form_that_failed_deepest() {
        let mut closest = Closest::new("Price");
        closest.note(
            "Flat",
            DecodeFailure {
                pointer: String::new(),
                message: "expected a number".into(),
            },
        );
        closest.note(
            "ByCurrency",
            DecodeFailure {
                pointer: "/USD".into(),
                message: "expected a number".into(),
            },
        );
        let text = closest.to_string();
        assert_eq!(
            text,
            "no form of Price fits; closest is ByCurrency, which fails at `/USD`: expected a number"
        );
        let parsed = NoFit::parse(&text).expect("parses");
        assert_eq!((parsed.form, parsed.pointer), ("ByCurrency", "/USD"));
    }
}
