//! `Deserialize` (and, for response types with the `serialize` feature, `Serialize`)
//! of the generated structs, written once here as `object!` instead of serde's derive.
//!
//! The derive emits, for every struct, a field enum with its own `Deserialize`, a
//! sequence visitor JSON never uses, and one adapter type per `deserialize_with`
//! field: 69 % of the crate's expanded code, compiled again for every deserializer an
//! application decodes with. `object!` keeps what varies with the spec (the field
//! names, and which decoder each field takes) and reads an object in one loop:
//!
//! - a key is borrowed from the input when it can be, and told apart by a plain
//!   `match` in a function that is compiled once per struct, not once per deserializer;
//! - a value is read with its type's `Deserialize`, or with a lenient seed
//!   (`required(lenient_string)` → [`lenient_string::Required`](super::lenient::lenient_string::Required));
//! - an unknown key is skipped (or kept, for a struct with an `others:` map); a key
//!   given twice keeps its last value;
//! - a missing `required` field fails with serde's "missing field" error; a missing
//!   `nullable` or `optional` one is `None`.
//!
//! `Serialize` writes every field under its JSON name, leaving out absent `optional`
//! ones (see [`is_absent`](super::fields::is_absent)), then the `others:` map.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, Visitor};

/// An object key, borrowed from the input unless it had to be unescaped.
#[derive(Debug)]
pub enum Key<'de> {
    /// Borrowed from the input.
    Borrowed(&'de str),
    /// Copied (an escaped key, or a deserializer that does not lend its input).
    Owned(String),
}

impl Key<'_> {
    /// The key.
    #[inline]
    pub fn as_str(&self) -> &str {
        match self {
            Key::Borrowed(s) => s,
            Key::Owned(s) => s,
        }
    }

    /// The key as an owned `String`.
    pub fn into_string(self) -> String {
        match self {
            Key::Borrowed(s) => s.to_string(),
            Key::Owned(s) => s,
        }
    }
}

impl<'de> Deserialize<'de> for Key<'de> {
    #[inline]
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Key<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
        Ok(Key::Borrowed(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
        Ok(Key::Owned(v.to_string()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
        Ok(Key::Owned(v))
    }
}

/// `Deserialize` for a generated struct (and `Serialize` with `serialize` first).
///
/// ```text
/// object!(serialize Order {
///     id: "id" required(lenient_string),
///     items: "items" optional,
///     reason: "reason" nullable,
/// });
/// object!(Tier { quantity: "quantity" required } others: additional_properties);
/// ```
///
/// `required` fields must be present; `nullable` ones are always written (as `null`
/// when `None`); `optional` ones are left out when absent. A module name in
/// parentheses reads the value with that module's `Required`/`Optional` seed.
#[allow(unused_macros)] // the generated code (gated by group features) uses it
macro_rules! object {
    (serialize $name:ident { $($body:tt)* } $($others:tt)*) => {
        $crate::codec::object::object!(@de $name { $($body)* } $($others)*);
        #[cfg(feature = "serialize")]
        $crate::codec::object::object!(@ser $name { $($body)* } $($others)*);
    };
    (@de $name:ident {
        $($field:ident : $json:literal $kind:ident $(($seed:ident))?),* $(,)?
    } $(others: $rest:ident)?) => {
        const _: () = {
            #[allow(non_camel_case_types)]
            enum Field {
                $($field,)*
                Other,
            }

            // Not generic: compiled once, whichever deserializer reads the struct.
            fn field(key: &str) -> Field {
                match key {
                    $($json => Field::$field,)*
                    _ => Field::Other,
                }
            }

            struct ObjectVisitor;

            impl<'de> serde::de::Visitor<'de> for ObjectVisitor {
                type Value = $name;

                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str(concat!("struct ", stringify!($name)))
                }

                fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<$name, A::Error> {
                    $(let mut $field = None;)*
                    $(let mut $rest = std::collections::BTreeMap::new();)?
                    while let Some(key) = map.next_key::<$crate::codec::object::Key<'de>>()? {
                        match field(key.as_str()) {
                            $(Field::$field => {
                                $field = Some($crate::codec::object::object!(@read map $kind $($seed)?));
                            })*
                            Field::Other => {
                                $crate::codec::object::object!(@other map key $($rest)?);
                            }
                        }
                    }
                    Ok($name {
                        $($field: $crate::codec::object::object!(@finish $field $json $kind),)*
                        $($rest,)?
                    })
                }
            }

            impl<'de> serde::Deserialize<'de> for $name {
                fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                    const FIELDS: &[&str] = &[$($json),*];
                    deserializer.deserialize_struct(stringify!($name), FIELDS, ObjectVisitor)
                }
            }
        };
    };
    ($name:ident { $($body:tt)* } $($others:tt)*) => {
        $crate::codec::object::object!(@de $name { $($body)* } $($others)*);
    };
    (@read $map:ident $kind:ident) => { $map.next_value()? };
    // present, even as `null`: `Some(..)`
    (@read $map:ident optional double_option) => { Some($map.next_value()?) };
    (@read $map:ident required $seed:ident) => {
        $map.next_value_seed($crate::codec::lenient::$seed::Required)?
    };
    (@read $map:ident $kind:ident $seed:ident) => {
        $map.next_value_seed($crate::codec::lenient::$seed::Optional)?
    };
    (@other $map:ident $key:ident) => {
        $map.next_value::<serde::de::IgnoredAny>()?
    };
    (@other $map:ident $key:ident $rest:ident) => {
        $rest.insert($key.into_string(), $map.next_value::<serde_json::Value>()?)
    };
    (@finish $field:ident $json:literal required) => {
        match $field {
            Some(value) => value,
            None => return Err(<A::Error as serde::de::Error>::missing_field($json)),
        }
    };
    (@finish $field:ident $json:literal $kind:ident) => { $field.unwrap_or_default() };
    (@ser $name:ident {
        $($field:ident : $json:literal $kind:ident $(($seed:ident))?),* $(,)?
    } $(others: $rest:ident)?) => {
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeMap;
                let this = self;
                let mut out = serializer.serialize_map(None)?;
                $($crate::codec::object::object!(@write out this $field $json $kind);)*
                $(for (key, value) in &this.$rest {
                    out.serialize_entry(key, value)?;
                })?
                out.end()
            }
        }
    };
    (@write $out:ident $this:ident $field:ident $json:literal optional) => {
        if !$crate::codec::fields::is_absent(&$this.$field) {
            $out.serialize_entry($json, &$this.$field)?;
        }
    };
    (@write $out:ident $this:ident $field:ident $json:literal $kind:ident) => {
        $out.serialize_entry($json, &$this.$field)?
    };
}

#[allow(unused_imports)] // the generated code (gated by group features) uses it
pub(crate) use object;
