//! Monotonic expiry of the locks a Redlock handed out, by lock value. JS `Lock` objects carry a
//! wall-clock `expiration`; the engine decides on the monotonic one kept here, so a wall-clock
//! jump of the client cannot make an expired lock look valid.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::time::Instant;

#[derive(Default)]
pub struct Leases {
    map: Mutex<HashMap<String, Instant>>,
}

impl Leases {
    pub fn insert(&self, value: &str, expires_at: Instant) {
        let mut m = self.map.lock().unwrap_or_else(|e| e.into_inner());
        // Drop expired entries as the map grows: it stays bounded by the live locks.
        if m.len() >= 64 && m.len().is_power_of_two() {
            let now = Instant::now();
            m.retain(|_, exp| *exp > now);
        }
        m.insert(value.to_string(), expires_at);
    }

    pub fn get(&self, value: &str) -> Option<Instant> {
        self.map
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(value)
            .copied()
    }

    pub fn remove(&self, value: &str) {
        self.map
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(value);
    }

    pub fn len(&self) -> usize {
        self.map.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Milliseconds since the Unix epoch, as JS `Date.now()`.
pub fn epoch_ms_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as f64)
        .unwrap_or(0.0)
}

/// A monotonic instant as JS epoch milliseconds (for `Lock.expiration`).
pub fn to_epoch_ms(at: Instant) -> f64 {
    let now = Instant::now();
    if at >= now {
        epoch_ms_now() + (at - now).as_millis() as f64
    } else {
        epoch_ms_now() - (now - at).as_millis() as f64
    }
}

/// JS epoch milliseconds as a monotonic instant (for locks this process did not hand out).
pub fn from_epoch_ms(ms: f64) -> Instant {
    let now = Instant::now();
    let delta = ms - epoch_ms_now();
    if delta >= 0.0 {
        now + Duration::from_millis(delta.min(1e15) as u64)
    } else {
        now.checked_sub(Duration::from_millis((-delta).min(1e12) as u64))
            .unwrap_or(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leases_are_bounded_by_live_locks() {
        let l = Leases::default();
        let past = Instant::now() - Duration::from_secs(1);
        for i in 0..10_000 {
            l.insert(&format!("v{i}"), past);
        }
        assert!(l.len() < 200, "{}", l.len());
        let future = Instant::now() + Duration::from_secs(60);
        l.insert("live", future);
        assert_eq!(l.get("live"), Some(future));
        l.remove("live");
        assert_eq!(l.get("live"), None);
    }

    #[test]
    fn epoch_conversions_round_trip() {
        let at = Instant::now() + Duration::from_millis(5_000);
        let ms = to_epoch_ms(at);
        assert!((ms - epoch_ms_now() - 5_000.0).abs() < 50.0);
        let back = from_epoch_ms(ms);
        let diff = if back > at { back - at } else { at - back };
        assert!(diff < Duration::from_millis(50));
        assert!(from_epoch_ms(0.0) <= Instant::now());
    }
}
