//! Promise plumbing for the hot paths (acquire / extend / release).
//!
//! napi's `async fn` support makes one deferred per call, and each deferred creates and tears
//! down its own threadsafe function (a libuv handle plus an environment cleanup hook). At tens
//! of thousands of calls per second that bookkeeping and the per-call wake-up of the JS thread
//! cost more than the Redis work. Instead, the JS facade keeps the Promise resolvers; a call
//! only starts the work and returns, finished work queues up here, and one persistent
//! threadsafe function wakes the JS thread once per batch to drain everything that finished.
//!
//! A result taken before every node answered is followed by late reports through the same
//! queue (the rest of the attempts' votes, rollback errors): the operation counts as in flight
//! until its last report, which the engine's per-node timeout bounds.

use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;
use std::sync::{Arc, Mutex};

/// Weak: it keeps the process alive only while operations are in flight (see `begin`).
type Wake = ThreadsafeFunction<(), (), (), Status, false, true>;

/// The result of an operation (sent to JS by `CompletionQueue::drain`).
pub struct NativeExecution {
    pub ok: bool,
    /// `held`, `unavailable`, `expired` or `cancelled` when not ok.
    pub reason: Option<String>,
    /// Why it failed, naming nodes by index and `host:port`.
    pub detail: Option<String>,
    pub value: String,
    /// `Date.now()`-based expiration of the lock (0 when not ok, except for a failed extend:
    /// then the expiration the lock shows now, see `v5::shown_after_failed_extend`).
    pub expiration: f64,
    /// Attempts made.
    pub attempt_count: f64,
    /// Votes per attempt (with `retryCount: -1`, only the last attempt), one character per
    /// node (compact: this crosses into JS on every operation), as the statistics count it:
    /// `f` for (a release's "nothing of ours left" included), `a` against (held by another
    /// owner / not held), `e` error, `t` timeout, `p` pending (no answer yet when the verdict
    /// became certain: a `LateReport` brings it).
    pub attempts: Vec<String>,
    /// The message of every `e` and `t` vote, in order of appearance.
    pub messages: Vec<String>,
    pub start: f64,
    /// The error message when not ok (node-redlock's, for the API called through).
    pub message: Option<String>,
    /// node-redlock v4's `Lock.attemptsRemaining` (v4 acquires only).
    pub attempts_remaining: Option<f64>,
    /// Late reports follow (some attempt has `p` votes): the last one ends the operation.
    pub late: bool,
    /// The rollbacks after failed attempts that failed on a node, by then.
    pub rollback_errors: Vec<NodeMessage>,
    /// A fenced acquire's token (exact: tokens stay below 2^53).
    pub fencing_token: Option<f64>,
}

/// A node's error, by node index.
#[napi(object)]
#[derive(Clone, Debug, PartialEq)]
pub struct NodeMessage {
    pub node: u32,
    pub message: String,
}

/// What the nodes said after an operation's result was sent: the rest of one attempt's votes,
/// or rollback errors.
#[napi(object)]
pub struct LateReport {
    /// Which entry of the operation's `attempts` these votes complete.
    pub attempt: u32,
    /// One character per node: the late vote's code, or `.` for a node counted already.
    pub votes: String,
    /// The message of every late `e` and `t` vote, in order.
    pub messages: Vec<String>,
    pub rollback_errors: Vec<NodeMessage>,
    /// The operation's last report.
    pub last: bool,
}

impl NativeExecution {
    /// A one-value result (`CompletionQueue::start_simple`).
    fn simple(r: std::result::Result<f64, String>) -> Self {
        let (ok, n, message) = match r {
            Ok(n) => (true, n, None),
            Err(m) => (false, 0.0, Some(m)),
        };
        NativeExecution {
            ok,
            reason: None,
            detail: None,
            value: String::new(),
            expiration: n,
            attempt_count: 0.0,
            attempts: Vec::new(),
            messages: Vec::new(),
            start: 0.0,
            message,
            attempts_remaining: None,
            late: false,
            fencing_token: None,
            rollback_errors: Vec::new(),
        }
    }

