//! Checking payload files: which endpoint or event each file is, one line per file, and
//! the `--summary` tally (per endpoint/event, and the most common unknown fields).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use fastspring_api::payload::{self, Outcome};
use fastspring_api::registry::{Part, SHAPES, Shape};
use heck::ToKebabCase;
use serde_json::Value;

/// The name of the file, in a directory, that says which endpoint or event each file is.
pub const MANIFEST: &str = "manifest.json";

/// What a file holds.
#[derive(Debug, Clone)]
pub enum Kind {
    /// A request body of the operation (`label` = `METHOD /path`).
    Request(Vec<&'static Shape>, String),
    /// A response body (success or documented error) of the operation.
    Response(Vec<&'static Shape>, String),
    /// A webhook POST body, one event, or one event's `data` (then the type is needed).
    Webhook(Option<String>),
    /// Not checked: why.
    Skip(String),
}

/// One file to check and how to show it.
#[derive(Debug)]
pub struct Job {
    pub display: String,
    pub path: PathBuf,
    pub kind: Kind,
}

/// The outcome of one file: the line to print, and the items the summary counts (one
/// per file, or one per event for a webhook POST body).
pub struct Checked {
    pub line: Outcome,
    pub items: Vec<(String, Outcome)>,
}

fn endpoint_label(shapes: &[&Shape]) -> String {
    shapes
        .first()
        .map(|s| format!("{} {}", s.method, s.path))
        .unwrap_or_default()
}

/// The shapes of an operation and its label, or `None` when the spec has no such operation.
pub fn operation(operation_id: &str) -> Option<(Vec<&'static Shape>, String)> {
    let shapes = payload::shapes_for_operation(operation_id);
    (!shapes.is_empty()).then(|| {
        let label = endpoint_label(&shapes);
        (shapes, label)
    })
}

/// The shapes of `METHOD /path` (parameter names do not matter) and its label.
pub fn endpoint(method: &str, path: &str) -> Option<(Vec<&'static Shape>, String)> {
    let shapes = payload::shapes_for_endpoint(method, path);
    (!shapes.is_empty()).then(|| {
        let label = endpoint_label(&shapes);
        (shapes, label)
    })
}

fn event_types() -> impl Iterator<Item = &'static str> {
    SHAPES.iter().filter_map(|s| match s.part {
        Part::WebhookData(t) => Some(t),
        _ => None,
    })
}

fn is_request(part: &str) -> Option<bool> {
    match part {
        "request" => Some(true),
        "response" => Some(false),
        _ => None,
    }
}

/// What a file is, from its name: `<operation>.<request|response>[.error][.N].json`
/// (the kebab-case `operationId`, as in `api-spec/examples/`), or `<event.type>[.N].json`.
pub fn kind_from_name(name: &str) -> Option<Kind> {
    let stem = name.strip_suffix(".json")?;
    let mut parts = stem.split('.');
    let first = parts.next()?;
    if let Some(request) = parts.next().and_then(is_request) {
        let op = SHAPES.iter().find(|s| {
            s.operation_id.to_kebab_case() == first && !matches!(s.part, Part::WebhookData(_))
        })?;
        let (shapes, label) = operation(op.operation_id)?;
        return Some(if request {
            Kind::Request(shapes, label)
        } else {
            Kind::Response(shapes, label)
        });
    }
    event_types()
        .filter(|t| {
            stem == *t
                || stem
                    .strip_prefix(*t)
                    .and_then(|rest| rest.strip_prefix('.'))
                    .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        })
        .max_by_key(|t| t.len())
        .map(|t| Kind::Webhook(Some(t.to_string())))
}

/// What a manifest entry says a file is.
fn kind_from_entry(entry: &Value) -> Kind {
    if let Some(event) = entry.get("webhook").and_then(Value::as_str) {
        return Kind::Webhook(Some(event.to_string()));
    }
    let part = entry
        .get("part")
        .and_then(Value::as_str)
        .unwrap_or("response");
    let Some(request) = is_request(part) else {
        return Kind::Skip(format!(
            "manifest: part {part:?} is not `request` or `response`"
        ));
    };
    let found = if let Some(id) = entry.get("operation").and_then(Value::as_str) {
        operation(id).ok_or_else(|| format!("manifest: no operation `{id}` in the spec"))
    } else if let Some(ep) = entry.get("endpoint").and_then(Value::as_str) {
        match ep.trim().split_once(char::is_whitespace) {
            Some((method, path)) => endpoint(&method.to_uppercase(), path.trim())
                .ok_or_else(|| format!("manifest: no operation of the spec matches `{ep}`")),
            None => Err(format!(
                "manifest: endpoint {ep:?} must be \"METHOD /path\""
            )),
        }
    } else {
        Err("manifest: the entry names no `operation`, `endpoint` or `webhook`".into())
    };
    match found {
        Ok((shapes, label)) if request => Kind::Request(shapes, label),
        Ok((shapes, label)) => {
            // A recorded status narrows the check to what the spec documents for it.
            let status = entry.get("status").and_then(Value::as_u64);
            let exact: Vec<&'static Shape> = shapes
                .iter()
                .copied()
                .filter(|s| status.is_some_and(|st| s.part == Part::Response(st as u16)))
                .collect();
            Kind::Response(if exact.is_empty() { shapes } else { exact }, label)
        }
        Err(reason) => Kind::Skip(reason),
    }
}

// ---- hostile folders and files (security review 2, S9 and S12) ----

/// The largest file checked (the size `record` accepts for one answer).
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// Reads a regular file of at most [`MAX_FILE_BYTES`]. FIFOs, devices and sockets are
/// refused before they are opened (a FIFO would block, `/dev/zero` never ends).
pub fn read_limited(path: &Path) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    let too_large = || format!("larger than the {} MiB limit", MAX_FILE_BYTES >> 20);
    if meta.len() > MAX_FILE_BYTES {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large());
    }
    Ok(bytes)
}

