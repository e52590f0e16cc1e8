//! One round: every node asked at once, the verdict as soon as it is certain, then the
//! round's leftovers (late answers, rollbacks) finished in the background.

use super::chain::Link;
use super::outcome::{cancelled, Cancel, Granted, Late, LockSpec};
use super::rules::{RollbackRule, Rules};
use super::Engine;
use crate::algo::quorum::{FailReason, Settled, Tally};
use crate::algo::validity::{drift_ms, validity_ms};
use crate::backend::{Backend, NodeError, Vote};
use futures_util::future::{BoxFuture, FutureExt};
use futures_util::stream::{FuturesUnordered, StreamExt};
use std::future::Future;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::time::{timeout, timeout_at, Instant};

/// What a round asks every node, and when its votes settle. Plain `'static` data: the
/// request is made only once the node's earlier work for the value is done.
pub(super) trait Ask: Clone + Send + 'static {
    fn send(
        self,
        node: Arc<dyn Backend>,
        resources: Arc<[String]>,
        value: Arc<str>,
    ) -> impl Future<Output = Result<Vote, NodeError>> + Send + 'static;

    /// `send` to node number `i` (a request that keeps something per node overrides it).
    fn send_to(
        self,
        _i: usize,
        node: Arc<dyn Backend>,
        resources: Arc<[String]>,
        value: Arc<str>,
    ) -> impl Future<Output = Result<Vote, NodeError>> + Send + 'static {
        self.send(node, resources, value)
    }

    /// The verdict once the votes so far make it certain (`None`: wait for more). Redlock's
    /// early rule unless the request needs every answer.
    fn settle(&self, tally: &Tally) -> Option<Settled> {
        tally.settled()
    }
}

pub(super) struct Round {
    /// One per node (`None`: no answer before the verdict).
    pub votes: Vec<Option<Vote>>,
    /// Per node: whether a request was sent (not when its previous link was still stuck).
    sent: Vec<bool>,
    /// `None`: cancelled before a verdict.
    pub settled: Option<Settled>,
    /// Before the first request.
    pub t0: Instant,
    /// At the verdict.
    pub t1: Instant,
    /// The nodes that had not answered when the verdict became certain (`None`: all had; no
    /// `FuturesUnordered`, which allocates even empty, on the common path).
    pending: Option<FuturesUnordered<NodeCall>>,
}

/// One node's call in a round: its index, its vote, and — when nothing could be sent because
/// the node's previous link was still running at the deadline — that link.
type NodeCall = BoxFuture<'static, (usize, Vote, Option<Link>)>;

impl Round {
    /// The lock this round grants, or why the attempt failed: no quorum, a quorum without
    /// validity left (`validity = ttl - elapsed - drift`, elapsed from before the first
    /// request to the verdict), or cancelled before a verdict. A failure still comes with the
    /// lock the round would have granted: its `expires_at` bounds what any node may have
    /// applied.
    pub fn grant(
        &self,
        rules: &Rules,
        ttl_ms: u64,
        drift_factor: f64,
        attempts: u64,
    ) -> Result<Granted, (FailReason, Granted)> {
        let start = (rules.validity_start)(self.t0, self.t1);
        let elapsed = (self.t1 - start).as_millis() as u64;
        let validity = validity_ms(ttl_ms, elapsed, drift_factor);
        let drift = drift_ms(ttl_ms, drift_factor);
        let granted = Granted {
            attempts,
            validity: Duration::from_millis(validity.max(0) as u64),
            expires_at: start + Duration::from_millis(ttl_ms.saturating_sub(drift)),
            votes: self.votes.clone(),
            fencing_token: None,
        };
        let reason = match self.settled {
            Some(Settled::Quorum) if (rules.valid)(validity) => return Ok(granted),
            Some(Settled::Quorum) => FailReason::Expired,
            Some(Settled::NoQuorum(reason)) => reason,
            None => FailReason::Cancelled,
        };
        Err((reason, granted))
    }
}

