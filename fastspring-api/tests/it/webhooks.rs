//! Webhook receiving: signatures against independently computed vectors, typed parsing
//! (including every published example payload), acknowledgements byte for byte,
//! claims of repeats, key rotation, and the reconcile helper against a loopback server.

#![cfg(all(
    feature = "webhook-events",
    feature = "events",
    feature = "webhook-keys"
))]

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use fastspring_api::webhook_events::EventData;
use fastspring_api::webhooks::{
    self, ACK_CONTENT_TYPE, Acknowledgement, Envelope, Event, MemoryClaims, NONE_PROCESSED_BODY,
    ReconcileFailureReason, WebhookError,
};
use fastspring_api::{Client, RetryPolicy, Secret};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------
// Fixed vectors, computed with OpenSSL, not with this crate:
//
//   BODY='<BATCH_BODY below, verbatim>'
//   printf '%s' "$BODY" | openssl dgst -sha256 -hmac "whsec-test-2024" -binary | base64
//   printf '%s' "$BODY" | openssl dgst -sha256 -hmac "rotated-secret-2025" -binary | base64
// ---------------------------------------------------------------------------------------

const SECRET_OLD: &str = "whsec-test-2024";
const SECRET_NEW: &str = "rotated-secret-2025";

/// Three events: a known type with an ID-only `account`, a type this crate does not know,
/// and a known type with an expanded contact.
const BATCH_BODY: &str = r#"{"events":[{"id":"evt-order-1","live":false,"processed":false,"type":"order.completed","created":1426560444800,"data":{"id":"ord-1","order":"ord-1","reference":"FUR160101-1234-56789","account":"acc-1","currency":"USD","total":19.99}},{"id":"evt-new-2","live":false,"processed":false,"type":"invoice.paid.someday","created":1426560444801,"data":{"invoice":"inv-9","amount":5}},{"id":"evt-acct-3","live":true,"processed":false,"type":"account.created","created":1426560444802,"data":{"id":"acc-1","account":"acc-1","contact":{"first":"Ada","last":"Lovelace","email":"ada@example.com"}}}]}"#;
/// openssl ... -hmac "whsec-test-2024" (see above)
const SIG_OLD: &str = "cbXmY8UEA1cqvnrfJMfzxKKmzy1Z1iEAmlVYYI0w2Ag=";
/// openssl ... -hmac "rotated-secret-2025" (see above)
const SIG_NEW: &str = "Ym13XKO5QLzkL/yU+kpG7IP5S3fHAxI3XOANgTKIV6Y=";
/// printf '%s' 'not json' | openssl dgst -sha256 -hmac "whsec-test-2024" -binary | base64
const NOT_JSON_SIG: &str = "R6HIhZshmVTPWxKOYRMh8JZYaHEkWEEXSNYsMShQ9cE=";

// --- signatures ------------------------------------------------------------------------

#[test]
fn openssl_vector_verifies_with_one_secret_as_str_string_and_secret() {
    let body = BATCH_BODY.as_bytes();
    webhooks::verify(SECRET_OLD, body, Some(SIG_OLD)).unwrap();
    webhooks::verify(&SECRET_OLD.to_string(), body, Some(SIG_OLD)).unwrap();
    webhooks::verify(&Secret::new(SECRET_OLD), body, Some(SIG_OLD)).unwrap();
    webhooks::verify(SECRET_NEW, body, Some(SIG_NEW)).unwrap();
}

#[test]
fn surrounding_whitespace_in_the_header_is_tolerated() {
    webhooks::verify(
        SECRET_OLD,
        BATCH_BODY.as_bytes(),
        Some(&format!(" {SIG_OLD}\t")),
    )
    .unwrap();
}

#[test]
fn tampered_body_is_a_mismatch() {
    let tampered = BATCH_BODY.replace("19.99", "0.99");
    let err = webhooks::verify(SECRET_OLD, tampered.as_bytes(), Some(SIG_OLD)).unwrap_err();
    assert!(matches!(err, WebhookError::SignatureMismatch), "{err:?}");
    assert_eq!(err.http_status(), 401);

    // Re-serializing the parsed JSON changes the bytes (here: whitespace) and must fail too.
    let pretty =
        serde_json::to_vec_pretty(&serde_json::from_str::<Value>(BATCH_BODY).unwrap()).unwrap();
    let err = webhooks::verify(SECRET_OLD, &pretty, Some(SIG_OLD)).unwrap_err();
    assert!(matches!(err, WebhookError::SignatureMismatch), "{err:?}");
}

