//! `cargo xtask check-payload`: decode recorded FastSpring payloads with the generated
//! types and report what the spec does not know.
//!
//! ```text
//! check-payload --endpoint "METHOD /path/{param}" --request FILE...
//! check-payload --endpoint "METHOD /path/{param}" --response FILE...
//! check-payload --webhook EVENT_TYPE FILE...
//! ```
//!
//! One line per file: `FILE: ok`, `FILE: drift <JSON pointers>` or
//! `FILE: fail <JSON pointer>: <reason>`. Exits 1 when any file fails, 2 on bad usage.

use std::process::ExitCode;

use fastspring_api::payload::{self, Outcome};
use serde_json::Value;

const USAGE: &str = "usage:
  cargo xtask check-payload --endpoint \"METHOD /path/{param}\" --request FILE...
  cargo xtask check-payload --endpoint \"METHOD /path/{param}\" --response FILE...
  cargo xtask check-payload --webhook EVENT_TYPE FILE...";

enum Mode {
    Request(String, String),
    Response(String, String),
    Webhook(String),
}

fn parse_args(args: &[String]) -> Result<(Mode, Vec<String>), String> {
    match args {
        [flag, endpoint, kind, files @ ..]
            if flag == "--endpoint" && (kind == "--request" || kind == "--response") =>
        {
            let (method, path) = endpoint
                .trim()
                .split_once(char::is_whitespace)
                .ok_or_else(|| format!("endpoint {endpoint:?} must be \"METHOD /path\""))?;
            let (method, path) = (method.to_uppercase(), path.trim().to_string());
            if !path.starts_with('/') {
                return Err(format!("endpoint path {path:?} must start with `/`"));
            }
            if files.is_empty() {
                return Err("no FILE given".into());
            }
            let mode = if kind == "--request" {
                Mode::Request(method, path)
            } else {
                Mode::Response(method, path)
            };
            Ok((mode, files.to_vec()))
        }
        [flag, event_type, files @ ..] if flag == "--webhook" => {
            if files.is_empty() {
                return Err("no FILE given".into());
            }
            Ok((Mode::Webhook(event_type.clone()), files.to_vec()))
        }
        _ => Err(USAGE.into()),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mode, files) = match parse_args(&args) {
        Ok(parsed) => parsed,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let shapes = match &mode {
        Mode::Request(method, path) | Mode::Response(method, path) => {
            let shapes = payload::shapes_for_endpoint(method, path);
            if shapes.is_empty() {
                eprintln!("no operation of the spec matches `{method} {path}`");
                return ExitCode::from(2);
            }
            shapes
        }
        Mode::Webhook(event_type) => {
            if payload::webhook_data_shape(event_type).is_none() {
                eprintln!("the spec documents no webhook event `{event_type}`");
                return ExitCode::from(2);
            }
            Vec::new()
        }
    };
    let mut failed = false;
    for file in &files {
        let outcome = match std::fs::read(file) {
            Err(e) => Outcome::Fail {
                pointer: String::new(),
                reason: format!("cannot read: {e}"),
            },
            Ok(bytes) => match serde_json::from_slice::<Value>(&bytes) {
                Err(e) => Outcome::Fail {
                    pointer: String::new(),
                    reason: format!("not JSON: {e}"),
                },
                Ok(value) => match &mode {
                    Mode::Request(..) => payload::check_request(&shapes, &value),
                    Mode::Response(..) => payload::check_response(&shapes, &value),
                    Mode::Webhook(event_type) => payload::check_webhook(event_type, &value),
                },
            },
        };
        failed |= matches!(outcome, Outcome::Fail { .. });
        println!("{file}: {}", outcome.summary());
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
