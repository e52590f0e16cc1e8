// The randomized Jepsen-style safety test of redlock-rs (faults.md §4): N redis-servers behind
// one fault proxy each, M client processes (client.mjs) using the public API, a seeded nemesis,
// then the checker (checker.mjs) over the merged histories, and an unsafe CONTROL phase the
// checker must flag (proving that it can see violations).
//
//   node __test__/safety/orchestrator.mjs                    # CI profile (≤ 2.5 min)
//   SEED=123 node __test__/safety/orchestrator.mjs           # replay a seed (nemesis + client choices)
//   SAFETY_PROFILE=long node __test__/safety/orchestrator.mjs   # minutes
//   SAFETY_RUN_MS=20000 ...   SAFETY_KEEP=1 (keep the histories)   SAFETY_NO_CONTROL=1
//   SAFETY_FAULTS=kill-minority,stop-minority (only these nemesis faults; 'none' for none)
//   SAFETY_M / SAFETY_C / SAFETY_K / SAFETY_CONTROL_ITERS override the profile
//   SAFETY_SCHED_ALLOWANCE=0 (V2 with ε = 3 ms exactly; default 17 ms more for one-attempt verdicts)
//   SAFETY_RESTART_GUARD=ms (the clients' restartGuard; default: unset, the library's default;
//   0 turns the guard off, which the restart-minority-now fault can then defeat)
//
// The environment is passed to the client processes unchanged (REDLOCK_RS_MUTANT,
// NAPI_RS_NATIVE_LIBRARY_PATH...). Output ends with exactly one line `N passed, M failed` (the
// checks V1, V1', V2..V7, the minimum of completed critical sections and the control — every
// recipe flagged — as tests); the exit code is non-zero on any failure.
// SAFETY_CLIENT_REFUSE=p (test-only, client.mjs): a fraction p of the clients' acquire()/using()
// calls fail at once: a stand-in for a library that rarely grants, which must fail the minimum.
// Everything started here is stopped by pid, also on failure. Loopback only.

import { fork } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'
import { startServers, stopAll, sleep, guard } from '../helpers/redis.mjs'
import { mulberry32 } from '../helpers/random.mjs'
import { startProxy, closeAllProxies } from '../faults/proxy.mjs'
import { clientPauseWrite, oom, scriptFlush } from '../faults/admin.mjs'
import { check, parseJsonl, CHECKS } from './checker.mjs'

const require = createRequire(import.meta.url)
const here = path.dirname(fileURLToPath(import.meta.url))
const CLIENT = path.join(here, 'client.mjs')

// minCriticalSectionsPerSec: the run fails unless it completed at least this many critical
// sections (plain locks granted + using() routines started) per second of its length (runMs).
// Measured on the loaded 2-core dev machine (other test suites running), CI profile, 70 s:
// 2913, 2860 and 2830 (about 41/s; SAFETY.md: ~2,900). The work is bounded by contention on
// the 4 hot resources more than by CPU. The floor is 14/s (980 in 70 s): about a third of the
// lowest run, and 2.5 times what a library that rarely grants reaches even with clients that
// ask again at once: SAFETY_CLIENT_REFUSE=0.99 (99 % of the acquire()/using() calls refused,
// V1–V7 all green) completed 390 (5.6/s) — it fails.
const PROFILES = {
  ci: { N: 5, M: 6, C: 3, K: 4, ttl: 300, nodeTimeout: 50, retryCount: 3, retryDelay: 20, retryJitter: 10, threshold: 150, runMs: 70_000, controlIters: 6, minCriticalSectionsPerSec: 14 },
  long: { N: 5, M: 8, C: 4, K: 6, ttl: 300, nodeTimeout: 50, retryCount: 3, retryDelay: 20, retryJitter: 10, threshold: 150, runMs: 10 * 60_000, controlIters: 10, minCriticalSectionsPerSec: 14 },
}
const profileName = process.env.SAFETY_PROFILE || 'ci'
if (!PROFILES[profileName]) {
  console.error(`unknown SAFETY_PROFILE ${profileName} (ci | long)`)
  process.exit(2)
}
const P = { ...PROFILES[profileName] }
for (const [k, env] of [['runMs', 'SAFETY_RUN_MS'], ['M', 'SAFETY_M'], ['C', 'SAFETY_C'], ['K', 'SAFETY_K'], ['controlIters', 'SAFETY_CONTROL_ITERS']]) {
  const v = process.env[env]
  if (v !== undefined && v !== '' && Number.isFinite(Number(v))) P[k] = Number(v)
}
const SEED = process.env.SEED !== undefined && process.env.SEED !== '' ? Number(process.env.SEED) >>> 0 : crypto.randomInt(2 ** 32 - 1)
const KEEP = process.env.SAFETY_KEEP === '1'
// SAFETY_FAULTS=kind,kind...: only these nemesis faults ('none' for none).
const ONLY_FAULTS = process.env.SAFETY_FAULTS ? process.env.SAFETY_FAULTS.split(',').map((x) => x.trim()) : null
const PREFIX = 'jepsen:'
const DRIFT = (ttl) => Math.round(ttl * 0.01) + 2
const mono = () => Number(process.hrtime.bigint() / 1000n) / 1000
const t0 = mono()
const wallStart = Date.now()

