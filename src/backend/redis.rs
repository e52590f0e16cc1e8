//! The Redis backend: one multiplexed, auto-reconnecting connection per node, running the Lua
//! scripts of `crate::scripts`. Timeouts and the reconnect policy are set explicitly: the
//! crate's defaults (500 ms response timeout, 6 reconnect tries ≈ 9.5 s on a dead port) are
//! wrong for a lock. The engine enforces the per-node timeout on top.

use super::{Backend, BoxFuture, NodeError, Vote};
use crate::scripts;
use crate::settings::ArgError;
use crate::signals::Signals;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::cluster::{ClusterClient, ClusterClientBuilder};
use redis::cluster_async::ClusterConnection;
use redis::{ConnectionAddr, ConnectionInfo, IntoConnectionInfo, RedisConnectionInfo};
use std::fmt;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex, Once};
use std::time::Duration;
use tokio::sync::OnceCell;

pub const DEFAULT_HOST: &str = "127.0.0.1";
pub const DEFAULT_PORT: u16 = 6379;
pub const DEFAULT_CONNECT_TIMEOUT_MS: u64 = 1000;

/// Where and how to connect to one node. `Debug` never shows the password.
#[derive(Clone, PartialEq, Eq)]
pub struct NodeConfig {
    pub host: String,
    pub port: u16,
    pub username: Option<String>,
    pub password: Option<String>,
    pub db: i64,
    pub tls: bool,
    pub connect_timeout_ms: u64,
    /// Prepended to every resource (ioredis' `keyPrefix`); empty = none.
    pub key_prefix: String,
    pub tls_options: TlsOptions,
    /// Seed nodes of a Redis Cluster that votes as one node; empty for a single server
    /// (`host`/`port` are then the first seed).
    pub cluster: Vec<(String, u16)>,
    /// A master found through Redis Sentinel; `host`/`port` are then the first sentinel.
    pub sentinel: Option<SentinelConfig>,
}

/// Sentinels to ask for the address of the master called `name`.
#[derive(Clone, PartialEq, Eq)]
pub struct SentinelConfig {
    pub nodes: Vec<(String, u16)>,
    pub name: String,
    pub username: Option<String>,
    pub password: Option<String>,
}

/// TLS material in PEM (`ca`: trusted roots instead of the system store; `cert`/`key`: a client
/// certificate) and `reject_unauthorized: false` to skip server verification (unsafe).
#[derive(Clone, PartialEq, Eq)]
pub struct TlsOptions {
    pub ca: Option<Vec<u8>>,
    pub cert: Option<Vec<u8>>,
    pub key: Option<Vec<u8>>,
    pub reject_unauthorized: bool,
}

impl Default for TlsOptions {
    fn default() -> Self {
        TlsOptions {
            ca: None,
            cert: None,
            key: None,
            reject_unauthorized: true,
        }
    }
}

impl Default for NodeConfig {
    fn default() -> Self {
        NodeConfig {
            host: DEFAULT_HOST.into(),
            port: DEFAULT_PORT,
            username: None,
            password: None,
            db: 0,
            tls: false,
            connect_timeout_ms: DEFAULT_CONNECT_TIMEOUT_MS,
            key_prefix: String::new(),
            tls_options: TlsOptions::default(),
            cluster: Vec::new(),
            sentinel: None,
        }
    }
}

impl fmt::Debug for NodeConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted_url())
    }
}

