//! Fuzzing the spec loader on stable Rust: a seeded mutation driver edits the YAML text
//! of one document of every fixture spec and of the real spec (`api-spec/openapi.yaml`
//! and its split files) and runs `Spec::from_documents` and `generate_from` on the
//! result. Bad input must give an error, never a panic or a hang.
//!
//! `cargo test` fuzzes for a time budget (`FUZZ_SECONDS`, default 10) and never fewer
//! than 300 cases; a case may run `FUZZ_CASE_SECONDS` (default 60: a case of the real
//! spec loads 1.5 MB of YAML, slow in a debug build). `FUZZ_CASES=N` runs exactly N
//! cases instead. The long run:
//! `FUZZ_CASES=1000000 cargo test --release -p codegen --test fuzz_spec`
//! (`FUZZ_SEED` picks another sequence). The driver is `tests/fuzzing/mod.rs`.

mod common;
mod fuzzing;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use fuzzing::{Input, Rng, Settings, drive};

/// Snippets that stress a YAML/OpenAPI loader.
const TOKENS: &[&str] = &[
    "\n",
    ": ",
    "- ",
    "  ",
    "\t",
    "{",
    "}",
    "[",
    "]",
    "'",
    "\"",
    "&a ",
    "*a",
    "!!binary ",
    "<<: *a\n",
    "$ref: '#/components/schemas/Nope'\n",
    "$ref: 'missing.yaml#/x'\n",
    "$ref: '#'\n",
    "$ref: '#/paths/~1x~'\n",
    "type: [string, 'null']\n",
    "oneOf: []\n",
    "allOf: [{}]\n",
    "enum: []\n",
    "nullable: true\n",
    "x-fs-paging: {style: page}\n",
    "x-fs-batch: {items: 1}\n",
    "operationId: \n",
    "required: [a, a]\n",
    "format: password\n",
    "? \n",
    "~",
    "null",
    "1e999",
    "-",
    "#",
    "%YAML 1.2\n",
    "---\n",
    "...\n",
    "é",
    "\u{0}",
];

/// Mutates YAML text at the character level, keeping it valid UTF-8.
fn mutate(text: &str, rng: &mut Rng) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    let rounds = if rng.below(4) == 0 {
        1 + rng.below(4)
    } else {
        1
    };
    for _ in 0..rounds {
        let len = chars.len();
        match rng.below(6) {
            0 if len > 0 => {
                let at = rng.below(len);
                let n = rng.below(len - at + 1).min(12);
                chars.drain(at..at + n);
            }
            1 if len > 0 => {
                let at = rng.below(len);
                let n = rng.below(len - at + 1).min(400);
                let copy: Vec<char> = chars[at..at + n].to_vec();
                let to = rng.below(len + 1);
                chars.splice(to..to, copy);
            }
            2 if len > 0 => {
                // Swap two lines (moves keys between levels and sections).
                let lines: Vec<String> = chars
                    .iter()
                    .collect::<String>()
                    .lines()
                    .map(String::from)
                    .collect();
                if lines.len() > 1 {
                    let mut lines = lines;
                    let a = rng.below(lines.len());
                    let b = rng.below(lines.len());
                    lines.swap(a, b);
                    chars = lines.join("\n").chars().collect();
                }
            }
            3 if len > 0 => {
                // Change indentation of a random line.
                let at = rng.below(len);
                let start = chars[..at]
                    .iter()
                    .rposition(|c| *c == '\n')
                    .map_or(0, |p| p + 1);
                if rng.below(2) == 0 {
                    chars.insert(start, ' ');
                } else if chars.get(start) == Some(&' ') {
                    chars.remove(start);
                }
            }
            4 if len > 0 => {
                let at = rng.below(len);
                chars[at] = rng.pick(TOKENS).chars().next().unwrap_or(' ');
            }
            _ => {
                let to = rng.below(len + 1);
                let token: Vec<char> = rng.pick(TOKENS).chars().collect();
                chars.splice(to..to, token);
            }
        }
    }
    chars.into_iter().collect()
}

/// A spec: its root document's name and every document (name, text).
type Documents = (String, Vec<(String, String)>);

/// The `.yaml` documents of one folder, sorted by name.
fn documents(dir: &std::path::Path) -> Vec<(String, String)> {
    let mut docs = Vec::new();
    for entry in std::fs::read_dir(dir).expect("spec folder") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "yaml") {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&path).expect("spec text");
            docs.push((name, text));
        }
    }
    docs.sort();
    docs
}

/// Every fixture spec, then the real spec (`api-spec/`, last).
fn corpus() -> Vec<Documents> {
    let mut out = Vec::new();
    let mut dirs: Vec<_> = std::fs::read_dir(common::fixtures_dir())
        .expect("fixtures")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for dir in dirs
        .into_iter()
        .chain([common::workspace_root().join("api-spec")])
    {
        let docs = documents(&dir);
        if docs.iter().any(|(n, _)| n == "openapi.yaml") {
            out.push(("openapi.yaml".to_string(), docs));
        }
    }
    out
}

/// A spec with one document mutated.
struct MutatedSpec {
    /// Whether it is the real spec (`api-spec/`).
    real: bool,
    root: String,
    docs: Vec<(String, String)>,
    mutated: usize,
}

