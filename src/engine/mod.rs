//! The Redlock engine: asks every node concurrently, counts votes, checks validity on a
//! monotonic clock, rolls back failed attempts on every node, retries with jitter, extends and
//! releases. It knows nothing of Node.js or Redis: nodes are `Backend` trait objects.
//!
//! Every operation runs the one attempt loop (`attempt.rs`); acquire, extend and release are
//! policies over it (`acquire.rs`, `extend.rs`, `release.rs`), each round of it asks all nodes
//! at once (`round.rs`), and the rules it decides by are data (`rules.rs`).
//!
//! Per node, the operations of one call are chained: attempt k+1 on a node starts only after
//! attempt k's work on that node (including its rollback) has finished, and each link is bounded
//! by the per-node timeout. So a rollback always precedes the next attempt on that node, and a
//! paused or dead node costs at most the per-node timeout per attempt. Calls for the same value
//! are chained likewise (`chain.rs`).

mod acquire;
mod attempt;
mod chain;
mod extend;
mod fence;
mod inspect;
mod outcome;
mod pause;
mod release;
mod round;
mod rules;

pub use crate::backend::Vote;
pub use outcome::{Cancel, Failure, Granted, Late, LateSink, LockSpec, Released};
pub use rules::{RollbackRule, Rules};

use crate::algo::settings::Settings;
use crate::backend::Backend;
use crate::signals::Signals;
use chain::Chains;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// Redlock over a fixed set of independent nodes.
pub struct Engine {
    nodes: Vec<Arc<dyn Backend>>,
    labels: Arc<[String]>,
    rules: Rules,
    /// Per lock value, the node work an earlier call left running (a late acquire reply, a
    /// cleanup), for the next call with that value to chain after.
    chains: Chains,
    /// Release announcements from the nodes: a waiter retries when the resource is released
    /// instead of sleeping its whole retry delay.
    signals: Arc<Signals>,
    watching: std::sync::Once,
    /// Node work left running after an operation returned (rollbacks, late replies), so that
    /// `quit()` can let it finish before the connections close.
    background: Arc<Background>,
}

/// Counts the engine's background tasks.
#[derive(Default)]
pub(crate) struct Background {
    running: std::sync::atomic::AtomicUsize,
    idle: tokio::sync::Notify,
}

/// Held by one background task; its drop marks the task finished.
pub(crate) struct BackgroundTask(Arc<Background>);

impl Drop for BackgroundTask {
    fn drop(&mut self) {
        use std::sync::atomic::Ordering::SeqCst;
        if self.0.running.fetch_sub(1, SeqCst) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

impl Engine {
    pub fn new(nodes: Vec<Arc<dyn Backend>>) -> Self {
        // Test builds with the `mutants` feature may swap one rule for a bug.
        #[cfg(feature = "mutants")]
        let rules = crate::testing::mutants::engine_rules();
        #[cfg(not(feature = "mutants"))]
        let rules = Rules::default();
        Self::with_rules(nodes, rules)
    }

    pub fn with_rules(nodes: Vec<Arc<dyn Backend>>, rules: Rules) -> Self {
        let labels = nodes.iter().map(|n| n.label()).collect();
        let signals = Arc::new(Signals::new((rules.quorum)(nodes.len()), rules.wake));
        Engine {
            nodes,
            labels,
            rules,
            chains: Chains::default(),
            signals,
            watching: std::sync::Once::new(),
            background: Arc::default(),
        }
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Marks a background task as running until the returned guard is dropped.
    pub(crate) fn background_task(&self) -> BackgroundTask {
        self.background
            .running
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        BackgroundTask(self.background.clone())
    }

    /// Waits until no background node work is left (rollbacks, late replies), at most `within`.
    pub async fn settled(&self, within: Duration) {
        use std::sync::atomic::Ordering::SeqCst;
        let deadline = Instant::now() + within;
        loop {
            let idle = self.background.idle.notified();
            tokio::pin!(idle);
            idle.as_mut().enable();
            if self.background.running.load(SeqCst) == 0 {
                return;
            }
            if tokio::time::timeout_at(deadline, idle).await.is_err() {
                return;
            }
        }
    }

    /// Votes a verdict needs.
    pub fn quorum(&self) -> usize {
        (self.rules.quorum)(self.nodes.len())
    }

    pub fn labels(&self) -> &Arc<[String]> {
        &self.labels
    }

    /// The per-node timeout of an operation with this TTL.
    pub fn node_timeout(&self, settings: &Settings, ttl_ms: u64) -> Duration {
        (self.rules.node_timeout)(settings, ttl_ms)
    }

    /// The per-node timeout of a release.
    pub fn release_timeout(&self, settings: &Settings) -> Duration {
        (self.rules.release_timeout)(settings)
    }

    /// Chains kept for later calls (for tests).
    pub fn pending_chains(&self) -> usize {
        self.chains.len()
    }

    /// Acquires the lock on a quorum within validity, retrying per `settings`.
    /// `observe` sees every round's votes (at decision time).
    pub async fn acquire(
        &self,
        spec: &LockSpec,
        ttl_ms: u64,
        settings: &Settings,
        cancel: Option<Cancel>,
        observe: impl FnMut(&[Option<Vote>]),
    ) -> Result<Granted, Failure> {
        let policy = acquire::Acquire::new(self, spec, ttl_ms, settings);
        self.run(policy, spec, cancel, observe).await
    }

    /// Extends a lock that is valid until `expires_at` to a new TTL of `ttl_ms`.
    /// Fails with `Expired` and zero attempts, without I/O, when it has already expired.
    pub async fn extend(
        &self,
        spec: &LockSpec,
        expires_at: Instant,
        ttl_ms: u64,
        settings: &Settings,
        cancel: Option<Cancel>,
        observe: impl FnMut(&[Option<Vote>]),
    ) -> Result<Granted, Failure> {
        let policy = extend::Extend::new(self, expires_at, ttl_ms, settings);
        self.run(policy, spec, cancel, observe).await
    }

    /// Deletes the keys holding the value on every node (see `release.rs` for when it is
    /// done). `full`: only nodes that deleted every key confirm (node-redlock v4's `unlock`: a
    /// lock that expired or was released already is reported as failed).
    pub async fn release(
        &self,
        spec: &LockSpec,
        node_timeout: Duration,
        settings: &Settings,
        full: bool,
        observe: impl FnMut(&[Option<Vote>]),
    ) -> Result<Released, Failure> {
        let policy = release::Release::new(self, spec, node_timeout, settings, full);
        self.run(policy, spec, None, observe).await
    }
}

#[cfg(test)]
mod fence_tests;
#[cfg(test)]
mod tests;
