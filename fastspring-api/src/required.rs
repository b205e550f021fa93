//! [`Unset`]: the state of a required field in a request body's builder before its
//! setter is called.

/// A required field of a request body's builder (`NewAccountContact::builder()`) that is
/// not set yet. The builder's `build()` exists only once no field is `Unset`, so a
/// forgotten field is a compile error naming the builder's type, such as
/// `NewAccountContactBuilder<String, Unset, String>` (the second field is missing).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Unset;