impl NodeConfig {
    /// Parses `redis://[user[:password]@]host[:port][/db]` (or `rediss://`). The error never
    /// repeats the URL, which may hold a password.
    pub fn from_url(url: &str) -> Result<NodeConfig, ArgError> {
        let bad = || ArgError::type_error("url must be a valid redis:// or rediss:// URL.");
        let lower = url.to_ascii_lowercase();
        if !(lower.starts_with("redis://") || lower.starts_with("rediss://")) {
            return Err(bad());
        }
        let info = url.into_connection_info().map_err(|_| bad())?;
        let (host, port, tls) = match info.addr() {
            ConnectionAddr::Tcp(h, p) => (h.clone(), *p, false),
            ConnectionAddr::TcpTls { host, port, .. } => (host.clone(), *port, true),
            _ => return Err(bad()),
        };
        let r = info.redis_settings();
        Ok(NodeConfig {
            host: if host.is_empty() {
                DEFAULT_HOST.into()
            } else {
                host
            },
            port,
            username: r.username().map(str::to_string).filter(|s| !s.is_empty()),
            password: r.password().map(str::to_string).filter(|s| !s.is_empty()),
            db: r.db(),
            tls,
            connect_timeout_ms: DEFAULT_CONNECT_TIMEOUT_MS,
            key_prefix: String::new(),
            tls_options: TlsOptions::default(),
            cluster: Vec::new(),
            sentinel: None,
        })
    }

    /// `host:port`, for messages (IPv6 hosts in brackets; `cluster host:port` for a Cluster).
    pub fn label(&self) -> String {
        let hp = if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        };
        if let Some(s) = &self.sentinel {
            format!("sentinel {hp} ({})", s.name)
        } else if self.cluster.is_empty() {
            hp
        } else {
            format!("cluster {hp}")
        }
    }

    /// The URL with any password replaced by `***`.
    pub fn redacted_url(&self) -> String {
        let scheme = if self.tls { "rediss" } else { "redis" };
        let auth = match (&self.username, &self.password) {
            (Some(u), Some(_)) => format!("{u}:***@"),
            (Some(u), None) => format!("{u}@"),
            (None, Some(_)) => ":***@".to_string(),
            (None, None) => String::new(),
        };
        let db = if self.db != 0 {
            format!("/{}", self.db)
        } else {
            String::new()
        };
        format!("{scheme}://{auth}{}{db}", self.label())
    }

    /// Two configs are one failure domain when they reach the same server and database.
    pub fn same_target(&self, other: &NodeConfig) -> bool {
        let norm = |h: &str| match h.to_ascii_lowercase().as_str() {
            "localhost" | "::1" | "[::1]" => "127.0.0.1".to_string(),
            h => h.to_string(),
        };
        norm(&self.host) == norm(&other.host) && self.port == other.port && self.db == other.db
    }

    fn connection_info(&self) -> ConnectionInfo {
        let addr = if self.tls {
            ConnectionAddr::TcpTls {
                host: self.host.clone(),
                port: self.port,
                insecure: !self.tls_options.reject_unauthorized,
                tls_params: None,
            }
        } else {
            ConnectionAddr::Tcp(self.host.clone(), self.port)
        };
        let mut redis = RedisConnectionInfo::default().set_db(self.db);
        if let Some(u) = &self.username {
            redis = redis.set_username(u);
        }
        if let Some(p) = &self.password {
            redis = redis.set_password(p);
        }
        addr.into_connection_info()
            .expect("a TCP address always converts")
            .set_redis_settings(redis)
    }
}

/// Keeps `RedisNode::scripts_ok` current: a script run by EVALSHA proves scripting is allowed;
/// a NOPERM (from a script, or from anything once permissions were revoked) takes it back.
fn note_scripting<T>(ok: &std::sync::atomic::AtomicBool, r: &redis::RedisResult<T>, script: bool) {
    match r {
        Ok(_) if script => ok.store(true, Relaxed),
        Err(e) if e.code() == Some("NOPERM") => ok.store(false, Relaxed),
        _ => {}
    }
}

/// The keys for `resources`, with the configured prefix.
fn keys(config: &NodeConfig, resources: &Arc<[String]>) -> Arc<[String]> {
    if config.key_prefix.is_empty() {
        resources.clone()
    } else {
        resources
            .iter()
            .map(|r| format!("{}{r}", config.key_prefix))
            .collect()
    }
}

fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// A connection handle: one server, or a Redis Cluster (one voter) connected on first use.
#[derive(Clone)]
enum Handle {
    Single(ConnectionManager),
    Cluster(Arc<ClusterClient>, Arc<OnceCell<ClusterConnection>>),
    /// The master's connection, found through the sentinels on first use and found again
    /// after a failure (a failover moves the master).
    Sentinel(Arc<tokio::sync::Mutex<Option<ConnectionManager>>>),
}

/// A ready connection of either kind.
enum AnyConn {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

impl Handle {
    async fn ready(self, config: &NodeConfig) -> Result<AnyConn, NodeError> {
        match self {
            Handle::Single(c) => Ok(AnyConn::Single(c)),
            Handle::Cluster(client, cell) => {
                let c = cell
                    .get_or_try_init(|| client.get_async_connection())
                    .await
                    .map_err(|e| sanitize(config, e))?;
                Ok(AnyConn::Cluster(c.clone()))
            }
            Handle::Sentinel(slot) => {
                let mut guard = slot.lock().await;
                if let Some(c) = guard.as_ref() {
                    return Ok(AnyConn::Single(c.clone()));
                }
                let master = find_master(config).await?;
                let c = ConnectionManager::new_lazy_with_config(master, manager_config(config))
                    .map_err(|e| sanitize(config, e))?;
                *guard = Some(c.clone());
                Ok(AnyConn::Single(c))
            }
        }
    }

    /// After a failed call, a Sentinel-found master is looked up again next time.
    fn forget_master(&self) {
        if let Handle::Sentinel(slot) = self {
            if let Ok(mut g) = slot.try_lock() {
                g.take();
            }
        }
    }
}

fn manager_config(config: &NodeConfig) -> ConnectionManagerConfig {
    ConnectionManagerConfig::new()
        .set_connection_timeout(Some(Duration::from_millis(config.connect_timeout_ms)))
        // The engine enforces the per-node timeout; this only bounds stray requests.
        .set_response_timeout(Some(Duration::from_secs(30)))
        // Reconnect quickly after a restart, give up quickly on a dead port; the next
        // command starts a new reconnect cycle.
        .set_number_of_retries(1)
        .set_min_delay(Duration::from_millis(20))
        .set_max_delay(Duration::from_millis(500))
}

/// Asks each sentinel in turn for the master's address; returns a client for it.
async fn find_master(config: &NodeConfig) -> Result<redis::Client, NodeError> {
    let s = config.sentinel.as_ref().expect("sentinel config");
    let t = Duration::from_millis(config.connect_timeout_ms);
    let mut last = NodeError(format!("no sentinel knows the master \"{}\"", s.name));
    for (h, p) in &s.nodes {
        let mut info = RedisConnectionInfo::default();
        if let Some(u) = &s.username {
            info = info.set_username(u);
        }
        if let Some(pw) = &s.password {
            info = info.set_password(pw);
        }
        let ci = ConnectionAddr::Tcp(h.clone(), *p)
            .into_connection_info()
            .expect("a TCP address always converts")
            .set_redis_settings(info);
        let ask = async {
            let client = redis::Client::open(ci)?;
            let mut c = client.get_multiplexed_async_connection().await?;
            redis::cmd("SENTINEL")
                .arg("get-master-addr-by-name")
                .arg(&s.name)
                .query_async::<Option<(String, u16)>>(&mut c)
                .await
        };
        match tokio::time::timeout(t, ask).await {
            Ok(Ok(Some((host, port)))) => {
                let master = NodeConfig {
                    host,
                    port,
                    sentinel: None,
                    ..config.clone()
                };
                let client = match tls_certificates(&master.tls_options)? {
                    Some(certs) if master.tls => {
                        redis::Client::build_with_tls(master.connection_info(), certs)
                    }
                    _ => redis::Client::open(master.connection_info()),
                };
                return client.map_err(|e| sanitize(config, e));
            }
            Ok(Ok(None)) => {}
            Ok(Err(e)) => last = NodeError(format!("sentinel {h}:{p}: {}", sanitize(config, e))),
            Err(_) => last = NodeError(format!("sentinel {h}:{p}: timed out")),
        }
    }
    Err(last)
}

impl redis::aio::ConnectionLike for AnyConn {
    fn req_packed_command<'a>(
        &'a mut self,
        cmd: &'a redis::Cmd,
    ) -> redis::RedisFuture<'a, redis::Value> {
        match self {
            AnyConn::Single(c) => c.req_packed_command(cmd),
            AnyConn::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a redis::Pipeline,
        offset: usize,
        count: usize,
    ) -> redis::RedisFuture<'a, Vec<redis::Value>> {
        match self {
            AnyConn::Single(c) => c.req_packed_commands(pipeline, offset, count),
            AnyConn::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            AnyConn::Single(c) => c.get_db(),
            AnyConn::Cluster(c) => c.get_db(),
        }
    }
}