const rng = mulberry32(SEED)
const rint = (a, b) => a + Math.floor(rng() * (b - a + 1)) // inclusive
const pickSome = (arr, k) => {
  const a = [...arr]
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1))
    ;[a[i], a[j]] = [a[j], a[i]]
  }
  return a.slice(0, k)
}

const log = (...a) => console.log(...a)

/** `promise`, or `fallback()` after `ms` — the timer is cleared either way (no stray timers). */
function within(promise, ms, fallback = () => undefined) {
  let timer
  const t = new Promise((resolve, reject) => {
    timer = setTimeout(() => {
      try {
        resolve(fallback())
      } catch (e) {
        reject(e)
      }
    }, ms)
  })
  return Promise.race([promise, t]).finally(() => clearTimeout(timer))
}
const secs = (ms) => (ms / 1000).toFixed(1)

// ---------------------------------------------------------------------------------------------
// Process bookkeeping: every child by pid, killed on any exit path.

const children = new Map() // proc -> { child, exited: Promise, status }
function killChildrenSync() {
  for (const { child } of children.values()) {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(child.pid, 'SIGCONT')
      } catch {}
      try {
        process.kill(child.pid, 'SIGKILL')
      } catch {}
    }
  }
}
process.on('exit', killChildrenSync)

function cpuOfPid(pid) {
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    const parts = f.slice(f.lastIndexOf(')') + 2).split(' ')
    const tick = 100 // USER_HZ on Linux
    return ((Number(parts[11]) + Number(parts[12])) / tick) * 1000
  } catch {
    return 0
  }
}

// ---------------------------------------------------------------------------------------------
// Nemesis

const faults = [] // { op: 'fault', kind, targets, start_mono, end_mono, procs? }

/**
 * One fault, applied then healed. Every branch heals in `finally`, so a failure in the middle
 * never leaves a server stopped or a proxy broken.
 */
