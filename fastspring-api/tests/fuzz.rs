//! Fuzzing on stable Rust: a seeded mutation driver (no nightly, no extra crate) feeds
//! mutated real payloads to
//!
//! - (a) every generated response type through the client's own decode
//!   (`registry::SHAPES[..].client_decode`: `decode_json` as `send_json` calls it, then
//!   the page reader's `decode_value`, or the `Error::Api` of a non-2xx status), checking
//!   that every error is bounded and names the operation, the status and a JSON path
//!   that exists in the body;
//! - (b) every response type through the registry's `decode` (the payload check's
//!   reader) and the client's response handling (the `"result": "error"` check, error
//!   bodies, excerpts);
//! - (c) `webhooks::parse` with random bodies, signatures, secrets and headers.
//!
//! The seeds are the spec's examples and the published payloads in `api-spec/examples/`.
//! A panic, a broken check or a case that hangs fails the test with the seed, the case
//! number and the input (the driver is `codegen/tests/fuzzing/mod.rs`).
//!
//! `cargo test` fuzzes each target for a time budget (`FUZZ_SECONDS`, default 10) and
//! never fewer than 5,000 cases: bugs planted in a copy for the security review were
//! found only at cases 2,453 and 3,291, past the 1,000 cases once run by default. Each
//! case may run `FUZZ_CASE_SECONDS` (default 10). `FUZZ_CASES=N` runs exactly N cases
//! instead. The long run:
//! `FUZZ_CASES=1000000 cargo test --release -p fastspring-api --test fuzz`
//! (`FUZZ_SEED` picks another sequence).

#[path = "../../codegen/tests/fuzzing/mod.rs"]
mod fuzzing;

use base64::Engine;
use codegen::examples::Part;
use fastspring_api::Error;
use fastspring_api::registry::{Part as ShapePart, SHAPES, Shape};
use fastspring_api::webhooks::{self, Acknowledgement};
use fuzzing::{Input, Rng, Settings, drive};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};

/// The fewest cases a time-budgeted run makes, however slow the machine.
const MIN_CASES: u64 = 5_000;

fn settings() -> Settings {
    Settings::from_env(10, MIN_CASES)
}

const TOKENS: &[&str] = &[
    "null",
    "true",
    "false",
    "0",
    "-1",
    "1.5",
    "1e999",
    "-1e999",
    "18446744073709551616",
    "-9223372036854775809",
    "9223372036854775807",
    "1e-400",
    "\"\"",
    "\"error\"",
    "[]",
    "{}",
    "\"\\ud800\"",
    "\"Zoë Müller, 東京 😀\"",
    "\"\\u0000\"",
    "\"result\"",
    "\"result\":\"error\"",
    "NaN",
    "\"1e20\"",
    "\"9999999999999999999999\"",
    "\"true\"",
    "\"2025-13-45\"",
    ",",
    ":",
    "\"",
    "\\",
    "{",
    "}",
    "[",
    "]",
];

/// A JSON value that tends to break typed decoders.
fn odd_value(rng: &mut Rng) -> Value {
    match rng.below(15) {
        0 => Value::Null,
        1 => json!(rng.chance(2)),
        2 => json!(i64::MAX),
        3 => json!(u64::MAX),
        4 => json!(-1),
        5 => json!(1.5),
        6 => json!(f64::MAX),
        7 => json!(""),
        8 => json!("x".repeat(rng.below(5000))),
        9 => json!([]),
        10 => json!({}),
        11 => json!("error"),
        12 => json!(rng.next().to_string()),
        // Customers' names and addresses: characters of two, three and four bytes.
        13 => json!("é€😀".repeat(rng.below(700))),
        _ => {
            let mut deep = Value::Null;
            for _ in 0..rng.below(200) {
                deep = json!([deep]);
            }
            deep
        }
    }
}

/// A key a server could send: long, empty, or with JSON-path and control characters.
fn odd_key(rng: &mut Rng) -> String {
    match rng.below(5) {
        0 => "k".repeat(rng.below(5_000)),
        1 => String::new(),
        2 => "a.b[0]".to_string(),
        3 => "\u{1b}[2J\u{7}".to_string(),
        _ => format!("key{}", rng.below(9)),
    }
}

