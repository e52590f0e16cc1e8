// The original redlock-rs API (IoredisClient / RedisJsClient / Redlock with acquireLock and
// releaseLock) against real redis-server processes on free loopback ports.
import { test, describe, before, after } from 'node:test'
import assert from 'node:assert/strict'
import util from 'node:util'
import { createRequire } from 'node:module'
import {
  startServers,
  stopAll,
  freePort,
  sleep,
  timed,
  uniqueResource,
  commandCount,
  connectedClients,
  withPaused,
  eventually,
  HOST,
} from './helpers/redis.mjs'
import { lockOps } from './faults/matrix.mjs'

const require = createRequire(import.meta.url)
const IORedis = require('ioredis')
const Redlock = require('../index.js')
const { IoredisClient, RedisJsClient } = Redlock

const HEX32 = /^[0-9a-f]{32}$/
const DEFAULTS = {
  driftFactor: 0.01,
  retryCount: 10,
  retryDelay: 200,
  retryJitter: 100,
  automaticExtensionThreshold: 500,
}
/** For a second holder that must be refused without waiting for the first lock to expire. */
const NO_RETRY = { retryCount: 0 }

let servers = []
const closables = []
/** Registers an object with a quit() method, closed in after(). */
function track(x) {
  closables.push(x)
  return x
}
const ioClients = (srvs) => srvs.map((s) => new IoredisClient(s.port))
const redlockOn = (srvs, settings) => track(new Redlock(ioClients(srvs), settings))
const values = (srvs, key) => Promise.all(srvs.map((s) => s.redis.get(key)))
const pttls = (srvs, key) => Promise.all(srvs.map((s) => s.redis.pttl(key)))

/**
 * Asserts `id` is stored under `key`: on a quorum as soon as acquireLock resolved (it decides
 * once a quorum granted), and on every node shortly after (the last grants are in flight).
 */
async function expectHeld(srvs, key, id) {
  const now = await values(srvs, key)
  const quorum = Math.floor(srvs.length / 2) + 1
  assert.ok(now.filter((v) => v === id).length >= quorum, `a quorum holds ${id} when acquireLock resolves: ${now}`)
  for (const v of now) assert.ok(v === id || v === null, `unexpected value ${v} (expected ${id})`)
  await eventually(async () => (await values(srvs, key)).every((v) => v === id), { tries: 40, interval: 25 })
  assert.deepEqual(await values(srvs, key), srvs.map(() => id), 'every node holds the lock id')
}

before(async () => {
  servers = await startServers(5)
})

after(async () => {
  await Promise.allSettled(closables.map((x) => x.quit()))
  await stopAll()
})

