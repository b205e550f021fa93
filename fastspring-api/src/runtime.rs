//! The contract between the generated code and the hand-written runtime: `pub use` of
//! exactly the items that `src/generated/` names (`runtime::…` and
//! `use crate::runtime::{…}`), and nothing else. Not a stable API.
//!
//! Each item lives in the module that owns its concern (see the crate's module map in
//! `DESIGN.md`); this list is what the generator may rely on, and `codegen`'s contract
//! table is checked against it.

// What one call is: the operation's metadata, the request, path and body encoding.
pub use crate::request::{
    BatchMeta, OperationMeta, PagingMeta, PagingStyle, Request, encode_body, encode_path_ids,
    encode_path_param,
};

// Dates in queries: each parameter's form (`format: date`, `x-fs-time`).
pub use crate::query_date::DateForm;

// How generated types read and write JSON: the modules behind `object!` and `union!`,
// the seeds and helpers generated fields name, and the error a payload check reports.
pub use crate::codec::fields::{double_option, is_absent};
pub use crate::codec::lenient::{lenient_bool, lenient_float, lenient_int, lenient_string};
pub(crate) use crate::codec::string_enum::string_enum;
// A generated `*_at()` accessor: the first readable time of a field and its twins.
pub use crate::codec::{DecodeFailure, object, union};
pub(crate) use crate::types::first_time;

// What a call does on top of the transport.
pub use crate::call::batch::send_batch;
pub use crate::call::multi_id::get_many;
pub use crate::call::objects::{Resolver, objects};
pub use crate::call::paging::{items, pages};
pub(crate) use crate::call::request_builder;
pub use crate::call::single::send_one;

// The generated shape registry: its types and the decoder each shape names.
#[cfg(feature = "payload-check")]
pub use crate::codec::reencode::reencode;
#[cfg(feature = "payload-check")]
pub use crate::decode::client_decode;
#[cfg(all(feature = "payload-check", feature = "schemars"))]
pub use crate::shape::SchemaFn;
#[cfg(feature = "payload-check")]
pub use crate::shape::{Part, Shape};

// Hooks for the benchmarks (`decode_json`) and the fuzz tests.
pub use crate::decode::{decode_json, exercise_response_handling};
