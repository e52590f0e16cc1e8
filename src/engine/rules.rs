//! The rules the engine decides by, as data: `Rules::default()` is Redlock. Test builds with
//! the `mutants` feature swap one rule for a bug when the engine is built
//! (`crate::testing::mutants`); the paths users run only ever call these functions.

use crate::algo::quorum::quorum_of;
use crate::algo::settings::Settings;
use crate::backend::Vote;
use std::time::Duration;
use tokio::sync::Notify;
use tokio::time::Instant;

/// Whether an acquire's vote must be undone on that node; `failed`: the attempt failed.
pub type RollbackRule = fn(&Vote, bool) -> bool;

#[derive(Clone, Copy, Debug)]
pub struct Rules {
    /// Votes needed out of `n` nodes.
    pub quorum: fn(usize) -> usize,
    /// The per-node timeout of an operation with this TTL.
    pub node_timeout: fn(&Settings, u64) -> Duration,
    /// Where validity starts, given when the requests left (`t0`) and when the verdict was
    /// reached (`t1`).
    pub validity_start: fn(Instant, Instant) -> Instant,
    /// Whether a quorum with this much validity left (ms, may be negative) is a lock.
    pub valid: fn(i128) -> bool,
    pub rollback: RollbackRule,
    /// Whether a lock valid until `expires_at` has run out `now` (an extend is then refused
    /// locally, without I/O).
    pub lease_ended: fn(Instant, Instant) -> bool,
    /// The per-node timeout of a release (it has no TTL to derive one from).
    pub release_timeout: fn(&Settings) -> Duration,
    /// Whether the end `new_end` that a failed extend may have left on some node (a shorter
    /// TTL) lowers the lock's end `end`.
    pub lowers_end: fn(Instant, Instant) -> bool,
    /// How one release of a resource wakes this process's waiters for it.
    pub wake: fn(&Notify),
    /// Whether a release at this attempt hands the resource to this process's longest-waiting
    /// waiter as soon as its requests are sent.
    pub hand_over: fn(u64) -> bool,
    /// Whether a fenced acquire writes its token back to the nodes (its second round) before
    /// it grants the lock; without it tokens are not monotonic (`docs/fencing.md`).
    pub write_back: bool,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            quorum: quorum_of,
            node_timeout: Settings::node_timeout,
            validity_start: |t0, _| t0,
            valid: |validity_ms| validity_ms > 0,
            rollback: needs_rollback,
            lease_ended: |now, expires_at| now >= expires_at,
            release_timeout: Settings::release_timeout,
            lowers_end: |new_end, end| new_end < end,
            // The longest-waiting one (FIFO): only one can win, the others would only add a
            // round each.
            wake: Notify::notify_one,
            // Once: later announcements of the same release are ignored anyway.
            hand_over: |attempt| attempt == 1,
            write_back: true,
        }
    }
}

/// The restart guard: a grant counts only while the node is not quarantined (it may have
/// restarted without the locks it granted); otherwise it is a `Quarantined` vote that says why.
pub(super) fn guarded(node: &dyn crate::backend::Backend, v: Vote, guard_ms: Option<u64>) -> Vote {
    if v != Vote::Yes {
        return v;
    }
    match node.quarantine(guard_ms) {
        Some(why) => Vote::Quarantined(why),
        None => v,
    }
}

/// A grant when the attempt failed; an error, which may have left part of a multi-key write,
/// likewise; and a timeout always, since the write may still land (on the same connection, so
/// the rollback comes after it).
fn needs_rollback(v: &Vote, failed: bool) -> bool {
    match v {
        Vote::Yes | Vote::Error(_) | Vote::Quarantined(_) => failed,
        Vote::Timeout => true,
        // Nothing was written; `Own` must never be deleted by a rollback.
        Vote::No | Vote::Own => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::NodeError;

    #[test]
    fn rollback_undoes_what_a_failed_attempt_may_have_written() {
        let r = Rules::default().rollback;
        let err = Vote::Error(NodeError("x".into()));
        // (vote, undone when the attempt failed, undone when it succeeded)
        for (v, failed, won) in [
            (Vote::Yes, true, false),
            (err, true, false),
            (Vote::Timeout, true, true),
            (Vote::No, false, false),
            (Vote::Own, false, false),
        ] {
            assert_eq!((r(&v, true), r(&v, false)), (failed, won), "{v:?}");
        }
    }

    #[test]
    fn defaults_are_redlock() {
        let r = Rules::default();
        assert_eq!((1..=5).map(r.quorum).collect::<Vec<_>>(), [1, 2, 2, 3, 3]);
        assert!(!(r.valid)(0) && (r.valid)(1));
        let t0 = Instant::now();
        let t1 = t0 + Duration::from_millis(5);
        assert_eq!((r.validity_start)(t0, t1), t0);
        assert!((r.lease_ended)(t1, t1) && !(r.lease_ended)(t0, t1));
        let s = Settings::default();
        assert_eq!((r.node_timeout)(&s, 2_000), s.node_timeout(2_000));
        assert_eq!((r.release_timeout)(&s), Duration::from_millis(500));
        assert!((r.lowers_end)(t0, t1) && !(r.lowers_end)(t1, t0) && !(r.lowers_end)(t1, t1));
        assert!((r.hand_over)(1) && !(r.hand_over)(2));
        assert_eq!(crate::signals::woken_of_two(r.wake), 1);
        assert!(r.write_back);
    }
}
