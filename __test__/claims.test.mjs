// Documented behaviour of docs/migration.md ("Deliberate deviations"), docs/api.md and SAFETY.md
// ("Bounded time") that had no test against real redis-servers (issue 10): duplicate resources
// removed, custom scripts given as strings honoured, v4 entry points returning Bluebird promises
// (loaded only then) and v5 ones native Promises, a failed shorter extend lowering
// `lock.expiration`, read-only v4 fields, URL clients keyed by their redacted URL in
// ExecutionStats, `signal.aborted` after a long event-loop block, and the release, acquire and
// extend time bounds.
import { test, describe, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import { startServers, stopAll, sleep, uniqueResource, withPaused, eventually, HOST } from './helpers/redis.mjs'

/**
 * Acquire and extend resolve at the quorum: the last server's write may land a moment later
 * (or, on a loaded machine, well after). Reads until `read()` gives `want` (at most 5 s).
 */
async function settlesTo(read, want, what) {
  let got
  for (let i = 0; i < 200; i++) {
    got = await read()
    if (JSON.stringify(got) === JSON.stringify(want)) break
    await sleep(25)
  }
  assert.deepEqual(got, want, what)
}

const require = createRequire(import.meta.url)
const IORedis = require('ioredis')
const Bluebird = require('bluebird')
const Redlock = require('../index.js')
const INDEX = fileURLToPath(new URL('../index.js', import.meta.url))

let servers = []
const redlocks = []
const extraClients = []

const urls = (srvs = servers) => srvs.map((s) => `redis://${HOST}:${s.port}`)
function redlock(settings = { retryCount: 0 }, scripts, clients = urls()) {
  const rl = new Redlock(clients, settings, scripts)
  redlocks.push(rl)
  return rl
}

/** Every command a server runs while `fn` runs (MONITOR), as arrays of strings. */
async function monitored(server, fn) {
  const base = new IORedis(server.port, HOST, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null })
  base.on('error', () => {})
  extraClients.push(base)
  const mon = await base.monitor()
  mon.on('error', () => {})
  extraClients.push(mon)
  const seen = []
  mon.on('monitor', (_time, args) => seen.push(args.map(String)))
  try {
    await fn()
    // MONITOR output trails the replies: a marker command shows it has caught up.
    const marker = `monitor-mark-${Math.random()}`
    await server.redis.echo(marker)
    for (let i = 0; i < 100 && !seen.some((a) => a.includes(marker)); i++) await sleep(20)
    return seen
  } finally {
    mon.disconnect()
    base.disconnect()
  }
}