/// One Redis master, or one Redis Cluster.
pub struct RedisNode {
    // Shared, not copied: every operation takes a reference for its future (TLS material
    // included), so a per-call clone would copy certificates on the hot path.
    config: Arc<NodeConfig>,
    /// `None` once closed with `quit()`; sockets close when in-flight calls finish.
    conn: Mutex<Option<Handle>>,
    releases: Releases,
    /// Whether a script has run here: only then may a fresh single-resource acquire skip the
    /// script (`SET NX PX`). An ACL user who may write but not run scripts would otherwise take
    /// locks it can never release or roll back; its first acquire fails cleanly instead.
    scripts_ok: Arc<std::sync::atomic::AtomicBool>,
}

/// The node's release-announcement listener (single servers only; Cluster and Sentinel
/// members leave their waiters to poll).
#[derive(Default)]
struct Releases {
    /// A client for the Pub/Sub connection.
    client: Option<redis::Client>,
    watchers: Arc<Mutex<Vec<std::sync::Weak<Signals>>>>,
    started: std::sync::atomic::AtomicBool,
    closed: Arc<std::sync::atomic::AtomicBool>,
}

impl Releases {
    fn watch(&self, config: &NodeConfig, signals: &Arc<Signals>) {
        use std::sync::atomic::Ordering::SeqCst;
        {
            let mut w = self.watchers.lock().unwrap_or_else(|e| e.into_inner());
            w.retain(|s| s.strong_count() > 0);
            if !w
                .iter()
                .any(|s| std::ptr::eq(s.as_ptr(), Arc::as_ptr(signals)))
            {
                w.push(Arc::downgrade(signals));
            }
        }
        let Some(client) = self.client.clone() else {
            return;
        };
        if self.started.swap(true, SeqCst) {
            return;
        }
        let (watchers, closed) = (self.watchers.clone(), self.closed.clone());
        let prefix = format!("{}{}", scripts::RELEASED_PREFIX, config.key_prefix);
        tokio::spawn(async move {
            use futures_util::StreamExt;
            let mut backoff = Duration::from_millis(100);
            let alive = |w: &Mutex<Vec<std::sync::Weak<Signals>>>| {
                !closed.load(SeqCst)
                    && w.lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .iter()
                        .any(|s| s.strong_count() > 0)
            };
            while alive(&watchers) {
                if let Ok(mut ps) = client.get_async_pubsub().await {
                    if ps.psubscribe(scripts::RELEASED_PATTERN).await.is_ok() {
                        backoff = Duration::from_millis(100);
                        let mut messages = ps.into_on_message();
                        while alive(&watchers) {
                            // Wake up now and then to notice quit() and dropped Redlocks.
                            match tokio::time::timeout(Duration::from_secs(1), messages.next())
                                .await
                            {
                                Ok(Some(msg)) => {
                                    let channel = msg.get_channel_name();
                                    if let Some(resource) = channel.strip_prefix(prefix.as_str()) {
                                        // Older releasers announce without a tag ("").
                                        let tag: String = msg.get_payload().unwrap_or_default();
                                        let w = watchers.lock().unwrap_or_else(|e| e.into_inner());
                                        for s in w.iter().filter_map(|s| s.upgrade()) {
                                            s.released(resource, &tag);
                                        }
                                    }
                                }
                                Ok(None) => break, // the connection is gone: reconnect
                                Err(_) => {}
                            }
                        }
                    }
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(2));
            }
        });
    }
}

