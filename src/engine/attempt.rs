//! The one attempt loop every operation runs, and the `Policy` that tells one operation from
//! another: what each node is asked, how a round's votes make a result, what a failed attempt
//! leaves to roll back, and when and how to try again.

use super::outcome::{Cancel, Failure};
use super::round::{Ask, Round};
use super::rules::RollbackRule;
use super::Engine;
use crate::algo::quorum::FailReason;
use crate::backend::Vote;
use std::time::Duration;

/// One operation's part in the attempt loop (acquire, extend, release).
pub(super) trait Policy: Sync {
    /// What a successful attempt returns.
    type Output;
    type Ask: Ask;

    /// What each node is asked in an attempt.
    fn ask(&self) -> Self::Ask;

    /// The per-node timeout of every request.
    fn node_timeout(&self) -> Duration;

    /// Before attempt number `attempt` (from 1): wait, prepare, or stop without asking the
    /// nodes (`Err`).
    async fn before(
        &mut self,
        _attempt: u64,
        _cancel: &mut Option<Cancel>,
    ) -> Result<(), FailReason> {
        Ok(())
    }

    /// Runs as soon as attempt `attempt`'s requests are on their way.
    fn on_sent(&self, _attempt: u64) -> Option<Box<dyn FnOnce() + Send + '_>> {
        None
    }

    /// The round's result, or why the attempt failed.
    fn judge(&mut self, round: &Round, attempt: u64) -> Result<Self::Output, FailReason>;

    /// A second round on every node once an attempt succeeded (a fenced acquire's
    /// write-back, `fence.rs`), or `None`.
    fn write_back(&self, _out: &Self::Output) -> Option<super::fence::WriteBack> {
        None
    }

    /// After a successful write-back: `validity` is what is left of the lock's.
    fn written_back(&self, _out: &mut Self::Output, _validity: Duration) {}

    /// Which votes leave something to undo (`None`: the request writes nothing that a failed
    /// attempt must take back).
    fn rollback(&self) -> Option<RollbackRule> {
        None
    }

    /// After failed attempt number `attempt`: `Ok` once it is time for another attempt, or
    /// the operation's final reason.
    async fn retry(
        &mut self,
        reason: FailReason,
        attempt: u64,
        cancel: &mut Option<Cancel>,
    ) -> Result<(), FailReason>;

    /// The failure as reported.
    fn failed(&self, f: Failure) -> Failure {
        f
    }
}

impl Engine {
    /// Runs `policy` for the value `spec.value` until it succeeds or gives up. `observe` sees
    /// every round's votes at decision time.
    pub(super) async fn run<P: Policy>(
        &self,
        mut policy: P,
        spec: &super::LockSpec,
        mut cancel: Option<Cancel>,
        mut observe: impl FnMut(&[Option<Vote>]),
    ) -> Result<P::Output, Failure> {
        let node_timeout = policy.node_timeout();
        let mut chain = self.chains.take(&spec.value, self.nodes.len());
        let mut attempts = 0u64;
        loop {
            if let Err(reason) = policy.before(attempts + 1, &mut cancel).await {
                let votes = vec![None; self.nodes.len()];
                let f = self.failure(reason, attempts, votes, node_timeout);
                return Err(policy.failed(f));
            }
            attempts += 1;
            let ask = policy.ask();
            let on_sent = policy.on_sent(attempts);
            let mut round = self
                .round(ask, spec, node_timeout, &mut chain, &mut cancel, on_sent)
                .await;
            let mut result = policy.judge(&round, attempts);
            observe(&round.votes);
            let mut undoing = self.finish_round(
                &mut round,
                attempts,
                policy.rollback(),
                result.is_err(),
                spec,
                node_timeout,
                &mut chain,
            );
            // A policy with a second round after the quorum (a fencing write-back) runs it
            // here, on every node through `self.round`, and on its failure rolls back like a
            // failed attempt.
            if let Some(wb) = result.as_ref().ok().and_then(|out| policy.write_back(out)) {
                let written = self
                    .write_back(wb, spec, node_timeout, &mut chain, &mut cancel, attempts)
                    .await;
                match (written, &mut result) {
                    (Ok(validity), Ok(out)) => policy.written_back(out, validity),
                    (Err(f), _) => {
                        result = Err(f.reason);
                        round.votes = f.votes;
                        undoing = f.undoing;
                    }
                    (Ok(_), Err(_)) => {}
                }
            }
            let reason = match result {
                Ok(out) => return Ok(out),
                Err(reason) => reason,
            };
            if let Err(reason) = policy.retry(reason, attempts, &mut cancel).await {
                self.await_rollbacks(undoing, &mut chain, node_timeout)
                    .await;
                let f = self.failure(reason, attempts, round.votes, node_timeout);
                return Err(policy.failed(f));
            }
        }
    }

    pub(super) fn failure(
        &self,
        reason: FailReason,
        attempts: u64,
        votes: Vec<Option<Vote>>,
        node_timeout: Duration,
    ) -> Failure {
        Failure {
            reason,
            attempts,
            votes,
            labels: self.labels.clone(),
            quorum: self.quorum(),
            node_timeout,
            capped: None,
        }
    }
}