impl Engine {
    /// One node's part of a round. It first waits for the node's previous link (an earlier
    /// attempt's late reply or cleanup); if that is still stuck at the deadline, nothing is
    /// sent and the link is handed back (the node did not answer).
    fn node_call(
        &self,
        i: usize,
        ask: impl Ask,
        spec: &LockSpec,
        deadline: Instant,
        prev: Option<Link>,
    ) -> NodeCall {
        let node = self.nodes[i].clone();
        let (res, val) = (spec.resources.clone(), spec.value.clone());
        Box::pin(async move {
            if let Some(mut prev) = prev {
                if timeout_at(deadline, &mut prev).await.is_err() {
                    return (i, Vote::Timeout, Some(prev));
                }
            }
            let vote = match timeout_at(deadline, ask.send_to(i, node, res, val)).await {
                Ok(Ok(v)) => v,
                Ok(Err(e)) => Vote::Error(e),
                Err(_) => Vote::Timeout,
            };
            (i, vote, None)
        })
    }

    /// Asks every node at once on the caller's task (no task per node: this is the hot path)
    /// and returns as soon as the verdict is certain; nodes that had not answered yet stay in
    /// `Round::pending` for `finish_round`. `on_sent` runs once every request is on its way.
    pub(super) async fn round(
        &self,
        ask: impl Ask,
        spec: &LockSpec,
        node_timeout: Duration,
        chain: &mut [Option<Link>],
        cancel: &mut Option<Cancel>,
        on_sent: Option<Box<dyn FnOnce() + Send + '_>>,
    ) -> Round {
        let n = self.nodes.len();
        let mut on_sent = on_sent;
        let t0 = Instant::now();
        let deadline = t0 + node_timeout;
        let mut calls: Vec<Option<NodeCall>> = chain
            .iter_mut()
            .enumerate()
            .map(|(i, link)| Some(self.node_call(i, ask.clone(), spec, deadline, link.take())))
            .collect();
        let mut votes: Vec<Option<Vote>> = vec![None; n];
        let mut sent = vec![true; n];
        let mut tally = Tally::new(n, self.quorum());
        // Every pass polls every node still pending, so all requests go out at once and the
        // answers that arrived together are all counted before the verdict.
        let verdict = std::future::poll_fn(|cx| {
            for call in calls.iter_mut() {
                let Some(f) = call else { continue };
                let Poll::Ready((i, v, blocked)) = f.poll_unpin(cx) else {
                    continue;
                };
                *call = None;
                if let Some(prev) = blocked {
                    // Nothing was sent: the node's earlier work stays its link.
                    chain[i] = Some(prev);
                    sent[i] = false;
                }
                tally.add(&v);
                votes[i] = Some(v);
            }
            if let Some(f) = on_sent.take() {
                f();
            }
            match ask.settle(&tally) {
                Some(s) => Poll::Ready(s),
                // Cannot happen (the tally settles once nothing is pending), but never wait on
                // nothing.
                None if calls.iter().all(Option::is_none) => {
                    Poll::Ready(Settled::NoQuorum(FailReason::Unavailable))
                }
                None => Poll::Pending,
            }
        });
        let settled = tokio::select! {
            biased;
            s = verdict => Some(s),
            _ = cancelled(cancel) => None,
        };
        // Votes that arrive after this point are not counted; the statistics of a verdict
        // taken early would collect them from `pending` in `finish_round`.
        let pending = calls
            .iter()
            .any(Option::is_some)
            .then(|| calls.into_iter().flatten().collect());
        Round {
            votes,
            sent,
            settled,
            t0,
            t1: Instant::now(),
            pending,
        }
    }

