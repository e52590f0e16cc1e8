//! The restart guard of one node: who the server is (`run_id`, uptime, persistence), checked on
//! first contact and after every connection failure, and whether its grants count yet.
//!
//! A server that restarted without its data has forgotten the locks it granted; counting its
//! grants again before the longest TTL in use has passed lets a second client take a lock that
//! is still held ("delayed restarts" in the Redlock description). The check runs alongside the
//! operation that needs it (the same connection, sent first), so a first acquire is not slowed
//! by a round trip.
//!
//! Reconnects are seen through failures: the `redis` crate's `ConnectionManager` (RESP2, as
//! configured in `connect`) reconnects only after a command failed on the dropped connection,
//! and `RedisNode::run` reports every such failure here before the next command can run on the
//! new connection. A failure makes the node's grants wait for a new check.

use super::connect::AnyConn;
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::Mutex;
use tokio::time::{Duration, Instant};

/// One node's restart guard state (shared by every Redlock using the node).
pub(super) struct Guard {
    /// Connection failures seen (starts at 1: the first contact needs a check too).
    failures: AtomicU64,
    /// `failures` as it was when the last successful check started (0: never checked).
    checked: AtomicU64,
    /// The largest TTL (ms) of an acquire or extend sent to this node so far: the default guard.
    max_ttl: AtomicU64,
    facts: Mutex<Facts>,
}

#[derive(Default)]
struct Facts {
    run_id: Option<String>,
    /// When the server's guard period started (its start, rounded to its disadvantage, or our
    /// detection of its restart); `None`: nothing to wait for.
    since: Option<Instant>,
    /// The default guard (ms) when `since` was set: the largest TTL asked for before the check.
    default_guard: u64,
    /// Why, for the message.
    why: String,
}

/// What a check found.
pub(super) enum Seen {
    /// `INFO server` (and `INFO persistence`) answered.
    Server {
        run_id: String,
        uptime_s: u64,
        /// AOF with `appendfsync always` confirmed: a restart keeps every acknowledged lock.
        persistent: bool,
    },
    /// The user may not run `INFO`: the server's identity cannot be known.
    Unknown,
}

impl Guard {
    pub(super) fn new() -> Self {
        Guard {
            failures: AtomicU64::new(1),
            checked: AtomicU64::new(0),
            max_ttl: AtomicU64::new(0),
            facts: Mutex::default(),
        }
    }

    /// Called when an operation starts: the failure count to check against, if a check is due.
    pub(super) fn due(&self) -> Option<u64> {
        let f = self.failures.load(SeqCst);
        (self.checked.load(SeqCst) != f).then_some(f)
    }

    /// A connection failure: the next operation checks again, and until a check succeeds no
    /// grant of this node counts.
    pub(super) fn failed(&self) {
        self.failures.fetch_add(1, SeqCst);
    }

    /// An acquire or extend with this TTL was answered.
    pub(super) fn asked(&self, ttl_ms: u64) {
        self.max_ttl.fetch_max(ttl_ms, SeqCst);
    }

    /// Records a check that started when `failures` was `at` and was seen at `now`.
    pub(super) fn record(&self, at: u64, seen: Seen, now: Instant) {
        let mut f = self.facts.lock().unwrap_or_else(|e| e.into_inner());
        if at < self.checked.load(SeqCst) {
            // A check from before a newer one that was already recorded (possibly from the
            // connection before a reconnect): what it saw is out of date.
            return;
        }
        let first = f.run_id.is_none() && f.why.is_empty();
        let default_guard = self.max_ttl.load(SeqCst);
        match seen {
            Seen::Server {
                persistent: true,
                run_id,
                ..
            } => {
                f.run_id = Some(run_id);
                f.since = None;
                f.why = "persistent".into();
            }
            Seen::Server {
                run_id, uptime_s, ..
            } => {
                let restarted = f.run_id.as_ref().is_some_and(|r| *r != run_id);
                if restarted {
                    f.since = Some(now);
                    f.default_guard = default_guard;
                    f.why = "a new run_id (restarted, or another server took its place)".into();
                } else if first {
                    // Up longer than this clock reaches back: long enough for any guard.
                    f.since = now.checked_sub(Duration::from_secs(uptime_s));
                    f.default_guard = default_guard;
                    f.why = format!("up {uptime_s} s at first contact");
                }
                f.run_id = Some(run_id);
            }
            Seen::Unknown => {
                // Nothing tells a reconnect from a restart: every one counts as a restart, and a
                // first contact as a server that just started.
                f.since = Some(now);
                f.default_guard = default_guard;
                f.why = if first {
                    "first contact, uptime unknown (INFO not permitted)".into()
                } else {
                    "reconnected, restart unknown (INFO not permitted)".into()
                };
            }
        }
        if f.why.is_empty() {
            f.why = "checked".into();
        }
        drop(f);
        self.checked.fetch_max(at, SeqCst);
    }

    /// Why this node's grants do not count now, or `None` if they do. `guard_ms`: the Redlock's
    /// `restartGuard` (`None`: the default, the largest TTL asked for before the check).
    pub(super) fn quarantine(&self, guard_ms: Option<u64>, now: Instant) -> Option<String> {
        if guard_ms == Some(0) {
            return None;
        }
        if self.checked.load(SeqCst) != self.failures.load(SeqCst) {
            return Some(
                "quarantined: the connection failed and the restart check is pending".into(),
            );
        }
        let f = self.facts.lock().unwrap_or_else(|e| e.into_inner());
        let guard = Duration::from_millis(guard_ms.unwrap_or(f.default_guard));
        let end = f.since? + guard;
        let left = end.checked_duration_since(now).filter(|d| !d.is_zero())?;
        Some(format!(
            "quarantined: {} ({} ms ago); its grants count again in {} ms (restartGuard {} ms)",
            f.why,
            now.saturating_duration_since(f.since?).as_millis(),
            left.as_millis().max(1),
            guard.as_millis()
        ))
    }
}

