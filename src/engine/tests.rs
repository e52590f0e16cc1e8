//! Engine unit tests over the in-memory backend. Time is tokio's paused clock, so timeouts and
//! retry delays run instantly and deterministically.

use super::*;
use crate::algo::quorum::FailReason;
use crate::algo::settings::SettingsInput;
use crate::backend::memory::{MemoryBackend, MemoryNode};
use std::sync::atomic::Ordering;
use tokio::sync::watch;

const TTL: u64 = 1000;

fn cluster(n: usize) -> (Engine, Vec<Arc<MemoryNode>>) {
    let nodes: Vec<Arc<MemoryNode>> = (0..n)
        .map(|i| MemoryNode::new(&format!("mem{i}")))
        .collect();
    let backends = nodes
        .iter()
        .map(|m| Arc::new(MemoryBackend(m.clone())) as Arc<dyn Backend>)
        .collect();
    (Engine::new(backends), nodes)
}

fn spec(value: &str) -> LockSpec {
    LockSpec::new(vec!["res".to_string()], value, false)
}

fn settings(retry_count: f64) -> Settings {
    Settings::default()
        .with(&SettingsInput {
            retry_count: Some(retry_count),
            retry_delay: Some(200.0),
            retry_jitter: Some(100.0),
            node_timeout: Some(100.0),
            ..Default::default()
        })
        .unwrap()
}

/// Lets background tasks (late cleanups) run to completion on the paused clock.
async fn settle() {
    tokio::time::sleep(Duration::from_secs(5)).await;
}

#[derive(Clone, Copy, Debug)]
enum State {
    Free,
    Held,
    Failing,
    Paused,
}

/// Every mix of node states for N = 1…5 (free / held by another / failing / paused):
/// the outcome follows the quorum rule, and a failed attempt leaves no key of ours anywhere.
#[tokio::test(start_paused = true)]
async fn every_mix_of_node_states_for_n_1_to_5() {
    let states = [State::Free, State::Held, State::Failing, State::Paused];
    for n in 1..=5usize {
        for code in 0..4usize.pow(n as u32) {
            let mix: Vec<State> = (0..n)
                .map(|i| states[(code / 4usize.pow(i as u32)) % 4])
                .collect();
            let (engine, nodes) = cluster(n);
            for (node, st) in nodes.iter().zip(&mix) {
                match st {
                    State::Free => {}
                    State::Held => node.put("res", "other", Duration::from_secs(60)),
                    State::Failing => node.set_failing(true),
                    State::Paused => node.set_paused(true),
                }
            }
            let free = mix.iter().filter(|s| matches!(s, State::Free)).count();
            let held = mix.iter().filter(|s| matches!(s, State::Held)).count();
            let q = n / 2 + 1;
            let started = Instant::now();
            let r = engine
                .acquire(&spec("mine"), TTL, &settings(0.0), None, |_| {})
                .await;
            assert!(
                started.elapsed() <= Duration::from_millis(200),
                "{mix:?} took too long"
            );
            match r {
                Ok(g) => {
                    assert!(free >= q, "{mix:?} granted without a quorum");
                    assert_eq!(g.attempts, 1);
                    let holding = nodes
                        .iter()
                        .filter(|m| m.get("res").as_deref() == Some("mine"))
                        .count();
                    assert!(holding >= q, "{mix:?}");
                }
                Err(f) => {
                    assert!(free < q, "{mix:?} refused despite a free quorum");
                    let expected = if held >= q || held + free == n {
                        FailReason::Held
                    } else {
                        FailReason::Unavailable
                    };
                    assert_eq!(f.reason, expected, "{mix:?}");
                    for m in &nodes {
                        m.set_paused(false);
                    }
                    settle().await;
                    for m in &nodes {
                        assert_ne!(
                            m.get("res").as_deref(),
                            Some("mine"),
                            "{mix:?}: rollback missed a node"
                        );
                    }
                }
            }
        }
    }
}

#[tokio::test(start_paused = true)]
async fn quorum_after_validity_ran_out_fails_and_rolls_back() {
    let (engine, nodes) = cluster(3);
    for m in &nodes {
        m.set_latency(Duration::from_millis(350));
    }
    let s = Settings {
        node_timeout_ms: Some(1000),
        retry_count: Some(0),
        ..Settings::default()
    };
    let r = engine.acquire(&spec("mine"), 300, &s, None, |_| {}).await;
    let f = r.unwrap_err();
    assert_eq!(f.reason, FailReason::Expired);
    settle().await;
    for m in &nodes {
        assert_eq!(m.get("res"), None);
    }
}

