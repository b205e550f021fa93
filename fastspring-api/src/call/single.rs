//! One resource from a lookup by one ID (`x-fs-unwrap`): FastSpring answers such a
//! request with the bare object or with a wrapper whose array holds it
//! (`{"accounts": [{…}]}`); either way the caller gets the object. A wrapper with no
//! item or several is a decode error with the evidence (operation, status, JSON path,
//! body excerpt); an item that says `"result": "error"` is FastSpring's refusal,
//! [`Error::Api`].
//!
//! The bare object is decoded in one pass: the body is read straight into `T`, and a
//! top-level key naming the wrapper's array sends it to the slower path, which reads
//! the body as a `serde_json::Value` first (also what locates a decode error).

use std::fmt;

use serde::de::value::{BorrowedStrDeserializer, StringDeserializer};
use serde::de::{self, DeserializeOwned, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde_json::Value;

use crate::client::Client;
use crate::codec::object::Key;
use crate::codec::unreadable;
use crate::decode::{decode_value, report_reply, says_result_error};
use crate::error::{DecodeError, EXCERPT_LIMIT, Error, ErrorBody, cap, excerpt};
use crate::request::{OperationMeta, Request};

/// Sends a one-ID lookup and returns the one resource, bare or unwrapped from the
/// wrapper's array `items_key`.
#[inline]
pub async fn send_one<T: DeserializeOwned>(
    client: &Client,
    request: Request,
    items_key: &'static str,
) -> Result<T, Error> {
    let meta = request.meta;
    let (status, body) = client.execute(request).await?;
    decode_one(meta, status, &body, items_key)
}

/// The one resource of a 2xx answer to a one-ID lookup (see the module docs).
pub(crate) fn decode_one<T: DeserializeOwned>(
    meta: &'static OperationMeta,
    status: u16,
    body: &[u8],
    items_key: &str,
) -> Result<T, Error> {
    if says_result_error(body) {
        return Err(Error::Api {
            operation: meta.id,
            status,
            body: ErrorBody::from_bytes(body),
        });
    }
    // The bare object, in one pass (the common answer).
    let tolerated = unreadable::count();
    if let Ok(text) = std::str::from_utf8(body) {
        let mut json = serde_json::Deserializer::from_str(text);
        if let Ok(value) = T::deserialize(Bare {
            inner: &mut json,
            items_key,
        }) && json.end().is_ok()
        {
            if unreadable::count() != tolerated {
                report_reply::<T>(meta.id, body);
            }
            return Ok(value);
        }
    }
    let decode_error = |path: String, message: String| {
        Error::Decode(Box::new(DecodeError {
            operation: meta.id,
            status,
            path: cap(path),
            message: cap(message),
            excerpt: excerpt(body, EXCERPT_LIMIT),
        }))
    };
    let tree: Value =
        serde_json::from_slice(body).map_err(|e| decode_error(String::new(), e.to_string()))?;
    match tree {
        Value::Object(mut wrapper) if wrapper.contains_key(items_key) => {
            match wrapper.remove(items_key) {
                Some(Value::Array(items)) if items.len() == 1 => {
                    let item = items.into_iter().next().unwrap_or_default();
                    if is_error_item(&item) {
                        // FastSpring's refusal of the one ID: the whole body, so that
                        // `ErrorBody::field_errors` and `Error::is_not_found` read it.
                        return Err(Error::Api {
                            operation: meta.id,
                            status,
                            body: ErrorBody::from_bytes(body),
                        });
                    }
                    decode_value(meta, status, &format!("{items_key}[0]."), item)
                }
                Some(Value::Array(items)) => Err(decode_error(
                    items_key.to_string(),
                    format!(
                        "one ID was asked for, but `{items_key}` holds {} items (use the `_many` method for several IDs)",
                        items.len()
                    ),
                )),
                _ => Err(decode_error(
                    items_key.to_string(),
                    format!("`{items_key}` is not an array"),
                )),
            }
        }
        tree => serde_path_to_error::deserialize::<_, T>(&tree)
            .map_err(|e| decode_error(e.path().to_string(), e.inner().to_string())),
    }
}

/// One element of a lookup's answer (a wrapper's item, or the bare object): FastSpring's
/// error item (`"result": "error"`) is an [`Error::Api`] holding the item; anything else
/// decodes as `T`, located under `at` (`orders[3].`).
pub(crate) fn lookup_item<T: DeserializeOwned>(
    meta: &'static OperationMeta,
    status: u16,
    at: &str,
    item: Value,
) -> Result<T, Error> {
    if is_error_item(&item) {
        let bytes = serde_json::to_vec(&item).unwrap_or_default();
        return Err(Error::Api {
            operation: meta.id,
            status,
            body: ErrorBody::from_bytes(&bytes),
        });
    }
    decode_value(meta, status, at, item)
}

fn is_error_item(item: &Value) -> bool {
    item.get("result").and_then(Value::as_str) == Some("error")
}

/// A deserializer that reads an object as it comes, but refuses it as soon as a
/// top-level key names the wrapper's array: `T` then never sees a wrapper.
struct Bare<'k, D> {
    inner: D,
    items_key: &'k str,
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Bare<'_, D> {
    type Error = D::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.inner.deserialize_map(BareVisitor {
            inner: visitor,
            items_key: self.items_key,
        })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

struct BareVisitor<'k, V> {
    inner: V,
    items_key: &'k str,
}

