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
}

impl LockSpec {
    pub fn new(resources: impl Into<Arc<[String]>>, value: &str, fresh: bool) -> Self {
        LockSpec {
            resources: resources.into(),
            value: value.into(),
            fresh,
        }
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