fn tls_certificates(t: &TlsOptions) -> Result<Option<redis::TlsCertificates>, NodeError> {
    if t.ca.is_none() && t.cert.is_none() {
        return Ok(None);
    }
    let client_tls = match (&t.cert, &t.key) {
        (Some(c), Some(k)) => Some(redis::ClientTlsConfig {
            client_cert: c.clone(),
            client_key: k.clone(),
        }),
        (None, None) => None,
        _ => {
            return Err(NodeError(
                "tls.cert and tls.key must be given together".into(),
            ))
        }
    };
    Ok(Some(redis::TlsCertificates {
        client_tls,
        root_cert: t.ca.clone(),
    }))
}

fn cluster_handle(config: &NodeConfig) -> Result<Handle, NodeError> {
    let seeds: Vec<ConnectionAddr> = config
        .cluster
        .iter()
        .map(|(h, p)| ConnectionAddr::Tcp(h.clone(), *p))
        .collect();
    let mut b = ClusterClientBuilder::new(seeds)
        .connection_timeout(Duration::from_millis(config.connect_timeout_ms))
        .response_timeout(Duration::from_secs(30))
        .retries(2);
    if let Some(u) = &config.username {
        b = b.username(u);
    }
    if let Some(p) = &config.password {
        b = b.password(p);
    }
    if config.tls {
        let mode = if config.tls_options.reject_unauthorized {
            redis::TlsMode::Secure
        } else {
            redis::TlsMode::Insecure
        };
        b = b.tls(mode);
        if let Some(certs) = tls_certificates(&config.tls_options)? {
            b = b.certs(certs);
        }
    }
    let client = b.build().map_err(|e| sanitize(config, e))?;
    Ok(Handle::Cluster(Arc::new(client), Arc::new(OnceCell::new())))
}

impl RedisNode {
    /// Creates the node with a lazy connection (opened on first use). Must run inside a tokio
    /// runtime.
    pub fn new(config: NodeConfig) -> Result<Arc<Self>, NodeError> {
        install_crypto_provider();
        if !config.cluster.is_empty() {
            let handle = cluster_handle(&config)?;
            return Ok(Arc::new(RedisNode {
                config: Arc::new(config),
                conn: Mutex::new(Some(handle)),
                releases: Releases::default(),
                scripts_ok: Arc::default(),
            }));
        }
        if config.sentinel.is_some() {
            let handle = Handle::Sentinel(Arc::default());
            return Ok(Arc::new(RedisNode {
                config: Arc::new(config),
                conn: Mutex::new(Some(handle)),
                releases: Releases::default(),
                scripts_ok: Arc::default(),
            }));
        }
        let client = match tls_certificates(&config.tls_options)? {
            Some(certs) if config.tls => {
                redis::Client::build_with_tls(config.connection_info(), certs)
            }
            _ => redis::Client::open(config.connection_info()),
        }
        .map_err(|e| sanitize(&config, e))?;
        let pubsub_client = client.clone();
        let conn = ConnectionManager::new_lazy_with_config(client, manager_config(&config))
            .map_err(|e| sanitize(&config, e))?;
        Ok(Arc::new(RedisNode {
            config: Arc::new(config),
            conn: Mutex::new(Some(Handle::Single(conn))),
            releases: Releases {
                client: Some(pubsub_client),
                ..Default::default()
            },
            scripts_ok: Arc::default(),
        }))
    }

    fn conn(&self) -> Result<Handle, NodeError> {
        let guard = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        guard
            .clone()
            .ok_or_else(|| NodeError("the client was closed with quit()".into()))
    }