#[test]
fn wrong_secret_is_a_mismatch_and_the_error_never_shows_a_secret() {
    let err = webhooks::verify("not-the-secret", BATCH_BODY.as_bytes(), Some(SIG_OLD)).unwrap_err();
    assert!(matches!(err, WebhookError::SignatureMismatch), "{err:?}");
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("not-the-secret"), "{shown}");

    // Same for every other error kind.
    let errors = [
        webhooks::verify(SECRET_OLD, b"{}", None).unwrap_err(),
        webhooks::verify(SECRET_OLD, b"{}", Some("%%%")).unwrap_err(),
        webhooks::verify(SECRET_OLD, b"{}", Some(SIG_OLD)).unwrap_err(),
        // printf '%s' 'not json' | openssl dgst -sha256 -hmac "whsec-test-2024" -binary | base64
        webhooks::parse(SECRET_OLD, b"not json", Some(NOT_JSON_SIG)).unwrap_err(),
    ];
    assert!(
        matches!(errors[3], WebhookError::InvalidBody { .. }),
        "{:?}",
        errors[3]
    );
    for err in errors {
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains(SECRET_OLD), "{shown}");
    }
}

#[test]
fn missing_header_is_its_own_error() {
    let err = webhooks::verify(SECRET_OLD, BATCH_BODY.as_bytes(), None).unwrap_err();
    assert!(matches!(err, WebhookError::MissingSignature), "{err:?}");
    assert_eq!(err.to_string(), "the X-FS-Signature header is missing");
}

#[test]
fn malformed_headers_are_reported_as_malformed_not_as_mismatch() {
    let body = BATCH_BODY.as_bytes();
    // Not Base64 at all; URL-safe alphabet; missing padding; hex digest; 16 bytes; empty.
    let url_safe = SIG_NEW.replace('/', "_").replace('+', "-");
    let unpadded = SIG_OLD.trim_end_matches('=');
    let hex = "71b5e663c504035...";
    let short = "AAAAAAAAAAAAAAAAAAAAAA==";
    for header in [
        "not base64!",
        url_safe.as_str(),
        unpadded,
        hex,
        short,
        "",
        "  ",
    ] {
        let err = webhooks::verify(SECRET_NEW, body, Some(header)).unwrap_err();
        assert!(
            matches!(err, WebhookError::MalformedSignature { .. }),
            "{header:?} gave {err:?}"
        );
        assert_eq!(err.http_status(), 401);
    }
    let err = webhooks::verify(SECRET_OLD, body, Some(short)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the X-FS-Signature header is malformed: 24 characters long, the Base64 of an HMAC-SHA256 has 44"
    );
}

#[test]
fn second_of_two_secrets_matches_during_rotation() {
    let body = BATCH_BODY.as_bytes();
    // New secret first, old one second: an event queued before the rotation still passes.
    webhooks::verify(&[SECRET_NEW, SECRET_OLD], body, Some(SIG_OLD)).unwrap();
    assert_eq!(
        webhooks::verify_key_index(&[SECRET_NEW, SECRET_OLD], body, Some(SIG_OLD)).unwrap(),
        1
    );
    assert_eq!(
        webhooks::verify_key_index(&[SECRET_NEW, SECRET_OLD], body, Some(SIG_NEW)).unwrap(),
        0
    );
    // Vec of owned secrets and of `Secret`s work the same.
    let owned = vec![SECRET_NEW.to_string(), SECRET_OLD.to_string()];
    assert_eq!(
        webhooks::verify_key_index(&owned, body, Some(SIG_OLD)).unwrap(),
        1
    );
    let wrapped = vec![Secret::new(SECRET_NEW), Secret::new(SECRET_OLD)];
    assert_eq!(
        webhooks::verify_key_index(&wrapped, body, Some(SIG_OLD)).unwrap(),
        1
    );
    // Neither matches.
    let err = webhooks::verify(&["a", "b"], body, Some(SIG_OLD)).unwrap_err();
    assert!(matches!(err, WebhookError::SignatureMismatch));
}

#[test]
fn empty_secrets_are_ignored_and_none_left_is_a_configuration_error() {
    let body = BATCH_BODY.as_bytes();
    // An unset environment variable read as "" must not become a usable key: this is
    // the signature of the body under the empty key (openssl ... -hmac "").
    let empty_key_sig = "Kk4Cl74qxNPxeuSCQKak2zhanQQ1viXLtHb6kZopr14=";
    let err = webhooks::verify("", body, Some(empty_key_sig)).unwrap_err();
    assert!(matches!(err, WebhookError::NoSecrets), "{err:?}");
    assert_eq!(err.http_status(), 500);
    let none: [&str; 0] = [];
    assert!(matches!(
        webhooks::verify(&none, body, Some(SIG_OLD)),
        Err(WebhookError::NoSecrets)
    ));
    // "" next to a real secret: the index counts non-empty secrets only.
    assert_eq!(
        webhooks::verify_key_index(&["", SECRET_OLD], body, Some(SIG_OLD)).unwrap(),
        0
    );
}

