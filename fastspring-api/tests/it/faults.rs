//! The fault suite: a raw TCP server on loopback misbehaves in scripted ways (resets
//! before and in the middle of the body, truncated bodies, bodies slower than the
//! timeout, oversize bodies without `Content-Length`, 429 storms, 5xx bursts, 404s, a
//! redirect to another host). Every fault must surface as a typed error within the
//! configured bounds, a write must never be repeated unless the policy allows it, and
//! no credential may reach another host.
//!
//! Waits between retries go through the recording sleeper (nothing sleeps); the "slow
//! body" case relies on the per-attempt timeout, like a real caller would.

use crate::support;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fastspring_api::{Error, RetryPolicy};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the server does with one request.
#[derive(Debug, Clone)]
enum Fault {
    /// A complete answer.
    Reply {
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: Vec<u8>,
    },
    /// Headers announcing `announced` bytes, `sent` bytes of body, then a TCP reset.
    ResetAfter { announced: usize, sent: usize },
    /// Headers announcing `announced` bytes, `sent` bytes of body, then a clean close.
    TruncateAfter { announced: usize, sent: usize },
    /// Headers and part of the body, then nothing (the connection stays open).
    Stall,
    /// A chunked body of `total` bytes, no `Content-Length`.
    Chunked { total: usize },
}

fn ok_json(body: &str) -> Fault {
    Fault::Reply {
        status: 200,
        headers: vec![("content-type", "application/json".into())],
        body: body.as_bytes().to_vec(),
    }
}

fn status(code: u16) -> Fault {
    Fault::Reply {
        status: code,
        headers: vec![("content-type", "application/json".into())],
        body: br#"{"message":"fault"}"#.to_vec(),
    }
}

fn with_header(fault: Fault, name: &'static str, value: &str) -> Fault {
    match fault {
        Fault::Reply {
            status,
            mut headers,
            body,
        } => {
            headers.push((name, value.to_string()));
            Fault::Reply {
                status,
                headers,
                body,
            }
        }
        other => other,
    }
}

/// A request head as received.
#[derive(Debug, Clone)]
struct Seen {
    request_line: String,
    head: String,
}

struct FaultServer {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FaultServer {
    async fn start(script: impl IntoIterator<Item = Fault>) -> FaultServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let script = Arc::new(Mutex::new(script.into_iter().collect::<VecDeque<_>>()));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (s, v) = (script.clone(), seen.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let (s, v) = (s.clone(), v.clone());
                tokio::spawn(async move { serve(stream, s, v).await });
            }
        });
        FaultServer { url, seen, task }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

