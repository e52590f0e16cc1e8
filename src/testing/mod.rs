//! Test-only support compiled only with the cargo feature `mutants` (never in the shipped
//! addon).

pub mod mutants;