async function oneFault(ctx) {
  const { servers, proxies, procs } = ctx
  const N = servers.length
  const minority = () => pickSome([...Array(N).keys()], rint(1, Math.floor((N - 1) / 2)))
  const majority = () => pickSome([...Array(N).keys()], Math.floor(N / 2) + 1)
  const TTL = P.ttl
  let W = [
    ['kill-minority', 3],
    ['restart-minority-now', 3],
    ['stop-minority', 3],
    ['pause-write-minority', 1],
    ['proxy-delay-small', 2],
    ['proxy-delay-large', 2],
    ['proxy-dropreplies-minority', 1],
    ['proxy-blackhole-minority', 1],
    ['proxy-reset-minority', 1],
    ['client-stop', 2],
    ['client-busy', 1],
    ['oom-minority', 1],
    ['script-flush', 1],
    ['majority-outage', 1],
  ]
  if (ONLY_FAULTS) W = W.filter(([k]) => ONLY_FAULTS.includes(k))
  if (W.length === 0) {
    await sleep(TTL)
    return
  }
  const total = W.reduce((s, [, w]) => s + w, 0)
  let x = rng() * total
  let kind = W[W.length - 1][0]
  for (const [k, w] of W) {
    if (x < w) {
      kind = k
      break
    }
    x -= w
  }
  const rec = { op: 'fault', kind, targets: [], start_mono: mono(), end_mono: null }
  faults.push(rec)
  const mark = () => (rec.start_mono = mono())
  try {
    switch (kind) {
      case 'kill-minority': {
        // Delayed restart (down ≥ max TTL + 50 ms): safe without persistence.
        const t = minority()
        rec.targets = t.map((i) => `n${i}`)
        const down = TTL + 50 + rint(0, 250)
        rec.down_ms = down
        mark()
        await Promise.all(t.map((i) => servers[i].kill()))
        const killedAt = mono()
        await sleep(down - (mono() - killedAt))
        for (const i of t) await restartServer(servers[i])
        break
      }
      case 'restart-minority-now': {
        // Immediate restart without persistence (faults.md F5): the servers forget the locks
        // they granted. Safe only because of the restart guard (issue 15): their grants do
        // not count again before the largest TTL in use has passed.
        const t = minority()
        rec.targets = t.map((i) => `n${i}`)
        mark()
        for (const i of t) await restartServer(servers[i])
        break
      }
      case 'stop-minority': {
        const t = minority()
        rec.targets = t.map((i) => `n${i}`)
        const ms = rint(0, 2 * TTL)
        rec.ms = ms
        mark()
        try {
          for (const i of t) servers[i].pause()
          await sleep(ms)
        } finally {
          for (const i of t) servers[i].resume()
        }
        break
      }
      case 'pause-write-minority': {
        const t = minority()
        rec.targets = t.map((i) => `n${i}`)
        const ms = rint(Math.round(0.2 * TTL), 2 * TTL)
        rec.ms = ms
        mark()
        const undo = []
        try {
          for (const i of t) undo.push(await clientPauseWrite(servers[i], ms))
          await sleep(ms)
        } finally {
          for (const u of undo) await u().catch(() => {})
        }
        break
      }
      case 'proxy-delay-small':
      case 'proxy-delay-large': {
        // small: a random subset (majorities too) delayed per direction by 2..20 ms (round trip
        // below the node timeout most of the time); large: a round trip beyond the TTL.
        const small = kind === 'proxy-delay-small'
        // large: mostly a majority (then a quorum answers only after the TTL)
        const t = pickSome([...Array(N).keys()], small || rng() < 0.25 ? rint(1, N) : rint(Math.floor(N / 2) + 1, N))
        const ms = small ? rint(2, 20) : Math.round(TTL / 2) + rint(10, 100)
        const jitter = small ? rint(0, 5) : rint(0, 20)
        rec.targets = t.map((i) => `n${i}`)
        rec.ms = ms
        rec.jitter = jitter
        const hold = rint(Math.round(0.5 * TTL), 2 * TTL)
        mark()
        try {
          for (const i of t) proxies[i].set('delay', { ms, jitter })
          await sleep(hold)
        } finally {
          for (const i of t) proxies[i].set('pass')
        }
        // Chunks still queued are delivered in order after this.
        break
      }
      case 'proxy-dropreplies-minority':
      case 'proxy-blackhole-minority':
      case 'proxy-reset-minority': {
        const t = minority()
        const mode = kind.split('-')[1]
        rec.targets = t.map((i) => `n${i}`)
        const hold = rint(Math.round(0.3 * TTL), 2 * TTL)
        rec.ms = hold
        mark()
        try {
          for (const i of t) proxies[i].set(mode)
          await sleep(hold)
        } finally {
          // A TCP connection never silently loses bytes and carries on: a connection whose
          // bytes were dropped is broken (reset) before traffic passes again.
          for (const i of t) {
            if (mode !== 'reset') proxies[i].set('reset')
            proxies[i].set('pass')
          }
        }
        break
      }
      case 'client-stop': {
        const p = procs[rint(0, procs.length - 1)]
        const ms = rint(Math.round(0.5 * TTL), 3 * TTL)
        rec.targets = [p.proc]
        rec.procs = [p.proc]
        rec.ms = ms
        mark()
        try {
          process.kill(p.child.pid, 'SIGSTOP')
          await sleep(ms)
        } finally {
          try {
            process.kill(p.child.pid, 'SIGCONT')
          } catch {}
        }
        break
      }
      case 'client-busy': {
        const p = procs[rint(0, procs.length - 1)]
        const ms = rint(Math.round(0.5 * TTL), 2 * TTL)
        rec.targets = [p.proc]
        rec.ms = ms
        mark()
        if (p.child.connected) p.child.send({ type: 'busy', ms })
        await sleep(ms + 20)
        break
      }
      case 'oom-minority': {
        const t = minority()
        rec.targets = t.map((i) => `n${i}`)
        const ms = rint(Math.round(0.5 * TTL), 2 * TTL)
        rec.ms = ms
        mark()
        const undo = []
        try {
          for (const i of t) undo.push(await oom(servers[i]))
          await sleep(ms)
        } finally {
          for (const u of undo) await u().catch(() => {})
        }
        break
      }
      case 'script-flush': {
        rec.targets = servers.map((_, i) => `n${i}`)
        mark()
        await Promise.all(servers.map((s) => scriptFlush(s).catch(() => {})))
        break
      }
      case 'majority-outage': {
        // Liveness only: ≤ 2×TTL. Stopped or blackholed (nothing lost), or killed and
        // restarted after ≥ TTL + 50 ms.
        const t = majority()
        const how = ['stop', 'blackhole', 'kill'][rint(0, 2)]
        rec.how = how
        rec.targets = t.map((i) => `n${i}`)
        const ms = how === 'kill' ? rint(TTL + 50, 2 * TTL) : rint(TTL, 2 * TTL)
        rec.ms = ms
        mark()
        if (how === 'stop') {
          try {
            for (const i of t) servers[i].pause()
            await sleep(ms)
          } finally {
            for (const i of t) servers[i].resume()
          }
        } else if (how === 'blackhole') {
          try {
            for (const i of t) proxies[i].set('blackhole')
            await sleep(ms)
          } finally {
            for (const i of t) {
              proxies[i].set('reset')
              proxies[i].set('pass')
            }
          }
        } else {
          await Promise.all(t.map((i) => servers[i].kill()))
          const killedAt = mono()
          await sleep(ms - (mono() - killedAt))
          for (const i of t) await restartServer(servers[i])
        }
        break
      }
    }
  } finally {
    rec.end_mono = mono()
  }
}

