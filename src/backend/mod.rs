//! The per-node backend trait: what the engine needs from one Redis master, at the level of
//! lock operations (not raw commands), so an in-memory backend can stand in for Redis in tests.

pub mod caller;
#[cfg(test)]
pub mod memory;
pub mod redis;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// One node's vote in one round: the single vocabulary of the engine's tally, the per-node
/// statistics and the napi layer's vote codes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Vote {
    /// acquire: every key was absent and is now set; extend: extended; release: deleted.
    Yes,
    /// acquire: at least one key holds another value, nothing written; extend: not held with
    /// this value; release: at least one key holds another value (the lock was lost to another
    /// owner): against.
    No,
    /// acquire: at least one key already holds this very value (and none another value);
    /// nothing written. Counts as `No`, but a rollback never deletes a lock that existed before
    /// the attempt. release: no key holds another value, but not every key held ours (expired
    /// or already released): nothing of ours is left, which confirms a release (v5) but is not
    /// a full release (v4).
    Own,
    /// The node failed (connection, script or server error).
    Error(NodeError),
    /// acquire, extend: the node granted, but it is quarantined by the restart guard (it may
    /// have restarted without the locks it granted before): counts against, is rolled back
    /// like a grant. The text says why and for how long, without secrets.
    Quarantined(String),
    /// No answer within the per-node timeout.
    Timeout,
}

/// What a release (or rollback) found on one node.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReleaseReply {
    /// Keys that held the value and were deleted.
    pub deleted: u64,
    /// Keys that hold another value (another owner has the resource): never deleted.
    pub foreign: u64,
}

/// A fenced acquire's reply from one node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fenced {
    pub vote: Vote,
    /// With `Vote::Yes`: the largest counter of the resources on the node.
    pub counter: u64,
}

fn no_fencing() -> NodeError {
    NodeError("this node cannot fence (custom scripts)".into())
}

/// A node-level failure (connection, script or server error). The text is already free of
/// secrets: backends never put passwords or lock values in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeError(pub String);

impl fmt::Display for NodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One independent Redis master (or an in-memory stand-in in tests).
///
/// Every operation is atomic on the node and covers all `resources` at once. Futures are
/// `'static` so the engine can run them on their own tasks; the engine, not the backend,
/// enforces the per-node timeout.
pub trait Backend: Send + Sync + 'static {
    /// Sets every key to `value` with a TTL of `ttl_ms` iff none of them exists, and answers
    /// `Yes`, `No` or `Own` (see [`Vote`]). `fresh`: the value was made for this call, so no key
    /// can hold it already (`Own` is impossible).
    fn acquire(
        &self,
        resources: Arc<[String]>,
        value: Arc<str>,
        ttl_ms: u64,
        fresh: bool,
    ) -> BoxFuture<Result<Vote, NodeError>>;

    /// Sets the TTL of every key to `ttl_ms` iff every key holds `value`; `true` if it did.
    fn extend(
        &self,
        resources: Arc<[String]>,
        value: Arc<str>,
        ttl_ms: u64,
    ) -> BoxFuture<Result<bool, NodeError>>;

    /// Deletes the keys that hold `value`; says how many were deleted and how many hold
    /// another value.
    fn release(
        &self,
        resources: Arc<[String]>,
        value: Arc<str>,
    ) -> BoxFuture<Result<ReleaseReply, NodeError>>;

    /// Like `release`, for undoing a failed attempt: nobody is told (a real release wakes the
    /// waiters; the rollback of a partial lock would only wake them for nothing).
    fn rollback(
        &self,
        resources: Arc<[String]>,
        value: Arc<str>,
    ) -> BoxFuture<Result<ReleaseReply, NodeError>> {
        self.release(resources, value)
    }

    /// `release` without announcing it: this process hands the lock over to its own next
    /// waiter, whose acquire follows at once (waking waiters elsewhere would only make them
    /// fail). Nodes that never announce (the default) just release.
    fn release_quiet(
        &self,
        resources: Arc<[String]>,
        value: Arc<str>,
    ) -> BoxFuture<Result<ReleaseReply, NodeError>> {
        self.release(resources, value)
    }

    /// A waiter of this process waits for `resources`: leaves a marker on the node for
    /// `ttl_ms`, so that releases there are announced (a release nobody waits for announces
    /// nothing). Resolves to whether every key still exists: a release that ran before the
    /// marker landed was not announced. `None` (the default): the node does not announce.
    fn mark_waiting(
        &self,
        _resources: Arc<[String]>,
        _ttl_ms: u64,
    ) -> Option<BoxFuture<Result<bool, NodeError>>> {
        None
    }

    /// A fenced acquire's first round: `acquire` (never the `SET NX` shortcut), and when it
    /// sets the keys, the largest fencing counter of the resources on this node (0 where none
    /// exists yet). Nodes that cannot fence (custom scripts) fail.
    fn acquire_fenced(
        &self,
        _resources: Arc<[String]>,
        _value: Arc<str>,
        _ttl_ms: u64,
    ) -> BoxFuture<Result<Fenced, NodeError>> {
        Box::pin(async { Err(no_fencing()) })
    }

    /// A fenced acquire's second round: iff every key holds `value`, raises each resource's
    /// counter to at least `token` (never lowers it); `true` if it did.
    fn write_back(
        &self,
        _resources: Arc<[String]>,
        _value: Arc<str>,
        _token: u64,
    ) -> BoxFuture<Result<bool, NodeError>> {
        Box::pin(async { Err(no_fencing()) })
    }

    /// Remaining TTL of `resource` in ms: `None` when absent, `Some(u64::MAX)` without expiry.
    fn pttl(&self, resource: String) -> BoxFuture<Result<Option<u64>, NodeError>>;

    /// A name for messages: a redacted `host:port`, never credentials.
    fn label(&self) -> String;

    /// Why this node's grants must not count now (the restart guard: it restarted, or was
    /// reached for the first time, less than the guard period ago), or `None`. `guard_ms`: the
    /// Redlock's `restartGuard` (`None`: the default). Nodes that cannot tell never quarantine.
    fn quarantine(&self, _guard_ms: Option<u64>) -> Option<String> {
        None
    }

    /// Starts telling `signals` about releases seen on this node (best effort; idempotent).
    /// Nodes that cannot (the default) leave their waiters to poll.
    fn watch_releases(&self, _signals: &Arc<crate::signals::Signals>) {}
}
