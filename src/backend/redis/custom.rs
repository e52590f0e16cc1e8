//! Custom scripts (node-redlock's third constructor argument): a node whose lock operations run
//! the caller's scripts where given, and the built-in ones otherwise.

use super::node::{RedisNode, Sent};
use super::scripts::CustomScripts;
use crate::backend::{Backend, BoxFuture, NodeError, ReleaseReply, Vote};
use crate::signals::Signals;
use redis::Script;
use std::sync::Arc;

/// A node whose lock operations run the caller's scripts where given (node-redlock's reply
/// convention: acquire and extend return the number of keys written, release the number
/// deleted), and the built-in ones otherwise.
pub struct ScriptedNode {
    pub node: Arc<RedisNode>,
    pub scripts: Arc<CustomScripts>,
}

impl ScriptedNode {
    /// Runs a caller-supplied script (EVALSHA, EVAL on NOSCRIPT) with ARGV = value[, TTL];
    /// returns its integer reply.
    fn eval(
        &self,
        script: &Script,
        resources: Arc<[String]>,
        value: Arc<str>,
        ttl_ms: Option<u64>,
    ) -> BoxFuture<Result<i64, NodeError>> {
        let script = script.clone();
        self.node.run(resources, move |mut c| async move {
            let mut inv = script.key(&*c.keys);
            inv.arg(&*value);
            if let Some(ttl) = ttl_ms {
                inv.arg(ttl);
            }
            (Sent::Script, inv.invoke_async(&mut c.conn).await)
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
            .asked(ttl_ms, self.eval(s, resources, value, Some(ttl_ms)));
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
            .asked(ttl_ms, self.eval(s, resources, value, Some(ttl_ms)));
        Box::pin(async move { Ok(f.await? == n) })
    }

    fn release(
        &self,
        resources: Arc<[String]>,
        value: Arc<str>,
    ) -> BoxFuture<Result<ReleaseReply, NodeError>> {
        let Some(s) = &self.scripts.release else {
            return self.node.release(resources, value);
        };
        // node-redlock's convention: the number of keys deleted (a lost lock cannot be told).
        let f = self.eval(s, resources, value, None);
        Box::pin(async move {
            Ok(ReleaseReply {
                deleted: f.await?.max(0) as u64,
                foreign: 0,
            })
        })
    }

    fn rollback(
        &self,
        resources: Arc<[String]>,
        value: Arc<str>,
    ) -> BoxFuture<Result<ReleaseReply, NodeError>> {
        match &self.scripts.release {
            Some(_) => self.release(resources, value),
            None => self.node.rollback(resources, value),
        }
    }

    fn release_quiet(
        &self,
        resources: Arc<[String]>,
        value: Arc<str>,
    ) -> BoxFuture<Result<ReleaseReply, NodeError>> {
        match &self.scripts.release {
            Some(_) => self.release(resources, value),
            None => self.node.release_quiet(resources, value),
        }
    }

    fn mark_waiting(
        &self,
        resources: Arc<[String]>,
        ttl_ms: u64,
    ) -> Option<BoxFuture<Result<bool, NodeError>>> {
        // A custom release script announces nothing: no marker would be read.
        match &self.scripts.release {
            Some(_) => None,
            None => self.node.mark_waiting(resources, ttl_ms),
        }
    }

    fn pttl(&self, resource: String) -> BoxFuture<Result<Option<u64>, NodeError>> {
        self.node.pttl(resource)
    }

    fn watch_releases(&self, signals: &Arc<Signals>) {
        // A custom release script may not announce releases; then waiters just poll.
        self.node.watch_releases(signals);
    }

    fn quarantine(&self, guard_ms: Option<u64>) -> Option<String> {
        self.node.quarantined(guard_ms)
    }

    fn label(&self) -> String {
        self.node.label()
    }
}