describe('documented behaviour against real servers (issue 10)', () => {
  before(async () => {
    servers = await startServers(3)
  })
  after(async () => {
    for (const c of extraClients) c.disconnect()
    await Promise.allSettled(redlocks.map((r) => r.quit()))
    await stopAll()
  })

  test('duplicate resources are removed: one key on the wire, acquire / extend / release all succeed', async () => {
    const key = uniqueResource('dup')
    // Custom node-redlock v5 release script as a string: it counts the keys it deleted, so a
    // duplicate kept in KEYS would make the count 1 of 2 (node-redlock's failure).
    const plain = redlock({ retryCount: 0 })
    const counting = redlock({ retryCount: 0 }, { releaseScript: plain.scripts.releaseScript.value })
    for (const rl of [plain, counting]) {
      let lock
      const cmds = await monitored(servers[0], async () => {
        lock = await rl.acquire([key, key], 5000)
        lock = await lock.extend(5000)
        await lock.release()
      })
      const mine = cmds.filter((a) => a.includes(key))
      assert.ok(mine.length >= 3, `acquire, extend and release reached the server (${JSON.stringify(mine)})`)
      for (const a of mine) {
        assert.equal(a.filter((x) => x === key).length, 1, `the key once per command: ${JSON.stringify(a)}`)
        const cmd = a[0].toLowerCase()
        if (cmd === 'eval' || cmd === 'evalsha') assert.equal(a[2], '1', `numkeys 1: ${JSON.stringify(a)}`)
      }
      for (const s of servers) assert.equal(await s.redis.exists(key), 0, 'released everywhere')
    }
  })

  test('custom scripts given as strings are honoured (v5 third argument and v4 settings)', async () => {
    const key = uniqueResource('script')
    const acquireScript = `
      for i, key in ipairs(KEYS) do
        if redis.call("exists", key) == 1 then return 0 end
      end
      for i, key in ipairs(KEYS) do redis.call("set", key, ARGV[1], "PX", ARGV[2]) end
      redis.call("incr", "acquired-marker:" .. KEYS[1])
      return #KEYS`
    const extendScript = `
      for i, key in ipairs(KEYS) do
        if redis.call("get", key) ~= ARGV[1] then return 0 end
      end
      for i, key in ipairs(KEYS) do redis.call("set", key, ARGV[1], "PX", ARGV[2]) end
      redis.call("incr", "extended-marker:" .. KEYS[1])
      return #KEYS`
    const releaseScript = `
      local count = 0
      for i, key in ipairs(KEYS) do
        if redis.call("get", key) == ARGV[1] then redis.call("del", key); count = count + 1 end
      end
      redis.call("incr", "released-marker:" .. KEYS[1])
      return count`
    const counters = async (name) => Promise.all(servers.map(async (s) => Number(await s.redis.get(`${name}-marker:${key}`))))
    const v5 = redlock({ retryCount: 0 }, { acquireScript, extendScript, releaseScript })
    // docs/api.md: `redlock.scripts` shows your scripts.
    assert.equal(v5.scripts.acquireScript.value, acquireScript)
    assert.equal(v5.scripts.extendScript.value, extendScript)
    assert.equal(v5.scripts.releaseScript.value, releaseScript)
    // Two rounds: the second acquire comes after scripts have run on every server, where a
    // default one-resource acquire would be a plain SET NX (which must not replace a custom script).
    for (let round = 1; round <= 2; round++) {
      const lock = await v5.acquire([key], 5000)
      await settlesTo(() => counters('acquired'), [round, round, round], `round ${round}: the acquire script ran`)
      const next = await lock.extend(5000)
      await settlesTo(() => counters('extended'), [round, round, round], `round ${round}: the extend script ran`)
      await next.release()
      await settlesTo(() => counters('released'), [round, round, round], `round ${round}: the release script ran`)
    }
    // v4 spelling: lockScript / extendScript / unlockScript settings, strings too.
    const v4 = redlock({ retryCount: 0, lockScript: acquireScript, extendScript, unlockScript: releaseScript })
    const lock = await v4.lock(key, 5000)
    await lock.extend(5000)
    await lock.unlock()
    await settlesTo(() => counters('acquired'), [3, 3, 3], 'v4 lockScript ran')
    await settlesTo(() => counters('extended'), [3, 3, 3], 'v4 extendScript ran')
    await settlesTo(() => counters('released'), [3, 3, 3], 'v4 unlockScript ran')
  })

  test('v4 entry points return Bluebird promises (as 4.2.0); v5 entry points native Promises', async () => {
    const key = uniqueResource('v4promise')
    const isBluebird = (p, what) => {
      assert.ok(p instanceof Bluebird, `${what}: a Bluebird promise`)
      for (const m of ['done', 'nodeify', 'timeout', 'tap', 'asCallback', 'spread']) {
        assert.equal(typeof p[m], 'function', `${what}: has .${m}()`)
      }
      return p
    }
    const isNative = (p, what) => {
      assert.equal(Object.getPrototypeOf(p), Promise.prototype, `${what}: a plain native Promise`)
      assert.ok(!(p instanceof Bluebird), `${what}: not a Bluebird promise`)
      return p
    }
    const rl = redlock({ retryCount: 0 })
    let lock = await isBluebird(rl.lock(key, 5000), 'lock()')
    assert.equal(await isBluebird(lock.extend(5000), 'lock.extend()'), lock, 'v4: extended in place')
    lock = await isBluebird(rl.extend(lock, 5000), 'redlock.extend(v4 lock)')
    await isBluebird(lock.unlock(), 'lock.unlock()')
    lock = await isBluebird(rl.lockWithOptions(key, 5000, { retryCount: 0 }), 'lockWithOptions()')
    await isBluebird(rl.unlock(lock), 'unlock()')
    lock = await isBluebird(rl.acquireWithOptions(key, 5000, { retryCount: 0 }), 'acquireWithOptions()')
    await isBluebird(rl.unlock(lock, () => {}), 'unlock(lock, callback)')
    lock = await isBluebird(rl.acquire(key, 5000), 'acquire(string)')
    await isBluebird(rl.release(lock, () => {}), 'release(lock, callback)')
    lock = await isBluebird(rl._lock(key, null, 5000), '_lock(resource, null, ttl)')
    await isBluebird(rl._lock(key, lock.value, 5000), '_lock(resource, value, ttl)')
    await lock.unlock()
    let cbValue
    lock = await isBluebird(rl.lock(key, 5000, (e, l) => (cbValue = l)), 'lock(…, callback)')
    await sleep(0)
    assert.equal(cbValue, lock, 'the callback got the same lock')
    // What v4 code does with them: filtered catch, .timeout(), .done().
    let caught = null
    await rl.lock(key, 5000).catch(Redlock.LockError, (e) => (caught = e))
    assert.ok(caught instanceof Redlock.LockError, 'filtered .catch(LockError, fn) caught the refusal')
    await assert.rejects(rl.lock(key, 5000).catch(TypeError, () => 'wrong filter'), Redlock.LockError, 'a non-matching filter passes the error on')
    assert.equal(await lock.extend(5000).timeout(5000), lock, '.timeout()')
    await new Promise((resolve, reject) => lock.unlock().done(resolve, reject))
    // A Redlock that served v4 code quits in Bluebird too; a v5 one natively.
    assert.ok(Array.isArray(await isBluebird(rl.quit(), 'quit() after v4 use')), 'quit() resolves the clients’ results')
    await isBluebird(redlock({ retryCount: 0 }).quit(() => {}), 'quit(callback)')
    // v5 entry points keep native Promises, also on a Redlock that served v4 code.
    for (const r of [redlock({ retryCount: 0 }), (await redlock({ retryCount: 0 }).lock(key + ':x', 5000)).redlock]) {
      const v5 = await isNative(r.acquire([key], 5000), 'acquire([…])')
      const next = await isNative(v5.extend(5000), 'lock.extend() of a v5 lock')
      await isNative(r.extend(next, 5000).then((l) => isNative(l.release(), 'lock.release()')), 'redlock.extend(v5 lock)')
      const again = await isNative(r.tryAcquire([key], 5000), 'tryAcquire()')
      await isNative(r.release(again), 'release(lock)')
      await isNative(r.using([key], 5000, async () => 1), 'using()')
      await isNative(r.isLocked(key), 'isLocked()')
    }
    await isNative(redlock({ retryCount: 0 }).quit(), 'quit() of a Redlock that served no v4 entry point')
  })

  test('bluebird is loaded only by a v4 entry point; v5 code works without it; v4 without it fails clearly, taking no lock', async () => {
    const dir = mkdtempSync(join(os.tmpdir(), 'redlock-rs-nobluebird-'))
    try {
      const key = uniqueResource('nobluebird')
      // A preload that makes `bluebird` unresolvable, as in a broken install.
      const preload = join(dir, 'no-bluebird.cjs')
      writeFileSync(
        preload,
        `const M = require('module'); const r = M._resolveFilename;
         M._resolveFilename = function (req, ...a) {
           if (req === 'bluebird' || req.startsWith('bluebird/')) { const e = new Error("Cannot find module 'bluebird'"); e.code = 'MODULE_NOT_FOUND'; throw e }
           return r.call(this, req, ...a) }`,
      )
      const script = (v4) => `
        const out = {}
        const loaded = () => Object.keys(require.cache).some((f) => /[\\\\/]node_modules[\\\\/]bluebird[\\\\/]/.test(f))
        const Redlock = require(${JSON.stringify(INDEX)})
        const rl = new Redlock(${JSON.stringify(urls())}, { retryCount: 0 })
        ;(async () => {
          let lock = await rl.acquire([${JSON.stringify(key)}], 5000)
          lock = await lock.extend(5000)
          await lock.release()
          out.using = await rl.using([${JSON.stringify(key)}], 5000, async () => 'used')
          out.loadedAfterV5 = loaded()
          if (${v4}) {
            try {
              const p = rl.lock(${JSON.stringify(key)}, 5000)
              out.lock = { returned: typeof p }
              await (await p).unlock()
            } catch (e) {
              out.lock = { name: e.name, message: e.message }
            }
            if (!out.lock.returned) {
              try {
                out.disposer = { returned: typeof rl.disposer(${JSON.stringify(key)}, 5000) }
              } catch (e) {
                out.disposer = { name: e.name, message: e.message }
              }
            }
            out.loadedAfterV4 = loaded()
          }
          await rl.quit()
          console.log(JSON.stringify(out))
        })()`
      const runChild = (args, v4) => {
        const r = spawnSync(process.execPath, [...args, '-e', script(v4)], { encoding: 'utf8', timeout: 20_000 })
        assert.equal(r.status, 0, r.stderr)
        return JSON.parse(r.stdout.trim().split('\n').pop())
      }
      // bluebird installed: v5 code never loads it, the first v4 call does.
      const withIt = runChild([], true)
      assert.equal(withIt.using, 'used')
      assert.equal(withIt.loadedAfterV5, false, 'v5 entry points did not load bluebird')
      assert.equal(withIt.loadedAfterV4, true, 'a v4 entry point loaded bluebird')
      assert.deepEqual(withIt.lock, { returned: 'object' })
      for (const s of servers) assert.equal(await s.redis.exists(key), 0, 'the locks were released')
      // bluebird missing: v5 code runs; v4 calls throw a clear error before any lock is taken.
      const without = runChild(['-r', preload], true)
      assert.equal(without.using, 'used', 'v5 code runs without bluebird')
      for (const name of ['lock', 'disposer']) {
        assert.ok(without[name] && without[name].message, `${name}() threw (got ${JSON.stringify(without[name])})`)
        assert.match(without[name].message, /v4 API needs the `bluebird` package/, name)
        assert.match(without[name].message, /npm install bluebird/, name)
      }
      for (const s of servers) assert.equal(await s.redis.exists(key), 0, 'no lock was taken')
      // With bluebird it is a Bluebird disposer for Promise.using.
      const rl = redlock({ retryCount: 0 })
      let inside
      await Bluebird.using(rl.disposer(key, 5000), async (lock) => {
        // A quorum holds the value (a node slower than its timeout on a loaded machine may not).
        inside = await Promise.all(servers.map((s) => s.redis.get(key)))
        assert.match(lock.value, /^[0-9a-f]{32}$/)
        assert.ok(inside.filter((v) => v === lock.value).length >= 2, `held inside Promise.using: ${inside}`)
      })
      assert.ok(inside, 'the routine ran')
      for (const s of servers) assert.equal(await s.redis.exists(key), 0, 'released after Promise.using')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  test('an unhandled rejection of a v4 promise is reported the Bluebird way and does not end the process (as 4.2.0)', async () => {
    const script = `
      const Redlock = require(${JSON.stringify(INDEX)})
      const rl = new Redlock(${JSON.stringify(urls())}, { retryCount: 0 })
      rl.lock('unhandled', -5) // a bad TTL rejects; nobody handles it
      setTimeout(() => { console.log('still alive'); rl.quit() }, 1000)`
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000 })
    assert.equal(r.status, 0, r.stderr)
    assert.equal(r.stdout.trim(), 'still alive')
    assert.match(r.stderr, /Unhandled rejection RangeError: Duration must be an integer value in milliseconds\./)
  })

  test('a failed extend to a shorter duration lowers lock.expiration (v5 and v4 locks)', async () => {
    for (const v4 of [false, true]) {
      const key = uniqueResource(v4 ? 'shorter4' : 'shorter5')
      const rl = redlock({ retryCount: 0 })
      const lock = v4 ? await rl.lock(key, 30_000) : await rl.acquire([key], 30_000)
      const before = lock.expiration
      assert.ok(before > Date.now() + 20_000)
      // The scenario needs server 0 to hold the lock: wait for its write to land.
      await settlesTo(() => servers[0].redis.get(key), lock.value, 'server 0 holds the lock')
      // Servers 1 and 2 no longer hold our value: the extend is refused there (no quorum), but
      // server 0 shortens its key to 1 s.
      await Promise.all([servers[1], servers[2]].map((s) => s.redis.set(key, 'someone-else', 'PX', 30_000)))
      const t0 = Date.now()
      await assert.rejects(v4 ? lock.extend(1000) : rl.extend(lock, 1000), v4 ? Redlock.LockError : Redlock.ExecutionError)
      const t1 = Date.now()
      // The verdict came from servers 1 and 2: server 0's extend may land just after it.
      let pttl
      await eventually(async () => (pttl = await servers[0].redis.pttl(key)) <= 1000, { tries: 40, interval: 25 })
      assert.ok(pttl > 0 && pttl <= 1000, `server 0 was shortened (PTTL ${pttl})`)
      assert.ok(lock.expiration > 0, `${v4 ? 'v4' : 'v5'}: still a positive end (${lock.expiration})`)
      assert.ok(lock.expiration < before, `${v4 ? 'v4' : 'v5'}: expiration lowered from ${before} to ${lock.expiration}`)
      assert.ok(lock.expiration <= t1 + 1000, `${v4 ? 'v4' : 'v5'}: no later than the shorter end (${lock.expiration - t0} ms after the call)`)
      await Promise.all(servers.map((s) => s.redis.del(key)))
    }
  })

  test('the v4 fields are read-only', async () => {
    const rl = redlock({ retryCount: 3, retryDelay: 123, retryJitter: 7, driftFactor: 0.02 })
    const want = { driftFactor: 0.02, retryCount: 3, retryDelay: 123, retryJitter: 7 }
    for (const [field, value] of Object.entries(want)) {
      assert.equal(rl[field], value, field)
      assert.throws(() => {
        rl[field] = 99
      }, TypeError, `assigning ${field} throws`)
      assert.equal(rl[field], value, `${field} unchanged`)
    }
    const servers0 = rl.servers
    assert.equal(servers0.length, 3)
    assert.throws(() => {
      rl.servers = []
    }, TypeError, 'assigning servers throws')
    assert.throws(() => rl.servers.push('redis://127.0.0.1:1'), TypeError, 'servers cannot grow')
    assert.equal(rl.servers.length, 3)
    assert.throws(() => {
      rl.settings.retryCount = 0
    }, TypeError, 'settings are frozen')
    assert.throws(() => rl.clients.add('x'), TypeError)
    assert.throws(() => rl.clients.delete([...rl.clients][0]), TypeError)
    assert.throws(() => rl.clients.clear(), TypeError)
    assert.equal(rl.clients.size, 3)
    // The lock still uses the original settings: retryCount 3 → 4 attempts on a held resource.
    const key = uniqueResource('ro')
    await Promise.all(servers.map((s) => s.redis.set(key, 'someone-else', 'PX', 30_000)))
    const e = await rl.lock(key, 1000, undefined).catch((x) => x)
    assert.ok(e instanceof Redlock.LockError, String(e))
    assert.equal(e.attempts, 4)
    await Promise.all(servers.map((s) => s.redis.del(key)))
  })

  test('URL clients (and option objects) are keyed by their redacted URL in ExecutionStats', async () => {
    const [secured] = await startServers(1, { password: 'hunter2-secret' })
    const url = `redis://:hunter2-secret@${HOST}:${secured.port}`
    const rl = redlock({ retryCount: 0 }, undefined, [url, { host: HOST, port: secured.port, password: 'hunter2-secret', db: 1 }])
    const key = uniqueResource('stats')
    const lock = await rl.acquire([key], 5000)
    const stats = await lock.attempts[0]
    const keys = [...stats.votesFor]
    assert.deepEqual(keys, [`redis://:***@${HOST}:${secured.port}`, `redis://:***@${HOST}:${secured.port}/1`])
    for (const k of keys) assert.ok(!k.includes('hunter2'), `no password in ${k}`)
    // A refused attempt: the same redacted keys in votesAgainst.
    const e = await rl.acquire([key], 5000).catch((x) => x)
    assert.ok(e instanceof Redlock.ExecutionError)
    const against = await e.attempts[0]
    assert.deepEqual([...against.votesAgainst.keys()], keys)
    assert.equal(against.votesFor.size, 0)
    await lock.release()
    await secured.stop()
  })

  test('using(): signal.aborted is true at the first check after a long event-loop block once the lock is gone', async () => {
    const key = uniqueResource('blocked')
    const rl = redlock({ retryCount: 0, automaticExtensionThreshold: 500 })
    let abortEvents = 0
    let seen
    // The lock was lost, so the release at the end is refused and using() rejects (as
    // node-redlock v5's using does when its release fails).
    const done = rl.using([key], 1000, async (signal) => {
      signal.addEventListener('abort', () => abortEvents++)
      assert.equal(signal.aborted, false, 'held at the start')
      // The lock is taken away on every server; the native keeper finds out when it tries to
      // extend (about 500 ms in), while the event loop is blocked.
      await Promise.all(servers.map((s) => s.redis.set(key, 'someone-else', 'PX', 30_000)))
      const end = Date.now() + 2500 // past the TTL (1 s) and the keeper's extension
      while (Date.now() < end) {
        /* block the event loop */
      }
      // The 'abort' event could not have been delivered yet: the loop was blocked (the check
      // below dispatches it synchronously when it finds the lock gone).
      const eventsAtFirstCheck = abortEvents
      const first = signal.aborted
      seen = { first, eventsAtFirstCheck, error: signal.error }
    })
    await assert.rejects(done, Redlock.ExecutionError)
    assert.equal(seen.eventsAtFirstCheck, 0, 'no abort event ran during the block')
    assert.equal(seen.first, true, 'signal.aborted true at the first check')
    assert.ok(seen.error instanceof Redlock.ExecutionError, 'signal.error is an ExecutionError')
    for (const s of servers) assert.equal(await s.redis.get(key), 'someone-else', 'the other owner is untouched')
    await Promise.all(servers.map((s) => s.redis.del(key)))
  })

  test('release time bound: with a paused majority it rejects within 11 × (nodeTimeout + retryDelay + retryJitter), even with retryCount -1', async () => {
    const nodeTimeout = 100
    const settings = { retryCount: -1, retryDelay: 50, retryJitter: 10, nodeTimeout }
    const bound = 11 * (nodeTimeout + settings.retryDelay + settings.retryJitter) // SAFETY.md "Bounded time"
    const SLACK = 1500 // a loaded 2-core machine; far below an unbounded or untimed release
    const rl = redlock(settings)
    const key = uniqueResource('relbound')
    const lock = await rl.acquire([key], 5000, { retryCount: 0 })
    const r = await withPaused([servers[1], servers[2]], async () => {
      const t0 = performance.now()
      const outcome = await Promise.race([
        rl.release(lock).then(
          () => ({ ok: true }),
          (error) => ({ error }),
        ),
        sleep(bound + 10_000).then(() => ({ hung: true })),
      ])
      return { ...outcome, ms: performance.now() - t0 }
    })
    assert.ok(!r.hung, `the release returned (it did not within ${bound + 10_000} ms)`)
    assert.ok(r.error instanceof Redlock.ExecutionError, `rejected: a quorum stayed unreachable (${r.ok ? 'resolved' : r.error})`)
    assert.ok(r.ms <= bound + SLACK, `returned after ${Math.round(r.ms)} ms (bound ${bound} ms)`)
    assert.ok(r.ms >= 5 * nodeTimeout, `it did retry (${Math.round(r.ms)} ms)`)
    // Paused minority: resolves, within the same bound.
    await Promise.all(servers.map((s) => s.redis.del(key)))
    const lock2 = await rl.acquire([key], 5000, { retryCount: 0 })
    const r2 = await withPaused(servers[2], async () => {
      const t0 = performance.now()
      await rl.release(lock2)
      return performance.now() - t0
    })
    assert.ok(r2 <= bound + SLACK, `a paused minority: resolved after ${Math.round(r2)} ms`)
    for (const s of servers.slice(0, 2)) assert.equal(await s.redis.exists(key), 0)
    await servers[2].redis.del(key)
  })

  test('acquire / extend time bound: with a paused majority each rejects within (retryCount + 1) × (nodeTimeout + retryDelay + retryJitter)', async () => {
    const nodeTimeout = 100
    const settings = { retryCount: 3, retryDelay: 50, retryJitter: 10, nodeTimeout }
    const attempts = settings.retryCount + 1
    const bound = attempts * (nodeTimeout + settings.retryDelay + settings.retryJitter) // SAFETY.md "Bounded time"
    const SLACK = 3000 // a loaded 2-core machine; far below an untimed request (it waits for the resume)
    const rl = redlock(settings)
    const key = uniqueResource('acqbound')
    const other = uniqueResource('acqbound-other')
    const lock = await rl.acquire([key], 10_000)
    const bounded = async (op) => {
      const t0 = performance.now()
      const outcome = await Promise.race([
        op().then(
          () => ({ ok: true }),
          (error) => ({ error }),
        ),
        sleep(bound + 10_000).then(() => ({ hung: true })),
      ])
      return { ...outcome, ms: performance.now() - t0 }
    }
    const r = await withPaused([servers[1], servers[2]], async () => ({
      acquire: await bounded(() => rl.acquire([other], 10_000)),
      extend: await bounded(() => lock.extend(10_000)),
    }))
    for (const [op, x] of Object.entries(r)) {
      assert.ok(!x.hung, `${op}: returned (it did not within ${bound + 10_000} ms)`)
      assert.ok(x.error instanceof Redlock.ExecutionError, `${op}: rejected, no quorum reachable (${x.ok ? 'resolved' : x.error})`)
      assert.equal(x.error.attempts.length, attempts, `${op}: every attempt was made`)
      assert.ok(x.ms <= bound + SLACK, `${op}: rejected after ${Math.round(x.ms)} ms (bound ${bound} ms)`)
    }
    // The servers are back: the lock is still held (the failed extend changed nothing there).
    await lock.release()
    await Promise.all(servers.map((s) => s.redis.del(key, other)))
  })

  test('release time bound: with a dead majority it rejects within 11 × (nodeTimeout + retryDelay + retryJitter); a dead minority does not stop it', async () => {
    const own = await startServers(3)
    const nodeTimeout = 100
    const settings = { retryCount: -1, retryDelay: 50, retryJitter: 10, nodeTimeout }
    const bound = 11 * (nodeTimeout + settings.retryDelay + settings.retryJitter)
    const SLACK = 1500
    const rl = redlock(settings, undefined, urls(own))
    const key = uniqueResource('relbound-dead')
    // Dead minority: resolves.
    const lock = await rl.acquire([key], 5000, { retryCount: 0 })
    await own[2].kill()
    const t0 = performance.now()
    await rl.release(lock)
    const ms = performance.now() - t0
    assert.ok(ms <= bound + SLACK, `a dead minority: resolved after ${Math.round(ms)} ms`)
    for (const s of own.slice(0, 2)) assert.equal(await s.redis.exists(key), 0)
    // Dead majority: rejects, within the bound, although retryCount is -1.
    await own[2].restart()
    const lock2 = await rl.acquire([key], 5000, { retryCount: 0 })
    await own[1].kill()
    await own[2].kill()
    const t1 = performance.now()
    const outcome = await Promise.race([
      rl.release(lock2).then(() => ({ ok: true }), (error) => ({ error })),
      sleep(bound + 10_000).then(() => ({ hung: true })),
    ])
    const ms2 = performance.now() - t1
    assert.ok(!outcome.hung, 'the release returned')
    assert.ok(outcome.error instanceof Redlock.ExecutionError, `rejected (${outcome.ok ? 'resolved' : outcome.error})`)
    assert.ok(ms2 <= bound + SLACK, `a dead majority: rejected after ${Math.round(ms2)} ms (bound ${bound} ms)`)
    assert.equal(await own[0].redis.exists(key), 0, 'the live server released it')
    await Promise.all(own.map((s) => s.stop()))
  })
})
