//! The node-redlock v5 surface of `NativeRedlock`: acquire / extend / release returning the
//! execution statistics the JS facade turns into `Lock`, `ExecutionStats` and errors.

use super::args::{self, throw};
use super::completions::{CompletionQueue, NativeExecution};
use super::redlock::NativeRedlock;
use super::votes::{lock, to_native, SharedTracker, Tracker};
use crate::algo::settings::{ArgError, Settings};
use crate::algo::value::random_value;
use crate::api::execution::{self, Api};
use crate::api::leases::{from_epoch_ms, to_epoch_ms, Leases};
use crate::api::lockapi::Holder;
use crate::engine::{LateSink, LockSpec};
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
        self.check_fencing(&settings, &resources)
            .map_err(|e| throw(env, e))?;
        let cancel = cancel.map(|c| c.tx.subscribe());
        let value = random_value();
        let timeout_ms = settings.node_timeout(ttl).as_millis();
        let lock = LockSpec::new(resources, &value, true)
            .undoing_refusals(v4)
            .fenced(settings.fencing);
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
    /// The result (-1 for `null`) arrives in `queue` under `id`.
    #[napi(
        catch_unwind,
        ts_args_type = "queue: CompletionQueue, id: number, resource: string"
    )]
    pub fn inspect(
        &self,
        env: Env,
        queue: &mut CompletionQueue,
        id: u32,
        resource: Unknown,
    ) -> Result<()> {
        let resource = args::resource(&resource, "resource").map_err(|e| throw(&env, e))?;
        let holder = self.holder().clone();
        let timeout = holder.settings.release_timeout();
        queue.start_simple(&env, id, async move {
            match holder.engine.inspect(&resource, timeout).await {
                Ok(ttl) => Ok(ttl.map_or(-1.0, |t| {
                    t.min(crate::algo::settings::MAX_DURATION_MS as u64) as f64
                })),
                Err(f) => Err(format!("redlock-rs: could not inspect \"{resource}\": {f}")),
            }
        })
    }
}
