//! Per-value ordering of node work. Per node, the operations of one lock value are chained:
//! an operation's request to a node goes out only after the work an earlier operation for the
//! same value left running on that node (a late reply, a rollback) has finished, each link
//! bounded by the per-node timeout. So a release is never overtaken by its own acquire's late
//! write, nor a new acquire by an old cleanup.

use std::collections::HashMap;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// Done (or gone) once the sender is dropped: the end of a node's background work for a value.
pub(super) type Link = oneshot::Receiver<()>;

/// One link per node (`None`: nothing running there).
type Links = Vec<Option<Link>>;

/// The links earlier operations left running, by lock value.
#[derive(Default)]
pub(super) struct Chains(Mutex<HashMap<Arc<str>, Links>>);

impl Chains {
    /// Holds the chain of `value` (over `nodes` nodes) for one operation; it is given back
    /// when the guard drops, on every exit.
    pub(super) fn take(&self, value: &Arc<str>, nodes: usize) -> ChainGuard<'_> {
        let mut m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let links = m
            .remove(value)
            .unwrap_or_else(|| (0..nodes).map(|_| None).collect());
        ChainGuard {
            chains: self,
            value: value.clone(),
            links,
        }
    }

    /// Keeps the chain for the next operation with this value while some of its work runs.
    fn put(&self, value: &Arc<str>, mut links: Links) {
        if !running(&mut links) {
            return;
        }
        let mut m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        // Chains whose work all ended are dropped as the map grows: it stays bounded by the
        // work in flight (each bounded by the per-node timeout).
        if m.len() >= 64 && m.len().is_power_of_two() {
            m.retain(|_, c| running(c));
        }
        m.insert(value.clone(), links);
    }

    /// Chains kept for later operations.
    pub(super) fn len(&self) -> usize {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

/// Whether any link still runs; forgets the ones that ended.
fn running(c: &mut Links) -> bool {
    let mut any = false;
    for link in c.iter_mut() {
        match link.as_mut().map(|rx| rx.try_recv()) {
            Some(Err(oneshot::error::TryRecvError::Empty)) => any = true,
            _ => *link = None,
        }
    }
    any
}

/// One value's chain, held by a running operation.
pub(super) struct ChainGuard<'a> {
    chains: &'a Chains,
    value: Arc<str>,
    links: Links,
}

impl Deref for ChainGuard<'_> {
    type Target = [Option<Link>];
    fn deref(&self) -> &Self::Target {
        &self.links
    }
}

impl DerefMut for ChainGuard<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.links
    }
}

impl Drop for ChainGuard<'_> {
    fn drop(&mut self) {
        self.chains
            .put(&self.value, std::mem::take(&mut self.links));
    }
}
