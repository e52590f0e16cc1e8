//! `RedisNode`: one Redis master (or one Redis Cluster) as a `Backend`. Every operation goes
//! through `RedisNode::run`, the one per-node request path.

use super::config::NodeConfig;
use super::connect::{AnyConn, Handle};
use super::guard::{self, Guard};
use super::listener::Releases;
use super::scripts::{self, NodeScripts};
use super::tls;
use crate::backend::{Backend, BoxFuture, Fenced, NodeError, ReleaseReply, Vote};
use crate::signals::Signals;
use std::future::Future;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A single server (neither a Cluster nor found through Sentinel): the only kind of node with
/// a release listener, so the only one where releases are announced and waiters leave markers.
fn is_single(config: &NodeConfig) -> bool {
    config.cluster.is_empty() && config.sentinel.is_none()
}

/// One Redis master, or one Redis Cluster.
pub struct RedisNode {
    // Shared, not copied: every operation takes one reference for its future (TLS material
    // included), so a per-call clone would copy certificates on the hot path.
    state: Arc<State>,
    /// `None` once closed with `quit()`; sockets close when in-flight calls finish.
    conn: Mutex<Option<Handle>>,
    releases: Releases,
}

/// What an operation's future needs of its node.
struct State {
    config: NodeConfig,
    scripts: NodeScripts,
    /// Whether a script sent by EVALSHA has succeeded here: only then may a fresh
    /// single-resource acquire skip the script (`SET NX PX`). An ACL user who may write but not
    /// run scripts would otherwise take locks it can never release or roll back; its first
    /// acquire fails cleanly instead. A NOPERM from any command takes it back.
    scripts_ok: AtomicBool,
    /// Who the server is, and whether its grants count yet (`guard.rs`).
    guard: Guard,
}

/// What an operation sent, for `scripts_ok`: only a script sent by EVALSHA proves that the
/// node runs scripts for this user (a rollback's plain EVAL proves nothing without +evalsha).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Sent {
    Script,
    Command,
}

/// One operation's connection, ready to send on, with its keys already prefixed.
pub(super) struct Call<K> {
    pub conn: AnyConn,
    pub keys: K,
    /// `State::scripts_ok` when the operation starts.
    pub scripts_ok: bool,
}

impl Call<Arc<[String]>> {
    /// Runs a script that sets every key to `value` for `ttl_ms` (acquire's and extend's).
    async fn set_script(
        &mut self,
        script: &redis::Script,
        value: &str,
        ttl_ms: u64,
    ) -> redis::RedisResult<i64> {
        script
            .key(&*self.keys)
            .arg(value)
            .arg(ttl_ms)
            .invoke_async(&mut self.conn)
            .await
    }
}

/// The keys an operation names, before the node's `keyPrefix`.
pub(super) trait Keys: Send + 'static {
    fn prefixed(self, prefix: &str) -> Self;
}

impl Keys for Arc<[String]> {
    fn prefixed(self, prefix: &str) -> Self {
        if prefix.is_empty() {
            return self;
        }
        self.iter().map(|r| format!("{prefix}{r}")).collect()
    }
}

impl Keys for String {
    fn prefixed(self, prefix: &str) -> Self {
        if prefix.is_empty() {
            return self;
        }
        format!("{prefix}{self}")
    }
}

/// No keys (PING).
impl Keys for () {
    fn prefixed(self, _: &str) {}
}

impl RedisNode {
    /// Creates the node with a lazy connection (opened on first use). Must run inside a tokio
    /// runtime.
    pub fn new(config: NodeConfig) -> Result<Arc<Self>, NodeError> {
        tls::install_crypto_provider();
        let (handle, pubsub) = Handle::new(&config)?;
        let scripts = NodeScripts::builtin();
        #[cfg(feature = "mutants")]
        let (scripts, pubsub) = (
            super::mutants::apply(scripts),
            super::mutants::pubsub(pubsub),
        );
        Ok(Arc::new(RedisNode {
            state: Arc::new(State {
                config,
                scripts,
                scripts_ok: AtomicBool::new(false),
                guard: Guard::new(),
            }),
            conn: Mutex::new(Some(handle)),
            releases: Releases::new(pubsub),
        }))
    }

