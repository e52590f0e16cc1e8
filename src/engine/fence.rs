//! Fencing tokens (`docs/fencing.md`): one more step of a fenced acquire's attempt, not another
//! loop. Round 1 is the acquire itself, whose nodes also answer with their largest counter of
//! the resources ([`send`]); the token is `T = 1 + max` over the nodes that granted
//! ([`token`]). Round 2 ([`Engine::write_back`]) raises the counters to `T` on every node where
//! the lock still holds this value; the lock and `T` are granted only when a quorum did so
//! within the validity, else the attempt fails and is undone on every node like any failed
//! attempt. Monotonic because the write-back quorum of an earlier lock and the acquire quorum
//! of a later one share a node, where the later `SET NX` succeeded only after the earlier
//! lock's write-back.

use super::chain::Link;
use super::outcome::{Cancel, LockSpec};
use super::round::Ask;
use super::rules::RollbackRule;
use super::Engine;
use crate::algo::quorum::{FailReason, Settled};
use crate::backend::{Backend, NodeError, Vote};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// One attempt's counters, by node: what each granting node answered in round 1.
pub(super) type Counters = Arc<Mutex<Vec<Option<u64>>>>;

/// Fresh counters for an attempt over `n` nodes (a late answer of an earlier attempt writes to
/// that attempt's own).
pub(super) fn counters(n: usize) -> Counters {
    Arc::new(Mutex::new(vec![None; n]))
}

/// Round 1 on node `i`: the fenced acquire; a grant's counter goes to `counters[i]` before the
/// vote is counted.
pub(super) fn send(
    i: usize,
    counters: Counters,
    node: Arc<dyn Backend>,
    resources: Arc<[String]>,
    value: Arc<str>,
    ttl_ms: u64,
) -> impl Future<Output = Result<Vote, NodeError>> + Send + 'static {
    let f = node.acquire_fenced(resources, value, ttl_ms);
    async move {
        let r = f.await?;
        if r.vote == Vote::Yes {
            counters.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(r.counter);
        }
        Ok(r.vote)
    }
}

/// `T = 1 + max` of the counters of the nodes whose grant was counted (`votes`).
pub(super) fn token(votes: &[Option<Vote>], counters: &Counters) -> u64 {
    let c = counters.lock().unwrap_or_else(|e| e.into_inner());
    let max = votes
        .iter()
        .zip(c.iter())
        .filter(|(v, _)| matches!(v, Some(Vote::Yes)))
        .filter_map(|(_, c)| *c)
        .max()
        .unwrap_or(0);
    max.saturating_add(1)
}

/// A granted fenced attempt's second round: its token, and the end of its validity.
pub(super) struct WriteBack {
    pub token: u64,
    pub expires_at: Instant,
}

/// Why the write-back failed the attempt, with its votes (for the message) and the nodes whose
/// rollback a final failure waits for.
pub(super) struct WriteBackFailed {
    pub reason: FailReason,
    pub votes: Vec<Option<Vote>>,
    pub undoing: Vec<usize>,
}

#[derive(Clone, Copy)]
struct AskWriteBack {
    token: u64,
}

impl Ask for AskWriteBack {
    fn send(
        self,
        node: Arc<dyn Backend>,
        resources: Arc<[String]>,
        value: Arc<str>,
    ) -> impl Future<Output = Result<Vote, NodeError>> + Send + 'static {
        let f = node.write_back(resources, value, self.token);
        async move { Ok(if f.await? { Vote::Yes } else { Vote::No }) }
    }
}

impl Engine {
    /// Round 2 of a fenced attempt, on every node (each after its round-1 work for the value):
    /// `Ok` with the validity left once a quorum raised its counters before the validity ran
    /// out. On failure the lock is undone on every node that was asked.
    pub(super) async fn write_back(
        &self,
        wb: WriteBack,
        spec: &LockSpec,
        node_timeout: Duration,
        chain: &mut [Option<Link>],
        cancel: &mut Option<Cancel>,
        attempt: u64,
    ) -> Result<Duration, WriteBackFailed> {
        // Late answers of this round are no votes of the attempt's statistics.
        let quiet = LockSpec {
            late: None,
            ..spec.clone()
        };
        let ask = AskWriteBack { token: wb.token };
        let mut round = self
            .round(ask, &quiet, node_timeout, chain, cancel, None)
            .await;
        let left_ms = if round.t1 <= wb.expires_at {
            (wb.expires_at - round.t1).as_millis() as i128
        } else {
            -((round.t1 - wb.expires_at).as_millis() as i128)
        };
        let verdict = match round.settled {
            Some(Settled::Quorum) if (self.rules.valid)(left_ms) => {
                Ok(Duration::from_millis(left_ms.max(0) as u64))
            }
            Some(Settled::Quorum) => Err(FailReason::Expired),
            Some(Settled::NoQuorum(reason)) => Err(reason),
            None => Err(FailReason::Cancelled),
        };
        // A failed write-back fails the attempt: whatever the round-1 grant left is undone on
        // every node asked, whatever it answered (only keys holding this value are deleted).
        let undo_all: RollbackRule = |_, failed| failed;
        let failed = verdict.is_err();
        let undoing = self.finish_round(
            &mut round,
            attempt,
            Some(undo_all),
            failed,
            &quiet,
            node_timeout,
            chain,
        );
        verdict.map_err(|reason| WriteBackFailed {
            reason,
            votes: round.votes,
            undoing,
        })
    }
}
