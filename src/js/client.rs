//! `NativeClient`: one Redis node, behind the JS `IoredisClient` and `RedisJsClient`.

use super::args::{self, throw};
use super::caller::{CallFn, JsCaller};
use super::completions::CompletionQueue;
use crate::algo::settings::{ArgError, Settings};
use crate::algo::value::random_value;
use crate::api::lockapi::Holder;
use crate::backend::caller::{CallerNode, CallerScripts};
use crate::backend::redis::{NodeConfig, RedisNode};
use crate::backend::Backend;
use crate::engine::Engine;
use napi::bindgen_prelude::*;
use napi_derive::napi;
use std::sync::Arc;

/// A node: a native connection of redlock-rs's own, or the caller's client object.
#[derive(Clone)]
pub(crate) enum Node {
    Redis(Arc<RedisNode>),
    Caller(Arc<CallerNode>),
}

impl Node {
    pub(crate) fn backend(&self) -> Arc<dyn Backend> {
        match self {
            Node::Redis(n) => n.clone(),
            Node::Caller(n) => n.clone(),
        }
    }
    /// The native node, for what only a connection of ours can tell (target, Cluster).
    pub(crate) fn redis(&self) -> Option<&Arc<RedisNode>> {
        match self {
            Node::Redis(n) => Some(n),
            Node::Caller(_) => None,
        }
    }
    pub(crate) fn label(&self) -> String {
        match self {
            Node::Redis(n) => n.label(),
            Node::Caller(n) => n.label(),
        }
    }
    /// Closes a native connection; lets a caller's client go (the facade decides whether to
    /// quit that client, as node-redlock does).
    pub(crate) fn quit(&self) {
        match self {
            Node::Redis(n) => n.quit(),
            Node::Caller(n) => n.quit(),
        }
    }
}

/// One Redis node: with its own connection (use `IoredisClient` / `RedisJsClient` from JS), or
/// through the caller's client object (`NativeClient.fromCaller`).
#[napi]
pub struct NativeClient {
    node: Node,
    holder: Arc<Holder>,
    id: String,
    /// What `ExecutionStats` are keyed by for a client given as a URL or an options object.
    stat_key: String,
}

