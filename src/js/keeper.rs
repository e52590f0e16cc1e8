//! `NativeKeeper`: the native side of `using()`'s automatic extension.

use super::args::{self, throw};
use super::redlock::NativeRedlock;
use crate::algo::settings::ArgError;
use crate::api::keeper::{KeepOptions, Keeper};
use crate::api::leases::{from_epoch_ms, to_epoch_ms};
use crate::engine::LockSpec;
use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;
use std::sync::Arc;
use std::time::Duration;

/// Weak: a pending notification never keeps the process alive.
type OnLost = ThreadsafeFunction<String, (), String, Status, false, true>;

/// Keeps one lock alive on native timers until stopped.
#[napi]
pub struct NativeKeeper {
    inner: Arc<Keeper>,
}

#[napi]
impl NativeKeeper {
    /// Why the lock is lost, or `null` while it is held. Synchronous: it works even when the
    /// event loop was blocked.
    #[napi(catch_unwind)]
    pub fn lost_reason(&self) -> Option<String> {
        self.inner.lost_reason()
    }

    /// Extensions made so far.
    #[napi(getter)]
    pub fn extensions(&self) -> f64 {
        self.inner.extensions() as f64
    }

    /// `Date.now()`-based expiration of the lock as currently extended.
    #[napi(getter)]
    pub fn expiration(&self) -> f64 {
        to_epoch_ms(self.inner.expires_at()).floor()
    }

    /// Stops extending, after an extension in flight has finished.
    #[napi(catch_unwind, ts_return_type = "Promise<void>")]
    pub fn stop<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, ()>> {
        let k = self.inner.clone();
        env.spawn_future(async move {
            k.stop().await;
            Ok(())
        })
    }
}

fn cap(v: Option<f64>, name: &str) -> std::result::Result<Option<f64>, ArgError> {
    match v {
        Some(n) if !(n.is_finite() && n.fract() == 0.0 && n >= 0.0) => Err(ArgError::range(
            format!("settings.{name} must be a non-negative integer."),
        )),
        v => Ok(v),
    }
}

#[napi]
impl NativeRedlock {
    /// Starts automatic extension of a lock (for `using()`); `onLost(reason)` is called once
    /// if the lock is lost.
    #[napi(
        catch_unwind,
        ts_args_type = "resources: string[], value: string, expiration: number, duration: number, settings: object | null | undefined, onLost: (reason: string) => void"
    )]
    #[allow(clippy::too_many_arguments)]
    pub fn keep(
        &self,
        env: Env,
        resources: Unknown,
        value: Unknown,
        expiration: f64,
        duration: Unknown,
        settings: Option<Unknown>,
        on_lost: OnLost,
    ) -> Result<NativeKeeper> {
        let (resources, _) = self
            .resources(&resources, "lock.resources")
            .map_err(|e| throw(&env, e))?;
        let value = args::lock_id(Some(&value), true)
            .map_err(|e| throw(&env, e))?
            .unwrap_or_default();
        let ttl = args::duration(&duration).map_err(|e| throw(&env, e))?;
        let obj = args::opt_object(settings, "settings").map_err(|e| throw(&env, e))?;
        let settings = self.settings_with(&env, obj.as_ref())?;
        let (max_hold, max_ext) = match obj {
            None => (None, None),
            Some(o) => {
                let hold =
                    args::opt_number(&args::prop(&o, "maxHoldTime")?, "settings.maxHoldTime")
                        .and_then(|v| cap(v, "maxHoldTime"))
                        .map_err(|e| throw(&env, e))?;
                let ext =
                    args::opt_number(&args::prop(&o, "maxExtensions")?, "settings.maxExtensions")
                        .and_then(|v| cap(v, "maxExtensions"))
                        .map_err(|e| throw(&env, e))?;
                (hold, ext)
            }
        };
        let opts = KeepOptions {
            ttl_ms: ttl,
            threshold_ms: settings.automatic_extension_threshold_ms,
            max_hold: max_hold.map(|ms| Duration::from_millis(ms as u64)),
            max_extensions: max_ext.map(|n| n as u64),
        };
        let spec = LockSpec::new(resources, &value, false);
        let engine = self.holder().engine.clone();
        let leases = self.leases().clone();
        let expires_at = leases
            .get(&value)
            .unwrap_or_else(|| from_epoch_ms(expiration));
        let keeper = within_runtime_if_available(|| {
            Keeper::spawn(
                engine,
                leases,
                spec,
                expires_at,
                opts,
                settings,
                move |why| {
                    on_lost.call(why, ThreadsafeFunctionCallMode::NonBlocking);
                },
            )
        });
        Ok(NativeKeeper {
            inner: Arc::new(keeper),
        })
    }
}
