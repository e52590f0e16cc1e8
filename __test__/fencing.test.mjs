// Fencing tokens (issue 14, docs/fencing.md) against real redis-server processes: tokens
// strictly increase per resource whichever quorum grants, one token for a multi-resource lock,
// extend keeps it, using() hands it to the routine, the caller's own client objects, the
// original API, and bad input.
import { test, describe, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { startServers, stopAll, uniqueResource, withPaused, eventually } from './helpers/redis.mjs'

const require = createRequire(import.meta.url)
const IORedis = require('ioredis')
const Redlock = require('../index.js')
const { ExecutionError } = Redlock

/** The counter key of a resource without a hash tag (docs/fencing.md). */
const counterKey = (r) => `{${r}}:redlock-fence`
const urls = (srvs) => srvs.map((s) => `redis://127.0.0.1:${s.port}`)
const FAST = { retryCount: 0, nodeTimeout: 200 }

const closables = []
function track(x) {
  closables.push(x)
  return x
}
const redlockOn = (srvs, settings = {}) => track(new Redlock(urls(srvs), { ...FAST, ...settings }))

let five = []
before(async () => {
  five = await startServers(5)
})
after(async () => {
  await Promise.allSettled(closables.map((c) => c.quit()))
  await stopAll()
})

/** Acquires, checks, releases; returns the token. */
async function tokenOf(redlock, resources, settings) {
  const lock = await redlock.acquire(resources, 5000, settings)
  assert.ok(Number.isSafeInteger(lock.fencingToken) && lock.fencingToken > 0, `token ${lock.fencingToken}`)
  await lock.release()
  return lock.fencingToken
}

describe('tokens strictly increase per resource', () => {
  for (const n of [3, 5]) {
    test(`on ${n} servers, whichever quorum grants (a minority paused in turn)`, async () => {
      const srvs = five.slice(0, n)
      const redlock = redlockOn(srvs, { fencing: true })
      const r = uniqueResource('fence')
      const minority = Math.floor((n - 1) / 2)
      let last = 0
      for (let k = 0; k < 2 * n; k++) {
        // Every other lock, a different minority is away: quorums differ from lock to lock.
        const away = k % 2 === 0 ? [] : Array.from({ length: minority }, (_, j) => srvs[(k + j) % n])
        const t = await withPaused(away, () => tokenOf(redlock, [r]))
        assert.ok(t > last, `lock ${k}: token ${t} after ${last}`)
        last = t
      }
      // Every node that was written back holds the last token (or an earlier one where it was
      // away); none holds more.
      const counters = (await Promise.all(srvs.map((s) => s.redis.get(counterKey(r))))).map(Number)
      assert.ok(counters.every((c) => c <= last), `${counters}`)
      assert.ok(counters.filter((c) => c === last).length >= Math.floor(n / 2) + 1, `${counters} vs ${last}`)
    })
  }

  test('the lock key and value stay node-redlock’s; the counter sits beside it, without expiry', async () => {
    const srvs = five.slice(0, 3)
    const redlock = redlockOn(srvs, { fencing: true })
    const r = uniqueResource('wire')
    const lock = await redlock.acquire([r], 5000)
    // The verdict comes at the quorum: the last node's write-back may still be on its way.
    const all = async (key, want) => (await Promise.all(srvs.map((s) => s.redis.get(key)))).every((v) => v === want)
    await eventually(() => all(r, lock.value))
    await eventually(() => all(counterKey(r), String(lock.fencingToken)))
    for (const s of srvs) {
      assert.equal(await s.redis.get(r), lock.value)
      assert.equal(await s.redis.get(counterKey(r)), String(lock.fencingToken))
      assert.equal(await s.redis.pttl(counterKey(r)), -1, 'counters never expire')
    }
    await lock.release()
    // A key with a hash tag keeps it: the counter is the key plus the suffix.
    const tagged = `{${uniqueResource('tag')}}:x`
    const t = await tokenOf(redlock, [tagged])
    await eventually(async () => (await srvs[0].redis.get(`${tagged}:redlock-fence`)) === String(t))
  })

  test('per call: fencing only where asked; an unfenced lock has no token and no counter', async () => {
    const srvs = five.slice(0, 3)
    const redlock = redlockOn(srvs)
    const r = uniqueResource('percall')
    const plain = await redlock.acquire([r], 5000)
    assert.equal(plain.fencingToken, undefined)
    assert.ok(!('fencingToken' in plain), 'an unfenced Lock keeps node-redlock’s shape')
    await plain.release()
    assert.equal(await srvs[0].redis.get(counterKey(r)), null)
    assert.equal(await tokenOf(redlock, [r], { fencing: true }), 1)
    assert.equal(await tokenOf(redlock, [r], { fencing: true }), 2)
    // `fencing: false` per call overrides a fencing Redlock.
    const off = await redlockOn(srvs, { fencing: true }).acquire([r], 5000, { fencing: false })
    assert.equal(off.fencingToken, undefined)
    await off.release()
  })
})

test('a multi-resource lock gets one token, greater than every earlier token of each resource', async () => {
  const srvs = five.slice(0, 3)
  const redlock = redlockOn(srvs, { fencing: true })
  const [a, b] = [uniqueResource('ma'), uniqueResource('mb')]
  const ta = [await tokenOf(redlock, [a]), await tokenOf(redlock, [a]), await tokenOf(redlock, [a])]
  const tb = await tokenOf(redlock, [b])
  const both = await tokenOf(redlock, [a, b])
  assert.deepEqual([ta, tb, both], [[1, 2, 3], 1, 4])
  assert.equal(await tokenOf(redlock, [b]), 5, 'b’s counter was raised to the shared token')
  assert.equal(await tokenOf(redlock, [a]), 5)
})

test('extend keeps the token; the extended lock carries it', async () => {
  const redlock = redlockOn(five.slice(0, 3), { fencing: true })
  const r = uniqueResource('ext')
  const lock = await redlock.acquire([r], 2000)
  const longer = await lock.extend(5000)
  const again = await longer.extend(5000)
  assert.deepEqual([longer.fencingToken, again.fencingToken], [lock.fencingToken, lock.fencingToken])
  await again.release()
  assert.equal(await tokenOf(redlock, [r]), lock.fencingToken + 1, 'extends raise no counter')
})

test('using() hands the routine the lock (second argument) with its token', async () => {
  const redlock = redlockOn(five.slice(0, 3), { fencing: true })
  const r = uniqueResource('using')
  const first = await redlock.using([r], 2000, async (signal, lock) => {
    assert.equal(signal.aborted, false)
    assert.deepEqual(lock.resources, [r])
    return lock.fencingToken
  })
  const second = await redlock.using([r], 2000, { fencing: true }, async (_signal, lock) => lock.fencingToken)
  assert.ok(Number.isSafeInteger(first) && second === first + 1, `${first}, ${second}`)
  const plain = await redlockOn(five.slice(0, 3)).using([r], 2000, async (_s, lock) => lock.fencingToken)
  assert.equal(plain, undefined)
})

test('the caller’s own ioredis objects (useClientObjects) run the same scripts and share the counters', async () => {
  const srvs = five.slice(0, 3)
  const ios = srvs.map((s) => new IORedis({ port: s.port, host: '127.0.0.1', maxRetriesPerRequest: 0 }))
  // Scripts unknown to these servers: the first EVALSHA gets NOSCRIPT, then EVAL.
  await Promise.all(ios.map((c) => c.script('FLUSH')))
  const onClient = track(new Redlock(ios, { ...FAST, fencing: true, useClientObjects: true }))
  const native = redlockOn(srvs, { fencing: true })
  const r = uniqueResource('caller')
  const t1 = await tokenOf(onClient, [r])
  const t2 = await tokenOf(native, [r])
  const t3 = await tokenOf(onClient, [r, uniqueResource('caller2')])
  assert.deepEqual([t1, t2, t3], [1, 2, 3])
})

test('the original API: acquireFencedLock resolves the token, or false when held', async () => {
  const srvs = five.slice(0, 3)
  const redlock = redlockOn(srvs)
  const other = redlockOn(srvs)
  const r = uniqueResource('orig')
  const t = await redlock.acquireFencedLock(r, 5000)
  assert.equal(t, 1)
  assert.equal(await other.acquireFencedLock(r, 5000), false)
  await redlock.releaseLock(r, redlock.id)
  assert.equal(await other.acquireFencedLock(r, 5000), 2)
  await other.releaseLock(r, other.id)
  // acquireLock on a fencing Redlock fences too (its answer stays a boolean).
  assert.equal(await redlockOn(srvs, { fencing: true }).acquireLock(r, 5000, 'x'.repeat(32)), true)
  await eventually(async () => (await srvs[0].redis.get(counterKey(r))) === '3')
})

test('v4 entry points: lockWithOptions takes fencing too', async () => {
  const redlock = redlockOn(five.slice(0, 3))
  const r = uniqueResource('v4')
  const lock = await redlock.lockWithOptions(r, 5000, { fencing: true })
  assert.equal(lock.fencingToken, 1)
  await lock.unlock()
})

describe('bad input', () => {
  test('fencing must be a boolean: TypeError naming the argument', async () => {
    const srvs = five.slice(0, 3)
    for (const bad of ['yes', 1, {}, []]) {
      assert.throws(() => new Redlock(urls(srvs), { fencing: bad }), { name: 'TypeError', message: 'settings.fencing must be a boolean.' })
      const redlock = redlockOn(srvs)
      await assert.rejects(redlock.acquire([uniqueResource()], 1000, { fencing: bad }), {
        name: 'TypeError',
        message: 'settings.fencing must be a boolean.',
      })
    }
  })

  test('custom scripts and fencing: TypeError, in the constructor and per call; nothing is locked', async () => {
    const srvs = five.slice(0, 3)
    const scripts = { acquireScript: (s) => s }
    assert.throws(() => new Redlock(urls(srvs), { fencing: true }, scripts), {
      name: 'TypeError',
      message: /settings\.fencing cannot be used with custom scripts/,
    })
    const redlock = track(new Redlock(urls(srvs), FAST, scripts))
    const r = uniqueResource('scripts')
    await assert.rejects(redlock.acquire([r], 1000, { fencing: true }), { name: 'TypeError', message: /custom scripts/ })
    assert.equal(await srvs[0].redis.get(r), null)
    // The original API throws bad input synchronously, as acquireLock does.
    assert.throws(() => redlock.acquireFencedLock(r, 1000), { name: 'TypeError', message: /custom scripts/ })
  })

  test('a token never comes from a failed acquire', async () => {
    const srvs = five.slice(0, 3)
    const redlock = redlockOn(srvs, { fencing: true })
    const r = uniqueResource('held')
    const lock = await redlock.acquire([r], 5000)
    await assert.rejects(redlock.acquire([r], 5000), (e) => e instanceof ExecutionError && e.reason === 'held')
    await lock.release()
  })
})

test('examples/fencing.mjs: the holder paused past its TTL is refused by its token', () => {
  const example = fileURLToPath(new URL('../examples/fencing.mjs', import.meta.url))
  const r = spawnSync(process.execPath, [example], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, REDIS_URLS: '' } })
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`)
  assert.match(r.stdout, /B writes with token (\d+): accepted\./)
  assert.match(r.stdout, /A writes with token \d+: refused\./)
  assert.match(r.stdout, /OK: the paused holder was refused by its token\./)
})
