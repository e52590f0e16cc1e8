//! The original redlock-rs API (`acquireLock` / `releaseLock`) on top of the engine: one lock
//! value per holder id, safe non-re-entrancy, and its verdicts (true / false / error).

use crate::algo::quorum::FailReason;
use crate::algo::settings::Settings;
use crate::api::holds::Holds;
use crate::engine::{Engine, Failure, LockSpec};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// TTL assumed for a lock this holder does not know (released by another object): its
/// per-node timeout is then 500 ms.
const UNKNOWN_TTL_MS: u64 = 5_000;

/// An object that takes locks: a client (one node, one attempt) or a Redlock (N nodes).
pub struct Holder {
    pub engine: Arc<Engine>,
    pub holds: Holds,
    pub settings: Settings,
}

/// Why an original-API call rejected. The message names nodes by index and `host:port`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockApiError(pub String);

fn describe(action: &str, resource: &str, f: &Failure) -> LockApiError {
    LockApiError(format!(
        "redlock-rs: could not {action} \"{resource}\": {f}"
    ))
}

impl Holder {
    pub fn new(engine: Engine, settings: Settings) -> Arc<Self> {
        Arc::new(Holder {
            engine: Arc::new(engine),
            holds: Holds::default(),
            settings,
        })
    }

    /// `true` iff a quorum granted the lock within validity; `false` when another owner holds
    /// it (or this holder already holds it under this id); an error when nodes were
    /// unreachable or erroring, or the validity ran out during every attempt.
    pub async fn acquire_lock(
        &self,
        resource: String,
        ttl_ms: u64,
        lock_id: String,
    ) -> Result<bool, LockApiError> {
        let fence = self.settings.fencing;
        let got = self.acquire_with(resource, ttl_ms, lock_id, fence).await?;
        Ok(got.is_some())
    }

    /// `acquire_lock` with a fencing token (`docs/fencing.md`): the token when acquired,
    /// `None` when `acquire_lock` would answer `false`.
    pub async fn acquire_lock_fenced(
        &self,
        resource: String,
        ttl_ms: u64,
        lock_id: String,
    ) -> Result<Option<u64>, LockApiError> {
        let got = self.acquire_with(resource, ttl_ms, lock_id, true).await?;
        Ok(got.map(|t| t.unwrap_or(0)))
    }

    /// `Some(token)` when acquired (a token only when `fence`), `None` when held.
    async fn acquire_with(
        &self,
        resource: String,
        ttl_ms: u64,
        lock_id: String,
        fence: bool,
    ) -> Result<Option<Option<u64>>, LockApiError> {
        if !self.holds.begin(&resource, &lock_id, Instant::now()) {
            return Ok(None);
        }
        let spec = LockSpec::new(vec![resource.clone()], &lock_id, false).fenced(fence);
        match self
            .engine
            .acquire(&spec, ttl_ms, &self.settings, None, |_| {})
            .await
        {
            Ok(g) => {
                self.holds.commit(&resource, &lock_id, g.expires_at, ttl_ms);
                Ok(Some(g.fencing_token))
            }
            Err(f) => {
                self.holds.forget(&resource, &lock_id);
                match f.reason {
                    FailReason::Held => Ok(None),
                    _ => Err(describe("acquire", &resource, &f)),
                }
            }
        }
    }

    /// Deletes the resource on every node where it holds `lock_id` (a wrong id changes
    /// nothing). Resolves when a quorum confirmed; errors only when nodes were unreachable.
    pub async fn release_lock(
        &self,
        resource: String,
        lock_id: String,
    ) -> Result<(), LockApiError> {
        let ttl = self
            .holds
            .ttl_of(&resource, &lock_id)
            .unwrap_or(UNKNOWN_TTL_MS);
        let spec = LockSpec::new(vec![resource.clone()], &lock_id, false);
        match self
            .engine
            .release(
                &spec,
                self.engine.node_timeout(&self.settings, ttl),
                &self.settings,
                false,
                |_| {},
            )
            .await
        {
            Ok(_) => {
                self.holds.forget(&resource, &lock_id);
                Ok(())
            }
            Err(f) => Err(describe("release", &resource, &f)),
        }
    }

    /// Per-node timeout used for a TTL, for documentation and tests.
    pub fn node_timeout(&self, ttl_ms: u64) -> Duration {
        self.engine.node_timeout(&self.settings, ttl_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::memory::{MemoryBackend, MemoryNode};
    use crate::backend::Backend;

    fn holder(n: usize) -> (Arc<Holder>, Vec<Arc<MemoryNode>>) {
        let nodes: Vec<_> = (0..n).map(|i| MemoryNode::new(&format!("m{i}"))).collect();
        let b = nodes
            .iter()
            .map(|m| Arc::new(MemoryBackend(m.clone())) as Arc<dyn Backend>)
            .collect();
        let s = Settings {
            retry_count: Some(1),
            retry_delay_ms: 10,
            retry_jitter_ms: 0,
            ..Settings::default()
        };
        (Holder::new(Engine::new(b), s), nodes)
    }

    #[tokio::test(start_paused = true)]
    async fn second_acquire_with_the_same_id_is_refused_without_traffic() {
        let (h, nodes) = holder(3);
        assert!(h
            .acquire_lock("r".into(), 10_000, "id".into())
            .await
            .unwrap());
        let calls = nodes[0]
            .acquire_calls
            .load(std::sync::atomic::Ordering::SeqCst);
        assert!(!h
            .acquire_lock("r".into(), 10_000, "id".into())
            .await
            .unwrap());
        assert_eq!(
            nodes[0]
                .acquire_calls
                .load(std::sync::atomic::Ordering::SeqCst),
            calls
        );
        assert!(nodes.iter().all(|m| m.get("r").as_deref() == Some("id")));
        // Another id is another owner: refused by the nodes.
        assert!(!h
            .acquire_lock("r".into(), 10_000, "other".into())
            .await
            .unwrap());
        assert!(nodes.iter().all(|m| m.get("r").as_deref() == Some("id")));
        // Wrong-id release keeps the lock and is refused (another owner holds it); the right one
        // frees it.
        let e = h
            .release_lock("r".into(), "other".into())
            .await
            .unwrap_err();
        assert!(e.0.contains("locked by another owner"), "{}", e.0);
        assert!(nodes.iter().all(|m| m.get("r").as_deref() == Some("id")));
        h.release_lock("r".into(), "id".into()).await.unwrap();
        assert!(nodes.iter().all(|m| m.get("r").is_none()));
        assert!(h
            .acquire_lock("r".into(), 10_000, "id".into())
            .await
            .unwrap());
    }

    #[tokio::test(start_paused = true)]
    async fn unreachable_majority_is_an_error_naming_the_nodes() {
        let (h, nodes) = holder(3);
        nodes[1].set_failing(true);
        nodes[2].set_paused(true);
        let e = h
            .acquire_lock("r".into(), 1000, "id".into())
            .await
            .unwrap_err();
        assert!(
            e.0.contains("node 1 (m1) failed: connection refused"),
            "{}",
            e.0
        );
        assert!(
            e.0.contains("node 2 (m2) timed out after 100 ms"),
            "{}",
            e.0
        );
        assert!(!e.0.contains("node 0"), "{}", e.0);
        // A failed acquire leaves nothing held locally.
        nodes[1].set_failing(false);
        nodes[2].set_paused(false);
        assert!(h.acquire_lock("r".into(), 1000, "id".into()).await.unwrap());
    }
}
