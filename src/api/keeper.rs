//! Automatic extension for `using()`: a tokio task extends the lock shortly before it expires,
//! independently of the JavaScript event loop, so a routine that blocks the loop keeps its lock.
//! Optional caps stop a stuck routine from holding a lock forever.

use crate::algo::settings::Settings;
use crate::api::execution;
use crate::api::leases::Leases;
use crate::engine::{Engine, LockSpec};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

#[derive(Clone, Debug, Default)]
pub struct KeepOptions {
    pub ttl_ms: u64,
    pub threshold_ms: u64,
    /// The lock is never extended past `start + max_hold`.
    pub max_hold: Option<Duration>,
    /// At most this many extensions.
    pub max_extensions: Option<u64>,
}

struct State {
    expires_at: Mutex<Instant>,
    lost: Mutex<Option<String>>,
    extensions: std::sync::atomic::AtomicU64,
}

pub struct Keeper {
    state: Arc<State>,
    stop: watch::Sender<bool>,
    task: Mutex<Option<JoinHandle<()>>>,
}

const EXPIRED: &str = "the lock expired before it could be extended";

impl Keeper {
    /// Starts keeping `spec` alive; `on_lost` is called once if the lock is lost.
    pub fn spawn(
        engine: Arc<Engine>,
        leases: Arc<Leases>,
        spec: LockSpec,
        expires_at: Instant,
        opts: KeepOptions,
        settings: Settings,
        on_lost: impl Fn(String) + Send + Sync + 'static,
    ) -> Keeper {
        // Test builds with the `mutants` feature may swap the options for a bug.
        #[cfg(feature = "mutants")]
        let opts = crate::mutants::keep_options(opts);
        let state = Arc::new(State {
            expires_at: Mutex::new(expires_at),
            lost: Mutex::new(None),
            extensions: Default::default(),
        });
        let (stop, mut stopped) = watch::channel(false);
        let st = state.clone();
        let task = tokio::spawn(async move {
            let started = Instant::now();
            let lose = |why: String| {
                *st.lost.lock().unwrap_or_else(|e| e.into_inner()) = Some(why.clone());
                on_lost(why);
            };
            loop {
                let exp = *st.expires_at.lock().unwrap_or_else(|e| e.into_inner());
                let extensions = st.extensions.load(std::sync::atomic::Ordering::SeqCst);
                let wake = exp
                    .checked_sub(Duration::from_millis(opts.threshold_ms))
                    .unwrap_or(exp);
                let capped = if opts.max_extensions.is_some_and(|m| extensions >= m) {
                    Some("maxExtensions")
                } else if opts
                    .max_hold
                    .is_some_and(|h| wake + Duration::from_millis(opts.ttl_ms) > started + h)
                {
                    Some("maxHoldTime")
                } else {
                    None
                };
                if let Some(cap) = capped {
                    // No more extensions: the lock ends at its current expiry.
                    tokio::select! {
                        _ = tokio::time::sleep_until(exp) => {
                            lose(format!("the lock expired: {cap} reached"));
                        }
                        _ = stopped.wait_for(|s| *s) => {}
                    }
                    return;
                }
                tokio::select! {
                    _ = tokio::time::sleep_until(wake) => {}
                    _ = stopped.wait_for(|s| *s) => return,
                }
                let x =
                    execution::extend(&engine, &leases, &spec, Some(exp), opts.ttl_ms, &settings)
                        .await;
                match x.result {
                    Ok(g) => {
                        *st.expires_at.lock().unwrap_or_else(|e| e.into_inner()) = g.expires_at;
                        st.extensions
                            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    }
                    Err(f) => {
                        lose(format!("the lock could not be extended: {f}"));
                        return;
                    }
                }
            }
        });
        Keeper {
            state,
            stop,
            task: Mutex::new(Some(task)),
        }
    }

    /// Why the lock is lost (extension failed, or its validity is over), or `None` if held.
    pub fn lost_reason(&self) -> Option<String> {
        if let Some(r) = self
            .state
            .lost
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
        {
            return Some(r);
        }
        let exp = *self
            .state
            .expires_at
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        (Instant::now() >= exp).then(|| EXPIRED.to_string())
    }