describe('identity, defaults and settings', () => {
  test('client ids and redlock ids are 32 lowercase hex chars, random per object, stable and read-only', () => {
    const p = servers[0].port
    const objs = [
      new IoredisClient(p),
      new IoredisClient(p),
      new RedisJsClient({ url: `redis://${HOST}:${p}` }),
      new RedisJsClient({ url: `redis://${HOST}:${p}` }),
    ]
    const rls = [new Redlock([objs[0]]), new Redlock([objs[1]]), new Redlock([objs[2], new IoredisClient(servers[1].port)])]
    const ids = [...objs, ...rls].map((o) => o.id)
    for (const id of ids) assert.match(id, HEX32)
    assert.equal(new Set(ids).size, ids.length, 'every object has its own id')
    for (const o of [...objs, ...rls]) {
      assert.equal(o.id, o.id, 'the id is stable')
      assert.throws(() => {
        o.id = 'x'
      }, TypeError)
    }
    assert.equal(rls[0].id, rls[0].id)
  })

  test('client host/port/url from each constructor form', () => {
    const p = servers[0].port
    let c = new IoredisClient(p)
    assert.equal(c.host, '127.0.0.1')
    assert.equal(c.port, p)
    c = new IoredisClient(p, 'localhost')
    assert.equal(c.host, 'localhost')
    assert.equal(c.port, p)
    c = new IoredisClient({ host: '127.0.0.1', port: p })
    assert.equal(c.port, p)
    c = new IoredisClient(`redis://127.0.0.1:${p}`)
    assert.equal(c.host, '127.0.0.1')
    assert.equal(c.port, p)
    assert.throws(() => {
      c.port = 1
    }, TypeError)
    assert.throws(() => {
      c.host = 'x'
    }, TypeError)
    // Defaults (lazy: no connection is ever made by constructing).
    c = new IoredisClient()
    assert.equal(c.host, '127.0.0.1')
    assert.equal(c.port, 6379)
    const r = new RedisJsClient()
    assert.equal(r.url, 'redis://127.0.0.1:6379')
    assert.equal(new RedisJsClient({ url: `redis://${HOST}:${p}` }).url, `redis://127.0.0.1:${p}`)
    const s = new RedisJsClient({ socket: { host: HOST, port: p } })
    assert.equal(s.url, `redis://127.0.0.1:${p}`)
    assert.equal(s.port, p)
    assert.equal(new RedisJsClient({ url: `redis://${HOST}:${p}`, database: 3 }).url, `redis://127.0.0.1:${p}/3`)
    assert.throws(() => {
      s.url = 'redis://x'
    }, TypeError)
  })

  test('settings: defaults, frozen, and nodeTimeoutFor derived from the TTL', () => {
    const rl = new Redlock([new IoredisClient(servers[0].port)])
    const s = rl.settings
    for (const [k, v] of Object.entries(DEFAULTS)) assert.equal(s[k], v, k)
    assert.equal(s.nodeTimeout ?? undefined, undefined, 'nodeTimeout defaults to derived')
    assert.ok(Object.isFrozen(s))
    assert.throws(() => {
      s.retryCount = 3
    }, TypeError)
    assert.throws(() => {
      rl.settings = {}
    }, TypeError)
    assert.equal(rl.settings.retryCount, 10)
    // clamp(ttl / 20, 100, 1000): 5 % of the TTL
    assert.equal(rl.nodeTimeoutFor(1), 100)
    assert.equal(rl.nodeTimeoutFor(100), 100)
    assert.equal(rl.nodeTimeoutFor(2000), 100)
    assert.equal(rl.nodeTimeoutFor(5555), 277)
    assert.equal(rl.nodeTimeoutFor(10000), 500)
    assert.equal(rl.nodeTimeoutFor(20000), 1000)
    assert.equal(rl.nodeTimeoutFor(60000), 1000)

    const custom = new Redlock([new IoredisClient(servers[0].port)], {
      driftFactor: 0.05,
      retryCount: -1,
      retryDelay: 0,
      retryJitter: 7,
      automaticExtensionThreshold: 100,
      nodeTimeout: 250,
      unknownKeysAreIgnored: true,
    })
    assert.equal(custom.settings.driftFactor, 0.05)
    assert.equal(custom.settings.retryCount, -1)
    assert.equal(custom.settings.retryDelay, 0)
    assert.equal(custom.settings.retryJitter, 7)
    assert.equal(custom.settings.automaticExtensionThreshold, 100)
    assert.equal(custom.settings.nodeTimeout, 250)
    assert.ok(Object.isFrozen(custom.settings))
    assert.equal(custom.nodeTimeoutFor(100), 250)
    assert.equal(custom.nodeTimeoutFor(60000), 250)
    // Partial settings keep the other defaults.
    const partial = new Redlock([new IoredisClient(servers[0].port)], { retryCount: 3 })
    assert.equal(partial.settings.retryCount, 3)
    assert.equal(partial.settings.retryDelay, 200)
  })

  test('quorum is floor(N/2)+1; clients are read-only and deduplicated', () => {
    for (let n = 1; n <= 5; n++) {
      const rl = new Redlock(ioClients(servers.slice(0, n)))
      assert.equal(rl.quorum, Math.floor(n / 2) + 1, `N=${n}`)
      assert.equal([...rl.clients].length, n)
    }
    const a = new IoredisClient(servers[0].port)
    const b = new RedisJsClient({ url: `redis://${HOST}:${servers[1].port}` })
    const rl = new Redlock([a, a, b, a])
    assert.deepEqual([...rl.clients], [a, b], 'the same object twice is one client; order kept')
    assert.equal(rl.quorum, 2)
    assert.throws(() => {
      rl.clients = []
    }, TypeError)
    // Whatever collection it is (array or Set), it cannot be changed.
    const c = new IoredisClient(servers[2].port)
    for (const m of ['push', 'add', 'delete', 'clear', 'pop', 'splice']) {
      if (typeof rl.clients[m] === 'function') {
        assert.throws(() => rl.clients[m](c), TypeError, `clients.${m}() must throw`)
      }
    }
    assert.deepEqual([...rl.clients], [a, b])
    assert.equal(rl.quorum, 2)
    // Redlock accepts any iterable of clients (like node-redlock's `new Set(clients)`).
    assert.deepEqual([...new Redlock(new Set([a, b])).clients], [a, b])
  })

  test('util.inspect shows the redacted url and no internals', () => {
    const c = new IoredisClient({ port: servers[0].port, password: 'inspect-me-not' })
    const out = util.inspect(c)
    assert.ok(out.startsWith('IoredisClient'), out)
    assert.ok(out.includes(`127.0.0.1:${servers[0].port}`), out)
    assert.ok(!out.includes('inspect-me-not'), out)
    const rl = new Redlock([c])
    const o2 = util.inspect(rl)
    assert.ok(o2.startsWith('Redlock'), o2)
    assert.ok(!o2.includes('inspect-me-not'), o2)
  })
})

