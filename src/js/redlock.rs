//! `NativeRedlock`: the engine over the nodes of several clients.

use super::args::{self, throw};
use super::client::{acquire_lock, release_lock, NativeClient, Node, Queued};
use super::completions::CompletionQueue;
use crate::algo::settings::{ArgError, Settings};
use crate::algo::value::random_value;
use crate::api::leases::Leases;
use crate::api::lockapi::Holder;
use crate::backend::caller::CallerScripts;
use crate::backend::redis::scripts::{self, CustomScripts};
use crate::backend::redis::ScriptedNode;
use crate::backend::Backend;
use crate::engine::Engine;
use napi::bindgen_prelude::*;
use napi_derive::napi;
use std::sync::Arc;

/// How long `quit()` lets running node work (rollbacks, late replies) finish.
const QUIT_GRACE: std::time::Duration = std::time::Duration::from_secs(1);

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
    /// Shown only when on, so node-redlock's settings keep their shape.
    pub fencing: Option<bool>,
    /// `null`: the default (the largest TTL asked for before a node's check).
    pub restart_guard: Option<f64>,
}

/// Fencing runs scripts of its own, which custom scripts would bypass.
const FENCING_WITH_SCRIPTS_MESSAGE: &str = "settings.fencing cannot be used with custom scripts: fencing runs redlock-rs's own acquire scripts (see docs/fencing.md).";

/// node-redlock's default scripts: what a `scripts.*Script(defaultScript)` function receives.
// Registered with N-API; unused from Rust (and so dead in `cargo test` builds).
#[cfg_attr(test, allow(dead_code))]
#[napi(object)]
pub struct DefaultScripts {
    pub acquire_script: String,
    pub extend_script: String,
    pub release_script: String,
}

#[cfg_attr(test, allow(dead_code))]
#[napi]
pub fn default_scripts() -> DefaultScripts {
    DefaultScripts {
        acquire_script: scripts::NODE_REDLOCK_ACQUIRE_LUA.into(),
        extend_script: scripts::NODE_REDLOCK_EXTEND_LUA.into(),
        release_script: scripts::NODE_REDLOCK_RELEASE_LUA.into(),
    }
}

/// The caller's scripts (`acquireScript`, `extendScript`, `releaseScript`), each optional.
fn parse_scripts(v: Option<Unknown>) -> std::result::Result<[Option<String>; 3], ArgError> {
    let Some(o) = args::opt_object(v, "scripts")? else {
        return Ok([None, None, None]);
    };
    let get = |key: &str| -> std::result::Result<Option<String>, ArgError> {
        let name = format!("scripts.{key}");
        let v = args::prop(&o, key)
            .map_err(|_| ArgError::type_error(format!("{name} must be a string.")))?;
        match args::opt_string(&v, &name)? {
            Some(code) if code.trim().is_empty() => {
                Err(ArgError::type_error(format!("{name} must not be empty.")))
            }
            code => Ok(code),
        }
    };
    Ok([
        get("acquireScript")?,
        get("extendScript")?,
        get("releaseScript")?,
    ])
}

/// One script as node-redlock v5's `redlock.scripts` shows it: its source and SHA1.
#[napi(object)]
pub struct ScriptInfo {
    pub value: String,
    pub hash: String,
}

/// node-redlock v5's `redlock.scripts`: the scripts in effect (custom, else the defaults).
#[napi(object)]
pub struct ScriptInfos {
    pub acquire_script: ScriptInfo,
    pub extend_script: ScriptInfo,
    pub release_script: ScriptInfo,
}

fn script_info(custom: &Option<String>, default: &str) -> ScriptInfo {
    let value = custom.clone().unwrap_or_else(|| default.to_string());
    let hash = redis::Script::new(&value).get_hash().to_string();
    ScriptInfo { value, hash }
}

#[napi]
pub struct NativeRedlock {
    holder: Arc<Holder>,
    leases: Arc<Leases>,
    nodes: Vec<Node>,
    id: String,
    /// The caller's script sources (acquire, extend, release).
    scripts: [Option<String>; 3],
    /// How a lock's resources are read (duplicates removed).
    resource_list: args::ResourceList,
}

impl NativeRedlock {
    pub(crate) fn holder(&self) -> &Arc<Holder> {
        &self.holder
    }
    pub(crate) fn leases(&self) -> &Arc<Leases> {
        &self.leases
    }

    /// A lock's resources, read from their JS array `v` (`name` for messages): the list it
    /// locks, and the array as the caller gave it when that prints differently.
    pub(crate) fn resources(
        &self,
        v: &Unknown,
        name: &str,
    ) -> std::result::Result<(Vec<String>, Option<String>), ArgError> {
        (self.resource_list)(v, name)
    }

