//! `cargo xtask docs`: the spec as a published reference.
//!
//! 1. Lints the spec with Redocly's recommended ruleset (`redocly.yaml`: every warning is
//!    an error; single accepted findings are listed with reasons in `.redocly.lint-ignore.yaml`).
//! 2. Bundles it into one JSON document ([`codegen::bundle`]: every `$ref` points inside
//!    it) and makes what renderers hide visible: each `x-fs-note` is appended to its
//!    node's `description`, and every operation gets a `curl` request sample
//!    (`x-codeSamples`) built from its parameters' examples and its first request example.
//! 3. Renders a self-contained HTML page with Redocly CLI `build-docs --inlineBundle`.
//!
//! Redocly CLI is pinned in `api-spec/tools/redocly/package.json` (with its lockfile) and
//! installed there with `npm ci --ignore-scripts` on first use, and again whenever
//! `node_modules` does not hold exactly what the lockfile pins; it needs Node 20.19+ and npm.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Map, Value, json};

const REDOCLY_DIR: &str = "api-spec/tools/redocly";
const DEFAULT_OUT: &str = "target/api-docs";
/// File names inside the output folder.
pub const BUNDLE_FILE: &str = "openapi.json";
pub const HTML_FILE: &str = "index.html";
const METHODS: &[&str] = &["get", "put", "post", "delete", "patch", "head", "options"];
/// The heading under which a note is appended to a description.
const NOTE_LABEL: &str = "**Sources and decision:**";

pub fn run(root: &Path, args: &[String]) -> Result<(), String> {
    let mut out = root.join(DEFAULT_OUT);
    let mut lint = true;
    let mut html = true;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--out" => {
                out = PathBuf::from(rest.next().ok_or("--out needs a folder")?);
            }
            "--no-lint" => lint = false,
            "--bundle-only" => {
                lint = false;
                html = false;
            }
            other => {
                return Err(format!(
                    "unknown argument {other:?}\nusage: cargo xtask docs [--out DIR] [--no-lint] [--bundle-only]"
                ));
            }
        }
    }
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;

    let spec = codegen::spec::Spec::load(&root.join(crate::SPEC_ROOT))
        .map_err(|e| format!("api-spec/{e}"))?;
    let mut doc = codegen::bundle::bundle(&spec).map_err(|e| format!("api-spec/{e}"))?;
    let notes = publish_notes(&mut doc);
    let samples = add_code_samples(&mut doc)?;
    let bundle_path = out.join(BUNDLE_FILE);
    let text = serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?;
    std::fs::write(&bundle_path, text + "\n")
        .map_err(|e| format!("{}: {e}", bundle_path.display()))?;
    println!(
        "wrote {} ({notes} x-fs-note decisions appended to descriptions, {samples} operations with a curl sample)",
        bundle_path.display()
    );

    if !lint && !html {
        return Ok(());
    }
    let redocly = redocly(root)?;
    if lint {
        // Lints the sources (file names and lines point into api-spec/), not the bundle.
        run_redocly(root, &redocly, &["lint", "--format=stylish"], "lint")?;
        println!("lint: no problems (recommended-strict)");
    }
    if html {
        let html_path = out.join(HTML_FILE);
        let bundle = bundle_path.to_string_lossy().into_owned();
        let html_arg = html_path.to_string_lossy().into_owned();
        run_redocly(
            root,
            &redocly,
            &[
                "build-docs",
                &bundle,
                "--inlineBundle",
                "--title",
                "FastSpring REST API (fastspring-api reference)",
                "-o",
                &html_arg,
            ],
            "build-docs",
        )?;
        println!("wrote {}", html_path.display());
    }
    Ok(())
}

