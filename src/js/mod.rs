//! The only place that speaks N-API: argument validation, conversion and Promise plumbing.
//! Logic lives in the engine (`crate::engine`) and the original API (`crate::api::lockapi`).

mod args;
mod caller;
mod client;
mod completions;
mod dispatch;
mod keeper;
#[cfg(feature = "mutants")]
mod mutants;
mod redlock;
mod runtime;
mod v5;
mod votes;
