//! The seeded mutation driver shared by the fuzz tests (`codegen/tests/fuzz_spec.rs`,
//! and `fastspring-api/tests/fuzz.rs` through `#[path]`): the budget, the random
//! source, and a driver that runs each case on a worker thread under a watchdog.
//!
//! - **Budget.** `FUZZ_CASES=N` runs exactly N cases. Otherwise a target runs for
//!   `FUZZ_SECONDS` (its own default) and never fewer than its minimum case count.
//!   `FUZZ_SEED` picks another sequence.
//! - **Watchdog.** Cases run on worker threads. A case that runs longer than
//!   `FUZZ_CASE_SECONDS` (default 10 s, or the target's own) fails the test with its case
//!   number, the seed and its input; the stuck thread is left behind, so the test binary
//!   still ends. A panic fails the test the same way. A stack overflow aborts the
//!   process, but Rust's message names the thread, and so the cases it ran and the seed
//!   (`FUZZ_SEED=… FUZZ_CASES=<end of the range>` repeats it).
//! - **Inputs.** A failing case's whole input is written to a file (its path is in the
//!   failure message) and its start is printed.
//! - **Panic hook.** Installed once and never swapped back: it is silent for the fuzz
//!   worker threads only, so parallel tests cannot leave a silent hook behind.

#![allow(dead_code)] // each fuzz binary uses a different subset

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Once, mpsc};
use std::time::{Duration, Instant};

/// How long a target is fuzzed.
#[derive(Clone, Copy, Debug)]
pub enum Budget {
    /// Exactly this many cases (`FUZZ_CASES`).
    Cases(u64),
    /// At least `min_cases`, and until `time` has passed.
    Time { time: Duration, min_cases: u64 },
}

impl Budget {
    /// `FUZZ_CASES` when set, else `FUZZ_SECONDS` (default `default_seconds`) with at
    /// least `min_cases` cases.
    pub fn from_env(default_seconds: u64, min_cases: u64) -> Budget {
        match env_u64("FUZZ_CASES") {
            Some(n) => Budget::Cases(n),
            None => Budget::Time {
                time: Duration::from_secs(env_u64("FUZZ_SECONDS").unwrap_or(default_seconds)),
                min_cases,
            },
        }
    }

    fn more(self, case: u64, started: Instant) -> bool {
        match self {
            Budget::Cases(n) => case < n,
            Budget::Time { time, min_cases } => case < min_cases || started.elapsed() < time,
        }
    }
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

/// `FUZZ_SEED`, or the fixed default.
pub fn seed() -> u64 {
    env_u64("FUZZ_SEED").unwrap_or(0x5eed_f00d_cafe_b0ba)
}

/// How long one case may run: `FUZZ_CASE_SECONDS`, else `default_seconds`.
pub fn case_limit(default_seconds: u64) -> Duration {
    Duration::from_secs(env_u64("FUZZ_CASE_SECONDS").unwrap_or(default_seconds))
}

/// xorshift64*: small, fast, reproducible.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
    pub fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// A fuzz input: what a failure report shows of it.
pub trait Input: Send + Sync + 'static {
    /// The whole input as text (written to the failure file; its start is printed).
    fn describe(&self) -> String;
}

impl Input for Vec<u8> {
    fn describe(&self) -> String {
        String::from_utf8_lossy(self).into_owned()
    }
}

impl Input for String {
    fn describe(&self) -> String {
        self.clone()
    }
}

/// The driver's settings for one target.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    pub budget: Budget,
    pub seed: u64,
    pub case_limit: Duration,
}

impl Settings {
    /// From the environment (see the module docs), a case allowed 10 s.
    pub fn from_env(default_seconds: u64, min_cases: u64) -> Settings {
        Settings::from_env_with_case_limit(default_seconds, min_cases, 10)
    }

    /// From the environment, a case allowed `case_seconds` unless `FUZZ_CASE_SECONDS` says.
    pub fn from_env_with_case_limit(
        default_seconds: u64,
        min_cases: u64,
        case_seconds: u64,
    ) -> Settings {
        Settings {
            budget: Budget::from_env(default_seconds, min_cases),
            seed: seed(),
            case_limit: case_limit(case_seconds),
        }
    }
}

/// What a finished run did.
#[derive(Debug)]
pub struct Report {
    pub cases: u64,
}

const WORKER_PREFIX: &str = "fuzz worker: ";

/// Installs, once per process, a panic hook that is silent on fuzz worker threads and
/// hands every other panic to the hook that was there before.
fn install_quiet_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let worker = std::thread::current()
                .name()
                .is_some_and(|n| n.starts_with(WORKER_PREFIX));
            if !worker {
                previous(info);
            }
        }));
    });
}

