// The client backend (issue 11 item 4): nodes whose commands run on the caller's own client
// object. ioredis-mock where the mock is the point (it never connects anywhere); real servers
// through ioredis 4/5/6, node-redis 4/5/6 and v3 objects (settings.useClientObjects); a unix
// socket; a stopped server; replies a client should never give.
import { test, before, after, describe } from 'node:test'
import assert from 'node:assert/strict'
import net from 'node:net'
import { spawnSync } from 'node:child_process'
import os from 'node:os'
import { mkdtempSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { createRequire } from 'node:module'
import { startServers, stopAll, uniqueResource, eventually, sleep } from './helpers/redis.mjs'

const require = createRequire(import.meta.url)
const Redlock = require('../index.js')
const { ExecutionError } = Redlock
const RedisMock = require('ioredis-mock')

// Generous bounds (2 shared cores): they separate "settles" from "hangs", never measure speed.
const SETTLES_MS = 8000

/** A mock with a keyspace of its own: ioredis-mock shares data between instances per host:port. */
let mockPort = 40000
const isolatedMock = () => new RedisMock({ host: '127.0.0.1', port: mockPort++ })

/** Resolves with the value of `p`, or rejects when it has not settled within `ms`. */
function within(p, ms = SETTLES_MS) {
  let t
  const timer = new Promise((_, reject) => {
    t = setTimeout(() => reject(new Error(`did not settle within ${ms} ms`)), ms)
  })
  return Promise.race([p, timer]).finally(() => clearTimeout(t))
}

/** A TCP listener that only counts the connections made to it. */
async function countingListener() {
  const sockets = new Set()
  let connections = 0
  const server = net.createServer((s) => {
    connections++
    sockets.add(s)
    s.on('error', () => {})
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  server.unref()
  return {
    port: server.address().port,
    get connections() {
      return connections
    },
    close() {
      for (const s of sockets) s.destroy()
      server.close()
    },
  }
}

describe('ioredis-mock', () => {
  test('acquire, extend, release and using() run on the mock', async () => {
    const mock = isolatedMock()
    const redlock = new Redlock([mock], { retryCount: 0 })
    const r = uniqueResource('mock')
    const lock = await redlock.acquire([r], 5000)
    assert.equal(await mock.get(r), lock.value, 'the lock is on the mock')
    const pttl = await mock.pttl(r)
    assert.ok(pttl > 4000 && pttl <= 5000, `TTL set by the acquire script (${pttl})`)
    const stats = await lock.attempts[0]
    assert.ok(stats.votesFor.has(mock), 'the vote is keyed by the mock object')
    assert.equal(await redlock.isLocked(r), true, 'PTTL through the mock')
    assert.ok((await redlock.remainingTtl(r)) > 3000)

    const extended = await lock.extend(20_000)
    assert.ok((await mock.pttl(r)) > 15_000, 'extended on the mock')
    await extended.release()
    assert.equal(await mock.get(r), null, 'released on the mock')
    assert.equal(await redlock.isLocked(r), false)

    const u = uniqueResource('using')
    const seen = await redlock.using([u], 3000, async (signal) => {
      assert.equal(signal.aborted, false)
      return mock.get(u)
    })
    assert.match(seen, /^[0-9a-f]{32}$/, 'the routine ran under the lock')
    assert.equal(await mock.get(u), null, 'using() released it')
    await redlock.quit()
  })

  test('the original and v4 APIs run on the mock too', async () => {
    const mock = isolatedMock()
    const redlock = new Redlock([mock], { retryCount: 0 })
    const r = uniqueResource('orig')
    assert.equal(await redlock.acquireLock(r, 5000, 'id-1'), true)
    assert.equal(await mock.get(r), 'id-1')
    assert.equal(await redlock.acquireLock(r, 5000, 'id-2'), false, 'held by id-1')
    await redlock.releaseLock(r, 'id-1')
    assert.equal(await mock.get(r), null)
    const lock = await redlock.lock(r, 2000)
    assert.equal(await mock.get(r), lock.value)
    await lock.unlock()
    assert.equal(await mock.get(r), null)
  })

  test('contention: two Redlocks on the same mock exclude each other', async () => {
    const mock = isolatedMock()
    const a = new Redlock([mock], { retryCount: 0 })
    const b = new Redlock([mock], { retryCount: 0 })
    const r = uniqueResource('contended')
    const held = await a.acquire([r], 10_000)
    const err = await b.acquire([r], 10_000).then(
      () => null,
      (e) => e,
    )
    assert.ok(err instanceof ExecutionError, `b must not get a held lock (${err})`)
    const stats = await err.attempts[0]
    assert.equal(stats.votesAgainst.get(mock).name, 'ResourceLockedError')
    assert.equal(await mock.get(r), held.value, 'a still holds it')
    await held.release()
    const mine = await b.acquire([r], 10_000)
    assert.equal(await mock.get(r), mine.value)
    await mine.release()
  })

  test('mutual exclusion: concurrent using() on one resource through the mock never overlap', async () => {
    const mock = isolatedMock()
    const redlocks = Array.from({ length: 4 }, () => new Redlock([mock], { retryCount: 200, retryDelay: 10, retryJitter: 5 }))
    const r = uniqueResource('exclusive')
    let inside = 0
    let most = 0
    let runs = 0
    await within(
      Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          redlocks[i % redlocks.length].using([r], 2000, async () => {
            inside++
            most = Math.max(most, inside)
            await sleep(5)
            inside--
            runs++
          }),
        ),
      ),
      30_000,
    )
    assert.equal(runs, 12, 'every routine ran')
    assert.equal(most, 1, 'never two holders at once')
    assert.equal(await mock.get(r), null)
  })

  test('never connects anywhere: the options name a port where only a counting listener is', async () => {
    const listener = await countingListener()
    try {
      // Control: redlock-rs's own connection to those settings does reach the listener, so
      // the count below would see one (the proof that it can fail).
      const control = new Redlock([{ host: '127.0.0.1', port: listener.port, connectTimeout: 500 }], {
        retryCount: 0,
        nodeTimeout: 300,
      })
      await control.acquire([uniqueResource('control')], 1000).catch(() => {})
      await control.quit()
      assert.ok(
        await eventually(() => listener.connections > 0, { tries: 40, interval: 50 }),
        'a native node connects to the listener',
      )
      const before = listener.connections

      const mock = new RedisMock({ host: '127.0.0.1', port: listener.port })
      const redlock = new Redlock([mock], { retryCount: 0 })
      const lock = await redlock.acquire([uniqueResource('quiet')], 2000)
      await (await lock.extend(3000)).release()
      await redlock.using([uniqueResource('quiet')], 1000, async () => {})
      await sleep(300) // a lazy native connection would have been opened by now
      assert.equal(listener.connections, before, 'no connection to the address in the mock options')
      await redlock.quit()
    } finally {
      listener.close()
    }
  })

  test('quit() quits the mock as node-redlock does, and later operations fail cleanly', async () => {
    const mock = isolatedMock()
    const redlock = new Redlock([mock], { retryCount: 0 })
    assert.deepEqual(await redlock.quit(), ['OK'])
    await assert.rejects(redlock.acquire([uniqueResource('after-quit')], 1000), ExecutionError)
  })

  test('custom scripts (third constructor argument) run on the mock', async () => {
    const mock = isolatedMock()
    const calls = []
    const evalsha = mock.evalsha.bind(mock)
    mock.evalsha = (sha, ...rest) => {
      calls.push(sha)
      return evalsha(sha, ...rest)
    }
    const redlock = new Redlock([mock], { retryCount: 0 }, {
      acquireScript: (s) => `${s}\n-- custom`,
    })
    const r = uniqueResource('custom')
    const lock = await redlock.acquire([r], 2000)
    assert.equal(await mock.get(r), lock.value)
    assert.ok(calls.includes(redlock.scripts.acquireScript.hash), 'the custom acquire script was sent')
    await lock.release()
    assert.equal(await mock.get(r), null)
  })
})

describe('replies a client should never give', () => {
  /** A client object shaped like ioredis whose script calls all answer with `reply()`. */
  const odd = (reply) => ({
    evalsha: () => reply(),
    eval: () => reply(),
    pttl: () => reply(),
  })
  const garbage = {
    'the integer 2': () => Promise.resolve(2),
    'a string': () => Promise.resolve('1'),
    null: () => Promise.resolve(null),
    'a boolean': () => Promise.resolve(true),
    'an object': () => Promise.resolve({ ok: 1 }),
    'a fraction': () => Promise.resolve(0.5),
    'a long array': () => Promise.resolve(new Array(100).fill(1)),
    'not a promise': () => 7,
    'a synchronous throw': () => {
      throw new Error('sync boom')
    },
    'a rejection': () => Promise.reject(new Error('async boom')),
    'a rejection with a string': () => Promise.reject('plain'), // eslint-disable-line prefer-promise-reject-errors
  }

  // What the client itself said, passed on unchanged (the other replies are refused by us).
  const OWN = { 'a synchronous throw': 'sync boom', 'a rejection': 'async boom', 'a rejection with a string': 'plain' }

  for (const [name, reply] of Object.entries(garbage)) {
    test(`${name}: a node error, never a vote for`, async () => {
      // Two bad clients and one good mock: a bad reply counted as a vote for would make a quorum.
      const good = isolatedMock()
      const bad = [odd(reply), odd(reply)]
      const redlock = new Redlock([good, ...bad], { retryCount: 0 })
      const r = uniqueResource('garbage')
      const err = await within(redlock.acquire([r], 2000)).then(
        () => null,
        (e) => e,
      )
      assert.ok(err instanceof ExecutionError, `must not be acquired (${err})`)
      const stats = await err.attempts[0]
      for (const b of bad) {
        const e = stats.votesAgainst.get(b)
        assert.ok(e instanceof Error, 'the bad client voted against with an error')
        assert.ok(e.node.index === 1 || e.node.index === 2, 'the node travels in e.node')
        if (OWN[name] !== undefined) assert.equal(e.message, OWN[name], 'the client’s own error, as it is')
        else assert.match(e.message, /^node [12] \(client object\) /, 'named by its class, not by a host it never used')
      }
      assert.equal(await good.get(r), null, 'the partial lock on the good node was rolled back')
    })
  }

  test('a client whose promise never settles: the per-node timeout holds', async () => {
    const hang = { evalsha: () => new Promise(() => {}), eval: () => new Promise(() => {}), pttl: () => new Promise(() => {}) }
    const mocks = [isolatedMock(), isolatedMock()]
    const redlock = new Redlock([...mocks, hang], { retryCount: 0, nodeTimeout: 200 })
    const r = uniqueResource('hang')
    const lock = await within(redlock.acquire([r], 10_000))
    await within(lock.attempts[0])
    await within(lock.extend(10_000))
    await within(lock.release())
    for (const m of mocks) assert.equal(await m.get(r), null)

    // All three hanging: the operation still settles, failed.
    const hangs = [hang, { ...hang }, { ...hang }]
    const all = new Redlock(hangs, { retryCount: 0, nodeTimeout: 200 })
    const err = await within(all.acquire([uniqueResource('hang')], 10_000)).then(
      () => null,
      (e) => e,
    )
    assert.ok(err instanceof ExecutionError, `${err}`)
    const stats = await within(err.attempts[0])
    for (const h of hangs) assert.match(stats.votesAgainst.get(h).message, /timed out after 200 ms/)
  })
})

describe('settings.useClientObjects, and which objects run on the client', () => {
  test('must be a boolean', () => {
    for (const v of ['yes', 1, null, {}]) {
      assert.throws(
        () => new Redlock([isolatedMock()], { useClientObjects: v }),
        (e) => e instanceof TypeError && /settings\.useClientObjects must be a boolean/.test(e.message),
      )
    }
  })

  test('an object shaped like a node-redis v3 client without its parser (a mock) is never read for a connection', async () => {
    const listener = await countingListener()
    try {
      const mock = isolatedMock()
      // redis-mock style: v3's callback API over an in-memory store, v3-looking options.
      const v3mock = {
        connected: true,
        options: { host: '127.0.0.1', port: listener.port },
        send_command(name, args, cb) {
          const [a, n, ...rest] = args
          const run = name === 'PTTL' ? mock.pttl(a) : mock[name.toLowerCase()](a, n, ...rest)
          run.then((r) => cb(null, r), (e) => cb(e))
        },
      }
      const redlock = new Redlock([v3mock], { retryCount: 0 })
      const r = uniqueResource('v3mock')
      const lock = await within(redlock.acquire([r], 2000))
      assert.equal(await mock.get(r), lock.value, 'the lock went through send_command')
      await within(lock.release())
      await sleep(200)
      assert.equal(listener.connections, 0, 'nothing connected to the address in its options')
    } finally {
      listener.close()
    }
  })

  test('an object that cannot run scripts is refused, naming the entry', () => {
    assert.throws(() => new Redlock([{ get() {} }]), (e) => e instanceof TypeError && /^clients\[0\]/.test(e.message))
  })
})

// Real servers through the caller's client objects.

const FLAVOURS = {
  ioredis4: (s) => new (require('ioredis4'))({ host: '127.0.0.1', port: s.port, maxRetriesPerRequest: 1 }),
  ioredis5: (s) => new (require('ioredis'))({ host: '127.0.0.1', port: s.port, maxRetriesPerRequest: 1 }),
  ioredis6: (s) => new (require('ioredis6'))({ host: '127.0.0.1', port: s.port, maxRetriesPerRequest: 1 }),
  'node-redis 4': (s) => require('redis').createClient({ socket: { host: '127.0.0.1', port: s.port } }),
  'node-redis 5': (s) => require('redis5').createClient({ socket: { host: '127.0.0.1', port: s.port } }),
  'node-redis 6': (s) => require('redis6').createClient({ socket: { host: '127.0.0.1', port: s.port } }),
  'node-redis 3': (s) => require('redis3').createClient({ host: '127.0.0.1', port: s.port }),
}

async function open(c) {
  if (typeof c.on === 'function') c.on('error', () => {})
  if ('isOpen' in c && !c.isOpen) await c.connect()
  if (typeof c.ping === 'function' && !('isOpen' in c) && 'connected' in c) {
    await new Promise((resolve, reject) => c.ping((e) => (e ? reject(e) : resolve())))
  } else {
    await c.ping()
  }
  return c
}

async function close(c) {
  try {
    if ('isOpen' in c) {
      if (c.isOpen) await c.quit()
    } else if (typeof c.disconnect === 'function') c.disconnect()
    else c.quit()
  } catch {}
}

/** The largest client id connected to `server` now. */
async function newestClientId(server) {
  const list = await server.redis.client('LIST')
  return Math.max(...[...list.matchAll(/^id=(\d+)/gm)].map((m) => Number(m[1])))
}

describe('real servers', () => {
  let servers
  /** Whether `ok(value, pttl)` holds for `resource` on every server, within a few seconds. */
  const everywhere = (resource, ok) =>
    eventually(
      async () => {
        const now = await Promise.all(servers.map(async (s) => [await s.redis.get(resource), await s.redis.pttl(resource)]))
        return now.every(([v, pttl]) => ok(v, pttl))
      },
      { tries: 60, interval: 50 },
    )
  before(async () => {
    servers = await startServers(3)
  })
  after(async () => {
    await stopAll()
  })

  for (const [flavour, make] of Object.entries(FLAVOURS)) {
    test(`${flavour}: useClientObjects runs on the caller's clients (no connection of ours); the default opens native ones`, async () => {
      const clients = await Promise.all(servers.map((s) => open(make(s))))
      try {
        // Client ids only grow: a connection opened from here on has a larger one.
        const newest = () => Promise.all(servers.map((s) => newestClientId(s)))
        const before = await newest()
        const redlock = new Redlock(clients, { retryCount: 0, useClientObjects: true })
        const r = uniqueResource(flavour.replace(/ /g, ''))
        const lock = await within(redlock.acquire([r], 5000))
        // The verdict comes at a quorum; the last server's reply may follow it.
        assert.ok(await everywhere(r, (v) => v === lock.value), 'on every server')
        const extended = await within(lock.extend(20_000))
        assert.ok(await everywhere(r, (v, pttl) => pttl > 15_000), 'extended everywhere')
        await within(extended.release())
        assert.ok(await everywhere(r, (v) => v === null), 'released everywhere')
        assert.deepEqual(await newest(), before, 'no connection of redlock-rs reached any server')

        // Default: the options reader still understands this client, and a native node connects.
        const native = new Redlock(clients, { retryCount: 0 })
        const own = await within(native.acquire([r], 5000))
        assert.ok(await everywhere(r, (v) => v === own.value), 'natively on every server')
        const after = await newest()
        assert.ok(
          after.every((n, i) => n > before[i]),
          `native connections were opened (newest client ids ${before} → ${after})`,
        )
        await own.release()
        // Not quit(): that would quit the caller's clients (as node-redlock does) before the
        // next assertions; the native connections are dropped with the Redlock.
      } finally {
        await Promise.all(clients.map(close))
      }
    })
  }

  test('an ioredis keyPrefix applies once: the client prefixes the keys of its scripts', async () => {
    const Redis = require('ioredis6')
    const clients = await Promise.all(servers.map((s) => open(new Redis({ port: s.port, host: '127.0.0.1', keyPrefix: 'app:' }))))
    try {
      const redlock = new Redlock(clients, { retryCount: 0, useClientObjects: true })
      const r = uniqueResource('prefixed')
      const lock = await within(redlock.acquire([r], 5000))
      assert.ok(await everywhere(`app:${r}`, (v) => v === lock.value), 'app:<resource> on every server')
      assert.equal(await servers[0].redis.get(r), null, 'not unprefixed')
      assert.equal(await servers[0].redis.get(`app:app:${r}`), null, 'not prefixed twice')
      assert.equal(await redlock.isLocked(r), true, 'PTTL is prefixed too')
      await within(lock.release())
      assert.ok(await everywhere(`app:${r}`, (v) => v === null))
    } finally {
      await Promise.all(clients.map(close))
    }
  })

  test('a partial lock is rolled back on the client that granted it', async () => {
    const Redis = require('ioredis6')
    const clients = await Promise.all(servers.map((s) => open(new Redis({ port: s.port, host: '127.0.0.1' }))))
    try {
      const redlock = new Redlock(clients, { retryCount: 0, useClientObjects: true })
      const r = uniqueResource('partial')
      await servers[1].redis.set(r, 'other', 'PX', 10_000)
      await servers[2].redis.set(r, 'other', 'PX', 10_000)
      await assert.rejects(redlock.acquire([r], 5000), ExecutionError)
      assert.equal(await servers[0].redis.get(r), null, 'rolled back before the rejection')
      assert.equal(await servers[1].redis.get(r), 'other', 'another holder is never touched')
    } finally {
      await Promise.all(clients.map(close))
    }
  })

  test('a stopped server (SIGSTOP): the per-node timeout holds, and a release follows its own acquire', async () => {
    const Redis = require('ioredis6')
    const clients = await Promise.all(
      servers.map((s) => open(new Redis({ port: s.port, host: '127.0.0.1', maxRetriesPerRequest: 1 }))),
    )
    const r = uniqueResource('stopped')
    try {
      const redlock = new Redlock(clients, { retryCount: 0, useClientObjects: true })
      servers[0].pause()
      let lock
      try {
        lock = await within(redlock.acquire([r], 10_000))
        lock = await within(lock.extend(10_000))
        await within(lock.release())
      } finally {
        servers[0].resume()
      }
      // The stopped server got the acquire (and the rest) late, in order on the client's
      // connection: the release after it leaves no key behind.
      const gone = await eventually(async () => (await servers[0].redis.get(r)) === null, { tries: 60, interval: 100 })
      assert.ok(gone, 'no key left on the server that was stopped')
      for (const s of servers.slice(1)) assert.equal(await s.redis.get(r), null)
    } finally {
      await Promise.all(clients.map(close))
    }
  })
})

describe('an ioredis client with a custom Connector', () => {
  let server
  before(async () => {
    ;[server] = await startServers(1)
  })
  after(async () => {
    await stopAll()
  })

  test('is not read for a native connection: its commands run on the object', async () => {
    const IORedis6 = require('ioredis6')
    const { default: StandaloneConnector } = require('ioredis6/built/connectors/StandaloneConnector')
    let connects = 0
    class CountingConnector extends StandaloneConnector {
      connect(...args) {
        connects++
        return super.connect(...args)
      }
    }
    const c = await open(new IORedis6({ host: '127.0.0.1', port: server.port, Connector: CountingConnector }))
    try {
      const before = await newestClientId(server)
      const redlock = new Redlock([c], { retryCount: 0 })
      const r = uniqueResource('connector')
      const lock = await within(redlock.acquire([r], 5000))
      assert.equal(await server.redis.get(r), lock.value)
      await within(lock.release())
      assert.equal(await server.redis.get(r), null)
      assert.equal(await newestClientId(server), before, 'no connection of redlock-rs')
      assert.equal(connects, 1, 'the one connection is the client’s own, made through its Connector')
    } finally {
      await close(c)
    }
  })
})

/** Three masters, all 16384 slots assigned, state ok (as cluster.test.mjs). */
async function startCluster() {
  const nodes = await startServers(3, { args: ['--cluster-enabled', 'yes', '--cluster-node-timeout', '2000'] })
  const ports = nodes.map((s) => s.port)
  const r = spawnSync(
    'redis-cli',
    ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'],
    { encoding: 'utf8', timeout: 30_000 },
  )
  if (r.status !== 0) throw new Error(`redis-cli --cluster create failed: ${r.stdout}${r.stderr}`)
  for (let i = 0; i < 100; i++) {
    const states = await Promise.all(nodes.map(async (s) => /cluster_state:ok/.test(await s.redis.call('CLUSTER', 'INFO'))))
    if (states.every(Boolean)) return { ports, nodes }
    await sleep(100)
  }
  throw new Error('the cluster did not reach state ok')
}

describe('Redis Cluster objects with useClientObjects', () => {
  let cluster, solo, inspect
  before(async () => {
    cluster = await startCluster()
    solo = await startServers(2)
    inspect = new (require('ioredis').Cluster)([{ host: '127.0.0.1', port: cluster.ports[0] }])
  })
  after(async () => {
    inspect.disconnect()
    await stopAll()
  })

  const CLUSTERS = {
    'ioredis6 Cluster': async (port) => {
      const c = new (require('ioredis6').Cluster)([{ host: '127.0.0.1', port }])
      c.on('error', () => {})
      return c
    },
    'node-redis 5 cluster': async (port) => {
      const c = require('redis5').createCluster({ rootNodes: [{ url: `redis://127.0.0.1:${port}` }] })
      c.on('error', () => {})
      await c.connect()
      return c
    },
  }
  for (const [name, make] of Object.entries(CLUSTERS)) {
    test(`${name}: one voter next to two servers; a multi-key lock with a hash tag`, async () => {
      const c = await make(cluster.ports[1])
      // Counts the commands the cluster object is asked to send.
      let sent = 0
      const method = typeof c.evalsha === 'function' ? 'evalsha' : 'sendCommand'
      const original = c[method].bind(c)
      c[method] = (...args) => {
        sent++
        return original(...args)
      }
      const others = await Promise.all(solo.map((s) => open(new (require('ioredis6'))({ host: '127.0.0.1', port: s.port }))))
      try {
        const redlock = new Redlock([c, ...others], { retryCount: 0, useClientObjects: true })
        const tag = uniqueResource('tag')
        const rs = [`{${tag}}:a`, `{${tag}}:b`]
        const lock = await within(redlock.acquire(rs, 5000))
        const onCluster = await eventually(async () => (await inspect.mget(...rs)).every((v) => v === lock.value), {
          tries: 60,
          interval: 50,
        })
        assert.ok(onCluster, 'both keys are on the cluster')
        assert.ok(sent > 0, 'the lock went through the cluster object')
        await within(lock.release())
        assert.ok(await eventually(async () => (await inspect.mget(...rs)).every((v) => v === null), { tries: 60, interval: 50 }))
      } finally {
        await Promise.all([c, ...others].map(close))
      }
    })
  }
})

describe('unix socket', () => {
  let server, dir, path
  before(async () => {
    dir = mkdtempSync(join(os.tmpdir(), 'redlock-rs-sock-'))
    path = join(dir, 'redis.sock')
    ;[server] = await startServers(1, { args: ['--unixsocket', path, '--unixsocketperm', '700'] })
  })
  after(async () => {
    await stopAll()
    rmSync(dir, { recursive: true, force: true })
  })

  const SOCKET_CLIENTS = {
    ioredis6: () => new (require('ioredis6'))({ path }),
    'node-redis 5': () => require('redis5').createClient({ socket: { path } }),
    'node-redis 6': () => require('redis6').createClient({ socket: { path } }),
    'node-redis 3': () => require('redis3').createClient({ path }),
  }
  for (const [flavour, make] of Object.entries(SOCKET_CLIENTS)) {
    test(`${flavour} on a unix socket works by default, through the client`, async () => {
      const c = await open(make())
      try {
        const redlock = new Redlock([c], { retryCount: 0 })
        const r = uniqueResource('sock')
        const lock = await within(redlock.acquire([r], 5000))
        assert.equal(await server.redis.get(r), lock.value, 'the lock is on the server behind the socket')
        await within(lock.release())
        assert.equal(await server.redis.get(r), null)
      } finally {
        await close(c)
      }
    })
  }
})
