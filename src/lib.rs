//! redlock-rs: the Redlock distributed-lock algorithm for Node.js, with a pure-Rust engine.
//!
//! `algo` (pure rules) ← `engine` (the attempt loop over `backend::Backend` nodes) ← `api` (the
//! three API shapes) ← `js` (the only module that speaks N-API).

pub mod algo;
// Not in `cargo test` builds: the engine's tests install their own allocator.
#[cfg(all(feature = "count-alloc", not(test)))]
mod alloc_count;
pub mod api;
pub mod backend;
pub mod engine;
mod js;
pub mod signals;
#[cfg(feature = "mutants")]
pub mod testing;
/// Test-only bugs (`testing::mutants`), by the path the backend asks them.
#[cfg(feature = "mutants")]
pub use testing::mutants;
