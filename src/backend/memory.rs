//! An in-memory backend for unit tests of the engine: one "node" is a key/value map with
//! expiries on tokio's clock, plus knobs for latency, errors, pauses and lost replies.

use super::{Backend, BoxFuture, NodeError, ReleaseReply, Vote};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

#[derive(Default)]
pub struct MemoryNode {
    name: String,
    keys: Mutex<HashMap<String, (String, Instant)>>,
    latency_ms: AtomicU64,
    failing: AtomicBool,
    paused: AtomicBool,
    /// Apply the write but never answer (a reply lost on the way back).
    drop_replies: AtomicBool,
    pub acquire_calls: AtomicU64,
    pub extend_calls: AtomicU64,
    pub release_calls: AtomicU64,
    /// Told about releases, as a Redis node's Pub/Sub listener would be.
    signals: Mutex<Vec<Arc<crate::signals::Signals>>>,
    /// Stay silent about releases (a node whose subscription is down).
    pub mute: AtomicBool,
    /// Quarantined by the restart guard (with this reason) unless the guard is off.
    pub quarantined: Mutex<Option<String>>,
}

impl MemoryNode {
    pub fn new(name: &str) -> Arc<Self> {
        Arc::new(MemoryNode {
            name: name.to_string(),
            ..Default::default()
        })
    }
    pub fn set_latency(&self, d: Duration) {
        self.latency_ms
            .store(d.as_millis() as u64, Ordering::SeqCst);
    }
    pub fn set_failing(&self, v: bool) {
        self.failing.store(v, Ordering::SeqCst);
    }
    pub fn set_paused(&self, v: bool) {
        self.paused.store(v, Ordering::SeqCst);
    }
    pub fn set_drop_replies(&self, v: bool) {
        self.drop_replies.store(v, Ordering::SeqCst);
    }
    /// Sets a key directly (another owner, or a pre-existing lock).
    pub fn put(&self, key: &str, value: &str, ttl: Duration) {
        let mut m = self.keys.lock().unwrap();
        m.insert(key.to_string(), (value.to_string(), Instant::now() + ttl));
    }
    /// The live value of a key.
    pub fn get(&self, key: &str) -> Option<String> {
        let m = self.keys.lock().unwrap();
        m.get(key)
            .filter(|(_, exp)| *exp > Instant::now())
            .map(|(v, _)| v.clone())
    }
    /// Remaining TTL of a live key.
    pub fn pttl(&self, key: &str) -> Option<Duration> {
        let m = self.keys.lock().unwrap();
        let now = Instant::now();
        m.get(key)
            .filter(|(_, exp)| *exp > now)
            .map(|(_, exp)| *exp - now)
    }

    fn live<'a>(
        m: &'a HashMap<String, (String, Instant)>,
        key: &str,
        now: Instant,
    ) -> Option<&'a str> {
        m.get(key)
            .filter(|(_, exp)| *exp > now)
            .map(|(v, _)| v.as_str())
    }

    /// Latency, pause and failure knobs, shared by every operation; `apply` runs atomically.
    fn op<T: Send + 'static>(
        self: &Arc<Self>,
        apply: impl FnOnce(&MemoryNode) -> T + Send + 'static,
    ) -> BoxFuture<Result<T, NodeError>> {
        let node = self.clone();
        Box::pin(async move {
            let latency = node.latency_ms.load(Ordering::SeqCst);
            if latency > 0 {
                tokio::time::sleep(Duration::from_millis(latency)).await;
            }
            while node.paused.load(Ordering::SeqCst) {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            if node.failing.load(Ordering::SeqCst) {
                return Err(NodeError("connection refused".into()));
            }
            let out = apply(&node);
            if node.drop_replies.load(Ordering::SeqCst) {
                std::future::pending::<()>().await;
            }
            Ok(out)
        })
    }
}

/// Wraps a node so it can be used as a `Backend` trait object.
pub struct MemoryBackend(pub Arc<MemoryNode>);

impl Backend for MemoryBackend {
    fn quarantine(&self, guard_ms: Option<u64>) -> Option<String> {
        let q = self.0.quarantined.lock().unwrap().clone();
        q.filter(|_| guard_ms != Some(0))
    }

    fn acquire(
        &self,
        resources: Arc<[String]>,
        value: Arc<str>,
        ttl_ms: u64,
        _fresh: bool,
    ) -> BoxFuture<Result<Vote, NodeError>> {
        self.0.acquire_calls.fetch_add(1, Ordering::SeqCst);
        self.0.op(move |n| {
            let mut m = n.keys.lock().unwrap();
            let now = Instant::now();
            let mut own = false;
            for r in resources.iter() {
                match MemoryNode::live(&m, r, now) {
                    Some(v) if v == &*value => own = true,
                    Some(_) => return Vote::No,
                    None => {}
                }
            }
            if own {
                return Vote::Own;
            }
            for r in resources.iter() {
                m.insert(
                    r.clone(),
                    (value.to_string(), now + Duration::from_millis(ttl_ms)),
                );
            }
            Vote::Yes
        })
    }

    fn extend(
        &self,
        resources: Arc<[String]>,
        value: Arc<str>,
        ttl_ms: u64,
    ) -> BoxFuture<Result<bool, NodeError>> {
        self.0.extend_calls.fetch_add(1, Ordering::SeqCst);
        self.0.op(move |n| {
            let mut m = n.keys.lock().unwrap();
            let now = Instant::now();
            if !resources
                .iter()
                .all(|r| MemoryNode::live(&m, r, now) == Some(&*value))
            {
                return false;
            }
            for r in resources.iter() {
                m.insert(
                    r.clone(),
                    (value.to_string(), now + Duration::from_millis(ttl_ms)),
                );
            }
            true
        })
    }

    fn release(
        &self,
        resources: Arc<[String]>,
        value: Arc<str>,
    ) -> BoxFuture<Result<ReleaseReply, NodeError>> {
        self.0.release_calls.fetch_add(1, Ordering::SeqCst);
        self.0.op(move |n| {
            let mut m = n.keys.lock().unwrap();
            let now = Instant::now();
            let mut deleted = 0;
            let mut foreign = 0;
            for r in resources.iter() {
                let held = MemoryNode::live(&m, r, now).map(|v| v == &*value);
                if held == Some(false) {
                    foreign += 1;
                }
                if held == Some(true) {
                    m.remove(r);
                    deleted += 1;
                    if !n.mute.load(Ordering::SeqCst) {
                        let tag = crate::signals::release_tag(&value);
                        for s in n.signals.lock().unwrap().iter() {
                            s.released(r, &tag);
                        }
                    }
                }
            }
            ReleaseReply { deleted, foreign }
        })
    }

    fn pttl(&self, resource: String) -> BoxFuture<Result<Option<u64>, NodeError>> {
        self.0.op(move |n| {
            let m = n.keys.lock().unwrap();
            let now = Instant::now();
            m.get(&resource)
                .filter(|(_, exp)| *exp > now)
                .map(|(_, exp)| (*exp - now).as_millis() as u64)
        })
    }

    fn label(&self) -> String {
        self.0.name.clone()
    }

    fn watch_releases(&self, signals: &Arc<crate::signals::Signals>) {
        let mut v = self.0.signals.lock().unwrap();
        if !v.iter().any(|s| Arc::ptr_eq(s, signals)) {
            v.push(signals.clone());
        }
    }
}