    fn handle(&self) -> Result<Handle, NodeError> {
        let guard = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        guard
            .clone()
            .ok_or_else(|| NodeError("the client was closed with quit()".into()))
    }

    /// Closes the connection; later calls fail with a clear error.
    pub fn quit(&self) {
        self.conn.lock().unwrap_or_else(|e| e.into_inner()).take();
        self.releases.close();
    }

    pub fn config(&self) -> &NodeConfig {
        &self.state.config
    }

    /// Connects (if needed) and checks the server answers, within the connect timeout.
    pub async fn ping(&self) -> Result<(), NodeError> {
        let t = Duration::from_millis(self.state.config.connect_timeout_ms);
        let ping = self.run((), |mut c| async move {
            let r = redis::cmd("PING").query_async::<String>(&mut c.conn).await;
            (Sent::Command, r)
        });
        match tokio::time::timeout(t, ping).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(NodeError(format!(
                "connection timed out after {} ms",
                t.as_millis()
            ))),
        }
    }

    /// Notes that an acquire or extend with this TTL was answered (the default restart guard),
    /// after its own restart check: the TTL of a node's first request does not quarantine it.
    pub(super) fn asked<T: Send + 'static>(
        &self,
        ttl_ms: u64,
        f: BoxFuture<Result<T, NodeError>>,
    ) -> BoxFuture<Result<T, NodeError>> {
        let state = self.state.clone();
        Box::pin(async move {
            let r = f.await;
            state.guard.asked(ttl_ms);
            r
        })
    }

    /// Why this node's grants do not count now (restart guard), or `None`.
    pub(super) fn quarantined(&self, guard_ms: Option<u64>) -> Option<String> {
        // A Redis Cluster voter is not checked: see docs/operations.md (restart guard).
        if !self.state.config.cluster.is_empty() {
            return None;
        }
        self.state
            .guard
            .quarantine(guard_ms, tokio::time::Instant::now())
    }

    /// The one request path of every operation: take the connection (refused after `quit()`),
    /// make it ready, prefix the keys, run `op` (alongside the restart check when one is due);
    /// then keep `scripts_ok` and the restart guard current, and on an error look the Sentinel
    /// master up again next time and strip secrets from the message.
    pub(super) fn run<K, T, F, Fut>(&self, keys: K, op: F) -> BoxFuture<Result<T, NodeError>>
    where
        K: Keys,
        T: Send + 'static,
        F: FnOnce(Call<K>) -> Fut + Send + 'static,
        Fut: Future<Output = (Sent, redis::RedisResult<T>)> + Send,
    {
        let handle = self.handle();
        let state = self.state.clone();
        Box::pin(async move {
            let handle = handle?;
            let sentinel = matches!(handle, Handle::Sentinel(_));
            let conn = handle.ready(&state.config).await.inspect_err(|_| {
                state.guard.failed();
            })?;
            // A due restart check runs on the same connection alongside the operation (no
            // extra round trip before it); the result is handed back once both are in.
            let due = match conn {
                AnyConn::Single(_) => state.guard.due(),
                AnyConn::Cluster(_) => None,
            };
            let check = due.map(|at| (at, guard::check(conn.clone())));
            let call = Call {
                conn,
                keys: keys.prefixed(&state.config.key_prefix),
                scripts_ok: state.scripts_ok.load(Relaxed),
            };
            let checked = async {
                match check {
                    Some((at, c)) => Some((at, c.await)),
                    None => None,
                }
            };
            let (checked, (sent, r)) = futures_util::join!(checked, op(call));
            match checked {
                Some((at, Ok(seen))) => state.guard.record(at, seen, tokio::time::Instant::now()),
                // A failed connection; a server's error reply (LOADING…) leaves it due.
                Some((_, Err(e))) if e.code().is_none() => state.guard.failed(),
                _ => {}
            }
            match &r {
                Ok(_) if sent == Sent::Script => state.scripts_ok.store(true, Relaxed),
                Err(e) if e.code() == Some("NOPERM") => state.scripts_ok.store(false, Relaxed),
                _ => {}
            }
            // A failure without a server's reply may mean a reconnect (the next command may
            // reach a restarted server); behind Sentinel any error may move the master.
            if let Err(e) = &r {
                if e.code().is_none() || sentinel {
                    state.guard.failed();
                }
            }
            r.map_err(|e| {
                handle.forget_master();
                state.config.sanitize(e)
            })
        })
    }
}

