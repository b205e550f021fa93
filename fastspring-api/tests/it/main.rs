//! The crate's integration tests, one binary with a module per concern (one link
//! instead of one per file). `fuzz` (its long run is `--release` with `FUZZ_CASES`) and
//! `schema_drift` (feature `schemars`) are binaries of their own.
//!
//! Run one concern with a filter: `cargo test -p fastspring-api --test it faults::`.

mod accessors;
mod claims;
mod examples;
mod faults;
mod first_hour;
mod hardening;
mod lenient_decoding;
mod pagination;
mod reports;
mod runtime_behaviour;
mod security_residues;
mod support;
mod unreadable_values;
mod webhooks;
mod wire;