async fn serve(
    mut stream: TcpStream,
    script: Arc<Mutex<VecDeque<Fault>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
) {
    // Read the head, then the body announced by Content-Length.
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let length = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    while buf.len() < head_end + length {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    seen.lock().unwrap().push(Seen {
        request_line: head.lines().next().unwrap_or_default().to_string(),
        head: head.clone(),
    });
    let fault = script.lock().unwrap().pop_front().unwrap_or(Fault::Reply {
        status: 418,
        headers: vec![],
        body: b"no scripted fault left".to_vec(),
    });
    let head_of = |status: u16, extra: &str| {
        format!(
            "HTTP/1.1 {status} X\r\nconnection: close\r\ncontent-type: application/json\r\n{extra}\r\n"
        )
    };
    match fault {
        Fault::Reply {
            status,
            headers,
            body,
        } => {
            let mut extra = format!("content-length: {}\r\n", body.len());
            for (k, v) in headers {
                extra.push_str(&format!("{k}: {v}\r\n"));
            }
            let _ = stream.write_all(head_of(status, &extra).as_bytes()).await;
            let _ = stream.write_all(&body).await;
            let _ = stream.shutdown().await;
        }
        Fault::ResetAfter { announced, sent } => {
            let extra = format!("content-length: {announced}\r\n");
            let _ = stream.write_all(head_of(200, &extra).as_bytes()).await;
            let _ = stream.write_all(&vec![b' '; sent]).await;
            let _ = stream.flush().await;
            // SO_LINGER 0: closing sends RST instead of FIN.
            let _ = stream.set_zero_linger();
            drop(stream);
        }
        Fault::TruncateAfter { announced, sent } => {
            let extra = format!("content-length: {announced}\r\n");
            let _ = stream.write_all(head_of(200, &extra).as_bytes()).await;
            let _ = stream.write_all(&vec![b' '; sent]).await;
            let _ = stream.shutdown().await;
        }
        Fault::Stall => {
            let _ = stream
                .write_all(head_of(200, "content-length: 100\r\n").as_bytes())
                .await;
            let _ = stream.write_all(b"{\"id\":").await;
            std::future::pending::<()>().await;
        }
        Fault::Chunked { total } => {
            let _ = stream
                .write_all(head_of(200, "transfer-encoding: chunked\r\n").as_bytes())
                .await;
            let piece = vec![b' '; 8192];
            let mut left = total;
            while left > 0 {
                let n = left.min(piece.len());
                let frame = format!("{n:x}\r\n");
                if stream.write_all(frame.as_bytes()).await.is_err()
                    || stream.write_all(&piece[..n]).await.is_err()
                    || stream.write_all(b"\r\n").await.is_err()
                {
                    return;
                }
                left -= n;
            }
            let _ = stream.write_all(b"0\r\n\r\n").await;
        }
    }
}

const SUB: &str = r#"{"id":"sub-1","subscription":"sub-1","active":true,"state":"active","product":"p","quantity":1}"#;

fn client(server: &FaultServer) -> support::TestClient {
    client_with(server, |b| b)
}

fn client_with(
    server: &FaultServer,
    adjust: impl FnOnce(fastspring_api::ClientBuilder) -> fastspring_api::ClientBuilder,
) -> support::TestClient {
    let clock = support::FakeClock::new();
    let sleeper = support::RecordingSleeper::new(clock.clone());
    let builder = fastspring_api::Client::builder()
        .credentials(support::USER, support::PASSWORD)
        .user_agent(support::APP)
        .base_url(server.url.as_str())
        .no_proxy()
        .rate_limit(None)
        .timeout(Duration::from_secs(5))
        .clock(clock.clone())
        .sleeper(sleeper.clone());
    support::TestClient {
        client: adjust(builder).build().unwrap(),
        sleeper,
        clock,
    }
}

/// Asserts the waits stayed within the default policy's budgets.
fn within_budget(t: &support::TestClient) {
    let slept = t.sleeper.slept();
    let policy = RetryPolicy::default();
    assert!(slept.len() < policy.max_attempts as usize, "{slept:?}");
    assert!(
        slept.iter().sum::<Duration>() <= policy.max_total_wait,
        "{slept:?}"
    );
}

#[tokio::test]
async fn a_get_survives_a_reset_before_the_body_a_reset_mid_body_and_a_truncated_body() {
    let server = FaultServer::start([
        Fault::ResetAfter {
            announced: 200,
            sent: 0,
        },
        Fault::ResetAfter {
            announced: 200,
            sent: 60,
        },
        Fault::TruncateAfter {
            announced: 200,
            sent: 60,
        },
        ok_json(SUB),
    ])
    .await;
    let t = client(&server);
    t.client.subscriptions().get("sub-1").await.unwrap();
    assert_eq!(server.seen().len(), 4);
    within_budget(&t);
}

#[tokio::test]
async fn a_get_that_keeps_breaking_ends_in_a_transport_error() {
    let server = FaultServer::start((0..4).map(|_| Fault::ResetAfter {
        announced: 200,
        sent: 10,
    }))
    .await;
    let t = client(&server);
    let error = t.client.subscriptions().get("sub-1").await.unwrap_err();
    assert!(matches!(error, Error::Transport { .. }), "{error:?}");
    assert!(error.is_retryable());
    assert_eq!(server.seen().len(), 4);
    within_budget(&t);
}

#[tokio::test]
async fn a_post_whose_answer_breaks_off_is_never_sent_again() {
    for fault in [
        Fault::ResetAfter {
            announced: 200,
            sent: 0,
        },
        Fault::ResetAfter {
            announced: 200,
            sent: 60,
        },
        Fault::TruncateAfter {
            announced: 200,
            sent: 60,
        },
        status(500),
        status(503),
    ] {
        let server = FaultServer::start([fault.clone(), ok_json("{}")]).await;
        let t = client(&server);
        let error = t
            .client
            .subscriptions()
            .charge(support::charge_body())
            .await
            .unwrap_err();
        assert!(
            matches!(error, Error::Transport { .. } | Error::Api { .. }),
            "{fault:?}: {error:?}"
        );
        assert_eq!(server.seen().len(), 1, "{fault:?} was repeated");
        assert!(t.sleeper.slept().is_empty());
    }
}

#[tokio::test]
async fn a_body_slower_than_the_timeout_is_a_timeout_and_a_post_is_not_repeated() {
    let server = FaultServer::start([Fault::Stall, Fault::Stall]).await;
    let t = client_with(&server, |b| {
        b.timeout(Duration::from_millis(300))
            .retry_policy(RetryPolicy {
                max_attempts: 2,
                ..RetryPolicy::default()
            })
    });
    let error = t.client.subscriptions().get("sub-1").await.unwrap_err();
    assert!(matches!(error, Error::Timeout { .. }), "{error:?}");
    assert_eq!(server.seen().len(), 2, "a GET is tried again");

    let server = FaultServer::start([Fault::Stall, Fault::Stall]).await;
    let t = client_with(&server, |b| b.timeout(Duration::from_millis(300)));
    let error = t
        .client
        .subscriptions()
        .charge(support::charge_body())
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Timeout { .. }), "{error:?}");
    assert_eq!(server.seen().len(), 1, "a POST that timed out may have run");
}