#[test]
fn header_is_found_in_any_letter_case() {
    for name in [
        "X-FS-Signature",
        "x-fs-signature",
        "X-FS-SIGNATURE",
        "x-Fs-SiGnAtUrE",
    ] {
        let mut headers = HeaderMap::new();
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        headers.insert(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_static(SIG_OLD),
        );
        assert_eq!(
            webhooks::signature_header(&headers),
            Some(SIG_OLD),
            "{name}"
        );

        let pairs = [("Content-Type", "application/json"), (name, SIG_OLD)];
        assert_eq!(webhooks::find_signature(pairs), Some(SIG_OLD), "{name}");
        let envelope = webhooks::parse(
            SECRET_OLD,
            BATCH_BODY.as_bytes(),
            webhooks::find_signature(pairs),
        )
        .unwrap();
        assert_eq!(envelope.events.len(), 3);
    }
    assert_eq!(webhooks::signature_header(&HeaderMap::new()), None);
    assert_eq!(
        webhooks::find_signature([("X-FS-Signature-Old", SIG_OLD)]),
        None
    );

    // A value that is not text is reported malformed, not missing.
    let mut headers = HeaderMap::new();
    headers.insert(
        "x-fs-signature",
        HeaderValue::from_bytes(b"\xff\xfe").unwrap(),
    );
    let err =
        webhooks::verify(SECRET_OLD, b"{}", webhooks::signature_header(&headers)).unwrap_err();
    assert!(
        matches!(err, WebhookError::MalformedSignature { .. }),
        "{err:?}"
    );
}

// --- parsing ---------------------------------------------------------------------------

#[test]
fn batch_with_known_and_unknown_types_parses_in_order() {
    let envelope = webhooks::parse(
        &[SECRET_NEW, SECRET_OLD],
        BATCH_BODY.as_bytes(),
        Some(SIG_OLD),
    )
    .unwrap();
    let ids: Vec<&str> = envelope.ids().collect();
    assert_eq!(ids, ["evt-order-1", "evt-new-2", "evt-acct-3"]);

    let order = &envelope.events[0];
    assert_eq!(order.event_type, "order.completed");
    assert_eq!(order.live, Some(false));
    assert_eq!(order.processed, Some(false));
    assert_eq!(
        order.created.as_ref().and_then(|c| c.get()),
        Some(1_426_560_444_800)
    );
    match order.decoded() {
        Some(EventData::OrderCompleted(order)) => {
            assert_eq!(order.id, "ord-1");
            assert_eq!(
                order.total.as_ref().map(|t| t.to_string()).as_deref(),
                Some("19.99")
            );
            // Without webhook expansion the account is its ID.
            assert!(
                matches!(&order.account, Some(fastspring_api::orders::OrderAccount::Id(id)) if id == "acc-1")
            );
        }
        other => panic!("expected OrderCompleted, got {other:?}"),
    }

    let unknown = &envelope.events[1];
    match &unknown.data {
        Ok(EventData::Unknown { event_type, data }) => {
            assert_eq!(event_type, "invoice.paid.someday");
            assert_eq!(data, &json!({"invoice": "inv-9", "amount": 5}));
        }
        other => panic!("expected Unknown, got {other:?}"),
    }
    assert_eq!(unknown.raw["data"]["invoice"], "inv-9");

    match envelope.events[2].decoded() {
        Some(EventData::AccountCreated(account)) => {
            assert_eq!(
                account.contact.as_ref().and_then(|c| c.email.as_deref()),
                Some("ada@example.com")
            );
        }
        other => panic!("expected AccountCreated, got {other:?}"),
    }
    assert_eq!(envelope.events[2].live, Some(true));
}