/// Structure-aware mutation: walks to a random node and changes it.
fn mutate_value(value: &mut Value, rng: &mut Rng, depth: usize) {
    let descend = depth < 12 && rng.below(4) != 0;
    match value {
        Value::Object(map) if descend && !map.is_empty() => {
            let keys: Vec<String> = map.keys().cloned().collect();
            let key = rng.pick(&keys).clone();
            match rng.below(7) {
                0 => {
                    map.remove(&key);
                }
                1 => {
                    map.insert(format!("unknown{}", rng.below(9)), odd_value(rng));
                }
                2 => {
                    // A server-chosen key (in maps such as `tags`, it reaches error paths).
                    if let Some(mut child) = map.remove(&key) {
                        mutate_value(&mut child, rng, depth + 1);
                        map.insert(odd_key(rng), child);
                    }
                }
                _ => {
                    if let Some(child) = map.get_mut(&key) {
                        mutate_value(child, rng, depth + 1);
                    }
                }
            }
        }
        Value::Array(items) if descend && !items.is_empty() => match rng.below(6) {
            0 => {
                let at = rng.below(items.len());
                items.remove(at);
            }
            1 => {
                let at = rng.below(items.len());
                let copy = items[at].clone();
                items.insert(at, copy);
            }
            _ => {
                let at = rng.below(items.len());
                mutate_value(&mut items[at], rng, depth + 1);
            }
        },
        _ => *value = odd_value(rng),
    }
}

/// Byte-level mutation of JSON text.
fn mutate_bytes(bytes: &mut Vec<u8>, rng: &mut Rng, others: &[Vec<u8>]) {
    for _ in 0..=rng.below(4) {
        let len = bytes.len();
        match rng.below(8) {
            0 if len > 0 => {
                let at = rng.below(len);
                bytes[at] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let at = rng.below(len);
                bytes[at] = *rng.pick(b"\"{}[],:\\-0.9eE \x00\x80\xc3\xff");
            }
            2 if len > 0 => {
                let at = rng.below(len);
                let n = rng.below(len - at + 1).min(64);
                bytes.drain(at..at + n);
            }
            3 if len > 0 => {
                let at = rng.below(len);
                let n = rng.below(len - at + 1).min(256);
                let copy = bytes[at..at + n].to_vec();
                let to = rng.below(len + 1);
                bytes.splice(to..to, copy);
            }
            4 => {
                let to = rng.below(len + 1);
                let token = rng.pick(TOKENS).as_bytes().to_vec();
                bytes.splice(to..to, token);
            }
            5 if len > 0 => {
                // Replace the value after a random `:` with a token.
                let at = rng.below(len);
                if let Some(colon) = bytes[at..].iter().position(|b| *b == b':') {
                    let start = at + colon + 1;
                    let end = bytes[start..]
                        .iter()
                        .position(|b| matches!(b, b',' | b'}' | b']'))
                        .map_or(bytes.len(), |e| start + e);
                    let token = rng.pick(TOKENS).as_bytes().to_vec();
                    bytes.splice(start..end, token);
                }
            }
            6 if len > 0 => bytes.truncate(rng.below(len)),
            _ if !others.is_empty() => {
                let other = rng.pick(others);
                if !other.is_empty() && len > 0 {
                    let from = rng.below(other.len());
                    let at = rng.below(len);
                    bytes.truncate(at);
                    bytes.extend_from_slice(&other[from..]);
                }
            }
            _ => {}
        }
    }
}

/// A mutated version of a random seed: structure-aware half of the time.
fn mutant(corpus: &[Vec<u8>], rng: &mut Rng) -> Vec<u8> {
    let seed = rng.pick(corpus);
    if rng.chance(2)
        && let Ok(mut value) = serde_json::from_slice::<Value>(seed)
    {
        for _ in 0..=rng.below(3) {
            mutate_value(&mut value, rng, 0);
        }
        return serde_json::to_vec(&value).unwrap_or_default();
    }
    let mut bytes = seed.clone();
    mutate_bytes(&mut bytes, rng, corpus);
    bytes
}