for (const n of [1, 3, 5]) {
  describe(`${n} node${n > 1 ? 's' : ''}`, () => {
    test('acquire stores the lock id with the TTL on every node; another holder is refused; release frees it', async () => {
      const srvs = servers.slice(0, n)
      const res = uniqueResource(`n${n}`)
      const a = redlockOn(srvs)
      const b = redlockOn(srvs, NO_RETRY)
      const ttl = 2000

      assert.equal(await a.acquireLock(res, ttl), true)
      await expectHeld(srvs, res, a.id) // GET resource = redlock.id (the default lock id)
      for (const pttl of await pttls(srvs, res)) {
        assert.ok(pttl <= ttl && pttl > ttl - 100, `PTTL ${pttl} should be in (${ttl - 100}, ${ttl}]`)
      }

      assert.equal(await b.acquireLock(res, ttl), false, 'a second holder is refused')
      assert.deepEqual(await values(srvs, res), srvs.map(() => a.id), 'the refused attempt changed nothing')

      await a.releaseLock(res, a.id)
      assert.deepEqual(await values(srvs, res), srvs.map(() => null), 'release deletes the key everywhere')

      assert.equal(await b.acquireLock(res, ttl), true, 'after the release another holder gets it')
      await expectHeld(srvs, res, b.id)
      await b.releaseLock(res, b.id)
      assert.deepEqual(await values(srvs, res), srvs.map(() => null))
    })
  })
}

