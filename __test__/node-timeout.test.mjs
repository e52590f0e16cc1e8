// The default per-node timeout is 5 % of the TTL, at least 100 ms (docs/semantics.md "Per-server timeout"): with
// one server of three stopped (SIGSTOP), an operation that must wait for it settles after that
// timeout — about 0.5 s at a 10 s TTL — and one that does not need it settles at once.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { startServers, stopAll, withPaused, uniqueResource } from './helpers/redis.mjs'

const require = createRequire(import.meta.url)
const Redlock = require('../index.js')

const TTL = 10_000
// 5 % of 10 s. The old default (a tenth: 1 s) cannot settle before 1 s, so UPPER separates them
// with room for a loaded machine; a timeout cannot fire early, so LOWER is not a race.
const TIMEOUT = 500
const LOWER = TIMEOUT - 50
const UPPER = 900

let servers, rl
before(async () => {
  servers = await startServers(3)
  rl = new Redlock(servers.map((s) => `redis://127.0.0.1:${s.port}`), { retryCount: 0 })
  // Connections up before any server stops, so connecting is not what is timed.
  const warm = await rl.acquire([uniqueResource('warm')], 1000)
  await warm.release()
})
after(async () => {
  await rl.quit()
  await stopAll()
})

async function elapsed(fn) {
  const t0 = performance.now()
  const outcome = await fn().then((value) => ({ value }), (error) => ({ error }))
  return { ...outcome, ms: performance.now() - t0 }
}

test('nodeTimeoutFor: 5 % of the TTL within [100, 1000] ms; nodeTimeout overrides it', () => {
  assert.equal(rl.nodeTimeoutFor(10_000), 500)
  assert.equal(rl.nodeTimeoutFor(1_000), 100)
  assert.equal(rl.nodeTimeoutFor(2_000), 100)
  assert.equal(rl.nodeTimeoutFor(4_000), 200)
  assert.equal(rl.nodeTimeoutFor(60_000), 1000)
  const custom = new Redlock([`redis://127.0.0.1:${servers[0].port}`], { nodeTimeout: 30 })
  assert.equal(custom.nodeTimeoutFor(10_000), 30)
})

test('one server of three stopped: an acquire whose verdict needs it settles after 5 % of the TTL', async () => {
  const key = uniqueResource('nt-acquire')
  // Server 0 refuses (someone else holds the key there), server 1 grants, server 2 is stopped:
  // 1 for, 1 against, 1 unknown — only the stopped server's timeout decides.
  await servers[0].redis.set(key, 'someone-else', 'PX', TTL)
  const r = await withPaused(servers[2], () => elapsed(() => rl.acquire([key], TTL)))
  assert.ok(r.error instanceof Redlock.ExecutionError, `refused: ${r.error || 'granted'}`)
  assert.ok(r.ms >= LOWER && r.ms < UPPER, `settled after ${Math.round(r.ms)} ms (timeout ${TIMEOUT} ms)`)
  assert.equal(await servers[1].redis.exists(key), 0, 'rolled back on the server that granted')
})

test('one server of three stopped: a failing extend settles after 5 % of the TTL', async () => {
  const key = uniqueResource('nt-extend')
  const lock = await rl.acquire([key], TTL)
  await servers[0].redis.set(key, 'someone-else', 'PX', TTL)
  const r = await withPaused(servers[2], () => elapsed(() => lock.extend(TTL)))
  assert.ok(r.error instanceof Redlock.ExecutionError, `refused: ${r.error || 'extended'}`)
  assert.ok(r.ms >= LOWER && r.ms < UPPER, `settled after ${Math.round(r.ms)} ms (timeout ${TIMEOUT} ms)`)
  await Promise.all(servers.map((s) => s.redis.del(key)))
})

test('one server of three stopped: acquire and extend that need only the others settle at once; release after 500 ms', async () => {
  const key = uniqueResource('nt-all')
  await withPaused(servers[2], async () => {
    const a = await elapsed(() => rl.acquire([key], TTL))
    assert.ok(!a.error, String(a.error))
    const e = await elapsed(() => a.value.extend(TTL))
    assert.ok(!e.error, String(e.error))
    // A release waits for every server or its timeout (500 ms without nodeTimeout).
    const r = await elapsed(() => e.value.release())
    assert.ok(!r.error, String(r.error))
    assert.ok(a.ms < UPPER && e.ms < UPPER, `acquire ${Math.round(a.ms)} ms, extend ${Math.round(e.ms)} ms`)
    assert.ok(r.ms >= LOWER && r.ms < UPPER, `release ${Math.round(r.ms)} ms`)
  })
})