    /// Closes the connection; later calls fail with a clear error.
    pub fn quit(&self) {
        self.conn.lock().unwrap_or_else(|e| e.into_inner()).take();
        self.releases
            .closed
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn config(&self) -> &NodeConfig {
        &self.config
    }

    /// Connects (if needed) and checks the server answers, within the connect timeout.
    pub async fn ping(&self) -> Result<(), NodeError> {
        let handle = self.conn()?;
        let t = Duration::from_millis(self.config.connect_timeout_ms);
        let ping = async {
            let mut conn = handle.ready(&self.config).await?;
            redis::cmd("PING")
                .query_async::<String>(&mut conn)
                .await
                .map_err(|e| sanitize(&self.config, e))
        };
        match tokio::time::timeout(t, ping).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(NodeError(format!(
                "connection timed out after {} ms",
                t.as_millis()
            ))),
        }
    }
}

/// A redis error as text without credentials (the crate does not print them, but a server
/// error could echo input; strip the password wherever it appears).
fn sanitize(config: &NodeConfig, e: redis::RedisError) -> NodeError {
    let mut s = e.to_string();
    if let Some(p) = config.password.as_deref().filter(|p| !p.is_empty()) {
        s = s.replace(p, "***");
    }
    NodeError(s)
}

/// A node whose lock operations run the caller's scripts where given (node-redlock's reply
/// convention), and the built-in ones otherwise.
pub struct ScriptedNode {
    pub node: Arc<RedisNode>,
    pub scripts: Arc<scripts::CustomScripts>,
}

impl RedisNode {
    /// Deletes the keys that hold `value`: a release announces it; a rollback does not, and is
    /// sent as a self-contained EVAL — it often goes to a slow or paused node and may outlive
    /// its own timeout, when an EVALSHA answered NOSCRIPT could no longer fall back to EVAL.
    fn compare_and_delete(
        &self,
        resources: Arc<[String]>,
        value: Arc<str>,
        rollback: bool,
    ) -> BoxFuture<Result<u64, NodeError>> {
        let conn = self.conn();
        let config = self.config.clone();
        let scripts_ok = self.scripts_ok.clone();
        Box::pin(async move {
            let handle = conn?;
            let mut conn = handle.clone().ready(&config).await?;
            let resources = keys(&config, &resources);
            if crate::mutants::active(crate::mutants::Mutant::PlainDelRelease) {
                return redis::cmd("DEL")
                    .arg(&*resources)
                    .query_async::<u64>(&mut conn)
                    .await
                    .map_err(|e| sanitize(&config, e));
            }
            let r: redis::RedisResult<u64> = if rollback {
                redis::cmd("EVAL")
                    .arg(scripts::ROLLBACK_LUA)
                    .arg(resources.len())
                    .arg(&*resources)
                    .arg(&*value)
                    .query_async(&mut conn)
                    .await
            } else {
                scripts::RELEASE
                    .key(&*resources)
                    .arg(&*value)
                    .arg(&crate::signals::release_tag_bytes(&value)[..])
                    .invoke_async(&mut conn)
                    .await
            };
            // Only EVALSHA proves what acquire and release need (a rollback is a plain EVAL).
            note_scripting(&scripts_ok, &r, !rollback);
            r.map_err(|e| {
                handle.forget_master();
                sanitize(&config, e)
            })
        })
    }

    /// Runs a caller-supplied script (EVALSHA, EVAL on NOSCRIPT) and returns its integer reply.
    fn eval(
        &self,
        script: &redis::Script,
        resources: &Arc<[String]>,
        args: Vec<String>,
    ) -> BoxFuture<Result<i64, NodeError>> {
        let conn = self.conn();
        let config = self.config.clone();
        let keys = keys(&config, resources);
        let script = script.clone();
        Box::pin(async move {
            let handle = conn?;
            let mut conn = handle.clone().ready(&config).await?;
            let mut inv = script.key(&*keys);
            for a in &args {
                inv.arg(a);
            }
            inv.invoke_async(&mut conn).await.map_err(|e| {
                handle.forget_master();
                sanitize(&config, e)
            })
        })
    }
}

