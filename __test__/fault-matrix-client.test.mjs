// The fault matrix (shared/notes/faults.md §3.2), part 3: faults of the client process —
// F19 wall-clock jumps (libfaketime), F20 the process paused past the TTL, F21 the event loop
// blocked inside using(), F22 the holder killed, F23 worker threads terminated and process.exit()
// with operations in flight, F25 CPU starvation. The client runs in child Node processes
// (__test__/faults/child.mjs) that log on CLOCK_MONOTONIC, the clock this process shares.
import { test, describe, before, after } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { stopAll, sleep, uniqueResource } from './helpers/redis.mjs'
import { closeAllProxies } from './faults/proxy.mjs'
import { spawnNode, stopChildren, stop, cont } from './faults/process.mjs'
import { S, drift, mono, values, waitGone, cluster, withCluster, overlaps, lockCommands } from './faults/matrix.mjs'

const CHILD = fileURLToPath(new URL('./faults/child.mjs', import.meta.url))

after(async () => {
  await stopChildren()
  await closeAllProxies()
  await stopAll()
})

function child(cfg, options = {}) {
  return spawnNode(CHILD, { args: [JSON.stringify(cfg)], ...options })
}

/** Fails with the child's output when `line` is missing. */
function need(line, h, what) {
  assert.ok(line, `${what}: not seen. child stdout: ${JSON.stringify(h.lines.slice(-8))} stderr: ${h.stderr.slice(-1500)}`)
  return line
}

/** No crash, abort or unhandled rejection was reported by the child. */
function assertHealthy(h) {
  const bad = h.lines.filter((l) => ['fatal', 'unhandledRejection', 'worker-crash', 'worker-error', 'lifetime-exceeded'].includes(l.ev))
  assert.deepEqual(bad, [], `child problems; stderr: ${h.stderr.slice(-1500)}`)
}

function findFaketime() {
  const candidates = [
    process.env.LIBFAKETIME,
    '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1',
    '/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1',
    '/usr/lib/faketime/libfaketime.so.1',
    '/usr/local/lib/faketime/libfaketime.so.1',
  ]
  return candidates.find((p) => p && fs.existsSync(p)) || null
}

