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
///
/// An amount in a reply that is not a number at all (`"11.0,"`) does not fail the
/// reply: it is kept as sent ([`Amount::unreadable`]; [`Amount::value`] is `None`), is
/// written back as that string, and is reported (see `unreadable` in the crate docs).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Amount(AmountRepr);

// --- unreadable values (issue 17): an amount keeps the text it could not read ---
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum AmountRepr {
    Value(rust_decimal::Decimal),
    Unreadable(Box<str>),
}

impl Default for Amount {
    fn default() -> Self {
        Amount(AmountRepr::Value(rust_decimal::Decimal::ZERO))
    }
}

impl Amount {
    /// The decimal value; `None` for an amount FastSpring sent in a form that is not a
    /// number (its text is [`Amount::unreadable`]).
    pub fn value(&self) -> Option<rust_decimal::Decimal> {
        match &self.0 {
            AmountRepr::Value(value) => Some(*value),
            AmountRepr::Unreadable(_) => None,
        }
    }

    /// The text FastSpring sent, when it could not be read as an amount (`"11.0,"`).
    pub fn unreadable(&self) -> Option<&str> {
        match &self.0 {
            AmountRepr::Value(_) => None,
            AmountRepr::Unreadable(text) => Some(text),
        }
    }
}

impl TryFrom<Amount> for rust_decimal::Decimal {
    /// The text of an unreadable amount.
    type Error = String;
    fn try_from(value: Amount) -> Result<Self, String> {
        match value.0 {
            AmountRepr::Value(value) => Ok(value),
            AmountRepr::Unreadable(text) => Err(text.into()),
        }
    }
}
// --- end unreadable values ---

impl From<rust_decimal::Decimal> for Amount {
    fn from(value: rust_decimal::Decimal) -> Self {
        Amount(AmountRepr::Value(value))
    }
}

impl From<i64> for Amount {
    fn from(value: i64) -> Self {
        Amount::from(rust_decimal::Decimal::from(value))
    }
}

impl FromStr for Amount {
    type Err = rust_decimal::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_decimal(s).map(Amount::from)
    }
}

