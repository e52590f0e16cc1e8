//! Per-node votes → the facade's vote codes, and the late reports of an operation (the votes
//! and rollback errors that come after its verdict) on their way to the JS thread.

use super::completions::{Completer, LateReport, LateSender, NativeExecution, NodeMessage};
use crate::algo::quorum::FailReason;
use crate::api::execution::{AttemptVotes, Execution};
use crate::api::leases::to_epoch_ms;
use crate::engine::{Failure, Late, Vote};
use std::sync::{Arc, Mutex};

pub(super) fn reason_name(r: FailReason) -> &'static str {
    match r {
        FailReason::Held => "held",
        FailReason::Unavailable => "unavailable",
        FailReason::Expired => "expired",
        FailReason::Cancelled => "cancelled",
    }
}

/// Vote codes for the facade's statistics: `f` for, `a` against, `e` error, `t` timeout, `q`
/// quarantined (a grant the restart guard does not count), `p` pending. For a release, a node with nothing of ours left confirmed it as much as one that
/// deleted: both are votes for; a node where another owner holds a key is against.
pub(super) fn convert_attempts(
    attempts: &[AttemptVotes],
    timeout_ms: u128,
    releasing: bool,
) -> (Vec<String>, Vec<String>) {
    let mut messages = Vec::new();
    let codes = attempts
        .iter()
        .map(|a| {
            a.iter()
                .map(|v| match v {
                    Some(v) => vote_code(v, timeout_ms, releasing, &mut messages),
                    None => 'p',
                })
                .collect()
        })
        .collect();
    (codes, messages)
}

/// One vote's code; the message of an `e` or `t` is added to `messages`.
pub(super) fn vote_code(
    v: &Vote,
    timeout_ms: u128,
    releasing: bool,
    messages: &mut Vec<String>,
) -> char {
    match v {
        Vote::Yes => 'f',
        Vote::No => 'a',
        // A release: `Own` (nothing of ours left) confirms it.
        Vote::Own if releasing => 'f',
        Vote::Own => 'a',
        Vote::Error(e) => {
            messages.push(e.0.clone());
            'e'
        }
        Vote::Timeout => {
            messages.push(format!("timed out after {timeout_ms} ms"));
            't'
        }
        Vote::Quarantined(why) => {
            messages.push(why.clone());
            'q'
        }
    }
}

/// The message of a late vote that will never come: its task was dropped (the runtime shut
/// down) before the node answered or timed out.
pub(super) const LOST_VOTE: &str = "no answer: the operation's background work was stopped";

/// An operation's late reports, from the engine's background tasks to the JS thread. Before the
/// result is sent they are kept and folded into it; after, each attempt that still had `p`
/// votes gets one report, the last one marked so. Dropped (no report can follow any more)
/// with attempts still waiting, it reports their missing votes as lost: a statistics Promise
/// never hangs.
pub(super) struct Tracker {
    /// Where late reports go (a `LateSender`), once the result said some follow.
    sender: Option<Box<dyn Fn(LateReport) + Send>>,
    timeout_ms: u128,
    releasing: bool,
    /// Reports that arrived before the result.
    early: Vec<Late>,
    /// After the result: the attempts still waiting, `(attempt number, index in attempts,
    /// codes)`. `None` before the result.
    waiting: Option<Vec<(u64, u32, Vec<char>)>>,
}

impl Tracker {
    pub(super) fn new(timeout_ms: u128, releasing: bool) -> Self {
        Tracker {
            sender: None,
            timeout_ms,
            releasing,
            early: Vec::new(),
            waiting: None,
        }
    }

    pub(super) fn report(&mut self, l: Late) {
        let Some(waiting) = &mut self.waiting else {
            self.early.push(l);
            return;
        };
        // After the result: a rollback error rides with the next report if any is still due
        // (nothing else would deliver it; the operation is over).
        let (attempt, votes, rollback_errors) = match l {
            Late::Votes { attempt, votes } => (attempt, votes, Vec::new()),
            Late::RollbackError { node, error, .. } => {
                if waiting.is_empty() {
                    return;
                }
                let e = NodeMessage {
                    node: node as u32,
                    message: error.0,
                };
                (0, Vec::new(), vec![e])
            }
        };
        let at = waiting.iter().position(|w| w.0 == attempt);
        if at.is_none() && rollback_errors.is_empty() {
            // An attempt whose votes were not kept (unbounded retries keep the last only).
            return;
        }
        let (index, mut codes) = match at {
            Some(k) => {
                let (_, index, codes) = waiting.remove(k);
                (index, codes.iter().map(|_| '.').collect::<Vec<char>>())
            }
            None => (0, Vec::new()),
        };
        let mut messages = Vec::new();
        for (node, v) in &votes {
            if let Some(c) = codes.get_mut(*node) {
                *c = vote_code(v, self.timeout_ms, self.releasing, &mut messages);
            }
        }
        let last = waiting.is_empty();
        if let Some(send) = &self.sender {
            send(LateReport {
                attempt: index,
                votes: codes.into_iter().collect(),
                messages,
                rollback_errors,
                last,
            });
        }
    }

