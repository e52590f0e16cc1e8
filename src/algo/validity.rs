//! Drift and validity arithmetic (pure; monotonic milliseconds).

/// `drift = round(ttl * driftFactor) + 2`: Redis expires with 1 ms precision, plus 1 ms minimum
/// drift (antirez's reference implementation, node-redlock's rounding).
pub fn drift_ms(ttl_ms: u64, drift_factor: f64) -> u64 {
    (ttl_ms as f64 * drift_factor).round() as u64 + 2
}

/// `validity = ttl - elapsed - drift`, which may be negative.
pub fn validity_ms(ttl_ms: u64, elapsed_ms: u64, drift_factor: f64) -> i128 {
    ttl_ms as i128 - elapsed_ms as i128 - drift_ms(ttl_ms, drift_factor) as i128
}

/// A lock is acquired (or extended) iff a quorum voted for it and validity is left.
pub fn is_valid(votes_for: usize, quorum: usize, validity_ms: i128) -> bool {
    votes_for >= quorum && validity_ms > 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drift_matches_node_redlock_rounding() {
        assert_eq!(drift_ms(1000, 0.01), 12);
        assert_eq!(drift_ms(150, 0.01), 4); // 1.5 rounds up, like Math.round
        assert_eq!(drift_ms(149, 0.01), 3);
        assert_eq!(drift_ms(1, 0.01), 2);
        assert_eq!(drift_ms(10_000, 0.0), 2);
    }

    #[test]
    fn validity_subtracts_elapsed_and_drift() {
        assert_eq!(validity_ms(1000, 0, 0.01), 988);
        assert_eq!(validity_ms(1000, 988, 0.01), 0);
        assert_eq!(validity_ms(1000, 2000, 0.01), -1012);
        assert!(!is_valid(3, 3, 0));
        assert!(is_valid(3, 3, 1));
        assert!(!is_valid(2, 3, 500));
    }
}
