// The implementations under test, behind one small adapter interface:
//
//   const impl = IMPLS['redlock-v5']
//   const c = await impl.open(ports, settings)   // settings: { retryCount, retryDelay, retryJitter, driftFactor }
//   const h = await c.acquire(key, ttl)          // a lock handle (throws when not acquired);
//                                                // `key` may be an array: one lock on every key
//   const h2 = await c.extend(h, ttl)            // the extended lock (use it from now on)
//   await c.release(h2)
//   await c.close()
//
// Every library talks to the same servers with the same settings. ioredis clients are one per
// node, shared by every worker of a scenario (as an application would share them); redlock-rs
// gets `redis://` URLs and opens its own connections (one multiplexed connection per node).

import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const HOST = '127.0.0.1'

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

function pkgVersion(dir) {
  try {
    return JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).version
  } catch {
    return 'unknown'
  }
}

const nm = (name) => path.join(ROOT, 'node_modules', name)
const keysOf = (key) => (Array.isArray(key) ? key : [key])

/** ioredis clients, one per port, resolved once each is 'ready' (bounded). */
async function ioredisClients(ports, extra = {}) {
  const IORedis = require('ioredis')
  const clients = ports.map(
    (port) => new IORedis({ host: HOST, port, lazyConnect: true, maxRetriesPerRequest: 2, ...extra }),
  )
  await Promise.all(
    clients.map((c) =>
      Promise.race([
        c.connect(),
        sleep(5000).then(() => {
          throw new Error(`ioredis: connect to port ${c.options.port} timed out`)
        }),
      ]),
    ),
  )
  return clients
}

async function quitAll(clients) {
  await Promise.all(
    clients.map((c) =>
      Promise.race([c.quit().catch(() => c.disconnect()), sleep(2000).then(() => c.disconnect())]),
    ),
  )
}

// ---------------------------------------------------------------------------------------------

const redlockRs = {
  name: 'redlock-rs',
  label: 'redlock-rs',
  /** Runs the `sequentialFenced` scenario (its adapter has `acquireFenced`). */
  fencing: true,
  version: () => pkgVersion(ROOT),
  async open(ports, settings) {
    const Redlock = require(path.join(ROOT, 'index.js'))
    const rl = new Redlock(
      ports.map((p) => `redis://${HOST}:${p}`),
      settings,
    )
    return {
      acquire: (key, ttl) => rl.acquire(keysOf(key), ttl),
      acquireFenced: (key, ttl) => rl.acquire(keysOf(key), ttl, { fencing: true }),
      release: (lock) => rl.release(lock),
      extend: (lock, ttl) => rl.extend(lock, ttl),
      close: () => Promise.race([rl.quit(), sleep(3000)]),
    }
  },
}

function redlockV5Open(ports, settings, clients) {
  const Redlock = require('redlock').default
  const rl = new Redlock(clients, settings)
  return {
    acquire: (key, ttl) => rl.acquire(keysOf(key), ttl),
    release: (lock) => rl.release(lock),
    extend: (lock, ttl) => rl.extend(lock, ttl),
    close: () => quitAll(clients),
  }
}

const redlockV5 = {
  name: 'redlock-v5',
  label: 'redlock 5.0.0-beta.2',
  version: () => pkgVersion(nm('redlock')),
  async open(ports, settings) {
    return redlockV5Open(ports, settings, await ioredisClients(ports))
  },
}

const redlockV4 = {
  name: 'redlock-v4',
  label: 'redlock 4.2.0',
  version: () => pkgVersion(nm('redlock4')),
  async open(ports, settings) {
    const Redlock = require('redlock4')
    const clients = await ioredisClients(ports)
    const rl = new Redlock(clients, settings)
    rl.on('clientError', () => {})
    return {
      acquire: (key, ttl) => rl.lock(key, ttl),
      release: (lock) => rl.unlock(lock),
      extend: (lock, ttl) => rl.extend(lock, ttl),
      close: () => quitAll(clients),
    }
  },
}

// The floor: what any Redlock over ioredis must at least do. SET NX PX on every node in parallel
// (waits for every answer), quorum and validity check, compare-and-delete release by EVALSHA of a
// script loaded once per connection, failed attempts rolled back where they were granted,
// node-redlock's retry delay (retryDelay ± retryJitter).
const RELEASE_LUA =
  'if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end'
