//! `cargo xtask record DIR`: records a real store's answers to the safe read operations,
//! ready for `cargo xtask check-payload --summary DIR`.
//!
//! Only `GET` requests, and only operations that read: first the lists (accounts,
//! orders, subscriptions, products, product prices, coupons, quotes, report jobs, stored
//! webhook events), then, for the first `--sample` records each list names, the
//! operations that read one record. Never called: any write, `GET /data/v1/util/cache`
//! (resets a cache), `GET /accounts/{id}/authenticate` (issues a login URL), report
//! downloads (CSV), checkout sessions (buyer-facing, need a session ID).
//!
//! Credentials come from the environment as `Client::from_env()` reads them
//! (`FASTSPRING_API_USERNAME`, `FASTSPRING_API_PASSWORD`); the base URL from `--base-url`,
//! else `FASTSPRING_API_BASE_URL`, else FastSpring's. Each answer is saved as
//! `<operation>.response[.error].N.json` and listed in `manifest.json` with its endpoint,
//! status and request path (never a credential). Every stored event of
//! `GET /events/...` is also saved alone as `<event.type>.N.json`, so webhook payloads of
//! the store are checked too.
//!
//! Safety rules (security review 2, S6–S8): an ID the server lists that is empty, `.` or
//! `..` is skipped with a note (a dot segment would name another endpoint); the base URL
//! follows the client's rule (`https`, or `http` to loopback, or `--allow-insecure-http`;
//! no `user:password@`); the folder is created owner-only (0700), each file is written
//! owner-only (0600), and the folder gets a `.gitignore` of `*`: a recording holds
//! customers' names, e-mails and addresses.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use heck::ToKebabCase;
use serde_json::{Value, json};

/// The environment variable that overrides the base URL (as `Client::from_env` reads it).
pub const BASE_URL_ENV: &str = "FASTSPRING_API_BASE_URL";

/// The largest answer recorded (FastSpring pages are far smaller); a larger one stops the run.
const MAX_BODY: usize = 64 << 20;

pub enum Failure {
    Usage(String),
    Run(String),
}

struct Options {
    dir: PathBuf,
    base_url: String,
    sample: usize,
    days: u32,
    pace: Duration,
    allow_insecure_http: bool,
}

fn parse(args: &[String]) -> Result<Options, Failure> {
    let usage = |m: &str| Failure::Usage(m.to_string());
    let mut dir = None;
    let mut base_url = None;
    let mut sample = 3;
    let mut days = 30;
    // FastSpring allows 250 requests a minute; one every 250 ms stays under it.
    let mut pace = Duration::from_millis(250);
    let mut allow_insecure_http = false;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        let mut value = |name: &str| {
            rest.next()
                .cloned()
                .ok_or_else(|| usage(&format!("{name} needs a value")))
        };
        match arg.as_str() {
            "--base-url" => base_url = Some(value("--base-url")?),
            "--allow-insecure-http" => allow_insecure_http = true,
            "--sample" => {
                sample = value("--sample")?
                    .parse()
                    .map_err(|_| usage("--sample takes a number"))?;
            }
            "--days" => {
                days = value("--days")?
                    .parse()
                    .map_err(|_| usage("--days takes a number"))?;
            }
            "--pace-ms" => {
                pace = Duration::from_millis(
                    value("--pace-ms")?
                        .parse()
                        .map_err(|_| usage("--pace-ms takes a number"))?,
                );
            }
            flag if flag.starts_with("--") => return Err(usage(&format!("unknown flag {flag}"))),
            path if dir.is_none() => dir = Some(PathBuf::from(path)),
            extra => return Err(usage(&format!("unexpected argument {extra:?}"))),
        }
    }
    let dir = dir.ok_or_else(|| usage("record: no DIR given"))?;
    let base_url = base_url
        .or_else(|| {
            std::env::var(BASE_URL_ENV)
                .ok()
                .filter(|v| !v.trim().is_empty())
        })
        .unwrap_or_else(|| fastspring_api::DEFAULT_BASE_URL.to_string());
    Ok(Options {
        dir,
        base_url: base_url.trim_end_matches('/').to_string(),
        sample,
        days,
        pace,
        allow_insecure_http,
    })
}

/// A list operation: where its answer names records, and what to read for each.
struct List {
    operation: &'static str,
    path: &'static str,
    /// Query, with `{days}` replaced.
    query: &'static str,
    /// JSON pointer of the array of IDs or records in the answer (`""`: the answer is the array).
    items: &'static str,
    /// Per named record: (operation, path with `{id}`).
    each: &'static [(&'static str, &'static str)],
}

