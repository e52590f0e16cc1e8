// A client process of the randomized safety test (faults.md §4.1). Started by orchestrator.mjs
// with fork(); uses only the public JS API of redlock-rs. C logical clients acquire / hold /
// sometimes extend / release (or run using()) on K hot resources and multi-resource sets, and
// log every operation as JSONL with CLOCK_MONOTONIC timestamps (process.hrtime.bigint(), shared
// by every process on the host).
//
//   node client.mjs '<json config>'     (see `cfg` below; normally only the orchestrator runs it)
//
// IPC from the orchestrator: { type: 'go' }, { type: 'stop' }, { type: 'busy', ms } (block the
// event loop for ms). To the orchestrator: { type: 'ready' }, { type: 'done' }.
// Every loop is bounded in count and time; the process exits by itself after quit() (V7).

import fs from 'node:fs'
import { PerformanceObserver, performance } from 'node:perf_hooks'
import { createRequire } from 'node:module'
import { mulberry32 } from '../helpers/random.mjs'

const require = createRequire(import.meta.url)
const Redlock = require('../../index.js')

const cfg = JSON.parse(process.argv[2])
// { proc, history, ports: [proxy ports], clients, resources: [...], multi: [[...]], ttl,
//   settings: { nodeTimeout, retryCount, retryDelay, retryJitter, driftFactor },
//   threshold, seed, maxRunMs }
const PROC = cfg.proc
const TTL = cfg.ttl
const S = cfg.settings
const DRIFT = (ttl) => Math.round(ttl * S.driftFactor) + 2
const HARD_DEADLINE_MS = cfg.maxRunMs + 60_000 // never outlive a lost orchestrator
const MAX_OPS_PER_CLIENT = 1_000_000
const STOP_GRACE_MS = 8000

const mono = () => Number(process.hrtime.bigint() / 1000n) / 1000
const sleep = (ms) => new Promise((r) => setTimeout(r, Math.max(0, ms)))
/** `promise`, or undefined after `ms`; the timer is cleared either way. */
function within(promise, ms) {
  let timer
  const t = new Promise((resolve) => (timer = setTimeout(resolve, ms)))
  return Promise.race([promise, t]).finally(() => clearTimeout(timer))
}

// ---- history ----
const fd = fs.openSync(cfg.history, 'a')
let buf = []
function log(rec) {
  buf.push(JSON.stringify({ proc: PROC, ...rec }) + '\n')
  if (buf.length >= 512) flush()
}
function flush() {
  if (buf.length === 0) return
  const text = buf.join('')
  buf = []
  try {
    fs.writeSync(fd, text)
  } catch {}
}
const flushTimer = setInterval(flush, 250)
flushTimer.unref()

function fatal(kind, err) {
  log({ op: 'fatal', kind, message: String((err && err.stack) || err) })
  flush()
  process.exit(70)
}
process.on('uncaughtException', (e) => fatal('uncaughtException', e))
process.on('unhandledRejection', (e) => fatal('unhandledRejection', e))

// Garbage-collection pauses of this process (they can delay any operation, and the moment the
// library starts its attempt after the invoke time was taken).
const perfToMono = mono() - performance.now()
const gcObserver = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    if (e.duration >= 1) log({ op: 'gc', start_mono: perfToMono + e.startTime, end_mono: perfToMono + e.startTime + e.duration })
  }
})
gcObserver.observe({ entryTypes: ['gc'] })

// ---- state ----
let stopping = false
let started = false
const pending = new Set() // operation records not completed yet
let clientErrors = 0
let rssBaseline = null
let rssMax = 0
const cpu0 = process.cpuUsage()

function begin(rec) {
  rec.invoke_mono = mono()
  pending.add(rec)
  return rec
}
function end(rec, extra) {
  Object.assign(rec, extra)
  if (rec.complete_mono === undefined) rec.complete_mono = mono()
  pending.delete(rec)
  log(rec)
}
const reasonOf = (e) => (e && e.reason) || (e && e.name) || 'error'

