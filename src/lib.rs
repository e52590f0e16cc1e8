//! redlock-rs: the Redlock distributed-lock algorithm for Node.js, with a pure-Rust engine.

pub mod backend;
pub mod engine;
pub mod execution;
pub mod holds;
mod js;
pub mod keeper;
pub mod leases;
pub mod lockapi;
pub mod mutants;
pub mod quorum;
pub mod retry;
/// Transitional: `release_tag` is to move to `signals` (issue 9); until then the engine and the
/// in-memory backend call it by this path.
pub(crate) mod scripts {
    pub use crate::backend::redis::scripts::release_tag;
}
pub mod settings;
pub mod signals;
pub mod slot;
pub mod validity;
pub mod value;
