// Drop-in compatibility with the node-redlock v4 API (npm `redlock@4.2.0`): `require()` shape,
// node-style callbacks, promises, LockError with its exact messages, in-place extend, unlock,
// Bluebird disposer, node-redis v3 clients and clientError events, against real redis-servers.
import { test, describe, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { startServers, stopAll, sleep, timed, uniqueResource, eventually, commandCount, HOST } from './helpers/redis.mjs'

const require = createRequire(import.meta.url)
const IORedis = require('ioredis')
const Bluebird = require('bluebird')
const redis3 = require('redis3')
const Redlock = require('../index.js')

const HEX32 = /^[0-9a-f]{32}$/
/** node-redlock 4.2.0: `'Exceeded ' + retryCount + ' attempts …'`, with `attempts` = attempts made. */
const exceeded = (retryCount, resource) => `Exceeded ${retryCount} attempts to lock the resource "${resource}".`
const expiredMessage = (resource) => `Cannot extend lock on resource "${resource}" because the lock has already expired.`
const releaseMessage = (resource) => `Unable to fully release the lock on resource "${resource}".`
/** Fast retries, so a refused lock settles quickly. */
const FAST = { retryCount: 2, retryDelay: 20, retryJitter: 0 }

let servers = []
const ioClients = []
const redlocks = []

function ioredis(port) {
  const c = new IORedis(port, HOST, { maxRetriesPerRequest: 1, connectTimeout: 1000 })
  c.on('error', () => {})
  ioClients.push(c)
  return c
}
/** v4 style: `new Redlock([client, …], options)` over ioredis instances. */
function v4Redlock(options = FAST, srvs = servers) {
  const rl = new Redlock(
    srvs.map((s) => ioredis(s.port)),
    options,
  )
  redlocks.push(rl)
  return rl
}
const values = (key, srvs = servers) => Promise.all(srvs.map((s) => s.redis.get(key)))
/** Commands the servers have executed so far, in total (INFO commandstats, INFO excluded). */
const commandsOn = async (srvs = servers) => (await Promise.all(srvs.map(commandCount))).reduce((a, b) => a + b, 0)
const pttls = (key, srvs = servers) => Promise.all(srvs.map((s) => s.redis.pttl(key)))
async function expectEverywhere(key, v, srvs = servers) {
  await eventually(async () => (await values(key, srvs)).every((x) => x === v), { tries: 40, interval: 25 })
  assert.deepEqual(await values(key, srvs), srvs.map(() => v))
}
/** Calls `fn(cb)` and resolves `[err, value]` once the node-style callback runs (bounded). */
function viaCallback(fn, ms = 5000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`callback not called within ${ms} ms`)), ms)
    fn((err, value) => {
      clearTimeout(timer)
      resolve([err, value])
    })
  })
}

before(async () => {
  servers = await startServers(3)
})

after(async () => {
  await Promise.allSettled(redlocks.map((r) => Promise.race([r.quit(), sleep(2000)])))
  for (const c of ioClients) c.disconnect()
  await stopAll()
})

describe('module shape (v4)', () => {
  test('require() is the constructor; Redlock.LockError and Redlock.Lock are statics', () => {
    assert.equal(typeof Redlock, 'function')
    assert.equal(typeof Redlock.LockError, 'function')
    assert.equal(typeof Redlock.Lock, 'function')
    const e = new Redlock.LockError('m', 3)
    assert.ok(e instanceof Error)
    assert.equal(e.name, 'LockError')
    assert.equal(e.message, 'm')
    assert.equal(e.attempts, 3)
    assert.equal(require('redlock-rs'), Redlock, 'the package name resolves to the same constructor')
  })

  test('v4 options become v4 fields (driftFactor, retryCount, retryDelay, retryJitter, servers)', () => {
    const clients = servers.map((s) => ioredis(s.port))
    const rl = new Redlock(clients, { driftFactor: 0.02, retryCount: 4, retryDelay: 150, retryJitter: 30 })
    redlocks.push(rl)
    assert.equal(rl.driftFactor, 0.02)
    assert.equal(rl.retryCount, 4)
    assert.equal(rl.retryDelay, 150)
    assert.equal(rl.retryJitter, 30)
    assert.deepEqual([...rl.servers], clients)
    const d = v4Redlock({})
    assert.equal(d.driftFactor, 0.01)
    assert.equal(d.retryCount, 10)
    assert.equal(d.retryDelay, 200)
    assert.equal(d.retryJitter, 100, 'node-redlock 4.2.0 code default (not the README’s 200)')
  })
})