/// The published payloads kept beside the spec (`api-spec/examples/<group>/*.json`):
/// (whether the group is `webhooks`, the bytes). A single webhook event is wrapped in
/// an envelope.
fn published() -> Vec<(bool, Vec<u8>)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../api-spec/examples");
    let mut out = Vec::new();
    let Ok(groups) = std::fs::read_dir(&dir) else {
        return out;
    };
    for group in groups.flatten() {
        let webhooks = group.file_name().to_string_lossy() == "webhooks";
        let Ok(files) = std::fs::read_dir(group.path()) else {
            continue;
        };
        for file in files.flatten() {
            let path = file.path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let Ok(bytes) = std::fs::read(&path) else {
                continue;
            };
            let bytes = match serde_json::from_slice::<Value>(&bytes) {
                Ok(event) if webhooks && event.get("events").is_none() => {
                    serde_json::to_vec(&json!({ "events": [event] })).unwrap_or(bytes)
                }
                _ => bytes,
            };
            out.push((webhooks, bytes));
        }
    }
    out
}

fn spec_examples() -> Vec<codegen::examples::Example> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../api-spec/openapi.yaml");
    let spec = codegen::spec::Spec::load(&root).expect("the spec loads");
    codegen::examples::collect(&spec).expect("examples collect")
}

/// One response target: an operation's reply with one status, and the spec's examples of it.
struct Target {
    operation: &'static str,
    status: u16,
    examples: Vec<Vec<u8>>,
}

/// Every (operation, status) of the registry that has a JSON example in the spec, with
/// those examples; and every example plus the published payloads, for splicing.
fn response_targets() -> (Vec<Target>, Vec<Vec<u8>>) {
    let mut targets: Vec<Target> = Vec::new();
    for example in spec_examples() {
        let Part::Response(status) = example.part else {
            continue;
        };
        if !example.media_type.contains("json") {
            continue;
        }
        let Some(shape) = SHAPES.iter().find(|s| {
            s.operation_id == example.operation_id && s.part == ShapePart::Response(status)
        }) else {
            continue;
        };
        let bytes = serde_json::to_vec(&example.value).expect("encodes");
        match targets
            .iter_mut()
            .find(|t| t.operation == shape.operation_id && t.status == status)
        {
            Some(target) => target.examples.push(bytes),
            None => targets.push(Target {
                operation: shape.operation_id,
                status,
                examples: vec![bytes],
            }),
        }
    }
    assert!(
        targets.len() > 50,
        "only {} response shapes have examples",
        targets.len()
    );
    let mut all: Vec<Vec<u8>> = targets.iter().flat_map(|t| t.examples.clone()).collect();
    let published: Vec<Vec<u8>> = published()
        .into_iter()
        .filter(|(webhook, _)| !webhook)
        .map(|(_, bytes)| bytes)
        .collect();
    assert!(!published.is_empty(), "api-spec/examples has payloads");
    all.extend(published);
    (targets, all)
}

/// A mutated reply for one target: mostly from its own examples, sometimes from any.
fn reply_for(target: &Target, all: &[Vec<u8>], rng: &mut Rng) -> Vec<u8> {
    if rng.chance(8) {
        mutant(all, rng)
    } else {
        mutant(&target.examples, rng)
    }
}

/// A reply to one response shape.
struct Reply {
    shape: &'static Shape,
    status: u16,
    body: Vec<u8>,
}

impl Input for Reply {
    fn describe(&self) -> String {
        format!(
            "{} HTTP {}: {}",
            self.shape.operation_id,
            self.status,
            String::from_utf8_lossy(&self.body)
        )
    }
}

/// How long an error's text may be: its three capped parts (1 KiB each) and the words
/// around them.
const ERROR_TEXT_LIMIT: usize = 3 * 1024 + 256;