/// The safe read operations, in the order they are called. Every entry is a `GET`; a test
/// checks each against the spec.
const PLAN: &[List] = &[
    List {
        operation: "listAccounts",
        path: "/accounts",
        query: "",
        items: "/accounts",
        each: &[("getAccount", "/accounts/{id}")],
    },
    List {
        operation: "listOrders",
        path: "/orders",
        query: "days={days}",
        items: "/orders",
        each: &[("getOrder", "/orders/{id}")],
    },
    List {
        operation: "listSubscriptions",
        path: "/subscriptions",
        query: "",
        items: "/subscriptions",
        each: &[
            ("getSubscription", "/subscriptions/{id}"),
            ("listSubscriptionEntries", "/subscriptions/{id}/entries"),
            ("listSubscriptionHistory", "/subscriptions/{id}/history"),
        ],
    },
    List {
        operation: "listProducts",
        path: "/products",
        query: "",
        items: "/products",
        each: &[
            ("getProduct", "/products/{id}"),
            ("getProductOffers", "/products/offers/{id}"),
            ("getProductPrice", "/products/price/{id}"),
        ],
    },
    List {
        operation: "listProductPrices",
        path: "/products/price",
        query: "",
        items: "/products",
        each: &[],
    },
    List {
        operation: "listCoupons",
        path: "/coupons",
        query: "",
        items: "/coupons",
        each: &[
            ("getCoupon", "/coupons/{id}"),
            ("listCouponCodes", "/coupons/{id}/codes"),
        ],
    },
    List {
        operation: "listQuotes",
        path: "/quotes",
        query: "",
        items: "/_embedded/quotes",
        each: &[("getQuote", "/quotes/{id}")],
    },
    List {
        operation: "listJobs",
        path: "/data/v1/jobs",
        query: "",
        items: "",
        each: &[("getJob", "/data/v1/jobs/{id}")],
    },
    List {
        operation: "listProcessedEvents",
        path: "/events/processed",
        query: "days={days}",
        items: "/events",
        each: &[],
    },
    List {
        operation: "listUnprocessedEvents",
        path: "/events/unprocessed",
        query: "days={days}",
        items: "/events",
        each: &[],
    },
];

/// The ID of a listed record: the string itself, or the record's `id` (`product`, `coupon`).
fn id_of(item: &Value) -> Option<String> {
    match item {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Object(o) => ["id", "product", "coupon", "quote"]
            .iter()
            .find_map(|k| o.get(*k).and_then(Value::as_str))
            .map(str::to_string),
        _ => None,
    }
}

/// `false` for an ID that cannot be one path segment: empty, `.` or `..` (the URL
/// parser would resolve a dot segment into another endpoint).
fn usable_id(id: &str) -> bool {
    !matches!(id, "" | "." | "..")
}

