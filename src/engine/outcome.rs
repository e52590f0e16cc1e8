//! What an operation is asked (`LockSpec`, `Cancel`) and what it answers (`Granted`,
//! `Released`, `Failure`).

use crate::algo::quorum::FailReason;
use crate::backend::Vote;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::Instant;

/// The resources and the value of one lock.
#[derive(Clone, Debug)]
pub struct LockSpec {
    pub resources: Arc<[String]>,
    pub value: Arc<str>,
    /// A value made for this call alone (the v5 API): no node can hold it already, so a
    /// single-resource acquire needs no script — a plain `SET NX PX` decides.
    pub fresh: bool,
    /// Who hears what the nodes say after a round's verdict (`None`: nobody listens).
    pub late: Option<LateSink>,
    /// A failed acquire attempt is also undone where the node refused (node-redlock v4 unlocks
    /// on every server after a failed attempt, and its 'clientError' for a key of another type
    /// comes from that unlock). Such a rollback deletes nothing: the key holds another value.
    pub undo_refusals: bool,
    /// A fenced acquire (`fence.rs`): the lock comes with a fencing token.
    pub fence: bool,
}

impl LockSpec {
    pub fn new(resources: impl Into<Arc<[String]>>, value: &str, fresh: bool) -> Self {
        LockSpec {
            resources: resources.into(),
            value: value.into(),
            fresh,
            late: None,
            undo_refusals: false,
            fence: false,
        }
    }

    /// The same lock, fenced or not (see `fence`).
    pub fn fenced(mut self, yes: bool) -> Self {
        self.fence = yes;
        self
    }

    /// The same lock, its failed attempts undone on refusing nodes too (see `undo_refusals`).
    pub fn undoing_refusals(mut self, yes: bool) -> Self {
        self.undo_refusals = yes;
        self
    }

    /// The same lock, with `late` told what the nodes say after each verdict.
    pub fn with_late(mut self, late: LateSink) -> Self {
        self.late = Some(late);
        self
    }
}

/// What a node said after its round's verdict: the verdict is taken as soon as it is certain,
/// but the statistics of an attempt cover every node (node-redlock v5 resolves them once every
/// client has voted), and node-redlock v4 reports every server error, its rollbacks' included.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Late {
    /// Every node of attempt `attempt` (from 1) that had not answered at the verdict has now
    /// voted (each by its per-node timeout at the latest): `(node, vote)`, by node index.
    Votes {
        attempt: u64,
        votes: Vec<(usize, Vote)>,
    },
    /// The rollback after attempt `attempt` failed on `node` (a timeout is not reported).
    RollbackError {
        attempt: u64,
        node: usize,
        error: crate::backend::NodeError,
    },
}

/// Receives [`Late`] reports, from the engine's background tasks. Dropped once no report can
/// follow (every task that could send one has ended, or was dropped with its runtime).
#[derive(Clone)]
pub struct LateSink(pub Arc<dyn Fn(Late) + Send + Sync>);

impl fmt::Debug for LateSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LateSink")
    }
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
    /// A fenced acquire's token (`None` otherwise, and for an extend: the lock keeps the one it
    /// was acquired with).
    pub fencing_token: Option<u64>,
}

/// A completed release.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Released {
    pub attempts: u64,
    /// Nodes on which at least one key still held the value and was deleted.
    pub deleted_on: usize,
}

/// A failed operation, with the last round's votes for diagnostics.
#[derive(Clone, Debug)]
pub struct Failure {
    pub reason: FailReason,
    pub attempts: u64,
    /// The last round's votes (`None`: no answer before the decision).
    pub votes: Vec<Option<Vote>>,
    pub labels: Arc<[String]>,
    /// Votes a verdict needed (for the message).
    pub quorum: usize,
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
                Some(Vote::Quarantined(why)) => why.clone(),
                _ => continue,
            };
            parts.push(format!("node {i} ({}) {what}", self.labels[i]));
        }
        parts.join("; ")
    }

    pub fn unavailable_count(&self) -> usize {
        self.votes
            .iter()
            .filter(|v| {
                matches!(
                    v,
                    Some(Vote::Error(_) | Vote::Timeout | Vote::Quarantined(_))
                )
            })
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
                self.quorum,
                self.node_detail()
            ),
        }
    }
}

/// Cancellation: the operation stops once the value becomes `true`.
pub type Cancel = watch::Receiver<bool>;

/// Resolves once `c` is cancelled; never without a canceller.
pub(super) async fn cancelled(c: &mut Option<Cancel>) {
    match c {
        Some(rx) => {
            if rx.wait_for(|v| *v).await.is_err() {
                std::future::pending::<()>().await
            }
        }
        None => std::future::pending().await,
    }
}
