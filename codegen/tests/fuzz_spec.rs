//! Fuzzing the spec loader on stable Rust: a seeded mutation driver edits the YAML text
//! of every fixture spec (and of the real spec's smaller files) and runs
//! `Spec::from_documents` and `generate_from` on the result. Bad input must give an
//! error, never a panic.
//!
//! `cargo test` runs a bounded number of cases (`FUZZ_CASES`, default 300). The long
//! run: `FUZZ_CASES=1000000 cargo test --release -p codegen --test fuzz_spec`
//! (`FUZZ_SEED` picks another sequence).

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};

fn cases() -> u64 {
    std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300)
}

fn seed() -> u64 {
    std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5eed_f00d_cafe_b0ba)
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

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
                chars[at] = TOKENS[rng.below(TOKENS.len())]
                    .chars()
                    .next()
                    .unwrap_or(' ');
            }
            _ => {
                let to = rng.below(len + 1);
                let token: Vec<char> = TOKENS[rng.below(TOKENS.len())].chars().collect();
                chars.splice(to..to, token);
            }
        }
    }
    chars.into_iter().collect()
}

/// Every fixture (root name, documents).
fn corpus() -> Vec<(String, Vec<(String, String)>)> {
    let mut out = Vec::new();
    let mut dirs: Vec<_> = std::fs::read_dir(common::fixtures_dir())
        .expect("fixtures")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for dir in dirs {
        let mut docs = Vec::new();
        for entry in std::fs::read_dir(&dir).expect("fixture dir") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "yaml") {
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                let text = std::fs::read_to_string(&path).expect("fixture text");
                docs.push((name, text));
            }
        }
        docs.sort();
        if docs.iter().any(|(n, _)| n == "openapi.yaml") {
            out.push(("openapi.yaml".to_string(), docs));
        }
    }
    out
}

#[test]
fn fuzz_the_spec_loader_and_generator_with_mutated_yaml() {
    let corpus = corpus();
    assert!(corpus.len() > 10, "{} fixtures", corpus.len());
    let base = seed();
    let mut rng = Rng(base | 1);
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let total = cases();
    let mut loaded = 0u64;
    let mut generated = 0u64;
    for case in 0..total {
        let mut case_rng = Rng(rng.next() | 1);
        let (root, docs) = &corpus[case_rng.below(corpus.len())];
        let mut docs = docs.clone();
        let which = case_rng.below(docs.len());
        docs[which].1 = mutate(&docs[which].1, &mut case_rng);
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let refs: Vec<(&str, &str)> =
                docs.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
            match codegen::spec::Spec::from_documents(root, &refs) {
                Ok(spec) => (true, codegen::generate_from(&spec).is_ok()),
                Err(_) => (false, false),
            }
        }));
        if case > 0 && case % 100_000 == 0 {
            eprintln!("spec loader: {case} cases, 0 panics so far");
        }
        match outcome {
            Ok((l, g)) => {
                loaded += u64::from(l);
                generated += u64::from(g);
            }
            Err(panic) => {
                std::panic::set_hook(hook);
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                panic!(
                    "case {case} (FUZZ_SEED={base}) panicked: {message}\nfile {}:\n{}",
                    docs[which].0, docs[which].1
                );
            }
        }
    }
    std::panic::set_hook(hook);
    eprintln!(
        "spec loader: {total} cases, 0 panics ({loaded} loaded, {generated} generated; FUZZ_SEED={base})"
    );
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
