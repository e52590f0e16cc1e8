//! An in-memory backend for unit tests of the engine: one "node" is a key/value map with
//! expiries on tokio's clock, plus knobs for latency, errors, pauses and lost replies.

use super::{Backend, BoxFuture, Fenced, NodeError, ReleaseReply, Vote};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

#[derive(Default)]
pub struct MemoryNode {
    name: String,
    keys: Mutex<HashMap<String, (String, Instant)>>,
    /// Fencing counters by resource (they never expire).
    counters: Mutex<HashMap<String, u64>>,
    /// Refuse every write-back (as if the lock had vanished before it).
    refuse_write_back: AtomicBool,
    /// Fail every write-back (a node unreachable between the rounds).
    fail_write_back: AtomicBool,
    /// Added to the latency of write-backs only.
    write_back_latency_ms: AtomicU64,
    pub write_back_calls: AtomicU64,
    /// The one-round construction (what single-master fenced locks do): a fenced acquire also
    /// increments the counters it read, on this node alone.
    one_round: AtomicBool,
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
    /// The fencing counter of `resource` (0 when none was written).
    pub fn counter(&self, resource: &str) -> u64 {
        *self.counters.lock().unwrap().get(resource).unwrap_or(&0)
    }
    pub fn set_counter(&self, resource: &str, n: u64) {
        self.counters
            .lock()
            .unwrap()
            .insert(resource.to_string(), n);
    }
    pub fn set_one_round(&self, v: bool) {
        self.one_round.store(v, Ordering::SeqCst);
    }
    pub fn set_refuse_write_back(&self, v: bool) {
        self.refuse_write_back.store(v, Ordering::SeqCst);
    }
    pub fn set_fail_write_back(&self, v: bool) {
        self.fail_write_back.store(v, Ordering::SeqCst);
    }
    pub fn set_write_back_latency(&self, d: Duration) {
        self.write_back_latency_ms
            .store(d.as_millis() as u64, Ordering::SeqCst);
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

    /// Acquire's write: every key set iff none holds another value or this one.
    fn set_all(n: &MemoryNode, resources: &[String], value: &str, ttl_ms: u64) -> Vote {
        let mut m = n.keys.lock().unwrap();
        let now = Instant::now();
        let mut own = false;
        for r in resources.iter() {
            match MemoryNode::live(&m, r, now) {
                Some(v) if v == value => own = true,
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
        self.0
            .op(move |n| MemoryNode::set_all(n, &resources, &value, ttl_ms))
    }

    fn acquire_fenced(
        &self,
        resources: Arc<[String]>,
        value: Arc<str>,
        ttl_ms: u64,
    ) -> BoxFuture<Result<Fenced, NodeError>> {
        self.0.acquire_calls.fetch_add(1, Ordering::SeqCst);
        self.0.op(move |n| {
            let vote = MemoryNode::set_all(n, &resources, &value, ttl_ms);
            let mut counters = n.counters.lock().unwrap();
            let counter = match vote {
                Vote::Yes => resources
                    .iter()
                    .map(|r| *counters.get(r).unwrap_or(&0))
                    .max()
                    .unwrap_or(0),
                _ => 0,
            };
            if vote == Vote::Yes && n.one_round.load(Ordering::SeqCst) {
                for r in resources.iter() {
                    *counters.entry(r.clone()).or_insert(0) += 1;
                }
            }
            Fenced { vote, counter }
        })
    }

    fn write_back(
        &self,
        resources: Arc<[String]>,
        value: Arc<str>,
        token: u64,
    ) -> BoxFuture<Result<bool, NodeError>> {
        let n = &self.0;
        n.write_back_calls.fetch_add(1, Ordering::SeqCst);
        let extra = n.write_back_latency_ms.load(Ordering::SeqCst);
        let fail = n.fail_write_back.load(Ordering::SeqCst);
        let refuse = n.refuse_write_back.load(Ordering::SeqCst);
        let op = self.0.op(move |n| {
            let m = n.keys.lock().unwrap();
            let now = Instant::now();
            let held = resources
                .iter()
                .all(|r| MemoryNode::live(&m, r, now) == Some(&*value));
            if !held || refuse {
                return false;
            }
            let mut c = n.counters.lock().unwrap();
            for r in resources.iter() {
                let e = c.entry(r.clone()).or_insert(0);
                *e = (*e).max(token);
            }
            true
        });
        Box::pin(async move {
            if extra > 0 {
                tokio::time::sleep(Duration::from_millis(extra)).await;
            }
            if fail {
                return Err(NodeError("connection reset".into()));
            }
            op.await
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