    /// Folds the reports that came before the result into `x`; the rollback errors.
    pub(super) fn fold_early(&mut self, x: &mut Execution) -> Vec<NodeMessage> {
        let total = match &x.result {
            Ok(g) => g.attempts,
            Err(f) => f.attempts,
        };
        let first = (total + 1).saturating_sub(x.attempts.len() as u64);
        let mut errors = Vec::new();
        for l in self.early.drain(..) {
            match l {
                Late::Votes { attempt, votes } => {
                    let Some(k) = attempt.checked_sub(first) else {
                        continue;
                    };
                    if let Some(a) = x.attempts.get_mut(k as usize) {
                        for (node, v) in votes {
                            if let Some(slot) = a.get_mut(node) {
                                *slot = Some(v);
                            }
                        }
                    }
                }
                Late::RollbackError { node, error, .. } => errors.push(NodeMessage {
                    node: node as u32,
                    message: error.0,
                }),
            }
        }
        errors
    }

    /// Sends the result `out` through `done`; late reports follow for its `p` votes (those
    /// that came after `fold_early` first).
    pub(super) fn complete(&mut self, done: Completer, mut out: NativeExecution) {
        self.expect(&mut out, || {
            let sender: LateSender = done.late_sender();
            Box::new(move |r| sender.send(r))
        });
        done.complete(out);
        for l in std::mem::take(&mut self.early) {
            self.report(l);
        }
    }

    /// Notes which attempts of the result `out` still wait for votes (and says so in `out`);
    /// their reports will go to the sender `send()` makes (only then: most results have none).
    pub(super) fn expect(
        &mut self,
        out: &mut NativeExecution,
        send: impl FnOnce() -> Box<dyn Fn(LateReport) + Send>,
    ) {
        let total = out.attempt_count as u64;
        let first = (total + 1).saturating_sub(out.attempts.len() as u64);
        let waiting: Vec<_> = out
            .attempts
            .iter()
            .enumerate()
            .filter(|(_, c)| c.contains('p'))
            .map(|(k, c)| (first + k as u64, k as u32, c.chars().collect()))
            .collect();
        out.late = !waiting.is_empty();
        if out.late {
            self.sender = Some(send());
        }
        self.waiting = Some(waiting);
    }
}

/// An operation's tracker, shared by its task and the engine's background tasks.
pub(super) type SharedTracker = Arc<Mutex<Tracker>>;

pub(super) fn lock(t: &SharedTracker) -> std::sync::MutexGuard<'_, Tracker> {
    t.lock().unwrap_or_else(|e| e.into_inner())
}

impl Drop for Tracker {
    fn drop(&mut self) {
        let Some(waiting) = self.waiting.take() else {
            return;
        };
        let n = waiting.len();
        for (k, (_, index, codes)) in waiting.into_iter().enumerate() {
            let mut messages = Vec::new();
            let votes = codes
                .iter()
                .map(|&c| {
                    if c == 'p' {
                        messages.push(LOST_VOTE.to_string());
                        'e'
                    } else {
                        '.'
                    }
                })
                .collect();
            if let Some(send) = &self.sender {
                send(LateReport {
                    attempt: index,
                    votes,
                    messages,
                    rollback_errors: Vec::new(),
                    last: k + 1 == n,
                });
            }
        }
    }
}

pub(super) fn failed(
    f: &Failure,
    value: String,
    (attempts, messages): (Vec<String>, Vec<String>),
    start: f64,
) -> NativeExecution {
    NativeExecution {
        ok: false,
        reason: Some(reason_name(f.reason).into()),
        detail: Some(f.to_string()),
        value,
        expiration: 0.0,
        attempt_count: f.attempts as f64,
        attempts,
        messages,
        start,
        message: None,
        attempts_remaining: None,
        late: false,
        rollback_errors: Vec::new(),
        fencing_token: None,
    }
}

/// The result for the facade, with the late reports that came before it folded in; `describe`
/// gives a failure its message.
pub(super) fn to_native(
    mut x: Execution,
    late: &SharedTracker,
    value: String,
    describe: impl FnOnce(&Failure) -> String,
) -> NativeExecution {
    let (rollback_errors, timeout_ms, releasing) = {
        let mut t = lock(late);
        (t.fold_early(&mut x), t.timeout_ms, t.releasing)
    };
    let (attempts, messages) = convert_attempts(&x.attempts, timeout_ms, releasing);
    let mut out = to_native_votes(x, value, (attempts, messages), describe);
    out.rollback_errors = rollback_errors;
    out
}