describe('lock / unlock', () => {
  test('promise: lock(string) → Lock with lock.resource = [resource], a 32-hex value, an epoch expiration', async () => {
    const rl = v4Redlock()
    const res = uniqueResource('v4lock')
    const t0 = Date.now()
    const lock = await rl.lock(res, 2000)
    assert.ok(lock instanceof Redlock.Lock)
    assert.deepEqual(lock.resource, [res], 'node-redlock 4.2.0 normalises resource to an array')
    assert.match(lock.value, HEX32)
    assert.equal(typeof lock.expiration, 'number')
    const drift = Math.round(0.01 * 2000) + 2
    assert.ok(lock.expiration >= t0 + 2000 - drift - 50 && lock.expiration <= Date.now() + 2000 - drift)
    assert.equal(lock.redlock, rl)
    assert.equal(typeof lock.unlock, 'function')
    assert.equal(typeof lock.extend, 'function')
    await expectEverywhere(res, lock.value)
    for (const p of await pttls(res)) assert.ok(p > 1800 && p <= 2000, `PTTL ${p}`)
    // unlock resolves undefined; expiration 0; keys gone.
    const pending = rl.unlock(lock)
    assert.equal(lock.expiration, 0)
    assert.equal(await pending, undefined)
    await expectEverywhere(res, null)
    // acquire(string) is the v4 alias.
    const again = await rl.acquire(res, 1000)
    assert.deepEqual(again.resource, [res])
    assert.equal(await again.unlock(), undefined)
    await expectEverywhere(res, null)
  })

  test('callbacks: lock(res, ttl, cb) → cb(null, lock); acquire(res, ttl, cb); unlock(lock, cb); release(lock, cb)', async () => {
    const rl = v4Redlock()
    const res = uniqueResource('v4cb')
    let [err, lock] = await viaCallback((cb) => rl.lock(res, 2000, cb))
    assert.equal(err, null)
    assert.ok(lock instanceof Redlock.Lock)
    await expectEverywhere(res, lock.value)
    let [uerr, uval] = await viaCallback((cb) => rl.unlock(lock, cb))
    assert.equal(uerr, null)
    assert.equal(uval, undefined)
    await expectEverywhere(res, null)

    ;[err, lock] = await viaCallback((cb) => rl.acquire(res, 2000, cb))
    assert.equal(err, null)
    assert.deepEqual(lock.resource, [res])
    ;[uerr] = await viaCallback((cb) => rl.release(lock, cb))
    assert.equal(uerr, null)
    await expectEverywhere(res, null)

    ;[err, lock] = await viaCallback((cb) => rl.acquire([res], 2000, cb))
    assert.equal(err, null)
    ;[uerr, uval] = await viaCallback((cb) => lock.unlock(cb))
    assert.equal(uerr, null)
    assert.equal(uval, undefined)
    await expectEverywhere(res, null)
  })

  test('a held resource: LockError with numeric attempts and the exact message (promise and callback)', async () => {
    const rl = v4Redlock()
    const contender = v4Redlock(FAST)
    const res = uniqueResource('v4held')
    const lock = await rl.lock(res, 3000)
    // [actual, expected] messages, compared last so that the other checks run regardless.
    const messages = []
    const r = await timed(() => contender.lock(res, 1000))
    assert.ok(r.error instanceof Redlock.LockError, `got ${r.error && r.error.name}: ${r.error && r.error.message}`)
    assert.equal(r.error.name, 'LockError')
    assert.equal(typeof r.error.attempts, 'number')
    assert.equal(r.error.attempts, FAST.retryCount + 1)
    messages.push([r.error.message, exceeded(FAST.retryCount, res)])
    assert.ok(r.ms < 2000, `${r.ms.toFixed(0)} ms`)

    const [err, value] = await viaCallback((cb) => contender.lock(res, 1000, cb))
    assert.ok(err instanceof Redlock.LockError)
    messages.push([err.message, exceeded(FAST.retryCount, res)])
    assert.equal(value, undefined)

    // Multi-resource: the message names the resources joined by commas; nothing of it is left.
    const free = uniqueResource('v4free')
    await assert.rejects(contender.lock([free, res], 1000), (e) => {
      assert.ok(e instanceof Redlock.LockError)
      messages.push([e.message, exceeded(FAST.retryCount, `${free},${res}`)])
      return true
    })
    await sleep(50)
    assert.deepEqual(await values(free), [null, null, null])
    // The holder still has a quorum, and nobody else holds any node. (Its third write may have
    // raced the contender's first attempt — decisions are taken at quorum — so not all three.)
    const held = await values(res)
    assert.ok(held.filter((v) => v === lock.value).length >= 2, `the holder keeps a quorum: ${held}`)
    assert.ok(held.every((v) => v === lock.value || v === null), `no other owner: ${held}`)
    await lock.unlock()
    assert.deepEqual(
      messages.map(([actual]) => actual),
      messages.map(([, expected]) => expected),
      'node-redlock 4.2.0 puts the retryCount (not the attempts made) in the message',
    )
  })

  test('lockWithOptions / acquireWithOptions with retryCount 0: a single attempt', async () => {
    // A generous nodeTimeout: a server timed out on a loaded machine would add a rollback
    // request, which this count would take for a second attempt.
    const rl = v4Redlock({ retryCount: 5, retryDelay: 200, retryJitter: 0, nodeTimeout: 3000 })
    const res = uniqueResource('v4opts')
    const lock = await rl.lockWithOptions(res, 3000, { retryCount: 0 })
    assert.deepEqual(lock.resource, [res])
    for (const call of [
      () => rl.lockWithOptions(res, 1000, { retryCount: 0 }),
      () => rl.acquireWithOptions(res, 1000, { retryCount: 0 }),
    ]) {
      // "No retry" is observed on the servers, not by a stopwatch: one attempt is, per server,
      // one acquire request (SET NX) and its undoing (an EVAL and the GET inside it: 4.2.0 unlocks
      // on every server after a failed attempt, and so do v4 calls here). At the rejection a
      // second attempt would already have reached a quorum (more than that in all); within a
      // bounded wait the one attempt's commands reach all n servers, and no more.
      const perAttempt = 3 * servers.length
      const c0 = await commandsOn()
      const r = await timed(call)
      const atRejection = (await commandsOn()) - c0
      assert.ok(r.error instanceof Redlock.LockError)
      assert.equal(r.error.attempts, 1)
      assert.match(r.error.message, new RegExp(`^Exceeded \\d+ attempts to lock the resource "${res}"\\.$`))
      assert.ok(atRejection <= perAttempt, `one attempt: ${atRejection} commands at the rejection`)
      await eventually(async () => (await commandsOn()) - c0 >= perAttempt, { tries: 40, interval: 25 })
      await sleep(250) // longer than the redlock's retryDelay (200 ms): nothing is sent after the rejection
      assert.equal((await commandsOn()) - c0, perAttempt, 'one attempt per server, no retry')
    }
    // Per-call retryCount/retryDelay.
    const r = await timed(() => rl.lockWithOptions(res, 1000, { retryCount: 1, retryDelay: 30 }))
    assert.equal(r.error.attempts, 2)
    assert.ok(r.ms >= 25 && r.ms < 1000, `${r.ms.toFixed(0)} ms`)
    // And with a callback.
    const [err] = await viaCallback((cb) => rl.lockWithOptions(res, 1000, { retryCount: 0 }, cb))
    assert.ok(err instanceof Redlock.LockError)
    await lock.unlock()
    assert.equal(r.error.message, exceeded(1, res), 'node-redlock 4.2.0: "Exceeded <retryCount> attempts"')
  })

  test('unlock failure (dead majority) → LockError "Unable to fully release …"; expiration is 0', async () => {
    const fresh = await startServers(3)
    const rl = new Redlock(
      fresh.map((s) => new Redlock.IoredisClient(s.port)),
      { retryCount: 0, nodeTimeout: 200 },
    )
    redlocks.push(rl)
    const res = uniqueResource('v4unlockfail')
    const lock = await rl.lock(res, 5000)
    await fresh[1].kill()
    await fresh[2].kill()
    const r = await timed(() => lock.unlock())
    assert.ok(r.error instanceof Redlock.LockError, `got ${r.error}`)
    assert.equal(r.error.message, releaseMessage(res))
    assert.equal(lock.expiration, 0)
    assert.ok(r.ms < 2000, `${r.ms.toFixed(0)} ms`)
  })
})