describe('locking semantics (3 nodes)', () => {
  const three = () => servers.slice(0, 3)

  test('mixed IoredisClient + RedisJsClient in one Redlock', async () => {
    const [s0, s1, s2] = three()
    const res = uniqueResource('mixed')
    const a = track(
      new Redlock([
        new IoredisClient(s0.port),
        new RedisJsClient({ url: `redis://${HOST}:${s1.port}` }),
        new RedisJsClient({ socket: { host: HOST, port: s2.port } }),
      ]),
    )
    const b = track(
      new Redlock(
        [
          new RedisJsClient({ url: `redis://localhost:${s0.port}` }),
          new IoredisClient({ host: HOST, port: s1.port }),
          new IoredisClient(`redis://${HOST}:${s2.port}`),
        ],
        NO_RETRY,
      ),
    )
    assert.equal(await a.acquireLock(res, 2000), true)
    await expectHeld(three(), res, a.id)
    assert.equal(await b.acquireLock(res, 2000), false)
    assert.deepEqual(await values(three(), res), [a.id, a.id, a.id])
    await a.releaseLock(res, a.id)
    assert.equal(await b.acquireLock(res, 2000), true)
    await expectHeld(three(), res, b.id)
    await b.releaseLock(res, b.id)
    assert.deepEqual(await values(three(), res), [null, null, null])
  })

  test('an explicit lockId is what is stored, and only that id releases', async () => {
    const res = uniqueResource('lockid')
    const a = redlockOn(three())
    const id = 'my-lock-id:42'
    assert.equal(await a.acquireLock(res, 2000, id), true)
    await expectHeld(three(), res, id)
    // The default id is not the stored one: another owner's lock, refused (docs/semantics.md).
    await assert.rejects(a.releaseLock(res, a.id), /another owner/)
    assert.deepEqual(await values(three(), res), [id, id, id])
    await a.releaseLock(res, id)
    assert.deepEqual(await values(three(), res), [null, null, null])
  })

  test('not re-entrant: same object, same id → false at once, no Redis traffic, key and PTTL unchanged', async () => {
    const res = uniqueResource('reentrant')
    const a = redlockOn(three())
    assert.equal(await a.acquireLock(res, 3000), true)
    await expectHeld(three(), res, a.id)
    const before = await pttls(three(), res)
    const cmds = await Promise.all(three().map(commandCount))
    // "At once" without a stopwatch: the answer comes while every server is stopped (SIGSTOP),
    // so it needed no round trip (bounded wait: a request would hang until the node timeout).
    const r = await withPaused(three(), () =>
      Promise.race([timed(() => a.acquireLock(res, 3000)), sleep(2000).then(() => ({ stuck: true }))]),
    )
    assert.equal(r.stuck, undefined, 'answered while the servers could not answer')
    assert.equal(r.error, undefined)
    assert.equal(r.value, false)
    await sleep(50) // anything sent while they were stopped is executed now
    assert.deepEqual(await Promise.all(three().map(commandCount)), cmds, 'no command reached Redis')
    assert.deepEqual(await values(three(), res), [a.id, a.id, a.id])
    const after = await pttls(three(), res)
    for (let i = 0; i < 3; i++) assert.ok(after[i] <= before[i] && after[i] > 0, `PTTL not refreshed (${before[i]} → ${after[i]})`)
    // The same holds for an explicit lockId equal to the default one.
    assert.equal(await a.acquireLock(res, 3000, a.id), false)
    await a.releaseLock(res, a.id)
  })

  test('same object, another lockId is another owner: refused', async () => {
    const res = uniqueResource('otherid')
    const a = redlockOn(three(), NO_RETRY)
    assert.equal(await a.acquireLock(res, 3000), true)
    await expectHeld(three(), res, a.id)
    assert.equal(await a.acquireLock(res, 3000, 'someone-else'), false)
    assert.deepEqual(await values(three(), res), [a.id, a.id, a.id])
    await a.releaseLock(res, a.id)
  })

  test('two concurrent acquires of one resource by one object: exactly one wins', async () => {
    const res = uniqueResource('concurrent')
    const a = redlockOn(three(), NO_RETRY)
    const results = await Promise.all([a.acquireLock(res, 3000), a.acquireLock(res, 3000)])
    assert.equal(results.filter(Boolean).length, 1, String(results))
    await expectHeld(three(), res, a.id)
    await a.releaseLock(res, a.id)
  })

  test('mutual exclusion: of 6 concurrent Redlocks at most one wins, and losers leave nothing behind', async () => {
    for (let round = 0; round < 3; round++) {
      const res = uniqueResource('race')
      const rls = Array.from({ length: 6 }, () => redlockOn(three(), NO_RETRY))
      const results = await Promise.all(rls.map((r) => r.acquireLock(res, 3000)))
      const winners = rls.filter((_, i) => results[i])
      assert.ok(winners.length <= 1, `${winners.length} winners`)
      const w = winners.length === 1 ? winners[0].id : null
      let stored = await values(three(), res)
      if (w) assert.ok(stored.filter((v) => v === w).length >= 2, `the winner holds a quorum: ${stored}`)
      // Losers roll back (late grants are rolled back in the background): soon only the
      // winner's id, or nothing, is left anywhere.
      await eventually(async () => (stored = await values(three(), res)).every((v) => v === null || v === w), {
        tries: 40,
        interval: 25,
      })
      for (const v of stored) assert.ok(v === null || v === w, `a loser's value was left behind: ${stored}`)
      if (w) await winners[0].releaseLock(res, w)
    }
  })

  test('expiry frees the resource (ttl 200 ms, wait 300 ms)', async () => {
    const res = uniqueResource('expiry')
    const a = redlockOn(three(), NO_RETRY)
    const b = redlockOn(three(), NO_RETRY)
    assert.equal(await a.acquireLock(res, 200), true)
    assert.equal(await b.acquireLock(res, 200), false)
    await sleep(300)
    assert.deepEqual(await values(three(), res), [null, null, null], 'keys expired')
    assert.equal(await b.acquireLock(res, 1000), true, 'another holder gets it after expiry')
    await b.releaseLock(res, b.id)
    // The first holder's local record expired too: it may take the resource again.
    assert.equal(await a.acquireLock(res, 1000), true)
    await a.releaseLock(res, a.id)
  })

  test('release with a wrong id keeps the lock', async () => {
    const res = uniqueResource('wrongid')
    const a = redlockOn(three())
    const b = redlockOn(three(), NO_RETRY)
    assert.equal(await a.acquireLock(res, 3000), true)
    await expectHeld(three(), res, a.id)
    // Refused: the lock is another owner's (never reported as released).
    await assert.rejects(a.releaseLock(res, 'not-the-owner'), /another owner/)
    await assert.rejects(b.releaseLock(res, b.id), /another owner/)
    assert.deepEqual(await values(three(), res), [a.id, a.id, a.id])
    for (const p of await pttls(three(), res)) assert.ok(p > 2000, `PTTL ${p}`)
    assert.equal(await b.acquireLock(res, 3000), false, 'still held')
    await a.releaseLock(res, a.id)
  })

  test('release then re-acquire by the same object', async () => {
    const res = uniqueResource('reacquire')
    const a = redlockOn(three())
    for (let i = 0; i < 3; i++) {
      assert.equal(await a.acquireLock(res, 2000), true, `round ${i}`)
      await expectHeld(three(), res, a.id)
      await a.releaseLock(res, a.id)
      assert.deepEqual(await values(three(), res), [null, null, null])
    }
  })

  test('release right after acquire leaves nothing on any node (5 nodes, fresh connections, up to 300 rounds)', async () => {
    // acquireLock resolves once a quorum granted; the last node's grant may still be in flight
    // (on a connection that is still being opened). releaseLock must not overtake it: once it
    // resolved, no node may keep the lock.
    const deadline = Date.now() + 8000
    for (let i = 0; i < 300 && Date.now() < deadline; i++) {
      const res = uniqueResource('immediate')
      const a = new Redlock(ioClients(servers), NO_RETRY)
      try {
        assert.equal(await a.acquireLock(res, 5000), true)
        await a.releaseLock(res, a.id)
        await sleep(5)
        const left = await values(servers, res)
        if (left.some((v) => v !== null)) {
          const ttl = await pttls(servers, res)
          assert.fail(`round ${i}: releaseLock resolved, yet a node still holds the lock: ${left} (PTTL ${ttl})`)
        }
      } finally {
        await a.quit()
      }
    }
  })

  test('releasing a lock that is not held resolves after one compare-and-delete per server (no retry)', async () => {
    const res = uniqueResource('notheld')
    const a = redlockOn(three()) // default retries: 10, 200 ms apart
    // Observed on the servers, not by a stopwatch: one script per server, still so well past a
    // retry delay after the release resolved.
    const releasedOnce = async (what) => {
      const ops0 = await Promise.all(three().map(lockOps))
      const r = await timed(() => a.releaseLock(res, a.id))
      assert.equal(r.error, undefined, `${what}: ${r.error}`)
      const ops = async () => (await Promise.all(three().map(lockOps))).map((x, i) => x - ops0[i])
      await eventually(async () => (await ops()).every((d) => d >= 1), { tries: 40, interval: 10 })
      await sleep(400)
      assert.deepEqual(await ops(), [1, 1, 1], `${what}: one compare-and-delete per server`)
      assert.ok(r.ms < 3000, `${what}: no hang (${r.ms} ms)`)
    }
    await releasedOnce('never held')
    assert.equal(await a.acquireLock(res, 2000), true)
    await a.releaseLock(res, a.id)
    await releasedOnce('double release')
  })

  test('resource names are stored verbatim (unicode, spaces, colons)', async () => {
    const res = `lock:ключ 🔒:${uniqueResource('u')}`
    const a = redlockOn(three())
    assert.equal(await a.acquireLock(res, 2000), true)
    await expectHeld(three(), res, a.id)
    await a.releaseLock(res, a.id)
    assert.deepEqual(await values(three(), res), [null, null, null])
  })

  test('clients on the same server with different db are independent nodes; keys land in that db', async (t) => {
    const p = servers[4].port
    const res = uniqueResource('db')
    const a = track(new Redlock([new IoredisClient({ port: p, db: 1 }), new RedisJsClient({ url: `redis://${HOST}:${p}/2` })]))
    const db1 = new IORedis({ port: p, host: HOST, db: 1 })
    const db2 = new IORedis({ port: p, host: HOST, db: 2 })
    t.after(() => {
      db1.disconnect()
      db2.disconnect()
    })
    assert.equal(await a.acquireLock(res, 2000), true) // quorum of 2 nodes = both
    assert.equal(await db1.get(res), a.id)
    assert.equal(await db2.get(res), a.id)
    assert.equal(await servers[4].redis.get(res), null, 'nothing in db 0')
    await a.releaseLock(res, a.id)
    assert.equal(await db1.get(res), null)
    assert.equal(await db2.get(res), null)
  })
})