pub(super) fn to_native_votes(
    x: Execution,
    value: String,
    (attempts, messages): (Vec<String>, Vec<String>),
    describe: impl FnOnce(&Failure) -> String,
) -> NativeExecution {
    match x.result {
        Ok(g) => NativeExecution {
            ok: true,
            reason: None,
            detail: None,
            value,
            expiration: to_epoch_ms(g.expires_at).floor(),
            attempt_count: g.attempts as f64,
            attempts,
            messages,
            start: x.start,
            message: None,
            attempts_remaining: None,
            late: false,
            rollback_errors: Vec::new(),
            fencing_token: g.fencing_token.map(|t| t as f64),
        },
        Err(f) => {
            let mut out = failed(&f, value, (attempts, messages), x.start);
            out.message = Some(describe(&f));
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::NodeError;
    use tokio::time::Instant;

    type Sent = Arc<Mutex<Vec<LateReport>>>;

    /// A tracker whose result had `attempts` (vote codes) out of `total` attempts.
    fn tracker(attempts: &[&str], total: u64) -> (Tracker, NativeExecution, Sent) {
        let mut t = Tracker::new(100, false);
        let mut out = NativeExecution::internal_error();
        out.attempt_count = total as f64;
        out.attempts = attempts.iter().map(|a| a.to_string()).collect();
        let sent: Sent = Arc::default();
        let s = sent.clone();
        t.expect(&mut out, || Box::new(move |r| s.lock().unwrap().push(r)));
        (t, out, sent)
    }

    fn brief(r: &LateReport) -> (u32, String, Vec<String>, bool) {
        (r.attempt, r.votes.clone(), r.messages.clone(), r.last)
    }

    #[test]
    fn a_result_without_pending_votes_expects_nothing() {
        let (t, out, sent) = tracker(&["ffa", "fff"], 2);
        assert!(!out.late);
        drop(t);
        assert!(sent.lock().unwrap().is_empty());
    }

    #[test]
    fn each_attempt_with_pending_votes_gets_one_report_the_last_marked() {
        let (mut t, out, sent) = tracker(&["fpa", "ffp"], 2);
        assert!(out.late);
        t.report(Late::Votes {
            attempt: 2,
            votes: vec![(2, Vote::Timeout)],
        });
        t.report(Late::Votes {
            attempt: 1,
            votes: vec![(1, Vote::Yes)],
        });
        drop(t);
        let sent = sent.lock().unwrap();
        assert_eq!(
            sent.iter().map(brief).collect::<Vec<_>>(),
            vec![
                (
                    1,
                    "..t".into(),
                    vec!["timed out after 100 ms".into()],
                    false
                ),
                (0, ".f.".into(), vec![], true),
            ]
        );
    }

    #[test]
    fn votes_that_never_come_are_reported_lost_when_nothing_can_send_them() {
        let (t, _, sent) = tracker(&["fpp"], 1);
        drop(t);
        let sent = sent.lock().unwrap();
        assert_eq!(
            sent.iter().map(brief).collect::<Vec<_>>(),
            vec![(
                0,
                ".ee".into(),
                vec![LOST_VOTE.into(), LOST_VOTE.into()],
                true
            )]
        );
    }

    #[test]
    fn only_kept_attempts_are_reported() {
        // Unbounded retries keep the last attempt only: attempt 7 of 7 is entry 0.
        let (mut t, _, sent) = tracker(&["ffp"], 7);
        t.report(Late::Votes {
            attempt: 6,
            votes: vec![(2, Vote::Yes)],
        });
        assert!(sent.lock().unwrap().is_empty());
        t.report(Late::Votes {
            attempt: 7,
            votes: vec![(2, Vote::No)],
        });
        assert_eq!(
            brief(&sent.lock().unwrap()[0]),
            (0, "..a".into(), vec![], true)
        );
    }

    #[test]
    fn reports_before_the_result_are_folded_into_it() {
        let mut t = Tracker::new(100, true);
        t.report(Late::Votes {
            attempt: 1,
            votes: vec![(1, Vote::Own)],
        });
        t.report(Late::RollbackError {
            attempt: 1,
            node: 2,
            error: NodeError("x".into()),
        });
        let mut x = Execution {
            result: Ok(crate::engine::Granted {
                attempts: 1,
                validity: std::time::Duration::ZERO,
                expires_at: Instant::now(),
                votes: Vec::new(),
                fencing_token: None,
            }),
            attempts: vec![vec![Some(Vote::Yes), None, None]],
            start: 0.0,
        };
        let errors = t.fold_early(&mut x);
        assert_eq!(x.attempts[0], vec![Some(Vote::Yes), Some(Vote::Own), None]);
        assert_eq!(
            errors,
            vec![NodeMessage {
                node: 2,
                message: "x".into()
            }]
        );
    }
}