describe('extend', () => {
  test('extend mutates the lock in place and returns the SAME object (promise, callback, lock.extend)', async () => {
    const rl = v4Redlock()
    const res = uniqueResource('v4ext')
    const lock = await rl.lock(res, 1000)
    const value = lock.value
    const exp0 = lock.expiration
    const extended = await rl.extend(lock, 3000)
    assert.equal(extended, lock, 'lock and extended point to the exact same object')
    assert.equal(lock.value, value)
    assert.ok(lock.expiration > exp0 + 1500, 'expiration moved forward in place')
    await eventually(async () => (await pttls(res)).every((p) => p > 2000), { tries: 40, interval: 25 })
    for (const p of await pttls(res)) assert.ok(p > 2000 && p <= 3000, `PTTL ${p}`)

    const [err, same] = await viaCallback((cb) => rl.extend(lock, 4000, cb))
    assert.equal(err, null)
    assert.equal(same, lock)
    const exp2 = lock.expiration
    const viaLock = await lock.extend(5000)
    assert.equal(viaLock, lock)
    assert.ok(lock.expiration > exp2)
    const [err2, same2] = await viaCallback((cb) => lock.extend(5000, cb))
    assert.equal(err2, null)
    assert.equal(same2, lock)
    // The lock stays usable after all those extends.
    assert.equal(await lock.unlock(), undefined)
    await expectEverywhere(res, null)
  })

  test('extending an expired lock → LockError with the exact v4 message and attempts 0', async () => {
    const rl = v4Redlock()
    const res = uniqueResource('v4expired')
    const lock = await rl.lock(res, 100)
    await sleep(200)
    await assert.rejects(rl.extend(lock, 1000), (e) => {
      assert.ok(e instanceof Redlock.LockError)
      assert.equal(e.name, 'LockError')
      assert.equal(e.message, expiredMessage(res))
      assert.equal(e.attempts, 0)
      return true
    })
    const [err] = await viaCallback((cb) => lock.extend(1000, cb))
    assert.ok(err instanceof Redlock.LockError)
    assert.equal(err.message, expiredMessage(res))
    // An unlocked lock cannot be extended either (expiration 0).
    const l2 = await rl.lock(res, 1000)
    await l2.unlock()
    await assert.rejects(l2.extend(1000), { message: expiredMessage(res) })
  })

  test('extend of a lock taken over by someone else is refused with a LockError', async () => {
    const rl = v4Redlock(FAST)
    const res = uniqueResource('v4stolen')
    const lock = await rl.lock(res, 2000)
    await expectEverywhere(res, lock.value)
    await Promise.all(servers.map((s) => s.redis.set(res, 'someone-else', 'PX', 5000)))
    await assert.rejects(rl.extend(lock, 2000), (e) => e instanceof Redlock.LockError && /^Exceeded \d+ attempts/.test(e.message))
    assert.deepEqual(await values(res), ['someone-else', 'someone-else', 'someone-else'])
    await Promise.all(servers.map((s) => s.redis.del(res)))
  })
})

