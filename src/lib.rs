//! redlock-rs: the Redlock distributed-lock algorithm for Node.js, with a pure-Rust engine.

pub mod backend;
pub mod engine;
pub mod execution;
pub mod holds;
mod js;
pub mod keeper;
pub mod leases;
pub mod lockapi;
pub mod quorum;
pub mod retry;
pub mod settings;
pub mod signals;
pub mod slot;
#[cfg(feature = "mutants")]
pub mod testing;
/// Test-only bugs (`testing::mutants`), by the path the backend asks them.
#[cfg(feature = "mutants")]
pub use testing::mutants;
pub mod validity;
pub mod value;
