//! The algorithm's pure parts: settings and their validation, quorum and the early-decision
//! rule, validity and drift, retry delays, lock values, Cluster hash slots. No I/O, no Node.js.

pub mod fence;
pub mod quorum;
pub mod retry;
pub mod settings;
pub mod slot;
pub mod validity;
pub mod value;
