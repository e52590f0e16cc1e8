//! `mutants::active(Mutant::X)`, as the Redis backend asks it today: the real choice with
//! the cargo feature `mutants` (see `testing::mutants`), a constant `false` without it.
//! Delete this shim once the backend asks only in code built with the feature.

#[cfg(feature = "mutants")]
pub use crate::testing::mutants::{active, Mutant};

/// The backend's mutants (their meaning: `testing::mutants`).
#[cfg(not(feature = "mutants"))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mutant {
    PlainDelRelease,
    ExtendWithoutOwnerCheck,
}

#[cfg(not(feature = "mutants"))]
#[inline(always)]
pub fn active(_: Mutant) -> bool {
    false
}
