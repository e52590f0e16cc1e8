//! The Redis backend: nodes reached through the `redis` crate, one multiplexed,
//! auto-reconnecting connection per node, running the Lua scripts of `scripts`.
//!
//! - `config`: where a node is (`NodeConfig`, URLs), labels and redaction
//! - `connect`: single server, Cluster and Sentinel handles, timeouts and reconnects
//! - `sentinel`: finding the master; `tls`: certificates
//! - `node`: `RedisNode`, every operation through one request path (`RedisNode::run`)
//! - `guard`: the restart guard (who the server is; whether its grants count yet)
//! - `custom`: the caller's own scripts (`ScriptedNode`)
//! - `listener`: release announcements that wake waiters
//! - `scripts`: every Lua script and its SHA
//!
//! Only what the napi layer needs to build nodes is public; the engine sees `dyn Backend`.

mod config;
mod connect;
mod custom;
mod guard;
mod listener;
#[cfg(feature = "mutants")]
mod mutants;
mod node;
pub mod scripts;
mod sentinel;
mod tls;

pub use config::{NodeConfig, SentinelConfig, TlsOptions};
pub use custom::ScriptedNode;
pub use node::RedisNode;