// Two Redlock objects per process: logical clients share them (one multiplexed connection per node each).
const urls = cfg.ports.map((p) => `redis://127.0.0.1:${p}`)
const base = {
  driftFactor: S.driftFactor,
  retryCount: S.retryCount,
  retryDelay: S.retryDelay,
  retryJitter: S.retryJitter,
  nodeTimeout: S.nodeTimeout,
  automaticExtensionThreshold: cfg.threshold,
  // SAFETY_RESTART_GUARD (orchestrator): unset → the library's default restart guard.
  ...(S.restartGuard !== undefined ? { restartGuard: S.restartGuard } : {}),
}
const redlocks = [new Redlock(urls, base), new Redlock(urls, base)]
for (const r of redlocks) r.on('clientError', () => clientErrors++)

// TEST-ONLY stand-in for "a library that rarely grants a lock" (it must fail the orchestrator's
// minimum of completed critical sections while V1–V7 stay green): SAFETY_CLIENT_REFUSE=p makes
// a fraction p of the acquire() and using() calls of the run fail at once, without asking any
// server, with the reason 'refused-by-test' (as a library that reports "locked" would). The
// warm-up is not affected. Unset (the default) or 0: every call goes to the library.
const REFUSE = Math.min(1, Math.max(0, Number(process.env.SAFETY_CLIENT_REFUSE) || 0))
const refuseRng = mulberry32((cfg.seed ^ 0x5bd1e995 ^ Math.imul(cfg.index + 1, 0x27d4eb2d)) >>> 0)
function refused() {
  if (REFUSE === 0 || refuseRng() >= REFUSE) return null
  const e = new Error('refused by SAFETY_CLIENT_REFUSE (test-only stand-in)')
  e.reason = 'refused-by-test'
  e.attempts = []
  return e
}

// Fencing tokens (issue 14, check V8): about half of the plain locks and using() calls ask
// for one. A generator of its own, so the schedule drawn from each client's `rng` (and with it
// the replay of a SEED) is unchanged.
const fenceRng = mulberry32((cfg.seed ^ 0x6a09e667 ^ Math.imul(cfg.index + 1, 0x3c6ef372)) >>> 0)
const fenced = () => fenceRng() < 0.5

log({ op: 'header', pid: process.pid, settings: { ttl: TTL, ...S }, threshold: cfg.threshold, start_mono: mono() })

