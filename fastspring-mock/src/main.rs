//! `cargo run -p fastspring-mock -- --port 8080 [--webhook-url URL --webhook-secret SECRET]`:
//! serves the mock on 127.0.0.1 until Ctrl-C.

use std::process::ExitCode;
use std::time::Duration;

const USAGE: &str = "usage: fastspring-mock [--port PORT] [--webhook-url URL --webhook-secret SECRET] [--retry-schedule WAITS] [--rate-limit] [--start-time TIME]

  --port PORT             listen on 127.0.0.1:PORT (default 8080; 0 picks a free port)
  --webhook-url URL       deliver events (subscription changes, POST /mock/admin/events) there
  --webhook-secret SECRET sign deliveries with X-FS-Signature under this secret
  --retry-schedule WAITS  waits before each retry of an unacknowledged delivery, comma-separated
                          (500ms, 30s, 5m, 1h; a bare number is seconds): `0,0,0` retries three
                          times at once, `none` never retries; default FastSpring's (1h, 2h, 4h, 6h x3, 24h x6)
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
            "--retry-schedule" => {
                builder = builder.retry_schedule(retry_schedule(&value("--retry-schedule")?)?);
            }
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

/// `--retry-schedule`: `none`, or waits separated by commas (`500ms`, `30s`, `5m`, `1h`,
/// a bare number of seconds). At most 100 retries, each at most a week.
fn retry_schedule(text: &str) -> Result<Vec<Duration>, String> {
    const MAX_WAIT: Duration = Duration::from_secs(7 * 86_400);
    if text.trim() == "none" {
        return Ok(Vec::new());
    }
    let waits = text
        .split(',')
        .map(|part| {
            let part = part.trim();
            let split = part
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(part.len());
            let (number, unit) = part.split_at(split);
            let scale = match unit {
                "ms" => 1,
                "" | "s" => 1_000,
                "m" => 60_000,
                "h" => 3_600_000,
                _ => 0,
            };
            number
                .parse::<u64>()
                .ok()
                .filter(|_| scale > 0)
                .and_then(|n| n.checked_mul(scale))
                .map(Duration::from_millis)
                .filter(|wait| *wait <= MAX_WAIT)
                .ok_or_else(|| {
                    format!(
                        "--retry-schedule: `{part}` is not a wait (500ms, 30s, 5m, 1h, at most 168h)"
                    )
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if waits.len() > 100 {
        return Err("--retry-schedule: at most 100 retries".into());
    }
    Ok(waits)
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
        fastspring_mock::operation_ids().count()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_schedules_read_units_and_refuse_what_is_not_a_wait() {
        let ms = Duration::from_millis;
        assert_eq!(retry_schedule("0,0,0"), Ok(vec![Duration::ZERO; 3]));
        assert_eq!(
            retry_schedule("500ms, 30s,5m,1h,2"),
            Ok(vec![
                ms(500),
                ms(30_000),
                ms(300_000),
                ms(3_600_000),
                ms(2_000)
            ])
        );
        assert_eq!(retry_schedule("none"), Ok(Vec::new()));
        for bad in ["", "1d", "-1", "1.5s", "s", "169h", "1,,2"] {
            let error = retry_schedule(bad).unwrap_err();
            assert!(error.starts_with("--retry-schedule: `"), "{bad}: {error}");
        }
        assert!(retry_schedule(&vec!["1s"; 101].join(",")).is_err());
    }

    #[test]
    fn the_command_line_takes_a_retry_schedule() {
        let args = |list: &[&str]| list.iter().map(|a| a.to_string()).collect::<Vec<_>>();
        let builder = parse(&args(&["--retry-schedule", "0,1s"])).unwrap();
        assert!(format!("{builder:?}").contains("retry_schedule: [0ns, 1s]"));
        let error = parse(&args(&["--retry-schedule", "soon"])).unwrap_err();
        assert!(error.contains("`soon` is not a wait"), "{error}");
        assert_eq!(
            parse(&args(&["--retry-schedule"])).unwrap_err(),
            "--retry-schedule needs a value"
        );
    }
}