#[test]
fn expanded_nested_objects_decode_as_well_as_ids() {
    let body = json!({"events": [{
        "id": "evt-x", "type": "order.completed", "live": true, "processed": false, "created": 1,
        "data": {"id": "ord-2", "account": {"id": "acc-2", "account": "acc-2", "contact": {"email": "b@example.com"}}}
    }]});
    let envelope = Envelope::parse_unverified(body.to_string().as_bytes()).unwrap();
    match envelope.events[0].decoded() {
        Some(EventData::OrderCompleted(order)) => match &order.account {
            Some(fastspring_api::orders::OrderAccount::Expanded(account)) => {
                assert_eq!(account.id.as_deref(), Some("acc-2"));
            }
            other => panic!("expected an expanded account, got {other:?}"),
        },
        other => panic!("expected OrderCompleted, got {other:?}"),
    }
}

#[test]
fn a_known_event_with_bad_data_does_not_lose_the_rest_of_the_batch() {
    let body = json!({"events": [
        {"id": "good-1", "type": "account.created", "live": false, "processed": false, "created": 1, "data": {"id": "acc-1", "account": "acc-1"}},
        {"id": "bad-2", "type": "order.completed", "live": false, "processed": false, "created": 2, "data": {"id": "ord-1", "items": {"product": "nineteen"}}},
        {"id": "good-3", "type": "account.updated", "live": false, "processed": false, "created": 3, "data": {"id": "acc-1", "account": "acc-1"}}
    ]});
    let envelope = Envelope::parse_unverified(body.to_string().as_bytes()).unwrap();
    assert_eq!(envelope.events.len(), 3);
    assert!(matches!(
        envelope.events[0].decoded(),
        Some(EventData::AccountCreated(_))
    ));
    assert!(matches!(
        envelope.events[2].decoded(),
        Some(EventData::AccountUpdated(_))
    ));
    let bad = &envelope.events[1];
    let err = bad.data.as_ref().unwrap_err();
    assert_eq!(err.event_type, "order.completed");
    // A structure where a list is documented (an unreadable amount would be kept).
    assert_eq!(err.path, "items");
    assert!(err.message.contains("map"), "{}", err.message);
    // The raw JSON is kept for logging or later replay.
    assert_eq!(bad.raw["data"]["items"]["product"], "nineteen");

    // Acknowledging the two good ones gives a 202 listing them.
    let mut ack = Acknowledgement::new(&envelope);
    for event in &envelope.events {
        if event.data.is_ok() {
            ack.mark_processed(&event.id);
        }
    }
    assert_eq!(ack.response().status, 202);
    assert_eq!(ack.response().body, "good-1\ngood-3");
}

#[test]
fn bodies_that_are_not_envelopes_are_refused_with_the_reason() {
    let cases: [(&str, &str); 5] = [
        ("not json", "not JSON"),
        ("[1,2]", "the body is not a JSON object"),
        (r#"{"event":[]}"#, "no `events` array"),
        (
            r#"{"events":[{"type":"order.completed","data":{}}]}"#,
            "/events/0: .: missing field `id`",
        ),
        (
            r#"{"events":[{"id":"a","type":"account.created","data":{}},{"id":"b","data":{}}]}"#,
            "/events/1: .: missing field `type`",
        ),
    ];
    for (body, expected) in cases {
        match Envelope::parse_unverified(body.as_bytes()) {
            Err(err @ WebhookError::InvalidBody { .. }) => {
                assert!(err.to_string().contains(expected), "{body}: {err}");
                assert_eq!(err.http_status(), 400);
            }
            other => panic!("{body}: expected InvalidBody, got {other:?}"),
        }
    }
    // An empty batch is a valid envelope.
    assert!(
        Envelope::parse_unverified(br#"{"events":[]}"#)
            .unwrap()
            .events
            .is_empty()
    );
}

/// The published webhook payloads kept beside the spec (`api-spec/examples/webhooks/`).
fn webhook_examples_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../api-spec/examples/webhooks");
    assert!(
        dir.is_dir(),
        "webhook examples not found at {}",
        dir.display()
    );
    dir
}

/// Event type from a file name `<type>[.N].json`.
fn type_from_file_name(name: &str) -> String {
    let stem = name.strip_suffix(".json").unwrap();
    match stem.rsplit_once('.') {
        Some((head, n)) if n.chars().all(|c| c.is_ascii_digit()) => head.to_string(),
        _ => stem.to_string(),
    }
}

#[test]
fn every_published_webhook_example_parses_into_typed_events() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(webhook_examples_dir())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 14,
        "only {} JSON examples found",
        files.len()
    );

    let mut problems = Vec::new();
    let mut checked_events = 0;
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let raw = std::fs::read(path).unwrap();
        let value: Value = serde_json::from_slice(&raw).unwrap_or_else(|e| panic!("{name}: {e}"));
        let file_type = type_from_file_name(&name);
        // Detect the shape: whole POST body, one event object, or only `data`.
        let events: Vec<Event> = if value.get("events").is_some() {
            match Envelope::parse_unverified(&raw) {
                Ok(envelope) => envelope.events,
                Err(err) => {
                    problems.push(format!("{}: envelope: {err}", path.display()));
                    continue;
                }
            }
        } else if value.get("type").is_some() && value.get("data").is_some() {
            match Event::from_json(value) {
                Ok(event) => vec![event],
                Err(err) => {
                    problems.push(format!("{}: event: {err}", path.display()));
                    continue;
                }
            }
        } else {
            let wrapped =
                json!({"id": format!("example:{name}"), "type": file_type, "data": value});
            vec![Event::from_json(wrapped).unwrap()]
        };
        assert!(!events.is_empty(), "{name}: no events");
        for event in events {
            checked_events += 1;
            if event.event_type != file_type {
                problems.push(format!(
                    "{}: event type {} in a file named for {file_type}",
                    path.display(),
                    event.event_type
                ));
            }
            match &event.data {
                Ok(EventData::Unknown { event_type, .. }) => problems.push(format!(
                    "{}: event type `{event_type}` is not in the spec (EventData::KNOWN_TYPES), so it stays Unknown",
                    path.display()
                )),
                Ok(_) => {}
                Err(err) => problems.push(format!("{}: {err}", path.display())),
            }
        }
    }
    assert!(checked_events >= files.len());
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