/// Whether `path` (serde_path_to_error's `a.b[0].c`, `.` for the top) names a node of
/// `tree`. `?` (a position serde could not name) matches anything below it.
fn path_exists(tree: &Value, path: &str) -> bool {
    if path == "." || path.is_empty() {
        return true;
    }
    let mut node = tree;
    for part in path.split('.') {
        let (key, mut rest) = part.split_at(part.find('[').unwrap_or(part.len()));
        if key == "?" {
            return true;
        }
        if !key.is_empty() {
            match node.get(key) {
                Some(child) => node = child,
                None => return false,
            }
        }
        while let Some(open) = rest.strip_prefix('[') {
            let Some((index, after)) = open.split_once(']') else {
                return false;
            };
            match index.parse::<usize>().ok().and_then(|i| node.get(i)) {
                Some(child) => node = child,
                None => return false,
            }
            rest = after;
        }
    }
    true
}

/// Whether some key of `tree` holds a character that makes a path ambiguous.
fn has_path_syntax_in_keys(tree: &Value) -> bool {
    match tree {
        Value::Object(map) => map
            .iter()
            .any(|(k, v)| k.contains(['.', '[', ']', '?']) || has_path_syntax_in_keys(v)),
        Value::Array(items) => items.iter().any(has_path_syntax_in_keys),
        _ => false,
    }
}

/// Checks what the client's decode of `reply` gave a caller: never a panic (the
/// driver), and an error that is bounded and carries its evidence.
fn check_client_decode(reply: &Reply) -> Outcome {
    let read = reply
        .shape
        .client_decode
        .expect("a response shape names the client's decode");
    let operation = reply.shape.operation_id;
    let Err(error) = read(operation, reply.status, &reply.body) else {
        return Outcome::Decoded;
    };
    let text = error.to_string();
    assert!(
        text.len() <= ERROR_TEXT_LIMIT,
        "{} bytes of error text: {}…",
        text.len(),
        text.chars().take(300).collect::<String>()
    );
    match &error {
        Error::Decode(decode) => {
            assert_eq!(decode.operation, operation);
            assert_eq!(decode.status, reply.status);
            assert!(decode.path.len() <= 1024, "path of {}", decode.path.len());
            assert!(
                decode.message.len() <= 1024,
                "message of {}",
                decode.message.len()
            );
            assert!(
                decode.excerpt.len() <= 1024,
                "excerpt of {}",
                decode.excerpt.len()
            );
            assert!(!decode.message.is_empty(), "a decode error says why");
            match serde_json::from_slice::<Value>(&reply.body) {
                // Not JSON: serde_json says where.
                Err(_) => assert!(
                    decode.path.is_empty() && decode.message.contains(" at line "),
                    "a body that is not JSON: path `{}`, message {}",
                    decode.path,
                    decode.message
                ),
                Ok(tree) => {
                    if decode.path.len() < 1000 && !has_path_syntax_in_keys(&tree) {
                        assert!(
                            path_exists(&tree, &decode.path),
                            "the error's path `{}` is not in the body ({})",
                            decode.path,
                            decode.message
                        );
                    }
                }
            }
            Outcome::DecodeError
        }
        Error::Api {
            operation: named,
            status,
            ..
        } => {
            assert_eq!(*named, operation);
            assert_eq!(*status, reply.status);
            Outcome::ApiError
        }
        other => panic!("the decode gave neither a decode nor an API error: {other}"),
    }
}

enum Outcome {
    Decoded,
    DecodeError,
    ApiError,
}

