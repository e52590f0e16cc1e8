//! The Redlock engine: asks every node concurrently, counts votes, checks validity on a
//! monotonic clock, rolls back failed attempts on every node, retries with jitter, extends and
//! releases. It knows nothing of Node.js or RESP: nodes are `Backend` trait objects.
//!
//! Per node, the operations of one call are chained: attempt k+1 on a node starts only after
//! attempt k's work on that node (including its rollback) has finished, and each link is bounded
//! by the per-node timeout. So a rollback always precedes the next attempt on that node, and a
//! paused or dead node costs at most the per-node timeout per attempt.

pub use crate::backend::Vote;

use crate::backend::Backend;
use crate::mutants::{self, Mutant};
use crate::quorum::{quorum_of, FailReason, Settled, Tally};
use crate::retry::next_delay;
use crate::settings::Settings;
use crate::signals::{Signals, Wait};
use crate::validity::{drift_ms, validity_ms};
use futures_util::future::{BoxFuture, FutureExt};
use futures_util::stream::{FuturesUnordered, StreamExt};
use std::fmt;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;
use tokio::sync::{oneshot, watch};
use tokio::time::{timeout, timeout_at, Instant};

/// The resources and the value of one lock.
#[derive(Clone, Debug)]
pub struct LockSpec {
    pub resources: Arc<[String]>,
    pub value: Arc<str>,
    /// A value made for this call alone (the v5 API): no node can hold it already, so a
    /// single-resource acquire needs no script — a plain `SET NX PX` decides.
    pub fresh: bool,
}

/// A granted acquire or extend.
#[derive(Clone, Debug)]
pub struct Granted {
    pub attempts: u64,
    /// Validity left when the decision was taken.
    pub validity: Duration,
    /// `t0 + ttl - drift` on the monotonic clock.
    pub expires_at: Instant,
    pub votes: Vec<Option<Vote>>,
}

/// A failed operation, with the last round's votes for diagnostics.
#[derive(Clone, Debug)]
pub struct Failure {
    pub reason: FailReason,
    pub attempts: u64,
    /// The last round's votes (`None`: no answer before the decision).
    pub votes: Vec<Option<Vote>>,
    pub labels: Arc<[String]>,
    pub node_timeout: Duration,
    /// A failed extend to a shorter TTL may still have shortened the keys on some nodes: the
    /// lock is then only safe until this earlier instant.
    pub capped: Option<Instant>,
}

impl Failure {
    /// Per-node detail of the nodes that failed or timed out, by index and label. Nodes that
    /// had not answered when the verdict became certain are not blamed.
    pub fn node_detail(&self) -> String {
        let mut parts = Vec::new();
        for (i, v) in self.votes.iter().enumerate() {
            let what = match v {
                Some(Vote::Error(e)) => format!("failed: {e}"),
                Some(Vote::Timeout) => {
                    format!("timed out after {} ms", self.node_timeout.as_millis())
                }
                _ => continue,
            };
            parts.push(format!("node {i} ({}) {what}", self.labels[i]));
        }
        parts.join("; ")
    }

    pub fn unavailable_count(&self) -> usize {
        self.votes
            .iter()
            .filter(|v| matches!(v, Some(Vote::Error(_)) | Some(Vote::Timeout)))
            .count()
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.votes.len();
        match self.reason {
            FailReason::Held => write!(f, "the resource is locked by another owner"),
            FailReason::Expired => write!(
                f,
                "the lock's validity ran out before a quorum answered (the TTL is too short for \
                 the latency to the nodes)"
            ),
            FailReason::Cancelled => write!(f, "the operation was cancelled"),
            FailReason::Unavailable => write!(
                f,
                "no quorum: {} of {n} nodes unavailable ({} needed): {}",
                self.unavailable_count(),
                quorum_of(n),
                self.node_detail()
            ),
        }
    }
}

/// Cancellation: the operation stops once the value becomes `true`.
pub type Cancel = watch::Receiver<bool>;