describe('disposer, node-redis v3, events, quit', () => {
  test('disposer works with Bluebird.using: locked inside, unlocked after', async () => {
    const rl = v4Redlock()
    const res = uniqueResource('v4disposer')
    let inside
    const out = await Bluebird.using(rl.disposer(res, 2000), async (lock) => {
      assert.ok(lock instanceof Redlock.Lock)
      await expectEverywhere(res, lock.value)
      inside = lock.value
      return 'used'
    })
    assert.equal(out, 'used')
    assert.match(inside, HEX32)
    await expectEverywhere(res, null)
    // The handler's routine error propagates, and the lock is still released.
    await assert.rejects(
      Bluebird.using(rl.disposer(res, 2000, () => {}), async () => {
        throw new Error('inside disposer')
      }),
      { message: 'inside disposer' },
    )
    await expectEverywhere(res, null)
  })

  test('node-redis v3 clients (callback API): lock, extend, unlock, quit', async () => {
    const clients = servers.map((s) => {
      const c = redis3.createClient({ port: s.port, host: HOST })
      c.on('error', () => {})
      return c
    })
    const rl = new Redlock(clients, FAST)
    try {
      const res = uniqueResource('v4redis3')
      const lock = await rl.lock(res, 2000)
      await expectEverywhere(res, lock.value)
      assert.equal(await lock.extend(3000), lock)
      await assert.rejects(rl.lock(res, 1000), Redlock.LockError)
      assert.equal(await lock.unlock(), undefined)
      await expectEverywhere(res, null)
      const [err] = await viaCallback((cb) => rl.quit(cb))
      assert.equal(err, null)
      await eventually(() => clients.every((c) => !c.connected), { tries: 40, interval: 25 })
      assert.deepEqual(
        clients.map((c) => c.connected),
        [false, false, false],
        'quit() quit the node-redis v3 clients',
      )
    } finally {
      for (const c of clients) if (c.connected) c.quit()
      await rl.quit().catch(() => {})
    }
  })

  test('clientError for a dead node; contention alone emits no clientError', async () => {
    const fresh = await startServers(3)
    const rl = new Redlock(
      fresh.map((s) => new Redlock.IoredisClient(s.port)),
      { retryCount: 0, nodeTimeout: 200 },
    )
    redlocks.push(rl)
    const clientErrors = []
    rl.on('clientError', (e) => clientErrors.push(e))
    const res = uniqueResource('v4dead')
    const lock = await rl.lock(res, 3000)
    await assert.rejects(rl.lock(res, 1000), Redlock.LockError)
    assert.equal(clientErrors.length, 0, 'a refused lock is not a client error')
    await lock.unlock()

    await fresh[1].kill()
    await fresh[2].kill()
    const r = await timed(() => rl.lock(uniqueResource('v4dead2'), 1000))
    assert.ok(r.error instanceof Redlock.LockError, `got ${r.error}`)
    assert.ok(r.ms < 2000, `${r.ms.toFixed(0)} ms`)
    assert.ok(clientErrors.length >= 2, `${clientErrors.length} clientError events`)
    for (const e of clientErrors) assert.ok(e instanceof Error)
  })

  test('quit(cb) quits the ioredis clients given', async () => {
    const clients = servers.map((s) => ioredis(s.port))
    const rl = new Redlock(clients, FAST)
    const lock = await rl.lock(uniqueResource('v4quit'), 1000)
    await lock.unlock()
    const [err] = await viaCallback((cb) => rl.quit(cb))
    assert.equal(err, null)
    await eventually(() => clients.every((c) => c.status === 'end'), { tries: 40, interval: 25 })
    assert.deepEqual(
      clients.map((c) => c.status),
      ['end', 'end', 'end'],
    )
  })

  // What node-redlock 4.2.0's own test.js relies on (issue 11, item 5).
  test('quit() resolves the clients\' results, one per client', async () => {
    const clients = servers.map((s) => ioredis(s.port))
    const rl = new Redlock([...clients, `redis://${HOST}:${servers[0].port}/1`], FAST)
    await (await rl.lock(uniqueResource('v4quit-results'), 1000)).unlock()
    assert.deepEqual(await rl.quit(), ['OK', 'OK', 'OK', undefined])
  })

  test('a v4 lock counts its attempts (a number) and attemptsRemaining is retryCount − attempts', async () => {
    const rl = v4Redlock({ retryCount: 10, retryDelay: 100, retryJitter: 0 })
    const res = uniqueResource('v4attempts')
    const lock = await rl.lock(res, 1000)
    assert.equal(lock.attempts, 1)
    assert.equal(lock.attemptsRemaining, 9)
    assert.equal(await lock.extend(1000), lock)
    assert.equal(lock.attempts, 1, 'extended in place: the extension\'s attempts')
    await lock.unlock()
    // Held by another: granted on a later attempt.
    const other = await rl.lock(res, 300)
    const later = await rl.lock(res, 1000)
    assert.ok(later.attempts > 1, `attempts ${later.attempts}`)
    assert.equal(later.attemptsRemaining, 10 - later.attempts)
    await later.unlock()
    void other
    // v5 locks keep their statistics.
    const v5 = await rl.acquire([uniqueResource('v5attempts')], 1000)
    assert.ok(Array.isArray(v5.attempts) && v5.attempts.length === 1)
    await v5.release()
  })

  test('_lock(resource, value, ttl, callback): 4.2.0\'s backwards-compatible path (null value: a new lock; a value: its extension)', async () => {
    const rl = v4Redlock(FAST)
    const res = uniqueResource('v4_lock')
    const [err, lock] = await viaCallback((cb) => rl._lock(res, null, 1000, cb))
    assert.equal(err, null)
    assert.ok(lock instanceof Redlock.Lock)
    assert.equal(lock.attempts, 1)
    assert.equal(lock.attemptsRemaining, 1)
    const extended = await rl._lock(res, lock.value, 2000)
    assert.equal(extended.value, lock.value)
    for (const p of await pttls(res)) assert.ok(p > 1000, `extended: PTTL ${p}`)
    await extended.unlock()
  })

  test('lockScript / extendScript / unlockScript are the scripts in use (a function gets the default)', () => {
    const plain = v4Redlock(FAST)
    for (const k of ['lockScript', 'extendScript', 'unlockScript']) assert.ok(plain[k].length > 0, k)
    const custom = v4Redlock({
      ...FAST,
      lockScript: (d) => d + 'and 1',
      unlockScript: (d) => d + 'and 2',
      extendScript: (d) => d + 'and 3',
    })
    assert.equal(custom.lockScript, plain.lockScript + 'and 1')
    assert.equal(custom.unlockScript, plain.unlockScript + 'and 2')
    assert.equal(custom.extendScript, plain.extendScript + 'and 3')
  })

  test('lock.resource is writable (a string or an array): unlock then acts on the new resource', async () => {
    const rl = v4Redlock(FAST)
    const res = uniqueResource('v4res')
    const lock = await rl.lock(res, 2000)
    lock.resource = uniqueResource('v4res-other')
    assert.equal(lock.resource.length, 1)
    // Nothing of this lock under the other resource: 4.2.0's unlock refuses.
    await assert.rejects(lock.unlock(), (e) => e instanceof Redlock.LockError)
    assert.deepEqual(await values(res), [lock.value, lock.value, lock.value], 'the original resource is untouched')
    lock.resource = [res]
    await rl.unlock(lock)
    assert.deepEqual(await values(res), [null, null, null])
  })

  test('an exception thrown by a node-style callback surfaces as an uncaught exception (Bluebird nodeify), not a silent rejection', async () => {
    const { spawnSync } = await import('node:child_process')
    const script = `
      const Redlock = require(${JSON.stringify(require.resolve('../index.js'))})
      const rl = new Redlock([${JSON.stringify(`redis://${HOST}:${servers[0].port}`)}], { retryCount: 0 })
      process.on('uncaughtException', (e) => { console.log('uncaught:' + e.message); process.exit(0) })
      process.on('unhandledRejection', (e) => { console.log('unhandled:' + (e && e.message)); process.exit(1) })
      rl.lock('cb-throws-' + process.pid, 1000, () => { throw new Error('boom') })
      setTimeout(() => { console.log('nothing'); process.exit(2) }, 5000)`
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 15_000 })
    assert.equal(r.stdout.trim(), 'uncaught:boom', `${r.stdout}${r.stderr}`)
  })

  test('a callback that is a Proxy with throwing traps never stalls Bluebird (every promise of the process would hang)', async () => {
    const { spawnSync } = await import('node:child_process')
    // Bluebird tests `instanceof` on the callback it keeps in its queue, outside its own
    // try/catch; a trap that throws there would leave its scheduler stuck. Run in a child: a
    // stuck Bluebird would hang every later test of this process.
    const script = `
      const Bluebird = require('bluebird')
      const Redlock = require(${JSON.stringify(require.resolve('../index.js'))})
      const rl = new Redlock([${JSON.stringify(`redis://${HOST}:${servers[0].port}`)}], { retryCount: 0 })
      const trap = () => { throw new Error('trap') }
      const calls = []
      const cb = new Proxy(function () {}, { getPrototypeOf: trap, apply: (t, self, args) => { calls.push(args.length) } })
      process.on('uncaughtException', (e) => { console.log('uncaught:' + e.message); process.exit(1) })
      const key = 'proxy-cb-' + process.pid
      const give = (p) => Promise.race([p, new Promise((r) => setTimeout(() => r('stalled'), 3000))])
      ;(async () => {
        const lock = await give(rl.lock(key, 5000, cb))
        if (lock === 'stalled') return console.log('lock stalled')
        const after = await give(Bluebird.resolve(1).then(() => 'bluebird ok'))
        const unlocked = await give(lock.unlock(cb).then(() => 'unlocked'))
        await give(new Promise((r) => setImmediate(r)))
        console.log([after, unlocked, calls.join(',')].join(' '))
        await rl.quit()
      })()`
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000 })
    assert.equal(r.stdout.trim(), 'bluebird ok unlocked 2,1', `${r.stdout}${r.stderr}`)
  })
})