    /// An operation that ended without a result (it panicked); its message is v5's, whatever
    /// the API (what was asked is gone with the operation).
    pub fn internal_error() -> Self {
        NativeExecution {
            ok: false,
            reason: Some("unavailable".into()),
            detail: Some("internal error".into()),
            value: String::new(),
            expiration: 0.0,
            attempt_count: 0.0,
            attempts: Vec::new(),
            messages: Vec::new(),
            start: 0.0,
            message: Some(crate::api::execution::QUORUM_MESSAGE.into()),
            attempts_remaining: None,
            late: false,
            rollback_errors: Vec::new(),
            fencing_token: None,
        }
    }
}

/// One finished operation, or a late report about one.
enum Completion {
    Done { id: u32, x: NativeExecution },
    Late { id: u32, r: LateReport },
}

/// Where each field of a completion sits in `drain()`'s flat array. Defined here only: the
/// facade reads it once, through `completionLayout()`.
mod slot {
    pub const ID: u32 = 0;
    pub const OK: u32 = 1;
    pub const VALUE: u32 = 2;
    pub const EXPIRATION: u32 = 3;
    pub const ATTEMPT_COUNT: u32 = 4;
    pub const START: u32 = 5;
    pub const VOTES: u32 = 6;
    pub const FAILURE: u32 = 7;
    pub const ATTEMPTS_REMAINING: u32 = 8;
    /// A result: whether late reports follow. A late report: the `LateReport` (every other
    /// slot but `ID` is then empty).
    pub const LATE: u32 = 9;
    /// A fenced acquire's token (left empty otherwise).
    pub const FENCING_TOKEN: u32 = 10;
    /// Slots per completion.
    pub const COUNT: u32 = 11;
}

/// The offsets of `CompletionQueue.drain()`'s fields within one completion of `slots` slots.
#[napi(object)]
pub struct CompletionLayout {
    pub slots: u32,
    pub id: u32,
    pub ok: u32,
    pub value: u32,
    pub expiration: u32,
    pub attempt_count: u32,
    pub start: u32,
    /// The vote codes of each attempt, joined by `,` (see `NativeExecution::attempts`).
    pub votes: u32,
    /// `null` when ok with no node error, else a `CompletionFailure`.
    pub failure: u32,
    /// v4 acquires only (left empty otherwise).
    pub attempts_remaining: u32,
    /// `true` when late reports follow for this id; on a late report, the `LateReport`.
    pub late: u32,
    /// A fenced acquire's token (left empty otherwise).
    pub fencing_token: u32,
}

// Registered with N-API; unused from Rust (and so dead in `cargo test` builds).
#[cfg_attr(test, allow(dead_code))]
#[napi]
pub fn completion_layout() -> CompletionLayout {
    CompletionLayout {
        slots: slot::COUNT,
        id: slot::ID,
        ok: slot::OK,
        value: slot::VALUE,
        expiration: slot::EXPIRATION,
        attempt_count: slot::ATTEMPT_COUNT,
        start: slot::START,
        votes: slot::VOTES,
        failure: slot::FAILURE,
        attempts_remaining: slot::ATTEMPTS_REMAINING,
        late: slot::LATE,
        fencing_token: slot::FENCING_TOKEN,
    }
}

/// Why an operation failed, or the node errors of one that succeeded despite them.
#[napi(object)]
pub struct CompletionFailure {
    /// `held`, `unavailable`, `expired` or `cancelled`; `null` when ok.
    pub reason: Option<String>,
    pub detail: Option<String>,
    /// The message of every `e` and `t` vote, in order of appearance.
    pub messages: Vec<String>,
    /// The error message; `null` when ok.
    pub message: Option<String>,
    pub rollback_errors: Vec<NodeMessage>,
}