#[tokio::test(start_paused = true)]
async fn validity_is_ttl_minus_elapsed_minus_drift() {
    let (engine, nodes) = cluster(3);
    for m in &nodes {
        m.set_latency(Duration::from_millis(40));
    }
    let g = engine
        .acquire(&spec("v"), TTL, &settings(0.0), None, |_| {})
        .await
        .unwrap();
    assert_eq!(g.validity, Duration::from_millis(TTL - 40 - 12));
    assert_eq!(
        g.expires_at - (Instant::now() - Duration::from_millis(40)),
        Duration::from_millis(TTL - 12)
    );
}

#[tokio::test(start_paused = true)]
async fn rollback_reaches_nodes_that_did_not_answer() {
    // Node 0 applies the write but its reply is lost; nodes 1 and 2 are held by others.
    let (engine, nodes) = cluster(3);
    nodes[0].set_drop_replies(true);
    nodes[1].put("res", "other", Duration::from_secs(60));
    nodes[2].put("res", "other", Duration::from_secs(60));
    let f = engine
        .acquire(&spec("mine"), TTL, &settings(0.0), None, |_| {})
        .await
        .unwrap_err();
    assert_eq!(f.reason, FailReason::Held);
    settle().await;
    assert_eq!(
        nodes[0].get("res"),
        None,
        "late write on the silent node was not cleaned up"
    );
    assert!(nodes[0].release_calls.load(Ordering::SeqCst) >= 1);
}

#[tokio::test(start_paused = true)]
async fn rollback_never_deletes_a_key_that_held_the_value_before() {
    let (engine, nodes) = cluster(3);
    nodes[0].put("res", "mine", Duration::from_secs(60));
    nodes[1].put("res", "other", Duration::from_secs(60));
    // Node 2 is free: it grants, then the round fails and node 2 is rolled back.
    let f = engine
        .acquire(&spec("mine"), TTL, &settings(2.0), None, |_| {})
        .await
        .unwrap_err();
    assert_eq!(f.reason, FailReason::Held);
    assert_eq!(f.attempts, 3);
    settle().await;
    assert_eq!(
        nodes[0].get("res").as_deref(),
        Some("mine"),
        "the earlier lock was destroyed"
    );
    assert_eq!(nodes[2].get("res"), None);
}

#[tokio::test(start_paused = true)]
async fn retries_until_the_other_owner_expires() {
    let (engine, nodes) = cluster(3);
    for m in &nodes {
        m.put("res", "other", Duration::from_millis(700));
    }
    let g = engine
        .acquire(&spec("mine"), TTL, &settings(10.0), None, |_| {})
        .await
        .unwrap();
    assert!(g.attempts >= 3 && g.attempts <= 8, "{}", g.attempts);
    assert!(nodes
        .iter()
        .all(|m| m.get("res").as_deref() == Some("mine")));
}

#[tokio::test(start_paused = true)]
async fn a_paused_minority_costs_nothing_a_paused_majority_costs_the_timeout() {
    let (engine, nodes) = cluster(5);
    nodes[3].set_paused(true);
    nodes[4].set_paused(true);
    let t = Instant::now();
    engine
        .acquire(&spec("a"), TTL, &settings(0.0), None, |_| {})
        .await
        .unwrap();
    assert_eq!(t.elapsed(), Duration::ZERO);

    let (engine, nodes) = cluster(5);
    for m in &nodes[..3] {
        m.set_paused(true);
    }
    let t = Instant::now();
    let f = engine
        .acquire(&spec("a"), TTL, &settings(2.0), None, |_| {})
        .await
        .unwrap_err();
    assert_eq!(f.reason, FailReason::Unavailable);
    assert_eq!(f.attempts, 3);
    // 3 attempts × 100 ms timeout + 2 delays of at most 300 ms.
    assert!(
        t.elapsed() <= Duration::from_millis(3 * 100 + 2 * 300),
        "{:?}",
        t.elapsed()
    );
    assert!(
        f.to_string()
            .contains("node 0 (mem0) timed out after 100 ms"),
        "{f}"
    );
    assert!(!f.to_string().contains("node 3"), "{f}");
}

#[tokio::test(start_paused = true)]
async fn cancellation_stops_unbounded_retries_and_rolls_back() {
    let (engine, nodes) = cluster(3);
    nodes[0].put("res", "other", Duration::from_secs(600));
    nodes[1].put("res", "other", Duration::from_secs(600));
    let (tx, rx) = watch::channel(false);
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(30)).await;
        let _ = tx.send(true);
    });
    let mut rounds = 0;
    let f = engine
        .acquire(&spec("mine"), TTL, &settings(-1.0), Some(rx), |_| {
            rounds += 1
        })
        .await
        .unwrap_err();
    assert_eq!(f.reason, FailReason::Cancelled);
    assert!(rounds > 50, "{rounds}");
    settle().await;
    assert_eq!(nodes[2].get("res"), None);
}