impl RedisNode {
    /// The release script with a release tag: announced where waiters left a marker when
    /// `announce`, else quietly (an empty tag; see `scripts::RELEASE_LUA`).
    fn release_tagged(
        &self,
        resources: Arc<[String]>,
        value: Arc<str>,
        announce: bool,
    ) -> BoxFuture<Result<ReleaseReply, NodeError>> {
        let script = self.state.scripts.release;
        self.run(resources, move |mut c| async move {
            let tag = crate::signals::release_tag_bytes(&value);
            let tag: &[u8] = if announce { &tag[..] } else { b"" };
            let r = script
                .key(&*c.keys)
                .arg(&*value)
                .arg(tag)
                .invoke_async::<redis::Value>(&mut c.conn)
                .await
                .map(|v| scripts::release_reply(&v));
            (Sent::Script, r)
        })
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
        let script = self.state.scripts.acquire;
        let f = self.run(resources, move |mut c| async move {
            if fresh && c.keys.len() == 1 && c.scripts_ok {
                // One key and a value no key can hold yet: SET NX PX is the whole acquire
                // script (node-redlock's EXISTS-then-SET), in one command instead of a script
                // and two inner commands.
                // Sized up front: growing the argument buffers costs allocations per call.
                let key = &c.keys[0];
                let size = 3 + 2 + 2 + 20 + key.len() + value.len();
                let r = redis::Cmd::with_capacity(6, size)
                    .arg("SET")
                    .arg(key)
                    .arg(&*value)
                    .arg("NX")
                    .arg("PX")
                    .arg(ttl_ms)
                    .query_async::<Option<String>>(&mut c.conn)
                    .await;
                let r = r.map(|ok| match ok {
                    Some(_) => Vote::Yes,
                    None => Vote::No,
                });
                return (Sent::Command, r);
            }
            let r = c.set_script(script, &value, ttl_ms).await;
            let r = r.map(|r| match r {
                1 => Vote::Yes,
                -1 => Vote::Own,
                _ => Vote::No,
            });
            (Sent::Script, r)
        });
        self.asked(ttl_ms, f)
    }

    fn acquire_fenced(
        &self,
        resources: Arc<[String]>,
        value: Arc<str>,
        ttl_ms: u64,
    ) -> BoxFuture<Result<Fenced, NodeError>> {
        let script = self.state.scripts.acquire_fenced;
        self.run(resources, move |mut c| async move {
            let r = script
                .key(scripts::fenced_keys(&c.keys))
                .arg(&*value)
                .arg(ttl_ms)
                .invoke_async::<redis::Value>(&mut c.conn)
                .await;
            let r = r.and_then(|v| {
                scripts::fenced_reply(&v).ok_or_else(|| {
                    redis::RedisError::from((
                        redis::ErrorKind::UnexpectedReturnType,
                        "unexpected reply to the fenced acquire script",
                    ))
                })
            });
            (Sent::Script, r)
        })
    }

    fn write_back(
        &self,
        resources: Arc<[String]>,
        value: Arc<str>,
        token: u64,
    ) -> BoxFuture<Result<bool, NodeError>> {
        let script = self.state.scripts.write_back;
        self.run(resources, move |mut c| async move {
            let r = script
                .key(scripts::fenced_keys(&c.keys))
                .arg(&*value)
                .arg(token)
                .invoke_async::<i64>(&mut c.conn)
                .await;
            (Sent::Script, r.map(|r| r == 1))
        })
    }

