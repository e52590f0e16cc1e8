// The measured scenarios. Each takes an open adapter (see impls.mjs) and a context, runs one
// bounded cell (bounded in operations and in time) and returns its metrics.
//
//   ctx = { cfg, key(name) -> unique key, admins: INFO access to the nodes in use (lib/admin.mjs), gc() }

import { performance } from 'node:perf_hooks'
import { Samples, round } from './stats.mjs'

const now = () => performance.now()
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

// ---------------------------------------------------------------------------------------------
// Redis-side counters: INFO cpu + commandstats, summed over the nodes in use.

function parseInfo(text) {
  const calls = {}
  let cpuUs = 0
  for (const line of text.split('\r\n')) {
    let m = /^cmdstat_([^:]+):calls=(\d+)/.exec(line)
    if (m) {
      calls[m[1]] = Number(m[2])
      continue
    }
    m = /^used_cpu_(sys|user):([\d.]+)/.exec(line)
    if (m) cpuUs += Number(m[2]) * 1e6
  }
  return { calls, cpuUs }
}

async function redisCounters(admins) {
  const infos = await admins.info('cpu', 'commandstats')
  const calls = {}
  let cpuUs = 0
  for (const text of infos) {
    const p = parseInfo(text)
    cpuUs += p.cpuUs
    for (const [k, v] of Object.entries(p.calls)) calls[k] = (calls[k] ?? 0) + v
  }
  return { calls, cpuUs }
}

/** Commands between two snapshots, without the INFO calls of the bench itself. */
function counterDelta(a, b) {
  const calls = {}
  let total = 0
  for (const [k, v] of Object.entries(b.calls)) {
    if (k === 'info') continue
    const d = v - (a.calls[k] ?? 0)
    if (d > 0) {
      calls[k] = d
      total += d
    }
  }
  return { calls, total, cpuUs: b.cpuUs - a.cpuUs }
}

function perOp(delta, ops) {
  const byCmd = {}
  for (const [k, v] of Object.entries(delta.calls)) byCmd[k] = round(v / Math.max(1, ops), 3)
  return {
    redisCmdsPerOp: round(delta.total / Math.max(1, ops), 3),
    redisCmdsByType: byCmd,
    redisCpuUsPerOp: round(delta.cpuUs / Math.max(1, ops), 2),
  }
}

/**
 * Voluntary context switches of the whole process so far (every thread: getrusage). Each is a
 * thread going to sleep on something (a socket, a futex): the thread wake-ups an operation
 * costs, which the machine's load does not change the way it changes times.
 */
function voluntarySwitches() {
  return process.resourceUsage().voluntaryContextSwitches
}

function cpuUs(start) {
  const d = process.cpuUsage(start)
  return d.user + d.system
}

// ---------------------------------------------------------------------------------------------

async function warmSequential(c, key, n, ttl) {
  for (let i = 0; i < n; i++) {
    try {
      await c.release(await c.acquire(key, ttl))
    } catch {}
  }
}

/** (1) Sequential acquire + release: one worker, latency of the pair. */
export function sequential(c, ctx) {
  return sequentialOf(c, ctx, ctx.cfg.sequential, ctx.key('seq'))
}

/** (1b) The same with one lock on `resources` keys (how the cost grows with the resources). */
export function sequentialMulti(c, ctx) {
  const cfg = ctx.cfg.sequentialMulti
  const keys = Array.from({ length: cfg.resources }, (_, i) => ctx.key(`seqm:{m}:${i}`))
  return sequentialOf(c, ctx, cfg, keys)
}

/**
 * (1c) Sequential acquire + release with a fencing token (docs/fencing.md): one more round trip
 * per acquire. Only implementations that fence (their adapter has `acquireFenced`) run it; its
 * report compares it with the same implementation's plain `sequential` of the same run.
 */
export function sequentialFenced(c, ctx) {
  if (typeof c.acquireFenced !== 'function') throw new Error('this implementation has no fencing tokens')
  return sequentialOf({ ...c, acquire: c.acquireFenced }, ctx, ctx.cfg.sequentialFenced, ctx.key('seqf'))
}

