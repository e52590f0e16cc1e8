//! Whether a resource is held, read from a quorum (one round of PTTL, no lock taken).

use super::outcome::Failure;
use super::Engine;
use crate::algo::quorum::FailReason;
use crate::backend::Vote;
use std::time::Duration;
use tokio::time::timeout;

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