    pub fn extensions(&self) -> u64 {
        self.state
            .extensions
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    pub fn expires_at(&self) -> Instant {
        *self
            .state
            .expires_at
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// Stops extending, after waiting for an extension in flight.
    pub async fn stop(&self) {
        self.stop.send_replace(true);
        let task = self.task.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(t) = task {
            let _ = t.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::memory::{MemoryBackend, MemoryNode};
    use crate::backend::Backend;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn setup() -> (Arc<Engine>, Arc<MemoryNode>, LockSpec, Settings) {
        let m = MemoryNode::new("m0");
        let e = Arc::new(Engine::new(vec![
            Arc::new(MemoryBackend(m.clone())) as Arc<dyn Backend>
        ]));
        let spec = LockSpec::new(vec!["r".into()], "v", false);
        let s = Settings {
            retry_count: Some(0),
            ..Settings::default()
        };
        (e, m, spec, s)
    }

    #[tokio::test(start_paused = true)]
    async fn keeps_extending_until_stopped() {
        let (e, m, spec, s) = setup();
        let leases = Arc::new(Leases::default());
        let g = e.acquire(&spec, 1000, &s, None, |_| {}).await.unwrap();
        let opts = KeepOptions {
            ttl_ms: 1000,
            threshold_ms: 300,
            ..Default::default()
        };
        let k = Keeper::spawn(e.clone(), leases, spec, g.expires_at, opts, s, |_| {
            panic!("lost")
        });
        tokio::time::sleep(Duration::from_secs(10)).await;
        assert!(k.lost_reason().is_none());
        assert!(k.extensions() >= 10, "{}", k.extensions());
        assert_eq!(m.get("r").as_deref(), Some("v"));
        k.stop().await;
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert_eq!(m.get("r"), None, "no extension after stop");
    }

    #[tokio::test(start_paused = true)]
    async fn a_lost_lock_is_reported_once() {
        let (e, m, spec, s) = setup();
        let g = e.acquire(&spec, 1000, &s, None, |_| {}).await.unwrap();
        m.put("r", "thief", Duration::from_secs(60));
        let calls = Arc::new(AtomicUsize::new(0));
        let c = calls.clone();
        let opts = KeepOptions {
            ttl_ms: 1000,
            threshold_ms: 300,
            ..Default::default()
        };
        let k = Keeper::spawn(e, Arc::default(), spec, g.expires_at, opts, s, move |_| {
            c.fetch_add(1, Ordering::SeqCst);
        });
        tokio::time::sleep(Duration::from_secs(3)).await;
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert!(k.lost_reason().unwrap().contains("could not be extended"));
        k.stop().await;
    }

    #[tokio::test(start_paused = true)]
    async fn caps_stop_extension() {
        let (e, _m, spec, s) = setup();
        let g = e.acquire(&spec, 1000, &s, None, |_| {}).await.unwrap();
        let opts = KeepOptions {
            ttl_ms: 1000,
            threshold_ms: 300,
            max_extensions: Some(2),
            ..Default::default()
        };
        let k = Keeper::spawn(
            e.clone(),
            Arc::default(),
            spec.clone(),
            g.expires_at,
            opts,
            s.clone(),
            |_| {},
        );
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert_eq!(k.extensions(), 2);
        assert!(k.lost_reason().unwrap().contains("maxExtensions"));

        let g = e.acquire(&spec, 1000, &s, None, |_| {}).await.unwrap();
        let start = Instant::now();
        let opts = KeepOptions {
            ttl_ms: 1000,
            threshold_ms: 300,
            max_hold: Some(Duration::from_millis(2500)),
            ..Default::default()
        };
        let k = Keeper::spawn(e, Arc::default(), spec, g.expires_at, opts, s, |_| {});
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert!(k.lost_reason().unwrap().contains("maxHoldTime"));
        assert!(k.expires_at() <= start + Duration::from_millis(2500));
    }
}
