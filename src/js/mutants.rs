//! Test builds only (cargo feature `mutants`): the napi layer's injected bugs, chosen when a
//! Redlock or a client is built (see `crate::testing::mutants`), so no call looks at them.

use super::args::{self, ResourceList};
use crate::algo::settings::ArgError;
use crate::backend::redis::scripts::CustomScripts;
use crate::backend::redis::NodeConfig;
use crate::mutants::{active, Mutant};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use std::sync::Arc;

/// The names of the mutants this build can inject (`REDLOCK_RS_MUTANT`), for
/// `npm run mutants`.
// Registered with N-API; unused from Rust (and so dead in `cargo test` builds).
#[cfg_attr(test, allow(dead_code))]
#[napi]
pub fn mutant_names() -> Vec<String> {
    Mutant::ALL.iter().map(|(n, _)| n.to_string()).collect()
}

/// `keep-duplicate-resources`: every resource as listed, duplicates included.
fn with_duplicates(
    v: &Unknown,
    name: &str,
) -> std::result::Result<(Vec<String>, Option<String>), ArgError> {
    args::resources_listed(v, name).map(|list| (list, None))
}

pub(super) fn resource_list(chosen: ResourceList) -> ResourceList {
    if active(Mutant::KeepDuplicateResources) {
        with_duplicates
    } else {
        chosen
    }
}

/// `ignore-custom-scripts`: the caller's scripts are dropped (still shown by
/// `redlock.scripts`); every node runs the built-in ones.
pub(super) fn custom_scripts(custom: Option<Arc<CustomScripts>>) -> Option<Arc<CustomScripts>> {
    if active(Mutant::IgnoreCustomScripts) {
        None
    } else {
        custom
    }
}

/// `stats-raw-url`: a URL client is keyed in `ExecutionStats` by its URL with the password.
pub(super) fn stat_key(redacted: String, config: &NodeConfig) -> String {
    match &config.password {
        Some(p) if active(Mutant::StatsRawUrl) => redacted.replacen("***", p, 1),
        _ => redacted,
    }
}