// ---- one plain lock: acquire, hold, maybe extend (in time or deliberately late), release ----
async function plainLock(ci, rl, rng, resources) {
  // Now and then a per-node timeout beyond the TTL: a slow quorum may then answer after the
  // validity ran out, and the library must refuse (never grant an already-expired lock).
  // Those go to a private (uncontended) resource, so that a quorum can actually be reached late.
  const slow = rng() < 0.15
  if (slow) resources = [`${cfg.prefix}solo:${PROC}:${ci}`]
  const retryCount = slow || rng() < 0.3 ? 0 : S.retryCount
  const ttl = slow || rng() < 0.7 ? TTL : Math.round(TTL / 2 + rng() * (TTL / 2))
  const opts = slow ? { retryCount, nodeTimeout: 2 * TTL } : { retryCount }
  if (fenced()) opts.fencing = true
  const rec = begin({ op: 'acquire', client: ci, resources, ttl, retryCount, nodeTimeout: opts.nodeTimeout, fencing: !!opts.fencing })
  let lock
  try {
    const no = refused()
    if (no) throw no
    const p = rl.acquire(resources, ttl, opts)
    rec.sync_mono = mono()
    lock = await p
  } catch (e) {
    end(rec, { outcome: reasonOf(e), attempts: e && e.attempts ? e.attempts.length : undefined })
    return false
  }
  const now = Date.now()
  const m = mono()
  end(rec, {
    complete_mono: m,
    outcome: 'ok',
    value: lock.value,
    attempts: lock.attempts.length,
    lib_expiration_mono: m + (lock.expiration - now),
    fencing_token: lock.fencingToken,
  })
  // The conservative end the checker uses, and an upper bound of the honest library's end.
  let consEnd = rec.invoke_mono + ttl - DRIFT(ttl)
  let upperEnd = m + ttl - DRIFT(ttl)
  let cur = lock
  const hold = (0.1 + 0.5 * rng()) * TTL
  const plan = rng()
  if (plan < 0.25) {
    // An extension in time: only when surely before the conservative end (the decision and the
    // invoke time are the same instant, so a pause after it cannot make the invoke look late).
    await sleep(hold / 2)
    const t = mono()
    if (t < consEnd - 10 && !stopping) {
      // Never a shorter lock than the current one (an extend sets the TTL anew; a failed
      // shortening extend could shorten a quorum while the old Lock still looks valid).
      const minE = Math.min(TTL, Math.ceil(upperEnd - t) + DRIFT(TTL) + 1)
      const ttlE = rng() < 0.5 ? TTL : minE + Math.floor(rng() * (TTL - minE + 1))
      const retryE = rng() < 0.5 ? 0 : S.retryCount
      const x = { op: 'extend', client: ci, resources, ttl: ttlE, retryCount: retryE, value: cur.value, late: false, invoke_mono: t }
      pending.add(x)
      try {
        const pe = rl.extend(cur, ttlE, { retryCount: retryE })
        x.sync_mono = mono()
        const next = await pe
        const now2 = Date.now()
        const m2 = mono()
        end(x, { complete_mono: m2, outcome: 'ok', attempts: next.attempts.length, lib_expiration_mono: m2 + (next.expiration - now2) })
        consEnd = Math.max(consEnd, t + ttlE - DRIFT(ttlE))
        upperEnd = Math.max(upperEnd, m2 + ttlE - DRIFT(ttlE))
        cur = next
      } catch (e) {
        end(x, { outcome: reasonOf(e) })
      }
    }
    await sleep(hold / 2)
  } else if (plan < 0.33) {
    // A deliberately late extension (a buggy application): surely after the end of the lock,
    // so a correct library refuses it (locally, as expired).
    const lateBy = 10 + rng() * 40
    await sleep(upperEnd + lateBy - mono())
    const t = mono()
    const x = { op: 'extend', client: ci, resources, ttl: TTL, retryCount: 0, value: cur.value, late: true, invoke_mono: t }
    pending.add(x)
    try {
      const pe = rl.extend(cur, TTL, { retryCount: 0 })
      x.sync_mono = mono()
      const next = await pe
      const now2 = Date.now()
      const m2 = mono()
      end(x, { complete_mono: m2, outcome: 'ok', attempts: next.attempts.length, lib_expiration_mono: m2 + (next.expiration - now2) })
      cur = next
    } catch (e) {
      end(x, { outcome: reasonOf(e) })
    }
  } else {
    await sleep(hold)
  }
  if (rng() < 0.05) return true // left to expire
  const r = begin({ op: 'release', client: ci, resources, value: cur.value })
  try {
    await rl.release(cur)
    end(r, { outcome: 'ok' })
  } catch (e) {
    end(r, { outcome: reasonOf(e) })
  }
  return true
}

// ---- one using() call; its routine watches signal.aborted ----
let usingSeq = 0
async function usingCall(ci, rl, rng, resources) {
  const id = `${PROC}:${ci}:u${usingSeq++}`
  const noExtension = rng() < 0.4
  const retryCount = rng() < 0.5 ? 0 : S.retryCount
  const settings = { retryCount, automaticExtensionThreshold: cfg.threshold }
  if (noExtension) settings.maxExtensions = 0
  if (fenced()) settings.fencing = true
  const runFor = noExtension ? (0.3 + 1.2 * rng()) * TTL : (0.3 + 2.2 * rng()) * TTL
  const rec = begin({ op: 'using', client: ci, id, resources, ttl: TTL, retryCount, maxExtensions: noExtension ? 0 : null })
  let routineEnd = null
  try {
    const no = refused()
    if (no) throw no
    await rl.using(resources, TTL, settings, async (signal, lock) => {
      const start = mono()
      log({ op: 'routine_start', client: ci, id, mono: start, fencing_token: lock ? lock.fencingToken : undefined })
      const st = { op: 'routine_end', client: ci, id, last_ok_mono: null, first_aborted_mono: null, abort_event_mono: null, observations: 0 }
      routineEnd = st
      signal.addEventListener('abort', () => {
        st.abort_event_mono = mono()
      })
      for (let i = 0; i < 2000; i++) {
        // The time is taken before asking: "not aborted" then holds at that time.
        const t = mono()
        st.observations++
        if (signal.aborted) {
          st.first_aborted_mono = t
          break
        }
        st.last_ok_mono = t
        if (t - start >= runFor || stopping) break
        await sleep(5 + rng() * 15)
      }
      st.mono = mono()
      log(st)
      routineEnd = null
    })
    end(rec, { outcome: 'ok' })
  } catch (e) {
    end(rec, { outcome: reasonOf(e) })
  }
  if (routineEnd) {
    // The routine threw (never expected): keep what it saw.
    routineEnd.mono = mono()
    log(routineEnd)
  }
}

