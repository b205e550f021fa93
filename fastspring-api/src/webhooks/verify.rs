//! Signature verification and the body limits.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use reqwest::header::HeaderMap;
use sha2::Sha256;

use super::{Envelope, MAX_BODY_BYTES, MAX_EVENTS};

/// Name of the signature header. FastSpring may send it in any letter case.
pub const SIGNATURE_HEADER: &str = "X-FS-Signature";

/// Length in bytes of an HMAC-SHA256 digest.
const DIGEST_LEN: usize = 32;

/// One or more webhook secrets that [`verify`] tries.
///
/// Implemented for a single secret (`str`, `String`, [`crate::Secret`],
/// `secrecy::SecretString`) and for lists of them (slices, arrays, `Vec`), so both
/// `verify("secret", ..)` and `verify(&["new", "old"], ..)` work. Empty secrets are
/// ignored: an unset environment variable must not turn into a key anyone can use.
/// Surrounding whitespace is trimmed (a secret read from a file often ends in a
/// newline), and a secret that is only whitespace counts as empty.
pub trait Secrets {
    /// Appends the secrets' bytes to `out`, in the order they should be tried.
    fn collect_secrets<'a>(&'a self, out: &mut Vec<&'a [u8]>);
}

impl Secrets for str {
    fn collect_secrets<'a>(&'a self, out: &mut Vec<&'a [u8]>) {
        out.push(self.as_bytes());
    }
}

impl Secrets for String {
    fn collect_secrets<'a>(&'a self, out: &mut Vec<&'a [u8]>) {
        out.push(self.as_bytes());
    }
}

impl Secrets for crate::Secret {
    fn collect_secrets<'a>(&'a self, out: &mut Vec<&'a [u8]>) {
        out.push(self.expose().as_bytes());
    }
}

impl Secrets for secrecy::SecretString {
    fn collect_secrets<'a>(&'a self, out: &mut Vec<&'a [u8]>) {
        use secrecy::ExposeSecret as _;
        out.push(self.expose_secret().as_bytes());
    }
}

impl<T: Secrets + ?Sized> Secrets for &T {
    fn collect_secrets<'a>(&'a self, out: &mut Vec<&'a [u8]>) {
        (**self).collect_secrets(out);
    }
}

impl<T: Secrets> Secrets for [T] {
    fn collect_secrets<'a>(&'a self, out: &mut Vec<&'a [u8]>) {
        for secret in self {
            secret.collect_secrets(out);
        }
    }
}

impl<T: Secrets, const N: usize> Secrets for [T; N] {
    fn collect_secrets<'a>(&'a self, out: &mut Vec<&'a [u8]>) {
        self.as_slice().collect_secrets(out);
    }
}

impl<T: Secrets> Secrets for Vec<T> {
    fn collect_secrets<'a>(&'a self, out: &mut Vec<&'a [u8]>) {
        self.as_slice().collect_secrets(out);
    }
}

/// Why a webhook request was refused. Never contains a secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// No (non-empty) secret was given to check the signature with.
    #[error("no webhook secret configured")]
    NoSecrets,
    /// The request has no `X-FS-Signature` header (is a secret set for this endpoint in
    /// the FastSpring app?).
    #[error("the X-FS-Signature header is missing")]
    MissingSignature,
    /// The header is not a standard Base64 encoding of 32 bytes.
    #[error("the X-FS-Signature header is malformed: {reason}")]
    MalformedSignature {
        /// What is wrong with it.
        reason: String,
    },
    /// The signature does not match the body under any of the secrets: a wrong secret,
    /// a body changed on the way (or re-serialized before verifying), or a forgery.
    #[error("the X-FS-Signature header does not match the body under any configured secret")]
    SignatureMismatch,
    /// The body is larger than the receiver accepts (checked before the signature).
    #[error("the webhook body is larger than {limit} bytes")]
    BodyTooLarge {
        /// The limit in force.
        limit: usize,
    },
    /// The delivery holds more events than the receiver accepts.
    #[error("the webhook delivery holds more than {limit} events")]
    TooManyEvents {
        /// The limit in force.
        limit: usize,
    },
    /// The body was authentic but is not a FastSpring event envelope.
    #[error("the webhook body is not a FastSpring event envelope: {message}")]
    InvalidBody {
        /// What is wrong, with the position in the body.
        message: String,
    },
}

impl WebhookError {
    /// The HTTP status to answer with: 500 for a missing secret (our configuration),
    /// 401 for signature problems, 400 for a body that is not an envelope. FastSpring
    /// retries every non-2xx answer, so a fixed configuration picks the events up again.
    pub fn http_status(&self) -> u16 {
        match self {
            WebhookError::NoSecrets => 500,
            WebhookError::MissingSignature
            | WebhookError::MalformedSignature { .. }
            | WebhookError::SignatureMismatch => 401,
            WebhookError::InvalidBody { .. } => 400,
            WebhookError::BodyTooLarge { .. } | WebhookError::TooManyEvents { .. } => 413,
        }
    }
}

/// Finds `X-FS-Signature` in an `http::HeaderMap` (the type axum, hyper and reqwest use);
/// the lookup ignores letter case. A value that is not text, or several headers that
/// disagree, come back as `"\u{FFFD}"`, so that [`verify`] reports the signature
/// malformed rather than missing or checks only one of them.
pub fn signature_header(headers: &HeaderMap) -> Option<&str> {
    let mut values = headers.get_all(SIGNATURE_HEADER).iter();
    let first = values.next()?;
    if values.any(|other| other.as_bytes().trim_ascii() != first.as_bytes().trim_ascii()) {
        return Some("\u{FFFD}");
    }
    Some(std::str::from_utf8(first.as_bytes()).unwrap_or("\u{FFFD}"))
}

