//! A response body into a Rust value: the decode of a 2xx body (with FastSpring's
//! `"result": "error"` inside a 2xx), the decode of an already parsed value (pages,
//! multi-ID replies), and what every failure carries (operation, status, JSON path,
//! excerpt).

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{
    DecodeError, EXCERPT_LIMIT, Error, ErrorBody, MESSAGE_LIMIT, cap, excerpt, excerpt_json,
};
use crate::request::OperationMeta;

/// Decodes a 2xx JSON body, keeping the evidence when it does not fit. A body whose
/// top level says `"result": "error"` is FastSpring's way of failing inside a 2xx; it
/// becomes [`Error::Api`] (batch operations report such items per item instead).
pub fn decode_json<T: DeserializeOwned>(
    operation: &'static str,
    batch: bool,
    status: u16,
    body: &[u8],
) -> Result<T, Error> {
    let decode_error = |path: String, message: String| {
        Error::Decode(Box::new(DecodeError {
            operation,
            status,
            // A server-chosen key can make the path any length.
            path: cap(path),
            message: cap(message),
            excerpt: excerpt(body, EXCERPT_LIMIT),
        }))
    };
    if !batch && says_result_error(body) {
        return Err(Error::Api {
            operation,
            status,
            body: ErrorBody::from_bytes(body),
        });
    }
    // One pass on the happy path. Only a body that fails is read again, as a
    // `serde_json::Value` and then with path tracking, to say where it failed: going
    // through `&Value` shares the decoders that unions, paging and webhooks instantiate
    // for it, instead of compiling every type once more for a tracked slice reader.
    //
    // The body's UTF-8 is checked once, up front, and read as a `&str`: reading bytes,
    // serde_json checks every string on its own, which costs more on string-heavy
    // replies. A body that is not UTF-8 goes straight to the reading below, whose error
    // says where.
    let tolerated = crate::codec::unreadable::count();
    let first = match std::str::from_utf8(body).map(serde_json::from_str) {
        Ok(Ok(value)) => {
            // A value that could not be read was kept as sent; say where.
            if crate::codec::unreadable::count() != tolerated {
                report_reply::<T>(operation, body);
            }
            return Ok(value);
        }
        Ok(Err(e)) => Some(e),
        Err(_) => None,
    };
    let tree: serde_json::Value = match serde_json::from_slice(body) {
        Ok(tree) => tree,
        // Not JSON at all: serde_json's message says where (line and column).
        Err(e) => {
            let message = located(first.as_ref().unwrap_or(&e));
            return Err(decode_error(String::new(), message));
        }
    };
    match serde_path_to_error::deserialize::<_, T>(&tree) {
        Ok(value) => Ok(value),
        Err(e) => Err(decode_error(e.path().to_string(), e.inner().to_string())),
    }
}

/// serde_json's message, cut to `MESSAGE_LIMIT` with its location (`at line 1 column 40`)
/// kept: the location ends the message, after a quote of the offending value that can
/// be any length (found by the fuzz tests: a 5,000-character string lost it).
fn located(e: &serde_json::Error) -> String {
    let text = e.to_string();
    if text.len() <= MESSAGE_LIMIT || e.line() == 0 {
        return text;
    }
    let location = format!(" at line {} column {}", e.line(), e.column());
    let head = text.strip_suffix(&location).unwrap_or(&text);
    let head = excerpt(head.as_bytes(), MESSAGE_LIMIT - location.len());
    format!("{head}{location}")
}

/// Whether the top level of a JSON body says `"result": "error"`.
///
/// A byte scan for `"result"` followed by `:` and `"error"` rules out nearly every body
/// without parsing it (a successful answer does not say `"error"` after `"result"`); only
/// when the pattern appears somewhere is the top level read, without building a tree,
/// to tell a top-level `result` from a nested one.
pub(crate) fn says_result_error(body: &[u8]) -> bool {
    if !mentions_result_error(body) {
        return false;
    }
    // Every top-level `result` is read: a derived struct refuses a duplicate key, and
    // that refusal used to answer "no error".
    struct AnyResultError(bool);
    impl<'de> serde::Deserialize<'de> for AnyResultError {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct Top;
            impl<'de> serde::de::Visitor<'de> for Top {
                type Value = AnyResultError;
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("a JSON object")
                }
                fn visit_map<A: serde::de::MapAccess<'de>>(
                    self,
                    mut map: A,
                ) -> Result<AnyResultError, A::Error> {
                    let mut error = false;
                    while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                        if key == "result" {
                            error |= map.next_value::<serde_json::Value>()? == "error";
                        } else {
                            map.next_value::<serde::de::IgnoredAny>()?;
                        }
                    }
                    Ok(AnyResultError(error))
                }
            }
            d.deserialize_map(Top)
        }
    }
    matches!(
        serde_json::from_slice::<AnyResultError>(body),
        Ok(AnyResultError(true))
    )
}

/// `"result"`, optional whitespace, `:`, optional whitespace, `"error"` anywhere in `body`.
fn mentions_result_error(body: &[u8]) -> bool {
    let finder = memchr::memmem::Finder::new(b"\"result\"");
    let skip_ws = |mut at: usize| {
        while body.get(at).is_some_and(|b| b.is_ascii_whitespace()) {
            at += 1;
        }
        at
    };
    let mut from = 0;
    while let Some(found) = body.get(from..).and_then(|rest| finder.find(rest)) {
        let end = from + found + finder.needle().len();
        let mut at = skip_ws(end);
        if body.get(at) == Some(&b':') {
            at = skip_ws(at + 1);
            if body
                .get(at..)
                .is_some_and(|rest| rest.starts_with(b"\"error\""))
            {
                return true;
            }
        }
        from = end;
    }
    false
}