async function logicalClient(ci) {
  const rng = mulberry32((cfg.seed ^ Math.imul(cfg.index + 1, 0x9e3779b1) ^ Math.imul(ci + 1, 0x85ebca6b)) >>> 0)
  const rl = redlocks[ci % redlocks.length]
  const sets = [...cfg.resources.map((r) => [r]), ...cfg.multi]
  for (let n = 0; n < MAX_OPS_PER_CLIENT && !stopping; n++) {
    const r = rng()
    const resources = r < 0.75 ? [cfg.resources[Math.floor(rng() * cfg.resources.length)]] : cfg.multi[Math.floor(rng() * cfg.multi.length)]
    void sets
    let held
    if (rng() < 0.2) {
      await usingCall(ci, rl, rng, resources)
      held = true
    } else {
      held = await plainLock(ci, rl, rng, resources)
    }
    // Back off after a failure, think a little after a success.
    await sleep(held ? rng() * 20 : 5 + rng() * 35)
  }
}

// ---- lifecycle ----
function busy(ms) {
  const s = mono()
  let n = 0
  while (mono() - s < ms && n < 1e9) n++
  log({ op: 'busy', start_mono: s, end_mono: mono() })
}

let loops = null
async function run() {
  // Warm-up: connections open, scripts loaded.
  for (const rl of redlocks) {
    for (let i = 0; i < 20; i++) {
      try {
        const l = await rl.acquire([`warm:${PROC}`], TTL, { retryCount: 3 })
        await rl.release(l)
        break
      } catch {
        await sleep(50)
      }
    }
  }
  process.send({ type: 'ready' })
}

async function stop() {
  if (stopping) return
  stopping = true
  if (loops) {
    await within(Promise.allSettled(loops), STOP_GRACE_MS)
  }
  for (const rec of pending) log({ ...rec, complete_mono: null, outcome: 'pending' })
  await within(Promise.allSettled(redlocks.map((r) => r.quit())), 3000)
  const cpu = process.cpuUsage(cpu0)
  log({
    op: 'rss',
    baseline: rssBaseline,
    final: process.memoryUsage().rss,
    max: rssMax,
    cpu_user_ms: cpu.user / 1000,
    cpu_system_ms: cpu.system / 1000,
    client_errors: clientErrors,
  })
  log({ op: 'done', mono: mono() })
  flush()
  clearInterval(rssTimer)
  gcObserver.disconnect()
  clearTimeout(hardTimer)
  try {
    fs.closeSync(fd)
  } catch {}
  if (process.connected) {
    process.send({ type: 'done' }, () => process.disconnect())
  }
  // Nothing else is left: the process must now exit by itself (the orchestrator checks it).
}

const rssTimer = setInterval(() => {
  const rss = process.memoryUsage().rss
  rssMax = Math.max(rssMax, rss)
}, 1000)
rssTimer.unref()
const hardTimer = setTimeout(() => {
  log({ op: 'fatal', kind: 'deadline', message: 'client outlived its hard deadline' })
  flush()
  process.exit(71)
}, HARD_DEADLINE_MS)
hardTimer.unref()

process.on('message', (m) => {
  if (!m || typeof m !== 'object') return
  if (m.type === 'go' && !started) {
    started = true
    setTimeout(() => {
      rssBaseline = process.memoryUsage().rss
    }, 3000).unref()
    loops = Array.from({ length: cfg.clients }, (_, ci) => logicalClient(ci))
  } else if (m.type === 'stop') {
    stop()
  } else if (m.type === 'busy') {
    busy(Math.min(Number(m.ms) || 0, 5000))
  }
})
// The orchestrator went away: stop as if told to.
process.on('disconnect', () => {
  if (!stopping) stop()
})

run()