const EXTEND_LUA =
  'if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("pexpire", KEYS[1], ARGV[2]) else return 0 end'
// Several keys: all set iff none exists, and deleted where they hold the value (one script each,
// atomic on the node, as every library's multi-resource lock).
const ACQUIRE_MANY_LUA =
  'for _, k in ipairs(KEYS) do if redis.call("exists", k) == 1 then return 0 end end ' +
  'for _, k in ipairs(KEYS) do redis.call("set", k, ARGV[1], "PX", ARGV[2]) end return 1'
const RELEASE_MANY_LUA =
  'local n = 0 for _, k in ipairs(KEYS) do if redis.call("get", k) == ARGV[1] then n = n + redis.call("del", k) end end return n'

function rawImpl(name, label, extra) {
  return {
    name,
    label,
    version: () => pkgVersion(nm('ioredis')),
    async open(ports, settings) {
      const clients = await ioredisClients(ports, extra)
      const n = clients.length
      const quorum = Math.floor(n / 2) + 1
      const { retryCount, retryDelay, retryJitter, driftFactor } = settings
      const scripts = [RELEASE_LUA, EXTEND_LUA, ACQUIRE_MANY_LUA, RELEASE_MANY_LUA]
      const [releaseSha, extendSha, acquireManySha, releaseManySha] = await Promise.all(scripts.map((l) => clients[0].script('LOAD', l)))
      await Promise.all(clients.slice(1).map((c) => Promise.all(scripts.map((l) => c.script('LOAD', l)))))
      const setOne = (c, key, value, ttl) =>
        Array.isArray(key)
          ? c.evalsha(acquireManySha, key.length, ...key, value, ttl).then((r) => (r === 1 ? 'OK' : null))
          : c.set(key, value, 'PX', ttl, 'NX')
      const delOne = (c, key, value) =>
        Array.isArray(key) ? c.evalsha(releaseManySha, key.length, ...key, value) : c.evalsha(releaseSha, 1, key, value)
      const maxAttempts = retryCount === -1 ? Infinity : retryCount + 1
      const drift = (ttl) => Math.round(driftFactor * ttl) + 2

      async function acquire(key, ttl) {
        const value = randomBytes(16).toString('hex')
        for (let attempt = 1; ; attempt++) {
          const start = Date.now()
          const res = await Promise.all(clients.map((c) => setOne(c, key, value, ttl).catch(() => null)))
          let ok = 0
          for (const r of res) if (r === 'OK') ok++
          const expiration = start + ttl - drift(ttl)
          if (ok >= quorum && expiration > Date.now()) return { key, value, expiration }
          if (ok > 0) {
            await Promise.all(
              clients.map((c, i) => (res[i] === 'OK' ? delOne(c, key, value).catch(() => 0) : 0)),
            )
          }
          if (attempt >= maxAttempts) throw new Error(`${name}: quorum not reached`)
          await sleep(Math.max(0, retryDelay + Math.floor((Math.random() * 2 - 1) * retryJitter)))
        }
      }
      async function release(lock) {
        lock.expiration = 0
        const res = await Promise.all(clients.map((c) => delOne(c, lock.key, lock.value).catch(() => null)))
        return res
      }
      async function extend(lock, ttl) {
        const start = Date.now()
        const res = await Promise.all(
          clients.map((c) => c.evalsha(extendSha, 1, lock.key, lock.value, ttl).catch(() => null)),
        )
        let ok = 0
        for (const r of res) if (r === 1) ok++
        const expiration = start + ttl - drift(ttl)
        if (ok >= quorum && expiration > Date.now()) return { key: lock.key, value: lock.value, expiration }
        throw new Error(`${name}: extend quorum not reached`)
      }
      return { acquire, release, extend, close: () => quitAll(clients) }
    },
  }
}

export const IMPLS = {
  'redlock-rs': redlockRs,
  'redlock-v5': redlockV5,
  'redlock-v4': redlockV4,
  'ioredis-raw': rawImpl('ioredis-raw', 'raw ioredis (floor)', {}),
  'ioredis-raw-ap': rawImpl('ioredis-raw-ap', 'raw ioredis, auto-pipelining', { enableAutoPipelining: true }),
}

/** The reference implementation: every ratio is "this implementation / BASELINE", same run. */
export const BASELINE = 'redlock-v5'
export const ALL_IMPLS = Object.keys(IMPLS)
