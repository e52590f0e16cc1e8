//! Test-only bugs, one at a time, to prove that the safety tests catch them. Only built with
//! the cargo feature `mutants` (never in the shipped addon); then `REDLOCK_RS_MUTANT=<name>`
//! picks the bug. The engine's mutants are rules swapped in when an `Engine` is built
//! ([`engine_rules`]); nothing is decided per operation.

use crate::backend::Vote;
use crate::engine::Rules;
use std::time::Duration;

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
    /// No per-node timeout: wait for every node as long as it takes.
    NoNodeTimeout,
}

impl Mutant {
    pub const ALL: [(&'static str, Mutant); 7] = [
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

/// Whether `m` is the chosen mutant (for backends, when a node is built).
pub fn active(m: Mutant) -> bool {
    chosen() == Some(m)
}

/// Redlock's rules with the chosen mutant's bug swapped in (backend mutants change nothing
/// here).
pub fn engine_rules() -> Rules {
    mutate(Rules::default(), chosen())
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
        Some(Mutant::PlainDelRelease) | None => rules,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each engine mutant swaps exactly one rule, and no mutant leaves Redlock's rules wrong
    /// by accident.
    #[test]
    fn each_engine_mutant_changes_its_rule() {
        let d = Rules::default();
        let t0 = tokio::time::Instant::now();
        let t1 = t0 + Duration::from_millis(5);
        let s = crate::algo::settings::Settings::default();
        for (name, m) in Mutant::ALL {
            let r = mutate(d, Some(m));
            let changed = [
                (r.quorum)(4) != (d.quorum)(4),
                (r.valid)(0) != (d.valid)(0),
                (r.validity_start)(t0, t1) != (d.validity_start)(t0, t1),
                (r.rollback)(&Vote::Timeout, true) != (d.rollback)(&Vote::Timeout, true),
                (r.lease_ended)(t1, t1) != (d.lease_ended)(t1, t1),
                (r.node_timeout)(&s, 1000) != (d.node_timeout)(&s, 1000),
            ];
            let expected = match m {
                Mutant::PlainDelRelease => 0,
                _ => 1,
            };
            assert_eq!(changed.iter().filter(|c| **c).count(), expected, "{name}");
        }
    }
}
