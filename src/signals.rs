//! Release notifications: waiters for a resource sleep until it is released (or their retry
//! delay runs out, whichever comes first) instead of polling every `retryDelay`. Best effort:
//! a lost notification only means the waiter polls, so safety never depends on it.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

/// Names one release in announcements without revealing the lock value (which would let a
/// Pub/Sub listener release or extend the lock): 64 bits of a keyed hash of the value. Equal for
/// every node and every retry of the same release.
pub fn release_tag(value: &str) -> String {
    String::from_utf8_lossy(&release_tag_bytes(value)).into_owned()
}

/// `release_tag` without an allocation (it is sent with every release, to every node).
pub fn release_tag_bytes(value: &str) -> [u8; 16] {
    use std::hash::{BuildHasher, BuildHasherDefault};
    let h = BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default()
        .hash_one(("redlock-rs release", value));
    let mut out = [0u8; 16];
    for (i, b) in out.iter_mut().enumerate() {
        *b = b"0123456789abcdef"[((h >> (60 - 4 * i)) & 0xf) as usize];
    }
    out
}

/// Who waits for which resource; nodes' listeners call [`Signals::released`].
pub struct Signals {
    waiting: Mutex<HashMap<String, Arc<Notify>>>,
    /// How one release wakes the waiters of its resource (`Notify::notify_one`: the
    /// longest-waiting one).
    wake: fn(&Notify),
    /// Announcements counted by resource and release tag: each of the N nodes announces the
    /// same release, and this process's own releases are acted on before any node's
    /// announcement arrives. One release must wake one waiter, not N.
    seen: Mutex<Seen>,
    /// Until when this process's waiting markers for a resource last on the nodes (see
    /// [`Signals::should_mark`]).
    marked: Mutex<HashMap<String, std::time::Instant>>,
    /// Announcements of one release that wake a waiter: a quorum. A waiter woken by the first
    /// node's announcement would often find the release not yet done on the others (a releaser
    /// that reached one server first) and then sleep its whole retry delay.
    quorum: usize,
}

impl Default for Signals {
    fn default() -> Self {
        Signals::new(1, Notify::notify_one)
    }
}

/// How many of two waiters one `wake` wakes (for tests of the wake rule).
#[cfg(test)]
pub(crate) fn woken_of_two(wake: fn(&Notify)) -> usize {
    use futures_util::FutureExt;
    let n = Notify::new();
    let mut a = std::pin::pin!(n.notified());
    let mut b = std::pin::pin!(n.notified());
    a.as_mut().enable();
    b.as_mut().enable();
    wake(&n);
    [a.now_or_never().is_some(), b.now_or_never().is_some()]
        .iter()
        .filter(|w| **w)
        .count()
}

/// The most recent releases seen, with how many nodes announced each (bounded).
#[derive(Default)]
struct Seen {
    counts: HashMap<(String, String), usize>,
    order: VecDeque<(String, String)>,
}

/// Releases remembered for deduplication; announcements of one release arrive within
/// milliseconds of each other, so a few thousand recent ones are plenty.
const SEEN_CAP: usize = 4096;

impl Seen {
    /// Adds `n` announcements of a (resource, tag); returns how many there were before.
    fn add(&mut self, resource: &str, tag: &str, n: usize) -> usize {
        let k = (resource.to_string(), tag.to_string());
        if let Some(c) = self.counts.get_mut(&k) {
            let before = *c;
            *c = c.saturating_add(n);
            return before;
        }
        if self.order.len() >= SEEN_CAP {
            if let Some(old) = self.order.pop_front() {
                self.counts.remove(&old);
            }
        }
        self.counts.insert(k.clone(), n);
        self.order.push_back(k);
        0
    }
}

/// A pending wait for the next release of any of a lock's resources. Registered when made,
/// so a release between its creation and the await is not missed.
pub struct Wait {
    signals: Arc<Signals>,
    keys: Vec<String>,
    notified: Vec<Pin<Box<tokio::sync::futures::OwnedNotified>>>,
}

impl Signals {
    /// Signals for `quorum`-of-N voting: a release wakes a waiter once `quorum` nodes announced
    /// it. `wake`: how one release wakes the waiters of its resource (see `engine::Rules::wake`).
    pub fn new(quorum: usize, wake: fn(&Notify)) -> Self {
        Signals {
            waiting: Mutex::default(),
            wake,
            marked: Mutex::default(),
            seen: Mutex::default(),
            quorum: quorum.max(1),
        }
    }

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

    /// A node announced that `resource` was released with release tag `tag` (see
    /// [`release_tag`]; empty from older releasers): once a quorum of nodes announced the same
    /// release, wake the longest-waiting local waiter (FIFO), not all of them — only one can
    /// win, and the others would just add a round each (the `wake` this was built with). Later
    /// announcements are ignored.
    pub fn released(&self, resource: &str, tag: &str) {
        if !tag.is_empty() {
            let before = self
                .seen
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .add(resource, tag, 1);
            if before.saturating_add(1) != self.quorum {
                return;
            }
        }
        self.wake(resource);
    }

    /// This process released `resource` (release tag `tag`) and its requests are on their
    /// way: wake the next local waiter now (its acquire follows on the same connections);
    /// the nodes' announcements of this release are then ignored.
    pub fn released_here(&self, resource: &str, tag: &str) {
        let before =
            self.seen
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .add(resource, tag, usize::MAX);
        if before < self.quorum {
            self.wake(resource);
        }
    }