async fn cancelled(c: &mut Option<Cancel>) {
    match c {
        Some(rx) => {
            if rx.wait_for(|v| *v).await.is_err() {
                std::future::pending::<()>().await
            }
        }
        None => std::future::pending().await,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Acquire,
    Extend,
    Release,
}

/// Whether an acquire's answer from a node must be undone: a grant when the round failed; an
/// error, which may have left part of a multi-key write, likewise; and a timeout always, since
/// the write may still land (on the same connection, so the rollback comes after it).
fn needs_rollback(o: &Vote, roll_back: bool) -> bool {
    let yes_only = mutants::active(Mutant::RollbackYesOnly);
    match o {
        Vote::Yes => roll_back,
        Vote::Error(_) => roll_back && !yes_only,
        Vote::Timeout => !yes_only,
        // Nothing was written; `Own` must never be deleted by a rollback.
        Vote::No | Vote::Own => false,
    }
}

impl Round {
    /// Whether validity is left (`validity = ttl - elapsed - drift > 0`, elapsed from before
    /// the first request to the decision), and the lock this round would grant.
    fn verdict(&self, ttl_ms: u64, settings: &Settings, attempts: u64) -> (bool, Granted) {
        let t_start = if mutants::active(Mutant::ValidityFromReply) {
            self.t1
        } else {
            self.t0
        };
        let elapsed = (self.t1 - t_start).as_millis() as u64;
        let validity = validity_ms(ttl_ms, elapsed, settings.drift_factor);
        let drift = drift_ms(ttl_ms, settings.drift_factor);
        let granted = Granted {
            attempts,
            validity: Duration::from_millis(validity.max(0) as u64),
            expires_at: t_start + Duration::from_millis(ttl_ms.saturating_sub(drift)),
            votes: self.votes.clone(),
        };
        (
            validity > 0 || mutants::active(Mutant::NoValidityCheck),
            granted,
        )
    }
}

struct Round {
    op: Op,
    votes: Vec<Option<Vote>>,
    /// Per node: whether a request was sent (not when its previous link was still stuck).
    sent: Vec<bool>,
    /// `None`: cancelled before a verdict.
    settled: Option<Settled>,
    t0: Instant,
    t1: Instant,
    /// The nodes that had not answered when the verdict became certain.
    pending: FuturesUnordered<NodeCall>,
}

/// One node's call in a round: its index, its answer, and — when nothing could be sent because
/// the node's previous link was still running at the deadline — that link.
type NodeCall = BoxFuture<'static, (usize, Vote, Option<Link>)>;

/// Done (or gone) once the sender is dropped: the end of a node's background work for a value.
type Link = oneshot::Receiver<()>;

/// Redlock over a fixed set of independent nodes.
pub struct Engine {
    nodes: Vec<Arc<dyn Backend>>,
    labels: Arc<[String]>,
    /// Per lock value, the node work an earlier call left running (a late acquire reply, a
    /// cleanup). The next call for that value chains after them, so a release is never
    /// overtaken by its own acquire's late write, nor a new acquire by an old cleanup.
    chains: std::sync::Mutex<std::collections::HashMap<Arc<str>, Chain>>,
    /// Release announcements from the nodes: a waiter retries when the resource is released
    /// instead of sleeping its whole retry delay.
    signals: Arc<Signals>,
    watching: std::sync::Once,
}

type Chain = Vec<Option<Link>>;

impl Engine {
    pub fn new(nodes: Vec<Arc<dyn Backend>>) -> Self {
        let labels = nodes.iter().map(|n| n.label()).collect();
        Engine {
            nodes,
            labels,
            chains: Default::default(),
            signals: Arc::default(),
            watching: std::sync::Once::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    pub fn quorum(&self) -> usize {
        quorum_of(self.nodes.len())
    }

    pub fn labels(&self) -> &Arc<[String]> {
        &self.labels
    }

    /// The chain left by earlier calls for this value, or a fresh one.
    fn take_chain(&self, value: &Arc<str>) -> Chain {
        let mut m = self.chains.lock().unwrap_or_else(|e| e.into_inner());
        m.remove(value)
            .unwrap_or_else(|| self.nodes.iter().map(|_| None).collect())
    }

    /// Keeps the chain for the next call with this value while some of its tasks still run.
    fn put_chain(&self, value: &Arc<str>, mut chain: Chain) {
        fn running(c: &mut Chain) -> bool {
            let mut any = false;
            for link in c.iter_mut() {
                match link.as_mut().map(|rx| rx.try_recv()) {
                    Some(Err(oneshot::error::TryRecvError::Empty)) => any = true,
                    _ => *link = None,
                }
            }
            any
        }
        if !running(&mut chain) {
            return;
        }
        let mut m = self.chains.lock().unwrap_or_else(|e| e.into_inner());
        // Chains whose tasks all ended are dropped as the map grows: it stays bounded by the
        // tasks in flight (each bounded by the per-node timeout).
        if m.len() >= 64 && m.len().is_power_of_two() {
            m.retain(|_, c| running(c));
        }
        m.insert(value.clone(), chain);
    }

    /// Chains kept for later calls (for tests).
    pub fn pending_chains(&self) -> usize {
        self.chains.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    fn failure(
        &self,
        reason: FailReason,
        attempts: u64,
        votes: Vec<Option<Vote>>,
        t: Duration,
    ) -> Failure {
        Failure {
            reason,
            attempts,
            votes,
            labels: self.labels.clone(),
            node_timeout: t,
            capped: None,
        }
    }

    /// One node's part of a round. It first waits for the node's previous link (an earlier
    /// attempt's late reply or cleanup); if that is still stuck at the deadline, nothing is
    /// sent and the link is handed back (the node did not answer).
    #[allow(clippy::too_many_arguments)]
    fn node_call(
        &self,
        i: usize,
        op: Op,
        spec: &LockSpec,
        ttl_ms: u64,
        deadline: Instant,
        prev: Option<Link>,
    ) -> NodeCall {
        let backend = self.nodes[i].clone();
        let (res, val, fresh) = (spec.resources.clone(), spec.value.clone(), spec.fresh);
        Box::pin(async move {
            if let Some(mut prev) = prev {
                if timeout_at(deadline, &mut prev).await.is_err() {
                    return (i, Vote::Timeout, Some(prev));
                }
            }
            let reply = match op {
                Op::Acquire => timeout_at(deadline, backend.acquire(res, val, ttl_ms, fresh)).await,
                Op::Extend => timeout_at(deadline, backend.extend(res, val, ttl_ms))
                    .await
                    .map(|r| r.map(|ok| if ok { Vote::Yes } else { Vote::No })),
                Op::Release => timeout_at(deadline, backend.release(res, val))
                    .await
                    .map(|r| r.map(|n| if n > 0 { Vote::Yes } else { Vote::No })),
            };
            let outcome = match reply {
                Ok(Ok(o)) => o,
                Ok(Err(e)) => Vote::Error(e),
                Err(_) => Vote::Timeout,
            };
            (i, outcome, None)
        })
    }

    /// Asks every node at once on the caller's task (no task per node: this is the hot path)
    /// and returns as soon as the verdict is certain; nodes that had not answered yet stay in
    /// `Round::pending` for `finish_round`. `on_sent` runs once every request is on its way.
    #[allow(clippy::too_many_arguments)]
    async fn round(
        &self,
        op: Op,
        spec: &LockSpec,
        ttl_ms: u64,
        node_timeout: Duration,
        chain: &mut Chain,
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
            .map(|(i, link)| Some(self.node_call(i, op, spec, ttl_ms, deadline, link.take())))
            .collect();
        let mut votes: Vec<Option<Vote>> = vec![None; n];
        let mut sent = vec![true; n];
        let mut tally = Tally::new(n, quorum_of(n));
        // Every pass polls every node still pending, so all requests go out at once and the
        // answers that arrived together are all counted before the verdict.
        let verdict = std::future::poll_fn(|cx| {
            for call in calls.iter_mut() {
                let Some(f) = call else { continue };
                let Poll::Ready((i, o, blocked)) = f.poll_unpin(cx) else {
                    continue;
                };
                *call = None;
                if let Some(prev) = blocked {
                    // Nothing was sent: the node's earlier work stays its link.
                    chain[i] = Some(prev);
                    sent[i] = false;
                }
                tally.add(&o);
                votes[i] = Some(o);
            }
            if let Some(f) = on_sent.take() {
                f();
            }
            let s = if op == Op::Release {
                // Release asks everyone and counts nodes that confirmed (deleted or not held).
                (tally.pending() == 0).then(|| {
                    if tally.yes + tally.no >= tally.quorum() {
                        Settled::Quorum
                    } else {
                        Settled::NoQuorum(FailReason::Unavailable)
                    }
                })
            } else {
                tally.settled()
            };
            match s {
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
        let pending = calls.into_iter().flatten().collect();
        Round {
            votes,
            sent,
            settled,
            t0,
            t1: Instant::now(),
            pending,
            op,
        }
    }

    /// After the verdict: cleans up what the round left on the nodes (an acquire's partial
    /// grant when the decision is to roll back; a write that may land after a timeout) and lets
    /// the nodes that had not answered finish, in the background. Each node with work left
    /// gets a link in `chain`, so the next operation for this value on that node waits for it.
    /// Returns the indexes of nodes whose rollback of a grant was started.
    fn finish_round(
        &self,
        r: &mut Round,
        roll_back: bool,
        spec: &LockSpec,
        node_timeout: Duration,
        chain: &mut Chain,
    ) -> Vec<usize> {
        let op = r.op;
        let mut rollbacks = Vec::new();
        let mut granted = Vec::new();
        if op == Op::Acquire {
            for (i, v) in r.votes.iter().enumerate() {
                if let Some(o) = v {
                    if r.sent[i] && needs_rollback(o, roll_back) {
                        rollbacks.push(i);
                        if *o == Vote::Yes {
                            granted.push(i);
                        }
                    }
                }
            }
        }
        let pending = std::mem::take(&mut r.pending);
        if rollbacks.is_empty() && pending.is_empty() {
            return granted;
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
        tokio::spawn(async move {
            let undo = |i: usize, tx: Option<oneshot::Sender<()>>| {
                let f = nodes[i].rollback(res.clone(), val.clone());
                async move {
                    let _ = timeout(node_timeout, f).await;
                    drop(tx);
                }
                .boxed()
            };
            let mut work = FuturesUnordered::new();
            for i in rollbacks {
                work.push(undo(i, txs[i].take()));
            }
            let mut pending = pending;
            loop {
                tokio::select! {
                    Some((i, o, blocked)) = pending.next(), if !pending.is_empty() => {
                        let tx = txs[i].take();
                        if let Some(prev) = blocked {
                            // Nothing sent; this node's link is still the earlier work.
                            work.push(async move {
                                let _ = prev.await;
                                drop(tx);
                            }.boxed());
                        } else if op == Op::Acquire && needs_rollback(&o, roll_back) {
                            work.push(undo(i, tx));
                        }
                    }
                    Some(()) = work.next(), if !work.is_empty() => {}
                    else => break,
                }
            }
        });
        granted
    }
    /// Sleeps the retry delay; `false` if cancelled meanwhile.
    async fn pause_before_retry(settings: &Settings, cancel: &mut Option<Cancel>) -> bool {
        let d = next_delay(settings.retry_delay_ms, settings.retry_jitter_ms);
        tokio::select! {
            _ = tokio::time::sleep(d) => true,
            _ = cancelled(cancel) => false,
        }
    }

    /// Waits for the retry: the delay, or — when the resource was held by another owner — its
    /// next release (announced by a node, or made by this process), whichever comes first;
    /// `false` if cancelled. A release wakes one waiter of this process, the longest-waiting
    /// one, which retries at once.
    async fn wait_before_retry(
        &self,
        settings: &Settings,
        cancel: &mut Option<Cancel>,
        wait: Option<Wait>,
    ) -> bool {
        let Some(wait) = wait else {
            return Self::pause_before_retry(settings, cancel).await;
        };
        let d = next_delay(settings.retry_delay_ms, settings.retry_jitter_ms);
        tokio::select! {
            _ = tokio::time::sleep(d) => true,
            _ = wait => true,
            _ = cancelled(cancel) => false,
        }
    }

    /// Subscribes the nodes to release announcements, once, when a first caller has to wait.
    fn watch_releases(&self) {
        self.watching.call_once(|| {
            for n in &self.nodes {
                n.watch_releases(&self.signals);
            }
        });
    }

    /// Acquires the lock on a quorum within validity, retrying per `settings`.
    /// `observe` sees every round's votes (at decision time).
    pub async fn acquire(
        &self,
        spec: &LockSpec,
        ttl_ms: u64,
        settings: &Settings,
        mut cancel: Option<Cancel>,
        mut observe: impl FnMut(&[Option<Vote>]),
    ) -> Result<Granted, Failure> {
        let node_timeout = settings.node_timeout(ttl_ms);
        let mut chain = self.take_chain(&spec.value);
        // Someone in this process already waits for the resource, so it is held: queue behind
        // them (FIFO, woken by a release) rather than jump the queue with an attempt that can
        // only fail and then win the race against the waiter that was woken.
        let may_wait = settings.max_attempts().is_none_or(|m| m > 1);
        if may_wait && self.signals.has_waiters(&spec.resources) {
            let wait = self.signals.wait(&spec.resources);
            if !self
                .wait_before_retry(settings, &mut cancel, Some(wait))
                .await
            {
                self.put_chain(&spec.value, chain);
                let none = vec![None; self.nodes.len()];
                let t = node_timeout;
                return Err(self.failure(FailReason::Cancelled, 0, none, t));
            }
        }
        let mut attempts = 0u64;
        loop {
            attempts += 1;
            // Registered before the round: a release during it is not missed.
            let wait = (attempts > 1).then(|| self.signals.wait(&spec.resources));
            let mut r = self
                .round(
                    Op::Acquire,
                    spec,
                    ttl_ms,
                    node_timeout,
                    &mut chain,
                    &mut cancel,
                    None,
                )
                .await;
            let (valid, granted) = r.verdict(ttl_ms, settings, attempts);
            let reason = match r.settled {
                Some(Settled::Quorum) if valid => None,
                Some(Settled::Quorum) => Some(FailReason::Expired),
                Some(Settled::NoQuorum(reason)) => Some(reason),
                None => Some(FailReason::Cancelled),
            };
            observe(&r.votes);
            let rolled_back =
                self.finish_round(&mut r, reason.is_some(), spec, node_timeout, &mut chain);
            let Some(mut reason) = reason else {
                self.put_chain(&spec.value, chain);
                return Ok(granted);
            };
            let exhausted = settings.max_attempts().is_some_and(|m| attempts >= m);
            if reason != FailReason::Cancelled && !exhausted {
                let wait = match reason {
                    FailReason::Held => {
                        self.watch_releases();
                        // From the second attempt on, the wait made before this round.
                        Some(wait.unwrap_or_else(|| self.signals.wait(&spec.resources)))
                    }
                    _ => None,
                };
                if self.wait_before_retry(settings, &mut cancel, wait).await {
                    continue;
                }
                reason = FailReason::Cancelled;
            }
            // Let the nodes that granted finish their rollback before reporting, so the caller
            // sees no key of this attempt left behind. Unresponsive nodes clean up in the
            // background, each bounded by the per-node timeout.
            let deadline = Instant::now() + node_timeout;
            for i in rolled_back {
                if let Some(mut link) = chain[i].take() {
                    if timeout_at(deadline, &mut link).await.is_err() {
                        chain[i] = Some(link);
                    }
                }
            }
            self.put_chain(&spec.value, chain);
            return Err(self.failure(reason, attempts, r.votes, node_timeout));
        }
    }

    /// Extends a lock that is valid until `expires_at` to a new TTL of `ttl_ms`.
    /// Fails with `Expired` and zero attempts, without I/O, when it has already expired.
    pub async fn extend(
        &self,
        spec: &LockSpec,
        expires_at: Instant,
        ttl_ms: u64,
        settings: &Settings,
        mut cancel: Option<Cancel>,
        mut observe: impl FnMut(&[Option<Vote>]),
    ) -> Result<Granted, Failure> {
        let node_timeout = settings.node_timeout(ttl_ms);
        let mut chain = self.take_chain(&spec.value);
        let mut attempts = 0u64;
        let mut expires_at = expires_at;
        let mut capped = None;
        let fail = |f: Failure, capped: Option<Instant>| Failure { capped, ..f };
        loop {
            if Instant::now() >= expires_at && !mutants::active(Mutant::ExtendWithoutOwnerCheck) {
                self.put_chain(&spec.value, chain);
                let f = self.failure(FailReason::Expired, attempts, Vec::new(), node_timeout);
                return Err(fail(f, capped));
            }
            attempts += 1;
            let mut r = self
                .round(
                    Op::Extend,
                    spec,
                    ttl_ms,
                    node_timeout,
                    &mut chain,
                    &mut cancel,
                    None,
                )
                .await;
            let (valid, granted) = r.verdict(ttl_ms, settings, attempts);
            observe(&r.votes);
            self.finish_round(&mut r, false, spec, node_timeout, &mut chain);
            // Any node may have applied the new, shorter TTL even if the round fails: from
            // now on the lock can only be counted on until the earliest such end.
            if granted.expires_at < expires_at {
                expires_at = granted.expires_at;
                capped = Some(expires_at);
            }
            let reason = match r.settled {
                Some(Settled::Quorum) if valid => {
                    self.put_chain(&spec.value, chain);
                    return Ok(granted);
                }
                Some(Settled::Quorum) => FailReason::Expired,
                Some(Settled::NoQuorum(reason)) => reason,
                None => FailReason::Cancelled,
            };
            // A quorum that no longer holds our value means the lock is lost: no retry.
            let retry = reason == FailReason::Unavailable
                && settings.max_attempts().is_none_or(|m| attempts < m);
            if retry && Self::pause_before_retry(settings, &mut cancel).await {
                continue;
            }
            self.put_chain(&spec.value, chain);
            return Err(fail(
                self.failure(reason, attempts, r.votes, node_timeout),
                capped,
            ));
        }
    }

    /// Deletes the keys holding the value on every node. Succeeds once a quorum of nodes
    /// confirmed (deleted, or nothing of ours was there): a lock that is simply gone is
    /// released at once, without retries. Only unreachable nodes cause retries and failure;
    /// an unbounded `retryCount` is capped at 10 here, so a release never hangs.
    pub async fn release(
        &self,
        spec: &LockSpec,
        node_timeout: Duration,
        settings: &Settings,
        mut observe: impl FnMut(&[Option<Vote>]),
    ) -> Result<Released, Failure> {
        let max_attempts = settings.max_attempts().unwrap_or(11);
        let mut chain = self.take_chain(&spec.value);
        let mut confirmed = vec![false; self.nodes.len()];
        let mut deleted = vec![false; self.nodes.len()];
        let mut attempts = 0u64;
        let mut no_cancel = None;
        loop {
            attempts += 1;
            // Someone in this process waits for the resource: wake the longest-waiting one as
            // soon as the release requests are on their way. Its acquire goes out behind them on
            // the same connections, so the nodes run it after the release (one round trip per
            // hand-over instead of two). Later announcements of this release are ignored.
            let hand_over = (attempts == 1 && self.signals.has_waiters(&spec.resources)).then(
                || -> Box<dyn FnOnce() + Send + '_> {
                    Box::new(|| {
                        let tag = crate::signals::release_tag(&spec.value);
                        for r in spec.resources.iter() {
                            self.signals.released(r, &tag);
                        }
                    })
                },
            );
            let mut r = self
                .round(
                    Op::Release,
                    spec,
                    0,
                    node_timeout,
                    &mut chain,
                    &mut no_cancel,
                    hand_over,
                )
                .await;
            observe(&r.votes);
            self.finish_round(&mut r, false, spec, node_timeout, &mut chain);
            for (i, v) in r.votes.iter().enumerate() {
                if matches!(v, Some(Vote::Yes) | Some(Vote::No)) {
                    confirmed[i] = true;
                }
                deleted[i] |= *v == Some(Vote::Yes);
            }
            let count = confirmed.iter().filter(|c| **c).count();
            if count >= self.quorum() {
                self.put_chain(&spec.value, chain);
                return Ok(Released {
                    attempts,
                    deleted_on: deleted.iter().filter(|d| **d).count(),
                });
            }
            if attempts >= max_attempts || !Self::pause_before_retry(settings, &mut no_cancel).await
            {
                self.put_chain(&spec.value, chain);
                return Err(self.failure(FailReason::Unavailable, attempts, r.votes, node_timeout));
            }
        }
    }
}

impl Engine {
    /// Whether a quorum of nodes holds `resource` (by anyone) and for how much longer: the
    /// time until fewer than a quorum hold it. Nodes that fail or time out count as not
    /// holding it; an error only if no quorum answered.
    pub async fn inspect(
        &self,
        resource: &str,
        node_timeout: Duration,
    ) -> Result<Option<u64>, Failure> {
        let replies = futures_util::future::join_all(self.nodes.iter().map(|n| {
            let f = n.pttl(resource.to_string());
            async move { timeout(node_timeout, f).await }
        }))
        .await;
        let mut ttls = Vec::new();
        let mut votes = Vec::with_capacity(replies.len());
        for r in replies {
            match r {
                Ok(Ok(t)) => {
                    votes.push(Some(if t.is_some() { Vote::Yes } else { Vote::No }));
                    ttls.extend(t);
                }
                Ok(Err(e)) => votes.push(Some(Vote::Error(e))),
                Err(_) => votes.push(Some(Vote::Timeout)),
            }
        }
        let q = self.quorum();
        let answered = votes
            .iter()
            .filter(|v| matches!(v, Some(Vote::Yes) | Some(Vote::No)))
            .count();
        if answered < q {
            return Err(self.failure(FailReason::Unavailable, 1, votes, node_timeout));
        }
        ttls.sort_unstable_by(|a, b| b.cmp(a));
        Ok(ttls.get(q - 1).copied())
    }
}

/// A completed release.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Released {
    pub attempts: u64,
    /// Nodes on which at least one key still held the value and was deleted.
    pub deleted_on: usize,
}

#[cfg(test)]
mod tests;