async function sequentialOf(c, ctx, cfg, key) {
  const { ops: maxOps, ms, warm, ttl } = cfg
  await warmSequential(c, key, warm, ttl)
  ctx.gc()
  const pair = new Samples(maxOps)
  const acq = new Samples(maxOps)
  let errors = 0
  const before = await redisCounters(ctx.admins)
  const cpu0 = process.cpuUsage()
  const vcs0 = voluntarySwitches()
  const t0 = now()
  const deadline = t0 + ms
  let i = 0
  for (; i < maxOps && now() < deadline; i++) {
    const a = now()
    try {
      const lock = await c.acquire(key, ttl)
      const b = now()
      await c.release(lock)
      pair.push(now() - a)
      acq.push(b - a)
    } catch {
      errors++
    }
  }
  const seconds = (now() - t0) / 1000
  const cpu = cpuUs(cpu0)
  const vcs = voluntarySwitches() - vcs0
  const delta = counterDelta(before, await redisCounters(ctx.admins))
  const [p50, p99, p999] = pair.pct([0.5, 0.99, 0.999])
  const [ap50] = acq.pct([0.5])
  return {
    ops: pair.n,
    errors,
    seconds: round(seconds),
    opsPerSec: round(pair.n / seconds, 1),
    p50Us: round(p50 * 1000, 1),
    p99Us: round(p99 * 1000, 1),
    p999Us: round(p999 * 1000, 1),
    acquireP50Us: round(ap50 * 1000, 1),
    cpuUsPerOp: round(cpu / Math.max(1, pair.n), 1),
    vcsPerOp: round(vcs / Math.max(1, pair.n), 2),
    ...perOp(delta, pair.n),
  }
}

/** (2) Throughput: W workers, each acquiring and releasing its own resource in a loop. */
export async function throughput(c, ctx) {
  const { workers, ms, maxOps, warmMs, ttl } = ctx.cfg.throughput
  const keys = Array.from({ length: workers }, (_, w) => ctx.key(`tp:${w}`))
  const runLoop = async (durationMs, record) => {
    const deadline = now() + durationMs
    let ops = 0
    let errors = 0
    const acq = record ? new Samples(maxOps) : null
    const worker = async (w) => {
      const key = keys[w]
      while (ops + errors < maxOps && now() < deadline) {
        const a = now()
        let lock
        try {
          lock = await c.acquire(key, ttl)
        } catch {
          errors++
          continue
        }
        if (acq) acq.push(now() - a)
        try {
          await c.release(lock)
          ops++
        } catch {
          errors++
        }
      }
    }
    await Promise.all(keys.map((_, w) => worker(w)))
    return { ops, errors, acq }
  }
  await runLoop(warmMs, false)
  ctx.gc()
  const before = await redisCounters(ctx.admins)
  const cpu0 = process.cpuUsage()
  const t0 = now()
  const { ops, errors, acq } = await runLoop(ms, true)
  const seconds = (now() - t0) / 1000
  const cpu = cpuUs(cpu0)
  const delta = counterDelta(before, await redisCounters(ctx.admins))
  const [ap50, ap99] = acq.pct([0.5, 0.99])
  return {
    ops,
    errors,
    seconds: round(seconds),
    opsPerSec: round(ops / seconds, 1),
    acquireP50Us: round(ap50 * 1000, 1),
    acquireP99Us: round(ap99 * 1000, 1),
    cpuUsPerOp: round(cpu / Math.max(1, ops), 1),
    ...perOp(delta, ops),
  }
}

/**
 * (3) Contention: W workers loop on ONE resource: acquire (retrying), hold for `holdMs`, release.
 * Critical sections that started before the deadline count for cs/s; after the deadline no new
 * acquire starts and waiters still in line finish (bounded by drainMs). Mutual exclusion is
 * checked with an in-process "who is inside" flag.
 */