impl Backend for ScriptedNode {
    fn acquire(
        &self,
        resources: Arc<[String]>,
        value: Arc<str>,
        ttl_ms: u64,
        fresh: bool,
    ) -> BoxFuture<Result<Vote, NodeError>> {
        let Some(s) = &self.scripts.acquire else {
            return self.node.acquire(resources, value, ttl_ms, fresh);
        };
        let n = resources.len() as i64;
        let f = self
            .node
            .eval(s, &resources, vec![value.to_string(), ttl_ms.to_string()]);
        Box::pin(async move { Ok(if f.await? == n { Vote::Yes } else { Vote::No }) })
    }

    fn extend(
        &self,
        resources: Arc<[String]>,
        value: Arc<str>,
        ttl_ms: u64,
    ) -> BoxFuture<Result<bool, NodeError>> {
        let Some(s) = &self.scripts.extend else {
            return self.node.extend(resources, value, ttl_ms);
        };
        let n = resources.len() as i64;
        let f = self
            .node
            .eval(s, &resources, vec![value.to_string(), ttl_ms.to_string()]);
        Box::pin(async move { Ok(f.await? == n) })
    }

    fn release(
        &self,
        resources: Arc<[String]>,
        value: Arc<str>,
    ) -> BoxFuture<Result<u64, NodeError>> {
        let Some(s) = &self.scripts.release else {
            return self.node.release(resources, value);
        };
        let f = self.node.eval(s, &resources, vec![value.to_string()]);
        Box::pin(async move { Ok(f.await?.max(0) as u64) })
    }

    fn rollback(
        &self,
        resources: Arc<[String]>,
        value: Arc<str>,
    ) -> BoxFuture<Result<u64, NodeError>> {
        match &self.scripts.release {
            Some(_) => self.release(resources, value),
            None => self.node.rollback(resources, value),
        }
    }

    fn pttl(&self, resource: String) -> BoxFuture<Result<Option<u64>, NodeError>> {
        self.node.pttl(resource)
    }

    fn watch_releases(&self, signals: &Arc<Signals>) {
        // A custom release script may not announce releases; then waiters just poll.
        self.node.watch_releases(signals);
    }

    fn label(&self) -> String {
        self.node.label()
    }
}

impl Backend for RedisNode {
    fn acquire(
        &self,
        resources: Arc<[String]>,
        value: Arc<str>,
        ttl_ms: u64,
        fresh: bool,
    ) -> BoxFuture<Result<Vote, NodeError>> {
        let conn = self.conn();
        let config = self.config.clone();
        let scripts_ok = self.scripts_ok.clone();
        Box::pin(async move {
            let handle = conn?;
            let mut conn = handle.clone().ready(&config).await?;
            let resources = keys(&config, &resources);
            let plain = fresh && resources.len() == 1 && scripts_ok.load(Relaxed);
            let r: redis::RedisResult<i64> = if plain {
                // One key and a value no key can hold yet: SET NX PX is the whole acquire
                // script (node-redlock's EXISTS-then-SET), in one command instead of a script
                // and two inner commands.
                redis::cmd("SET")
                    .arg(&resources[0])
                    .arg(&*value)
                    .arg("NX")
                    .arg("PX")
                    .arg(ttl_ms)
                    .query_async::<Option<String>>(&mut conn)
                    .await
                    .map(|ok| ok.is_some() as i64)
            } else {
                scripts::ACQUIRE
                    .key(&*resources)
                    .arg(&*value)
                    .arg(ttl_ms)
                    .invoke_async(&mut conn)
                    .await
            };
            note_scripting(&scripts_ok, &r, !plain);
            let r = r.map_err(|e| {
                handle.forget_master();
                sanitize(&config, e)
            })?;
            Ok(match r {
                1 => Vote::Yes,
                -1 => Vote::Own,
                _ => Vote::No,
            })
        })
    }

