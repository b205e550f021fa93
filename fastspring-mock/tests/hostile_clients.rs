//! The mock under hostile clients and receivers (security review 2, S1 and S3–S5): web
//! pages (wrong `Host`, foreign `Origin`, `text/plain` writes), receivers that answer
//! forever or redirect, retries that outlive the mock, and half-sent requests.
//! Raw TCP on loopback, so every header is exactly what a browser or attacker would send.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use fastspring_mock::{MockServer, Seed};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Sends `head` (request line and headers, without the blank line) and `body` on a new
/// connection with `Connection: close`; returns the status and the whole answer.
async fn raw(mock: &MockServer, head: &str, body: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(mock.addr()).await.unwrap();
    let request = format!(
        "{head}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, answer)
}

fn host(mock: &MockServer) -> String {
    format!("Host: 127.0.0.1:{}", mock.addr().port())
}

// ---- S1: Host, Origin, Content-Type ----

#[tokio::test]
async fn requests_naming_another_host_are_refused_on_admin_and_api_routes() {
    let mock = MockServer::start().await;
    let port = mock.addr().port();
    let rebound = format!("Host: attacker.example:{port}");
    for target in [
        "GET /mock/admin/state/accounts HTTP/1.1",
        "GET /accounts HTTP/1.1",
    ] {
        let (status, answer) = raw(
            &mock,
            &format!("{target}\r\n{rebound}\r\nUser-Agent: t\r\nAuthorization: Basic dTpw"),
            "",
        )
        .await;
        assert_eq!(status, 403, "{target}: {answer}");
        assert!(answer.contains("Host must be"), "{answer}");
    }
    // Another port on loopback is another origin too.
    let (status, _) = raw(
        &mock,
        &format!(
            "GET /mock/admin HTTP/1.1\r\nHost: 127.0.0.1:{}",
            port.wrapping_add(1)
        ),
        "",
    )
    .await;
    assert_eq!(status, 403);
    // No Host at all (HTTP/1.0) is refused as well.
    let (status, _) = raw(&mock, "GET /mock/admin HTTP/1.0", "").await;
    assert_eq!(status, 403);
    // The mock's own names pass.
    for own in [
        host(&mock),
        format!("Host: localhost:{port}"),
        format!("Host: [::1]:{port}"),
    ] {
        let (status, answer) = raw(&mock, &format!("GET /mock/admin HTTP/1.1\r\n{own}"), "").await;
        assert_eq!(status, 200, "{own}: {answer}");
    }
}

#[tokio::test]
async fn a_web_page_cannot_emit_a_signed_event_or_inject_a_fault() {
    let mock = MockServer::start().await;
    let before = mock.events().len();
    let forged = r#"{"type":"order.completed","data":{"id":"forged"}}"#;
    // `target` sent with the mock's own Host plus `headers`.
    let send = |target: &str, headers: &str, body: &'static str| {
        let head = format!("{target} HTTP/1.1\r\n{}\r\n{headers}", host(&mock));
        let mock = &mock;
        async move { raw(mock, &head, body).await }
    };
    let emit = "POST /mock/admin/events";
    // The review's reproduction: a no-cors `text/plain` POST from another origin.
    let (status, answer) = send(
        emit,
        "Origin: https://attacker.example\r\nContent-Type: text/plain",
        forged,
    )
    .await;
    assert_eq!(status, 403, "{answer}");
    assert!(answer.contains("other web origins"), "{answer}");
    for (headers, why) in [
        (
            "Origin: http://localhost:1\r\nContent-Type: application/json",
            "a foreign Origin, even with the JSON type",
        ),
        (
            "Sec-Fetch-Site: cross-site\r\nContent-Type: application/json",
            "a browser's cross-site fetch, by its Sec-Fetch-Site alone",
        ),
        // Without an Origin, the types a page may send without a preflight.
        ("Content-Type: text/plain", "text/plain"),
        (
            "Content-Type: application/x-www-form-urlencoded",
            "form data",
        ),
        ("Content-Type: multipart/form-data; boundary=x", "multipart"),
    ] {
        let (status, answer) = send(emit, headers, forged).await;
        assert_eq!(status, 403, "{why}: {answer}");
    }
    let (_, answer) = send(emit, "Content-Type: text/plain", forged).await;
    assert!(answer.contains("application/json"), "{answer}");
    let metadata = r#"{"url":"http://169.254.169.254/latest/meta-data/","secret":"x"}"#;
    for (target, body) in [
        ("POST /mock/admin/faults", r#"{"status": 500}"#),
        ("PUT /mock/admin/webhook", metadata),
    ] {
        let (status, _) = send(target, "Content-Type: text/plain", body).await;
        assert_eq!(status, 403, "{target}");
    }
    assert_eq!(mock.events().len(), before, "no event was recorded");

    // The mock's own origin with JSON is a program (or the mock's own page): allowed.
    let own = format!(
        "Origin: http://127.0.0.1:{}\r\nContent-Type: application/json; charset=utf-8",
        mock.addr().port()
    );
    let (status, answer) = send(emit, &own, forged).await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(mock.events().len(), before + 1);
}

#[tokio::test]
async fn ordinary_clients_pass_the_guard() {
    let mock = MockServer::start().await;
    // reqwest, by `localhost` and by address, JSON writes and reads.
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let by_name = format!("http://localhost:{}", mock.addr().port());
    for base in [mock.base_url(), by_name] {
        let emitted = http
            .post(format!("{base}/mock/admin/events"))
            .json(&serde_json::json!({"type": "order.completed"}))
            .send()
            .await
            .unwrap();
        assert_eq!(emitted.status(), 201, "{base}");
        let accounts = http
            .get(format!("{base}/accounts"))
            .header("user-agent", "t/1")
            .basic_auth("u", Some("p"))
            .send()
            .await
            .unwrap();
        assert_eq!(accounts.status(), 200, "{base}");
    }
    // The crate's own client.
    let client = mock.client();
    assert!(client.accounts().list().await.is_ok());
}

// ---- S3: receivers' answers bounded, no redirects ----

/// Reads one HTTP request (head and `Content-Length` body) from `stream`.
async fn read_request(stream: &mut TcpStream) -> String {
    let mut bytes = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        let n = stream.read(&mut buf).await.unwrap_or(0);
        if n == 0 {
            break;
        }
        bytes.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&bytes);
        if let Some(end) = text.find("\r\n\r\n") {
            let length: usize = text[..end]
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse().unwrap())
                })
                .unwrap_or(0);
            if bytes.len() >= end + 4 + length {
                break;
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// A receiver on loopback: counts requests and answers each with `answer`.
async fn receiver<F, Fut>(answer: F) -> (String, Arc<AtomicUsize>)
where
    F: Fn(TcpStream, String) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let answer = Arc::new(answer);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let request = read_request(&mut stream).await;
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn((answer.clone())(stream, request));
        }
    });
    (url, hits)
}

