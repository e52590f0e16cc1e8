//! The node-redlock v5 surface of `NativeRedlock`: acquire / extend / release returning the
//! execution statistics the JS facade turns into `Lock`, `ExecutionStats` and errors.

use super::args::{self, throw};
use super::completions::{
    Completer, CompletionQueue, LateReport, LateSender, NativeExecution, NodeMessage,
};
use super::redlock::NativeRedlock;
use crate::algo::quorum::FailReason;
use crate::algo::settings::{ArgError, Settings};
use crate::algo::value::random_value;
use crate::api::execution::{self, Api, AttemptVotes, Execution};
use crate::api::leases::{from_epoch_ms, to_epoch_ms, Leases};
use crate::api::lockapi::Holder;
use crate::engine::{Failure, Late, LateSink, LockSpec, Vote};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use std::future::Future;
use std::sync::{Arc, Mutex};
use tokio::sync::watch;
use tokio::time::Instant;

/// Cancels a pending `acquire` (the facade wires it to an `AbortSignal`).
#[napi]
pub struct CancelToken {
    tx: watch::Sender<bool>,
}

#[napi]
impl CancelToken {
    #[napi(constructor)]
    pub fn new() -> Self {
        CancelToken {
            tx: watch::channel(false).0,
        }
    }

    #[napi]
    pub fn cancel(&self) {
        self.tx.send_replace(true);
    }
}

impl Default for CancelToken {
    fn default() -> Self {
        Self::new()
    }
}

fn reason_name(r: FailReason) -> &'static str {
    match r {
        FailReason::Held => "held",
        FailReason::Unavailable => "unavailable",
        FailReason::Expired => "expired",
        FailReason::Cancelled => "cancelled",
    }
}

/// Vote codes for the facade's statistics: `f` for, `a` against, `e` error, `t` timeout, `p`
/// pending. For a release, a node with nothing of ours left confirmed it as much as one that
/// deleted: both are votes for; a node where another owner holds a key is against.
fn convert_attempts(
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
fn vote_code(v: &Vote, timeout_ms: u128, releasing: bool, messages: &mut Vec<String>) -> char {
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
    }
}

/// The message of a late vote that will never come: its task was dropped (the runtime shut
/// down) before the node answered or timed out.
const LOST_VOTE: &str = "no answer: the operation's background work was stopped";

/// An operation's late reports, from the engine's background tasks to the JS thread. Before the
/// result is sent they are kept and folded into it; after, each attempt that still had `p`
/// votes gets one report, the last one marked so. Dropped (no report can follow any more)
/// with attempts still waiting, it reports their missing votes as lost: a statistics Promise
/// never hangs.
struct Tracker {
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
    fn new(timeout_ms: u128, releasing: bool) -> Self {
        Tracker {
            sender: None,
            timeout_ms,
            releasing,
            early: Vec::new(),
            waiting: None,
        }
    }