/// The Redocly CLI of `api-spec/tools/redocly`, installed from its lockfile when it is
/// missing or when what is installed is not what the lockfile pins.
fn redocly(root: &Path) -> Result<PathBuf, String> {
    let dir = root.join(REDOCLY_DIR);
    let bin = dir.join("node_modules/.bin/redocly");
    let installed = match installed_as_locked(&dir) {
        Ok(()) if bin.exists() => true,
        Ok(()) => false,
        Err(why) => {
            if dir.join("node_modules").exists() {
                println!("reinstalling Redocly CLI: {why}");
            }
            false
        }
    };
    if !installed {
        println!("installing Redocly CLI (npm ci --ignore-scripts in {REDOCLY_DIR})");
        // `npm ci` installs exactly the lockfile (checking each package's integrity hash)
        // after removing `node_modules`; no package's install scripts run.
        let status = Command::new("npm")
            .args([
                "ci",
                "--ignore-scripts",
                "--no-audit",
                "--no-fund",
                "--loglevel=error",
            ])
            .current_dir(&dir)
            .env("REDOCLY_TELEMETRY", "off")
            .status()
            .map_err(|e| format!("cannot run npm (Node 20.19+ and npm are needed): {e}"))?;
        if !status.success() || !bin.exists() {
            return Err(format!("npm ci in {REDOCLY_DIR} failed ({status})"));
        }
        installed_as_locked(&dir).map_err(|why| format!("after npm ci in {REDOCLY_DIR}: {why}"))?;
    }
    Ok(bin)
}

/// Whether `dir/node_modules` holds exactly the packages of `dir/package-lock.json`: each
/// locked package is recorded in npm's own record of the install
/// (`node_modules/.package-lock.json`) with the locked version and integrity hash, and its
/// `package.json` names that version. Says what differs otherwise.
fn installed_as_locked(dir: &Path) -> Result<(), String> {
    let read = |path: PathBuf| -> Result<Value, String> {
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    };
    let locked = read(dir.join("package-lock.json"))?;
    let installed = read(dir.join("node_modules/.package-lock.json"))?;
    let packages = locked
        .get("packages")
        .and_then(Value::as_object)
        .ok_or("package-lock.json has no `packages`")?;
    for (path, entry) in packages.iter().filter(|(path, _)| !path.is_empty()) {
        let got = installed.pointer(&format!(
            "/packages/{}",
            path.replace('~', "~0").replace('/', "~1")
        ));
        for field in ["version", "integrity"] {
            let want = entry.get(field);
            let have = got.and_then(|g| g.get(field));
            if want != have {
                return Err(format!(
                    "{path}: {field} {} is locked, {} is installed",
                    want.map_or("(none)".into(), Value::to_string),
                    have.map_or("(none)".into(), Value::to_string)
                ));
            }
        }
        let manifest = read(dir.join(path).join("package.json"))?;
        if manifest.get("version") != entry.get("version") {
            return Err(format!("{path}/package.json names another version"));
        }
    }
    Ok(())
}

fn run_redocly(root: &Path, bin: &Path, args: &[&str], what: &str) -> Result<(), String> {
    let output = Command::new(bin)
        .args(args)
        .current_dir(root)
        .env("REDOCLY_TELEMETRY", "off")
        .env("REDOCLY_SUPPRESS_UPDATE_NOTICE", "true")
        .output()
        .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
    if output.status.success() {
        return Ok(());
    }
    // Redocly prints a boxed Node deprecation banner; keep only the findings.
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    let findings: Vec<&str> = text
        .lines()
        .filter(|l| !l.contains('║') && !l.contains('╔') && !l.contains('╚'))
        .collect();
    Err(format!(
        "redocly {what} failed ({}):\n{}",
        output.status,
        findings.join("\n").trim()
    ))
}