/// Decodes an already parsed 2xx value (a page, an item of one, a multi-ID reply);
/// `path_prefix` says where in the body the value was (`orders[3].`).
pub(crate) fn decode_value<T: DeserializeOwned>(
    meta: &OperationMeta,
    status: u16,
    path_prefix: &str,
    value: Value,
) -> Result<T, Error> {
    let tolerated = crate::codec::unreadable::count();
    let decoded = serde_path_to_error::deserialize(&value).map_err(|e| {
        Error::Decode(Box::new(DecodeError {
            operation: meta.id,
            status,
            path: cap(format!("{path_prefix}{}", e.path())),
            message: cap(e.inner().to_string()),
            excerpt: excerpt_json(&value, EXCERPT_LIMIT),
        }))
    });
    // A value that could not be read was kept as sent; say where.
    if decoded.is_ok() && crate::codec::unreadable::count() != tolerated {
        report(meta.id, &locate_in::<T>(&value));
    }
    decoded
}

/// Runs everything the client does with a response body except the typed decode
/// (which the registry's `decode` of each shape covers): the `"result": "error"` check,
/// the 2xx decode wrapper, the error-body reading with its message and field errors,
/// and the excerpts. For the fuzz tests; not a stable API.
#[doc(hidden)]
pub fn exercise_response_handling(status: u16, body: &[u8]) -> String {
    let decoded: Result<serde::de::IgnoredAny, Error> = decode_json("fuzz", false, status, body);
    let error = ErrorBody::from_bytes(body);
    let mut out = match decoded {
        Ok(_) => String::new(),
        Err(e) => e.to_string(),
    };
    out.push_str(&error.to_string());
    out.push_str(&format!("{:?}", error.field_errors()));
    out.push_str(&excerpt(body, EXCERPT_LIMIT));
    if let Some(json) = error.json() {
        out.push_str(&excerpt_json(json, EXCERPT_LIMIT));
    }
    out
}

/// Reads a reply of `operation` with HTTP `status` into `T` the way a call does, and
/// keeps only the error a caller would see: a 2xx body through [`decode_json`] (what
/// `send_json` returns) and, when that succeeds, through [`decode_value`] over the parsed
/// tree (what the paging and multi-ID reads return); any other status as the
/// [`Error::Api`] a call gives, its body read with [`ErrorBody::parse`]. The shape
/// registry names it for each response shape, so that the fuzz tests drive the client's
/// own decode with every generated response type. Not a stable API.
#[cfg(feature = "payload-check")]
#[doc(hidden)]
pub fn client_decode<T: DeserializeOwned>(
    operation: &'static str,
    status: u16,
    body: &[u8],
) -> Result<(), Error> {
    if !(200..300).contains(&status) {
        let body = ErrorBody::from_bytes(body);
        let _ = body.parse::<T>();
        return Err(Error::Api {
            operation,
            status,
            body,
        });
    }
    decode_json::<T>(operation, false, status, body)?;
    let tree: Value = serde_json::from_slice(body).map_err(|e| {
        // `decode_json` read it, so it is JSON; say so if the two readers ever disagree.
        Error::Decode(Box::new(DecodeError {
            operation,
            status,
            path: String::new(),
            message: cap(format!("decoded as text but not as a tree: {e}")),
            excerpt: excerpt(body, EXCERPT_LIMIT),
        }))
    })?;
    let meta = OperationMeta {
        id: operation,
        method: "GET",
        path: "",
        accept: "application/json",
        idempotent: true,
        auth_optional: false,
        paging: None,
        batch: None,
    };
    decode_value::<T>(&meta, status, "", tree).map(drop)
}

// --- unreadable values: where they are, and the warning that names them ---

/// Where the unreadable values of a decoded reply are: reads `tree` into `T` again in
/// locate mode (the same `&Value` decoder that locates decode errors, so no new code is
/// compiled for it).
pub(crate) fn locate_in<T: serde::de::DeserializeOwned>(tree: &serde_json::Value) -> Vec<String> {
    crate::codec::unreadable::locate(|| {
        serde_path_to_error::deserialize::<_, T>(tree)
            .err()
            .map(|e| {
                (
                    crate::codec::path_to_pointer(e.path()),
                    e.inner().to_string(),
                )
            })
    })
}

/// Locates and logs the unreadable values of `body`, a reply of `operation` that decoded
/// into `T` (called only when [`count`](crate::codec::unreadable::count) moved during the decode).
#[cold]
pub(crate) fn report_reply<T: serde::de::DeserializeOwned>(operation: &str, body: &[u8]) {
    if let Ok(tree) = serde_json::from_slice::<serde_json::Value>(body) {
        report(operation, &locate_in::<T>(&tree));
    }
}

/// Logs each unreadable value of a reply of `operation` (a `tracing` warning naming the
/// operation and the JSON pointer; never the value, which could be personal data).
pub(crate) fn report(operation: &str, pointers: &[String]) {
    for pointer in pointers {
        tracing::warn!(
            operation,
            pointer = pointer.as_str(),
            "a value in FastSpring's reply could not be read as its documented type; kept as sent"
        );
    }
}