fn parse_decimal(s: &str) -> Result<rust_decimal::Decimal, rust_decimal::Error> {
    let s = s.trim();
    rust_decimal::Decimal::from_str(s).or_else(|_| rust_decimal::Decimal::from_scientific(s))
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            AmountRepr::Value(value) => fmt::Display::fmt(value, f),
            AmountRepr::Unreadable(text) => f.write_str(text),
        }
    }
}

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use rust_decimal::prelude::ToPrimitive;
        let value = match &self.0 {
            AmountRepr::Value(value) => value,
            // Written back as FastSpring sent it.
            AmountRepr::Unreadable(text) => return serializer.serialize_str(text),
        };
        let normalized = value.normalize();
        if normalized.scale() == 0
            && let Some(i) = normalized.to_i64()
        {
            return serializer.serialize_i64(i);
        }
        match value.to_f64() {
            Some(f) => serializer.serialize_f64(f),
            None => Err(serde::ser::Error::custom(format!(
                "amount {value} has no JSON number form"
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
                Ok(Amount::from(rust_decimal::Decimal::from(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Amount, E> {
                Ok(Amount::from(rust_decimal::Decimal::from(v)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Amount, E> {
                // The shortest representation that round-trips is what was written in the JSON.
                let text = v.to_string();
                match parse_decimal(&text) {
                    Ok(value) => Ok(Amount::from(value)),
                    Err(_) => unreadable_amount(text),
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Amount, E> {
                match parse_decimal(v) {
                    Ok(value) => Ok(Amount::from(value)),
                    Err(_) => unreadable_amount(v.to_string()),
                }
            }
        }
        deserializer.deserialize_any(AmountVisitor)
    }
}

/// An amount that is not a number: kept as sent (and counted), see [`crate::unreadable`].
#[cold]
fn unreadable_amount<E: de::Error>(text: String) -> Result<Amount, E> {
    crate::codec::unreadable::tolerate::<E>("a decimal amount", &format_args!("{text:?}"))?;
    Ok(Amount(AmountRepr::Unreadable(text.into_boxed_str())))
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
        ///
        /// A time in a reply that is no such number (a date text, a fraction, a number
        /// out of range) does not fail the reply: it is kept as sent
        /// ([`Self::unreadable`]; [`Self::get`] is `None`) and reported (see
        /// `unreadable` in the crate docs).
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(EpochRepr);

        impl $name {
            /// The raw count; `None` when FastSpring sent something else (see
            /// [`Self::unreadable`]).
            pub fn get(&self) -> Option<i64> {
                match &self.0 {
                    EpochRepr::Count(count) => Some(*count),
                    EpochRepr::Unreadable(_) => None,
                }
            }

            /// The text FastSpring sent, when it could not be read as a count.
            pub fn unreadable(&self) -> Option<&str> {
                match &self.0 {
                    EpochRepr::Count(_) => None,
                    EpochRepr::Unreadable(text) => Some(text),
                }
            }

            /// The instant, or `None` when it is out of `jiff`'s range or unreadable.
            pub fn to_timestamp(&self) -> Option<jiff::Timestamp> {
                let f: fn(i64) -> Result<jiff::Timestamp, jiff::Error> = $to_ts;
                f(self.get()?).ok()
            }
        }

        impl From<i64> for $name {
            fn from(value: i64) -> Self {
                $name(EpochRepr::Count(value))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match &self.0 {
                    EpochRepr::Count(count) => fmt::Display::fmt(count, f),
                    EpochRepr::Unreadable(text) => f.write_str(text),
                }
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                match &self.0 {
                    EpochRepr::Count(count) => serializer.serialize_i64(*count),
                    // Written back as FastSpring sent it.
                    EpochRepr::Unreadable(text) => serializer.serialize_str(text),
                }
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_any(EpochVisitor).map($name)
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

// --- unreadable values (issue 17): a time keeps the text it could not read ---
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum EpochRepr {
    Count(i64),
    Unreadable(Box<str>),
}

/// Reads what `lenient_int` reads; any other scalar is kept as sent (and counted).
struct EpochVisitor;

impl EpochVisitor {
    #[cold]
    fn unreadable<E: de::Error>(text: String) -> Result<EpochRepr, E> {
        crate::codec::unreadable::tolerate::<E>("an epoch time", &format_args!("{text:?}"))?;
        Ok(EpochRepr::Unreadable(text.into_boxed_str()))
    }
}

impl Visitor<'_> for EpochVisitor {
    type Value = EpochRepr;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an epoch time (integer)")
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<EpochRepr, E> {
        Ok(EpochRepr::Count(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<EpochRepr, E> {
        match i64::try_from(v) {
            Ok(v) => Ok(EpochRepr::Count(v)),
            Err(_) => Self::unreadable(v.to_string()),
        }
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<EpochRepr, E> {
        if v.fract() == 0.0 && v.abs() < 9.0e15 {
            Ok(EpochRepr::Count(v as i64))
        } else {
            Self::unreadable(v.to_string())
        }
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<EpochRepr, E> {
        match v.trim().parse() {
            Ok(v) => Ok(EpochRepr::Count(v)),
            Err(_) => Self::unreadable(v.to_string()),
        }
    }
}
// --- end unreadable values ---

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
        let bad: Amount = serde_json::from_str("\"11.0,\"").unwrap();
        assert_eq!((bad.value(), bad.unreadable()), (None, Some("11.0,")));
        assert_eq!(serde_json::to_string(&bad).unwrap(), "\"11.0,\"");
        assert!(serde_json::from_str::<Amount>("{}").is_err());
    }

    #[test]
    fn epochs_decode_leniently_and_convert() {
        let t: EpochMillis = serde_json::from_str("1554091889623").unwrap();
        assert_eq!(
            t.to_timestamp().unwrap().to_string(),
            "2019-04-01T04:11:29.623Z"
        );
        let s: EpochSeconds = serde_json::from_str("\"1554091889\"").unwrap();
        assert_eq!(s.get(), Some(1554091889));
        // Not a count: kept as sent, not a failure.
        let odd: EpochMillis = serde_json::from_str("1.5").unwrap();
        assert_eq!((odd.get(), odd.unreadable()), (None, Some("1.5")));
        let date: EpochMillis = serde_json::from_str("\"2026-01-31\"").unwrap();
        assert_eq!(date.unreadable(), Some("2026-01-31"));
        assert_eq!(serde_json::to_string(&date).unwrap(), "\"2026-01-31\"");
        // A structure is still an error.
        assert!(serde_json::from_str::<EpochMillis>("[1]").is_err());
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

/// An epoch time as generated accessors read it: [`EpochMillis`], [`EpochSeconds`], or
/// an `Option` of one (`None` and unreadable times give `None`).
pub trait AsTimestamp {
    /// The instant, when there is a readable one.
    fn as_timestamp(&self) -> Option<jiff::Timestamp>;
}

impl AsTimestamp for EpochMillis {
    fn as_timestamp(&self) -> Option<jiff::Timestamp> {
        self.to_timestamp()
    }
}

impl AsTimestamp for EpochSeconds {
    fn as_timestamp(&self) -> Option<jiff::Timestamp> {
        self.to_timestamp()
    }
}

impl<T: AsTimestamp> AsTimestamp for Option<T> {
    fn as_timestamp(&self) -> Option<jiff::Timestamp> {
        self.as_ref().and_then(AsTimestamp::as_timestamp)
    }
}

/// The first readable time of a field and its twins, in order:
/// `first_time(&[&self.next, &self.next_value, &self.next_in_seconds])` (a generated
/// `*_at()` accessor's body).
pub fn first_time(times: &[&dyn AsTimestamp]) -> Option<jiff::Timestamp> {
    times.iter().find_map(|time| time.as_timestamp())
}