#[tokio::test(start_paused = true)]
async fn extend_rules() {
    let (engine, nodes) = cluster(3);
    let sp = spec("mine");
    let g = engine
        .acquire(&sp, TTL, &settings(0.0), None, |_| {})
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Extend a valid lock: the TTL is reset on every node.
    let e = engine
        .extend(&sp, g.expires_at, 5000, &settings(0.0), None, |_| {})
        .await
        .unwrap();
    assert_eq!(e.validity, Duration::from_millis(5000 - 52));
    assert!(nodes
        .iter()
        .all(|m| m.pttl("res") == Some(Duration::from_millis(5000))));
    // Extend an expired lock: refused locally, without any I/O.
    let calls: u64 = nodes
        .iter()
        .map(|m| m.extend_calls.load(Ordering::SeqCst))
        .sum();
    let f = engine
        .extend(&sp, Instant::now(), 5000, &settings(3.0), None, |_| {})
        .await
        .unwrap_err();
    assert_eq!((f.reason, f.attempts), (FailReason::Expired, 0));
    assert_eq!(
        nodes
            .iter()
            .map(|m| m.extend_calls.load(Ordering::SeqCst))
            .sum::<u64>(),
        calls
    );
    // Extend of a value that no longer holds a quorum: lost, no retries.
    nodes[0].put("res", "other", Duration::from_secs(60));
    nodes[1].put("res", "other", Duration::from_secs(60));
    let f = engine
        .extend(&sp, e.expires_at, 5000, &settings(5.0), None, |_| {})
        .await
        .unwrap_err();
    assert_eq!((f.reason, f.attempts), (FailReason::Held, 1));
    assert_eq!(nodes[0].get("res").as_deref(), Some("other"));
    // Extend whose replies come after the new validity ran out: failed.
    let (engine, nodes) = cluster(1);
    let g = engine
        .acquire(&sp, 60_000, &settings(0.0), None, |_| {})
        .await
        .unwrap();
    nodes[0].set_latency(Duration::from_millis(250));
    let s = Settings {
        node_timeout_ms: Some(1000),
        ..settings(0.0)
    };
    let f = engine
        .extend(&sp, g.expires_at, 200, &s, None, |_| {})
        .await
        .unwrap_err();
    assert_eq!(f.reason, FailReason::Expired);
}

#[tokio::test(start_paused = true)]
async fn release_rules() {
    let (engine, nodes) = cluster(3);
    let sp = spec("mine");
    let t = Duration::from_millis(100);
    // Not held at all: resolves at once, one round, nothing deleted.
    let r = engine
        .release(&sp, t, &settings(10.0), false, |_| {})
        .await
        .unwrap();
    assert_eq!(
        r,
        Released {
            attempts: 1,
            deleted_on: 0
        }
    );
    assert_eq!(
        nodes
            .iter()
            .map(|m| m.release_calls.load(Ordering::SeqCst))
            .sum::<u64>(),
        3
    );
    // Held: deleted everywhere; another owner's key is kept.
    engine
        .acquire(&sp, TTL, &settings(0.0), None, |_| {})
        .await
        .unwrap();
    nodes[2].put("res", "other", Duration::from_secs(60));
    let r = engine
        .release(&sp, t, &settings(10.0), false, |_| {})
        .await
        .unwrap();
    assert_eq!(r.deleted_on, 2);
    assert_eq!(nodes[2].get("res").as_deref(), Some("other"));
    nodes[2].put("res", "other", Duration::ZERO);
    // A failing minority does not fail the release.
    nodes[0].set_failing(true);
    assert!(engine
        .release(&sp, t, &settings(10.0), false, |_| {})
        .await
        .is_ok());
    // A failing majority does, after the retries.
    nodes[1].set_failing(true);
    let f = engine
        .release(&sp, t, &settings(2.0), false, |_| {})
        .await
        .unwrap_err();
    assert_eq!((f.reason, f.attempts), (FailReason::Unavailable, 3));
    // retryCount -1 is capped for release.
    let f = engine
        .release(&sp, t, &settings(-1.0), false, |_| {})
        .await
        .unwrap_err();
    assert_eq!(f.attempts, 11);
}

#[tokio::test(start_paused = true)]
async fn multi_resource_locks_are_all_or_nothing_per_node() {
    let (engine, nodes) = cluster(1);
    nodes[0].put("b", "other", Duration::from_secs(60));
    let sp = LockSpec::new(vec!["a".into(), "b".into(), "c".into()], "mine", false);
    let f = engine
        .acquire(&sp, TTL, &settings(0.0), None, |_| {})
        .await
        .unwrap_err();
    assert_eq!(f.reason, FailReason::Held);
    assert_eq!(nodes[0].get("a"), None);
    assert_eq!(nodes[0].get("c"), None);
}

