//! Delay between attempts: `retryDelay ± retryJitter`, never negative (node-redlock's formula).

use std::time::Duration;

/// `max(0, delay + floor((r * 2 - 1) * jitter))` for `r` uniform in `[0, 1)`.
pub fn delay_with(delay_ms: u64, jitter_ms: u64, r: f64) -> Duration {
    let offset = ((r * 2.0 - 1.0) * jitter_ms as f64).floor();
    Duration::from_millis((delay_ms as f64 + offset).max(0.0) as u64)
}

pub fn next_delay(delay_ms: u64, jitter_ms: u64) -> Duration {
    delay_with(delay_ms, jitter_ms, fastrand::f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_in_bounds() {
        assert_eq!(delay_with(200, 100, 0.0), Duration::from_millis(100));
        assert_eq!(delay_with(200, 100, 0.999_999), Duration::from_millis(299));
        assert_eq!(delay_with(10, 100, 0.0), Duration::ZERO);
        let (mut lo, mut hi) = (u128::MAX, 0);
        for _ in 0..20_000 {
            let d = next_delay(200, 100).as_millis();
            assert!((100..=300).contains(&d), "{d}");
            lo = lo.min(d);
            hi = hi.max(d);
        }
        // The whole range is used, not a constant.
        assert!(lo < 110 && hi > 290, "{lo}..{hi}");
        assert_eq!(next_delay(50, 0), Duration::from_millis(50));
    }
}
