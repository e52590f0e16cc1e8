//! Release notifications: waiters for a resource sleep until it is released (or their retry
//! delay runs out, whichever comes first) instead of polling every `retryDelay`. Best effort:
//! a lost notification only means the waiter polls, so safety never depends on it.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

/// Who waits for which resource; nodes' listeners call [`Signals::released`].
#[derive(Default)]
pub struct Signals {
    waiting: Mutex<HashMap<String, Arc<Notify>>>,
}

/// A pending wait for the next release of any of a lock's resources. Registered when made,
/// so a release between its creation and the await is not missed.
pub struct Wait {
    signals: Arc<Signals>,
    keys: Vec<String>,
    notified: Vec<Pin<Box<tokio::sync::futures::OwnedNotified>>>,
}

impl Signals {
    pub fn wait(self: &Arc<Self>, resources: &[String]) -> Wait {
        let mut m = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        let notified = resources
            .iter()
            .map(|r| {
                let n = m.entry(r.clone()).or_default().clone();
                let mut f = Box::pin(n.notified_owned());
                // Enabled now: it is in the wait queue from here on.
                f.as_mut().enable();
                f
            })
            .collect();
        Wait {
            signals: self.clone(),
            keys: resources.to_vec(),
            notified,
        }
    }

    /// A node saw `resource` released: wake the longest-waiting local waiter (FIFO), not all
    /// of them — only one can win, and the others would just add a round each.
    pub fn released(&self, resource: &str) {
        let m = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = m.get(resource) {
            n.notify_one();
        }
    }

    /// Resources someone waits for (for tests).
    pub fn waited(&self) -> usize {
        self.waiting.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

impl Drop for Wait {
    fn drop(&mut self) {
        self.notified.clear();
        let mut m = self
            .signals
            .waiting
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        for k in &self.keys {
            // The map holds one reference; nobody else waits once that is the only one left.
            if m.get(k).is_some_and(|n| Arc::strong_count(n) == 1) {
                m.remove(k);
            }
        }
    }
}

impl Future for Wait {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        let this = self.get_mut();
        for f in this.notified.iter_mut() {
            if f.as_mut().poll(cx).is_ready() {
                return std::task::Poll::Ready(());
            }
        }
        std::task::Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn a_release_wakes_a_wait_made_before_it() {
        let s = Arc::new(Signals::default());
        let w = s.wait(&["a".into(), "b".into()]);
        s.released("b"); // before anyone awaits
        tokio::time::timeout(Duration::from_secs(1), w)
            .await
            .expect("woken");
        assert_eq!(s.waited(), 0, "entries go with the last waiter");
    }

    #[tokio::test]
    async fn other_resources_do_not_wake() {
        let s = Arc::new(Signals::default());
        let w = s.wait(&["a".into()]);
        s.released("z");
        assert!(tokio::time::timeout(Duration::from_millis(50), w)
            .await
            .is_err());
        assert_eq!(s.waited(), 0);
    }
}