/** The lock writes a server has executed so far: SET, EVAL, EVALSHA and FCALL calls (INFO commandstats). */
async function lockWrites(server) {
  const info = await server.redis.info('commandstats')
  let n = 0
  for (const m of info.matchAll(/^cmdstat_(set|eval|evalsha|eval_ro|evalsha_ro|fcall):calls=(\d+)/gm)) n += Number(m[2])
  return n
}

describe('a client on its own server', () => {
  for (const [name, make] of [
    ['IoredisClient', (p) => new IoredisClient(p)],
    ['RedisJsClient', (p) => new RedisJsClient({ url: `redis://${HOST}:${p}` })],
  ]) {
    test(`${name}: acquireLock / releaseLock on its single server`, async () => {
      const s = servers[0]
      const res = uniqueResource(`client-${name}`)
      const c = track(make(s.port))
      const other = track(make(s.port))
      assert.equal(await c.acquireLock(res, 2000), true)
      assert.equal(await s.redis.get(res), c.id)
      const pttl = await s.redis.pttl(res)
      assert.ok(pttl <= 2000 && pttl > 1900, `PTTL ${pttl}`)
      // One attempt: the refusal is not followed by retries. Observed on the server, not by a
      // stopwatch: one request reached it (INFO commandstats), also a while after the answer.
      const c0 = await lockWrites(s)
      const r = await timed(() => other.acquireLock(res, 2000))
      assert.equal(r.value, false)
      assert.equal((await lockWrites(s)) - c0, 1, 'one attempt: one lock write (SET/EVAL/EVALSHA/FCALL) at the answer')
      await sleep(300) // longer than a retry delay: nothing follows the answer
      assert.equal((await lockWrites(s)) - c0, 1, 'one attempt: no lock write after the answer')
      assert.equal(await c.acquireLock(res, 2000), false, 'not re-entrant')
      await assert.rejects(other.releaseLock(res, other.id), /another owner/)
      assert.equal(await s.redis.get(res), c.id, 'wrong id keeps it')
      await c.releaseLock(res, c.id)
      assert.equal(await s.redis.get(res), null)
      assert.equal(await other.acquireLock(res, 2000, 'custom-id'), true)
      assert.equal(await s.redis.get(res), 'custom-id')
      await other.releaseLock(res, 'custom-id')
      assert.equal(await s.redis.get(res), null)
    })
  }
})