async fn answer_with(mut stream: TcpStream, text: &'static str) {
    let _ = stream.write_all(text.as_bytes()).await;
    let _ = stream.shutdown().await;
}

#[tokio::test]
async fn an_endless_answer_is_read_only_up_to_the_limit_and_its_ids_still_count() {
    let (url, _) = receiver(|mut stream, request: String| async move {
        // Acknowledge the delivered event on the first line, then never stop.
        let body = request.split_once("\r\n\r\n").unwrap().1;
        let delivery: serde_json::Value = serde_json::from_str(body).unwrap();
        let id = delivery["events"][0]["id"].as_str().unwrap().to_string();
        let first = format!("{id}\n");
        let head = "HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n";
        let _ = stream.write_all(head.as_bytes()).await;
        let chunk = |data: &str| format!("{:x}\r\n{data}\r\n", data.len());
        let _ = stream.write_all(chunk(&first).as_bytes()).await;
        let padding = chunk(&"x".repeat(64 * 1024));
        while stream.write_all(padding.as_bytes()).await.is_ok() {}
    })
    .await;
    let mock = mock_delivering_to(url, vec![]).await;
    let event = mock.emit("order.completed", None);
    // Without the limit the mock reads until its 30 s timeout and acknowledges nothing.
    let deliveries = tokio::time::timeout(Duration::from_secs(15), mock.wait_for_deliveries(1))
        .await
        .expect("the delivery ends once the limit is read");
    assert_eq!(deliveries[0].status, Some(202));
    assert_eq!(
        deliveries[0].acknowledged,
        vec![event["id"].as_str().unwrap().to_string()]
    );
    assert!(mock.unprocessed().is_empty());
}

