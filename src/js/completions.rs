//! Promise plumbing for the hot paths (acquire / extend / release).
//!
//! napi's `async fn` support makes one deferred per call, and each deferred creates and tears
//! down its own threadsafe function (a libuv handle plus an environment cleanup hook). At tens
//! of thousands of calls per second that bookkeeping and the per-call wake-up of the JS thread
//! cost more than the Redis work. Instead, the JS facade keeps the Promise resolvers; a call
//! only starts the work and returns, finished work queues up here, and one persistent
//! threadsafe function wakes the JS thread once per batch to drain everything that finished.

use super::v5::NativeExecution;
use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;
use std::sync::{Arc, Mutex};

/// Weak: it keeps the process alive only while operations are in flight (see `begin`).
type Wake = ThreadsafeFunction<(), (), (), Status, false, true>;

/// One finished operation.
struct Completion {
    id: u32,
    x: NativeExecution,
}

/// Slots per completion in `drain()`'s flat array.
const SLOTS: u32 = 8;

struct Shared {
    done: Mutex<Vec<Completion>>,
    wake: Mutex<Wake>,
}

/// The JS thread's side: counts operations in flight to ref the wake-up function only while
/// there are some, and drains finished work.
#[napi]
pub struct CompletionQueue {
    shared: Arc<Shared>,
    /// Operations started and not yet drained (JS thread only).
    inflight: u32,
}

/// The runtime's side of one operation: hands its result to the JS thread. Dropped without a
/// result (a panic, a runtime shutting down), it reports an internal error, so the caller's
/// Promise never hangs and the process is never kept alive by a lost operation.
pub struct Completer {
    shared: Arc<Shared>,
    id: u32,
    sent: bool,
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
        let id = self.id;
        let first = {
            let mut done = self.shared.done.lock().unwrap_or_else(|e| e.into_inner());
            done.push(Completion { id, x });
            done.len() == 1
        };
        // Only the first completion of a batch wakes the JS thread: the drain takes them all.
        if first {
            let wake = self.shared.wake.lock().unwrap_or_else(|e| e.into_inner());
            // Fails only while the environment shuts down; nobody is waiting then.
            let _ = wake.call((), ThreadsafeFunctionCallMode::NonBlocking);
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
            }),
            inflight: 0,
        }
    }

    /// Everything that finished since the last drain, flat, 8 slots per operation: `id, ok,
    /// value, expiration, attemptCount, start, attempts, failure`. `attempts` is the vote codes
    /// of each attempt joined by `,` (see `NativeExecution::attempts`); `failure` is `null` when
    /// ok with no node error, else `[reason, detail, messages]`. Flat on purpose: an object per result would cost
    /// a property-name lookup per field on this thread, for every operation.
    #[napi(ts_return_type = "Array<unknown>")]
    pub fn drain<'env>(&mut self, env: &'env Env) -> Result<Array<'env>> {
        let done = {
            let mut q = self.shared.done.lock().unwrap_or_else(|e| e.into_inner());
            // The next batch is likely as large: no regrowing (and copying) it item by item.
            let cap = q.len();
            std::mem::replace(&mut *q, Vec::with_capacity(cap))
        };
        let mut out = env.create_array(done.len() as u32 * SLOTS)?;
        let n = done.len() as u32;
        for (k, Completion { id, x }) in done.into_iter().enumerate() {
            let at = k as u32 * SLOTS;
            out.set(at, id)?;
            out.set(at + 1, x.ok)?;
            out.set(at + 2, x.value)?;
            out.set(at + 3, x.expiration)?;
            out.set(at + 4, x.attempt_count)?;
            out.set(at + 5, x.start)?;
            out.set(at + 6, x.attempts.join(","))?;
            if x.ok && x.messages.is_empty() {
                out.set(at + 7, Null)?;
            } else {
                let mut f = env.create_array(3)?;
                f.set(0, x.reason)?;
                f.set(1, x.detail)?;
                f.set(2, x.messages)?;
                out.set(at + 7, f)?;
            }
        }
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

impl CompletionQueue {
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