/// Why a `.json` entry of a folder is not checked: it is not a regular file, or a
/// symbolic link that leads outside the folder or to something else than a file.
fn unsafe_entry(dir: &Path, path: &Path, file_type: std::fs::FileType) -> Option<String> {
    if file_type.is_file() {
        return None;
    }
    if !file_type.is_symlink() {
        return Some("not a regular file".into());
    }
    let inside = match (std::fs::canonicalize(dir), std::fs::canonicalize(path)) {
        (Ok(dir), Ok(target)) => target.starts_with(dir),
        _ => false,
    };
    if !inside {
        return Some("a symbolic link leading outside the folder".into());
    }
    (!path.is_file()).then(|| "a symbolic link to something else than a file".into())
}

/// `text` with control characters (and bidirectional overrides) escaped as `\u{..}`,
/// line breaks kept: file names and JSON keys come from the files, and a terminal would
/// obey the escape sequences they may hold.
pub fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let bidi = matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
        if (c.is_control() && c != '\n') || bidi {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

/// Reads `dir/manifest.json`: file (relative to `dir`) → kind.
fn read_manifest(dir: &Path) -> Result<BTreeMap<PathBuf, Kind>, String> {
    let path = dir.join(MANIFEST);
    let mut out = BTreeMap::new();
    if std::fs::symlink_metadata(&path).is_err() {
        return Ok(out);
    }
    let bytes = read_limited(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let value: Value =
        serde_json::from_slice(&bytes).map_err(|e| format!("{}: not JSON: {e}", path.display()))?;
    let entries = value
        .get("files")
        .and_then(Value::as_array)
        .ok_or_else(|| format!("{}: expected {{\"files\": [...]}}", path.display()))?;
    for entry in entries {
        let file = entry
            .get("file")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("{}: an entry without `file`", path.display()))?;
        if Path::new(file).is_absolute() || file.split('/').any(|s| s == "..") {
            return Err(format!(
                "{}: `{file}` must stay inside the folder",
                path.display()
            ));
        }
        out.insert(dir.join(file), kind_from_entry(entry));
    }
    Ok(out)
}

/// The JSON files under `dir` (recursively, sorted), each with what the manifest or its
/// name says it is (`None`: to be told from its content).
pub fn expand_dir(
    dir: &Path,
    display: &str,
) -> Result<Vec<(PathBuf, String, Option<Kind>)>, String> {
    let manifest = read_manifest(dir)?;
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        let entries =
            std::fs::read_dir(&current).map_err(|e| format!("{}: {e}", current.display()))?;
        for entry in entries {
            let entry = entry.map_err(|e| format!("{}: {e}", current.display()))?;
            let path = entry.path();
            // The entry's own type: a symbolic link to a folder is not descended into.
            let file_type = entry
                .file_type()
                .map_err(|e| format!("{}: {e}", path.display()))?;
            if file_type.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|x| x == "json")
                && !(path.parent() == Some(dir) && path.file_name().is_some_and(|n| n == MANIFEST))
            {
                let refused = unsafe_entry(dir, &path, file_type);
                files.push((path, refused));
            }
        }
    }
    files.sort();
    Ok(files
        .into_iter()
        .map(|(path, refused)| {
            let relative = path
                .strip_prefix(dir)
                .unwrap_or(&path)
                .to_string_lossy()
                .into_owned();
            let shown = format!("{}/{relative}", display.trim_end_matches('/'));
            let kind = match refused {
                Some(reason) => Some(Kind::Skip(reason)),
                None => manifest.get(&path).cloned().or_else(|| {
                    path.file_name()
                        .and_then(|n| n.to_str())
                        .and_then(kind_from_name)
                }),
            };
            (path, shown, kind)
        })
        .collect())
}

