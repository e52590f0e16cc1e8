//! Fencing tokens over the in-memory backend (`fence.rs`, `docs/fencing.md`): the interleavings
//! that make or break monotonicity. Time is tokio's paused clock.

use super::*;
use crate::algo::quorum::FailReason;
use crate::algo::settings::SettingsInput;
use crate::backend::memory::{MemoryBackend, MemoryNode};
use std::sync::atomic::Ordering;

const TTL: u64 = 1000;

fn cluster_with(n: usize, rules: Rules) -> (Engine, Vec<Arc<MemoryNode>>) {
    let nodes: Vec<Arc<MemoryNode>> = (0..n)
        .map(|i| MemoryNode::new(&format!("mem{i}")))
        .collect();
    let backends = nodes
        .iter()
        .map(|m| Arc::new(MemoryBackend(m.clone())) as Arc<dyn Backend>)
        .collect();
    (Engine::with_rules(backends, rules), nodes)
}

fn cluster(n: usize) -> (Engine, Vec<Arc<MemoryNode>>) {
    cluster_with(n, Rules::default())
}

fn fenced(resources: &[&str], value: &str) -> LockSpec {
    let r: Vec<String> = resources.iter().map(|s| s.to_string()).collect();
    LockSpec::new(r, value, true).fenced(true)
}

fn settings(retry_count: f64) -> Settings {
    Settings::default()
        .with(&SettingsInput {
            retry_count: Some(retry_count),
            retry_delay: Some(200.0),
            retry_jitter: Some(0.0),
            node_timeout: Some(100.0),
            ..Default::default()
        })
        .unwrap()
}

async fn settle() {
    tokio::time::sleep(Duration::from_secs(5)).await;
}

/// Acquires `spec` (once), releases it, and returns its token.
async fn token_of(engine: &Engine, spec: &LockSpec) -> Result<u64, FailReason> {
    let g = engine
        .acquire(spec, TTL, &settings(0.0), None, |_| {})
        .await
        .map_err(|f| f.reason)?;
    let s = settings(0.0);
    let t = engine.release_timeout(&s);
    engine.release(spec, t, &s, false, |_| {}).await.unwrap();
    Ok(g.fencing_token.expect("a fenced acquire has a token"))
}

fn counters(nodes: &[Arc<MemoryNode>], r: &str) -> Vec<u64> {
    nodes.iter().map(|m| m.counter(r)).collect()
}

/// The counterexample to the one-round construction. Counters 5/3/7: a lock granted
/// by all three takes 8 and writes it back, so a later lock granted only by the first two
/// reads 8/8 and takes 9. The one-round version (each node increments on its own, no
/// write-back) lets the later lock read 6/4 and take 7 < 8.
#[tokio::test(start_paused = true)]
async fn the_5_3_7_counterexample_with_and_without_the_write_back() {
    for write_back in [true, false] {
        let rules = Rules {
            write_back,
            ..Rules::default()
        };
        let (engine, nodes) = cluster_with(3, rules);
        for (m, c) in nodes.iter().zip([5, 3, 7]) {
            m.set_counter("res", c);
            m.set_one_round(!write_back);
        }
        let earlier = token_of(&engine, &fenced(&["res"], "a")).await.unwrap();
        assert_eq!(earlier, 8);
        // The third node is gone; the first two still make a quorum.
        nodes[2].set_failing(true);
        let later = token_of(&engine, &fenced(&["res"], "b")).await.unwrap();
        if write_back {
            assert_eq!(counters(&nodes[..2], "res"), [9, 9]);
            assert_eq!(later, 9, "the later lock's token is greater");
        } else {
            assert_eq!(later, 7, "one round: the later lock's token is smaller");
            assert!(later < earlier);
        }
    }
}

#[tokio::test(start_paused = true)]
async fn tokens_strictly_increase_whichever_quorum_grants() {
    let (engine, nodes) = cluster(5);
    let mut last = 0;
    // Each lock is granted by another quorum (two of five nodes down in turn).
    for k in 0..10usize {
        for (i, m) in nodes.iter().enumerate() {
            m.set_failing(i == k % 5 || i == (k + 2) % 5);
        }
        let t = token_of(&engine, &fenced(&["res"], &format!("v{k}")))
            .await
            .unwrap();
        assert!(t > last, "lock {k}: token {t} after {last}");
        last = t;
    }
}

#[tokio::test(start_paused = true)]
async fn a_write_back_refused_on_a_minority_still_grants_with_the_token() {
    let (engine, nodes) = cluster(3);
    nodes[2].set_counter("res", 4);
    nodes[2].set_refuse_write_back(true);
    let t = token_of(&engine, &fenced(&["res"], "a")).await.unwrap();
    assert_eq!(t, 5);
    assert_eq!(counters(&nodes, "res"), [5, 5, 4]);
    // The next lock is granted by a quorum that includes a written-back node.
    nodes[0].set_failing(true);
    nodes[2].set_refuse_write_back(false);
    let next = token_of(&engine, &fenced(&["res"], "b")).await.unwrap();
    assert_eq!(next, 6);
}