// --- acknowledgement -------------------------------------------------------------------

#[test]
fn acknowledgement_all_processed_is_200_with_an_empty_body() {
    let envelope = Envelope::parse_unverified(BATCH_BODY.as_bytes()).unwrap();
    let mut ack = Acknowledgement::new(&envelope);
    for id in ["evt-acct-3", "evt-order-1", "evt-new-2"] {
        assert!(ack.mark_processed(id));
    }
    let response = ack.response();
    assert_eq!(response.status, 200);
    assert_eq!(response.body.as_bytes(), b"");
    assert_eq!(response.content_type, "text/plain; charset=utf-8");
    assert_eq!(response.status_code(), StatusCode::OK);

    let mut all = Acknowledgement::new(&envelope);
    all.mark_all_processed();
    assert_eq!(all.response(), response);
}

#[test]
fn acknowledgement_some_processed_is_202_with_ids_one_per_line_in_delivery_order() {
    let mut ack = Acknowledgement::for_ids(["evt-a", "evt-b", "evt-c", "evt-d"]);
    // Marked out of order and twice: the body follows delivery order, each ID once.
    ack.mark_processed("evt-c");
    ack.mark_processed("evt-a");
    ack.mark_processed("evt-c");
    // Not part of this delivery: refused, not listed.
    assert!(!ack.mark_processed("evt-zzz"));
    let response = ack.response();
    assert_eq!(response.status, 202);
    assert_eq!(response.body.as_bytes(), b"evt-a\nevt-c");
    assert_eq!(response.content_type, ACK_CONTENT_TYPE);
    assert_eq!(response.status_code(), StatusCode::ACCEPTED);
    assert!(ack.is_processed("evt-a") && !ack.is_processed("evt-b"));

    let mut one = Acknowledgement::for_ids(["evt-a", "evt-b"]);
    one.mark_processed("evt-b");
    assert_eq!(one.response().body.as_bytes(), b"evt-b");
}

#[test]
fn acknowledgement_none_processed_is_500_so_fastspring_retries_everything() {
    let ack = Acknowledgement::for_ids(["evt-a", "evt-b"]);
    let response = ack.response();
    assert_eq!(response.status, 500);
    assert_eq!(response.body, NONE_PROCESSED_BODY);
    assert_eq!(
        response.body.as_bytes(),
        b"no event of this delivery was processed"
    );

    // An empty delivery has nothing left to do: 200.
    let empty = Acknowledgement::for_ids(Vec::<String>::new());
    assert_eq!(empty.response().status, 200);
}

// --- duplicates ------------------------------------------------------------------------

#[tokio::test]
async fn a_retried_delivery_is_acknowledged_without_running_the_handler_again() {
    // The same envelope delivered twice (FastSpring's retry after a lost 200): the
    // second time every event is done in the claim store and is acknowledged unhandled.
    let claims = MemoryClaims::new(100);
    let mut handled = Vec::new();
    for _delivery in 0..2 {
        let envelope = webhooks::parse(SECRET_OLD, BATCH_BODY.as_bytes(), Some(SIG_OLD)).unwrap();
        let (ack, failures) = webhooks::handle_events(
            &claims,
            &envelope.events,
            webhooks::DEFAULT_LEASE,
            |event| {
                handled.push(event.id.clone());
                async { Ok::<(), String>(()) }
            },
        )
        .await;
        assert!(failures.is_empty());
        assert_eq!(ack.response().status, 200);
    }
    assert_eq!(handled, ["evt-order-1", "evt-new-2", "evt-acct-3"]);
}

