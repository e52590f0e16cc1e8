//! What one object (client or Redlock) currently holds, per (resource, lock id): makes the
//! original API safely non-re-entrant. A second `acquireLock` of a held resource with the same
//! id answers `false` at once, with no Redis traffic.

use std::collections::HashMap;
use std::sync::Mutex;
use tokio::time::Instant;

#[derive(Default)]
pub struct Holds {
    map: Mutex<HashMap<(String, String), Entry>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Entry {
    /// An acquire is in flight.
    Pending,
    Held {
        until: Instant,
        ttl_ms: u64,
    },
}

impl Holds {
    /// Marks (resource, id) as being acquired; `false` if it is held or being acquired.
    pub fn begin(&self, resource: &str, id: &str, now: Instant) -> bool {
        let mut m = self.map.lock().unwrap_or_else(|e| e.into_inner());
        // Expired entries are dropped as the map grows, so it stays bounded by the live locks.
        if m.len() >= 64 && m.len().is_power_of_two() {
            m.retain(|_, e| !matches!(e, Entry::Held { until, .. } if *until <= now));
        }
        let key = (resource.to_string(), id.to_string());
        match m.get(&key) {
            Some(Entry::Pending) => false,
            Some(Entry::Held { until, .. }) if *until > now => false,
            _ => {
                m.insert(key, Entry::Pending);
                true
            }
        }
    }

    /// The acquire succeeded: held until `until`.
    pub fn commit(&self, resource: &str, id: &str, until: Instant, ttl_ms: u64) {
        let mut m = self.map.lock().unwrap_or_else(|e| e.into_inner());
        m.insert(
            (resource.to_string(), id.to_string()),
            Entry::Held { until, ttl_ms },
        );
    }

    /// The acquire failed, or the lock was released.
    pub fn forget(&self, resource: &str, id: &str) {
        let mut m = self.map.lock().unwrap_or_else(|e| e.into_inner());
        m.remove(&(resource.to_string(), id.to_string()));
    }

    /// The TTL a currently held lock was taken with.
    pub fn ttl_of(&self, resource: &str, id: &str) -> Option<u64> {
        let m = self.map.lock().unwrap_or_else(|e| e.into_inner());
        match m.get(&(resource.to_string(), id.to_string())) {
            Some(Entry::Held { ttl_ms, .. }) => Some(*ttl_ms),
            _ => None,
        }
    }

    pub fn len(&self) -> usize {
        self.map.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn held_or_pending_refuses_until_released_or_expired() {
        let h = Holds::default();
        let t = Instant::now();
        assert!(h.begin("r", "id", t));
        assert!(!h.begin("r", "id", t), "in flight");
        assert!(h.begin("r", "other-id", t), "another id is another holder");
        h.commit("r", "id", t + Duration::from_millis(100), 100);
        assert!(!h.begin("r", "id", t + Duration::from_millis(99)));
        assert_eq!(h.ttl_of("r", "id"), Some(100));
        assert!(
            h.begin("r", "id", t + Duration::from_millis(100)),
            "expired"
        );
        h.forget("r", "id");
        assert!(h.begin("r", "id", t));
    }

    #[test]
    fn expired_entries_do_not_accumulate() {
        let h = Holds::default();
        let t = Instant::now();
        for i in 0..10_000 {
            let r = format!("r{i}");
            assert!(h.begin(&r, "id", t + Duration::from_millis(i)));
            h.commit(&r, "id", t + Duration::from_millis(i + 1), 1);
        }
        assert!(h.len() < 300, "{}", h.len());
    }
}