async function restartServer(s) {
  // restart() = kill (a no-op when dead) + spawn on the same port, retried a few times.
  let last
  for (let i = 0; i < 3; i++) {
    try {
      await s.restart()
      return
    } catch (e) {
      last = e
      await sleep(100)
    }
  }
  throw new Error(`could not restart redis on port ${s.port}: ${last && last.message}`)
}

async function nemesis(ctx, until) {
  const TTL = P.ttl
  const maxFaults = Math.ceil((until - mono()) / (0.5 * TTL)) + 1
  for (let n = 0; n < maxFaults && mono() < until; n++) {
    await sleep(Math.round((0.5 + rng()) * TTL))
    if (mono() >= until) break
    await oneFault(ctx)
  }
}

/** Every server running, no proxy fault, nothing paused. */
async function healAll(servers, proxies) {
  for (const p of proxies) {
    if (p.mode !== 'pass') {
      if (p.mode === 'blackhole' || p.mode === 'dropreplies') p.set('reset')
      p.set('pass')
    }
  }
  for (const s of servers) {
    if (!s.alive) await restartServer(s)
    s.resume()
  }
}

// ---------------------------------------------------------------------------------------------
// V5 residue: after healing and every client gone, within the max TTL no lock key is left.
// A waiter's marker (`<key>\0redlock-rs:waiting`, docs/semantics.md) is no lock: it may still
// be there, but only with a TTL of at most 60 s (one without is residue).

const WAITING_MARKER = '\0redlock-rs:waiting'