fn panic_text(panic: Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

/// Writes the failing input to a file and returns the failure message.
fn failure(name: &str, case: u64, seed: u64, what: &str, input: &dyn Input) -> String {
    let text = input.describe();
    let dir = std::env::temp_dir();
    let file = dir.join(format!(
        "fuzz-{}-seed{seed}-case{case}.txt",
        name.replace(|c: char| !c.is_ascii_alphanumeric(), "_")
    ));
    let saved = match std::fs::write(&file, &text) {
        Ok(()) => format!("whole input in {}", file.display()),
        Err(e) => format!("could not save the input to {}: {e}", file.display()),
    };
    // Control characters escaped, so that the input cannot drive the terminal.
    let mut start = String::new();
    for c in text.chars().take(2_000) {
        if c.is_control() && c != '\n' {
            start.extend(c.escape_default());
        } else {
            start.push(c);
        }
    }
    if text.chars().nth(2_000).is_some() {
        start.push('…');
    }
    format!("{name}: case {case} (FUZZ_SEED={seed}) {what}\n{saved}; it starts:\n{start}")
}

/// FNV-1a: a fixed hash of a target's name.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Cases run on one worker thread before the next takes over (a thread per case would
/// cost more than many cases do).
const CASES_PER_WORKER: u64 = 256;

/// Runs cases until the budget is spent: `make` draws an input (on the calling thread),
/// `run` runs it on a worker thread under the watchdog. Panics with the case number,
/// the seed and the input when a case panics or outlives `settings.case_limit`. Each
/// worker runs [`CASES_PER_WORKER`] cases and is named after the target, those cases
/// and the seed, so that even a stack overflow, which aborts the process, says where to
/// look (`thread 'fuzz worker: spec loader, cases 0..256, FUZZ_SEED=…' has overflowed
/// its stack`; `FUZZ_CASES=256` with that seed repeats it).
pub fn drive<I: Input>(
    name: &str,
    settings: Settings,
    mut make: impl FnMut(&mut Rng) -> I,
    run: impl Fn(&I) + Send + Sync + 'static,
) -> Report {
    install_quiet_hook();
    let run = Arc::new(run);
    let (to_driver, outcomes) = mpsc::channel::<Result<(), String>>();
    let mut to_worker: Option<mpsc::Sender<Arc<I>>> = None;
    // Each target its own sequence of the same seed (one FUZZ_SEED reproduces them all).
    let mut rng = Rng::new(settings.seed ^ fnv1a(name.as_bytes()));
    let started = Instant::now();
    let mut case = 0;
    while settings.budget.more(case, started) {
        let mut case_rng = Rng::new(rng.next());
        if case > 0 && case % 100_000 == 0 {
            eprintln!("{name}: {case} cases, 0 failures so far");
        }
        if case % CASES_PER_WORKER == 0 {
            // The previous worker's inbox closes, and it ends.
            let (sender, inbox) = mpsc::channel::<Arc<I>>();
            to_worker = Some(sender);
            let (run, to_driver) = (Arc::clone(&run), to_driver.clone());
            std::thread::Builder::new()
                .name(format!(
                    "{WORKER_PREFIX}{name}, cases {case}..{}, FUZZ_SEED={}",
                    case + CASES_PER_WORKER,
                    settings.seed
                ))
                .spawn(move || {
                    for input in inbox {
                        let outcome =
                            catch_unwind(AssertUnwindSafe(|| run(&input))).map_err(panic_text);
                        if to_driver.send(outcome).is_err() {
                            break;
                        }
                    }
                })
                .expect("a worker thread");
        }
        let input = Arc::new(make(&mut case_rng));
        to_worker
            .as_ref()
            .expect("a worker")
            .send(Arc::clone(&input))
            .expect("the worker is waiting");
        match outcomes.recv_timeout(settings.case_limit) {
            Ok(Ok(())) => {}
            Ok(Err(message)) => panic!(
                "{}",
                failure(
                    name,
                    case,
                    settings.seed,
                    &format!("panicked: {message}"),
                    &*input
                )
            ),
            Err(mpsc::RecvTimeoutError::Timeout) => panic!(
                "{}",
                failure(
                    name,
                    case,
                    settings.seed,
                    &format!(
                        "still running after {:?} (FUZZ_CASE_SECONDS); the watchdog gave up on it",
                        settings.case_limit
                    ),
                    &*input
                )
            ),
            Err(mpsc::RecvTimeoutError::Disconnected) => panic!(
                "{}",
                failure(name, case, settings.seed, "lost its worker thread", &*input)
            ),
        }
        case += 1;
    }
    eprintln!(
        "{name}: {case} cases in {:.1} s, 0 failures (FUZZ_SEED={})",
        started.elapsed().as_secs_f64(),
        settings.seed
    );
    Report { cases: case }
}

/// The driver fails a case that hangs, naming the case and its input, instead of
/// hanging the test; and a panicking case the same way.
pub fn check_the_driver_reports_hangs_and_panics() {
    let settings = Settings {
        budget: Budget::Cases(10),
        seed: 7,
        case_limit: Duration::from_millis(300),
    };
    let numbered = || {
        let mut n = 0;
        move |_: &mut Rng| {
            n += 1;
            format!("input {n}")
        }
    };
    // What a run whose `run` is `run` fails with (numbered inputs, `settings`).
    let failure_of = |name: &str, run: fn(&String)| {
        catch_unwind(AssertUnwindSafe(|| drive(name, settings, numbered(), run)))
            .map(|_| ())
            .map_err(panic_text)
            .expect_err("the run fails")
    };
    let hang = failure_of("watchdog self-test", |input| {
        if input == "input 4" {
            // A case that never ends (the thread is left behind).
            loop {
                std::thread::park();
            }
        }
    });
    assert!(hang.contains("still running after 300ms"), "{hang}");
    assert!(hang.contains("case 3 (FUZZ_SEED=7)"), "{hang}");
    assert!(hang.contains("it starts:\ninput 4"), "{hang}");
    let panicked = failure_of("panic self-test", |input| {
        assert_ne!(input, "input 2", "planted")
    });
    assert!(panicked.contains("panicked: assertion"), "{panicked}");
    assert!(panicked.contains("planted"), "{panicked}");
    assert!(panicked.contains("case 1 (FUZZ_SEED=7)"), "{panicked}");
    assert!(panicked.contains("it starts:\ninput 2"), "{panicked}");
}