describe('client-side faults', () => {
  test('F20 the holder process paused (SIGSTOP) past the TTL: another process gets the lock; after SIGCONT the holder\'s signal is aborted at its next check and its release is refused (using() rejects) and leaves the new holder\'s key alone', () =>
    withCluster(3, { proxies: false }, async (c) => {
      const res = uniqueResource('f20')
      const duration = 600
      const h = child({
        role: 'using',
        urls: c.urls(true),
        resource: res,
        duration,
        usingSettings: { automaticExtensionThreshold: 200 },
        settings: S,
        mode: 'poll',
        pollMs: 20,
        maxMs: 8000,
      })
      need(await h.next((l) => l.ev === 'acquired', 10000), h, 'acquired')
      await sleep(300) // extensions happen meanwhile
      const B = c.redlock({ ...S, retryCount: 0 })
      const tStop = mono()
      stop(h.pid)
      let lockB = null
      let tB = 0
      let tCont = 0
      let beforeCont = []
      try {
        for (let i = 0; i < 150 && !lockB && mono() - tStop < 4000; i++) {
          lockB = await B.acquire([res], 5000).catch(() => null)
          if (lockB) tB = mono()
          else await sleep(25)
        }
        await sleep(100)
        beforeCont = await values(c.srvs, res)
      } finally {
        tCont = mono()
        cont(h.pid)
      }
      assert.ok(lockB, 'another process got the lock while the holder was stopped')
      assert.ok(tB - tStop <= duration + 1500, `after ${(tB - tStop).toFixed(0)} ms`)
      need(await h.next((l) => l.ev === 'done', 8000), h, 'done')
      const after = h.lines.filter((l) => l.ev === 'check' && l.t >= tCont)
      assert.ok(after.length >= 1, 'the routine checked its signal after SIGCONT')
      assert.deepEqual(
        after.filter((l) => !l.aborted),
        [],
        'every check after SIGCONT sees signal.aborted === true',
      )
      // The lock was lost, so the release that ends using() is refused and using() rejects
      // with it (docs/semantics.md "Release": a lost lock is never reported as released).
      const done = h.lines.find((l) => l.ev === 'done')
      assert.equal(done.ok, false, `using() rejects: the lock was lost (${done.result})`)
      assert.equal(done.name, 'ExecutionError', done.error)
      // The holder's release (after its routine) left the new holder's keys alone.
      const held = beforeCont.map((v) => v === lockB.value)
      assert.ok(held.filter(Boolean).length >= 2, `the new holder had a quorum: ${JSON.stringify(beforeCont)}`)
      const afterDone = await values(c.srvs, res)
      assert.deepEqual(
        afterDone.map((v, i) => (held[i] ? v === lockB.value : true)),
        [true, true, true],
        `the new holder keeps its keys: before ${JSON.stringify(beforeCont)}, after ${JSON.stringify(afterDone)}`,
      )
      const exit = await h.wait(5000)
      assert.deepEqual(exit, { code: 0, signal: null })
      assertHealthy(h)
      await B.release(lockB)
    }))

  test('F20 a holder paused (SIGSTOP) past its validity: its extend() after SIGCONT is refused locally ("Cannot extend an already-expired lock."), no lock command reaches any server', () =>
    withCluster(3, { proxies: false }, async (c) => {
      const res = uniqueResource('f20x')
      const ttl = 500
      const h = child({ role: 'pause-extend', urls: c.urls(true), resource: res, ttl, gapMs: ttl, settings: S, lifeMs: 15000 })
      need(await h.next((l) => l.ev === 'acquired', 10000), h, 'acquired')
      stop(h.pid)
      let before
      try {
        await sleep(ttl + 300)
        // Past the TTL: gone on the servers too. What they ran so far, before the child runs again.
        assert.deepEqual(await values(c.srvs, res), [null, null, null], 'the lock expired while the holder was stopped')
        before = await Promise.all(c.srvs.map(lockCommands))
      } finally {
        cont(h.pid)
      }
      const resumed = need(await h.next((l) => l.ev === 'resumed', 8000), h, 'resumed')
      assert.ok(resumed.gap >= ttl, `the child noticed its pause: ${resumed.gap} ms`)
      const ext = need(await h.next((l) => l.ev === 'extend', 8000), h, 'extend')
      assert.deepEqual(await h.wait(5000), { code: 0, signal: null }, `child exit; stderr: ${h.stderr.slice(-1500)}`)
      assertHealthy(h)
      // Observed on the servers: no SET / EVAL / EVALSHA of the extend (nor anything else) came in.
      assert.deepEqual(await Promise.all(c.srvs.map(lockCommands)), before, 'no lock command reached a server after SIGCONT')
      assert.equal(ext.ok, false, 'the extend of an expired lock must be refused')
      assert.equal(ext.name, 'ExecutionError')
      assert.equal(ext.error, 'Cannot extend an already-expired lock.')
      assert.equal(ext.reason, 'expired')
      assert.equal(ext.attempts, 0, 'refused before any attempt')
    }))

  test('F21 the event loop blocked past the TTL inside using(): the native keeper extends the lock meanwhile — no other process gets it, and signal.aborted is false afterwards', () =>
    withCluster(3, { proxies: false }, async (c) => {
      const res = uniqueResource('f21')
      const h = child({
        role: 'using',
        urls: c.urls(true),
        resource: res,
        duration: 600,
        usingSettings: { automaticExtensionThreshold: 250 },
        settings: S,
        mode: 'busy',
        busyMs: 1500,
        checksAfter: 3,
      })
      need(await h.next((l) => l.ev === 'acquired', 10000), h, 'acquired')
      const B = c.redlock({ ...S, retryCount: 0 })
      const tries = []
      const t0 = mono()
      for (let i = 0; i < 200 && mono() - t0 < 5000; i++) {
        if (h.lines.some((l) => l.ev === 'check')) break
        const invoke = mono()
        const l = await B.acquire([res], 1000).catch((e) => e)
        tries.push({ invoke, ok: !(l instanceof Error), reason: l && l.reason })
        if (!(l instanceof Error)) await B.release(l)
        await sleep(30)
      }
      need(await h.next((l) => l.ev === 'done', 8000), h, 'done')
      const firstCheck = h.lines.find((l) => l.ev === 'check')
      const blocked = tries.filter((x) => x.invoke < firstCheck.t)
      assert.ok(blocked.length >= 5, `the contender tried during the block (${blocked.length} tries)`)
      assert.deepEqual(
        blocked.filter((x) => x.ok),
        [],
        'no other process got the lock while the holder\'s event loop was blocked',
      )
      // Mostly refused as held; a few tries may time out on a loaded machine (liveness only).
      assert.ok(blocked.filter((x) => x.reason === 'held').length >= blocked.length / 2, JSON.stringify(blocked))
      const checks = h.lines.filter((l) => l.ev === 'check')
      assert.equal(checks[0].after, 'busy')
      assert.ok(checks.length >= 4)
      assert.deepEqual(
        checks.filter((l) => l.aborted),
        [],
        'signal.aborted stays false: the lock was kept',
      )
      const done = h.lines.find((l) => l.ev === 'done')
      assert.equal(done.ok, true, `using() resolves: ${done.error}`)
      assert.equal(done.result, 'busy-done')
      assert.deepEqual(await values(c.srvs, res), [null, null, null], 'released')
      assert.deepEqual(await h.wait(5000), { code: 0, signal: null })
      assertHealthy(h)
    }))

  test('F22 the holder process killed (kill -9): the lock is free after ≤ TTL, never before its validity ended; other locks are unaffected', () =>
    withCluster(3, { proxies: false }, async (c) => {
      const res = uniqueResource('f22')
      const ttl = 800
      const mine = c.redlock()
      const other = await mine.acquire([uniqueResource('f22-other')], 5000)
      const h = child({ role: 'hold', urls: c.urls(true), resource: res, ttl, settings: S })
      const acquired = need(await h.next((l) => l.ev === 'acquired', 10000), h, 'acquired')
      await h.kill()
      const B = c.redlock({ ...S, retryCount: 0 })
      let lockB = null
      let tB = 0
      for (let i = 0; i < 200 && !lockB && mono() - acquired.invoke < ttl + 3000; i++) {
        lockB = await B.acquire([res], 1000).catch(() => null)
        if (lockB) tB = mono()
        else await sleep(20)
      }
      assert.ok(lockB, 'the lock became free')
      assert.ok(tB >= acquired.invoke + ttl - drift(ttl), `free ${(tB - acquired.invoke).toFixed(0)} ms after the dead holder's acquire: before its validity ended`)
      assert.ok(tB <= acquired.invoke + ttl + 1000, `free only ${(tB - acquired.invoke).toFixed(0)} ms after the acquire (TTL ${ttl})`)
      const o = await values(c.srvs, other.resources[0])
      assert.deepEqual(o, [other.value, other.value, other.value], 'the other lock is unaffected')
      await B.release(lockB)
      await mine.release(other)
    }))

  test('F23 a worker thread terminated mid-operation: no crash, the main thread carries on, the process exits by itself; the worker\'s lock stays held until its TTL, then expires', () =>
    withCluster(3, { proxies: false }, async (c) => {
      const res = uniqueResource('f23')
      const ttl = 3000
      const h = child({ role: 'worker', urls: c.urls(true), resource: res, ttl, settings: S, lifeMs: 15000 })
      let exitedAt = null
      h.exited.then(() => (exitedAt = mono()))
      const held = need(await h.next((l) => l.ev === 'worker-held', 10000), h, 'worker-held')
      const term = need(await h.next((l) => l.ev === 'terminated', 10000), h, 'terminated')
      assert.equal(term.code, 1, 'terminate() resolves with exit code 1')
      assert.ok(term.ms < 3000, `terminate() took ${term.ms.toFixed(0)} ms`)
      // Right after terminate(): every server still holds the worker's lock, with its TTL running
      // (nothing released it, nothing extends it).
      const t0 = mono()
      const [v0, p0] = await Promise.all([values(c.srvs, res), Promise.all(c.srvs.map((s) => s.redis.pttl(res)))])
      const t1 = mono()
      assert.deepEqual(v0, [held.value, held.value, held.value], 'the worker\'s lock is held on every server after terminate()')
      for (const p of p0) assert.ok(p > 0 && p <= ttl, `PTTL ${p}`)
      // Still there shortly before the earliest expiry (each server's expiry ≥ t0 + its PTTL).
      const firstEnd = t0 + Math.min(...p0)
      const lastEnd = t1 + Math.max(...p0)
      assert.ok(firstEnd - mono() > 300, `time left to look before the TTL ends: ${(firstEnd - mono()).toFixed(0)} ms`)
      await sleep(firstEnd - 150 - mono())
      assert.deepEqual(await values(c.srvs, res), [held.value, held.value, held.value], 'held until its TTL: still on every server 150 ms before it ends')
      // Gone once the TTL is over (polled, bounded), and another process gets it at once.
      await sleep(Math.max(0, lastEnd + 20 - mono()))
      const gone = await waitGone(c.srvs, res, undefined, 1000)
      assert.ok(gone.ok, `expired after its TTL: ${JSON.stringify(gone.last)}`)
      const B = c.redlock({ ...S, retryCount: 0 })
      const got = await B.acquire([res], 1000)
      await B.release(got)

      const exit = await h.wait(15000)
      assertHealthy(h)
      assert.deepEqual(exit, { code: 0, signal: null }, `exit; stdout ${JSON.stringify(h.lines.slice(-5))} stderr ${h.stderr.slice(-1500)}`)
      need(h.lines.find((l) => l.ev === 'main-ok'), h, 'main-ok')
      const end = need(h.lines.find((l) => l.ev === 'end'), h, 'end')
      assert.ok(exitedAt - end.t < 5000, `the process ended by itself soon after its work (${(exitedAt - end.t).toFixed(0)} ms)`)
    }))

  test('F23 process.exit() with acquires and a using() in flight exits at once with its code (no abort, no hang); a process that never calls quit() exits by itself', () =>
    withCluster(3, { proxies: false }, async (c) => {
      for (const afterMs of [0, 3]) {
        const h = child({ role: 'inflight', urls: c.urls(true), resource: uniqueResource('f23x'), settings: S, afterMs })
        const exiting = need(await h.next((l) => l.ev === 'exiting', 10000), h, 'exiting')
        const exit = await h.wait(5000)
        assert.deepEqual(exit, { code: 0, signal: null }, `process.exit(0) in flight: ${h.stderr.slice(-1500)}`)
        assert.ok(mono() - exiting.t < 5000)
        assert.doesNotMatch(h.stderr, /panic|abort|FATAL/i)
      }
      for (const quit of [false, true]) {
        const h = child({ role: 'natural', urls: c.urls(true), resource: uniqueResource('f23n'), settings: S, quit })
        const fin = need(await h.next((l) => l.ev === 'finished', 10000), h, 'finished')
        const exit = await h.wait(5000)
        assert.deepEqual(exit, { code: 0, signal: null }, `the process must exit by itself (quit: ${quit}): ${h.stderr.slice(-500)}`)
        // stdout/stderr are pipes to this process; nothing else may be left after quit().
        if (quit) assert.deepEqual(fin.resources.filter((r) => !/^(PipeWrap|TTYWrap)$/.test(r)), [], 'nothing keeps the loop alive after quit()')
        assertHealthy(h)
      }
    }))

  test('F25 CPU starvation (3 busy processes + 3 contending clients on 2 cores): spurious timeouts cost liveness only — never two holders at once', () =>
    withCluster(3, { proxies: false }, async (c) => {
      const res = uniqueResource('f25')
      const ttl = 300
      const settings = { retryCount: 3, retryDelay: 20, retryJitter: 10, nodeTimeout: 30 }
      const busy = [0, 1, 2].map(() => child({ role: 'busy', ms: 5000, lifeMs: 10000 }))
      const clients = [0, 1, 2].map((id) =>
        child({ role: 'contender', id, urls: c.urls(true), resource: res, ttl, holdMs: 25, runMs: 4000, settings, lifeMs: 15000 }),
      )
      const exits = await Promise.all(clients.map((h) => h.wait(15000)))
      await Promise.all(busy.map((h) => h.kill()))
      for (const [i, h] of clients.entries()) {
        assert.deepEqual(exits[i], { code: 0, signal: null }, `client ${i}: ${h.stderr.slice(-1500)}`)
        assertHealthy(h)
      }
      const windows = []
      for (const h of clients) {
        for (const l of h.lines.filter((x) => x.ev === 'lock')) {
          const rel = h.lines.find((x) => x.ev === 'unlock' && x.value === l.value)
          const end = Math.min(l.invoke + l.ttl - drift(l.ttl), rel ? rel.relInvoke : Infinity)
          windows.push({ who: `${l.who}:${l.value.slice(0, 8)}`, start: l.start, end })
        }
      }
      const total = clients.map((h) => h.lines.find((x) => x.ev === 'summary')).filter(Boolean)
      assert.ok(windows.length >= 5, `enough critical sections to check (${windows.length}; ${JSON.stringify(total)})`)
      const v = overlaps(windows)
      assert.deepEqual(v, [], `V1 mutual exclusion: ${v.length} overlapping pairs`)
    }))
})

