//! `cargo xtask check-payload`: decode recorded FastSpring payloads with the generated
//! types and report what the spec does not know; `cargo xtask record`: record a real
//! store's answers to the safe read operations, ready for `check-payload`.
//!
//! ```text
//! check-payload [--summary] --endpoint "METHOD /path/{param}" --request PATH...
//! check-payload [--summary] --endpoint "METHOD /path/{param}" --response PATH...
//! check-payload [--summary] --webhook EVENT_TYPE PATH...
//! check-payload [--summary] PATH...
//! record DIR [--base-url URL [--allow-insecure-http]] [--sample N] [--days N] [--pace-ms N]
//! ```
//!
//! A PATH may be a directory: its `.json` files (recursively). Without `--endpoint` or
//! `--webhook`, each file says what it is through `manifest.json` in the directory given
//! (what `record` writes), its name (`<operation>.<request|response>[.error].N.json`,
//! `<event.type>[.N].json`) or, for webhook deliveries, its content.
//!
//! One line per file: `FILE: ok`, `FILE: drift <JSON pointers>`,
//! `FILE: fail <JSON pointer>: <reason>` or `FILE: skip: <reason>`; `--summary` adds counts
//! per endpoint/event and the most common unknown fields. Exits 1 when any file fails,
//! 2 on bad usage.

mod check;
mod record;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use check::{Job, Kind, Summary};
use fastspring_api::payload::{self, Outcome};

const USAGE: &str = "usage:
  cargo xtask check-payload [--summary] --endpoint \"METHOD /path/{param}\" --request PATH...
  cargo xtask check-payload [--summary] --endpoint \"METHOD /path/{param}\" --response PATH...
  cargo xtask check-payload [--summary] --webhook EVENT_TYPE PATH...
  cargo xtask check-payload [--summary] PATH...      (each file named or listed in manifest.json)
  cargo xtask record DIR [--base-url URL [--allow-insecure-http]] [--sample N] [--days N] [--pace-ms N]
A PATH may be a directory (its .json files, recursively).";

/// How many unknown fields `--summary` lists.
const TOP_UNKNOWN: usize = 15;

enum Mode {
    Request(String, String),
    Response(String, String),
    Webhook(String),
    /// Each file says what it is.
    Auto,
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
        [first, ..] if !first.starts_with("--") => Ok((Mode::Auto, args.to_vec())),
        _ => Err(USAGE.into()),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().is_some_and(|a| a == "record") {
        return match record::main(&args[1..]) {
            Ok(()) => ExitCode::SUCCESS,
            Err(record::Failure::Usage(message)) => {
                eprintln!("{message}\n{USAGE}");
                ExitCode::from(2)
            }
            Err(record::Failure::Run(message)) => {
                eprintln!("error: {message}");
                ExitCode::FAILURE
            }
        };
    }
    let (summary, args) = match args.split_first() {
        Some((first, rest)) if first == "--summary" => (true, rest.to_vec()),
        _ => (false, args),
    };
    let (mode, paths) = match parse_args(&args) {
        Ok(parsed) => parsed,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let fixed = match &mode {
        Mode::Request(method, path) | Mode::Response(method, path) => {
            let Some((shapes, label)) = check::endpoint(method, path) else {
                eprintln!("no operation of the spec matches `{method} {path}`");
                return ExitCode::from(2);
            };
            Some(if matches!(mode, Mode::Request(..)) {
                Kind::Request(shapes, label)
            } else {
                Kind::Response(shapes, label)
            })
        }
        Mode::Webhook(event_type) => {
            if payload::webhook_data_shape(event_type).is_none() {
                eprintln!("the spec documents no webhook event `{event_type}`");
                return ExitCode::from(2);
            }
            Some(Kind::Webhook(Some(event_type.clone())))
        }
        Mode::Auto => None,
    };
    let jobs = match jobs(&paths, fixed.as_ref()) {
        Ok(jobs) => jobs,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let mut failed = false;
    let mut tally = Summary::default();
    for job in &jobs {
        let checked = check::check_file(job);
        // Names and JSON keys come from the files: printed with control characters escaped.
        let line = if let Kind::Skip(reason) = &job.kind {
            format!("{}: skip: {reason}", job.display)
        } else {
            failed |= matches!(checked.line, Outcome::Fail { .. });
            format!("{}: {}", job.display, checked.line.summary())
        };
        println!("{}", check::printable(&line));
        tally.add(&job.kind, &checked);
    }
    if summary {
        print!("\n{}", check::printable(&tally.render(TOP_UNKNOWN)));
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// The files to check: each PATH, or the `.json` files under a directory PATH.
fn jobs(paths: &[String], fixed: Option<&Kind>) -> Result<Vec<Job>, String> {
    let mut out = Vec::new();
    for given in paths {
        let path = PathBuf::from(given);
        if path.is_dir() {
            for (file, display, kind) in check::expand_dir(&path, given)? {
                let kind = match (fixed, kind) {
                    (Some(fixed), _) => fixed.clone(),
                    (None, Some(kind)) => kind,
                    (None, None) => check::kind_from_content(&file),
                };
                out.push(Job {
                    display,
                    path: file,
                    kind,
                });
            }
        } else {
            let kind = match fixed {
                Some(fixed) => fixed.clone(),
                None => named_or_content(&path),
            };
            out.push(Job {
                display: given.clone(),
                path,
                kind,
            });
        }
    }
    if out.is_empty() {
        return Err("no .json file found".into());
    }
    Ok(out)
}

fn named_or_content(path: &Path) -> Kind {
    path.file_name()
        .and_then(|n| n.to_str())
        .and_then(check::kind_from_name)
        .unwrap_or_else(|| check::kind_from_content(path))
}
