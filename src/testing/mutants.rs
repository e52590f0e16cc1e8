//! Test-only bugs, one at a time, to prove that the suites against real servers catch them
//! (`npm run mutants`). Only built with the cargo feature `mutants` (never in the shipped
//! addon); then `REDLOCK_RS_MUTANT=<name>` picks the bug. Every bug is chosen when an object is
//! built, never per operation: the engine's are rules swapped in when an `Engine` is built
//! ([`engine_rules`]); a Redis node's are scripts (or its release listener) swapped in when the
//! node is built (`backend::redis::mutants`); the napi layer's are chosen when a Redlock or a
//! client is built (`js::mutants`); the keeper's when a keeper is built ([`keep_options`]).

use crate::api::keeper::KeepOptions;
use crate::backend::Vote;
use crate::engine::Rules;
use std::time::Duration;
use tokio::sync::Notify;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mutant {
    /// Accept a quorum even when the validity ran out.
    NoValidityCheck,
    /// Measure validity from the moment the replies arrived, not from the request.
    ValidityFromReply,
    /// Release with a plain `DEL`, without comparing the value.
    PlainDelRelease,
    /// `floor(N/2)` votes are enough.
    FloorQuorum,
    /// Extend without the local expiry check and without comparing the value.
    ExtendWithoutOwnerCheck,
    /// Roll back only on nodes that said yes (not on timed-out or failed ones).
    RollbackYesOnly,
    /// No per-node timeout on acquire and extend: wait for every node as long as it takes.
    NoNodeTimeout,
    /// The release script deletes without announcing it (no `PUBLISH`).
    NoReleaseAnnouncement,
    /// One release wakes every local waiter for the resource, not the longest-waiting one.
    WakeEveryWaiter,
    /// `["a", "a"]` stays two keys.
    KeepDuplicateResources,
    /// The caller's custom scripts are dropped: the built-in ones run (Rust only ever sees
    /// scripts as strings, so this covers the string form and the function form alike).
    IgnoreCustomScripts,
    /// A failed extend to a shorter duration leaves the lock's end where it was.
    NoExpirationLowering,
    /// URL clients are keyed in `ExecutionStats` by their URL with the password.
    StatsRawUrl,
    /// No per-node timeout on release: wait for every node as long as it takes.
    NoReleaseTimeout,
    /// `using()`'s keeper never extends the lock.
    KeeperNeverExtends,
    /// Nodes never listen for release announcements: waiters only poll.
    NoReleaseListener,
    /// A release does not hand the resource to this process's next waiter.
    NoHandOver,
    /// Fencing in one round: the fenced acquire increments each node's counters on its own
    /// and the write-back is skipped (tokens are then not monotonic, `docs/fencing.md`).
    FenceWithoutWriteBack,
}

impl Mutant {
    /// Every mutant, by the name `REDLOCK_RS_MUTANT` takes (and `npm run mutants` reads from
    /// the build, through `mutantNames()`).
    pub const ALL: [(&'static str, Mutant); 18] = [
        ("no-validity-check", Mutant::NoValidityCheck),
        ("validity-from-reply", Mutant::ValidityFromReply),
        ("plain-del-release", Mutant::PlainDelRelease),
        ("floor-quorum", Mutant::FloorQuorum),
        (
            "extend-without-owner-check",
            Mutant::ExtendWithoutOwnerCheck,
        ),
        ("rollback-yes-only", Mutant::RollbackYesOnly),
        ("no-node-timeout", Mutant::NoNodeTimeout),
        ("no-release-announcement", Mutant::NoReleaseAnnouncement),
        ("wake-every-waiter", Mutant::WakeEveryWaiter),
        ("keep-duplicate-resources", Mutant::KeepDuplicateResources),
        ("ignore-custom-scripts", Mutant::IgnoreCustomScripts),
        ("no-expiration-lowering", Mutant::NoExpirationLowering),
        ("stats-raw-url", Mutant::StatsRawUrl),
        ("no-release-timeout", Mutant::NoReleaseTimeout),
        ("keeper-never-extends", Mutant::KeeperNeverExtends),
        ("no-release-listener", Mutant::NoReleaseListener),
        ("no-hand-over", Mutant::NoHandOver),
        ("fence-without-write-back", Mutant::FenceWithoutWriteBack),
    ];
}

/// The mutant named by `REDLOCK_RS_MUTANT`, if any (read once).
pub fn chosen() -> Option<Mutant> {
    use std::sync::OnceLock;
    static CHOSEN: OnceLock<Option<Mutant>> = OnceLock::new();
    *CHOSEN.get_or_init(|| {
        let name = std::env::var("REDLOCK_RS_MUTANT").ok()?;
        Mutant::ALL
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, m)| *m)
    })
}

