//! What generated code may name in `fastspring-api`, in one place: the generator and the
//! runtime agree through this file (smithy-rs keeps such a registry in `RuntimeType.kt`).

/// Names the runtime uses in the same namespaces as generated items.
pub const RESERVED_TYPE_NAMES: &[&str] = &[
    "Client",
    "Error",
    "Result",
    "Option",
    "Vec",
    "String",
    "Box",
    "Decimal",
    "EpochMillis",
    "EpochSeconds",
    "Value",
    "BTreeMap",
    "Self",
    // imported by every generated module (`emit::short_paths`)
    "Amount",
    "BatchOutcome",
    "Ids",
    "RequestOptions",
    "Secret",
];

/// Names builders reserve for their own methods.
pub const BUILDER_METHODS: &[&str] = &[
    "send",
    "timeout",
    "options",
    "into_future",
    "retry_non_idempotent",
];

/// The stand-in ID that `get_many` builds its path template with (it cannot occur in
/// an encoded ID, since `%` itself is encoded).
pub const MULTI_ID_PLACEHOLDER: &str = "%MULTI_ID%";
