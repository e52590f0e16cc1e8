//! The three API shapes over the engine: v5 executions with per-attempt statistics and
//! monotonic leases, the original redlock-rs holder (`acquireLock` / `releaseLock`), and the
//! automatic extension behind `using()`. The napi layer (`src/js/`) only converts to and from JS.

pub mod execution;
pub mod holds;
pub mod keeper;
pub mod leases;
pub mod lockapi;