impl<'de, V: Visitor<'de>> Visitor<'de> for BareVisitor<'_, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.expecting(f)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.inner.visit_map(BareMap {
            inner: map,
            items_key: self.items_key,
        })
    }
}

struct BareMap<'k, A> {
    inner: A,
    items_key: &'k str,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for BareMap<'_, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        match self.inner.next_key::<Key<'de>>()? {
            None => Ok(None),
            Some(key) if key.as_str() == self.items_key => {
                Err(de::Error::custom("the answer is a wrapper"))
            }
            Some(Key::Borrowed(key)) => seed
                .deserialize(BorrowedStrDeserializer::new(key))
                .map(Some),
            Some(Key::Owned(key)) => seed.deserialize(StringDeserializer::new(key)).map(Some),
        }
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        self.inner.next_value_seed(seed)
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static META: OperationMeta = OperationMeta {
        id: "getThing",
        method: "GET",
        path: "/things/{id}",
        accept: "application/json",
        idempotent: true,
        auth_optional: false,
        paging: None,
        batch: None,
    };

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Thing {
        id: String,
        #[serde(default)]
        size: Option<i64>,
    }

    fn one(body: &str) -> Result<Thing, Error> {
        decode_one(&META, 200, body.as_bytes(), "things")
    }

    #[test]
    fn the_bare_object_and_the_wrapper_of_one_give_the_object() {
        let want = Thing {
            id: "t-1".into(),
            size: Some(3),
        };
        assert_eq!(one(r#"{"id": "t-1", "size": 3}"#).unwrap(), want);
        assert_eq!(
            one(r#"{"things": [{"id": "t-1", "size": 3}]}"#).unwrap(),
            want
        );
        // The wrapper's key after other keys still counts as a wrapper.
        assert_eq!(
            one(r#"{"action": "thing.get", "things": [{"id": "t-1", "size": 3}]}"#).unwrap(),
            want
        );
        // An escaped key is read as well as a borrowed one.
        assert_eq!(one(r#"{"\u0069d": "t-1", "size": 3}"#).unwrap(), want);
    }

    #[test]
    fn two_items_for_one_id_are_a_decode_error_with_the_evidence() {
        let body = r#"{"things": [{"id": "t-1"}, {"id": "t-2"}]}"#;
        let Err(Error::Decode(e)) = one(body) else {
            panic!("expected a decode error")
        };
        assert_eq!((e.operation, e.status), ("getThing", 200));
        assert_eq!(e.path, "things");
        assert!(e.message.contains("holds 2 items"), "{}", e.message);
        assert_eq!(e.excerpt, body);
        let Err(Error::Decode(e)) = one(r#"{"things": []}"#) else {
            panic!("expected a decode error")
        };
        assert!(e.message.contains("holds 0 items"), "{}", e.message);
    }

    #[test]
    fn an_item_that_does_not_fit_is_located_inside_the_wrapper() {
        let Err(Error::Decode(e)) = one(r#"{"things": [{"id": "t-1", "size": "big"}]}"#) else {
            panic!("expected a decode error")
        };
        assert_eq!(e.path, "things[0].size");
        let Err(Error::Decode(e)) = one(r#"{"size": 3}"#) else {
            panic!("expected a decode error")
        };
        assert!(e.message.contains("missing field `id`"), "{}", e.message);
    }

    #[test]
    fn an_error_item_is_fastsprings_refusal() {
        let body = r#"{"things": [{"id": "nope", "result": "error", "error": {"thing": "Thing not found"}}]}"#;
        let Err(e @ Error::Api { status: 200, .. }) = one(body) else {
            panic!("expected an API error")
        };
        assert!(e.is_not_found());
        assert_eq!(
            e.body().unwrap().field_errors()["thing"],
            "Thing not found".to_string()
        );
    }
}