impl Input for MutatedSpec {
    fn describe(&self) -> String {
        let (name, text) = &self.docs[self.mutated];
        format!(
            "root {}{}, {} documents; mutated {name}:\n{text}",
            self.root,
            if self.real { " (api-spec)" } else { "" },
            self.docs.len()
        )
    }
}

#[test]
fn fuzz_the_spec_loader_and_generator_with_mutated_yaml() {
    let corpus = corpus();
    assert!(corpus.len() > 10, "{} fixtures", corpus.len());
    let real = corpus.last().expect("the real spec");
    assert!(
        real.1.len() > 10 && real.1.iter().any(|(n, _)| n == "orders.yaml"),
        "the real spec and its split files are in the corpus"
    );
    let loaded = Arc::new(AtomicU64::new(0));
    let generated = Arc::new(AtomicU64::new(0));
    let real_cases = Arc::new(AtomicU64::new(0));
    let (l, g, r) = (
        Arc::clone(&loaded),
        Arc::clone(&generated),
        Arc::clone(&real_cases),
    );
    let report = drive(
        "spec loader",
        Settings::from_env_with_case_limit(10, 300, 60),
        |rng| {
            // One case in eight mutates the real spec (it is 1.5 MB, slow to load).
            let real_case = rng.chance(8);
            let (root, docs) = if real_case {
                real
            } else {
                rng.pick(&corpus[..corpus.len() - 1])
            };
            let mut docs = docs.clone();
            let mutated = rng.below(docs.len());
            docs[mutated].1 = mutate(&docs[mutated].1, rng);
            MutatedSpec {
                real: real_case,
                root: root.clone(),
                docs,
                mutated,
            }
        },
        move |case| {
            if case.real {
                r.fetch_add(1, Ordering::Relaxed);
            }
            let refs: Vec<(&str, &str)> = case
                .docs
                .iter()
                .map(|(n, t)| (n.as_str(), t.as_str()))
                .collect();
            if let Ok(spec) = codegen::spec::Spec::from_documents(&case.root, &refs) {
                l.fetch_add(1, Ordering::Relaxed);
                if codegen::generate_from(&spec).is_ok() {
                    g.fetch_add(1, Ordering::Relaxed);
                }
            }
        },
    );
    let (loaded, generated, real_cases) = (
        loaded.load(Ordering::Relaxed),
        generated.load(Ordering::Relaxed),
        real_cases.load(Ordering::Relaxed),
    );
    eprintln!(
        "spec loader: {} cases ({real_cases} of the real spec), {loaded} loaded, {generated} generated",
        report.cases
    );
    assert!(real_cases > 0, "no case mutated the real spec");
    // Mutations that keep a spec loadable and generatable must happen, or the generator
    // is not reached.
    assert!(
        loaded > report.cases / 10,
        "{loaded} of {} loaded",
        report.cases
    );
    assert!(generated > 0, "no mutated spec generated");
}

#[test]
fn the_fuzz_driver_reports_a_case_that_hangs_or_panics_with_its_input() {
    fuzzing::check_the_driver_reports_hangs_and_panics();
}

/// Found by the long run (case 40982): an `x-rust-name` that is not an identifier
/// panicked in `proc_macro2::Ident::new`; it is now a spec error naming the node.
#[test]
fn an_x_rust_name_that_is_not_an_identifier_is_an_error_not_a_panic() {
    let path = common::fixtures_dir().join("name-collision/openapi.yaml");
    let text = std::fs::read_to_string(path).expect("fixture");
    assert!(text.contains("x-rust-name: BuyerClient"));
    for bad in ["BuyerC\"ient", "Buyer Client", "1Buyer", "fn", "Bü"] {
        let mutated = text.replace("x-rust-name: BuyerClient", &format!("x-rust-name: '{bad}'"));
        let spec =
            codegen::spec::Spec::from_documents("openapi.yaml", &[("openapi.yaml", &mutated)])
                .expect("still YAML");
        let error = codegen::generate_from(&spec).expect_err(bad);
        assert!(error.to_string().contains("x-rust-name"), "{bad}: {error}");
    }
}

/// Found by the long run (case 117673): a path template with an unclosed `{` panicked
/// while the path was emitted; it is now a spec error.
#[test]
fn a_path_template_with_an_unclosed_brace_is_an_error_not_a_panic() {
    let path = common::fixtures_dir().join("password/openapi.yaml");
    let text = std::fs::read_to_string(path).expect("fixture");
    assert!(text.contains("/webhooks/keys/{key}:"));
    for bad in [
        "/webhooks/keys/{key :",
        "/webhooks/keys/key}:",
        "/webhooks/keys/{{key}}:",
    ] {
        let mutated = text.replace("/webhooks/keys/{key}:", bad);
        let Ok(spec) =
            codegen::spec::Spec::from_documents("openapi.yaml", &[("openapi.yaml", &mutated)])
        else {
            continue;
        };
        let error = codegen::generate_from(&spec).expect_err(bad);
        assert!(error.to_string().contains("path"), "{bad}: {error}");
    }
}
