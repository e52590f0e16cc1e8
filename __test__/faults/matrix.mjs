// Shared plumbing of the fault-matrix tests (__test__/fault-matrix*.test.mjs): clusters of fresh
// redis-server processes behind fault proxies, the time budget, the monotonic clock shared by
// every process of this host, and the small checks the rows assert.

import assert from 'node:assert/strict'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import { startServers, sleep, uniqueResource } from '../helpers/redis.mjs'
import { startProxies } from './proxy.mjs'

const require = createRequire(import.meta.url)
export const Redlock = require('../../index.js')

/** The settings of the matrix: short per-node timeout, few fast retries. */
export const S = Object.freeze({ retryCount: 2, retryDelay: 50, retryJitter: 20, nodeTimeout: 100 })

/**
 * Upper bound for a call that exhausts its retries: every attempt costs at most one node timeout
 * plus the retry delay, plus a generous margin for a loaded 2-core machine.
 */
export function budget(s = S, margin = 2000) {
  return (s.retryCount + 1) * (s.nodeTimeout + s.retryDelay + s.retryJitter) + margin
}

/** Slack on top of one per-node timeout for a call that should decide in its first round. */
export const MARGIN = 700

/** node-redlock's drift: round(ttl × driftFactor) + 2 ms. */
export function drift(ttl, driftFactor = 0.01) {
  return Math.round(ttl * driftFactor) + 2
}

/** CLOCK_MONOTONIC in ms: the same clock in every process of this host (child processes too). */
export function mono() {
  return Number(process.hrtime.bigint()) / 1e6
}

/** GET `key` on every server (null where absent). */
export function values(srvs, key) {
  return Promise.all(srvs.map((s) => s.redis.get(key)))
}

/**
 * Polls (bounded: `ms`) until no server holds `value` under `key` (`value` undefined: until no
 * server holds the key at all); resolves `{ ok, last }` with the last values seen.
 */
export async function waitGone(srvs, key, value, ms = 3000) {
  const deadline = performance.now() + ms
  const gone = (v) => (value === undefined ? v === null : v !== value)
  let last
  for (let i = 0; i < 400; i++) {
    last = await values(srvs, key)
    if (last.every(gone)) return { ok: true, last }
    if (performance.now() > deadline) break
    await sleep(20)
  }
  return { ok: false, last }
}

/** Asserts that after a failure, the attempt's value disappears from every node (bounded wait). */
export async function assertCleanedUp(srvs, key, value, ms = 3000) {
  const r = await waitGone(srvs, key, value, ms)
  assert.ok(r.ok, `the failed attempt's writes were not cleaned up within ${ms} ms: ${JSON.stringify(r.last)}`)
}

/** Open file descriptors of this process (-1 where /proc is unavailable). */
export function openFds() {
  try {
    return fs.readdirSync('/proc/self/fd').length
  } catch {
    return -1
  }
}

/** Collects a Redlock's 'error' event messages. */
export function collectErrors(rl) {
  const list = []
  rl.on('error', (e) => list.push(String(e && e.message)))
  return list
}

/**
 * A fresh cluster for one test: `n` servers (helper servers by default; `aof: true` for
 * `--appendonly yes --appendfsync always`; `own` is kept for callers: every server has its own
 * data dir),
 * each behind a fault proxy unless `proxies: false`. `redlock(settings, { direct })` makes a
 * Redlock over the proxies (or the servers with `direct`); all are quit by `close()`, which also
 * closes the proxies and stops the servers (paused ones too).
 */
export async function cluster(n, { proxies = true, aof = false } = {}) {
  const srvs = await startServers(n, { aof })
  let px = []
  try {
    px = proxies ? await startProxies(srvs.map((s) => s.port)) : []
  } catch (e) {
    await Promise.allSettled(srvs.map((s) => s.stop()))
    throw e
  }
  const made = []
  const urls = (direct = false) =>
    (direct || !proxies ? srvs.map((s) => s.port) : px.map((p) => p.port)).map((port) => `redis://127.0.0.1:${port}`)
  const c = {
    srvs,
    px,
    urls,
    redlock(settings = S, { direct = false, list } = {}) {
      const rl = new Redlock(list || urls(direct), settings)
      made.push(rl)
      return rl
    },
    async close() {
      for (const s of srvs) {
        try {
          s.resume()
        } catch {}
      }
      await Promise.allSettled(made.map((rl) => withTimeout(rl.quit(), 3000)))
      await Promise.allSettled(px.map((p) => p.close()))
      await Promise.allSettled(srvs.map((s) => s.stop()))
    },
  }
  return c
}

/** Runs `fn(cluster)` on a fresh cluster that is always closed afterwards. */
export async function withCluster(n, options, fn) {
  const c = await cluster(n, options)
  try {
    return await fn(c)
  } finally {
    await c.close()
  }
}

