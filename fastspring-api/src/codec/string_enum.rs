//! String enums: unknown values are kept (`Unknown(..)`), not refused.

/// Decodes a string enum from a borrowed or owned string without allocating for the
/// values it knows.
#[allow(dead_code)] // `string_enum!` calls it; the generated code (gated by group features) uses that
pub fn deserialize_str_enum<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: for<'a> From<&'a str>,
{
    struct StrEnum<T>(std::marker::PhantomData<T>);
    impl<T: for<'a> From<&'a str>> serde::de::Visitor<'_> for StrEnum<T> {
        type Value = T;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a string")
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<T, E> {
            Ok(T::from(v))
        }
    }
    deserializer.deserialize_str(StrEnum(std::marker::PhantomData))
}

/// Implements a generated string enum's `as_str`, `From<&str>`, `Display`, `Serialize`,
/// `Deserialize` (unknown values kept in `Unknown`) and `JsonSchema`:
/// `string_enum!(Name { Variant = "json", … })`.
#[allow(unused_macros)] // the generated code (gated by group features) uses it
macro_rules! string_enum {
    ($name:ident { $($variant:ident = $json:literal),* $(,)? }) => {
        impl $name {
            /// The value as FastSpring spells it.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $json,)*
                    Self::Unknown(other) => other,
                }
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                match value {
                    $($json => Self::$variant,)*
                    other => Self::Unknown(other.to_string()),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                $crate::codec::string_enum::deserialize_str_enum(deserializer)
            }
        }

        #[cfg(feature = "schemars")]
        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({ "type": "string", "enum": [$($json),*] })
            }
        }
    };
}

#[allow(unused_imports)] // the generated code (gated by group features) uses it
pub(crate) use string_enum;