// --- loopback FastSpring for /events and /webhooks/keys --------------------------------

#[derive(Default)]
struct FakeFastSpring {
    /// Stored unprocessed events, oldest first.
    unprocessed: Vec<Value>,
    /// At most this many events per list call.
    page_size: usize,
    /// Always answer `more: true` (to exercise the loop guard).
    always_more: bool,
    /// Event IDs whose `POST /events/{id}` answers 500.
    refuse_marking: Vec<String>,
    /// Query strings of `GET /events/unprocessed`, in order.
    list_queries: Vec<Vec<(String, String)>>,
    /// `(event id, body)` of every `POST /events/{id}`, in order.
    marks: Vec<(String, Value)>,
    /// Bodies of `POST /webhooks/keys`.
    key_rotations: VecDeque<Value>,
}

type Shared = Arc<Mutex<FakeFastSpring>>;

async fn list_unprocessed(
    State(state): State<Shared>,
    Query(query): Query<Vec<(String, String)>>,
) -> Json<Value> {
    let mut fake = state.lock().unwrap();
    fake.list_queries.push(query);
    let page: Vec<Value> = fake
        .unprocessed
        .iter()
        .take(fake.page_size)
        .cloned()
        .collect();
    let more = fake.always_more || fake.unprocessed.len() > fake.page_size;
    Json(json!({
        "action": "events.get", "result": "success", "page": null, "limit": null,
        "nextPage": null, "total": 0, "more": more, "events": page
    }))
}

async fn mark_event(
    State(state): State<Shared>,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    let mut fake = state.lock().unwrap();
    fake.marks.push((id.clone(), body.clone()));
    if fake.refuse_marking.contains(&id) {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"error": "boom"})),
        );
    }
    let Some(position) = fake.unprocessed.iter().position(|e| e["id"] == id.as_str()) else {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"action": "event.update", "result": "error"})),
        );
    };
    if body == json!({"processed": true}) {
        let mut event = fake.unprocessed.remove(position);
        event["processed"] = json!(true);
        return (StatusCode::OK, Json(event));
    }
    (StatusCode::BAD_REQUEST, Json(json!({"result": "error"})))
}

async fn rotate_key(State(state): State<Shared>, Json(body): Json<Value>) -> Json<Value> {
    let url = body["url"].clone();
    state.lock().unwrap().key_rotations.push_back(body);
    Json(json!({"url": url, "action": "webhooks.update", "result": "success"}))
}

async fn serve(fake: FakeFastSpring) -> (Client, Shared) {
    let state: Shared = Arc::new(Mutex::new(fake));
    let app = Router::new()
        .route("/events/unprocessed", get(list_unprocessed))
        .route("/events/{id}", post(mark_event))
        .route("/webhooks/keys", post(rotate_key))
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let client = Client::builder()
        .credentials("user", "pass")
        .user_agent("webhooks-test/1.0")
        .base_url(format!("http://{addr}"))
        .no_proxy()
        .retry_policy(RetryPolicy::never())
        .rate_limit(None)
        .build()
        .unwrap();
    (client, state)
}

fn stored_event(id: &str, event_type: &str, created: i64) -> Value {
    json!({"id": id, "event": id, "type": event_type, "live": false, "processed": false,
           "created": created, "data": {"id": format!("res-{id}"), "account": format!("res-{id}")}})
}