/// Appends every `x-fs-note` to the `description` of the node that carries it (renderers
/// hide `x-` extensions), creating the description where there is none. Returns how many.
pub fn publish_notes(value: &mut Value) -> usize {
    let mut count = 0;
    match value {
        Value::Object(map) => {
            if let Some(Value::String(note)) = map.get("x-fs-note") {
                let note = note.trim().to_string();
                let text = match map.get("description").and_then(Value::as_str) {
                    Some(d) if !d.trim().is_empty() => {
                        format!("{}\n\n{NOTE_LABEL} {note}", d.trim_end())
                    }
                    _ => format!("{NOTE_LABEL} {note}"),
                };
                map.insert("description".into(), Value::String(text));
                count += 1;
            }
            for (key, child) in map.iter_mut() {
                // Example values are payloads, not spec nodes.
                if key != "value" && key != "example" {
                    count += publish_notes(child);
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                count += publish_notes(item);
            }
        }
        _ => {}
    }
    count
}

/// Adds a `curl` request sample to every operation under `paths`. Fails when an operation
/// has no response example, or a JSON request body without an example: the reference
/// promises both.
pub fn add_code_samples(doc: &mut Value) -> Result<usize, String> {
    let server = doc
        .pointer("/servers/0/url")
        .and_then(Value::as_str)
        .unwrap_or("https://api.fastspring.com")
        .trim_end_matches('/')
        .to_string();
    let components = doc.get("components").cloned().unwrap_or(Value::Null);
    let Some(Value::Object(paths)) = doc.get_mut("paths") else {
        return Err("the bundle has no `paths`".into());
    };
    let mut count = 0;
    let mut missing = Vec::new();
    for (path, item) in paths.iter_mut() {
        let Value::Object(item) = item else { continue };
        let shared: Vec<Value> = item
            .get("parameters")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for method in METHODS {
            let Some(Value::Object(op)) = item.get_mut(*method) else {
                continue;
            };
            let id = op
                .get("operationId")
                .and_then(Value::as_str)
                .unwrap_or(path)
                .to_string();
            if !has_response_example(op, &components) {
                missing.push(format!("{id}: no response example"));
            }
            let body = request_example(op, &components);
            if let Some(Err(())) = body {
                missing.push(format!("{id}: JSON request body without an example"));
            }
            let mut params = shared.clone();
            if let Some(own) = op.get("parameters").and_then(Value::as_array) {
                params.extend(own.iter().cloned());
            }
            let sample = curl(
                method,
                &server,
                path,
                &params,
                &components,
                body.and_then(Result::ok).as_ref(),
                op.get("security"),
            );
            let samples = op
                .entry("x-codeSamples")
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(list) = samples {
                list.push(json!({"lang": "Shell", "label": "curl", "source": sample}));
            }
            count += 1;
        }
    }
    if missing.is_empty() {
        Ok(count)
    } else {
        Err(format!(
            "operations the reference cannot show examples for:\n  {}",
            missing.join("\n  ")
        ))
    }
}

/// Follows an internal `$ref` (`#/components/...`) once.
fn resolve<'a>(node: &'a Value, components: &'a Value) -> &'a Value {
    match node.get("$ref").and_then(Value::as_str) {
        Some(r) => r
            .strip_prefix("#/components")
            .and_then(|p| components.pointer(p))
            .unwrap_or(node),
        None => node,
    }
}

fn media_example(media: &Value, components: &Value) -> Option<Value> {
    if let Some(v) = media.get("example") {
        return Some(v.clone());
    }
    let examples = media.get("examples")?.as_object()?;
    examples
        .values()
        .map(|e| resolve(e, components))
        .find_map(|e| e.get("value").cloned())
}

fn has_response_example(op: &Map<String, Value>, components: &Value) -> bool {
    op.get("responses")
        .and_then(Value::as_object)
        .is_some_and(|responses| {
            responses.values().any(|r| {
                let r = resolve(r, components);
                r.get("content")
                    .and_then(Value::as_object)
                    .is_some_and(|c| c.values().any(|m| media_example(m, components).is_some()))
            })
        })
}

/// The first example of the JSON request body: `None` without a body, `Err` for a body
/// without an example.
fn request_example(op: &Map<String, Value>, components: &Value) -> Option<Result<Value, ()>> {
    let body = resolve(op.get("requestBody")?, components);
    let content = body.get("content")?.as_object()?;
    let (_, media) = content.iter().find(|(k, _)| k.contains("json"))?;
    Some(media_example(media, components).ok_or(()))
}

fn param_example(param: &Value, components: &Value) -> Option<String> {
    let example = param
        .get("example")
        .cloned()
        .or_else(|| media_example(param, components))
        .or_else(|| {
            let schema = resolve(param.get("schema")?, components);
            schema.get("example").cloned().or_else(|| {
                schema
                    .get("examples")
                    .and_then(Value::as_array)
                    .and_then(|a| a.first().cloned())
            })
        })?;
    Some(match example {
        Value::String(s) => s,
        Value::Array(items) => items
            .iter()
            .map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join(","),
        other => other.to_string(),
    })
}

/// Percent-encodes what cannot stand in a URL path segment or query value.
fn encode(text: &str, keep: &[u8]) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) || keep.contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn curl(
    method: &str,
    server: &str,
    path: &str,
    params: &[Value],
    components: &Value,
    body: Option<&Value>,
    security: Option<&Value>,
) -> String {
    let mut url_path = path.to_string();
    let mut query = Vec::new();
    for param in params {
        let param = resolve(param, components);
        let (Some(name), Some(place)) = (
            param.get("name").and_then(Value::as_str),
            param.get("in").and_then(Value::as_str),
        ) else {
            continue;
        };
        let example = param_example(param, components);
        match place {
            "path" => {
                let value = example.unwrap_or_else(|| name.to_uppercase());
                // `,` joins several IDs (x-fs-comma-separated) and `/` is part of product paths.
                url_path = url_path.replace(&format!("{{{name}}}"), &encode(&value, b",/"));
            }
            "query" => {
                // Only what the call needs: optional filters would read as a recommendation.
                let required = param.get("required").and_then(Value::as_bool) == Some(true);
                if required {
                    let value = example.unwrap_or_else(|| name.to_uppercase());
                    query.push(format!("{}={}", encode(name, b""), encode(&value, b",")));
                }
            }
            _ => {}
        }
    }
    let mut url = format!("{server}{url_path}");
    if !query.is_empty() {
        url = format!("{url}?{}", query.join("&"));
    }
    let anonymous_ok = security
        .and_then(Value::as_array)
        .is_some_and(|s| s.iter().any(|r| r.as_object().is_some_and(Map::is_empty)));
    let mut lines = vec![format!("curl -X {} '{url}'", method.to_uppercase())];
    lines.push("  -u \"$FASTSPRING_API_USERNAME:$FASTSPRING_API_PASSWORD\"".into());
    lines.push("  -H 'User-Agent: my-app/1.0'".into());
    if let Some(body) = body {
        let text = serde_json::to_string_pretty(body).unwrap_or_default();
        lines.push("  -H 'Content-Type: application/json'".into());
        lines.push(format!("  --data-binary @- <<'JSON'\n{text}\nJSON"));
    }
    let mut out = String::new();
    if anonymous_ok {
        out.push_str("# Buyer-facing: the credentials may be left out.\n");
    }
    out.push_str(&lines.join(" \\\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_join_descriptions_or_become_one_and_example_values_are_left_alone() {
        let mut doc = json!({
            "a": {"description": "Text.", "x-fs-note": "Old page says X; we chose Y."},
            "b": {"x-fs-note": "Only a note."},
            "c": {"examples": {"e": {"value": {"x-fs-note": "payload, not spec"}}}}
        });
        assert_eq!(publish_notes(&mut doc), 2);
        assert_eq!(
            doc["a"]["description"],
            "Text.\n\n**Sources and decision:** Old page says X; we chose Y."
        );
        assert_eq!(
            doc["b"]["description"],
            "**Sources and decision:** Only a note."
        );
        assert!(
            doc["c"]["examples"]["e"]["value"]
                .get("description")
                .is_none()
        );
    }

    #[test]
    fn curl_samples_fill_path_parameters_and_body_and_refuse_missing_examples() {
        let mut doc = json!({
            "servers": [{"url": "https://api.example"}],
            "components": {"parameters": {"Id": {"name": "id", "in": "path", "example": "a b"}}},
            "paths": {
                "/things/{id}": {
                    "post": {
                        "operationId": "updateThing",
                        "parameters": [{"$ref": "#/components/parameters/Id"},
                                       {"name": "lang", "in": "query", "required": true, "schema": {"example": "de"}}],
                        "requestBody": {"content": {"application/json": {"example": {"n": 1}}}},
                        "responses": {"200": {"content": {"application/json": {"examples": {"x": {"value": {}}}}}}}
                    }
                }
            }
        });
        assert_eq!(add_code_samples(&mut doc), Ok(1));
        let source = doc["paths"]["/things/{id}"]["post"]["x-codeSamples"][0]["source"]
            .as_str()
            .unwrap();
        assert!(
            source.starts_with("curl -X POST 'https://api.example/things/a%20b?lang=de' \\\n"),
            "{source}"
        );
        assert!(
            source.contains("--data-binary @- <<'JSON'\n{\n  \"n\": 1\n}\nJSON"),
            "{source}"
        );

        let mut bare = json!({"paths": {"/x": {"get": {"operationId": "getX", "responses": {"200": {"description": "no example"}}}}}});
        let err = add_code_samples(&mut bare).unwrap_err();
        assert!(err.contains("getX: no response example"), "{err}");
    }

    /// A folder with the real lockfile and a `node_modules` whose record and manifest
    /// say `version` / `integrity`.
    fn install_folder(name: &str, version: &str, integrity: &str) -> PathBuf {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let dir = std::env::temp_dir().join(format!("xtask-redocly-{name}-{}", std::process::id()));
        let package = dir.join("node_modules/@redocly/cli");
        std::fs::create_dir_all(&package).unwrap();
        std::fs::copy(
            root.join(REDOCLY_DIR).join("package-lock.json"),
            dir.join("package-lock.json"),
        )
        .unwrap();
        let record = json!({"packages": {"node_modules/@redocly/cli": {
            "version": version, "integrity": integrity}}});
        std::fs::write(
            dir.join("node_modules/.package-lock.json"),
            record.to_string(),
        )
        .unwrap();
        std::fs::write(
            package.join("package.json"),
            json!({"version": version}).to_string(),
        )
        .unwrap();
        dir
    }

    #[test]
    fn an_install_that_is_not_the_lockfiles_is_noticed() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let lock: Value = serde_json::from_str(
            &std::fs::read_to_string(root.join(REDOCLY_DIR).join("package-lock.json")).unwrap(),
        )
        .unwrap();
        let entry = &lock["packages"]["node_modules/@redocly/cli"];
        let (version, integrity) = (
            entry["version"].as_str().unwrap(),
            entry["integrity"].as_str().unwrap(),
        );

        let same = install_folder("same", version, integrity);
        assert_eq!(installed_as_locked(&same), Ok(()));

        let other_version = install_folder("other-version", "0.0.1", integrity);
        let why = installed_as_locked(&other_version).unwrap_err();
        assert!(
            why.contains("version \"2.") && why.contains("\"0.0.1\" is installed"),
            "{why}"
        );

        let other_hash = install_folder("other-hash", version, "sha512-AAAA");
        let why = installed_as_locked(&other_hash).unwrap_err();
        assert!(why.contains("integrity"), "{why}");

        let no_record = install_folder("no-record", version, integrity);
        std::fs::remove_file(no_record.join("node_modules/.package-lock.json")).unwrap();
        let why = installed_as_locked(&no_record).unwrap_err();
        assert!(why.contains(".package-lock.json"), "{why}");

        for dir in [same, other_version, other_hash, no_record] {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
