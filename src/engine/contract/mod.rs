//! The JSON surface: every tool's arguments and results, as types. The tools' input and output
//! schemas are generated from them (`mcp/schema.rs`), so their doc comments are what a calling
//! model reads as descriptions, and docs/tools.md documents them field by field. A change here
//! is a change to the contract: change docs/tools.md with it (`tests/it/contract.rs` checks
//! that every field is documented).
//!
//! Only the types live here; how a request is checked is `engine/spec.rs`, how a result is
//! built from the task's record is `engine/view.rs`, `batch.rs` and `listing.rs`.

mod arguments;
mod results;
mod review_result;
mod status_result;

pub(crate) use arguments::*;
pub(crate) use results::*;
pub(crate) use review_result::*;
pub(crate) use status_result::*;
