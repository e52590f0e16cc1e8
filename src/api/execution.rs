//! The v5-style operations (`acquire` / `extend` / `release` returning execution statistics)
//! on top of the engine: fresh values, per-attempt votes kept within bounds, monotonic leases.

use crate::algo::quorum::FailReason;
use crate::algo::settings::Settings;
use crate::api::leases::{epoch_ms_now, Leases};
use crate::engine::{Cancel, Engine, Failure, Granted, LockSpec, Vote};
use std::time::Duration;
use tokio::time::Instant;

/// One round's votes, one entry per node (`None`: no answer before the verdict).
pub type AttemptVotes = Vec<Option<Vote>>;

/// The outcome of an operation with the votes of its attempts.
pub struct Execution {
    pub result: Result<Granted, Failure>,
    /// Every attempt's votes; with unbounded retries only the last one is kept, so memory does
    /// not grow with the number of retries.
    pub attempts: Vec<AttemptVotes>,
    /// `Date.now()` when the operation started.
    pub start: f64,
}

/// Collects attempt votes, bounded when retries are not.
struct Recorder {
    keep_all: bool,
    attempts: Vec<AttemptVotes>,
}

impl Recorder {
    fn new(settings: &Settings) -> Self {
        Recorder {
            keep_all: settings.retry_count.is_some(),
            attempts: Vec::new(),
        }
    }
    fn record(&mut self, votes: &[Option<Vote>]) {
        if !self.keep_all {
            self.attempts.clear();
        }
        self.attempts.push(votes.to_vec());
    }
}

pub async fn acquire(
    engine: &Engine,
    leases: &Leases,
    spec: &LockSpec,
    ttl_ms: u64,
    settings: &Settings,
    cancel: Option<Cancel>,
) -> Execution {
    let start = epoch_ms_now();
    let mut rec = Recorder::new(settings);
    let result = engine
        .acquire(spec, ttl_ms, settings, cancel, |v| rec.record(v))
        .await;
    if let Ok(g) = &result {
        leases.insert(&spec.value, g.expires_at);
    }
    Execution {
        result,
        attempts: rec.attempts,
        start,
    }
}

/// Extends a lock. Its expiry is the monotonic one known here; the caller's wall-clock `hint`
/// only serves for a lock this process did not hand out, so a wall-clock jump changes nothing.
/// `None`: the caller invalidated the lock (`expiration = 0`), so it is refused.
pub async fn extend(
    engine: &Engine,
    leases: &Leases,
    spec: &LockSpec,
    hint: Option<Instant>,
    ttl_ms: u64,
    settings: &Settings,
) -> Execution {
    let start = epoch_ms_now();
    let mut rec = Recorder::new(settings);
    let expires_at = match hint {
        None => Instant::now(),
        Some(hint) => leases.get(&spec.value).unwrap_or(hint),
    };
    let result = engine
        .extend(spec, expires_at, ttl_ms, settings, None, |v| rec.record(v))
        .await;
    match &result {
        Ok(g) => leases.insert(&spec.value, g.expires_at),
        Err(f) => {
            if let Some(capped) = f.capped {
                leases.insert(&spec.value, capped);
            }
        }
    }
    Execution {
        result,
        attempts: rec.attempts,
        start,
    }
}

/// Releases on every node. Fails when nodes were unreachable, or when the lock was lost to
/// another owner on too many of them (`full`: also when it was already gone there, as
/// node-redlock v4's `unlock`).
pub async fn release(
    engine: &Engine,
    leases: &Leases,
    spec: &LockSpec,
    settings: &Settings,
    full: bool,
) -> Execution {
    let start = epoch_ms_now();
    leases.remove(&spec.value);
    let mut rec = Recorder::new(settings);
    let timeout = engine.release_timeout(settings);
    let observe = |v: &[Option<Vote>]| rec.record(v);
    let result = engine.release(spec, timeout, settings, full, observe).await;
    let result = result.map(|r| Granted {
        attempts: r.attempts,
        validity: Duration::ZERO,
        expires_at: Instant::now(),
        votes: Vec::new(),
        fencing_token: None,
    });
    Execution {
        result,
        attempts: rec.attempts,
        start,
    }
}

/// Which node-redlock API an operation was called through: their failure messages differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Api {
    V4,
    V5,
}

// node-redlock's messages, verbatim.
pub const QUORUM_MESSAGE: &str =
    "The operation was unable to achieve a quorum during its retry window.";
pub const ABORTED_MESSAGE: &str = "The operation was aborted.";
const EXPIRED_EXTEND_MESSAGE: &str = "Cannot extend an already-expired lock.";

/// node-redlock v4 names the retry count (-1: unbounded), not the attempts made.
fn exceeded(resources: &str, retry_count: Option<u64>) -> String {
    let n = retry_count.map_or(-1, |r| r as i128);
    format!("Exceeded {n} attempts to lock the resource \"{resources}\".")
}

/// The error message of a failed acquire. `resources` as the caller listed them, joined by `,`.
pub fn acquire_message(
    api: Api,
    reason: FailReason,
    resources: &str,
    retry_count: Option<u64>,
) -> String {
    match (reason, api) {
        (FailReason::Cancelled, _) => ABORTED_MESSAGE.into(),
        (_, Api::V4) => exceeded(resources, retry_count),
        (_, Api::V5) => QUORUM_MESSAGE.into(),
    }
}

/// The error message of a failed extend: a lock already expired when asked is refused
/// without any attempt.
pub fn extend_message(
    api: Api,
    reason: FailReason,
    attempts: u64,
    resources: &str,
    retry_count: Option<u64>,
) -> String {
    let expired = reason == FailReason::Expired && attempts == 0;
    match (expired, api) {
        (true, Api::V4) => format!(
            "Cannot extend lock on resource \"{resources}\" because the lock has already expired."
        ),
        (true, Api::V5) => EXPIRED_EXTEND_MESSAGE.into(),
        (false, Api::V4) => exceeded(resources, retry_count),
        (false, Api::V5) => QUORUM_MESSAGE.into(),
    }
}

