// Interoperation with npm `redlock@5.0.0-beta.2` (over ioredis) on the same 3 redis-servers:
// same wire format (key = resource, value = lock id, TTL via PX), so each excludes the other.
import { test, describe, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { startServers, stopAll, uniqueResource, eventually, HOST } from './helpers/redis.mjs'

const require = createRequire(import.meta.url)
const IORedis = require('ioredis')
const { default: NpmRedlock, ExecutionError, Lock: NpmLock } = require('redlock')
const Redlock = require('../index.js')
const { IoredisClient, RedisJsClient } = Redlock

const HEX32 = /^[0-9a-f]{32}$/

let servers = []
const ioredisClients = []
const closables = []
let npm // npm redlock over all three servers, no retries
let rs // redlock-rs over all three servers, no retries

function ioredis(port) {
  const c = new IORedis(port, HOST, { maxRetriesPerRequest: 1 })
  c.on('error', () => {})
  ioredisClients.push(c)
  return c
}
function npmRedlock(srvs) {
  const r = new NpmRedlock(
    srvs.map((s) => ioredis(s.port)),
    { retryCount: 0 },
  )
  r.on('error', () => {}) // it emits every refused vote; EventEmitter would throw without a listener
  return r
}
function rsRedlock(srvs, settings = { retryCount: 0 }) {
  const r = new Redlock(
    srvs.map((s, i) => (i % 2 ? new RedisJsClient({ url: `redis://${HOST}:${s.port}` }) : new IoredisClient(s.port))),
    settings,
  )
  closables.push(r)
  return r
}
const values = (key) => Promise.all(servers.map((s) => s.redis.get(key)))
const allEqual = async (key, v) => eventually(async () => (await values(key)).every((x) => x === v))
/**
 * Both implementations resolve as soon as a quorum answered; the last node's write may still be
 * in flight. Waits (bounded) for every node to hold `v`, then asserts it.
 */
async function expectEverywhere(key, v, what) {
  await allEqual(key, v)
  assert.deepEqual(await values(key), [v, v, v], what)
}

before(async () => {
  servers = await startServers(3)
  npm = npmRedlock(servers)
  rs = rsRedlock(servers)
})

after(async () => {
  await Promise.allSettled(closables.map((c) => c.quit()))
  for (const c of ioredisClients) c.disconnect()
  await stopAll()
})

describe('npm redlock@5.0.0-beta.2 interop', () => {
  test('redlock-rs writes the same key/value shape: GET resource === lockId (32 hex), a string with PX TTL', async () => {
    const res = uniqueResource('shape')
    assert.equal(await rs.acquireLock(res, 3000), true)
    await allEqual(res, rs.id)
    const stored = await values(res)
    for (const v of stored) {
      assert.equal(v, rs.id)
      assert.match(v, HEX32)
    }
    for (const s of servers) {
      assert.equal(await s.redis.type(res), 'string')
      const pttl = await s.redis.pttl(res)
      assert.ok(pttl <= 3000 && pttl > 2900, `PTTL ${pttl}`)
    }
    // Exactly one key per resource, named exactly like the resource (no prefix).
    for (const s of servers) assert.deepEqual(await s.redis.keys(`*${res.split(':')[1]}*`), [res])
    await rs.releaseLock(res, rs.id)
    assert.deepEqual(await values(res), [null, null, null])

    // npm redlock stores the same shape.
    const lock = await npm.acquire([res], 3000)
    assert.match(lock.value, HEX32)
    await expectEverywhere(res, lock.value)
    await lock.release()
    await expectEverywhere(res, null)
  })

  test('when redlock-rs holds a resource, npm redlock cannot acquire it', async () => {
    const res = uniqueResource('rs-holds')
    assert.equal(await rs.acquireLock(res, 5000), true)
    await allEqual(res, rs.id)
    await assert.rejects(npm.acquire([res], 5000), (e) => {
      assert.ok(e instanceof ExecutionError, `expected ExecutionError, got ${e && e.name}: ${e && e.message}`)
      return true
    })
    assert.deepEqual(await values(res), [rs.id, rs.id, rs.id], "npm's failed attempt changed nothing")
    // Also in a multi-resource npm lock that names it.
    await assert.rejects(npm.acquire([uniqueResource('other'), res], 5000), ExecutionError)

    // After redlock-rs releases, npm redlock gets it.
    await rs.releaseLock(res, rs.id)
    const lock = await npm.acquire([res], 5000)
    await expectEverywhere(res, lock.value)
    await lock.release()
    await expectEverywhere(res, null)
  })

  test('when npm redlock holds a resource, redlock-rs acquireLock returns false', async () => {
    const res = uniqueResource('npm-holds')
    const lock = await npm.acquire([res], 5000)
    await expectEverywhere(res, lock.value)
    assert.equal(await rs.acquireLock(res, 5000), false)
    assert.equal(await rs.acquireLock(res, 5000, 'another-id'), false)
    // A client on one server is refused as well.
    const c = new IoredisClient(servers[0].port)
    closables.push(c)
    assert.equal(await c.acquireLock(res, 5000), false)
    assert.deepEqual(await values(res), [lock.value, lock.value, lock.value], 'unchanged')

    // redlock-rs releasing with its own id does not touch npm's lock, and says so.
    await assert.rejects(rs.releaseLock(res, rs.id), /another owner/)
    assert.deepEqual(await values(res), [lock.value, lock.value, lock.value])

    // After npm releases, redlock-rs gets it.
    await lock.release()
    await expectEverywhere(res, null)
    assert.equal(await rs.acquireLock(res, 5000), true)
    await allEqual(res, rs.id)
    await rs.releaseLock(res, rs.id)
    assert.deepEqual(await values(res), [null, null, null])
  })

  test('one resource of a multi-resource npm lock is refused to redlock-rs', async () => {
    const a = uniqueResource('multi-a')
    const b = uniqueResource('multi-b')
    const lock = await npm.acquire([a, b], 5000)
    await expectEverywhere(b, lock.value)
    assert.equal(await rs.acquireLock(b, 5000), false)
    assert.equal(await rs.acquireLock(a, 5000), false)
    await lock.release()
    await expectEverywhere(a, null)
    await expectEverywhere(b, null)
    assert.equal(await rs.acquireLock(b, 5000), true)
    await rs.releaseLock(b, rs.id)
  })

  test('release is by value across implementations', async () => {
    // redlock-rs releases an npm lock given its value...
    const res = uniqueResource('by-value')
    const lock = await npm.acquire([res], 5000)
    await expectEverywhere(res, lock.value)
    await rs.releaseLock(res, lock.value)
    assert.deepEqual(await values(res), [null, null, null])
    // ...and npm redlock releases a redlock-rs lock given its id.
    assert.equal(await rs.acquireLock(res, 5000, 'shared-value-123'), true)
    await allEqual(res, 'shared-value-123')
    await npm.release(new NpmLock(npm, [res], 'shared-value-123', [], Date.now() + 5000))
    await expectEverywhere(res, null)
  })

  test('an npm lock on one node only: redlock-rs still gets a quorum of the other two, and leaves that node alone', async () => {
    const res = uniqueResource('minority-npm')
    const single = npmRedlock([servers[0]])
    const lock = await single.acquire([res], 5000)
    assert.equal(await rs.acquireLock(res, 5000), true)
    await eventually(async () => (await values(res))[1] === rs.id && (await values(res))[2] === rs.id)
    assert.deepEqual(await values(res), [lock.value, rs.id, rs.id])
    await rs.releaseLock(res, rs.id)
    assert.deepEqual(await values(res), [lock.value, null, null], "npm's key is untouched")
    await lock.release()
    assert.deepEqual(await values(res), [null, null, null])
  })

  test('concurrent npm and redlock-rs acquirers: never both', async () => {
    for (let round = 0; round < 10; round++) {
      const res = uniqueResource('both')
      const [n, r] = await Promise.allSettled([npm.acquire([res], 3000), rs.acquireLock(res, 3000)])
      const npmWon = n.status === 'fulfilled'
      const rsWon = r.status === 'fulfilled' && r.value === true
      assert.ok(r.status === 'fulfilled', `redlock-rs must not reject: ${r.reason && r.reason.message}`)
      assert.ok(!(npmWon && rsWon), `round ${round}: both acquired`)
      if (npmWon) await n.value.release().catch(() => {})
      if (rsWon) await rs.releaseLock(res, rs.id)
    }
  })
})