    /// A waiter waits up to `wait` for a release of `resources`: whether the nodes need a
    /// (new) waiting marker, one that lasts `ttl` (≥ `wait`). A marker still good for the
    /// whole wait is not sent again, so a busy resource costs a marker now and then, not one
    /// per wait.
    pub fn should_mark(
        &self,
        resources: &[String],
        wait: std::time::Duration,
        ttl: std::time::Duration,
    ) -> bool {
        let now = std::time::Instant::now();
        let mut m = self.marked.lock().unwrap_or_else(|e| e.into_inner());
        if resources
            .iter()
            .all(|r| m.get(r).is_some_and(|t| *t >= now + wait))
        {
            return false;
        }
        if m.len() >= SEEN_CAP {
            m.retain(|_, t| *t > now);
        }
        // Counted from before the marker is sent: it lasts at least that long on the nodes.
        for r in resources {
            m.insert(r.clone(), now + ttl);
        }
        true
    }

    /// A waiting marker landed after a release it did not see: wake the longest-waiting waiter
    /// of `resource` as its announcement would have.
    pub fn missed(&self, resource: &str) {
        self.wake(resource);
    }

    fn wake(&self, resource: &str) {
        let m = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = m.get(resource) {
            (self.wake)(n);
        }
    }

    /// Whether someone in this process already waits for one of `resources`: a newcomer
    /// queues behind them instead of jumping the queue.
    pub fn has_waiters(&self, resources: &[String]) -> bool {
        let m = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        !m.is_empty() && resources.iter().any(|r| m.contains_key(r))
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
    #[tokio::test]
    async fn one_release_announced_by_several_nodes_wakes_one_waiter() {
        let s = Arc::new(Signals::new(2, Notify::notify_one));
        let mut a = Box::pin(s.wait(&["r".into()]));
        let mut b = Box::pin(s.wait(&["r".into()]));
        s.released("r", "t1");
        assert!(
            tokio::time::timeout(Duration::from_millis(50), &mut a)
                .await
                .is_err(),
            "one announcement of three nodes is not a quorum"
        );
        for _ in 0..2 {
            s.released("r", "t1");
        }
        tokio::time::timeout(Duration::from_secs(1), &mut a)
            .await
            .expect("the first waiter is woken");
        assert!(
            tokio::time::timeout(Duration::from_millis(50), &mut b)
                .await
                .is_err(),
            "the same release woke a second waiter"
        );
        assert!(s.has_waiters(&["r".into()]));
        s.released("r", "t2");
        s.released("r", "t2");
        tokio::time::timeout(Duration::from_secs(1), &mut b)
            .await
            .expect("the next release wakes the next waiter");
    }

    #[tokio::test]
    async fn a_release_by_this_process_wakes_at_once_and_its_announcements_are_ignored() {
        let s = Arc::new(Signals::new(2, Notify::notify_one));
        let mut a = Box::pin(s.wait(&["r".into()]));
        let mut b = Box::pin(s.wait(&["r".into()]));
        s.released_here("r", "t1");
        tokio::time::timeout(Duration::from_secs(1), &mut a)
            .await
            .expect("the hand-over wakes the first waiter");
        for _ in 0..3 {
            s.released("r", "t1");
        }
        assert!(
            tokio::time::timeout(Duration::from_millis(50), &mut b)
                .await
                .is_err(),
            "the nodes' announcements of the same release woke a second waiter"
        );
    }

    use super::*;

    #[test]
    fn release_tags_are_stable_hex_and_do_not_contain_the_value() {
        let t = release_tag("0123456789abcdef0123456789abcdef");
        assert_eq!(t.len(), 16);
        assert!(t
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert_eq!(t, release_tag("0123456789abcdef0123456789abcdef"));
        assert_ne!(t, release_tag("0123456789abcdef0123456789abcdee"));
        assert!(!"0123456789abcdef0123456789abcdef".contains(&t));
    }
    use std::time::Duration;

    #[tokio::test]
    async fn a_release_wakes_a_wait_made_before_it() {
        let s = Arc::new(Signals::default());
        let w = s.wait(&["a".into(), "b".into()]);
        s.released("b", ""); // before anyone awaits
        tokio::time::timeout(Duration::from_secs(1), w)
            .await
            .expect("woken");
        assert_eq!(s.waited(), 0, "entries go with the last waiter");
    }

    #[test]
    fn a_marker_is_sent_again_only_when_it_would_not_cover_the_wait() {
        let s = Signals::default();
        let (wait, ttl) = (Duration::from_millis(300), Duration::from_secs(1));
        assert!(
            s.should_mark(&["a".into()], wait, ttl),
            "first wait: marker"
        );
        assert!(
            !s.should_mark(&["a".into()], wait, ttl),
            "covered: no marker"
        );
        assert!(
            s.should_mark(&["a".into(), "b".into()], wait, ttl),
            "b has no marker yet"
        );
        assert!(
            s.should_mark(&["a".into()], Duration::from_secs(2), ttl),
            "a longer wait than the marker lasts: marker again"
        );
    }

    #[tokio::test]
    async fn other_resources_do_not_wake() {
        let s = Arc::new(Signals::default());
        let w = s.wait(&["a".into()]);
        s.released("z", "");
        assert!(tokio::time::timeout(Duration::from_millis(50), w)
            .await
            .is_err());
        assert_eq!(s.waited(), 0);
    }
}