/** `p`, or a rejection after `ms` (so a hang fails the test instead of stalling it). */
export function withTimeout(p, ms, what = 'operation') {
  let timer
  return Promise.race([
    p,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms (hang)`)), ms)
    }),
  ]).finally(() => clearTimeout(timer))
}

/** Runs `fn` and returns `{ value, error, ms, t0, t1 }` on the monotonic clock (never throws). */
export async function timedMono(fn) {
  const t0 = mono()
  try {
    const value = await fn()
    const t1 = mono()
    return { value, ms: t1 - t0, t0, t1 }
  } catch (error) {
    const t1 = mono()
    return { error, ms: t1 - t0, t0, t1 }
  }
}

/**
 * V1: in `locks` ({ who, start, end } on one resource, mono ms), no two of different holders
 * overlap. Returns the overlapping pairs.
 */
export function overlaps(locks) {
  const sorted = [...locks].sort((a, b) => a.start - b.start)
  const out = []
  for (let i = 0; i < sorted.length; i++) {
    for (let j = i + 1; j < sorted.length && sorted[j].start < sorted[i].end; j++) {
      if (sorted[j].who !== sorted[i].who) out.push([sorted[i], sorted[j]])
    }
  }
  return out
}

/** Asserts a v5 failure: an ExecutionError with `reason`, within `bound` ms. */
export function assertFails(r, reason, bound, what) {
  assert.ok(r.error instanceof Redlock.ExecutionError, `${what}: expected an ExecutionError, got ${r.error || 'success'}`)
  if (reason) assert.equal(r.error.reason, reason, `${what}: ${r.error.message} / ${r.error.detail}`)
  assert.ok(r.ms <= bound, `${what}: took ${r.ms.toFixed(0)} ms, budget ${bound} ms`)
}

/** Warms every connection and the server-side script caches (acquire, extend and release). */
export async function warm(rl) {
  const l = await rl.acquire([uniqueResource('warm')], 1000)
  const l2 = await rl.extend(l, 1000)
  await rl.release(l2)
}

/**
 * A server's INFO commandstats and errorstats: `{ cmd: { calls, failed, rejected } }` (by the
 * lower-case command name, subcommands as `script|load`) and `errors: { NOSCRIPT: count, ... }`.
 */
export async function serverStats(s) {
  const info = await s.redis.info('all')
  const out = { errors: {} }
  for (const m of info.matchAll(/^cmdstat_([a-z_|-]+):calls=(\d+),.*?(?:rejected_calls=(\d+),failed_calls=(\d+))?\r?$/gm)) {
    out[m[1]] = { calls: Number(m[2]), rejected: Number(m[3] || 0), failed: Number(m[4] || 0) }
  }
  for (const m of info.matchAll(/^errorstat_([A-Z]+):count=(\d+)/gm)) out.errors[m[1]] = Number(m[2])
  return out
}

/** `calls` of `cmd` in `stats` (serverStats), 0 if never called. */
export function calls(stats, cmd) {
  return (stats[cmd] && stats[cmd].calls) || 0
}

/**
 * The script traffic of a server so far: NOSCRIPT answers, EVALSHA / EVAL / SCRIPT LOAD calls,
 * and `fallback` = EVAL + SCRIPT LOAD (what a client sends after NOSCRIPT).
 */
export async function scriptStats(s) {
  const st = await serverStats(s)
  const eval_ = calls(st, 'eval')
  const load = calls(st, 'script|load')
  return { noscript: st.errors.NOSCRIPT || 0, evalsha: calls(st, 'evalsha'), eval: eval_, load, fallback: eval_ + load }
}

/**
 * Lock commands a server has run so far: SET (the plain acquire), EVAL, EVALSHA (scripts, their
 * NOSCRIPT answers included) and FCALL.
 */
export async function lockCommands(s) {
  const st = await serverStats(s)
  return ['set', 'eval', 'evalsha', 'eval_ro', 'evalsha_ro', 'fcall'].reduce((n, cmd) => n + calls(st, cmd), 0)
}

/**
 * Lock operations a server has carried out so far: SET, EVAL, EVALSHA and FCALL calls, minus the
 * EVALSHAs answered NOSCRIPT (the client then sends the script again: one operation, not two).
 */
export async function lockOps(s) {
  const st = await serverStats(s)
  const failedEvalsha = (st.evalsha && st.evalsha.failed) || 0
  const ran = ['set', 'eval', 'evalsha', 'eval_ro', 'evalsha_ro', 'fcall'].reduce((n, cmd) => n + calls(st, cmd), 0)
  return ran - Math.min(failedEvalsha, st.errors.NOSCRIPT || 0)
}