// F19: one child process runs the whole scenario under libfaketime (its wall clock jumps +10 s,
// then −10 s / +20 s inside using(), then −20 s), with CLOCK_MONOTONIC left alone; the tests
// below check its report. libfaketime is optional: without it they are skipped, saying which
// package to install (moving Date.now alone would not move the native side's clock).
const lib = findFaketime()
const skip = lib ? false : 'libfaketime is not installed (apt-get install libfaketime)'

describe('F19 client wall-clock jumps (libfaketime)', () => {
  const ttl = 1000
  const max = ttl - drift(ttl) + 3
  let c
  let h
  let file
  const get = (ev) => need(h.lines.find((l) => l.ev === ev), h, ev)

  before(async () => {
    if (!lib) return
    file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'redlock-rs-faketime-')), 'offset')
    fs.writeFileSync(file, '+0s')
    const env = {
      LD_PRELOAD: lib,
      FAKETIME_TIMESTAMP_FILE: file,
      FAKETIME_NO_CACHE: '1',
      DONT_FAKE_MONOTONIC: '1',
      FAKETIME_DONT_FAKE_MONOTONIC: '1',
    }
    c = await cluster(3, { proxies: false })
    try {
      h = child({ role: 'faketime', urls: c.urls(true), resource: uniqueResource('f19'), ttl, file, settings: S }, { env })
      h.exit = await h.wait(20000)
    } finally {
      await c.close()
      fs.rmSync(path.dirname(file), { recursive: true, force: true })
    }
  })

  test('the scenario ran under libfaketime and the child exited cleanly', { skip }, () => {
    assertHealthy(h)
    assert.deepEqual(h.exit, { code: 0, signal: null }, `child exit; stderr: ${h.stderr.slice(-1500)}`)
    const acquired = get('acquired')
    assert.ok(acquired.remaining > 0 && acquired.remaining <= max, `validity ${acquired.remaining}`)
    assert.ok(get('jumped').wallDelta >= 9900, `the child's wall clock jumped: ${get('jumped').wallDelta} ms`)
  })

  test('acquire validity is unchanged under a jumped clock (expiration shifts with Date.now, the validity does not)', { skip }, () => {
    const aj = get('acquire-jumped')
    assert.ok(aj.remaining > 0 && aj.remaining <= max, `acquire validity under the jumped clock: ${aj.remaining}`)
  })

  test('using() keeps extending its lock across jumps both ways (native keeper on the monotonic clock)', { skip }, () => {
    assert.equal(get('using').aborted, false)
  })

  test('after a backward jump (−20 s), a lock whose TTL is over is still refused by extend(), because it expired (locally, before any attempt)', { skip }, () => {
    const back = get('extend-after-backward')
    assert.equal(back.ok, false, 'an expired lock must not be extended after the clock went back')
    // The refusal "because expired", not any failure (a quorum that no longer holds the value
    // fails with the quorum message after an attempt).
    assert.equal(back.name, 'ExecutionError')
    assert.equal(back.error, 'Cannot extend an already-expired lock.', `refused for another reason: ${back.error}`)
    assert.equal(back.reason, 'expired')
    assert.equal(back.attempts, 0, 'refused locally: no attempt reached the servers')
  })

  // BUG (found by this matrix): extend() takes the earlier of the monotonic lease it knows and
  // the caller's `lock.expiration` converted from the wall clock (src/api/execution.rs,
  // `known.min(hint)`). After the client's wall clock steps forward (an NTP step, a VM resume),
  // `lock.expiration` lies in the "past" and extend() refuses a lock that is still valid with
  // "Cannot extend an already-expired lock." — a liveness failure driven by the wall clock,
  // where faults.md F19 requires decisions on monotonic time only. Safe, but wrong. Fix idea:
  // use the wall-clock hint only when the caller changed lock.expiration (e.g. set it to 0),
  // not when it merely differs because the wall clock moved.
  test('after a forward jump (+10 s), a valid lock can still be extended (BUG: refused as expired)', { skip }, () => {
    const fwd = get('extend-after-forward')
    assert.equal(fwd.ok, true, `extend after a forward jump: ${fwd.error}`)
    assert.ok(fwd.remaining > 0 && fwd.remaining <= max, `extended validity relative to the (jumped) Date.now(): ${fwd.remaining}`)
  })
})