    fn extend(
        &self,
        resources: Arc<[String]>,
        value: Arc<str>,
        ttl_ms: u64,
    ) -> BoxFuture<Result<bool, NodeError>> {
        let script = self.state.scripts.extend;
        let f = self.run(resources, move |mut c| async move {
            let r = c.set_script(script, &value, ttl_ms).await;
            (Sent::Script, r.map(|r| r == 1))
        });
        self.asked(ttl_ms, f)
    }

    fn release(
        &self,
        resources: Arc<[String]>,
        value: Arc<str>,
    ) -> BoxFuture<Result<ReleaseReply, NodeError>> {
        // Only single servers have listeners (and waiting markers) to announce to.
        self.release_tagged(resources, value, is_single(&self.state.config))
    }

    fn release_quiet(
        &self,
        resources: Arc<[String]>,
        value: Arc<str>,
    ) -> BoxFuture<Result<ReleaseReply, NodeError>> {
        self.release_tagged(resources, value, false)
    }

    /// `SET <key>\0redlock-rs:waiting 1 PX ttl` per key, then `EXISTS` of the keys, pipelined:
    /// a release after the marker announces itself, one before it shows as a missing key.
    fn mark_waiting(
        &self,
        resources: Arc<[String]>,
        ttl_ms: u64,
    ) -> Option<BoxFuture<Result<bool, NodeError>>> {
        if !is_single(&self.state.config) {
            return None;
        }
        Some(self.run(resources, move |mut c| async move {
            let mut p = redis::pipe();
            for k in c.keys.iter() {
                p.cmd("SET")
                    .arg(format!("{k}{}", scripts::WAITING_SUFFIX))
                    .arg(1)
                    .arg("PX")
                    .arg(ttl_ms.max(1))
                    .ignore();
            }
            p.cmd("EXISTS").arg(&*c.keys);
            let r = p.query_async::<(u64,)>(&mut c.conn).await;
            (Sent::Command, r.map(|(n,)| n == c.keys.len() as u64))
        }))
    }

    /// The release script without a tag (nobody is told), sent as a self-contained EVAL: a
    /// rollback often goes to a slow or paused node and may outlive its own timeout, when an
    /// EVALSHA answered NOSCRIPT could no longer fall back to EVAL.
    fn rollback(
        &self,
        resources: Arc<[String]>,
        value: Arc<str>,
    ) -> BoxFuture<Result<ReleaseReply, NodeError>> {
        let code = self.state.scripts.release_lua;
        self.run(resources, move |mut c| async move {
            let r = redis::cmd("EVAL")
                .arg(code)
                .arg(c.keys.len())
                .arg(&*c.keys)
                .arg(&*value)
                .query_async::<redis::Value>(&mut c.conn)
                .await
                .map(|v| scripts::release_reply(&v));
            (Sent::Command, r)
        })
    }

    fn pttl(&self, resource: String) -> BoxFuture<Result<Option<u64>, NodeError>> {
        self.run(resource, |mut c| async move {
            let r = redis::cmd("PTTL")
                .arg(&c.keys)
                .query_async::<i64>(&mut c.conn)
                .await;
            let r = r.map(|ms| match ms {
                -2 => None,
                -1 => Some(u64::MAX),
                ms => Some(ms.max(0) as u64),
            });
            (Sent::Command, r)
        })
    }

    fn label(&self) -> String {
        self.state.config.label()
    }

    fn quarantine(&self, guard_ms: Option<u64>) -> Option<String> {
        self.quarantined(guard_ms)
    }

    fn watch_releases(&self, signals: &Arc<Signals>) {
        self.releases.watch(&self.state.config, signals);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_get_the_prefix_and_share_the_list_without_one() {
        let r: Arc<[String]> = vec!["a".to_string(), "b".to_string()].into();
        let same = r.clone().prefixed("");
        assert!(Arc::ptr_eq(&r, &same));
        assert_eq!(&*r.prefixed("p:"), ["p:a", "p:b"]);
        assert_eq!("a".to_string().prefixed("p:"), "p:a");
    }
}