/// The events of a self-describing webhook payload: a POST body (`{"events": [...]}`) or
/// one event (`{"id", "type", "data", ...}`), each with its pointer and declared type.
fn events_of(value: &Value) -> Option<Vec<(String, Option<&str>, &Value)>> {
    if let Some(list) = value.get("events").and_then(Value::as_array) {
        return Some(
            list.iter()
                .enumerate()
                .map(|(i, e)| {
                    (
                        format!("/events/{i}"),
                        e.get("type").and_then(Value::as_str),
                        e,
                    )
                })
                .collect(),
        );
    }
    if value.get("data").is_some() && value.get("type").is_some() {
        return Some(vec![(
            String::new(),
            value.get("type").and_then(Value::as_str),
            value,
        )]);
    }
    None
}

fn fail(reason: String) -> Outcome {
    Outcome::Fail {
        pointer: String::new(),
        reason,
    }
}

/// Checks one file.
pub fn check_file(job: &Job) -> Checked {
    if let Kind::Skip(reason) = &job.kind {
        return Checked {
            line: fail(reason.clone()),
            items: Vec::new(),
        };
    }
    let value = match read_limited(&job.path) {
        Err(e) => Err(fail(format!("cannot read: {e}"))),
        Ok(bytes) => {
            serde_json::from_slice::<Value>(&bytes).map_err(|e| fail(format!("not JSON: {e}")))
        }
    };
    let unknown_key = "(file not checked)".to_string();
    let value = match value {
        Ok(v) => v,
        Err(outcome) => {
            let key = match &job.kind {
                Kind::Request(_, l) => format!("{l} (request)"),
                Kind::Response(_, l) => l.clone(),
                Kind::Webhook(Some(t)) => format!("webhook {t}"),
                _ => unknown_key,
            };
            return Checked {
                items: vec![(key, outcome.clone())],
                line: outcome,
            };
        }
    };
    match &job.kind {
        Kind::Request(shapes, label) => {
            let outcome = payload::check_request(shapes, &value);
            Checked {
                items: vec![(format!("{label} (request)"), outcome.clone())],
                line: outcome,
            }
        }
        Kind::Response(shapes, label) => {
            let outcome = payload::check_response(shapes, &value);
            Checked {
                items: vec![(label.clone(), outcome.clone())],
                line: outcome,
            }
        }
        Kind::Skip(reason) => Checked {
            line: fail(reason.clone()),
            items: Vec::new(),
        },
        Kind::Webhook(declared) => check_webhook_file(declared.as_deref(), &value),
    }
}

fn check_webhook_file(declared: Option<&str>, value: &Value) -> Checked {
    match events_of(value) {
        // Only an event's `data`: the type comes from the name or the manifest.
        None => match declared {
            Some(t) => {
                let outcome = payload::check_webhook(t, value);
                Checked {
                    items: vec![(format!("webhook {t}"), outcome.clone())],
                    line: outcome,
                }
            }
            None => Checked {
                line: fail("cannot tell which endpoint or event this is".into()),
                items: Vec::new(),
            },
        },
        Some(events) => {
            // The line: as `--webhook TYPE FILE` reports it (TYPE: the declared one, or
            // the first event's). The summary: each event under its own type.
            let line_type = declared
                .or_else(|| events.iter().find_map(|(_, t, _)| *t))
                .unwrap_or("");
            let line = if line_type.is_empty() {
                Outcome::Fail {
                    pointer: events
                        .first()
                        .map(|(at, ..)| format!("{at}/type"))
                        .unwrap_or_default(),
                    reason: "missing event type".into(),
                }
            } else {
                payload::check_webhook(line_type, value)
            };
            let items = events
                .iter()
                .map(|(at, event_type, event)| match event_type {
                    Some(t) if payload::webhook_data_shape(t).is_some() => {
                        (format!("webhook {t}"), payload::check_webhook(t, event))
                    }
                    Some(t) => (
                        format!("webhook {t}"),
                        Outcome::Drift(vec![format!(
                            "{at} (an event type the spec does not document)"
                        )]),
                    ),
                    None => (
                        "webhook (no type)".to_string(),
                        Outcome::Fail {
                            pointer: format!("{at}/type"),
                            reason: "missing event type".into(),
                        },
                    ),
                })
                .collect();
            Checked { line, items }
        }
    }
}