export async function contention(c, ctx) {
  const { workers, ms, holdMs, ttl, drainMs, maxCs } = ctx.cfg.contention
  const key = ctx.key('cont')
  await warmSequential(c, key, 5, ttl)
  ctx.gc()
  const waits = new Samples(maxCs + workers)
  const perWorker = new Array(workers).fill(0)
  let inside = -1
  let violations = 0
  let cs = 0
  let csInWindow = 0
  let giveUps = 0
  let releaseErrors = 0
  let stop = false
  const before = await redisCounters(ctx.admins)
  const cpu0 = process.cpuUsage()
  const t0 = now()
  const deadline = t0 + ms
  const stopTimer = setTimeout(() => (stop = true), ms)
  const worker = async (w) => {
    // Bounded: every iteration either acquires (cs++) or gives up after its retries.
    for (let iter = 0; iter < maxCs && !stop && cs < maxCs; iter++) {
      const a = now()
      let lock
      try {
        lock = await c.acquire(key, ttl)
      } catch {
        giveUps++
        continue
      }
      const got = now()
      waits.push(got - a)
      if (inside !== -1) violations++
      inside = w
      await sleep(holdMs)
      if (inside !== w) violations++
      inside = -1
      cs++
      perWorker[w]++
      if (got <= deadline) csInWindow++
      try {
        await c.release(lock)
      } catch {
        releaseErrors++
      }
    }
  }
  let timedOut = false
  const all = Promise.all(perWorker.map((_, w) => worker(w)))
  let hardTimer
  await Promise.race([
    all,
    new Promise((r) => {
      hardTimer = setTimeout(() => {
        timedOut = true
        r()
      }, ms + drainMs)
    }),
  ])
  clearTimeout(stopTimer)
  clearTimeout(hardTimer)
  stop = true
  const totalSeconds = (now() - t0) / 1000
  const cpu = cpuUs(cpu0)
  const delta = counterDelta(before, await redisCounters(ctx.admins))
  const [w50, w99] = waits.pct([0.5, 0.99])
  const [wmax] = waits.pct([1])
  const served = perWorker.filter((n) => n > 0).length
  const p = perOp(delta, cs)
  return {
    cs,
    csInWindow,
    seconds: round(ms / 1000),
    csPerSec: round(csInWindow / (ms / 1000), 1),
    waitP50Ms: round(w50, 2),
    waitP99Ms: round(w99, 2),
    waitMaxMs: round(wmax, 2),
    violations,
    giveUps,
    releaseErrors,
    timedOut,
    workersServed: served,
    maxWorkerShare: round(Math.max(...perWorker) / Math.max(1, cs), 3),
    cpuUsPerCs: round(cpu / Math.max(1, cs), 1),
    drainSeconds: round(totalSeconds - ms / 1000),
    redisCmdsPerCs: p.redisCmdsPerOp,
    redisCmdsByType: p.redisCmdsByType,
    redisCpuUsPerCs: p.redisCpuUsPerOp,
  }
}

/** (4) Sequential extend of one held lock. */
export async function extend(c, ctx) {
  const { ops: maxOps, ms, warm, ttl } = ctx.cfg.extend
  const key = ctx.key('ext')
  let lock = await c.acquire(key, ttl)
  let errors = 0
  try {
    for (let i = 0; i < warm; i++) lock = await c.extend(lock, ttl)
    ctx.gc()
    const lat = new Samples(maxOps)
    const before = await redisCounters(ctx.admins)
    const cpu0 = process.cpuUsage()
    const t0 = now()
    const deadline = t0 + ms
    for (let i = 0; i < maxOps && now() < deadline; i++) {
      const a = now()
      try {
        lock = await c.extend(lock, ttl)
        lat.push(now() - a)
      } catch {
        errors++
        // The lock is gone (should not happen): take a new one so the loop goes on.
        try {
          lock = await c.acquire(key, ttl)
        } catch {}
      }
    }
    const seconds = (now() - t0) / 1000
    const cpu = cpuUs(cpu0)
    const delta = counterDelta(before, await redisCounters(ctx.admins))
    const [p50, p99, p999] = lat.pct([0.5, 0.99, 0.999])
    return {
      ops: lat.n,
      errors,
      seconds: round(seconds),
      opsPerSec: round(lat.n / seconds, 1),
      p50Us: round(p50 * 1000, 1),
      p99Us: round(p99 * 1000, 1),
      p999Us: round(p999 * 1000, 1),
      cpuUsPerOp: round(cpu / Math.max(1, lat.n), 1),
      ...perOp(delta, lat.n),
    }
  } finally {
    try {
      await c.release(lock)
    } catch {}
  }
}

export const SCENARIOS = { sequential, sequentialMulti, sequentialFenced, throughput, contention, extend }