struct Shared {
    done: Mutex<Vec<Completion>>,
    wake: Mutex<Wake>,
    /// Set when the queue's JavaScript environment goes away (a worker thread terminated, the
    /// main thread exiting): its operations stop instead of running on with nobody to tell.
    closed: tokio::sync::watch::Sender<bool>,
}

/// The JS thread's side: counts operations in flight to ref the wake-up function only while
/// there are some, and drains finished work.
#[napi]
pub struct CompletionQueue {
    shared: Arc<Shared>,
    /// Operations started and not yet drained (JS thread only).
    inflight: u32,
    /// The previous batch's buffer, empty, swapped in for the next: draining allocates nothing.
    spare: Vec<Completion>,
}

/// The runtime's side of one operation: hands its result to the JS thread. Dropped without a
/// result (a panic, a runtime shutting down), it reports an internal error, so the caller's
/// Promise never hangs and the process is never kept alive by a lost operation.
pub struct Completer {
    shared: Arc<Shared>,
    id: u32,
    sent: bool,
}

/// Sends an operation's late reports, after its result. While a result's `late` is set the
/// operation counts as in flight (as a pending socket would keep node-redlock's process
/// alive), until a report with `last` set: its sender must send one (the engine bounds every
/// late vote by the per-node timeout, and a sender dropped early sends a stand-in).
pub struct LateSender {
    shared: Arc<Shared>,
    id: u32,
}

impl LateSender {
    pub fn send(&self, r: LateReport) {
        push(&self.shared, Completion::Late { id: self.id, r });
    }
}

/// Queues `c`; only the first completion of a batch wakes the JS thread: the drain takes them
/// all.
fn push(shared: &Shared, c: Completion) {
    let first = {
        let mut done = shared.done.lock().unwrap_or_else(|e| e.into_inner());
        done.push(c);
        done.len() == 1
    };
    if first {
        let wake = shared.wake.lock().unwrap_or_else(|e| e.into_inner());
        // Fails only while the environment shuts down; nobody is waiting then.
        let _ = wake.call((), ThreadsafeFunctionCallMode::NonBlocking);
    }
}

impl Drop for Completer {
    fn drop(&mut self) {
        if !self.sent {
            self.send(NativeExecution::internal_error());
        }
    }
}

impl Completer {
    pub fn complete(mut self, x: NativeExecution) {
        self.sent = true;
        self.send(x);
    }

    fn send(&self, x: NativeExecution) {
        push(&self.shared, Completion::Done { id: self.id, x });
    }

    /// Where this operation's late reports go.
    pub fn late_sender(&self) -> LateSender {
        LateSender {
            shared: self.shared.clone(),
            id: self.id,
        }
    }
}

#[napi]
impl CompletionQueue {
    /// `onReady()` is called on the JS thread when finished work is waiting in `drain()`.
    #[napi(constructor, ts_args_type = "onReady: () => void")]
    pub fn new(on_ready: Wake) -> Self {
        CompletionQueue {
            shared: Arc::new(Shared {
                done: Mutex::new(Vec::new()),
                wake: Mutex::new(on_ready),
                closed: tokio::sync::watch::channel(false).0,
            }),
            inflight: 0,
            spare: Vec::new(),
        }
    }

