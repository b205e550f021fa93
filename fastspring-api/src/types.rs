//! Value types the generated code uses for money and time.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A decimal amount (money, fees, rates) exactly as FastSpring sent it.
///
/// FastSpring sends amounts as JSON numbers (`19.99`) and, in a few places, as
/// strings (`"54.65"`); both decode without rounding. Amounts are sent back as
/// JSON numbers.
///
/// The one limit (security review 2, S14): a JSON number is read as an `f64` and kept
/// as its shortest exact form, so every number a double printer writes (FastSpring's
/// Java serializer writes up to 17 significant digits, `2.3021358869347655`) decodes
/// to exactly those digits. A number written with more significant digits than a
/// double holds (18 or more, which FastSpring never sends) arrives rounded to 17;
/// such values decode exactly only as strings. Values beyond `Decimal`'s range are
/// refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Amount(pub rust_decimal::Decimal);

impl Amount {
    /// The decimal value.
    pub fn value(self) -> rust_decimal::Decimal {
        self.0
    }
}

impl From<rust_decimal::Decimal> for Amount {
    fn from(value: rust_decimal::Decimal) -> Self {
        Amount(value)
    }
}

impl From<i64> for Amount {
    fn from(value: i64) -> Self {
        Amount(value.into())
    }
}

impl From<Amount> for rust_decimal::Decimal {
    fn from(value: Amount) -> Self {
        value.0
    }
}

impl FromStr for Amount {
    type Err = rust_decimal::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_decimal(s).map(Amount)
    }
}

fn parse_decimal(s: &str) -> Result<rust_decimal::Decimal, rust_decimal::Error> {
    let s = s.trim();
    rust_decimal::Decimal::from_str(s).or_else(|_| rust_decimal::Decimal::from_scientific(s))
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use rust_decimal::prelude::ToPrimitive;
        let normalized = self.0.normalize();
        if normalized.scale() == 0
            && let Some(i) = normalized.to_i64()
        {
            return serializer.serialize_i64(i);
        }
        match self.0.to_f64() {
            Some(f) => serializer.serialize_f64(f),
            None => Err(serde::ser::Error::custom(format!(
                "amount {} has no JSON number form",
                self.0
            ))),
        }
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct AmountVisitor;
        impl Visitor<'_> for AmountVisitor {
            type Value = Amount;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a decimal amount (JSON number or numeric string)")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Amount, E> {
                Ok(Amount(v.into()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Amount, E> {
                Ok(Amount(v.into()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Amount, E> {
                // The shortest representation that round-trips is what was written in the JSON.
                parse_decimal(&v.to_string())
                    .map(Amount)
                    .map_err(|_| E::custom(format!("{v} is not a decimal amount")))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Amount, E> {
                parse_decimal(v)
                    .map(Amount)
                    .map_err(|_| E::custom(format!("{v:?} is not a decimal amount")))
            }
        }
        deserializer.deserialize_any(AmountVisitor)
    }
}

/// A string that must not be printed (a webhook secret sent to FastSpring, say).
/// `Debug` shows `[redacted]`; serde reads and writes the plain string.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself; use it only where it must go.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.to_string())
    }
}

#[cfg(feature = "schemars")]
impl schemars::JsonSchema for Secret {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Secret".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "format": "password" })
    }
}

macro_rules! epoch_type {
    ($name:ident, $unit:literal, $to_ts:expr) => {
        #[doc = concat!("A point in time as FastSpring sends it: epoch ", $unit, ".")]
        ///
        /// Decodes from a JSON integer (or an integral float, or a numeric string);
        /// encodes as a JSON integer. [`Self::to_timestamp`] gives a `jiff::Timestamp`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub i64);

        impl $name {
            /// The raw count.
            pub fn get(self) -> i64 {
                self.0
            }

            /// The instant, or `None` when it is out of `jiff`'s range.
            pub fn to_timestamp(self) -> Option<jiff::Timestamp> {
                let f: fn(i64) -> Result<jiff::Timestamp, jiff::Error> = $to_ts;
                f(self.0).ok()
            }
        }

        impl From<i64> for $name {
            fn from(value: i64) -> Self {
                $name(value)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_i64(self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                crate::codec::lenient::lenient_int::required(deserializer).map($name)
            }
        }

        #[cfg(feature = "schemars")]
        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({ "type": "integer", "format": "int64" })
            }
        }
    };
}