async function residue(servers) {
  const out = []
  for (let i = 0; i < servers.length; i++) {
    const r = servers[i].redis
    let cursor = '0'
    for (let n = 0; n < 1000; n++) {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${PREFIX}*`, 'COUNT', 1000)
      for (const key of keys) {
        const pttl = await r.pttl(key)
        if (key.endsWith(WAITING_MARKER) && pttl > 0 && pttl <= 60_000) continue
        if (pttl !== -2) out.push({ op: 'residue', node: i, key, pttl, value: await r.get(key).catch(() => null) })
      }
      cursor = next
      if (cursor === '0') break
    }
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// CONTROL: deterministic unsafe recipes (faults.md F5 and F18). The holder A gets exactly a
// quorum (the other nodes are clogged with a foreign value); then one of A's nodes forgets the
// key, the clog is removed, and B acquires while A's lock is still valid (TTL 2 s). The recipes
// alternate:
//   pexpire  the victim's key expires early (PEXPIRE 1: what a server clock jump does, F18)
//   restart  the victim is killed (-9) and started again at once, without persistence (F5)
// Both forget A's key for certain, so in EVERY recipe B must get a quorum while A holds: each
// recipe must be flagged by the checker's V1 (conservative windows). Each recipe is checked on
// its own (its own resource and records), and the report names, per recipe, which checker
// properties flagged it. A recipe that did not trip (A not granted, B not granted, or no
// overlap seen) fails the control, whatever the others did.

async function control(servers, proxies, iters) {
  const Redlock = require('../../index.js')
  const TTL = 2000
  // The restart guard off (restartGuard: 0): the restart recipe is the unsafe control of the
  // restart-minority-now fault. Its guarded twin (B2, the default guard) must not trip.
  const settings = { retryCount: 0, nodeTimeout: 200, driftFactor: 0.01, retryDelay: 50, retryJitter: 10, restartGuard: 0 }
  const urls = proxies.map((p) => `redis://127.0.0.1:${p.port}`)
  // A retries too (the clog leaves it exactly one quorum, and a slow node must not make a
  // recipe void); B retries long enough to reconnect to a restarted node.
  const A = new Redlock(urls, { ...settings, retryCount: 3 })
  const B = new Redlock(urls, { ...settings, retryCount: 8 })
  const { restartGuard: _off, ...guardedSettings } = settings
  const B2 = new Redlock(urls, { ...guardedSettings, retryCount: 8 })
  const b2Quarantined = []
  B2.on('error', (e) => {
    if (e.reason === 'quarantined') b2Quarantined.push(e.message)
  })
  const guarded = [] // { name, recs, note, quarantined }
  const header = { op: 'header', proc: 'ctl', pid: process.pid, settings: { ttl: TTL, ...settings } }
  const recipes = [] // { name, kind, recs, note, mustTrip }
  const withTimeout = (p, ms) =>
    within(p, ms, () => {
      throw new Error(`timed out after ${ms} ms`)
    })
  const op = async (recs, client, what, fields, fn) => {
    const rec = { proc: 'ctl', client, op: what, ttl: TTL, ...fields, invoke_mono: mono() }
    try {
      const lock = await withTimeout(fn(), 10_000)
      const now = Date.now()
      rec.complete_mono = mono()
      rec.outcome = 'ok'
      if (lock && lock.value) {
        rec.value = lock.value
        rec.attempts = lock.attempts.length
        rec.lib_expiration_mono = rec.complete_mono + (lock.expiration - now)
      }
      recs.push(rec)
      return lock
    } catch (e) {
      rec.complete_mono = mono()
      rec.outcome = (e && e.reason) || (e && e.message) || 'error'
      recs.push(rec)
      return null
    }
  }
  try {
    for (let i = 0; i < iters; i++) {
      const kind = i % 2 === 0 ? 'pexpire' : 'restart'
      const recipe = { name: `${kind}#${i}`, kind, recs: [], note: '', mustTrip: true }
      recipes.push(recipe)
      const recs = recipe.recs
      const res = `ctl:${SEED}:${i}`
      const clog = pickSome([...servers.keys()], Math.floor((servers.length - 1) / 2))
      for (const c of clog) await servers[c].redis.set(res, 'clog', 'PX', 10_000)
      const a = await op(recs, 0, 'acquire', { resources: [res] }, () => A.acquire([res], TTL))
      if (!a) {
        recipe.note = 'A did not acquire'
        continue
      }
      const vals = await Promise.all(servers.map((s) => s.redis.get(res).catch(() => null)))
      const holders = vals.map((v, j) => (v === a.value ? j : -1)).filter((j) => j >= 0)
      const victim = holders[rint(0, holders.length - 1)]
      if (kind === 'pexpire') {
        await servers[victim].redis.pexpire(res, 1)
        await sleep(5)
      } else {
        await restartServer(servers[victim]) // kill -9, start again at once, no persistence
      }
      for (const c of clog) {
        await servers[c].redis.eval("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0", 1, res, 'clog')
      }
      const b = await op(recs, 1, 'acquire', { resources: [res] }, () => B.acquire([res], TTL))
      recipe.note = `A held ${holders.length} nodes, victim n${victim}, B ${b ? 'acquired' : 'failed'}`
      if (b) await op(recs, 1, 'release', { resources: [res], value: b.value }, () => B.release(b))
      await op(recs, 0, 'release', { resources: [res], value: a.value }, () => A.release(a))
    }
    // The guarded twin of the restart recipe: the same steps, B2 with the default guard (it
    // asked for the TTL before, so the guard is the TTL). B2 must be refused as quarantined.
    await op([], 2, 'acquire', {}, async () => {
      const l = await B2.acquire([`ctl:${SEED}:warm`], TTL)
      await B2.release(l)
    })
    for (let i = 0; i < Math.ceil(iters / 2); i++) {
      const recipe = { name: `guarded-restart#${i}`, recs: [], note: '', quarantined: 0 }
      guarded.push(recipe)
      const recs = recipe.recs
      const res = `ctl:${SEED}:g${i}`
      const clog = pickSome([...servers.keys()], Math.floor((servers.length - 1) / 2))
      for (const c of clog) await servers[c].redis.set(res, 'clog', 'PX', 10_000)
      const a = await op(recs, 0, 'acquire', { resources: [res] }, () => A.acquire([res], TTL))
      if (!a) {
        recipe.note = 'A did not acquire'
        continue
      }
      const vals = await Promise.all(servers.map((s) => s.redis.get(res).catch(() => null)))
      const holders = vals.map((v, j) => (v === a.value ? j : -1)).filter((j) => j >= 0)
      const victim = holders[rint(0, holders.length - 1)]
      await restartServer(servers[victim])
      for (const c of clog) {
        await servers[c].redis.eval("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0", 1, res, 'clog')
      }
      const seen = b2Quarantined.length
      const b = await op(recs, 2, 'acquire', { resources: [res] }, () => B2.acquire([res], TTL))
      recipe.quarantined = b2Quarantined.length - seen
      recipe.note = `A held ${holders.length} nodes, victim n${victim}, B2 ${b ? 'acquired' : 'failed'}`
      if (b) await op(recs, 2, 'release', { resources: [res], value: b.value }, () => B2.release(b))
      await op(recs, 0, 'release', { resources: [res], value: a.value }, () => A.release(a))
    }
  } finally {
    await Promise.allSettled([A.quit(), B.quit(), B2.quit()])
  }
  for (const r of guarded) {
    const rep = check([header, ...r.recs])
    r.v1 = rep.checks.V1.violations
    r.safe = r.recs.length > 0 && r.v1 === 0
  }
  // Each recipe on its own: which checker properties flag it.
  for (const r of recipes) {
    const rep = check([header, ...r.recs])
    r.flaggedBy = rep.failed
    r.v1 = rep.checks.V1.violations
    r.tripped = r.v1 > 0
  }
  const report = check([header, ...recipes.flatMap((r) => r.recs)])
  return { report, recipes, hits: report.checks.V1.violations, guarded }
}

// ---------------------------------------------------------------------------------------------
// Main

async function main() {
  const TTL = P.ttl
  log(`safety: seed=${SEED} profile=${profileName} (replay: SEED=${SEED}${profileName !== 'ci' ? ` SAFETY_PROFILE=${profileName}` : ''})`)
  log(
    `safety: N=${P.N} servers behind proxies, M=${P.M} processes × C=${P.C} clients, K=${P.K} resources + 2 multi-resource sets, ` +
      `TTL ${TTL} ms, nodeTimeout ${P.nodeTimeout} ms, retryCount ${P.retryCount}, retryDelay ${P.retryDelay} ± ${P.retryJitter} ms, run ${secs(P.runMs)} s` +
      (process.env.REDLOCK_RS_MUTANT ? `, MUTANT=${process.env.REDLOCK_RS_MUTANT}` : ''),
  )
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `redlock-safety-${SEED}-`))
  let servers = []
  let proxies = []
  const records = []
  let controlResult = null
  let infraError = null
  let runWall = 0
  const cpu = { orchestrator: 0, clients: 0, servers: 0 }
  const serverCpu = new Map()
  const sampleServerCpu = () => {
    for (const s of servers) if (s.alive) serverCpu.set(s.pid, cpuOfPid(s.pid))
  }
  const cpuStart = process.cpuUsage()
  try {
    servers = await startServers(P.N)
    for (const s of servers) proxies.push(await startProxy({ targetPort: s.port }))
    const resources = Array.from({ length: P.K }, (_, i) => `${PREFIX}r${i}`)
    const multi = [
      [resources[1], resources[2]],
      [resources[2], resources[3 % P.K]],
    ]
    const procs = []
    for (let i = 0; i < P.M; i++) {
      const proc = `p${i}`
      const history = path.join(dir, `${proc}.jsonl`)
      const cfg = {
        proc,
        index: i,
        history,
        ports: proxies.map((p) => p.port),
        clients: P.C,
        resources,
        multi,
        prefix: PREFIX,
        ttl: TTL,
        threshold: P.threshold,
        seed: SEED,
        maxRunMs: P.runMs,
        settings: {
          nodeTimeout: P.nodeTimeout,
          retryCount: P.retryCount,
          retryDelay: P.retryDelay,
          retryJitter: P.retryJitter,
          driftFactor: 0.01,
          ...(process.env.SAFETY_RESTART_GUARD ? { restartGuard: Number(process.env.SAFETY_RESTART_GUARD) } : {}),
        },
      }
      // The environment goes to the clients unchanged (mutant builds).
      const child = fork(CLIENT, [JSON.stringify(cfg)], { env: process.env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] })
      // Under the test helper's guardian too: if this orchestrator dies without running its exit
      // handler (SIGKILL, a crash), the guardian SIGKILLs the client (same pid and start time).
      guard(child)
      const entry = { proc, child, history, output: '', ready: false, done: false, status: null }
      const keep = (d) => (entry.output = (entry.output + d.toString()).slice(-4000))
      child.stdout.on('data', keep)
      child.stderr.on('data', keep)
      entry.exited = new Promise((resolve) =>
        child.once('exit', (code, signal) => {
          entry.status = { code, signal }
          resolve()
        }),
      )
      child.on('message', (m) => {
        if (m && m.type === 'ready') entry.ready = true
        if (m && m.type === 'done') entry.done = true
      })
      child.on('error', () => {})
      children.set(proc, entry)
      procs.push(entry)
    }
    // Wait (bounded) until every client is connected and warmed up.
    const readyBy = mono() + 30_000
    while (procs.some((p) => !p.ready) && mono() < readyBy) {
      if (procs.some((p) => p.status)) break
      await sleep(50)
    }
    const notReady = procs.filter((p) => !p.ready)
    if (notReady.length) throw new Error(`clients not ready: ${notReady.map((p) => `${p.proc} ${JSON.stringify(p.status)} ${p.output.slice(-500)}`).join('; ')}`)
    log(`safety: setup ${secs(mono() - t0)} s; running`)

    const runStart = mono()
    for (const p of procs) p.child.send({ type: 'go' })
    const until = runStart + P.runMs
    const ctx = { servers, proxies, procs }
    let nemesisError = null
    await nemesis(ctx, until).catch((e) => (nemesisError = e))
    await healAll(servers, proxies)
    if (nemesisError) throw nemesisError
    sampleServerCpu()
    runWall = mono() - runStart

    // Stop the clients; each must exit by itself after quit() (V7).
    for (const p of procs) if (p.child.connected) p.child.send({ type: 'stop' })
    await within(Promise.all(procs.map((p) => p.exited)), 20_000)
    for (const p of procs) {
      const hung = !p.status
      if (hung) {
        try {
          process.kill(p.child.pid, 'SIGCONT')
          process.kill(p.child.pid, 'SIGKILL')
        } catch {}
        await within(p.exited, 2000)
      }
      const st = p.status || {}
      records.push({ op: 'proc_exit', proc: p.proc, code: hung ? null : st.code, signal: hung ? null : st.signal, hung, done: p.done })
      if (hung || st.code !== 0) log(`safety: ${p.proc} ${hung ? 'did not exit' : `exited ${st.code} ${st.signal || ''}`}; output: ${p.output.slice(-1500)}`)
    }

    // V5 residue: wait the max TTL (+ margin) after the last client went away.
    await sleep(TTL + 200)
    const res = await residue(servers)
    records.push(...res, { op: 'residue_checked', nodes: servers.length })

    // The control phase (its own history).
    if (process.env.SAFETY_NO_CONTROL !== '1') {
      controlResult = await control(servers, proxies, P.controlIters)
    }
    sampleServerCpu()
  } catch (e) {
    infraError = e
  } finally {
    killChildrenSync()
    await Promise.allSettled([...children.values()].map((c) => within(c.exited, 3000)))
    await closeAllProxies()
    for (const s of servers) if (s.alive) serverCpu.set(s.pid, cpuOfPid(s.pid))
    await stopAll()
  }

  // ---- histories → checker ----
  for (const c of children.values()) {
    try {
      const recs = parseJsonl(fs.readFileSync(c.history, 'utf8'))
      records.push(...recs)
    } catch {}
  }
  records.push(...faults)
  fs.writeFileSync(path.join(dir, 'orchestrator.jsonl'), faults.concat(records.filter((r) => ['proc_exit', 'residue', 'residue_checked'].includes(r.op))).map((r) => JSON.stringify(r)).join('\n') + '\n')
  const checkOptions = {}
  if (process.env.SAFETY_SCHED_ALLOWANCE) checkOptions.schedAllowance = Number(process.env.SAFETY_SCHED_ALLOWANCE)
  const report = check(records, checkOptions)
  const s = report.stats
  const c = process.cpuUsage(cpuStart)
  cpu.orchestrator = (c.user + c.system) / 1000
  cpu.clients = records.filter((r) => r.op === 'rss').reduce((n, r) => n + (r.cpu_user_ms || 0) + (r.cpu_system_ms || 0), 0)
  cpu.servers = [...serverCpu.values()].reduce((a, b) => a + b, 0)
  const wall = mono() - t0

  log('')
  log(`== faults: ${faults.length} — ${Object.entries(s.faults).map(([k, n]) => `${k} ${n}`).join(', ')}`)
  log(`== operations (run ${secs(runWall)} s):`)
  log(`   acquire  ${s.acquires} ${JSON.stringify(s.acquire_outcomes)}`)
  log(`   extend   ${s.extends} ${JSON.stringify(s.extend_outcomes)}; deliberately late ${s.late_extends} (ok ${s.late_extends_ok})`)
  log(`   release  ${s.releases} ${JSON.stringify(s.release_outcomes)}`)
  log(`   using    ${s.usings} ${JSON.stringify(s.using_outcomes)}; routines ${s.routines} (saw abort ${s.routines_aborted})`)
  log(`   critical sections ${s.critical_sections}; latency p50/p99/max ms: ` +
    ['acquire', 'extend', 'release'].map((k) => `${k} ${s.p50_ms[k]}/${s.p99_ms[k]}/${s.max_ms[k]}`).join(', '))
  log(`   V2: max slack of one-attempt verdicts ${s.v2_max_slack_ms} ms (ε 3 ms + 17 ms scheduling allowance; ${s.v2_near_misses} between 3 and 20 ms); locks already expired on receipt: ${s.returned_expired}`)
  const clientErrors = records.filter((r) => r.op === 'rss').reduce((n, r) => n + (r.client_errors || 0), 0)
  log(`   per-node errors/timeouts seen by clients: ${clientErrors}; client RSS max ${s.max_rss_mb} MB, max growth ${s.max_rss_growth_mb} MB`)
  log(`== checks:`)
  const names = {
    V1: 'mutual exclusion (conservative windows)',
    "V1'": "mutual exclusion (library's expiration, using() claims)",
    V2: 'honest expiration',
    V3: 'no extend after the end',
    V4: 'using() aborts in time',
    V5: 'no residue after healing',
    V6: 'time budget',
    V7: 'process health',
    V8: 'fencing tokens increase per resource',
  }
  for (const k of CHECKS) {
    const ck = report.checks[k]
    log(`   ${ck.violations ? 'FAIL' : 'ok  '} ${k.padEnd(3)} ${names[k]}: ${ck.violations} violations / ${ck.checked} checked`)
    for (const ex of ck.examples) log(`          ${JSON.stringify(ex)}`)
  }
  let controlOk = false
  if (controlResult) {
    const rs = controlResult.recipes
    const missed = rs.filter((r) => r.mustTrip && !r.tripped)
    // The guarded twins: no violation, and the restarted victim was seen quarantined.
    const guardedOk = controlResult.guarded.length > 0 && controlResult.guarded.every((r) => r.safe && r.quarantined > 0)
    controlOk = rs.length === P.controlIters && rs.length > 0 && missed.length === 0 && guardedOk
    log(
      `== control (unsafe by design, every recipe must be flagged by V1): ${rs.filter((r) => r.tripped).length}/${rs.length} recipes tripped, ` +
        `${controlResult.hits} V1 hits ${controlOk ? '(detected)' : `(NOT DETECTED: ${missed.map((r) => r.name).join(', ')})`}`,
    )
    for (const r of rs) {
      log(`control-recipe: ${r.name} ${r.tripped ? 'tripped' : 'NOT-tripped'} flagged-by=${r.flaggedBy.join(',') || 'none'} (V1 ${r.v1}; ${r.note})`)
    }
    for (const r of controlResult.guarded) {
      log(`guarded-recipe: ${r.name} ${r.safe ? 'safe' : 'UNSAFE'} quarantined=${r.quarantined} (V1 ${r.v1}; ${r.note})`)
    }
    log(`control-iters: ${P.controlIters}`)
    log(`control-v1-hits: ${controlResult.hits}`)
  } else if (process.env.SAFETY_NO_CONTROL === '1') {
    log('== control: skipped (SAFETY_NO_CONTROL=1)')
  }
  if (infraError) log(`== INFRASTRUCTURE ERROR: ${infraError.stack || infraError}`)
  log(`== CPU: orchestrator+proxies ${secs(cpu.orchestrator)} s, clients ${secs(cpu.clients)} s, redis ${secs(cpu.servers)} s; wall ${secs(wall)} s (${Math.round(((cpu.orchestrator + cpu.clients + cpu.servers) / wall / os.cpus().length) * 100)} % of ${os.cpus().length} cores)`)

  // The minimum of completed critical sections (see PROFILES): V1–V7 hold trivially for a library
  // that rarely grants a lock, so a run must also have done the work it checks.
  const minCS = Math.ceil((P.minCriticalSectionsPerSec * P.runMs) / 1000)
  const csOk = s.critical_sections >= minCS
  log(`== ${csOk ? 'ok  ' : 'FAIL'} enough work: ${s.critical_sections} completed critical sections, minimum ${minCS} (${P.minCriticalSectionsPerSec}/s of run)`)
  log(`critical-sections: ${s.critical_sections} (minimum ${minCS})`)
  const tests = CHECKS.map((k) => report.checks[k].violations === 0)
  tests.push(csOk)
  if (process.env.SAFETY_NO_CONTROL !== '1') tests.push(controlOk)
  if (infraError) tests.push(false)
  const failedN = tests.filter((t) => !t).length
  const passedN = tests.length - failedN
  if (failedN > 0 || KEEP) log(`histories kept in ${dir} (replay: SEED=${SEED})`)
  else fs.rmSync(dir, { recursive: true, force: true })
  log(`${passedN} passed, ${failedN} failed`)
  void wallStart
  return failedN > 0 ? 1 : 0
}

// process.exit() rather than a natural exit: after the fault proxy reset connections
// (socket.resetAndDestroy()), Node 20's environment teardown can spin forever at 100 % CPU
// (reproduced without redlock-rs). stdout/stderr are synchronous on Linux, nothing is lost.
main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e)
    killChildrenSync()
    console.log('0 passed, 1 failed')
    process.exit(1)
  },
)