    fn extend(
        &self,
        resources: Arc<[String]>,
        value: Arc<str>,
        ttl_ms: u64,
    ) -> BoxFuture<Result<bool, NodeError>> {
        let conn = self.conn();
        let config = self.config.clone();
        Box::pin(async move {
            let handle = conn?;
            let mut conn = handle.clone().ready(&config).await?;
            let resources = keys(&config, &resources);
            if crate::mutants::active(crate::mutants::Mutant::ExtendWithoutOwnerCheck) {
                let mut p = redis::pipe();
                for k in resources.iter() {
                    p.cmd("SET")
                        .arg(k)
                        .arg(&*value)
                        .arg("PX")
                        .arg(ttl_ms)
                        .ignore();
                }
                p.query_async::<()>(&mut conn)
                    .await
                    .map_err(|e| sanitize(&config, e))?;
                return Ok(true);
            }
            let r: i64 = scripts::EXTEND
                .key(&*resources)
                .arg(&*value)
                .arg(ttl_ms)
                .invoke_async(&mut conn)
                .await
                .map_err(|e| {
                    handle.forget_master();
                    sanitize(&config, e)
                })?;
            Ok(r == 1)
        })
    }

    fn release(
        &self,
        resources: Arc<[String]>,
        value: Arc<str>,
    ) -> BoxFuture<Result<u64, NodeError>> {
        self.compare_and_delete(resources, value, false)
    }

    fn rollback(
        &self,
        resources: Arc<[String]>,
        value: Arc<str>,
    ) -> BoxFuture<Result<u64, NodeError>> {
        self.compare_and_delete(resources, value, true)
    }

    fn pttl(&self, resource: String) -> BoxFuture<Result<Option<u64>, NodeError>> {
        let conn = self.conn();
        let config = self.config.clone();
        Box::pin(async move {
            let handle = conn?;
            let mut conn = handle.clone().ready(&config).await?;
            let key = format!("{}{resource}", config.key_prefix);
            let ms: i64 = redis::cmd("PTTL")
                .arg(key)
                .query_async(&mut conn)
                .await
                .map_err(|e| {
                    handle.forget_master();
                    sanitize(&config, e)
                })?;
            Ok(match ms {
                -2 => None,
                -1 => Some(u64::MAX),
                ms => Some(ms.max(0) as u64),
            })
        })
    }

    fn label(&self) -> String {
        self.config.label()
    }

    fn watch_releases(&self, signals: &Arc<Signals>) {
        self.releases.watch(&self.config, signals);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_and_redact() {
        let c = NodeConfig::from_url("redis://alice:s3cret@example.com:6390/2").unwrap();
        assert_eq!((c.host.as_str(), c.port, c.db), ("example.com", 6390, 2));
        assert_eq!(c.username.as_deref(), Some("alice"));
        assert_eq!(c.password.as_deref(), Some("s3cret"));
        assert_eq!(c.redacted_url(), "redis://alice:***@example.com:6390/2");
        assert!(!format!("{c:?}").contains("s3cret"));
        let c = NodeConfig::from_url("rediss://:pw@10.0.0.1").unwrap();
        assert!(c.tls);
        assert_eq!(c.port, 6379);
        assert_eq!(c.redacted_url(), "rediss://:***@10.0.0.1:6379");
        for bad in ["http://x", "redis://:pw@[bad", "", "not a url"] {
            let e = NodeConfig::from_url(bad).unwrap_err();
            assert!(!e.message.contains("pw"));
        }
    }

    #[test]
    fn same_target_is_host_port_and_db() {
        let a = NodeConfig {
            port: 7000,
            ..NodeConfig::default()
        };
        let b = NodeConfig {
            host: "localhost".into(),
            port: 7000,
            ..NodeConfig::default()
        };
        let c = NodeConfig {
            port: 7000,
            db: 1,
            ..NodeConfig::default()
        };
        assert!(a.same_target(&b));
        assert!(!a.same_target(&c));
        assert_eq!(a.label(), "127.0.0.1:7000");
    }
}
