//! Test-only bugs, one at a time, to prove that the safety tests catch them. Only built with
//! the cargo feature `mutants` (never in the shipped addon); then `REDLOCK_RS_MUTANT=<name>`
//! picks the bug. Without the feature every check is a constant `false`.

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

#[cfg(feature = "mutants")]
pub fn active(m: Mutant) -> bool {
    use std::sync::OnceLock;
    static CHOSEN: OnceLock<Option<Mutant>> = OnceLock::new();
    *CHOSEN.get_or_init(|| {
        let name = std::env::var("REDLOCK_RS_MUTANT").ok()?;
        Mutant::ALL
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, m)| *m)
    }) == Some(m)
}

#[cfg(not(feature = "mutants"))]
#[inline(always)]
pub fn active(_: Mutant) -> bool {
    false
}