/// Classifies a file found without a manifest entry or telling name by its content.
pub fn kind_from_content(path: &Path) -> Kind {
    let value = read_limited(path)
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok());
    match value {
        Some(v) if events_of(&v).is_some() => Kind::Webhook(None),
        _ => Kind::Skip(format!(
            "cannot tell which endpoint or event this is: name it `<operation>.<request|response>.N.json` or `<event.type>.N.json`, or list it in {MANIFEST}"
        )),
    }
}

/// JSON pointer with array indices as `*`, so the same field in several items counts once per item.
fn normalize(pointer: &str) -> String {
    pointer
        .split('/')
        .map(|s| {
            if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
                "*"
            } else {
                s
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The `--summary` tally.
#[derive(Default)]
pub struct Summary {
    files: usize,
    skipped: usize,
    rows: BTreeMap<String, [usize; 3]>,
    unknown: BTreeMap<(String, String), usize>,
}

impl Summary {
    pub fn add(&mut self, kind: &Kind, checked: &Checked) {
        self.files += 1;
        if matches!(kind, Kind::Skip(_)) || checked.items.is_empty() {
            self.skipped += 1;
            return;
        }
        for (key, outcome) in &checked.items {
            let row = self.rows.entry(key.clone()).or_default();
            match outcome {
                Outcome::Ok => row[0] += 1,
                Outcome::Drift(pointers) => {
                    row[1] += 1;
                    let mut seen: Vec<String> = pointers.iter().map(|p| normalize(p)).collect();
                    seen.sort();
                    seen.dedup();
                    for p in seen {
                        *self.unknown.entry((key.clone(), p)).or_default() += 1;
                    }
                }
                Outcome::Fail { .. } => row[2] += 1,
            }
        }
    }

    /// The report: totals, one row per endpoint/event, the `top` most common unknown fields.
    pub fn render(&self, top: usize) -> String {
        let totals = self.rows.values().fold([0; 3], |mut acc, r| {
            for i in 0..3 {
                acc[i] += r[i];
            }
            acc
        });
        let mut out = format!(
            "summary: {} files ({} not checked), {} payloads: {} ok, {} drift, {} fail\n",
            self.files,
            self.skipped,
            totals.iter().sum::<usize>(),
            totals[0],
            totals[1],
            totals[2]
        );
        let width = self
            .rows
            .keys()
            .map(|k| k.chars().count())
            .max()
            .unwrap_or(0)
            .max(14);
        out.push_str(&format!(
            "{:<width$}  {:>5}  {:>5}  {:>5}\n",
            "endpoint/event", "ok", "drift", "fail"
        ));
        for (key, [ok, drift, fail]) in &self.rows {
            out.push_str(&format!("{key:<width$}  {ok:>5}  {drift:>5}  {fail:>5}\n"));
        }
        if !self.unknown.is_empty() {
            let mut common: Vec<(&(String, String), &usize)> = self.unknown.iter().collect();
            common.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
            out.push_str(&format!(
                "most common unknown fields ({} of {}; payloads that have them):\n",
                common.len().min(top),
                common.len()
            ));
            for ((key, pointer), count) in common.into_iter().take(top) {
                out.push_str(&format!("{count:>5}  {key}: {pointer}\n"));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_tell_operations_and_events() {
        assert!(matches!(
            kind_from_name("get-order.response.3.json"),
            Some(Kind::Response(_, label)) if label == "GET /orders/{order_id}"
        ));
        assert!(matches!(
            kind_from_name("update-order-tags.request.1.json"),
            Some(Kind::Request(_, label)) if label == "POST /orders"
        ));
        assert!(matches!(
            kind_from_name("subscription.group.payment.charge.failed.2.json"),
            Some(Kind::Webhook(Some(t))) if t == "subscription.group.payment.charge.failed"
        ));
        assert!(
            matches!(kind_from_name("order.completed.json"), Some(Kind::Webhook(Some(t))) if t == "order.completed")
        );
        assert!(kind_from_name("no-such-operation.response.1.json").is_none());
        assert!(kind_from_name("order.completed.x.json").is_none());
        assert!(kind_from_name("notes.txt").is_none());
    }

    #[test]
    fn pointers_count_array_items_as_one_field() {
        assert_eq!(
            normalize("/items/0/attributes/12/x"),
            "/items/*/attributes/*/x"
        );
        assert_eq!(normalize(""), "");
    }
}