mod memory {
    //! Live heap bytes allocated by the current thread, to show that unbounded retries keep
    //! memory flat (current-thread runtime: every task runs on this thread).
    use super::*;
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cell::Cell;

    struct Counting;
    thread_local! { static LIVE: Cell<isize> = const { Cell::new(0) }; }
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, l: Layout) -> *mut u8 {
            let _ = LIVE.try_with(|c| c.set(c.get() + l.size() as isize));
            unsafe { System.alloc(l) }
        }
        unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
            let _ = LIVE.try_with(|c| c.set(c.get() - l.size() as isize));
            unsafe { System.dealloc(p, l) }
        }
    }
    #[global_allocator]
    static A: Counting = Counting;

    fn live() -> isize {
        LIVE.with(|c| c.get())
    }

    #[tokio::test(start_paused = true)]
    async fn unbounded_retries_keep_memory_flat() {
        let (engine, nodes) = cluster(3);
        for m in &nodes {
            m.put("res", "other", Duration::from_secs(1_000_000));
        }
        let s = Settings {
            retry_count: None,
            retry_delay_ms: 10,
            retry_jitter_ms: 0,
            ..settings(0.0)
        };
        let (tx, rx) = watch::channel(false);
        let mut rounds = 0u64;
        let mut at_100 = 0isize;
        let mut at_10000 = 0isize;
        let f = engine
            .acquire(&spec("mine"), TTL, &s, Some(rx), |_| {
                rounds += 1;
                if rounds == 100 {
                    at_100 = live();
                }
                if rounds == 10_000 {
                    at_10000 = live();
                    let _ = tx.send(true);
                }
            })
            .await
            .unwrap_err();
        assert_eq!(f.reason, FailReason::Cancelled);
        assert_eq!(rounds, 10_000);
        let growth = at_10000 - at_100;
        assert!(
            growth < 4096,
            "live heap grew by {growth} bytes over 9,900 retries"
        );
    }
}