describe('connections', () => {
  test('clients connect lazily; connect() resolves against a live server', async () => {
    const s = servers[3]
    const before = await connectedClients(s)
    const c = track(new IoredisClient(s.port))
    const r = track(new RedisJsClient({ url: `redis://${HOST}:${s.port}` }))
    track(new Redlock([new IoredisClient(s.port)]))
    await sleep(50)
    assert.equal(await connectedClients(s), before, 'constructing opens no connection')
    await c.connect()
    await r.connect()
    assert.equal(await connectedClients(s), before + 2)
  })

  test('connect() to an unreachable port rejects naming host:port, promptly', async () => {
    const port = await freePort() // nothing listens there
    for (const c of [new IoredisClient(port), new RedisJsClient({ url: `redis://${HOST}:${port}` })]) {
      track(c)
      const r = await timed(() => c.connect())
      assert.ok(r.error instanceof Error, 'rejects')
      assert.ok(r.error.message.includes(`cannot connect to 127.0.0.1:${port}`), r.error.message)
      assert.ok(r.ms < 3000, `${r.ms} ms`)
    }
  })

  test('an unreachable node makes acquireLock reject (not hang) with the node named', async () => {
    const port = await freePort()
    const c = track(new IoredisClient(port))
    const r = await timed(() => c.acquireLock(uniqueResource('unreach'), 1000))
    assert.ok(r.error instanceof Error)
    assert.match(r.error.message, new RegExp(`node 0 \\(127\\.0\\.0\\.1:${port}\\)`))
    assert.ok(r.ms < 2000, `${r.ms} ms`)
  })

  test('quit() closes the connection; later calls reject promptly', async () => {
    const s = servers[3]
    const a = new Redlock([new IoredisClient(s.port)], NO_RETRY)
    const res = uniqueResource('quit')
    assert.equal(await a.acquireLock(res, 2000), true)
    await a.releaseLock(res, a.id)
    const before = await connectedClients(s)
    await a.quit()
    const closed = await eventually(async () => (await connectedClients(s)) === before - 1)
    assert.ok(closed, 'the server saw the connection close')
    const r = await timed(() => a.acquireLock(res, 2000))
    assert.ok(r.error instanceof Error, 'rejects after quit')
    assert.match(r.error.message, /quit\(\)/)
    assert.ok(r.ms < 1000, `${r.ms} ms`)

    const c = new IoredisClient(s.port)
    await c.connect()
    await c.quit()
    const e = await timed(() => c.acquireLock(res, 2000))
    assert.ok(e.error instanceof Error)
    assert.match(e.error.message, /quit\(\)/)
  })

  test('after quit(), the rejection does not claim a node "timed out" that was never waited for', async () => {
    // All three nodes fail at once ("closed with quit()"); the verdict is known after two.
    // Not waited for, observed without a stopwatch: with a 10 s node timeout, the rejection
    // comes within a 2 s wait only if no node was waited for.
    const a = new Redlock(ioClients(servers.slice(0, 3)), { ...NO_RETRY, nodeTimeout: 10_000 })
    await a.quit()
    const nodeTimeout = a.nodeTimeoutFor(1000)
    assert.equal(nodeTimeout, 10_000)
    const r = await Promise.race([timed(() => a.acquireLock(uniqueResource('quit3'), 1000)), sleep(2000).then(() => ({ stuck: true }))])
    assert.equal(r.stuck, undefined, `no rejection within 2 s: a node was waited for (node timeout ${nodeTimeout} ms)`)
    assert.ok(r.error instanceof Error)
    assert.doesNotMatch(
      r.error.message,
      /timed out/,
      `rejected after ${r.ms.toFixed(1)} ms (< ${nodeTimeout} ms) yet the message says a node timed out: ${r.error.message}`,
    )
  })
})

