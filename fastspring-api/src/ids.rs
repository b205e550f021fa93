//! Typed IDs: a string that names one kind of FastSpring resource, so that an account ID
//! cannot be passed where a subscription ID belongs. The spec marks what an ID names
//! with `x-fs-id`; the generator types those fields and path parameters with these.
//!
//! Each is made from a `&str` or `String` (`From`), reads as `&str` (`as_str`, `Deref`,
//! `Display`), and decodes leniently: any JSON string (or number, kept as its text) is an
//! ID, since FastSpring's ID formats are not documented.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;

use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde::{Serialize, Serializer};

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident, $what:literal, $example:literal) => {
        $(#[$doc])*
        ///
        /// ```
        #[doc = concat!("use fastspring_api::", stringify!($name), ";")]
        ///
        #[doc = concat!("let id = ", stringify!($name), "::from(\"", $example, "\");")]
        #[doc = concat!("assert_eq!(id.as_str(), \"", $example, "\");")]
        #[doc = concat!("assert_eq!(id, \"", $example, "\");")]
        /// ```
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        pub struct $name(String);

        impl $name {
            #[doc = concat!("Wraps ", $what, ".")]
            pub fn new(id: impl Into<String>) -> Self {
                $name(id.into())
            }

            /// The ID as sent.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The ID as an owned `String`.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                $name(id)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                $name(id.to_string())
            }
        }

        impl From<&String> for $name {
            fn from(id: &String) -> Self {
                $name(id.clone())
            }
        }

        impl From<&$name> for $name {
            fn from(id: &$name) -> Self {
                id.clone()
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_any(IdText).map($name)
            }
        }

        #[cfg(feature = "schemars")]
        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({ "type": "string" })
            }
        }
    };
}

/// Reads an ID: a string, or a number kept as its text.
struct IdText;

impl Visitor<'_> for IdText {
    type Value = String;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an ID (a string)")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
        Ok(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }
}

typed_id!(
    /// An account ID (`account`, `id` of an account; `accountId` filters).
    AccountId,
    "an account ID",
    "uKj7izONRfanVwBL9eiG_A"
);
typed_id!(
    /// A subscription ID.
    SubscriptionId,
    "a subscription ID",
    "AmYzjmPbSbWYkESv7MnwwA"
);
typed_id!(
    /// An order ID (not the order's reference, `reference`, which buyers see).
    OrderId,
    "an order ID",
    "nlqXHMBpQ-iBoCOI0bM7Ug"
);
typed_id!(
    /// A product path: FastSpring's ID of a product (`furious-falcon`).
    ProductPath,
    "a product path",
    "furious-falcon"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_string_or_number_decodes_and_strings_encode() {
        let id: SubscriptionId = serde_json::from_str("\"sub-1\"").unwrap();
        assert_eq!(id, "sub-1");
        let id: AccountId = serde_json::from_str("1234").unwrap();
        assert_eq!(id.as_str(), "1234");
        assert!(serde_json::from_str::<OrderId>("{}").is_err());
        assert_eq!(
            serde_json::to_string(&ProductPath::from("furious-falcon")).unwrap(),
            "\"furious-falcon\""
        );
    }
}