/// A release right after an acquire whose slowest node had not answered yet must not be
/// overtaken by that node's late write; nor a new acquire by an old cleanup.
#[tokio::test(start_paused = true)]
async fn calls_for_one_value_stay_in_order_per_node() {
    let (engine, nodes) = cluster(3);
    nodes[2].set_latency(Duration::from_millis(60));
    let sp = spec("mine");
    engine
        .acquire(&sp, TTL, &settings(0.0), None, |_| {})
        .await
        .unwrap();
    assert_eq!(
        nodes[2].get("res"),
        None,
        "the slow node has not applied the write yet"
    );
    assert_eq!(engine.pending_chains(), 1);
    // Remove the latency: a release not chained after the acquire would overtake it.
    nodes[2].set_latency(Duration::ZERO);
    engine
        .release(
            &sp,
            Duration::from_millis(100),
            &settings(0.0),
            false,
            |_| {},
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await; // past the late write, within the TTL
    for m in &nodes {
        assert_eq!(m.get("res"), None);
    }

    // A failed attempt leaves a slow cleanup running on a silent node; the next acquire with
    // the same value must not have its write deleted by that cleanup.
    let (engine, nodes) = cluster(3);
    nodes[0].set_drop_replies(true);
    nodes[1].put("res", "other", Duration::from_millis(110));
    nodes[2].put("res", "other", Duration::from_millis(110));
    engine
        .acquire(&sp, TTL, &settings(0.0), None, |_| {})
        .await
        .unwrap_err();
    nodes[0].set_drop_replies(false);
    nodes[0].set_latency(Duration::from_millis(100)); // the cleanup (t=100) lands at t=200
    tokio::time::sleep(Duration::from_millis(120)).await;
    nodes[0].set_latency(Duration::ZERO);
    engine
        .acquire(&sp, TTL, &settings(0.0), None, |_| {})
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await; // past the old cleanup, within the TTL
    for m in &nodes {
        assert_eq!(m.get("res").as_deref(), Some("mine"));
    }
}

#[tokio::test(start_paused = true)]
async fn inspect_reports_a_quorum_holder_and_its_remaining_time() {
    let (engine, nodes) = cluster(3);
    let t = Duration::from_millis(100);
    assert_eq!(engine.inspect("res", t).await.unwrap(), None);
    nodes[0].put("res", "x", Duration::from_millis(5000));
    assert_eq!(
        engine.inspect("res", t).await.unwrap(),
        None,
        "one node is no quorum"
    );
    nodes[1].put("res", "y", Duration::from_millis(3000));
    nodes[2].put("res", "z", Duration::from_millis(1000));
    // Fewer than a quorum hold it once the 3000 ms key is gone.
    assert_eq!(engine.inspect("res", t).await.unwrap(), Some(3000));
    nodes[0].set_failing(true);
    nodes[1].set_paused(true);
    assert_eq!(
        engine.inspect("res", t).await.unwrap_err().reason,
        FailReason::Unavailable
    );
}

/// A waiter retries as soon as the holder — another process — releases (announced by the
/// nodes), not after its retry delay; when the nodes stay silent it still gets the lock by
/// polling.
#[tokio::test(start_paused = true)]
async fn waiters_wake_on_release_and_fall_back_to_polling() {
    for mute in [false, true] {
        let (engine, nodes) = cluster(3);
        for m in &nodes {
            m.mute.store(mute, Ordering::SeqCst);
        }
        let engine = Arc::new(engine);
        // The holder is another process: its own release cannot wake this one's waiters.
        let other = Engine::new(
            nodes
                .iter()
                .map(|m| Arc::new(MemoryBackend(m.clone())) as Arc<dyn Backend>)
                .collect(),
        );
        let holder = spec("holder");
        other
            .acquire(&holder, 60_000, &settings(0.0), None, |_| {})
            .await
            .unwrap();
        let slow = Settings {
            retry_delay_ms: 10_000,
            retry_jitter_ms: 0,
            ..settings(5.0)
        };
        let e = engine.clone();
        let t = Instant::now();
        let waiter =
            tokio::spawn(
                async move { e.acquire(&spec("waiter"), 1000, &slow, None, |_| {}).await },
            );
        tokio::time::sleep(Duration::from_millis(100)).await;
        other
            .release(
                &holder,
                Duration::from_millis(100),
                &settings(0.0),
                false,
                |_| {},
            )
            .await
            .unwrap();
        let g = waiter.await.unwrap().unwrap();
        let took = t.elapsed();
        if mute {
            assert!(took >= Duration::from_secs(10), "polled: {took:?}");
        } else {
            assert!(
                took < Duration::from_millis(200),
                "woken by the release: {took:?}"
            );
            assert_eq!(g.attempts, 2);
        }
        assert_eq!(engine.signals.waited(), 0, "no waiter left registered");
    }
}

/// Waiters in one process are served in arrival order: a release by this process wakes the
/// longest-waiting one at once (even with silent nodes), a newcomer queues behind them instead
/// of jumping the queue, and one release announced by every node wakes one waiter, not one per
/// node.
#[tokio::test(start_paused = true)]
async fn local_waiters_are_served_first_come_first_served() {
    let (engine, nodes) = cluster(3);
    for m in &nodes {
        m.mute.store(true, Ordering::SeqCst);
    }
    let engine = Arc::new(engine);
    let first = spec("first");
    engine
        .acquire(&first, 60_000, &settings(0.0), None, |_| {})
        .await
        .unwrap();
    let slow = Settings {
        retry_delay_ms: 10_000,
        retry_jitter_ms: 0,
        ..settings(50.0)
    };
    let order = Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for i in 0..4 {
        let (e, s, order) = (engine.clone(), slow.clone(), order.clone());
        tasks.push(tokio::spawn(async move {
            let sp = spec(&format!("w{i}"));
            let g = e.acquire(&sp, 60_000, &s, None, |_| {}).await.unwrap();
            order.lock().unwrap().push(i);
            tokio::time::sleep(Duration::from_millis(5)).await;
            e.release(&sp, Duration::from_millis(100), &s, false, |_| {})
                .await
                .unwrap();
            g.attempts
        }));
        // Arrive one after the other.
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let t = Instant::now();
    engine
        .release(
            &first,
            Duration::from_millis(100),
            &settings(0.0),
            false,
            |_| {},
        )
        .await
        .unwrap();
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(*order.lock().unwrap(), vec![0, 1, 2, 3]);
    assert!(
        t.elapsed() < Duration::from_millis(100),
        "each release woke the next waiter at once: {:?}",
        t.elapsed()
    );
    assert_eq!(engine.signals.waited(), 0);
}

/// A failed extend to a shorter TTL may have shortened the keys on the nodes it reached: the
/// lock's validity is cut to that earlier end, and later extends are refused after it.
#[tokio::test(start_paused = true)]
async fn a_failed_shorter_extend_caps_the_lock() {
    let (engine, nodes) = cluster(5);
    let sp = spec("mine");
    let g = engine
        .acquire(&sp, 3000, &settings(0.0), None, |_| {})
        .await
        .unwrap();
    for m in &nodes[2..] {
        m.set_paused(true);
    }
    let t = Instant::now();
    let f = engine
        .extend(&sp, g.expires_at, 200, &settings(0.0), None, |_| {})
        .await
        .unwrap_err();
    assert_eq!(f.reason, FailReason::Unavailable);
    let capped = f.capped.expect("capped");
    assert!(capped < g.expires_at);
    assert_eq!(capped, t + Duration::from_millis(200 - 4));
    // Two nodes now expire at ~200 ms: after the cap the lock is not extendable any more.
    for m in &nodes[2..] {
        m.set_paused(false);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let f = engine
        .extend(&sp, capped, 3000, &settings(0.0), None, |_| {})
        .await
        .unwrap_err();
    assert_eq!((f.reason, f.attempts), (FailReason::Expired, 0));
}

#[tokio::test(start_paused = true)]
async fn a_lock_lost_to_another_owner_is_never_reported_as_released() {
    let (engine, nodes) = cluster(3);
    let sp = spec("mine");
    let t = Duration::from_millis(100);
    engine
        .acquire(&sp, TTL, &settings(0.0), None, |_| {})
        .await
        .unwrap();
    // Another owner took the resource on two of three nodes (our keys expired there).
    for m in &nodes[1..] {
        m.put("res", "other", Duration::from_secs(60));
    }
    let f = engine
        .release(&sp, t, &settings(10.0), false, |_| {})
        .await
        .unwrap_err();
    // Refused at once: retrying cannot change another owner's key.
    assert_eq!((f.reason, f.attempts), (FailReason::Held, 1));
    assert!(
        nodes[0].get("res").is_none(),
        "ours is still deleted where it was ours"
    );
    assert!(nodes[1..]
        .iter()
        .all(|m| m.get("res").as_deref() == Some("other")));
    // Lost on one node only: a quorum confirms, the release succeeds.
    for m in &nodes {
        m.put("res", "other", Duration::ZERO);
    }
    engine
        .acquire(&sp, TTL, &settings(0.0), None, |_| {})
        .await
        .unwrap();
    nodes[2].put("res", "other", Duration::from_secs(60));
    let r = engine
        .release(&sp, t, &settings(10.0), false, |_| {})
        .await
        .unwrap();
    assert_eq!(r.deleted_on, 2);
}

#[tokio::test(start_paused = true)]
async fn a_full_release_needs_a_quorum_of_nodes_that_deleted_every_key() {
    let (engine, nodes) = cluster(3);
    let sp = spec("mine");
    let t = Duration::from_millis(100);
    // Gone everywhere: a release confirms, a full release (v4 unlock) refuses at once.
    let r = engine
        .release(&sp, t, &settings(10.0), false, |_| {})
        .await
        .unwrap();
    assert_eq!(r.deleted_on, 0);
    let f = engine
        .release(&sp, t, &settings(10.0), true, |_| {})
        .await
        .unwrap_err();
    assert_eq!((f.reason, f.attempts), (FailReason::Held, 1));
    // Held on two of three: a full release succeeds.
    engine
        .acquire(&sp, TTL, &settings(0.0), None, |_| {})
        .await
        .unwrap();
    nodes[2].put("res", "mine", Duration::ZERO);
    let r = engine
        .release(&sp, t, &settings(10.0), true, |_| {})
        .await
        .unwrap();
    assert_eq!(r.deleted_on, 2);
}

#[tokio::test(start_paused = true)]
async fn settled_waits_for_the_rollbacks_left_running_and_no_longer() {
    let (engine, nodes) = cluster(3);
    // Nothing running: at once.
    let t = Instant::now();
    engine.settled(Duration::from_secs(5)).await;
    assert_eq!(t.elapsed(), Duration::ZERO);
    // Two paused nodes: the attempt fails, and their rollbacks run on in the background
    // (each bounded by the per-node timeout).
    nodes[1].set_paused(true);
    nodes[2].set_paused(true);
    engine
        .acquire(&spec("a"), TTL, &settings(0.0), None, |_| {})
        .await
        .unwrap_err();
    let t = Instant::now();
    engine.settled(Duration::from_secs(5)).await;
    let waited = t.elapsed();
    assert!(
        waited > Duration::ZERO,
        "it waited for the background rollbacks"
    );
    assert!(waited <= Duration::from_millis(2 * 100), "{waited:?}");
    assert_eq!(
        engine
            .background
            .running
            .load(std::sync::atomic::Ordering::SeqCst),
        0
    );
}

/// A collecting `LateSink`.
fn late_sink() -> (LateSink, Arc<std::sync::Mutex<Vec<Late>>>) {
    let got = Arc::new(std::sync::Mutex::new(Vec::new()));
    let g = got.clone();
    (LateSink(Arc::new(move |l| g.lock().unwrap().push(l))), got)
}

/// The verdict is taken at the quorum; the node that had not answered reports its vote once
/// it has (or its timeout), in one report for its round.
#[tokio::test(start_paused = true)]
async fn late_votes_are_reported_after_an_early_verdict() {
    let (engine, nodes) = cluster(3);
    nodes[2].set_latency(Duration::from_millis(50));
    let (sink, got) = late_sink();
    let s = spec("v").with_late(sink.clone());
    let mut seen = Vec::new();
    let g = engine
        .acquire(&s, TTL, &settings(0.0), None, |v| seen.push(v.to_vec()))
        .await
        .unwrap();
    assert_eq!(g.votes[2], None, "the verdict did not wait for node 2");
    assert!(
        got.lock().unwrap().is_empty(),
        "nothing late yet at the verdict"
    );
    settle().await;
    assert_eq!(
        *got.lock().unwrap(),
        vec![Late::Votes {
            attempt: 1,
            votes: vec![(2, Vote::Yes)]
        }]
    );

    // A paused node: its timeout, once, after the verdict.
    let (engine, nodes) = cluster(3);
    nodes[0].set_paused(true);
    let (sink, got) = late_sink();
    let s = spec("w").with_late(sink);
    engine
        .acquire(&s, TTL, &settings(0.0), None, |_| {})
        .await
        .unwrap();
    settle().await;
    assert_eq!(
        *got.lock().unwrap(),
        vec![Late::Votes {
            attempt: 1,
            votes: vec![(0, Vote::Timeout)]
        }]
    );
}

/// A rollback that fails is reported, for the attempt it follows, before the operation fails.
#[tokio::test(start_paused = true)]
async fn a_failing_rollback_is_reported_before_the_failure() {
    let (engine, nodes) = cluster(3);
    nodes[0].set_failing(true);
    nodes[1].set_failing(true);
    let (sink, got) = late_sink();
    let s = spec("v").with_late(sink);
    let f = engine
        .acquire(&s, TTL, &settings(1.0), None, |_| {})
        .await
        .unwrap_err();
    assert_eq!(f.reason, FailReason::Unavailable);
    let got = got.lock().unwrap().clone();
    for attempt in 1..=2 {
        for node in 0..2 {
            assert!(
                got.iter().any(|l| matches!(l, Late::RollbackError { attempt: a, node: n, .. } if *a == attempt && *n == node)),
                "attempt {attempt} node {node}: {got:?}"
            );
        }
    }
}

/// A release that ran between a waiter's refused attempt and its waiting marker was not
/// announced (nobody waited yet): the marker request finds the key gone and wakes the waiter
/// as the announcement would have, instead of leaving it to its retry delay.
#[tokio::test(start_paused = true)]
async fn a_release_just_before_the_waiting_marker_still_wakes_the_waiter() {
    use crate::backend::{BoxFuture, NodeError, ReleaseReply, Vote};
    use std::sync::atomic::AtomicU64;
    /// A silent node (no announcements) whose holder releases just before the marker lands.
    struct ReleasedBeforeMarker(MemoryBackend, Arc<AtomicU64>);
    impl Backend for ReleasedBeforeMarker {
        fn acquire(
            &self,
            r: Arc<[String]>,
            v: Arc<str>,
            ttl: u64,
            fresh: bool,
        ) -> BoxFuture<Result<Vote, NodeError>> {
            self.0.acquire(r, v, ttl, fresh)
        }
        fn extend(
            &self,
            r: Arc<[String]>,
            v: Arc<str>,
            t: u64,
        ) -> BoxFuture<Result<bool, NodeError>> {
            self.0.extend(r, v, t)
        }
        fn release(
            &self,
            r: Arc<[String]>,
            v: Arc<str>,
        ) -> BoxFuture<Result<ReleaseReply, NodeError>> {
            self.0.release(r, v)
        }
        fn pttl(&self, r: String) -> BoxFuture<Result<Option<u64>, NodeError>> {
            self.0.pttl(r)
        }
        fn label(&self) -> String {
            self.0.label()
        }
        fn mark_waiting(
            &self,
            resources: Arc<[String]>,
            _ttl_ms: u64,
        ) -> Option<BoxFuture<Result<bool, NodeError>>> {
            self.1.fetch_add(1, Ordering::SeqCst);
            for r in resources.iter() {
                self.0 .0.put(r, "gone", Duration::ZERO);
            }
            let held = resources.iter().all(|r| self.0 .0.get(r).is_some());
            Some(Box::pin(async move { Ok(held) }))
        }
    }
    let marks = Arc::new(AtomicU64::new(0));
    let nodes: Vec<Arc<MemoryNode>> = (0..3)
        .map(|i| MemoryNode::new(&format!("mem{i}")))
        .collect();
    for m in &nodes {
        m.put("res", "holder", Duration::from_secs(60));
    }
    let engine = Engine::new(
        nodes
            .iter()
            .map(|m| {
                Arc::new(ReleasedBeforeMarker(
                    MemoryBackend(m.clone()),
                    marks.clone(),
                )) as Arc<dyn Backend>
            })
            .collect(),
    );
    let slow = Settings {
        retry_delay_ms: 10_000,
        retry_jitter_ms: 0,
        ..settings(1.0)
    };
    let t = Instant::now();
    let g = engine
        .acquire(&spec("waiter"), 1000, &slow, None, |_| {})
        .await
        .unwrap();
    assert_eq!(marks.load(Ordering::SeqCst), 3, "one marker per node");
    assert_eq!(g.attempts, 2);
    assert!(
        t.elapsed() < Duration::from_secs(1),
        "woken at once, not at the retry delay: {:?}",
        t.elapsed()
    );
}

/// The restart guard's tally: a quarantined node's grant counts against (never for), is
/// rolled back with a failed attempt, and is named in the failure; a quorum of the others
/// still grants; `restartGuard: 0` counts it.
#[tokio::test(start_paused = true)]
async fn quarantined_grants_count_against_and_are_rolled_back() {
    let quarantine = |m: &MemoryNode| {
        *m.quarantined.lock().unwrap() = Some("quarantined: restarted (new run_id)".into())
    };
    // One of three quarantined: the others are a quorum.
    let (engine, nodes) = cluster(3);
    quarantine(&nodes[0]);
    let g = engine
        .acquire(&spec("mine"), TTL, &settings(0.0), None, |_| {})
        .await
        .unwrap();
    assert!(
        matches!(g.votes[0], Some(Vote::Quarantined(_))),
        "{:?}",
        g.votes
    );
    assert_eq!(g.votes[1], Some(Vote::Yes));

    // Two of three: no quorum; every grant rolled back; the failure names the nodes.
    let (engine, nodes) = cluster(3);
    quarantine(&nodes[0]);
    quarantine(&nodes[2]);
    let f = engine
        .acquire(&spec("mine"), TTL, &settings(0.0), None, |_| {})
        .await
        .unwrap_err();
    assert_eq!(f.reason, FailReason::Unavailable);
    let m = f.to_string();
    assert!(m.contains("2 of 3 nodes unavailable"), "{m}");
    assert!(m.contains("node 0 (mem0) quarantined: restarted"), "{m}");
    assert!(m.contains("node 2 (mem2) quarantined"), "{m}");
    settle().await;
    for n in &nodes {
        assert_eq!(n.get("res"), None, "a quarantined grant was left behind");
    }

    // The same with the guard off: granted.
    let off = Settings {
        restart_guard_ms: Some(0),
        ..settings(0.0)
    };
    let g = engine
        .acquire(&spec("mine2"), TTL, &off, None, |_| {})
        .await
        .unwrap();
    assert_eq!(g.votes, vec![Some(Vote::Yes); 3]);
}

/// An extend counts a quarantined node's grant against too.
#[tokio::test(start_paused = true)]
async fn a_quarantined_extend_does_not_count() {
    let (engine, nodes) = cluster(3);
    let s = settings(0.0);
    let g = engine
        .acquire(&spec("mine"), TTL, &s, None, |_| {})
        .await
        .unwrap();
    for n in &nodes[..2] {
        *n.quarantined.lock().unwrap() = Some("quarantined: test".into());
    }
    let f = engine
        .extend(&spec("mine"), g.expires_at, TTL, &s, None, |_| {})
        .await
        .unwrap_err();
    assert!(
        matches!(f.votes[0], Some(Vote::Quarantined(_))),
        "{:?}",
        f.votes
    );
    assert_eq!(f.reason, FailReason::Unavailable);
}

/// A release is not guarded: a quarantined node's deletion counts (it removes what the node
/// holds; only grants are in doubt after a restart).
#[tokio::test(start_paused = true)]
async fn a_release_counts_a_quarantined_node() {
    let (engine, nodes) = cluster(3);
    let s = settings(0.0);
    engine
        .acquire(&spec("mine"), TTL, &s, None, |_| {})
        .await
        .unwrap();
    for n in &nodes {
        *n.quarantined.lock().unwrap() = Some("quarantined: test".into());
    }
    let r = engine
        .release(&spec("mine"), Duration::from_millis(100), &s, false, |_| {})
        .await
        .unwrap();
    assert_eq!(r.deleted_on, 3);
    for n in &nodes {
        assert_eq!(n.get("res"), None);
    }
}