/// Percent-encodes one path segment (IDs are data, never path syntax).
fn encode_segment(id: &str) -> String {
    let mut out = String::new();
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

struct Recorder {
    http: reqwest::Client,
    base_url: String,
    username: String,
    password: String,
    dir: PathBuf,
    pace: Duration,
    requests: usize,
    counters: BTreeMap<String, usize>,
    manifest: Vec<Value>,
}

impl Recorder {
    /// GETs `path_and_query` and saves the answer; returns its JSON when it is a 2xx JSON body.
    async fn get(
        &mut self,
        operation: &str,
        template: &str,
        path_and_query: &str,
    ) -> Result<Option<Value>, String> {
        if self.requests > 0 && !self.pace.is_zero() {
            tokio::time::sleep(self.pace).await;
        }
        self.requests += 1;
        let url = format!("{}{path_and_query}", self.base_url);
        let mut response = self
            .http
            .get(&url)
            .basic_auth(&self.username, Some(&self.password))
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| format!("GET {path_and_query}: {e}"))?;
        let status = response.status().as_u16();
        if status == 401 || status == 403 {
            return Err(format!(
                "GET {path_and_query}: HTTP {status}: the store refused the credentials in {} / {}",
                fastspring_api::USERNAME_ENV,
                fastspring_api::PASSWORD_ENV
            ));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| format!("GET {path_and_query}: reading the body: {e}"))?
        {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(format!(
                    "GET {path_and_query}: the answer is larger than {} MiB",
                    MAX_BODY >> 20
                ));
            }
            body.extend_from_slice(&chunk);
        }
        let value = serde_json::from_slice::<Value>(&body).ok();
        let error = !(200..300).contains(&status);
        let stem = format!(
            "{}.response{}",
            operation.to_kebab_case(),
            if error { ".error" } else { "" }
        );
        let (file, note) = match &value {
            Some(v) => (self.next_name(&stem, "json"), pretty(v)),
            None => (
                self.next_name(&stem, "txt"),
                String::from_utf8_lossy(&body).into_owned(),
            ),
        };
        self.write(&file, &note)?;
        let mut entry = json!({
            "file": file,
            "operation": operation,
            "endpoint": format!("GET {template}"),
            "part": "response",
            "status": status,
            "request": path_and_query,
        });
        if value.is_none() {
            entry["note"] = json!("not JSON; not checked");
        }
        self.manifest.push(entry);
        println!("GET {path_and_query} -> {status} {file}");
        Ok(if error { None } else { value })
    }

    fn next_name(&mut self, stem: &str, extension: &str) -> String {
        let n = self.counters.entry(stem.to_string()).or_default();
        *n += 1;
        format!("{stem}.{n}.{extension}")
    }

    fn write(&self, file: &str, text: &str) -> Result<(), String> {
        write_private(&self.dir.join(file), text)
    }

    /// Saves every stored event of an events list alone, named by its type.
    fn save_events(&mut self, list: &Value, from: &str) -> Result<(), String> {
        let Some(events) = list.get("events").and_then(Value::as_array) else {
            return Ok(());
        };
        for event in events {
            let Some(event_type) = event.get("type").and_then(Value::as_str) else {
                continue;
            };
            // A type names the file: keep it to the characters event types use.
            if event_type.is_empty()
                || !event_type
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-')
            {
                continue;
            }
            let file = self.next_name(event_type, "json");
            self.write(&file, &pretty(event))?;
            self.manifest.push(json!({
                "file": file,
                "webhook": event_type,
                "from": from,
            }));
        }
        Ok(())
    }
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default() + "\n"
}

pub fn main(args: &[String]) -> Result<(), Failure> {
    let options = parse(args)?;
    let read = |name: &str| {
        std::env::var(name).map_err(|_| {
            Failure::Run(format!(
                "environment variable {name} is not set (the store's API credentials: {} and {})",
                fastspring_api::USERNAME_ENV,
                fastspring_api::PASSWORD_ENV
            ))
        })
    };
    let username = read(fastspring_api::USERNAME_ENV)?;
    let password = read(fastspring_api::PASSWORD_ENV)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Run(format!("tokio: {e}")))?;
    runtime
        .block_on(run(options, username, password))
        .map_err(Failure::Run)
}

/// Writes `text` to `path`, readable and writable by its owner only (on Unix).
fn write_private(path: &std::path::Path, text: &str) -> Result<(), String> {
    use std::io::Write;
    let mut open = std::fs::OpenOptions::new();
    open.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut open, 0o600);
    open.open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// Creates the recording folder (owner-only on Unix) with a `.gitignore` of `*`, so a
/// recording made inside a repository is never committed.
fn create_private_dir(dir: &std::path::Path) -> Result<(), String> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?;
    write_private(
        &dir.join(".gitignore"),
        "# A recording holds customers' personal data: never commit it.\n*\n",
    )
}

/// The client's base-URL rule, applied by building a client with it: `https`, or
/// `http` to loopback (or with `--allow-insecure-http`); no credentials, query or
/// fragment in the URL.
fn check_base_url(options: &Options) -> Result<(), String> {
    let mut builder = fastspring_api::Client::builder()
        .base_url(&options.base_url)
        .credentials("record", "record");
    if options.allow_insecure_http {
        builder = builder.allow_insecure_http();
    }
    builder.build().map(drop).map_err(|e| match e {
        fastspring_api::Error::Config(message) => message,
        other => other.to_string(),
    })
}

