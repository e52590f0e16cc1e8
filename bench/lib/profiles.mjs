// Benchmark profiles. Every cell is bounded in operations AND in time; `maxTotalMs` bounds the
// whole run (a watchdog writes what it has and exits non-zero).
//
// Settings shared by every library:
//   throughput-type scenarios (sequential, throughput, extend, memory): retryCount 0 — there is
//     no contention, so an attempt that fails is an error, not a reason to wait;
//   contention: retryCount 150, retryDelay 200, retryJitter 100 (node-redlock's default delay
//     and jitter; 150 retries ≈ 30 s of waiting, far beyond any cell, so nobody gives up);
//   driftFactor 0.01 everywhere (the default of every library).

const FAST = { retryCount: 0, retryDelay: 200, retryJitter: 100, driftFactor: 0.01 }
const CONTENDED = { retryCount: 150, retryDelay: 200, retryJitter: 100, driftFactor: 0.01 }

const base = {
  fastSettings: FAST,
  contentionSettings: CONTENDED,
  nodeCounts: [1, 3, 5],
  scenarios: ['sequential', 'sequentialMulti', 'sequentialFenced', 'throughput', 'contention', 'extend', 'memory'],
}

export const PROFILES = {
  // CI: proves the bench still works. A few seconds per node count; numbers mean nothing.
  tiny: {
    ...base,
    reps: 1,
    sequential: { ops: 100, ms: 250, warm: 10, ttl: 10000 },
    sequentialFenced: { ops: 100, ms: 250, warm: 10, ttl: 10000 },
    sequentialMulti: { resources: 10, ops: 100, ms: 250, warm: 10, ttl: 10000 },
    throughput: { workers: 64, ms: 200, warmMs: 50, maxOps: 200000, ttl: 10000 },
    contention: { workers: 16, ms: 400, holdMs: 1, ttl: 2000, drainMs: 10000, maxCs: 100000 },
    extend: { ops: 100, ms: 250, warm: 10, ttl: 10000 },
    memory: { nodes: 3, reps: 1, ops: 1000, workers: 64, maxMs: 10000, ttl: 10000 },
    soak: null,
    maxTotalMs: 110000,
  },
  // ≤ 3 minutes on 2 cores (176 s with a process per cell): every scenario, 3 interleaved
  // repetitions, short cells.
  quick: {
    ...base,
    reps: 3,
    sequential: { ops: 5000, ms: 400, warm: 30, ttl: 10000 },
    sequentialFenced: { ops: 5000, ms: 400, warm: 30, ttl: 10000 },
    sequentialMulti: { resources: 10, ops: 5000, ms: 400, warm: 30, ttl: 10000 },
    throughput: { workers: 64, ms: 500, warmMs: 100, maxOps: 1000000, ttl: 10000 },
    contention: { workers: 16, ms: 1000, holdMs: 1, ttl: 2000, drainMs: 10000, maxCs: 1000000 },
    extend: { ops: 5000, ms: 300, warm: 30, ttl: 10000 },
    memory: { nodes: 3, reps: 1, ops: 20000, workers: 64, maxMs: 15000, ttl: 10000 },
    soak: { nodes: 3, impls: ['redlock-rs'], ops: 100000, workers: 64, maxMs: 20000, ttl: 10000 },
    maxTotalMs: 900000,
  },
  // The reference run (quiet machine): 5 interleaved repetitions, longer cells, 7 nodes too (how
  // the cost grows with the node count), a soak of 1,000,000 operations for redlock-rs and
  // redlock v5 (memory must stay flat).
  full: {
    ...base,
    nodeCounts: [1, 3, 5, 7],
    reps: 5,
    sequential: { ops: 50000, ms: 2000, warm: 200, ttl: 10000 },
    sequentialFenced: { ops: 50000, ms: 2000, warm: 200, ttl: 10000 },
    sequentialMulti: { resources: 10, ops: 50000, ms: 2000, warm: 200, ttl: 10000 },
    throughput: { workers: 64, ms: 2000, warmMs: 300, maxOps: 10000000, ttl: 10000 },
    contention: { workers: 16, ms: 4000, holdMs: 1, ttl: 2000, drainMs: 15000, maxCs: 10000000 },
    extend: { ops: 50000, ms: 1500, warm: 200, ttl: 10000 },
    memory: { nodes: 3, reps: 3, ops: 100000, workers: 64, maxMs: 60000, ttl: 10000 },
    soak: { nodes: 3, impls: ['redlock-rs', 'redlock-v5'], ops: 1000000, workers: 64, maxMs: 600000, ttl: 10000 },
    maxTotalMs: 3 * 3600 * 1000,
  },
}