#[tokio::test]
async fn a_redirecting_receiver_is_not_followed() {
    let (elsewhere, elsewhere_hits) =
        receiver(|stream, _| answer_with(stream, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
            .await;
    let location: &'static str = format!(
        "HTTP/1.1 307 Temporary Redirect\r\nLocation: {elsewhere}\r\nContent-Length: 0\r\n\r\n"
    )
    .leak();
    let (url, hits) = receiver(move |stream, _| answer_with(stream, location)).await;
    let mock = mock_delivering_to(url, vec![]).await;
    mock.emit("order.completed", None);
    let deliveries = mock.wait_for_deliveries(1).await;
    assert_eq!(deliveries[0].status, Some(307));
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    assert_eq!(
        elsewhere_hits.load(Ordering::SeqCst),
        0,
        "the signed body went to the redirect's target"
    );
    assert_eq!(mock.unprocessed().len(), 1);
}

// ---- S4: retries end with the mock ----

async fn refusing_receiver() -> (String, Arc<AtomicUsize>) {
    receiver(|stream, _| {
        answer_with(
            stream,
            "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n",
        )
    })
    .await
}

/// A mock delivering to `url` with these waits between attempts.
async fn mock_delivering_to(url: String, schedule: Vec<Duration>) -> MockServer {
    MockServer::builder()
        .webhook(url, "secret")
        .retry_schedule(schedule)
        .start()
        .await
        .unwrap()
}

async fn mock_retrying_every_100ms(url: String) -> MockServer {
    mock_delivering_to(url, vec![Duration::from_millis(100); 5]).await
}

#[tokio::test]
async fn retries_stop_at_shutdown() {
    let (url, hits) = refusing_receiver().await;
    let mock = mock_retrying_every_100ms(url).await;
    mock.emit("order.completed", None);
    mock.wait_for_deliveries(1).await;
    mock.shutdown().await;
    let after_shutdown = hits.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(hits.load(Ordering::SeqCst), after_shutdown);
    assert!(after_shutdown <= 2, "{after_shutdown}");
}

#[tokio::test]
async fn retries_stop_when_the_mock_is_dropped() {
    let (url, hits) = refusing_receiver().await;
    let mock = mock_retrying_every_100ms(url).await;
    mock.emit("order.completed", None);
    mock.wait_for_deliveries(1).await;
    drop(mock);
    let after_drop = hits.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(hits.load(Ordering::SeqCst), after_drop);
}

#[tokio::test]
async fn retries_stop_when_the_receiver_is_removed_and_follow_a_new_one() {
    let (url, hits) = refusing_receiver().await;
    let mock = mock_retrying_every_100ms(url).await;
    mock.emit("order.completed", None);
    mock.wait_for_deliveries(1).await;
    let (accepting, accepting_hits) =
        receiver(|stream, _| answer_with(stream, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
            .await;
    mock.set_webhook(Some((accepting, "secret".into())));
    let deliveries = mock.wait_for_deliveries(2).await;
    assert_eq!(
        deliveries[1].status,
        Some(200),
        "the retry went to the new receiver"
    );
    assert_eq!(accepting_hits.load(Ordering::SeqCst), 1);
    assert_eq!(hits.load(Ordering::SeqCst), 1);

    // A second event refused, then the receiver removed: no more attempts.
    let (url, hits) = refusing_receiver().await;
    mock.set_webhook(Some((url, "secret".into())));
    mock.emit("order.completed", None);
    mock.wait_for_deliveries(3).await;
    mock.set_webhook(None);
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

// ---- S5: header-read timeout and connection cap ----

#[tokio::test(start_paused = true)]
async fn a_half_sent_request_is_closed_after_the_header_timeout() {
    let mock = MockServer::start().await;
    let mut stream = TcpStream::connect(mock.addr()).await.unwrap();
    stream
        .write_all(format!("GET /accounts HTTP/1.1\r\n{}\r\n", host(&mock)).as_bytes())
        .await
        .unwrap();
    let started = tokio::time::Instant::now();
    let mut answer = Vec::new();
    // Paused time: the wait is virtual. Without a timer the connection stays open and
    // this read times out instead.
    let read = tokio::time::timeout(Duration::from_secs(120), stream.read_to_end(&mut answer))
        .await
        .expect("the mock closed the connection");
    assert!(read.is_ok() || answer.is_empty());
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(10) && waited <= Duration::from_secs(60),
        "{waited:?}"
    );
}

#[tokio::test]
async fn past_the_connection_cap_new_connections_wait_for_a_free_slot() {
    let mock = MockServer::builder()
        .seed(Seed::new())
        .start()
        .await
        .unwrap();
    let mut held = Vec::new();
    for _ in 0..256 {
        let mut stream = TcpStream::connect(mock.addr()).await.unwrap();
        stream
            .write_all(b"GET /mock/admin HTTP/1.1\r\n")
            .await
            .unwrap();
        held.push(stream);
    }
    let request = tokio::spawn({
        let head = format!("GET /mock/admin HTTP/1.1\r\n{}", host(&mock));
        let addr = mock.addr();
        async move {
            let mut stream = TcpStream::connect(addr).await.unwrap();
            let text = format!("{head}\r\nConnection: close\r\n\r\n");
            stream.write_all(text.as_bytes()).await.unwrap();
            let mut answer = String::new();
            stream.read_to_string(&mut answer).await.unwrap();
            answer
        }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!request.is_finished(), "a 257th connection was served");
    held.pop();
    let answer = tokio::time::timeout(Duration::from_secs(5), request)
        .await
        .expect("served once a slot is free")
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}