    /// A fenced lock (`settings.fencing`) needs the built-in scripts, and on a Redis Cluster a
    /// counter key in each lock key's slot (`algo::fence::slot_safe`).
    pub(crate) fn check_fencing(
        &self,
        settings: &Settings,
        resources: &[String],
    ) -> std::result::Result<(), ArgError> {
        if !settings.fencing {
            return Ok(());
        }
        if self.scripts.iter().any(Option::is_some) {
            return Err(ArgError::type_error(FENCING_WITH_SCRIPTS_MESSAGE));
        }
        for (i, n) in self.nodes.iter().enumerate() {
            let Some(n) = n.redis() else { continue };
            let c = n.config();
            if c.cluster.is_empty() {
                continue;
            }
            for r in resources {
                if !crate::algo::fence::slot_safe(&format!("{}{r}", c.key_prefix)) {
                    return Err(ArgError::range(format!(
                        "settings.fencing: the resource \"{r}\" has a '}}' but no {{hash tag}}, so its fencing counter cannot share its Redis Cluster hash slot (node {i}, {}); give it a {{hash tag}}.",
                        n.label()
                    )));
                }
            }
        }
        Ok(())
    }

    /// A multi-key lock on a Redis Cluster member must map to one hash slot: refuse it up
    /// front rather than retrying CROSSSLOT errors until the retry window ends.
    pub(crate) fn check_slots(&self, resources: &[String]) -> std::result::Result<(), ArgError> {
        if resources.len() < 2 {
            return Ok(());
        }
        for (i, n) in self.nodes.iter().enumerate() {
            // A caller's client routes its own keys (an ioredis Cluster object included).
            let Some(n) = n.redis() else { continue };
            let c = n.config();
            if c.cluster.is_empty() {
                continue;
            }
            let keys: Vec<String> = resources
                .iter()
                .map(|r| format!("{}{r}", c.key_prefix))
                .collect();
            if let Err((a, b, sa, sb)) =
                crate::algo::slot::same_slot(keys.iter().map(String::as_str))
            {
                return Err(ArgError::range(format!(
                    "resources must map to one Redis Cluster hash slot (node {i}, {}): \"{}\" is in slot {sa}, \"{}\" in slot {sb}; give them a common {{hash tag}}.",
                    n.label(),
                    resources[a],
                    resources[b]
                )));
            }
        }
        Ok(())
    }
}