#[tokio::test(start_paused = true)]
async fn a_write_back_failing_on_a_majority_fails_rolls_back_and_retries() {
    let (engine, nodes) = cluster(3);
    nodes[1].set_fail_write_back(true);
    nodes[2].set_fail_write_back(true);
    let f = engine
        .acquire(&fenced(&["res"], "a"), TTL, &settings(2.0), None, |_| {})
        .await
        .unwrap_err();
    assert_eq!((f.reason, f.attempts), (FailReason::Unavailable, 3));
    assert!(f.to_string().contains("connection reset"), "{f}");
    for m in &nodes {
        assert_eq!(m.acquire_calls.load(Ordering::SeqCst), 3);
        assert_eq!(m.write_back_calls.load(Ordering::SeqCst), 3);
        // Rolled back before the failure was reported.
        assert_eq!(m.get("res"), None, "{}", m.counter("res"));
    }
    // The node that did write back keeps its counter, raised by each attempt (each read the
    // last one's): harmless, counters only grow.
    assert_eq!(counters(&nodes, "res"), [3, 0, 0]);
    // Once the nodes recover, the attempt after the failed ones succeeds.
    nodes[1].set_fail_write_back(false);
    assert_eq!(token_of(&engine, &fenced(&["res"], "b")).await, Ok(4));
}

#[tokio::test(start_paused = true)]
async fn validity_running_out_between_the_rounds_fails_and_rolls_back() {
    let (engine, nodes) = cluster(3);
    for m in &nodes {
        // Each round takes 90 ms (within the 100 ms node timeout); the validity of a 150 ms
        // lock (147 ms after drift) runs out during the second.
        m.set_latency(Duration::from_millis(90));
    }
    let f = engine
        .acquire(&fenced(&["res"], "a"), 150, &settings(0.0), None, |_| {})
        .await
        .unwrap_err();
    assert_eq!((f.reason, f.attempts), (FailReason::Expired, 1));
    settle().await;
    for m in &nodes {
        assert_eq!(m.get("res"), None);
    }
    // The same lock with validity to spare is granted.
    let g = engine
        .acquire(&fenced(&["res"], "b"), 400, &settings(0.0), None, |_| {})
        .await
        .unwrap();
    assert_eq!(g.fencing_token, Some(2));
    // Validity is what is left after both rounds: 400 - 180 - drift (6).
    assert_eq!(g.validity, Duration::from_millis(400 - 180 - 6));
}

#[tokio::test(start_paused = true)]
async fn a_multi_resource_lock_has_one_token_monotonic_for_each_resource() {
    let (engine, nodes) = cluster(3);
    nodes[0].set_counter("a", 3);
    nodes[1].set_counter("b", 9);
    let t = token_of(&engine, &fenced(&["a", "b"], "ab")).await.unwrap();
    assert_eq!(t, 10);
    assert_eq!(counters(&nodes, "a"), [10, 10, 10]);
    assert_eq!(counters(&nodes, "b"), [10, 10, 10]);
    let a = token_of(&engine, &fenced(&["a"], "a")).await.unwrap();
    let b = token_of(&engine, &fenced(&["b"], "b")).await.unwrap();
    assert_eq!((a, b), (11, 11));
    let ab = token_of(&engine, &fenced(&["a", "b"], "ab2"))
        .await
        .unwrap();
    assert_eq!(ab, 12);
}

#[tokio::test(start_paused = true)]
async fn extend_keeps_the_counters_and_gives_no_new_token() {
    let (engine, nodes) = cluster(3);
    let sp = fenced(&["res"], "a");
    let g = engine
        .acquire(&sp, TTL, &settings(0.0), None, |_| {})
        .await
        .unwrap();
    assert_eq!(g.fencing_token, Some(1));
    let e = engine
        .extend(&sp, g.expires_at, 5000, &settings(0.0), None, |_| {})
        .await
        .unwrap();
    assert_eq!(
        e.fencing_token, None,
        "the lock keeps the token it was acquired with"
    );
    assert_eq!(counters(&nodes, "res"), [1, 1, 1]);
    assert!(nodes
        .iter()
        .all(|m| m.write_back_calls.load(Ordering::SeqCst) == 1));
}

#[tokio::test(start_paused = true)]
async fn an_unfenced_lock_has_no_token_and_no_second_round() {
    let (engine, nodes) = cluster(3);
    let g = engine
        .acquire(
            &LockSpec::new(vec!["res".to_string()], "a", true),
            TTL,
            &settings(0.0),
            None,
            |_| {},
        )
        .await
        .unwrap();
    assert_eq!(g.fencing_token, None);
    for m in &nodes {
        assert_eq!(m.write_back_calls.load(Ordering::SeqCst), 0);
    }
}

/// A write-back that reaches a node only after the round-1 reply it follows (a slow node):
/// the node answers late, the lock is granted by the others, and the late node's counter is
/// still raised once its own reply is in (the write-back is chained after it).
#[tokio::test(start_paused = true)]
async fn a_slow_node_is_written_back_after_its_own_acquire() {
    let (engine, nodes) = cluster(3);
    // 30 ms for each of its rounds: both within the 100 ms node timeout.
    nodes[2].set_latency(Duration::from_millis(30));
    let g = engine
        .acquire(&fenced(&["res"], "a"), TTL, &settings(0.0), None, |_| {})
        .await
        .unwrap();
    assert_eq!(g.fencing_token, Some(1));
    settle().await;
    assert_eq!(counters(&nodes, "res"), [1, 1, 1]);
}
