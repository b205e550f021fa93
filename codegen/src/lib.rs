//! `codegen` turns the hand-maintained FastSpring OpenAPI spec (`api-spec/`) into the
//! Rust source of the `fastspring-api` crate.
//!
//! The pipeline runs in one direction: [`spec::Spec::load`] reads the YAML files and
//! resolves `$ref`s, [`ir::lower`] validates the spec and decides every Rust name, and
//! [`emit::emit`] prints the IR with `quote` and formats it with `prettyplease`.
//! Nothing here touches the network or writes files; `xtask` does the writing.
//! A malformed or unsupported spec is an [`Error`] naming the file and the JSON pointer.

pub mod bundle;
pub mod changes;
pub mod contract;
pub mod emit;
pub mod examples;
pub mod extensions;
pub mod ir;
pub mod spec;

use std::path::Path;

pub use emit::File;

/// A problem with the spec, located by file and JSON pointer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}#{pointer}: {message}")]
pub struct Error {
    /// Spec file (relative to the spec folder).
    pub file: String,
    /// JSON pointer of the offending node (empty for the whole file).
    pub pointer: String,
    /// What is wrong.
    pub message: String,
}

impl Error {
    /// An error at `file#pointer`.
    pub fn at(file: &str, pointer: &str, message: impl Into<String>) -> Error {
        Error {
            file: file.to_string(),
            pointer: pointer.to_string(),
            message: message.into(),
        }
    }
}

/// Generates the crate's source from the spec whose root document is `root`.
pub fn generate(root: &Path) -> Result<Vec<File>, Error> {
    let spec = spec::Spec::load(root)?;
    generate_from(&spec)
}

/// Generates from an already loaded spec.
pub fn generate_from(spec: &spec::Spec) -> Result<Vec<File>, Error> {
    let ir = ir::lower(spec)?;
    emit::emit(&ir)
}
