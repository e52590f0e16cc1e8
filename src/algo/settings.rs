//! Redlock settings: defaults, per-call overrides and validation, in one place.

use std::fmt;
use std::time::Duration;

/// Largest TTL/duration accepted from JavaScript (`Number.MAX_SAFE_INTEGER`).
pub const MAX_DURATION_MS: f64 = 9_007_199_254_740_991.0;

/// The message node-redlock uses for every bad duration; kept verbatim for compatibility.
pub const DURATION_MESSAGE: &str = "Duration must be an integer value in milliseconds.";

/// Resolved settings of a Redlock (all validated).
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    pub drift_factor: f64,
    /// Retries after the first attempt; `None` = until cancelled (`retryCount: -1`).
    pub retry_count: Option<u64>,
    pub retry_delay_ms: u64,
    pub retry_jitter_ms: u64,
    pub automatic_extension_threshold_ms: u64,
    /// Per-node request timeout; `None` derives it from the TTL (see [`node_timeout_for`]).
    pub node_timeout_ms: Option<u64>,
    /// Acquires come with a fencing token (`docs/fencing.md`).
    pub fencing: bool,
    /// The restart guard (ms): how long a node that restarted (or that was first reached
    /// while up for less) does not count its grants; `None`: the largest TTL asked for before
    /// the node was checked; `Some(0)`: off.
    pub restart_guard_ms: Option<u64>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            drift_factor: 0.01,
            retry_count: Some(10),
            retry_delay_ms: 200,
            retry_jitter_ms: 100,
            automatic_extension_threshold_ms: 500,
            node_timeout_ms: None,
            fencing: false,
            restart_guard_ms: None,
        }
    }
}

/// Per-node timeout when none is configured: 5 % of the TTL (as go-redsync), kept within
/// [100 ms, 1000 ms]. Small against the TTL, so one stalled server costs an operation little,
/// yet large enough not to misjudge a loaded 2-core machine as a dead node.
pub fn node_timeout_for(ttl_ms: u64) -> Duration {
    Duration::from_millis((ttl_ms / 20).clamp(100, 1000))
}

impl Settings {
    pub fn node_timeout(&self, ttl_ms: u64) -> Duration {
        match self.node_timeout_ms {
            Some(ms) => Duration::from_millis(ms),
            None => node_timeout_for(ttl_ms),
        }
    }

    /// The per-node timeout of a release, which has no TTL to derive one from: the configured
    /// one, else 500 ms.
    pub fn release_timeout(&self) -> Duration {
        self.node_timeout_ms
            .map_or(Duration::from_millis(500), Duration::from_millis)
    }

    /// Total attempts allowed (`None` = unbounded).
    pub fn max_attempts(&self) -> Option<u64> {
        self.retry_count.map(|r| r.saturating_add(1))
    }

    /// Applies a set of raw overrides (already type-checked numbers) and validates them.
    pub fn with(&self, o: &SettingsInput) -> Result<Settings, ArgError> {
        let mut s = self.clone();
        if let Some(v) = o.drift_factor {
            if !v.is_finite() || !(0.0..1.0).contains(&v) {
                return Err(ArgError::range(
                    "settings.driftFactor must be a number in [0, 1).",
                ));
            }
            s.drift_factor = v;
        }
        if let Some(v) = o.retry_count {
            if !is_int(v) || !(-1.0..=MAX_DURATION_MS).contains(&v) {
                return Err(ArgError::range(
                    "settings.retryCount must be an integer >= -1 (-1 retries until cancelled).",
                ));
            }
            s.retry_count = if v == -1.0 { None } else { Some(v as u64) };
        }
        if let Some(v) = o.retry_delay {
            s.retry_delay_ms = non_negative_ms(v, "settings.retryDelay")?;
        }
        if let Some(v) = o.retry_jitter {
            s.retry_jitter_ms = non_negative_ms(v, "settings.retryJitter")?;
        }
        if let Some(v) = o.automatic_extension_threshold {
            s.automatic_extension_threshold_ms =
                non_negative_ms(v, "settings.automaticExtensionThreshold")?;
        }
        if let Some(v) = o.node_timeout {
            let ms = non_negative_ms(v, "settings.nodeTimeout")?;
            if ms == 0 {
                return Err(ArgError::range(
                    "settings.nodeTimeout must be a positive integer number of milliseconds.",
                ));
            }
            s.node_timeout_ms = Some(ms);
        }
        if let Some(v) = o.fencing {
            s.fencing = v;
        }
        if let Some(v) = o.restart_guard {
            s.restart_guard_ms = Some(non_negative_ms(v, "settings.restartGuard")?);
        }
        Ok(s)
    }
}

/// Raw numeric overrides as they arrive from JavaScript (type already checked).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SettingsInput {
    pub drift_factor: Option<f64>,
    pub retry_count: Option<f64>,
    pub retry_delay: Option<f64>,
    pub retry_jitter: Option<f64>,
    pub automatic_extension_threshold: Option<f64>,
    pub node_timeout: Option<f64>,
    pub fencing: Option<bool>,
    pub restart_guard: Option<f64>,
}