    /// Everything that finished since the last drain, flat, `completionLayout().slots` slots
    /// per operation. Flat on purpose: an object per result would cost a property-name lookup
    /// per field on this thread, for every operation.
    #[napi(ts_return_type = "Array<unknown>")]
    pub fn drain<'env>(&mut self, env: &'env Env) -> Result<Array<'env>> {
        let mut done = std::mem::take(&mut self.spare);
        {
            let mut q = self.shared.done.lock().unwrap_or_else(|e| e.into_inner());
            std::mem::swap(&mut *q, &mut done);
        }
        let mut out = env.create_array(done.len() as u32 * slot::COUNT)?;
        // Operations that end with this batch.
        let mut n = 0u32;
        for (k, c) in done.drain(..).enumerate() {
            let at = k as u32 * slot::COUNT;
            let (id, x) = match c {
                Completion::Done { id, x } => (id, x),
                Completion::Late { id, r } => {
                    n += u32::from(r.last);
                    out.set(at + slot::ID, id)?;
                    out.set(at + slot::LATE, r)?;
                    continue;
                }
            };
            n += u32::from(!x.late);
            out.set(at + slot::ID, id)?;
            out.set(at + slot::LATE, x.late)?;
            out.set(at + slot::OK, x.ok)?;
            out.set(at + slot::VALUE, x.value)?;
            out.set(at + slot::EXPIRATION, x.expiration)?;
            out.set(at + slot::ATTEMPT_COUNT, x.attempt_count)?;
            out.set(at + slot::START, x.start)?;
            let votes = match <[String; 1]>::try_from(x.attempts) {
                // One attempt (the common case): its codes as they are, no joined copy.
                Ok([one]) => one,
                Err(all) => all.join(","),
            };
            out.set(at + slot::VOTES, votes)?;
            if x.ok && x.messages.is_empty() && x.rollback_errors.is_empty() {
                out.set(at + slot::FAILURE, Null)?;
            } else {
                let f = CompletionFailure {
                    reason: x.reason,
                    detail: x.detail,
                    messages: x.messages,
                    message: x.message,
                    rollback_errors: x.rollback_errors,
                };
                out.set(at + slot::FAILURE, f)?;
            }
            if let Some(t) = x.fencing_token {
                out.set(at + slot::FENCING_TOKEN, t)?;
            }
            if let Some(n) = x.attempts_remaining {
                out.set(at + slot::ATTEMPTS_REMAINING, n)?;
            }
        }
        self.spare = done;
        if n > 0 {
            self.inflight = self.inflight.saturating_sub(n);
            if self.inflight == 0 {
                #[allow(deprecated)] // the replacement (clone/drop) cannot toggle a weak function
                self.shared
                    .wake
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .unref(env)?;
            }
        }
        Ok(out)
    }
}

/// The queue lives as long as its environment (one per module instance): it is finalized when
/// that environment is torn down.
impl Drop for CompletionQueue {
    fn drop(&mut self) {
        self.shared.closed.send_replace(true);
    }
}

impl Completer {
    /// Resolves when the queue's environment went away (never before).
    pub fn closed(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut rx = self.shared.closed.subscribe();
        async move {
            let _ = rx.wait_for(|c| *c).await;
        }
    }
}

impl CompletionQueue {
    /// Runs `work` on the dispatcher like the lock operations (see `dispatch`): its result —
    /// a number, or an error message — arrives through this queue under `id`, `ok` with the
    /// number in the `expiration` slot, or not `ok` with the message (`lib/completions.js`
    /// `submitSimple`). For the calls that answer one value: the original API, `inspect`.
    pub fn start_simple<F>(&mut self, env: &Env, id: u32, work: F) -> Result<()>
    where
        F: std::future::Future<Output = std::result::Result<f64, String>> + Send + 'static,
    {
        let done = self.begin(env, id)?;
        let closed = done.closed();
        super::dispatch::submit(async move {
            // As in `NativeRedlock::start`: nobody is left to receive the result.
            tokio::select! {
                r = work => done.complete(NativeExecution::simple(r)),
                _ = closed => {}
            }
        });
        Ok(())
    }

    /// Registers an operation about to start and returns where it reports. While any is in
    /// flight the process stays alive, as it would for a pending napi Promise.
    pub fn begin(&mut self, env: &Env, id: u32) -> Result<Completer> {
        if self.inflight == 0 {
            #[allow(deprecated)]
            self.shared
                .wake
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .refer(env)?;
        }
        self.inflight += 1;
        Ok(Completer {
            shared: self.shared.clone(),
            id,
            sent: false,
        })
    }
}