#[test]
fn fuzz_every_response_type_through_the_clients_own_decode() {
    let (targets, all) = response_targets();
    let shapes: Vec<(&'static Shape, usize)> = SHAPES
        .iter()
        .filter_map(|shape| {
            let ShapePart::Response(status) = shape.part else {
                return None;
            };
            let target = targets
                .iter()
                .position(|t| t.operation == shape.operation_id && t.status == status)?;
            Some((shape, target))
        })
        .collect();
    assert!(shapes.len() > 50, "{} shapes with examples", shapes.len());
    // Success replies go through the typed decode; an error status only through
    // `ErrorBody`, so those get one case in four.
    let (errors, successes): (Vec<_>, Vec<_>) = shapes
        .into_iter()
        .partition(|(shape, _)| !matches!(shape.part, ShapePart::Response(200..=299)));
    let counts = std::sync::Arc::new(std::sync::Mutex::new([0u64; 3]));
    let tally = std::sync::Arc::clone(&counts);
    let report = drive(
        "client decode",
        settings(),
        |rng| {
            let (shape, target) = if rng.chance(4) {
                *rng.pick(&errors)
            } else {
                *rng.pick(&successes)
            };
            let ShapePart::Response(status) = shape.part else {
                unreachable!("response shapes only")
            };
            Reply {
                shape,
                // The spec's `default` (0) stands for any error status.
                status: if status == 0 { 500 } else { status },
                body: reply_for(&targets[target], &all, rng),
            }
        },
        move |reply| {
            let outcome = check_client_decode(reply);
            tally.lock().expect("tally")[outcome as usize] += 1;
        },
    );
    let [decoded, decode_errors, api_errors] = *counts.lock().expect("tally");
    eprintln!(
        "client decode: {} cases: {decoded} decoded, {decode_errors} decode errors, {api_errors} API errors",
        report.cases
    );
    // A run that never decodes or never fails tests nothing of the other half.
    assert!(decoded > report.cases / 50, "{decoded} decoded");
    assert!(
        decode_errors > report.cases / 50,
        "{decode_errors} decode errors"
    );
    assert!(api_errors > 0, "no error status was read");
}

/// Found by the client-decode target (case 28,833): a body that is not JSON, whose first
/// problem is a long string of the wrong type, gave a message cut before its location.
#[test]
fn a_reply_that_is_not_json_keeps_the_location_of_its_error_however_long_the_value() {
    let long = "x".repeat(5_000);
    let body = format!("[1, \"{long}\", ");
    let error = fastspring_api::runtime::decode_json::<Vec<u32>>("op", false, 200, body.as_bytes())
        .expect_err("not JSON");
    let Error::Decode(decode) = &error else {
        panic!("{error}")
    };
    assert!(decode.message.len() <= 1024, "{}", decode.message.len());
    // The string ends at column 5,006: `[1, "` and 5,000 characters and `"`.
    assert!(
        decode.message.starts_with("invalid type: string \"xxx")
            && decode.message.ends_with("x… at line 1 column 5006"),
        "{}",
        decode.message
    );
}

/// A reply for the registry's `decode` and the client's response handling.
struct Handled {
    operation: &'static str,
    status: u16,
    handling_status: u16,
    body: Vec<u8>,
}

impl Input for Handled {
    fn describe(&self) -> String {
        format!(
            "{} HTTP {} (handled as {}): {}",
            self.operation,
            self.status,
            self.handling_status,
            String::from_utf8_lossy(&self.body)
        )
    }
}

#[test]
fn fuzz_every_response_type_and_the_clients_response_handling() {
    let (targets, all) = response_targets();
    drive(
        "responses",
        settings(),
        |rng| {
            let target = rng.pick(&targets);
            let body = reply_for(target, &all, rng);
            let handling_status = if rng.chance(3) {
                *rng.pick(&[200, 400, 404, 429, 500])
            } else {
                target.status
            };
            Handled {
                operation: target.operation,
                status: target.status,
                handling_status,
                body,
            }
        },
        |case| {
            for shape in SHAPES.iter().filter(|s| {
                s.operation_id == case.operation && s.part == ShapePart::Response(case.status)
            }) {
                let _ = (shape.decode)(&case.body);
            }
            let _ = fastspring_api::runtime::exercise_response_handling(
                case.handling_status,
                &case.body,
            );
        },
    );
}

#[test]
fn the_fuzz_driver_reports_a_case_that_hangs_or_panics_with_its_input() {
    fuzzing::check_the_driver_reports_hangs_and_panics();
}

fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret).expect("any key length");
    mac.update(body);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// A delivery: body, signature, keys and the headers it came with.