/// The per-request options every builder has (`request_builder!`): `.timeout()` overrides
/// the client's, and `.options()` replaces them all.
#[tokio::test]
async fn a_request_timeout_overrides_the_clients() {
    // The client would wait 5 s; this request waits 300 ms, and is not retried.
    let server = FaultServer::start([Fault::Stall]).await;
    let t = client_with(&server, |b| {
        b.retry_policy(RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        })
    });
    let started = std::time::Instant::now();
    let error = t
        .client
        .subscriptions()
        .get("sub-1")
        .timeout(Duration::from_millis(300))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Timeout { .. }), "{error:?}");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );

    let server = FaultServer::start([Fault::Stall]).await;
    let t = client_with(&server, |b| {
        b.retry_policy(RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        })
    });
    let mut options = fastspring_api::RequestOptions::default();
    options.timeout = Some(Duration::from_millis(300));
    let started = std::time::Instant::now();
    let error = t
        .client
        .subscriptions()
        .get("sub-1")
        .options(options)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Timeout { .. }), "{error:?}");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn an_oversize_chunked_body_stops_at_the_limit() {
    let server = FaultServer::start([Fault::Chunked { total: 4 << 20 }]).await;
    let t = client_with(&server, |b| b.max_response_bytes(1 << 20));
    let error = t.client.subscriptions().get("sub-1").await.unwrap_err();
    assert!(
        matches!(error, Error::ResponseTooLarge { limit: 1048576, .. }),
        "{error:?}"
    );
    assert_eq!(server.seen().len(), 1, "not retried");
}

#[tokio::test]
async fn a_429_storm_with_and_without_retry_after_stays_within_the_budgets() {
    let server = FaultServer::start(vec![
        with_header(status(429), "retry-after", "7"),
        status(429),
        with_header(status(429), "retry-after", "1e30"),
        status(429),
    ])
    .await;
    let t = client(&server);
    let error = t.client.subscriptions().get("sub-1").await.unwrap_err();
    assert!(matches!(error, Error::RateLimited { .. }), "{error:?}");
    within_budget(&t);
    let slept = t.sleeper.slept();
    assert!(slept[0] >= Duration::from_secs(7), "{slept:?}");

    let server = FaultServer::start((0..10).map(|_| status(429))).await;
    let t = client(&server);
    let error = t.client.subscriptions().get("sub-1").await.unwrap_err();
    assert!(matches!(error, Error::RateLimited { .. }), "{error:?}");
    assert_eq!(server.seen().len(), 4, "max_attempts");
    within_budget(&t);
}

#[tokio::test]
async fn a_5xx_burst_is_ridden_out_by_a_get() {
    let server = FaultServer::start([status(502), status(503), status(500), ok_json(SUB)]).await;
    let t = client(&server);
    t.client.subscriptions().get("sub-1").await.unwrap();
    assert_eq!(server.seen().len(), 4);
    within_budget(&t);
}

#[tokio::test]
async fn a_404_is_final() {
    let server = FaultServer::start([status(404), ok_json(SUB)]).await;
    let t = client(&server);
    let error = t.client.subscriptions().get("sub-1").await.unwrap_err();
    assert_eq!(error.status(), Some(404));
    assert!(matches!(error, Error::Api { .. }));
    assert_eq!(server.seen().len(), 1);
}

#[tokio::test]
async fn a_redirect_to_another_host_is_not_followed_and_no_credential_leaves() {
    let elsewhere = FaultServer::start([ok_json(SUB)]).await;
    let location = format!(
        "{}/subscriptions/sub-1",
        elsewhere.url.replace("127.0.0.1", "localhost")
    );
    let server = FaultServer::start([
        with_header(status(302), "location", &location),
        with_header(status(307), "location", &location),
    ])
    .await;
    let t = client(&server);
    let error = t.client.subscriptions().get("sub-1").await.unwrap_err();
    assert_eq!(error.status(), Some(302), "{error:?}");
    let error = t
        .client
        .subscriptions()
        .charge(support::charge_body())
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(307), "{error:?}");
    assert!(elsewhere.seen().is_empty(), "the other host got a request");
    let token = support::basic_token();
    for seen in server.seen() {
        assert!(seen.head.contains(&token), "{}", seen.request_line);
    }
    assert!(!format!("{error:?}{error}").contains(&token));
}