fn parse_options(o: Option<&Object>) -> Result<std::result::Result<NodeConfig, ArgError>> {
    let Some(o) = o else {
        return Ok(Ok(NodeConfig::default()));
    };
    macro_rules! check {
        ($e:expr) => {
            match $e {
                Ok(v) => v,
                Err(e) => return Ok(Err(e)),
            }
        };
    }
    // `options.<key>` read by one of the `args::opt_*` readers.
    macro_rules! option {
        ($read:ident, $key:literal) => {
            check!(args::$read(
                &args::prop(o, $key)?,
                concat!("options.", $key)
            ))
        };
    }
    let mut c = match option!(opt_string, "url") {
        Some(url) => check!(NodeConfig::from_url(&url)),
        None => NodeConfig::default(),
    };
    if let Some(h) = option!(opt_string, "host") {
        if h.is_empty() {
            return Ok(Err(ArgError::type_error(
                "options.host must be a non-empty string.",
            )));
        }
        c.host = h;
    }
    let port = option!(opt_number, "port");
    let port = check!(whole(
        port,
        1.0..=65535.0,
        "options.port must be an integer in [1, 65535]."
    ));
    if let Some(p) = port {
        c.port = p as u16;
    }
    if let Some(u) = option!(opt_string, "username") {
        c.username = Some(u).filter(|u| !u.is_empty());
    }
    if let Some(p) = option!(opt_string, "password") {
        c.password = Some(p).filter(|p| !p.is_empty());
    }
    let db = option!(opt_number, "db");
    if let Some(db) = check!(whole(
        db,
        0.0..=2_147_483_647.0,
        "options.db must be a non-negative integer."
    )) {
        c.db = db as i64;
    }
    let tls = args::prop(o, "tls")?;
    match tls.get_type()? {
        ValueType::Undefined | ValueType::Null => {}
        // An object (ioredis' `tls: {...}`, node's `tls.connect` options) turns TLS on.
        ValueType::Object => {
            c.tls = true;
            let t = unsafe { tls.cast::<Object>() }?;
            c.tls_options.ca = check!(args::pem(&args::prop(&t, "ca")?, "options.tls.ca"));
            c.tls_options.cert = check!(args::pem(&args::prop(&t, "cert")?, "options.tls.cert"));
            c.tls_options.key = check!(args::pem(&args::prop(&t, "key")?, "options.tls.key"));
            if c.tls_options.cert.is_some() != c.tls_options.key.is_some() {
                return Ok(Err(ArgError::type_error(
                    "options.tls.cert and options.tls.key must be given together.",
                )));
            }
            let reject = args::prop(&t, "rejectUnauthorized")?;
            if let Some(r) = check!(args::opt_bool(&reject, "options.tls.rejectUnauthorized")) {
                c.tls_options.reject_unauthorized = r;
            }
            let sni = check!(args::opt_string(
                &args::prop(&t, "servername")?,
                "options.tls.servername"
            ));
            if let Some(sni) = sni {
                // The server name is the host redlock-rs connects to; a different one cannot be
                // verified, and ignoring it silently would weaken TLS.
                if !sni.eq_ignore_ascii_case(&c.host) {
                    return Ok(Err(ArgError::type_error(
                        "options.tls.servername must equal the host: connect to the name on the certificate.",
                    )));
                }
            }
        }
        _ => c.tls = check!(args::opt_bool(&tls, "options.tls")).unwrap_or(c.tls),
    }
    let timeout = option!(opt_number, "connectTimeout");
    let what = "options.connectTimeout must be a positive integer number of milliseconds.";
    if let Some(t) = check!(whole(timeout, 1.0..=3_600_000.0, what)) {
        c.connect_timeout_ms = t as u64;
    }
    if let Some(p) = option!(opt_string, "keyPrefix") {
        c.key_prefix = p;
    }
    let seeds = args::prop(o, "cluster")?;
    if !matches!(seeds.get_type()?, ValueType::Undefined | ValueType::Null) {
        c.cluster = check!(cluster_seeds(&seeds));
        (c.host, c.port) = c.cluster[0].clone();
    }
    let sentinels = args::prop(o, "sentinels")?;
    if !matches!(
        sentinels.get_type()?,
        ValueType::Undefined | ValueType::Null
    ) {
        let nodes = check!(cluster_seeds(&sentinels));
        let name = option!(opt_string, "name");
        let Some(name) = name.filter(|n| !n.is_empty()) else {
            return Ok(Err(ArgError::type_error(
                "options.name must name the Sentinel master when options.sentinels is given.",
            )));
        };
        (c.host, c.port) = nodes[0].clone();
        c.sentinel = Some(crate::backend::redis::SentinelConfig {
            nodes,
            name,
            username: option!(opt_string, "sentinelUsername"),
            password: option!(opt_string, "sentinelPassword"),
        });
    }
    Ok(Ok(c))
}

/// `n` when it is a whole number in `range`; else the RangeError `message`.
fn whole(
    n: Option<f64>,
    range: std::ops::RangeInclusive<f64>,
    message: &'static str,
) -> std::result::Result<Option<f64>, ArgError> {
    match n {
        Some(n) if n.fract() != 0.0 || !range.contains(&n) => Err(ArgError::range(message)),
        n => Ok(n),
    }
}