    fn report(&mut self, l: Late) {
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
    fn fold_early(&mut self, x: &mut Execution) -> Vec<NodeMessage> {
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
    fn complete(&mut self, done: Completer, mut out: NativeExecution) {
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
    fn expect(
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
type SharedTracker = Arc<Mutex<Tracker>>;

fn lock(t: &SharedTracker) -> std::sync::MutexGuard<'_, Tracker> {
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

fn failed(
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
    }
}

/// The result for the facade, with the late reports that came before it folded in; `describe`
/// gives a failure its message.
fn to_native(
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

fn to_native_votes(
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
        },
        Err(f) => {
            let mut out = failed(&f, value, (attempts, messages), x.start);
            out.message = Some(describe(&f));
            out
        }
    }
}

impl NativeRedlock {
    fn call_settings(&self, env: &Env, settings: Option<Unknown>) -> Result<Settings> {
        let obj = args::opt_object(settings, "settings").map_err(|e| throw(env, e))?;
        self.settings_with(env, obj.as_ref())
    }

    /// The Redlock's settings with the call's `settings` object (if any) applied.
    pub(super) fn settings_with(&self, env: &Env, obj: Option<&Object>) -> Result<Settings> {
        let base = &self.holder().settings;
        match obj {
            None => Ok(base.clone()),
            Some(o) => args::settings_input(o)?
                .and_then(|i| base.with(&i))
                .map_err(|e| throw(env, e)),
        }
    }
}

/// The `expiration` a lock shows after a failed extend, given the one it showed before
/// (`shown`): a failed extend to a shorter duration may have shortened the keys on some nodes
/// (`capped`), so the lock is then only valid until that earlier end; never later than before.
fn shown_after_failed_extend(shown: f64, capped: Option<Instant>) -> f64 {
    match capped.map(|c| to_epoch_ms(c).floor()) {
        Some(end) if end > 0.0 && end < shown => end,
        _ => shown,
    }
}

/// The resources (and how the caller listed them) and the value of the lock an extend or a
/// release works on.
fn lock_args(
    env: &Env,
    redlock: &NativeRedlock,
    resources: &Unknown,
    value: &Unknown,
) -> Result<(Vec<String>, Option<String>, String)> {
    let (resources, given) = redlock
        .resources(resources, "lock.resources")
        .map_err(|e| throw(env, e))?;
    let value = value_arg(value).map_err(|e| throw(env, e))?;
    Ok((resources, given, value))
}

fn value_arg(v: &Unknown) -> std::result::Result<String, ArgError> {
    args::lock_id(Some(v), true)
        .map(|s| s.unwrap_or_default())
        .map_err(|e| ArgError {
            kind: e.kind,
            message: e.message.replace("lockId", "lock.value"),
        })
}

/// node-redlock's message for an operation aborted through its `AbortSignal` (the facade
/// throws it itself for a signal already aborted before the call).
// Registered with N-API; unused from Rust (and so dead in `cargo test` builds).
#[cfg_attr(test, allow(dead_code))]
#[napi]
pub const ABORTED_MESSAGE: &str = execution::ABORTED_MESSAGE;

/// The API whose messages a call speaks (`v4`: node-redlock v4's entry points).
fn api(v4: bool) -> Api {
    if v4 {
        Api::V4
    } else {
        Api::V5
    }
}

impl NativeRedlock {
    /// Starts one operation, its arguments all checked: `work` gets the holder, the leases and
    /// `spec`, and what it answers completes `id` in `queue`.
    /// `timeout_ms` and `releasing` say how late votes read (see `convert_attempts`).
    #[allow(clippy::too_many_arguments)]
    fn start<Fut>(
        &self,
        env: &Env,
        queue: &mut CompletionQueue,
        id: u32,
        spec: LockSpec,
        timeout_ms: u128,
        releasing: bool,
        work: impl FnOnce(Arc<Holder>, Arc<Leases>, LockSpec, SharedTracker) -> Fut,
    ) -> Result<()>
    where
        Fut: Future<Output = NativeExecution> + Send + 'static,
    {
        let tracker: SharedTracker = Arc::new(Mutex::new(Tracker::new(timeout_ms, releasing)));
        let t = tracker.clone();
        let spec = spec.with_late(LateSink(Arc::new(move |l| lock(&t).report(l))));
        let holder = self.holder().clone();
        let work = work(holder, self.leases().clone(), spec, tracker.clone());
        let done = queue.begin(env, id)?;
        let closed = done.closed();
        super::dispatch::submit(async move {
            // A terminated worker's operations stop (as its process would have): nobody can
            // receive their result, and an acquire with `retryCount: -1` would otherwise retry
            // forever and take a lock nobody holds.
            tokio::select! {
                x = work => lock(&tracker).complete(done, x),
                _ = closed => {}
            }
        });
        Ok(())
    }
}

/// The resources as the caller listed them (duplicates included), for messages.
fn listed(spec: &LockSpec, given: Option<String>) -> String {
    given.unwrap_or_else(|| spec.resources.join(","))
}

#[napi]
impl NativeRedlock {
    /// Starts acquiring `resources` with a fresh random value; the result (check `ok`) arrives
    /// in `queue` under `id`. Throws only for bad arguments.
    #[napi(
        catch_unwind,
        ts_args_type = "queue: CompletionQueue, id: number, resources: string[], duration: number, settings: object | null | undefined, cancel: CancelToken | null, v4: boolean"
    )]
    #[allow(clippy::too_many_arguments)]
    pub fn acquire(
        &self,
        env: Env,
        queue: &mut CompletionQueue,
        id: u32,
        resources: Unknown,
        duration: Unknown,
        settings: Option<Unknown>,
        cancel: Option<&CancelToken>,
        v4: bool,
    ) -> Result<()> {
        let env = &env;
        // Checked first: the facade reads `settings.signal` before handing anything over.
        args::opt_object(settings, "settings").map_err(|e| throw(env, e))?;
        let (resources, given) = self
            .resources(&resources, "resources")
            .map_err(|e| throw(env, e))?;
        self.check_slots(&resources).map_err(|e| throw(env, e))?;
        let ttl = args::duration(&duration).map_err(|e| throw(env, e))?;
        let settings = self.call_settings(env, settings)?;
        let cancel = cancel.map(|c| c.tx.subscribe());
        let value = random_value();
        let timeout_ms = settings.node_timeout(ttl).as_millis();
        let lock = LockSpec::new(resources, &value, true).undoing_refusals(v4);
        let work = |holder: Arc<Holder>, leases: Arc<Leases>, spec: LockSpec, late| async move {
            let x =
                execution::acquire(&holder.engine, &leases, &spec, ttl, &settings, cancel).await;
            let retries = settings.retry_count;
            let mut out = to_native(x, &late, value, |f| {
                execution::acquire_message(api(v4), f.reason, &listed(&spec, given), retries)
            });
            if v4 && out.ok {
                let attempts = out.attempt_count as u64;
                out.attempts_remaining = Some(execution::attempts_remaining(retries, attempts));
            }
            out
        };
        self.start(env, queue, id, lock, timeout_ms, false, work)
    }

    /// Extends a lock to `duration` from now. `expiration` is the caller's `Lock.expiration`
    /// (0 = invalidated): the earlier of it and the expiry known here applies.
    #[napi(
        catch_unwind,
        ts_args_type = "queue: CompletionQueue, id: number, resources: string[], value: string, expiration: number, duration: number, settings: object | null | undefined, v4: boolean"
    )]
    #[allow(clippy::too_many_arguments)]
    pub fn extend(
        &self,
        env: Env,
        queue: &mut CompletionQueue,
        id: u32,
        resources: Unknown,
        value: Unknown,
        expiration: Unknown,
        duration: Unknown,
        settings: Option<Unknown>,
        v4: bool,
    ) -> Result<()> {
        let env = &env;
        let (resources, given, value) = lock_args(env, self, &resources, &value)?;
        let expiration = args::opt_number(&expiration, "lock.expiration")
            .and_then(|e| {
                e.ok_or_else(|| ArgError::type_error("lock.expiration must be a number."))
            })
            .map_err(|e| throw(env, e))?;
        let ttl = args::duration(&duration).map_err(|e| throw(env, e))?;
        let settings = self.call_settings(env, settings)?;
        let hint = (expiration.is_finite() && expiration > 0.0).then(|| from_epoch_ms(expiration));
        let timeout_ms = settings.node_timeout(ttl).as_millis();
        let lock = LockSpec::new(resources, &value, false);
        let work = |holder: Arc<Holder>, leases: Arc<Leases>, spec: LockSpec, late| async move {
            let x = execution::extend(&holder.engine, &leases, &spec, hint, ttl, &settings).await;
            let capped = x.result.as_ref().err().and_then(|f| f.capped);
            let retries = settings.retry_count;
            let mut out = to_native(x, &late, value, |f| {
                let shown = listed(&spec, given);
                execution::extend_message(api(v4), f.reason, f.attempts, &shown, retries)
            });
            if !out.ok {
                out.expiration = shown_after_failed_extend(expiration, capped);
            }
            out
        };
        self.start(env, queue, id, lock, timeout_ms, false, work)
    }

    /// Releases a lock on every node; resolves `ok` once a quorum confirmed.
    #[napi(
        catch_unwind,
        ts_args_type = "queue: CompletionQueue, id: number, resources: string[], value: string, settings: object | null | undefined, v4: boolean"
    )]
    #[allow(clippy::too_many_arguments)]
    pub fn release(
        &self,
        env: Env,
        queue: &mut CompletionQueue,
        id: u32,
        resources: Unknown,
        value: Unknown,
        settings: Option<Unknown>,
        v4: bool,
    ) -> Result<()> {
        let env = &env;
        let (resources, given, value) = lock_args(env, self, &resources, &value)?;
        let settings = self.call_settings(env, settings)?;
        let timeout_ms = self.holder().engine.release_timeout(&settings).as_millis();
        let lock = LockSpec::new(resources, &value, false);
        let work = |holder: Arc<Holder>, leases: Arc<Leases>, spec: LockSpec, late| async move {
            let x = execution::release(&holder.engine, &leases, &spec, &settings, v4).await;
            let mut out = to_native(x, &late, value, |_| {
                execution::release_message(api(v4), &listed(&spec, given))
            });
            out.expiration = 0.0;
            out
        };
        self.start(env, queue, id, lock, timeout_ms, true, work)
    }

    /// Remaining ms until fewer than a quorum of nodes hold `resource` (by any owner), or
    /// `null` when no quorum holds it. Rejects when no quorum of nodes answered.
    #[napi(
        catch_unwind,
        ts_args_type = "resource: string",
        ts_return_type = "Promise<number | null>"
    )]
    pub fn inspect<'env>(
        &self,
        env: &'env Env,
        resource: Unknown,
    ) -> Result<PromiseRaw<'env, Option<f64>>> {
        let resource = args::resource(&resource, "resource").map_err(|e| throw(env, e))?;
        let holder = self.holder().clone();
        let timeout = holder.settings.release_timeout();
        env.spawn_future(async move {
            match holder.engine.inspect(&resource, timeout).await {
                Ok(ttl) => {
                    Ok(ttl.map(|t| t.min(crate::algo::settings::MAX_DURATION_MS as u64) as f64))
                }
                Err(f) => Err(super::client::reject(format!(
                    "redlock-rs: could not inspect \"{resource}\": {f}"
                ))),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::NodeError;

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
