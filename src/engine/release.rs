//! Release: the keys holding the value deleted on every node. Done once a quorum of nodes
//! confirmed (deleted, or nothing of ours was there), so a lock that is simply gone is
//! released at once. A node where a key holds another value refuses: the lock was lost to
//! another owner, which is never reported as released, and retrying cannot change it. Only
//! unreachable nodes cause retries, at most 10 even when `retryCount` is unbounded, so a
//! release never hangs. A full release (node-redlock v4's `unlock`) counts only nodes that
//! deleted every key.

use super::attempt::Policy;
use super::outcome::{Cancel, LockSpec, Released};
use super::round::{Ask, Round};
use super::Engine;
use crate::algo::quorum::{FailReason, Settled, Tally};
use crate::algo::settings::Settings;
use crate::backend::{Backend, NodeError, Vote};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

pub(super) struct Release<'a> {
    engine: &'a Engine,
    spec: &'a LockSpec,
    settings: &'a Settings,
    node_timeout: Duration,
    max_attempts: u64,
    /// Only nodes that deleted every key confirm (v4): keys already gone count against.
    full: bool,
    /// Per node, over all attempts: confirmed, deleted every key, refused (final).
    confirmed: Vec<bool>,
    deleted: Vec<bool>,
    refused: Vec<bool>,
    /// Attempts asked so far (`ask` runs once per attempt).
    asked: std::sync::atomic::AtomicU64,
}

impl<'a> Release<'a> {
    pub(super) fn new(
        engine: &'a Engine,
        spec: &'a LockSpec,
        node_timeout: Duration,
        settings: &'a Settings,
        full: bool,
    ) -> Self {
        Release {
            engine,
            spec,
            settings,
            node_timeout,
            max_attempts: settings.max_attempts().unwrap_or(11),
            full,
            confirmed: vec![false; engine.len()],
            deleted: vec![false; engine.len()],
            refused: vec![false; engine.len()],
            asked: Default::default(),
        }
    }
}

/// `quiet`: the release is handed over to a waiter of this process (see `on_sent`), so it is
/// not announced.
#[derive(Clone, Copy)]
pub(super) struct AskRelease {
    quiet: bool,
}

impl Ask for AskRelease {
    fn send(
        self,
        node: Arc<dyn Backend>,
        resources: Arc<[String]>,
        value: Arc<str>,
    ) -> impl Future<Output = Result<Vote, NodeError>> + Send + 'static {
        let n = resources.len() as u64;
        let f = if self.quiet {
            node.release_quiet(resources, value)
        } else {
            node.release(resources, value)
        };
        async move {
            let r = f.await?;
            Ok(if r.foreign > 0 {
                Vote::No
            } else if r.deleted == n {
                Vote::Yes
            } else {
                Vote::Own
            })
        }
    }

    /// Every node is asked and waited for (or its timeout): the nodes that confirm count.
    fn settle(&self, tally: &Tally) -> Option<Settled> {
        (tally.pending() == 0).then(|| {
            if tally.yes + tally.no >= tally.quorum() {
                Settled::Quorum
            } else {
                Settled::NoQuorum(FailReason::Unavailable)
            }
        })
    }
}

impl Release<'_> {
    /// Whether this attempt hands the resource over to a waiter of this process.
    fn hands_over(&self, attempt: u64) -> bool {
        (self.engine.rules.hand_over)(attempt)
            && self.engine.signals.has_waiters(&self.spec.resources)
    }
}

impl Policy for Release<'_> {
    type Output = Released;
    type Ask = AskRelease;

    fn ask(&self) -> AskRelease {
        use std::sync::atomic::Ordering::Relaxed;
        let attempt = self.asked.fetch_add(1, Relaxed) + 1;
        AskRelease {
            quiet: self.hands_over(attempt),
        }
    }

    fn node_timeout(&self) -> Duration {
        self.node_timeout
    }

    /// Someone in this process waits for the resource: wake the longest-waiting one as soon
    /// as the release requests are on their way. Its acquire goes out behind them on the same
    /// connections, so the nodes run it after the release (one round trip per hand-over
    /// instead of two). Later announcements of this release are ignored.
    fn on_sent(&self, attempt: u64) -> Option<Box<dyn FnOnce() + Send + '_>> {
        let (signals, spec) = (&self.engine.signals, self.spec);
        if !self.hands_over(attempt) {
            return None;
        }
        Some(Box::new(move || {
            let tag = crate::signals::release_tag(&spec.value);
            for r in spec.resources.iter() {
                signals.released_here(r, &tag);
            }
        }))
    }

    fn judge(&mut self, round: &Round, attempt: u64) -> Result<Released, FailReason> {
        for (i, v) in round.votes.iter().enumerate() {
            match v {
                Some(Vote::Yes) => {
                    self.confirmed[i] = true;
                    self.deleted[i] = true;
                }
                Some(Vote::Own) if !self.full => self.confirmed[i] = true,
                // Another owner's key (or, for a full release, keys already gone): final.
                Some(Vote::No) | Some(Vote::Own) if !self.confirmed[i] => self.refused[i] = true,
                _ => {}
            }
        }
        let count = self.confirmed.iter().filter(|c| **c).count();
        let quorum = self.engine.quorum();
        if count < quorum {
            let open = (0..self.confirmed.len())
                .filter(|&i| !self.confirmed[i] && !self.refused[i])
                .count();
            return Err(if count + open < quorum {
                FailReason::Held
            } else {
                FailReason::Unavailable
            });
        }
        Ok(Released {
            attempts: attempt,
            deleted_on: self.deleted.iter().filter(|d| **d).count(),
        })
    }

    async fn retry(
        &mut self,
        reason: FailReason,
        attempt: u64,
        cancel: &mut Option<Cancel>,
    ) -> Result<(), FailReason> {
        // Refusals are final: another attempt cannot change them.
        if reason != FailReason::Held
            && attempt < self.max_attempts
            && Engine::pause_before_retry(self.settings, cancel).await
        {
            Ok(())
        } else {
            Err(reason)
        }
    }
}
