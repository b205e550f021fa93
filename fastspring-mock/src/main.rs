//! `cargo run -p fastspring-mock -- --port 8080 [--webhook-url URL --webhook-secret SECRET]`:
//! serves the mock on 127.0.0.1 until Ctrl-C.

use std::process::ExitCode;

const USAGE: &str = "usage: fastspring-mock [--port PORT] [--webhook-url URL --webhook-secret SECRET] [--rate-limit] [--start-time TIME]

  --port PORT             listen on 127.0.0.1:PORT (default 8080; 0 picks a free port)
  --webhook-url URL       deliver events (subscription changes, POST /mock/admin/events) there
  --webhook-secret SECRET sign deliveries with X-FS-Signature under this secret
  --rate-limit            enforce FastSpring's 250 requests per minute
  --start-time TIME       start the mock's clock there (RFC 3339, 2025-01-31T00:00:00Z, or epoch ms);
                          it then moves only with POST /mock/admin/clock";

fn parse(args: &[String]) -> Result<fastspring_mock::MockBuilder, String> {
    let mut builder = fastspring_mock::MockServer::builder().port(8080);
    let (mut url, mut secret) = (None, None);
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        let mut value = |name: &str| {
            iter.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match arg.as_str() {
            "--port" => {
                let port = value("--port")?;
                builder = builder.port(
                    port.parse()
                        .map_err(|_| format!("--port: `{port}` is not a port number"))?,
                );
            }
            "--webhook-url" => url = Some(value("--webhook-url")?),
            "--webhook-secret" => secret = Some(value("--webhook-secret")?),
            "--rate-limit" => builder = builder.rate_limit(fastspring_mock::FASTSPRING_RATE_LIMIT),
            "--start-time" => {
                let text = value("--start-time")?;
                let at = match text.parse::<i64>() {
                    Ok(ms) => jiff::Timestamp::from_millisecond(ms).map_err(|e| e.to_string()),
                    Err(_) => text.parse::<jiff::Timestamp>().map_err(|e| e.to_string()),
                }
                .map_err(|e| format!("--start-time: `{text}` is not a time: {e}"))?;
                builder = builder.start_time(at);
            }
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    match (url, secret) {
        (Some(url), Some(secret)) => builder = builder.webhook(url, secret),
        (None, None) => {}
        _ => return Err("--webhook-url and --webhook-secret go together".into()),
    }
    Ok(builder)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let builder = match parse(&args) {
        Ok(builder) => builder,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("error: {message}");
            }
            eprintln!("{USAGE}");
            return if message.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            };
        }
    };
    let mock = match builder.start().await {
        Ok(mock) => mock,
        Err(e) => {
            eprintln!("error: cannot start the mock: {e}");
            return ExitCode::FAILURE;
        }
    };
    let url = mock.base_url();
    println!(
        "fastspring-mock serving {} operations at {url}",
        fastspring_mock::spec::spec().routes.len()
    );
    println!(
        "try it:  FASTSPRING_API_BASE_URL={url} FASTSPRING_API_USERNAME=user FASTSPRING_API_PASSWORD=pass cargo run -p fastspring-api --example recent_orders"
    );
    println!("admin:   curl {url}/mock/admin");
    println!(
        "clock:   {}  (advance: curl -d '{{\"advance\": \"P1M\"}}' {url}/mock/admin/clock)",
        mock.now()
    );
    println!("stop with Ctrl-C");
    let _ = tokio::signal::ctrl_c().await;
    mock.shutdown().await;
    ExitCode::SUCCESS
}
