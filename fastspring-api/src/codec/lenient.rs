//! Lenient scalars: response strings, integers and booleans that FastSpring does not
//! always send with the documented JSON type. Each is a module with `required`/`option`
//! deserializers and the `Required`/`Optional` seeds that `object!` reads fields with.

/// Generates `required`/`option` deserializers for a lenient scalar from a visitor.
/// With `null_string`, an optional value also reads the string `"null"` as absent.
macro_rules! lenient_scalar {
    ($module:ident, $ty:ty, $visitor:ident, $doc:literal, null_string) => {
        lenient_scalar!(@module $module, $ty, $visitor, $doc, true);
    };
    ($module:ident, $ty:ty, $visitor:ident, $doc:literal) => {
        lenient_scalar!(@module $module, $ty, $visitor, $doc, false);
    };
    (@module $module:ident, $ty:ty, $visitor:ident, $doc:literal, $null_string:literal) => {
        #[doc = $doc]
        pub mod $module {
            use super::lenient_visitors::$visitor;
            use serde::Deserializer;
            use serde::de::{self, Visitor};
            use std::fmt;

            struct OptionVisitor;

            impl<'de> Visitor<'de> for OptionVisitor {
                type Value = Option<$ty>;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("a value or null")
                }
                fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                    Ok(None)
                }
                fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                    Ok(None)
                }
                fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                    d.deserialize_any(NullStringOr)
                }
            }

            /// The visitor's values (with `null_string`, the string `"null"` as absent);
            /// a scalar it cannot read is absent and reported (`crate::unreadable`).
            struct NullStringOr;

            /// An optional scalar that cannot be read is absent (and counted).
            #[cold]
            fn unreadable<E: de::Error>(sent: &dyn fmt::Display) -> Result<Option<$ty>, E> {
                crate::codec::unreadable::tolerate::<E>(concat!("a value of type ", stringify!($ty)), sent)?;
                Ok(None)
            }

            #[inline]
            fn tolerant<E: de::Error>(read: Result<$ty, E>, sent: &dyn fmt::Display) -> Result<Option<$ty>, E> {
                match read {
                    Ok(value) => Ok(Some(value)),
                    Err(_) => unreadable(sent),
                }
            }

            impl<'de> Visitor<'de> for NullStringOr {
                type Value = Option<$ty>;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    $visitor.expecting(f)
                }
                fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                    Ok(None)
                }
                fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                    if $null_string && v.trim() == "null" {
                        Ok(None)
                    } else {
                        tolerant($visitor.visit_str(v), &format_args!("{v:?}"))
                    }
                }
                fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                    self.visit_str(&v)
                }
                fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                    tolerant($visitor.visit_i64(v), &v)
                }
                fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                    tolerant($visitor.visit_u64(v), &v)
                }
                fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                    tolerant($visitor.visit_f64(v), &v)
                }
                fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                    tolerant($visitor.visit_bool(v), &v)
                }
            }

            /// [`required`] as a seed (what `object!` reads a field with).
            // Unused for a type no required response field has in today's spec.
            #[allow(dead_code)]
            pub struct Required;

            impl<'de> de::DeserializeSeed<'de> for Required {
                type Value = $ty;
                #[inline]
                fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<$ty, D::Error> {
                    required(d)
                }
            }

            /// [`option`] as a seed (what `object!` reads a field with).
            pub struct Optional;

            impl<'de> de::DeserializeSeed<'de> for Optional {
                type Value = Option<$ty>;
                #[inline]
                fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<$ty>, D::Error> {
                    option(d)
                }
            }

            /// A required value.
            #[allow(dead_code)]
            pub fn required<'de, D: Deserializer<'de>>(deserializer: D) -> Result<$ty, D::Error> {
                deserializer.deserialize_any($visitor)
            }

            /// An optional (or null) value.
            pub fn option<'de, D: Deserializer<'de>>(
                deserializer: D,
            ) -> Result<Option<$ty>, D::Error> {
                deserializer.deserialize_option(OptionVisitor)
            }
        }
    };
}

mod lenient_visitors {
    use serde::de::{self, Visitor};
    use std::fmt;

    /// Strings, and numbers or booleans written where a string was documented.
    pub struct StringVisitor;

    impl Visitor<'_> for StringVisitor {
        type Value = String;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string")
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
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<String, E> {
            Ok(v.to_string())
        }
    }

    /// Integers, whole floats (`1.0`) and numeric strings; a fraction is an error.
    pub struct IntVisitor;

    impl Visitor<'_> for IntVisitor {
        type Value = i64;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an integer")
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
            Ok(v)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
            i64::try_from(v).map_err(|_| E::custom(format!("{v} is out of range")))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<i64, E> {
            if v.fract() == 0.0 && v.abs() < 9.0e15 {
                Ok(v as i64)
            } else {
                Err(E::invalid_type(de::Unexpected::Float(v), &self))
            }
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<i64, E> {
            v.trim()
                .parse()
                .map_err(|_| E::invalid_type(de::Unexpected::Str(v), &self))
        }
    }

    /// Numbers, and numeric strings (`"12.5"`).
    pub struct FloatVisitor;

    impl Visitor<'_> for FloatVisitor {
        type Value = f64;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a number")
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
            Ok(v as f64)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
            Ok(v as f64)
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
            Ok(v)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<f64, E> {
            match v.trim().parse::<f64>() {
                Ok(n) if n.is_finite() => Ok(n),
                _ => Err(E::invalid_type(de::Unexpected::Str(v), &self)),
            }
        }
    }

    /// Booleans, and the strings `"true"`/`"false"`.
    pub struct BoolVisitor;

    impl Visitor<'_> for BoolVisitor {
        type Value = bool;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a boolean")
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
            Ok(v)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
            match v.trim() {
                "true" | "TRUE" | "True" => Ok(true),
                "false" | "FALSE" | "False" => Ok(false),
                _ => Err(E::invalid_type(de::Unexpected::Str(v), &self)),
            }
        }
    }
}

lenient_scalar!(
    lenient_int,
    i64,
    IntVisitor,
    "Integers that FastSpring sometimes writes as whole floats (`\"quantity\": 1.0`) or numeric strings, and an optional integer sent as the string `\"null\"` (absent); a fraction is still an error.",
    null_string
);
lenient_scalar!(
    lenient_string,
    String,
    StringVisitor,
    "Response strings that FastSpring sometimes sends as numbers or booleans (`\"postalCode\": 93101`)."
);
lenient_scalar!(
    lenient_float,
    f64,
    FloatVisitor,
    "Response numbers that FastSpring sometimes sends as numeric strings (`\"taxRate\": \"0.2\"`)."
);
lenient_scalar!(
    lenient_bool,
    bool,
    BoolVisitor,
    "Response booleans that FastSpring sometimes sends as `\"true\"`/`\"false\"`."
);