/// Asks the server who it is: `INFO server`, `INFO persistence`, and when AOF is on,
/// `CONFIG GET appendfsync` (only `always` loses no acknowledged write; a user who may not
/// read the config gets the guard). A NOPERM for `INFO` is `Seen::Unknown`.
pub(super) async fn check(mut conn: AnyConn) -> redis::RedisResult<Seen> {
    let mut other = conn.clone();
    let (mut server_cmd, mut persistence_cmd) = (redis::cmd("INFO"), redis::cmd("INFO"));
    server_cmd.arg("server");
    persistence_cmd.arg("persistence");
    let (server, persistence) = futures_util::join!(
        server_cmd.query_async::<String>(&mut conn),
        persistence_cmd.query_async::<String>(&mut other)
    );
    let server = match server {
        Err(e) if e.code() == Some("NOPERM") => return Ok(Seen::Unknown),
        r => r?,
    };
    let field = |text: &str, name: &str| -> Option<String> {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
            .map(|v| v.trim().to_string())
    };
    let Some(run_id) = field(&server, "run_id") else {
        return Ok(Seen::Unknown);
    };
    let uptime_s = field(&server, "uptime_in_seconds")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let aof = persistence
        .ok()
        .is_some_and(|p| field(&p, "aof_enabled").as_deref() == Some("1"));
    let persistent = aof && {
        let r = redis::cmd("CONFIG")
            .arg("GET")
            .arg("appendfsync")
            .query_async::<Vec<String>>(&mut conn)
            .await;
        r.is_ok_and(|v| v.get(1).map(String::as_str) == Some("always"))
    };
    Ok(Seen::Server {
        run_id,
        uptime_s,
        persistent,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(run_id: &str, uptime_s: u64) -> Seen {
        Seen::Server {
            run_id: run_id.into(),
            uptime_s,
            persistent: false,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn first_contact_counts_uptime_and_the_default_guard_starts_at_zero() {
        let g = Guard::new();
        let now = Instant::now() + Duration::from_secs(100);
        assert!(g.quarantine(None, now).is_some(), "unchecked");
        g.record(g.due().unwrap(), server("a", 2), now);
        assert_eq!(g.due(), None);
        // Default: no TTL asked before the check → nothing to wait for.
        assert_eq!(g.quarantine(None, now), None);
        // Explicit 5 s: up 2 s → 3 s left.
        let m = g.quarantine(Some(5000), now).unwrap();
        assert!(m.contains("count again in 3000 ms"), "{m}");
        assert_eq!(g.quarantine(Some(5000), now + Duration::from_secs(3)), None);
        assert_eq!(g.quarantine(Some(0), now), None);
    }

    #[tokio::test(start_paused = true)]
    async fn a_new_run_id_after_a_failure_is_a_restart_from_detection() {
        let g = Guard::new();
        let t = Instant::now() + Duration::from_secs(100);
        g.record(g.due().unwrap(), server("a", 50), t);
        g.asked(4000);
        g.failed();
        assert!(g.quarantine(None, t).unwrap().contains("pending"));
        // Same server after a blip: counts.
        g.record(g.due().unwrap(), server("a", 51), t);
        assert_eq!(g.quarantine(None, t), None);
        g.failed();
        g.record(g.due().unwrap(), server("b", 0), t);
        let m = g.quarantine(None, t + Duration::from_secs(1)).unwrap();
        assert!(m.contains("new run_id") && m.contains("3000 ms"), "{m}");
        assert_eq!(g.quarantine(None, t + Duration::from_secs(4)), None);
    }

    #[tokio::test(start_paused = true)]
    async fn persistent_servers_and_unknown_identity() {
        let g = Guard::new();
        let t = Instant::now() + Duration::from_secs(100);
        g.record(g.due().unwrap(), server("a", 50), t);
        g.failed();
        let aof = Seen::Server {
            run_id: "b".into(),
            uptime_s: 0,
            persistent: true,
        };
        g.record(g.due().unwrap(), aof, t);
        assert_eq!(g.quarantine(Some(9000), t), None);
        g.failed();
        g.record(g.due().unwrap(), Seen::Unknown, t);
        let m = g.quarantine(Some(9000), t).unwrap();
        assert!(m.contains("INFO not permitted"), "{m}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_stale_check_does_not_overwrite_a_newer_one() {
        let g = Guard::new();
        let t = Instant::now() + Duration::from_secs(100);
        g.record(g.due().unwrap(), server("a", 50), t);
        let old = g.failures.load(SeqCst);
        g.failed();
        g.record(g.due().unwrap(), server("b", 0), t);
        // The older check (on the old server) answers last: ignored.
        g.record(old, server("a", 51), t);
        assert!(g.quarantine(Some(1000), t).unwrap().contains("new run_id"));
        g.failed();
        g.record(g.due().unwrap(), server("b", 1), t + Duration::from_secs(2));
        assert_eq!(
            g.quarantine(Some(1000), t + Duration::from_secs(2)),
            None,
            "same server b"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_check_that_started_before_a_failure_does_not_clear_it() {
        let g = Guard::new();
        let t = Instant::now();
        let at = g.due().unwrap();
        g.failed();
        g.record(at, server("a", 50), t);
        assert!(g.due().is_some());
        assert!(g.quarantine(None, t).is_some());
    }
}