/// The error message of a failed release.
pub fn release_message(api: Api, resources: &str) -> String {
    match api {
        Api::V4 => format!("Unable to fully release the lock on resource \"{resources}\"."),
        Api::V5 => QUORUM_MESSAGE.into(),
    }
}

/// node-redlock v4's `Lock.attemptsRemaining` after an acquire that took `attempts`, as 4.2.0
/// computes it: `retryCount - attempts` (so -1 after a grant on the very last attempt);
/// `Infinity` with `retryCount: -1` (4.2.0's negative number there means nothing).
pub fn attempts_remaining(retry_count: Option<u64>, attempts: u64) -> f64 {
    retry_count.map_or(f64::INFINITY, |r| r as f64 - attempts as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::memory::{MemoryBackend, MemoryNode};
    use crate::backend::Backend;
    use std::sync::Arc;

    fn engine() -> (Engine, Arc<MemoryNode>) {
        let m = MemoryNode::new("m0");
        (
            Engine::new(vec![Arc::new(MemoryBackend(m.clone())) as Arc<dyn Backend>]),
            m,
        )
    }

    #[tokio::test(start_paused = true)]
    async fn attempts_are_recorded_and_bounded_when_retries_are_not() {
        let (e, m) = engine();
        m.put("r", "other", Duration::from_secs(3600));
        let spec = LockSpec::new(vec!["r".into()], "v", false);
        let s = Settings {
            retry_count: Some(4),
            retry_delay_ms: 10,
            retry_jitter_ms: 0,
            ..Settings::default()
        };
        let x = acquire(&e, &Leases::default(), &spec, 1000, &s, None).await;
        assert_eq!(x.result.unwrap_err().reason, FailReason::Held);
        assert_eq!(x.attempts.len(), 5);

        let (tx, rx) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(10)).await;
            let _ = tx.send(true);
        });
        let s = Settings {
            retry_count: None,
            ..s
        };
        let x = acquire(&e, &Leases::default(), &spec, 1000, &s, Some(rx)).await;
        assert_eq!(x.result.unwrap_err().reason, FailReason::Cancelled);
        assert_eq!(x.attempts.len(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn extend_trusts_the_monotonic_expiry_unless_the_caller_invalidated_the_lock() {
        let (e, _m) = engine();
        let leases = Leases::default();
        let spec = LockSpec::new(vec!["r".into()], "v", false);
        let s = Settings {
            retry_count: Some(0),
            ..Settings::default()
        };
        assert!(acquire(&e, &leases, &spec, 1000, &s, None)
            .await
            .result
            .is_ok());
        // An old Lock instance whose expiration was zeroed: refused without I/O.
        let x = extend(&e, &leases, &spec, None, 1000, &s).await;
        let f = x.result.unwrap_err();
        assert_eq!((f.reason, f.attempts), (FailReason::Expired, 0));
        // The wall clock jumped forward: the caller's expiration looks past, the lock is not.
        let jumped = Instant::now() - Duration::from_secs(10);
        assert!(extend(&e, &leases, &spec, Some(jumped), 1000, &s)
            .await
            .result
            .is_ok());
        let x = extend(
            &e,
            &leases,
            &spec,
            Some(Instant::now() + Duration::from_secs(5)),
            2000,
            &s,
        )
        .await;
        assert!(x.result.is_ok());
    }

    #[test]
    fn messages_are_node_redlocks() {
        use FailReason::*;
        let q = QUORUM_MESSAGE;
        assert_eq!(acquire_message(Api::V5, Held, "a,b", Some(3)), q);
        assert_eq!(
            acquire_message(Api::V4, Cancelled, "a", Some(3)),
            ABORTED_MESSAGE
        );
        assert_eq!(
            acquire_message(Api::V5, Cancelled, "a", Some(3)),
            ABORTED_MESSAGE
        );
        assert_eq!(
            acquire_message(Api::V4, Unavailable, "a,b", Some(3)),
            "Exceeded 3 attempts to lock the resource \"a,b\"."
        );
        assert_eq!(
            acquire_message(Api::V4, Held, "a", None),
            "Exceeded -1 attempts to lock the resource \"a\"."
        );
        assert_eq!(
            extend_message(Api::V4, Expired, 0, "a", Some(1)),
            "Cannot extend lock on resource \"a\" because the lock has already expired."
        );
        assert_eq!(
            extend_message(Api::V5, Expired, 0, "a", Some(1)),
            "Cannot extend an already-expired lock."
        );
        // Expired after attempts were made: the retry window ran out like any other failure.
        assert_eq!(
            extend_message(Api::V4, Expired, 2, "a", Some(1)),
            "Exceeded 1 attempts to lock the resource \"a\"."
        );
        assert_eq!(extend_message(Api::V5, Held, 1, "a", Some(1)), q);
        assert_eq!(
            release_message(Api::V4, "a,b"),
            "Unable to fully release the lock on resource \"a,b\"."
        );
        assert_eq!(release_message(Api::V5, "a"), q);
    }

    #[test]
    fn attempts_remaining_is_retry_count_minus_attempts() {
        assert_eq!(attempts_remaining(Some(10), 1), 9.0);
        assert_eq!(attempts_remaining(Some(2), 1), 1.0);
        assert_eq!(attempts_remaining(Some(2), 3), -1.0);
        assert_eq!(attempts_remaining(Some(0), 1), -1.0);
        assert_eq!(attempts_remaining(None, 7), f64::INFINITY);
    }
}