async fn run(options: Options, username: String, password: String) -> Result<(), String> {
    check_base_url(&options)?;
    create_private_dir(&options.dir)?;
    if options.dir.join(crate::check::MANIFEST).exists() {
        return Err(format!(
            "{} already holds a recording ({}); record into an empty folder",
            options.dir.display(),
            crate::check::MANIFEST
        ));
    }
    let http = reqwest::Client::builder()
        .user_agent(concat!(
            "fastspring-api-record/",
            env!("CARGO_PKG_VERSION"),
            " (cargo xtask record)"
        ))
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(60))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy_if_loopback(&options.base_url)
        .build()
        .map_err(|e| format!("HTTP client: {e}"))?;
    let mut recorder = Recorder {
        http,
        base_url: options.base_url.clone(),
        username,
        password,
        dir: options.dir.clone(),
        pace: options.pace,
        requests: 0,
        counters: BTreeMap::new(),
        manifest: Vec::new(),
    };
    let mut outcome = Ok(());
    'lists: for list in PLAN {
        let query = list.query.replace("{days}", &options.days.to_string());
        let path = if query.is_empty() {
            list.path.to_string()
        } else {
            format!("{}?{query}", list.path)
        };
        let answer = match recorder.get(list.operation, list.path, &path).await {
            Ok(answer) => answer,
            Err(e) => {
                outcome = Err(e);
                break;
            }
        };
        let Some(answer) = answer else { continue };
        if list.path.starts_with("/events/") {
            recorder.save_events(&answer, &format!("GET {path}"))?;
        }
        let ids: Vec<String> = answer
            .pointer(list.items)
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(id_of)
                    .filter(|id| {
                        let usable = usable_id(id);
                        if !usable {
                            println!("skipped ID {id:?} of {path}: not usable as a path segment");
                        }
                        usable
                    })
                    .take(options.sample)
                    .collect()
            })
            .unwrap_or_default();
        for id in ids {
            for (operation, template) in list.each {
                let path = template.replace("{id}", &encode_segment(&id));
                if let Err(e) = recorder.get(operation, template, &path).await {
                    outcome = Err(e);
                    break 'lists;
                }
            }
        }
    }
    // The manifest is written even when a request failed: what was recorded is usable.
    let manifest = json!({
        "recorded_by": "cargo xtask record",
        "base_url": options.base_url,
        "files": recorder.manifest,
    });
    recorder.write(crate::check::MANIFEST, &pretty(&manifest))?;
    outcome?;
    println!(
        "recorded {} answers in {}; check them with: cargo xtask check-payload --summary {}",
        recorder.requests,
        options.dir.display(),
        options.dir.display()
    );
    Ok(())
}

/// `no_proxy` for a loopback base URL (tests, local mocks); proxies stay in force otherwise.
trait NoProxyIfLoopback {
    fn no_proxy_if_loopback(self, base_url: &str) -> Self;
}

impl NoProxyIfLoopback for reqwest::ClientBuilder {
    fn no_proxy_if_loopback(self, base_url: &str) -> Self {
        let host = reqwest::Url::parse(base_url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_default();
        if host == "localhost" || host == "127.0.0.1" || host == "[::1]" {
            self.no_proxy()
        } else {
            self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fastspring_api::registry::SHAPES;

    /// Every planned call is a GET of the spec, under the operationId and path it claims.
    #[test]
    fn the_plan_only_reads_and_matches_the_spec() {
        let check = |operation: &str, path: &str| {
            let shape = SHAPES
                .iter()
                .find(|s| s.operation_id == operation)
                .unwrap_or_else(|| panic!("{operation} is not in the spec"));
            assert_eq!(shape.method, "GET", "{operation}");
            let spec_shape: Vec<&str> = shape
                .path
                .split('/')
                .map(|s| if s.starts_with('{') { "{}" } else { s })
                .collect();
            let ours: Vec<&str> = path
                .split('/')
                .map(|s| if s.starts_with('{') { "{}" } else { s })
                .collect();
            assert_eq!(spec_shape, ours, "{operation}");
        };
        for list in PLAN {
            check(list.operation, list.path);
            for (operation, path) in list.each {
                check(operation, path);
            }
        }
        let planned: Vec<&str> = PLAN
            .iter()
            .flat_map(|l| std::iter::once(l.operation).chain(l.each.iter().map(|(o, _)| *o)))
            .collect();
        for never in ["resetCache", "getAccountManagementUrl", "downloadReport"] {
            assert!(!planned.contains(&never), "{never} must never be recorded");
        }
    }

    #[test]
    fn ids_come_from_strings_or_records_and_are_encoded_as_one_segment() {
        assert_eq!(id_of(&json!("abc")), Some("abc".into()));
        assert_eq!(id_of(&json!({"id": "Q1", "name": "x"})), Some("Q1".into()));
        assert_eq!(id_of(&json!({"product": "p-1"})), Some("p-1".into()));
        assert_eq!(id_of(&json!(12)), None);
        assert_eq!(encode_segment("a/b c?#%"), "a%2Fb%20c%3F%23%25");
        for dots in ["", ".", ".."] {
            assert!(!usable_id(dots), "{dots:?}");
        }
        assert!(usable_id("..."));
    }
}