epoch_type!(
    EpochMillis,
    "milliseconds",
    jiff::Timestamp::from_millisecond
);
epoch_type!(EpochSeconds, "seconds", jiff::Timestamp::from_second);

#[cfg(feature = "schemars")]
impl schemars::JsonSchema for Amount {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Amount".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": ["number", "string"], "format": "decimal" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_keep_their_digits_from_numbers_and_strings() {
        let a: Amount = serde_json::from_str("19.99").unwrap();
        assert_eq!(a.to_string(), "19.99");
        let b: Amount = serde_json::from_str("\"54.65\"").unwrap();
        assert_eq!(b.to_string(), "54.65");
        let c: Amount = serde_json::from_str("5.3391").unwrap();
        assert_eq!(c.to_string(), "5.3391");
        assert_eq!(serde_json::to_string(&c).unwrap(), "5.3391");
        assert_eq!(serde_json::to_string(&Amount::from(10)).unwrap(), "10");
        assert!(serde_json::from_str::<Amount>("\"ten\"").is_err());
    }

    #[test]
    fn epochs_decode_leniently_and_convert() {
        let t: EpochMillis = serde_json::from_str("1554091889623").unwrap();
        assert_eq!(
            t.to_timestamp().unwrap().to_string(),
            "2019-04-01T04:11:29.623Z"
        );
        let s: EpochSeconds = serde_json::from_str("\"1554091889\"").unwrap();
        assert_eq!(s.get(), 1554091889);
        assert!(serde_json::from_str::<EpochMillis>("1.5").is_err());
    }
}

/// One ID or several, for a path parameter that takes comma-separated IDs
/// (`/products/{path1},{path2}`). Each ID is percent-encoded on its own, so a comma
/// inside an ID is sent as `%2C`, and the encoded IDs are joined with `,`.
///
/// ```
/// use fastspring_api::Ids;
/// let one: Ids = "basic-laptop".into();
/// let several: Ids = ["basic-laptop", "premium-laptop"].into();
/// assert_eq!(several.as_slice().len(), 2);
/// # let _ = one;
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ids(Vec<String>);

impl Ids {
    /// The IDs, in the order they are sent.
    pub fn as_slice(&self) -> &[String] {
        &self.0
    }
}

impl From<&str> for Ids {
    fn from(id: &str) -> Ids {
        Ids(vec![id.to_string()])
    }
}

impl From<String> for Ids {
    fn from(id: String) -> Ids {
        Ids(vec![id])
    }
}

impl From<&String> for Ids {
    fn from(id: &String) -> Ids {
        Ids(vec![id.clone()])
    }
}

impl<S: Into<String>> From<Vec<S>> for Ids {
    fn from(ids: Vec<S>) -> Ids {
        Ids(ids.into_iter().map(Into::into).collect())
    }
}

impl<S: AsRef<str>> From<&[S]> for Ids {
    fn from(ids: &[S]) -> Ids {
        Ids(ids.iter().map(|id| id.as_ref().to_string()).collect())
    }
}

impl<S: Into<String>, const N: usize> From<[S; N]> for Ids {
    fn from(ids: [S; N]) -> Ids {
        Ids(ids.into_iter().map(Into::into).collect())
    }
}

impl<S: Into<String>> FromIterator<S> for Ids {
    fn from_iter<I: IntoIterator<Item = S>>(ids: I) -> Ids {
        Ids(ids.into_iter().map(Into::into).collect())
    }
}