/// Cluster seed nodes: `{ host?, port }` objects, `"host:port"` strings or redis:// URLs.
fn cluster_seeds(v: &Unknown) -> std::result::Result<Vec<(String, u16)>, ArgError> {
    let bad = || {
        ArgError::type_error("options.cluster and options.sentinels must be non-empty arrays of { host, port } objects or \"host:port\" strings.")
    };
    if !v.is_array().map_err(|_| bad())? {
        return Err(bad());
    }
    let arr = unsafe { v.cast::<Array>() }.map_err(|_| bad())?;
    let mut out = Vec::new();
    for i in 0..arr.len().min(1000) {
        let item = arr.get::<Unknown>(i).ok().flatten().ok_or_else(bad)?;
        match item.get_type().map_err(|_| bad())? {
            ValueType::String => {
                let s = args::opt_string(&item, "options.cluster[]")?.unwrap_or_default();
                if s.contains("://") {
                    let n = NodeConfig::from_url(&s)?;
                    out.push((n.host, n.port));
                } else {
                    let (h, p) = s.rsplit_once(':').ok_or_else(bad)?;
                    let port = p.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(bad)?;
                    out.push((
                        if h.is_empty() {
                            "127.0.0.1".to_string()
                        } else {
                            h.to_string()
                        },
                        port,
                    ));
                }
            }
            ValueType::Object => {
                let o = unsafe { item.cast::<Object>() }.map_err(|_| bad())?;
                let host = args::opt_string(
                    &args::prop(&o, "host").map_err(|_| bad())?,
                    "options.cluster[].host",
                )?;
                let port = args::opt_number(
                    &args::prop(&o, "port").map_err(|_| bad())?,
                    "options.cluster[].port",
                )?
                .unwrap_or(6379.0);
                if port.fract() != 0.0 || !(1.0..=65535.0).contains(&port) {
                    return Err(ArgError::range(
                        "options.cluster[].port must be an integer in [1, 65535].",
                    ));
                }
                out.push((host.unwrap_or_else(|| "127.0.0.1".into()), port as u16));
            }
            _ => return Err(bad()),
        }
    }
    if out.is_empty() {
        return Err(bad());
    }
    Ok(out)
}

pub(crate) fn reject(message: String) -> Error {
    Error::new(Status::GenericFailure, message)
}

#[napi]
impl NativeClient {
    /// `options`: `{ url?, host?, port?, username?, password?, db?, tls?, connectTimeout? }`;
    /// explicit fields override the URL's.
    #[napi(constructor, async_runtime, catch_unwind)]
    pub fn new(env: Env, options: Option<Unknown>) -> Result<Self> {
        let obj = args::opt_object(options, "options").map_err(|e| throw(&env, e))?;
        let config = parse_options(obj.as_ref())?.map_err(|e| throw(&env, e))?;
        // The redacted URL: a URL or options object would carry its password into every
        // stats Map.
        let stat_key = config.redacted_url();
        // Test builds with the `mutants` feature may swap it for a bug.
        #[cfg(feature = "mutants")]
        let stat_key = super::mutants::stat_key(stat_key, &config);
        let node = RedisNode::new(config).map_err(|e| reject(format!("redlock-rs: {e}")))?;
        Ok(Self::with_node(Node::Redis(node), stat_key))
    }