/// Whether `m` is the chosen mutant (for the parts built outside the engine).
pub fn active(m: Mutant) -> bool {
    chosen() == Some(m)
}

/// Redlock's rules with the chosen mutant's bug swapped in (the other mutants change nothing
/// here).
pub fn engine_rules() -> Rules {
    mutate(Rules::default(), chosen())
}

/// `keeper-never-extends`: a keeper built with no extension allowed (the lock ends at its
/// first expiry).
pub fn keep_options(opts: KeepOptions) -> KeepOptions {
    if active(Mutant::KeeperNeverExtends) {
        KeepOptions {
            max_extensions: Some(0),
            ..opts
        }
    } else {
        opts
    }
}

fn mutate(rules: Rules, m: Option<Mutant>) -> Rules {
    match m {
        Some(Mutant::NoValidityCheck) => Rules {
            valid: |_| true,
            ..rules
        },
        Some(Mutant::ValidityFromReply) => Rules {
            validity_start: |_, t1| t1,
            ..rules
        },
        Some(Mutant::FloorQuorum) => Rules {
            quorum: |n| if n >= 2 { n / 2 } else { n / 2 + 1 },
            ..rules
        },
        // The backend part of this mutant (extend without comparing the value) is the Redis
        // node's.
        Some(Mutant::ExtendWithoutOwnerCheck) => Rules {
            lease_ended: |_, _| false,
            ..rules
        },
        Some(Mutant::RollbackYesOnly) => Rules {
            rollback: |v, failed| *v == Vote::Yes && failed,
            ..rules
        },
        Some(Mutant::NoNodeTimeout) => Rules {
            node_timeout: |_, _| Duration::from_secs(3600),
            ..rules
        },
        Some(Mutant::WakeEveryWaiter) => Rules {
            wake: Notify::notify_waiters,
            ..rules
        },
        Some(Mutant::NoExpirationLowering) => Rules {
            lowers_end: |_, _| false,
            ..rules
        },
        Some(Mutant::NoReleaseTimeout) => Rules {
            release_timeout: |_| Duration::from_secs(3600),
            ..rules
        },
        Some(Mutant::NoHandOver) => Rules {
            hand_over: |_| false,
            ..rules
        },
        // The backend part (the acquire increments on its own) is the Redis node's.
        Some(Mutant::FenceWithoutWriteBack) => Rules {
            write_back: false,
            ..rules
        },
        Some(
            Mutant::PlainDelRelease
            | Mutant::NoReleaseAnnouncement
            | Mutant::KeepDuplicateResources
            | Mutant::IgnoreCustomScripts
            | Mutant::StatsRawUrl
            | Mutant::KeeperNeverExtends
            | Mutant::NoReleaseListener,
        )
        | None => rules,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each engine mutant swaps exactly one rule, the others none, and no mutant leaves
    /// Redlock's rules wrong by accident.
    #[test]
    fn each_engine_mutant_changes_its_rule() {
        let d = Rules::default();
        let t0 = tokio::time::Instant::now();
        let t1 = t0 + Duration::from_millis(5);
        let s = crate::algo::settings::Settings::default();
        let woken = crate::signals::woken_of_two;
        for (name, m) in Mutant::ALL {
            let r = mutate(d, Some(m));
            let changed = [
                (r.quorum)(4) != (d.quorum)(4),
                (r.valid)(0) != (d.valid)(0),
                (r.validity_start)(t0, t1) != (d.validity_start)(t0, t1),
                (r.rollback)(&Vote::Timeout, true) != (d.rollback)(&Vote::Timeout, true),
                (r.lease_ended)(t1, t1) != (d.lease_ended)(t1, t1),
                (r.node_timeout)(&s, 1000) != (d.node_timeout)(&s, 1000),
                (r.release_timeout)(&s) != (d.release_timeout)(&s),
                (r.lowers_end)(t0, t1) != (d.lowers_end)(t0, t1),
                woken(r.wake) != woken(d.wake),
                (r.hand_over)(1) != (d.hand_over)(1),
                r.write_back != d.write_back,
            ];
            let expected = match m {
                Mutant::PlainDelRelease
                | Mutant::NoReleaseAnnouncement
                | Mutant::KeepDuplicateResources
                | Mutant::IgnoreCustomScripts
                | Mutant::StatsRawUrl
                | Mutant::KeeperNeverExtends
                | Mutant::NoReleaseListener => 0,
                _ => 1,
            };
            assert_eq!(changed.iter().filter(|c| **c).count(), expected, "{name}");
        }
    }

    /// Names are unique and each names its own mutant.
    #[test]
    fn names_are_unique() {
        let mut names: Vec<_> = Mutant::ALL.iter().map(|(n, _)| *n).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Mutant::ALL.len());
    }
}