struct Delivery {
    body: Vec<u8>,
    signature: String,
    header: bool,
    keys: [&'static str; 2],
    /// Which events the receiver marks processed (bit `i` for the `i`th).
    processed: u64,
    header_names: Vec<&'static str>,
    pairs: usize,
    ack_status: u16,
}

impl Input for Delivery {
    fn describe(&self) -> String {
        format!(
            "keys {:?}, signature {:?} (header sent: {}), header names {:?}, pairs {}, processed {:#x}, status {}\nbody: {}",
            self.keys,
            self.signature,
            self.header,
            self.header_names,
            self.pairs,
            self.processed,
            self.ack_status,
            String::from_utf8_lossy(&self.body)
        )
    }
}

#[test]
fn fuzz_webhook_parse_with_random_bodies_signatures_and_headers() {
    let mut corpus: Vec<Vec<u8>> = spec_examples()
        .into_iter()
        .filter(|e| matches!(e.part, Part::Webhook(_)))
        .map(|e| serde_json::to_vec(&e.value).expect("encodes"))
        .collect();
    assert!(corpus.len() > 10, "{} webhook examples", corpus.len());
    corpus.push(br#"{"events":[]}"#.to_vec());
    corpus.extend(
        published()
            .into_iter()
            .filter(|(webhook, _)| *webhook)
            .map(|(_, bytes)| bytes),
    );
    let secrets: &[&'static str] = &["secret", " secret\n", "", "  ", "\t", "s"];
    drive(
        "webhooks",
        settings(),
        |rng| {
            let body = mutant(&corpus, rng);
            let secret = *rng.pick(secrets);
            let signature = match rng.below(5) {
                0 | 1 => sign(secret.trim().as_bytes(), &body),
                2 => {
                    let mut s = sign(b"other", &body).into_bytes();
                    mutate_bytes(&mut s, rng, &[]);
                    String::from_utf8_lossy(&s).into_owned()
                }
                3 => "x".repeat(rng.below(10_000)),
                _ => String::from_utf8_lossy(&mutant(&corpus, rng)).into_owned(),
            };
            Delivery {
                body,
                signature,
                header: !rng.chance(10),
                keys: [secret, *rng.pick(secrets)],
                processed: rng.next(),
                header_names: (0..rng.below(4))
                    .map(|_| *rng.pick(&["x-fs-signature", "X-FS-SIGNATURE", "x-other"]))
                    .collect(),
                pairs: rng.below(3),
                ack_status: rng.next() as u16,
            }
        },
        |case| {
            let keys = case.keys;
            let header = case.header.then_some(case.signature.as_str());
            if let Ok(envelope) = webhooks::parse(&keys, &case.body, header) {
                let mut ack = Acknowledgement::new(&envelope);
                for (i, id) in envelope.ids().collect::<Vec<_>>().into_iter().enumerate() {
                    if case.processed >> (i % 64) & 1 == 1 {
                        ack.mark_processed(id);
                    }
                }
                let _ = ack.response().status_code();
            }
            let _ = webhooks::Envelope::parse_unverified(&case.body);
            // Header lookup with random names and values.
            let mut map = reqwest::header::HeaderMap::new();
            for name in &case.header_names {
                if let Ok(value) =
                    reqwest::header::HeaderValue::from_bytes(case.signature.as_bytes())
                {
                    map.append(*name, value);
                }
            }
            let _ = webhooks::verify(&keys, &case.body, webhooks::signature_header(&map));
            let pairs = [
                ("X-Fs-Signature", case.signature.as_str()),
                (" x-fs-signature ", "a"),
            ];
            let _ = webhooks::find_signature(pairs.iter().copied().take(case.pairs));
            let mut status = webhooks::AckResponse {
                status: case.ack_status,
                content_type: webhooks::ACK_CONTENT_TYPE,
                body: String::new(),
            };
            let _ = status.status_code();
            status.status = 0;
            let _ = status.status_code();
        },
    );
}