#[tokio::test]
async fn reconcile_pages_until_more_is_false_and_marks_only_handled_events() {
    let fake = FakeFastSpring {
        unprocessed: vec![
            stored_event("e1", "order.completed", 1),
            stored_event("e2", "order.completed", 2),
            stored_event("e3", "account.created", 3),
            stored_event("e4", "some.future.event", 4),
            stored_event("e5", "account.updated", 5),
        ],
        page_size: 3,
        ..FakeFastSpring::default()
    };
    let (client, state) = serve(fake).await;

    let calls = Arc::new(Mutex::new(Vec::new()));
    let seen = calls.clone();
    let report = webhooks::reconcile_unprocessed(&client, &MemoryClaims::new(100))
        .run(move |event: Event| {
            let calls = seen.clone();
            async move {
                calls.lock().unwrap().push((
                    event.id.clone(),
                    event.decoded().map(|d| d.event_type().to_string()),
                ));
                match event.id.as_str() {
                    "e2" => Err("warehouse unavailable"),
                    "e5" => Err("account locked"),
                    _ => Ok(()),
                }
            }
        })
        .await
        .unwrap();

    // Every event handed over exactly once (e2 is listed twice), typed.
    let calls = calls.lock().unwrap().clone();
    assert_eq!(
        calls,
        [
            ("e1".to_string(), Some("order.completed".to_string())),
            ("e2".to_string(), Some("order.completed".to_string())),
            ("e3".to_string(), Some("account.created".to_string())),
            ("e4".to_string(), Some("some.future.event".to_string())),
            ("e5".to_string(), Some("account.updated".to_string())),
        ]
    );
    assert_eq!(report.handled, ["e1", "e3", "e4"]);
    let failed: Vec<(&str, String)> = report
        .failed
        .iter()
        .map(|f| match &f.reason {
            ReconcileFailureReason::Handler(reason) => (f.event_id.as_str(), reason.clone()),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(
        failed,
        [
            ("e2", "warehouse unavailable".to_string()),
            ("e5", "account locked".to_string())
        ]
    );
    assert_eq!(report.failed[0].event_type, "order.completed");
    assert!(report.skipped.is_empty());
    assert_eq!(report.rounds, 2);
    assert!(report.complete);

    let fake = state.lock().unwrap();
    // What went over the wire: two list calls over the default 30-day window, and a
    // `{"processed": true}` only for the handled events.
    let window = vec![("days".to_string(), "30".to_string())];
    assert_eq!(fake.list_queries, [window.clone(), window]);
    let marks: Vec<(&str, &Value)> = fake
        .marks
        .iter()
        .map(|(id, body)| (id.as_str(), body))
        .collect();
    let processed = json!({"processed": true});
    assert_eq!(
        marks,
        [("e1", &processed), ("e3", &processed), ("e4", &processed)]
    );
    let left: Vec<&str> = fake
        .unprocessed
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(left, ["e2", "e5"]);
}

#[tokio::test]
async fn reconcile_stops_when_a_round_marks_nothing() {
    let fake = FakeFastSpring {
        unprocessed: vec![
            stored_event("e1", "order.completed", 1),
            stored_event("e2", "order.completed", 2),
        ],
        page_size: 25,
        always_more: true,
        ..FakeFastSpring::default()
    };
    let (client, state) = serve(fake).await;
    let report = webhooks::reconcile_unprocessed(&client, &MemoryClaims::new(100))
        .days(7)
        .run(|_event| async { Err::<(), _>("down") })
        .await
        .unwrap();
    assert_eq!(report.rounds, 1, "the same page would come back forever");
    assert!(!report.complete);
    assert_eq!(report.failed.len(), 2);
    let fake = state.lock().unwrap();
    assert!(fake.marks.is_empty());
    assert_eq!(
        fake.list_queries,
        [vec![("days".to_string(), "7".to_string())]]
    );
}

#[tokio::test]
async fn reconcile_claims_each_event_in_the_receivers_store() {
    // e1 was handled by a receiver (done in the store) but its acknowledgement was lost;
    // a receiver is handling e2 right now; e3 is new.
    let fake = FakeFastSpring {
        unprocessed: (1..=3)
            .map(|i| stored_event(&format!("e{i}"), "order.completed", i))
            .collect(),
        page_size: 25,
        ..FakeFastSpring::default()
    };
    let (client, state) = serve(fake).await;
    let claims = MemoryClaims::new(100);
    let webhooks::Claim::Acquired(e1) = claims.try_claim("e1", webhooks::DEFAULT_LEASE) else {
        panic!("e1 is free");
    };
    assert_eq!(claims.try_complete(&e1), webhooks::Settled::Applied);
    assert!(
        claims
            .try_claim("e2", webhooks::DEFAULT_LEASE)
            .is_acquired()
    );
    let handled = Arc::new(Mutex::new(Vec::new()));
    let log = handled.clone();
    let report = webhooks::reconcile_unprocessed(&client, &claims)
        .run(move |event: Event| {
            log.lock().unwrap().push(event.id);
            async { Ok::<(), String>(()) }
        })
        .await
        .unwrap();
    assert_eq!(
        *handled.lock().unwrap(),
        ["e3"],
        "only the free event is handled"
    );
    assert_eq!(report.handled, ["e3"]);
    assert_eq!(report.already_done, ["e1"]);
    assert_eq!(report.busy, ["e2"]);
    assert!(claims.is_done("e3"));
    let marked: Vec<String> = state
        .lock()
        .unwrap()
        .marks
        .iter()
        .map(|(id, _)| id.clone())
        .collect();
    assert_eq!(
        marked,
        ["e1", "e3"],
        "done events are marked, the busy one is not"
    );
}

#[tokio::test]
async fn reconcile_reports_a_failed_mark_and_respects_the_round_limit() {
    let fake = FakeFastSpring {
        unprocessed: (1..=6)
            .map(|i| stored_event(&format!("e{i}"), "account.created", i))
            .collect(),
        page_size: 2,
        refuse_marking: vec!["e2".to_string()],
        ..FakeFastSpring::default()
    };
    let (client, state) = serve(fake).await;
    let report = webhooks::reconcile_unprocessed(&client, &MemoryClaims::new(100))
        .begin("2026-06-01")
        .end("2026-06-30")
        .max_rounds(2)
        .run(|_event| async { Ok::<(), String>(()) })
        .await
        .unwrap();
    // Round 1: e1 marked, e2 refused by the server. Round 2: e2 listed again (not
    // re-handled), e3 marked. Then the round limit.
    assert_eq!(report.handled, ["e1", "e3"]);
    assert_eq!(report.failed.len(), 1);
    assert_eq!(report.failed[0].event_id, "e2");
    match &report.failed[0].reason {
        ReconcileFailureReason::MarkProcessed(err) => assert_eq!(err.status(), Some(500)),
        other => panic!("expected MarkProcessed, got {other:?}"),
    }
    assert_eq!(report.rounds, 2);
    assert!(!report.complete);
    let fake = state.lock().unwrap();
    let window = vec![
        ("begin".to_string(), "2026-06-01".to_string()),
        ("end".to_string(), "2026-06-30".to_string()),
    ];
    assert_eq!(fake.list_queries, [window.clone(), window]);
    let marked: Vec<&str> = fake.marks.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(marked, ["e1", "e2", "e3"]);
}

#[tokio::test]
async fn reconcile_returns_the_partial_report_when_listing_fails() {
    // No server behind this port: the listing fails on the first round.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let client = Client::builder()
        .credentials("user", "pass")
        .user_agent("webhooks-test/1.0")
        .base_url(format!("http://{addr}"))
        .no_proxy()
        .retry_policy(RetryPolicy::never())
        .rate_limit(None)
        .build()
        .unwrap();
    let err = webhooks::reconcile_unprocessed(&client, &MemoryClaims::new(100))
        .run(|_event| async { Ok::<(), String>(()) })
        .await
        .unwrap_err();
    assert_eq!(err.report.rounds, 1);
    assert!(err.report.handled.is_empty());
    assert!(
        matches!(err.source, fastspring_api::Error::Transport { .. }),
        "{:?}",
        err.source
    );
}

// --- key rotation ----------------------------------------------------------------------

#[tokio::test]
async fn key_rotation_sends_url_and_new_secret_and_never_prints_the_secret() {
    use fastspring_api::webhook_keys::WebhookKeyRotateRequest;
    let (client, state) = serve(FakeFastSpring::default()).await;
    let new_secret = "n3w-S3cret-value-0123456789";
    let request = WebhookKeyRotateRequest::new(
        "https://shop.example.com/fastspring/webhooks".to_string(),
        Secret::new(new_secret),
    );
    assert!(!format!("{request:?}").contains(new_secret), "{request:?}");
    let builder = client.webhook_keys().rotate(request);
    let built = builder.build_request().unwrap();
    assert!(!format!("{builder:?} {built:?}").contains(new_secret));

    let response = builder.await.unwrap();
    assert_eq!(
        response.url.as_deref(),
        Some("https://shop.example.com/fastspring/webhooks")
    );
    assert!(!format!("{response:?}").contains(new_secret));
    let sent = state.lock().unwrap().key_rotations.pop_front().unwrap();
    assert_eq!(
        sent,
        json!({"url": "https://shop.example.com/fastspring/webhooks", "hmacSecret": new_secret})
    );

    // After rotating, a receiver listing [new, old] accepts both signatures.
    webhooks::verify(
        &[SECRET_NEW, SECRET_OLD],
        BATCH_BODY.as_bytes(),
        Some(SIG_NEW),
    )
    .unwrap();
    webhooks::verify(
        &[SECRET_NEW, SECRET_OLD],
        BATCH_BODY.as_bytes(),
        Some(SIG_OLD),
    )
    .unwrap();
}