    /// A node whose commands run on the caller's client object through `call`
    /// (lib/client-adapters.js), named `label` in messages. Opens no connection.
    #[napi(
        factory,
        catch_unwind,
        ts_args_type = "call: (command: 'evalsha' | 'eval' | 'pttl', scriptOrKey: string, keys: string[], args: string[]) => Promise<unknown>, label: string"
    )]
    pub fn from_caller(call: CallFn, label: String) -> Result<Self> {
        let client = Arc::new(JsCaller::new(call));
        let node = CallerNode::new(client, label, CallerScripts::default());
        Ok(Self::with_node(Node::Caller(node), String::new()))
    }

    fn with_node(node: Node, stat_key: String) -> Self {
        // A client makes one attempt on its one server.
        let settings = Settings {
            retry_count: Some(0),
            ..Settings::default()
        };
        let holder = Holder::new(Engine::new(vec![node.backend()]), settings);
        NativeClient {
            node,
            holder,
            id: random_value(),
            stat_key,
        }
    }

    pub(crate) fn node(&self) -> Node {
        self.node.clone()
    }

    /// The native node (only redlock-rs's own clients are built with one).
    fn redis(&self) -> Result<&Arc<RedisNode>> {
        self.node
            .redis()
            .ok_or_else(|| reject("redlock-rs: this node runs on the caller's client".into()))
    }

    /// 32 hex characters from the OS CSPRNG, made at construction: the default lock id.
    #[napi(getter)]
    pub fn id(&self) -> String {
        self.id.clone()
    }

    #[napi(getter)]
    pub fn host(&self) -> Result<String> {
        Ok(self.redis()?.config().host.clone())
    }

    #[napi(getter)]
    pub fn port(&self) -> Result<u32> {
        Ok(self.redis()?.config().port as u32)
    }

    /// The connection URL with any password replaced by `***`.
    #[napi(getter)]
    pub fn url(&self) -> Result<String> {
        Ok(self.redis()?.config().redacted_url())
    }

    /// What `ExecutionStats` are keyed by when this node was given as a URL string or an
    /// options object (not as a client object): its URL with any password replaced by `***`.
    #[napi(getter)]
    pub fn stat_key(&self) -> String {
        self.stat_key.clone()
    }

    /// `host:port`, as used in error messages.
    #[napi(getter)]
    pub fn label(&self) -> String {
        self.node.label()
    }

    /// Connects now (otherwise the first command connects); rejects when unreachable.
    #[napi(catch_unwind, ts_return_type = "Promise<void>")]
    pub fn connect<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, ()>> {
        let node = self.redis()?.clone();
        env.spawn_future(async move {
            node.ping().await.map_err(|e| {
                reject(format!(
                    "redlock-rs: cannot connect to {}: {e}",
                    node.label()
                ))
            })
        })
    }

    /// Closes the connection.
    #[napi(catch_unwind, ts_return_type = "Promise<void>")]
    pub fn quit<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, ()>> {
        self.node.quit();
        env.spawn_future(async { Ok(()) })
    }

    /// One attempt on this server. `true` iff granted; `false` when held by another owner.
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

    /// Deletes the resource where it holds `lockId`.
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
}

/// The original API's calls, as the facade starts them: the result arrives through the
/// completion queue (`CompletionQueue::start_simple`) like every lock operation's.
pub(crate) struct Queued<'a> {
    pub queue: &'a mut CompletionQueue,
    pub id: u32,
}

/// Shared by clients and Redlocks: validate, then run the original-API acquire (1 = granted,
/// 0 = held by another owner).
pub(crate) fn acquire_lock(
    env: &Env,
    to: Queued<'_>,
    holder: &Arc<Holder>,
    default_id: &str,
    resource: Unknown,
    ttl: Unknown,
    lock_id: Option<Unknown>,
) -> Result<()> {
    let resource = args::resource(&resource, "resource").map_err(|e| throw(env, e))?;
    let ttl = args::duration(&ttl).map_err(|e| throw(env, e))?;
    let lock_id = args::lock_id(lock_id.as_ref(), false)
        .map_err(|e| throw(env, e))?
        .unwrap_or_else(|| default_id.to_string());
    let holder = holder.clone();
    to.queue.start_simple(env, to.id, async move {
        match holder.acquire_lock(resource, ttl, lock_id).await {
            Ok(granted) => Ok(f64::from(u8::from(granted))),
            Err(e) => Err(e.0),
        }
    })
}

pub(crate) fn release_lock(
    env: &Env,
    to: Queued<'_>,
    holder: &Arc<Holder>,
    resource: Unknown,
    lock_id: Option<Unknown>,
) -> Result<()> {
    let resource = args::resource(&resource, "resource").map_err(|e| throw(env, e))?;
    let lock_id = args::lock_id(lock_id.as_ref(), true)
        .map_err(|e| throw(env, e))?
        .unwrap_or_default();
    let holder = holder.clone();
    to.queue.start_simple(env, to.id, async move {
        holder
            .release_lock(resource, lock_id)
            .await
            .map(|()| 0.0)
            .map_err(|e| e.0)
    })
}