    /// After the verdict: undoes what the round left on the nodes (by `rollback`, when the
    /// operation has one: an acquire's partial grant when the attempt `failed`, a write that
    /// may land after a timeout) and lets the nodes that had not answered finish, in the
    /// background. Each node with work left gets a link in `chain`, so the next operation
    /// for this value on that node waits for it. Returns the answering nodes where a failed
    /// round may leave something to undo: those whose grant is being rolled back, and those
    /// that had not answered yet, whose late grant is rolled back when it arrives.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn finish_round(
        &self,
        r: &mut Round,
        attempt: u64,
        rollback: Option<RollbackRule>,
        failed: bool,
        spec: &LockSpec,
        node_timeout: Duration,
        chain: &mut [Option<Link>],
    ) -> Vec<usize> {
        let refusals = spec.undo_refusals && failed && rollback.is_some();
        let undo_vote = move |v: &Vote| {
            rollback.is_some_and(|rule| rule(v, failed)) || (refusals && *v == Vote::No)
        };
        let mut rollbacks = Vec::new();
        // Nodes that answer (a grant being undone, an error, a refusal undone as v4 does, or no
        // answer yet): a timed-out node is not waited for. A failing node's rollback is waited
        // for so that its error is reported before the operation's failure (node-redlock v4
        // unlocks before it rejects); it is bounded by the per-node timeout like every other.
        let mut undoing = Vec::new();
        for (i, v) in r.votes.iter().enumerate() {
            if let Some(v) = v {
                if r.sent[i] && undo_vote(v) {
                    rollbacks.push(i);
                    if matches!(
                        v,
                        Vote::Yes | Vote::Error(_) | Vote::No | Vote::Quarantined(_)
                    ) {
                        undoing.push(i);
                    }
                }
            }
        }
        let pending = r.pending.take();
        if rollback.is_some() && failed {
            undoing.extend(
                r.votes
                    .iter()
                    .enumerate()
                    .filter(|(_, v)| v.is_none())
                    .map(|(i, _)| i),
            );
        }
        if rollbacks.is_empty() && pending.as_ref().is_none_or(|p| p.is_empty()) {
            return undoing;
        }
        let mut txs: Vec<Option<oneshot::Sender<()>>> = self.nodes.iter().map(|_| None).collect();
        for i in rollbacks.iter().copied().chain(
            r.votes
                .iter()
                .enumerate()
                .filter(|(_, v)| v.is_none())
                .map(|(i, _)| i),
        ) {
            let (tx, rx) = oneshot::channel();
            txs[i] = Some(tx);
            chain[i] = Some(rx);
        }
        let nodes = self.nodes.clone();
        let (res, val) = (spec.resources.clone(), spec.value.clone());
        let late = spec.late.clone();
        let task = self.background_task();
        tokio::spawn(async move {
            let _task = task;
            let undo = |i: usize, tx: Option<oneshot::Sender<()>>| {
                let f = nodes[i].rollback(res.clone(), val.clone());
                let late = late.clone();
                async move {
                    if let Ok(Err(error)) = timeout(node_timeout, f).await {
                        if let Some(late) = &late {
                            (late.0)(Late::RollbackError {
                                attempt,
                                node: i,
                                error,
                            });
                        }
                    }
                    // After the report: whoever waits for this link sees the report first.
                    drop(tx);
                }
                .boxed()
            };
            let mut work = FuturesUnordered::new();
            for i in rollbacks {
                work.push(undo(i, txs[i].take()));
            }
            let mut pending = pending.unwrap_or_default();
            // The late votes of this round, reported together once the last is in (every
            // pending call ends by the round's deadline).
            let mut votes = Vec::new();
            let mut report = late.clone().filter(|_| !pending.is_empty());
            loop {
                tokio::select! {
                    Some((i, v, blocked)) = pending.next(), if !pending.is_empty() => {
                        let tx = txs[i].take();
                        votes.push((i, v.clone()));
                        if pending.is_empty() {
                            if let Some(late) = report.take() {
                                let votes = std::mem::take(&mut votes);
                                (late.0)(Late::Votes { attempt, votes });
                            }
                        }
                        if let Some(prev) = blocked {
                            // Nothing sent; this node's link is still the earlier work.
                            work.push(async move {
                                let _ = prev.await;
                                drop(tx);
                            }.boxed());
                        } else if undo_vote(&v) {
                            work.push(undo(i, tx));
                        }
                    }
                    Some(()) = work.next(), if !work.is_empty() => {}
                    else => break,
                }
            }
        });
        undoing
    }

    /// Lets the nodes where the last attempt may have left something finish undoing it before
    /// a failure is reported, so the caller sees no key of the attempt left behind (node-redlock
    /// v5 awaits its rollback too). A node that had not answered gets the rest of its request's
    /// timeout and then its rollback's: two per-node timeouts at most. Unresponsive nodes
    /// clean up in the background.
    pub(super) async fn await_rollbacks(
        &self,
        nodes: Vec<usize>,
        chain: &mut [Option<Link>],
        node_timeout: Duration,
    ) {
        let deadline = Instant::now() + 2 * node_timeout;
        for i in nodes {
            if let Some(mut link) = chain[i].take() {
                if timeout_at(deadline, &mut link).await.is_err() {
                    chain[i] = Some(link);
                }
            }
        }
    }
}
