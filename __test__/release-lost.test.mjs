// Releasing a lock that was lost (issue 11, item 2; docs/semantics.md "Release"): a server
// where the key now holds another value counts against the release and keeps that key; with no
// quorum of confirmations left, the release fails at once (retrying cannot change another
// owner's key). A lock that is simply gone: v5 release resolves, v4 unlock rejects as 4.2.0 does.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { startServers, stopAll, uniqueResource } from './helpers/redis.mjs'

const require = createRequire(import.meta.url)
const Redlock = require('../index.js')

let servers
const redlocks = []
before(async () => {
  servers = await startServers(3)
})
after(async () => {
  await Promise.all(redlocks.map((r) => r.quit().catch(() => {})))
  await stopAll()
})

/** A Redlock whose scripts are loaded on every server (so one release is one request each). */
async function redlock(settings = {}) {
  const rl = new Redlock(servers.map((s) => `redis://127.0.0.1:${s.port}`), { retryCount: 3, retryDelay: 300, retryJitter: 0, ...settings })
  redlocks.push(rl)
  const warm = await rl.acquire([uniqueResource('warm'), uniqueResource('warm')], 1000)
  await warm.release()
  return rl
}
const takeOver = (key, srvs) => Promise.all(srvs.map((s) => s.redis.set(key, 'another-owner', 'PX', 30_000)))
const values = (key) => Promise.all(servers.map((s) => s.redis.get(key)))
async function commands() {
  let n = 0
  for (const s of servers) {
    const info = await s.redis.info('commandstats')
    for (const m of info.matchAll(/^cmdstat_(evalsha|eval):calls=(\d+)/gm)) n += Number(m[2])
  }
  return n
}

test('v5: a lock lost on two of three servers: release rejects at once, against votes are ResourceLockedErrors, their keys stay', async () => {
  const rl = await redlock()
  const errors = []
  rl.on('error', (e) => errors.push(e))
  const key = uniqueResource('lost5')
  const lock = await rl.acquire([key], 10_000)
  await takeOver(key, servers.slice(1))
  const c0 = await commands()
  const r = await rl.release(lock).then((v) => ({ v }), (e) => ({ e }))
  assert.ok(r.e instanceof Redlock.ExecutionError, `rejected: ${r.e || 'resolved'}`)
  assert.equal(r.e.attempts.length, 1, 'one attempt: no retry')
  assert.equal((await commands()) - c0, 3, 'one release request per server, nothing more')
  const stats = await r.e.attempts[0]
  assert.equal(stats.votesFor.size, 1)
  assert.equal(stats.votesAgainst.size, 2)
  for (const e of stats.votesAgainst.values()) assert.ok(e instanceof Redlock.ResourceLockedError, String(e))
  assert.deepEqual(await values(key), [null, 'another-owner', 'another-owner'], 'ours deleted, theirs kept')
  assert.equal(errors.filter((e) => e instanceof Redlock.ResourceLockedError).length, 2, "one 'error' per refusing server")
})

test('v5: lost on one server of three: a quorum confirms and release resolves; that key stays', async () => {
  const rl = await redlock()
  const key = uniqueResource('lost5-one')
  const lock = await rl.acquire([key], 10_000)
  await takeOver(key, servers.slice(2))
  await rl.release(lock)
  assert.deepEqual(await values(key), [null, null, 'another-owner'])
})

test('v5: a lock that is simply gone (expired or released) resolves at once', async () => {
  const rl = await redlock()
  const key = uniqueResource('gone5')
  const lock = await rl.acquire([key], 10_000)
  await Promise.all(servers.map((s) => s.redis.del(key)))
  const c0 = await commands()
  const r = await rl.release(lock)
  assert.equal(r.attempts.length, 1)
  assert.equal((await commands()) - c0, 3, 'one request per server')
})

test('v4: unlock of a lock that expired or was lost rejects with LockError "Unable to fully release…"; a held one resolves', async () => {
  const rl = await redlock()
  const message = (k) => `Unable to fully release the lock on resource "${k}".`
  const gone = uniqueResource('gone4')
  const lock = await rl.lock(gone, 10_000)
  await Promise.all(servers.map((s) => s.redis.del(gone)))
  const c0 = await commands()
  await assert.rejects(lock.unlock(), (e) => e instanceof Redlock.LockError && e.message === message(gone))
  assert.equal((await commands()) - c0, 3, 'no retry')
  const lost = uniqueResource('lost4')
  const lock2 = await rl.lock(lost, 10_000)
  await takeOver(lost, servers.slice(1))
  await assert.rejects(rl.unlock(lock2), (e) => e instanceof Redlock.LockError && e.message === message(lost))
  const held = uniqueResource('held4')
  const lock3 = await rl.lock(held, 10_000)
  assert.equal(await lock3.unlock(), undefined)
  assert.deepEqual(await values(held), [null, null, null])
})

test('original API: releaseLock of a lost lock rejects naming the resource; of a gone lock resolves', async () => {
  const rl = await redlock()
  const key = uniqueResource('lost-orig')
  assert.equal(await rl.acquireLock(key, 10_000), true)
  await takeOver(key, servers.slice(1))
  await assert.rejects(rl.releaseLock(key, rl.id), (e) => e instanceof Error && e.message.includes(`"${key}"`) && /another owner/.test(e.message))
  const gone = uniqueResource('gone-orig')
  assert.equal(await rl.acquireLock(gone, 10_000), true)
  await Promise.all(servers.map((s) => s.redis.del(gone)))
  assert.equal(await rl.releaseLock(gone, rl.id), undefined)
})