#[napi]
impl NativeRedlock {
    #[napi(
        constructor,
        catch_unwind,
        ts_args_type = "clients: Array<NativeClient>, settings?: object | null, scripts?: { acquireScript?: string, extendScript?: string, releaseScript?: string } | null"
    )]
    pub fn new(
        env: Env,
        clients: Vec<&NativeClient>,
        settings: Option<Unknown>,
        scripts: Option<Unknown>,
    ) -> Result<Self> {
        // Checked first: the facade reads the scripts before handing anything over.
        args::opt_object(scripts, "scripts").map_err(|e| throw(&env, e))?;
        if clients.is_empty() {
            return Err(throw(&env, ArgError::type_error(NO_CLIENTS_MESSAGE)));
        }
        let nodes: Vec<Node> = clients.iter().map(|c| c.node()).collect();
        for (i, a) in nodes.iter().enumerate() {
            // Only connections of ours have a target to compare.
            let Some(a) = a.redis() else { continue };
            let same = |b: &Node| {
                b.redis()
                    .is_some_and(|b| a.config().same_target(b.config()))
            };
            if let Some(j) = nodes[..i].iter().position(same) {
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
        let sources = parse_scripts(scripts).map_err(|e| throw(&env, e))?;
        if resolved.fencing && sources.iter().any(Option::is_some) {
            return Err(throw(
                &env,
                ArgError::type_error(FENCING_WITH_SCRIPTS_MESSAGE),
            ));
        }
        let script = |i: usize| sources[i].as_deref().map(redis::Script::new);
        let custom = CustomScripts {
            acquire: script(0),
            extend: script(1),
            release: script(2),
        };
        let custom = (!custom.is_empty()).then(|| Arc::new(custom));
        let resource_list: args::ResourceList = args::resources_as_given;
        // Test builds with the `mutants` feature may swap either for a bug.
        #[cfg(feature = "mutants")]
        let (custom, resource_list) = (
            super::mutants::custom_scripts(custom),
            super::mutants::resource_list(resource_list),
        );
        let backends = nodes
            .iter()
            .map(|n| match (n, &custom) {
                (Node::Redis(n), Some(c)) => Arc::new(ScriptedNode {
                    node: n.clone(),
                    scripts: c.clone(),
                }) as Arc<dyn Backend>,
                // The caller's scripts go through the caller's client too.
                (Node::Caller(n), Some(_)) => {
                    n.with_scripts(CallerScripts::with_custom(&sources)) as Arc<dyn Backend>
                }
                (n, None) => n.backend(),
            })
            .collect();
        let engine = Engine::new(backends);
        Ok(NativeRedlock {
            holder: Holder::new(engine, resolved),
            leases: Arc::default(),
            nodes,
            id: random_value(),
            scripts: sources,
            resource_list,
        })
    }

    #[napi(getter)]
    pub fn scripts(&self) -> ScriptInfos {
        let [acquire, extend, release] = &self.scripts;
        ScriptInfos {
            acquire_script: script_info(acquire, scripts::NODE_REDLOCK_ACQUIRE_LUA),
            extend_script: script_info(extend, scripts::NODE_REDLOCK_EXTEND_LUA),
            release_script: script_info(release, scripts::NODE_REDLOCK_RELEASE_LUA),
        }
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
            fencing: s.fencing.then_some(true),
            restart_guard: s.restart_guard_ms.map(|t| t as f64),
        }
    }

    /// The per-node timeout that applies to a TTL (ms).
    #[napi(catch_unwind)]
    pub fn node_timeout_for(&self, env: Env, ttl: Unknown) -> Result<f64> {
        let ttl = args::duration(&ttl).map_err(|e| throw(&env, e))?;
        Ok(self.holder.node_timeout(ttl).as_millis() as f64)
    }

    /// The result (1 = granted, 0 = held) arrives in `queue` under `id`.
    #[napi(
        catch_unwind,
        ts_args_type = "queue: CompletionQueue, id: number, resource: string, ttl: number, lockId?: string"
    )]
    pub fn acquire_lock(
        &self,
        env: Env,
        queue: &mut CompletionQueue,
        id: u32,
        resource: Unknown,
        ttl: Unknown,
        lock_id: Option<Unknown>,
    ) -> Result<()> {
        let to = Queued { queue, id };
        acquire_lock(&env, to, &self.holder, &self.id, resource, ttl, lock_id)
    }

    /// `acquireLock` with a fencing token: the token when acquired, `false` when held.
    #[napi(
        catch_unwind,
        ts_args_type = "resource: string, ttl: number, lockId?: string",
        ts_return_type = "Promise<number | false>"
    )]
    pub fn acquire_fenced_lock<'env>(
        &self,
        env: &'env Env,
        resource: Unknown,
        ttl: Unknown,
        lock_id: Option<Unknown>,
    ) -> Result<PromiseRaw<'env, Either<f64, bool>>> {
        let resource = args::resource(&resource, "resource").map_err(|e| throw(env, e))?;
        let ttl = args::duration(&ttl).map_err(|e| throw(env, e))?;
        let lock_id = args::lock_id(lock_id.as_ref(), false)
            .map_err(|e| throw(env, e))?
            .unwrap_or_else(|| self.id.clone());
        let fenced = Settings {
            fencing: true,
            ..self.holder.settings.clone()
        };
        self.check_fencing(&fenced, std::slice::from_ref(&resource))
            .map_err(|e| throw(env, e))?;
        let holder = self.holder.clone();
        env.spawn_future(async move {
            match holder.acquire_lock_fenced(resource, ttl, lock_id).await {
                Ok(Some(t)) => Ok(Either::A(t as f64)),
                Ok(None) => Ok(Either::B(false)),
                Err(e) => Err(super::client::reject(e.0)),
            }
        })
    }

    /// The result arrives in `queue` under `id`.
    #[napi(
        catch_unwind,
        ts_args_type = "queue: CompletionQueue, id: number, resource: string, lockId: string"
    )]
    pub fn release_lock(
        &self,
        env: Env,
        queue: &mut CompletionQueue,
        id: u32,
        resource: Unknown,
        lock_id: Option<Unknown>,
    ) -> Result<()> {
        release_lock(&env, Queued { queue, id }, &self.holder, resource, lock_id)
    }

    /// Closes the connections of every node, once the node work still running (rollbacks of
    /// failed attempts, late replies) has finished — at most 1 s.
    #[napi(catch_unwind, ts_return_type = "Promise<void>")]
    pub fn quit<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, ()>> {
        let holder = self.holder.clone();
        let nodes = self.nodes.clone();
        env.spawn_future(async move {
            holder.engine.settled(QUIT_GRACE).await;
            for n in &nodes {
                n.quit();
            }
            Ok(())
        })
    }
}