describe('secrets', () => {
  const SECRET = 'S3cr3t-Pa55w0rd'
  const noSecret = (text, what) => assert.ok(!String(text).includes(SECRET), `${what} leaks the password: ${text}`)

  test('url is redacted and util.inspect never shows the password', () => {
    const p = servers[0].port
    const r = new RedisJsClient({ url: `redis://u:${SECRET}@127.0.0.1:${p}` })
    assert.equal(r.url, `redis://u:***@127.0.0.1:${p}`)
    noSecret(util.inspect(r), 'inspect')
    noSecret(util.inspect(r, { showHidden: true, depth: 10 }), 'inspect(showHidden)')
    noSecret(JSON.stringify(r), 'JSON')
    const r2 = new RedisJsClient({ url: `redis://127.0.0.1:${p}`, username: 'u', password: SECRET })
    assert.equal(r2.url, `redis://u:***@127.0.0.1:${p}`)
    const r3 = new RedisJsClient({ url: `redis://:${SECRET}@127.0.0.1:${p}` })
    assert.equal(r3.url, `redis://:***@127.0.0.1:${p}`)
    const io = new IoredisClient({ port: p, password: SECRET })
    noSecret(util.inspect(io), 'inspect')
    const io2 = new IoredisClient(`redis://u:${SECRET}@127.0.0.1:${p}`)
    noSecret(util.inspect(io2), 'inspect')
    noSecret(util.inspect(new Redlock([r, new IoredisClient(servers[1].port)])), 'inspect(redlock)')
  })

  test('no password in error messages of an unreachable client', async () => {
    const port = await freePort()
    const r = track(new RedisJsClient({ url: `redis://u:${SECRET}@127.0.0.1:${port}` }))
    const io = track(new IoredisClient({ port: await freePort(), password: SECRET }))
    for (const c of [r, io]) {
      const e1 = await timed(() => c.connect())
      assert.ok(e1.error instanceof Error)
      assert.ok(e1.error.message.includes(`cannot connect to 127.0.0.1:${c.port}`), e1.error.message)
      const e2 = await timed(() => c.acquireLock('secret-res', 1000))
      const e3 = await timed(() => track(new Redlock([c], NO_RETRY)).acquireLock('secret-res', 1000))
      for (const e of [e1.error, e2.error, e3.error]) {
        assert.ok(e instanceof Error)
        noSecret(e.message, 'message')
        noSecret(e.stack, 'stack')
        noSecret(util.inspect(e), 'inspect(error)')
      }
    }
  })

  test('against a password-protected server: right password works, wrong one rejects without echoing it', async (t) => {
    const [s] = await startServers(1, { password: SECRET })
    t.after(() => s.stop())
    const good = track(new RedisJsClient({ url: `redis://:${SECRET}@127.0.0.1:${s.port}` }))
    const good2 = track(new IoredisClient({ port: s.port, password: SECRET }))
    const res = uniqueResource('auth')
    assert.equal(await track(new Redlock([good])).acquireLock(res, 2000, 'auth-id'), true)
    assert.equal(await s.redis.get(res), 'auth-id')
    await good2.connect()
    await good.releaseLock(res, 'auth-id')
    assert.equal(await s.redis.get(res), null)

    // A password with URL-reserved characters, percent-encoded in the URL, is decoded.
    const [s2] = await startServers(1, { password: 'p@ss:w/rd%x' })
    t.after(() => s2.stop())
    const enc = track(new RedisJsClient({ url: `redis://:${encodeURIComponent('p@ss:w/rd%x')}@127.0.0.1:${s2.port}` }))
    assert.equal(enc.url, `redis://:***@127.0.0.1:${s2.port}`)
    await enc.connect()
    assert.equal(await enc.acquireLock(res, 2000), true)
    assert.equal(await s2.redis.get(res), enc.id)
    await enc.releaseLock(res, enc.id)

    const WRONG = 'Wr0ng-' + SECRET
    const bad = track(new IoredisClient({ port: s.port, password: WRONG }))
    const none = track(new IoredisClient({ port: s.port }))
    for (const c of [bad, none]) {
      const e1 = await timed(() => c.connect())
      assert.ok(e1.error instanceof Error, 'connect rejects')
      assert.ok(e1.error.message.includes(`127.0.0.1:${s.port}`), e1.error.message)
      const e2 = await timed(() => c.acquireLock(res, 1000))
      assert.ok(e2.error instanceof Error, 'acquireLock rejects')
      for (const e of [e1.error, e2.error]) {
        assert.ok(!e.message.includes(WRONG) && !e.message.includes(SECRET), e.message)
      }
    }
    assert.equal(await s.redis.dbsize(), 0)
  })
})