fn is_int(v: f64) -> bool {
    v.is_finite() && v.fract() == 0.0
}

fn non_negative_ms(v: f64, name: &str) -> Result<u64, ArgError> {
    if !is_int(v) || !(0.0..=MAX_DURATION_MS).contains(&v) {
        return Err(ArgError::range(format!(
            "{name} must be a non-negative integer number of milliseconds."
        )));
    }
    Ok(v as u64)
}

/// Validates a TTL/duration given as a JS number.
pub fn duration_ms(v: f64) -> Result<u64, ArgError> {
    if !is_int(v) || !(1.0..=MAX_DURATION_MS).contains(&v) {
        return Err(ArgError::range(DURATION_MESSAGE));
    }
    Ok(v as u64)
}

/// A bad argument: maps to a JS `TypeError` or `RangeError`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArgError {
    pub kind: ArgErrorKind,
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgErrorKind {
    Type,
    Range,
}

impl ArgError {
    pub fn type_error(m: impl Into<String>) -> Self {
        ArgError {
            kind: ArgErrorKind::Type,
            message: m.into(),
        }
    }
    pub fn range(m: impl Into<String>) -> Self {
        ArgError {
            kind: ArgErrorKind::Range,
            message: m.into(),
        }
    }
}

impl fmt::Display for ArgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_node_redlock() {
        let s = Settings::default();
        assert_eq!(s.drift_factor, 0.01);
        assert_eq!(s.retry_count, Some(10));
        assert_eq!(s.max_attempts(), Some(11));
        assert_eq!(s.retry_delay_ms, 200);
        assert_eq!(s.retry_jitter_ms, 100);
        assert_eq!(s.automatic_extension_threshold_ms, 500);
    }

    #[test]
    fn node_timeout_is_derived_from_ttl_and_clamped() {
        assert_eq!(node_timeout_for(100), Duration::from_millis(100));
        assert_eq!(node_timeout_for(2_000), Duration::from_millis(100));
        assert_eq!(node_timeout_for(4_000), Duration::from_millis(200));
        assert_eq!(node_timeout_for(10_000), Duration::from_millis(500));
        assert_eq!(node_timeout_for(60_000), Duration::from_millis(1000));
        let s = Settings {
            node_timeout_ms: Some(7),
            ..Settings::default()
        };
        assert_eq!(s.node_timeout(60_000), Duration::from_millis(7));
    }

    #[test]
    fn durations_must_be_safe_positive_integers() {
        for bad in [
            0.0,
            -1.0,
            1.5,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            2f64.powi(60),
        ] {
            let e = duration_ms(bad).unwrap_err();
            assert_eq!(e.message, DURATION_MESSAGE);
        }
        assert_eq!(duration_ms(1.0), Ok(1));
        assert_eq!(duration_ms(MAX_DURATION_MS), Ok(9_007_199_254_740_991));
    }

    #[test]
    fn bad_settings_name_the_setting() {
        let base = Settings::default();
        let cases: Vec<(SettingsInput, &str)> = vec![
            (
                SettingsInput {
                    drift_factor: Some(1.0),
                    ..Default::default()
                },
                "driftFactor",
            ),
            (
                SettingsInput {
                    drift_factor: Some(-0.1),
                    ..Default::default()
                },
                "driftFactor",
            ),
            (
                SettingsInput {
                    drift_factor: Some(f64::NAN),
                    ..Default::default()
                },
                "driftFactor",
            ),
            (
                SettingsInput {
                    retry_count: Some(-2.0),
                    ..Default::default()
                },
                "retryCount",
            ),
            (
                SettingsInput {
                    retry_count: Some(1.5),
                    ..Default::default()
                },
                "retryCount",
            ),
            (
                SettingsInput {
                    retry_delay: Some(-1.0),
                    ..Default::default()
                },
                "retryDelay",
            ),
            (
                SettingsInput {
                    retry_jitter: Some(f64::NAN),
                    ..Default::default()
                },
                "retryJitter",
            ),
            (
                SettingsInput {
                    automatic_extension_threshold: Some(-5.0),
                    ..Default::default()
                },
                "automaticExtensionThreshold",
            ),
            (
                SettingsInput {
                    node_timeout: Some(0.0),
                    ..Default::default()
                },
                "nodeTimeout",
            ),
        ];
        for (input, name) in cases {
            let e = base.with(&input).unwrap_err();
            assert_eq!(e.kind, ArgErrorKind::Range);
            assert!(e.message.contains(name), "{} should name {name}", e.message);
        }
    }

    #[test]
    fn overrides_apply() {
        let s = Settings::default()
            .with(&SettingsInput {
                retry_count: Some(-1.0),
                retry_delay: Some(0.0),
                node_timeout: Some(25.0),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(s.retry_count, None);
        assert_eq!(s.max_attempts(), None);
        assert_eq!(s.retry_delay_ms, 0);
        assert_eq!(s.node_timeout_ms, Some(25));
    }
}
