//! Field helpers the generated structs name in serde attributes and in `object!`:
//! `is_absent` (with the `payload-check` switch that writes absent fields as `null`)
//! and `double_option`.

#[cfg(feature = "payload-check")]
thread_local! {
    static WRITE_NULLS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// While alive, [`is_absent`] keeps `None` fields (they serialize as `null`).
#[cfg(feature = "payload-check")]
pub(crate) struct WriteNulls(bool);

#[cfg(feature = "payload-check")]
impl WriteNulls {
    /// Turns null-writing on until the guard is dropped.
    pub(crate) fn on() -> Self {
        WriteNulls(WRITE_NULLS.with(|w| w.replace(true)))
    }
}

#[cfg(feature = "payload-check")]
impl Drop for WriteNulls {
    fn drop(&mut self) {
        WRITE_NULLS.with(|w| w.set(self.0));
    }
}

/// `skip_serializing_if` of the generated optional fields: a `None` is left out of
/// request bodies, but written as `null` while `reencode` checks a payload.
#[cfg(feature = "payload-check")]
pub fn is_absent<T>(value: &Option<T>) -> bool {
    value.is_none() && !WRITE_NULLS.with(std::cell::Cell::get)
}

/// `skip_serializing_if` of the generated optional fields: a `None` is left out.
/// (With the `payload-check` feature, `reencode` can have them written as `null`.)
#[cfg(not(feature = "payload-check"))]
#[inline]
pub fn is_absent<T>(value: &Option<T>) -> bool {
    value.is_none()
}

/// `Option<Option<T>>` fields: absent → `None`, `null` → `Some(None)`, value → `Some(Some(v))`.
/// Used for optional request fields where sending `null` means something (clearing a
/// value, uncanceling a subscription).
pub mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// Serializes the inner option (`Some(None)` → `null`).
    pub fn serialize<T: Serialize, S: Serializer>(
        value: &Option<Option<T>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(inner) => inner.serialize(serializer),
            None => serializer.serialize_none(),
        }
    }

    /// Present (even `null`) → `Some(..)`.
    pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(deserializer).map(Some)
    }
}