/// Finds `X-FS-Signature` (any letter case) among `(name, value)` pairs, for servers
/// that do not use `http::HeaderMap`. Several occurrences that disagree come back as
/// `"\u{FFFD}"` (reported malformed by [`verify`]).
pub fn find_signature<'a, I>(headers: I) -> Option<&'a str>
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    let mut found: Option<&'a str> = None;
    for (name, value) in headers {
        if name.trim().eq_ignore_ascii_case(SIGNATURE_HEADER) {
            match found {
                None => found = Some(value),
                Some(first) if first.trim() != value.trim() => return Some("\u{FFFD}"),
                Some(_) => {}
            }
        }
    }
    found
}

/// Checks that `signature_header` is Base64(HMAC-SHA256(secret, raw_body)) for one of
/// `secrets`, comparing in constant time.
///
/// `raw_body` must be the bytes exactly as received. Pass the header value found by
/// [`signature_header`] or [`find_signature`]; `None` gives
/// [`WebhookError::MissingSignature`].
pub fn verify<S: Secrets + ?Sized>(
    secrets: &S,
    raw_body: &[u8],
    signature_header: Option<&str>,
) -> Result<(), WebhookError> {
    verify_key_index(secrets, raw_body, signature_header).map(|_| ())
}

/// Like [`verify`], and says which secret matched (its position among the non-empty
/// secrets, in the order given). During a key rotation this shows when the old secret
/// stops being used.
pub fn verify_key_index<S: Secrets + ?Sized>(
    secrets: &S,
    raw_body: &[u8],
    signature_header: Option<&str>,
) -> Result<usize, WebhookError> {
    let mut keys = Vec::new();
    secrets.collect_secrets(&mut keys);
    let mut keys: Vec<&[u8]> = keys.into_iter().map(<[u8]>::trim_ascii).collect();
    keys.retain(|key| !key.is_empty());
    if keys.is_empty() {
        return Err(WebhookError::NoSecrets);
    }
    let header = signature_header.ok_or(WebhookError::MissingSignature)?;
    let signature = decode_signature(header)?;
    // Every key is tried, so the time taken does not depend on which one matched.
    let mut matched = None;
    for (index, key) in keys.iter().enumerate() {
        let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts keys of any length");
        mac.update(raw_body);
        if mac.verify_slice(&signature).is_ok() && matched.is_none() {
            matched = Some(index);
        }
    }
    matched.ok_or(WebhookError::SignatureMismatch)
}

fn decode_signature(header: &str) -> Result<Vec<u8>, WebhookError> {
    let trimmed = header.trim();
    if trimmed.is_empty() {
        return Err(WebhookError::MalformedSignature {
            reason: "the value is empty".into(),
        });
    }
    // Base64 of 32 bytes is 44 characters: anything else is refused before decoding.
    if trimmed.len() != 44 {
        return Err(WebhookError::MalformedSignature {
            reason: format!(
                "{} characters long, the Base64 of an HMAC-SHA256 has 44",
                trimmed.len()
            ),
        });
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(trimmed)
        .map_err(|err| WebhookError::MalformedSignature {
            reason: format!("not standard Base64 ({err})"),
        })?;
    if bytes.len() != DIGEST_LEN {
        return Err(WebhookError::MalformedSignature {
            reason: format!(
                "decodes to {} bytes, an HMAC-SHA256 has {DIGEST_LEN}",
                bytes.len()
            ),
        });
    }
    Ok(bytes)
}

/// Verifies the signature, then parses the body into typed events.
///
/// See [`Envelope::parse_unverified`] for what makes the whole body invalid and what
/// only affects one event.
/// Bodies over [`MAX_BODY_BYTES`] and deliveries of more than [`MAX_EVENTS`] events are
/// refused ([`parse_with_limits`] sets other limits).
pub fn parse<S: Secrets + ?Sized>(
    secrets: &S,
    raw_body: &[u8],
    signature_header: Option<&str>,
) -> Result<Envelope, WebhookError> {
    parse_with_limits(
        secrets,
        raw_body,
        signature_header,
        MAX_BODY_BYTES,
        MAX_EVENTS,
    )
}

/// [`parse`] with other limits: the body size (checked before the signature is
/// computed) and the number of events.
pub fn parse_with_limits<S: Secrets + ?Sized>(
    secrets: &S,
    raw_body: &[u8],
    signature_header: Option<&str>,
    max_body_bytes: usize,
    max_events: usize,
) -> Result<Envelope, WebhookError> {
    check_and_verify(
        secrets,
        raw_body,
        signature_header,
        max_body_bytes,
        max_events,
    )
    .map(|(_, envelope)| envelope)
}

/// [`parse_with_limits`] that also says which secret matched.
pub(super) fn check_and_verify<S: Secrets + ?Sized>(
    secrets: &S,
    raw_body: &[u8],
    signature_header: Option<&str>,
    max_body_bytes: usize,
    max_events: usize,
) -> Result<(usize, Envelope), WebhookError> {
    if raw_body.len() > max_body_bytes {
        return Err(WebhookError::BodyTooLarge {
            limit: max_body_bytes,
        });
    }
    let key_index = verify_key_index(secrets, raw_body, signature_header)?;
    Ok((key_index, Envelope::parse_limited(raw_body, max_events)?))
}
