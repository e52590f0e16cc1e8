//! `NativeRedlock`: the engine over the nodes of several clients.

use super::args::{self, throw};
use super::client::{acquire_lock, release_lock, NativeClient};
use crate::backend::Backend;
use crate::engine::Engine;
use crate::leases::Leases;
use crate::lockapi::Holder;
use crate::settings::{ArgError, Settings};
use crate::value::random_value;
use napi::bindgen_prelude::*;
use napi_derive::napi;
use std::sync::Arc;

pub const NO_CLIENTS_MESSAGE: &str = "Redlock must be instantiated with at least one redis client.";

/// The resolved settings (`nodeTimeout: null` = derived from each TTL).
#[napi(object)]
pub struct ResolvedSettings {
    pub drift_factor: f64,
    pub retry_count: f64,
    pub retry_delay: f64,
    pub retry_jitter: f64,
    pub automatic_extension_threshold: f64,
    pub node_timeout: Option<f64>,
}

#[napi]
pub struct NativeRedlock {
    holder: Arc<Holder>,
    leases: Arc<Leases>,
    nodes: Vec<Arc<crate::backend::redis::RedisNode>>,
    id: String,
}

impl NativeRedlock {
    pub(crate) fn holder(&self) -> &Arc<Holder> {
        &self.holder
    }
    pub(crate) fn leases(&self) -> &Arc<Leases> {
        &self.leases
    }
}

#[napi]
impl NativeRedlock {
    #[napi(constructor, catch_unwind)]
    pub fn new(env: Env, clients: Vec<&NativeClient>, settings: Option<Unknown>) -> Result<Self> {
        if clients.is_empty() {
            return Err(throw(&env, ArgError::type_error(NO_CLIENTS_MESSAGE)));
        }
        let nodes: Vec<_> = clients.iter().map(|c| c.node()).collect();
        for (i, a) in nodes.iter().enumerate() {
            if let Some(j) = nodes[..i]
                .iter()
                .position(|b| a.config().same_target(b.config()))
            {
                return Err(throw(
                    &env,
                    ArgError::range(format!(
                        "clients[{j}] and clients[{i}] point at the same server ({}, db {}): \
                         Redlock needs independent servers, one failure domain each.",
                        a.label(),
                        a.config().db
                    )),
                ));
            }
        }
        let obj = args::opt_object(settings, "settings").map_err(|e| throw(&env, e))?;
        let resolved = match obj {
            Some(o) => args::settings_input(&o)?
                .and_then(|input| Settings::default().with(&input))
                .map_err(|e| throw(&env, e))?,
            None => Settings::default(),
        };
        let engine = Engine::new(
            nodes
                .iter()
                .map(|n| n.clone() as Arc<dyn Backend>)
                .collect(),
        );
        Ok(NativeRedlock {
            holder: Holder::new(engine, resolved),
            leases: Arc::default(),
            nodes,
            id: random_value(),
        })
    }

    #[napi(getter)]
    pub fn id(&self) -> String {
        self.id.clone()
    }

    #[napi(getter)]
    pub fn quorum(&self) -> u32 {
        self.holder.engine.quorum() as u32
    }

    #[napi(getter)]
    pub fn settings(&self) -> ResolvedSettings {
        let s = &self.holder.settings;
        ResolvedSettings {
            drift_factor: s.drift_factor,
            retry_count: s.retry_count.map(|r| r as f64).unwrap_or(-1.0),
            retry_delay: s.retry_delay_ms as f64,
            retry_jitter: s.retry_jitter_ms as f64,
            automatic_extension_threshold: s.automatic_extension_threshold_ms as f64,
            node_timeout: s.node_timeout_ms.map(|t| t as f64),
        }
    }

    /// The per-node timeout that applies to a TTL (ms).
    #[napi(catch_unwind)]
    pub fn node_timeout_for(&self, env: Env, ttl: Unknown) -> Result<f64> {
        let ttl = args::duration(&ttl).map_err(|e| throw(&env, e))?;
        Ok(self.holder.node_timeout(ttl).as_millis() as f64)
    }

    #[napi(
        catch_unwind,
        ts_args_type = "resource: string, ttl: number, lockId?: string",
        ts_return_type = "Promise<boolean>"
    )]
    pub fn acquire_lock<'env>(
        &self,
        env: &'env Env,
        resource: Unknown,
        ttl: Unknown,
        lock_id: Option<Unknown>,
    ) -> Result<PromiseRaw<'env, bool>> {
        acquire_lock(env, &self.holder, &self.id, resource, ttl, lock_id)
    }

    #[napi(
        catch_unwind,
        ts_args_type = "resource: string, lockId: string",
        ts_return_type = "Promise<void>"
    )]
    pub fn release_lock<'env>(
        &self,
        env: &'env Env,
        resource: Unknown,
        lock_id: Option<Unknown>,
    ) -> Result<PromiseRaw<'env, ()>> {
        release_lock(env, &self.holder, resource, lock_id)
    }

    /// Closes the connections of every node.
    #[napi(catch_unwind, ts_return_type = "Promise<void>")]
    pub fn quit<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, ()>> {
        for n in &self.nodes {
            n.quit();
        }
        env.spawn_future(async { Ok(()) })
    }
}
