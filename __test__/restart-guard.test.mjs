// The restart guard (issue 15): a server that restarted without its data — or that this process
// first reaches while it has been up for less than the guard — does not count its grants until
// it has been up for the guard period. Real servers; one-node Redlocks, so the node's vote alone
// decides and a quarantined grant is visible as a failure. Guards are short (1–3 s) and every
// wait is bounded.
import { test, describe, after } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { startServers, stopAll, sleep, uniqueResource, restartNow } from './helpers/redis.mjs'

const require = createRequire(import.meta.url)
const Redlock = require('../index.js')

after(() => stopAll())

const mono = () => performance.now()
const url = (s, auth = '') => `redis://${auth}127.0.0.1:${s.port}`

/** The first quarantined vote of a failed acquire's stats (or `null`), and every error. */
async function quarantinedVote(error) {
  assert.ok(error instanceof Redlock.ExecutionError, String(error))
  for (const p of error.attempts) {
    const stats = await p
    for (const e of stats.votesAgainst.values()) if (e.reason === 'quarantined') return e
  }
  return null
}

/**
 * Tries `rl.acquire([res], ttl)` every 50 ms until it succeeds or `ms` pass. Returns the lock
 * (or null), when it was granted, and the quarantined votes seen before.
 */
async function acquireUntil(rl, res, ttl, ms) {
  const quarantined = []
  const end = mono() + ms
  for (let i = 0; i < 400 && mono() < end; i++) {
    try {
      const lock = await rl.acquire([res], ttl)
      return { lock, at: mono(), quarantined }
    } catch (e) {
      const q = await quarantinedVote(e)
      if (q) quarantined.push(q)
    }
    await sleep(50)
  }
  return { lock: null, at: null, quarantined }
}

describe('restart detected on reconnect (kill -9, immediate restart, no persistence)', () => {
  test('the default guard (the largest TTL asked for): refused, named, rolled back; counts again once the TTL has passed', async () => {
    const [s] = await startServers(1)
    const rl = new Redlock([url(s)], { retryCount: 0 })
    const errors = []
    rl.on('error', (e) => errors.push(e))
    const ttl = 1500
    // First contact with a fresh server: not quarantined by default (no TTL asked before).
    const first = await rl.acquire([uniqueResource('guard')], ttl)
    await first.release()
    await restartNow(s)
    const restarted = mono()
    const res = uniqueResource('guard')
    const r = await acquireUntil(rl, res, ttl, 5000)
    assert.ok(r.quarantined.length > 0, 'an acquire right after the restart is refused as quarantined')
    const q = r.quarantined[0]
    assert.match(q.message, new RegExp(`^node 0 \\(127\\.0\\.0\\.1:${s.port}\\) quarantined: a new run_id`))
    assert.match(q.message, /count again in \d+ ms \(restartGuard 1500 ms\)/)
    assert.deepEqual(q.node.index, 0)
    assert.ok(errors.some((e) => e.reason === 'quarantined'), "the 'error' event names it too")
    assert.ok(r.lock, 'granted once the guard period has passed')
    assert.ok(r.at - restarted >= ttl, `not before the guard period (granted ${(r.at - restarted).toFixed(0)} ms after the restart)`)
    assert.equal(await s.redis.get(res), r.lock.value)
    await r.lock.release()
    await rl.quit()
  })

  test('restartGuard: 0 turns it off: the restarted server counts at once', async () => {
    const [s] = await startServers(1)
    const rl = new Redlock([url(s)], { retryCount: 0, restartGuard: 0 })
    await (await rl.acquire([uniqueResource('guard')], 1500)).release()
    await restartNow(s)
    const r = await acquireUntil(rl, uniqueResource('guard'), 1500, 3000)
    assert.deepEqual(r.quarantined, [])
    assert.ok(r.lock, 'granted')
    await r.lock.release()
    await rl.quit()
  })

  test('a reconnect to the same server (connection killed, no restart) is not a restart', async () => {
    const [s] = await startServers(1)
    const rl = new Redlock([url(s)], { retryCount: 0 })
    await (await rl.acquire([uniqueResource('guard')], 60000)).release()
    await s.redis.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes')
    const r = await acquireUntil(rl, uniqueResource('guard'), 1500, 3000)
    assert.deepEqual(r.quarantined.map((e) => e.message), [])
    assert.ok(r.lock)
    await r.lock.release()
    await rl.quit()
  })
})

describe('first contact', () => {
  test('an explicit guard applies: up less than restartGuard → quarantined until its uptime reaches it; up longer → counts at once', async () => {
    // Before the server starts: its real start (which the rounded-down uptime never predates)
    // is later.
    const started = mono()
    const [s] = await startServers(1)
    const rl = new Redlock([url(s)], { retryCount: 0, restartGuard: 2000 })
    const res = uniqueResource('guard')
    const r = await acquireUntil(rl, res, 1000, 6000)
    assert.ok(r.quarantined.length > 0, 'refused while the server is up less than 2 s')
    assert.match(r.quarantined[0].message, /quarantined: up [01] s at first contact/)
    assert.ok(r.lock, 'granted once the server has been up 2 s')
    assert.ok(r.at - started >= 2000, `not before (granted ${(r.at - started).toFixed(0)} ms after the start)`)
    await r.lock.release()
    // A new Redlock meeting the same server, now up ≥ 2 s: counts at once.
    const rl2 = new Redlock([url(s)], { retryCount: 0, restartGuard: 2000 })
    const l2 = await rl2.acquire([uniqueResource('guard')], 1000)
    await l2.release()
    await Promise.all([rl.quit(), rl2.quit()])
  })

  test('the refused attempt leaves nothing behind (its grant is rolled back)', async () => {
    const [s] = await startServers(1)
    const rl = new Redlock([url(s)], { retryCount: 0, restartGuard: 60000 })
    const res = uniqueResource('guard')
    await assert.rejects(rl.acquire([res], 1000), (e) => e instanceof Redlock.ExecutionError)
    assert.equal(await s.redis.exists(res), 0)
    await rl.quit()
  })
})

describe('persistence', () => {
  test('AOF with appendfsync always: a restart keeps the locks, so it is not quarantined (explicit guard, first contact and restart)', async () => {
    const [s] = await startServers(1, { aof: true, fsync: 'always' })
    const rl = new Redlock([url(s)], { retryCount: 0, restartGuard: 60000 })
    const held = await rl.acquire([uniqueResource('guard')], 60000)
    await restartNow(s)
    const r = await acquireUntil(rl, uniqueResource('guard'), 1500, 3000)
    assert.deepEqual(r.quarantined.map((e) => e.message), [])
    assert.ok(r.lock, 'granted at once after the restart')
    await r.lock.release()
    await held.release()
    await rl.quit()
  })

  test('AOF with appendfsync everysec may lose the last second: quarantined like no persistence', async () => {
    const [s] = await startServers(1, { aof: true, fsync: 'everysec' })
    const rl = new Redlock([url(s)], { retryCount: 0, restartGuard: 60000 })
    const res = uniqueResource('guard')
    const e = await rl.acquire([res], 1000).then(() => null, (e) => e)
    assert.ok(e, 'refused')
    assert.match((await quarantinedVote(e)).message, /up \d+ s at first contact/)
    await rl.quit()
  })
})

describe('an ACL user without INFO', () => {
  test('first contact counts with the default guard; every reconnect is taken for a restart (the identity cannot be read)', async () => {
    const [s] = await startServers(1)
    await s.redis.call('ACL', 'SETUSER', 'noinfo', 'on', '>noinfo-secret-pw', '~*', '&*', '+@all', '-info', '-config')
    const auth = 'noinfo:noinfo-secret-pw@'
    const rl = new Redlock([url(s, auth)], { retryCount: 0 })
    const first = await rl.acquire([uniqueResource('guard')], 1500)
    await first.release()
    // Drop the connection (no restart): with no INFO, nothing tells it from a restart.
    await s.redis.call('CLIENT', 'KILL', 'USER', 'noinfo')
    const killed = mono()
    const r = await acquireUntil(rl, uniqueResource('guard'), 1500, 5000)
    assert.ok(r.quarantined.length > 0, 'quarantined after the reconnect')
    assert.match(r.quarantined[0].message, /restart unknown \(INFO not permitted\)/)
    assert.doesNotMatch(r.quarantined[0].message, /noinfo-secret-pw/)
    assert.ok(r.lock, 'granted after the guard period')
    assert.ok(r.at - killed >= 1500)
    await r.lock.release()

    // With the guard off, the same user is never quarantined.
    const off = new Redlock([url(s, auth)], { retryCount: 0, restartGuard: 0 })
    await (await off.acquire([uniqueResource('guard')], 1500)).release()
    await s.redis.call('CLIENT', 'KILL', 'USER', 'noinfo')
    const r2 = await acquireUntil(off, uniqueResource('guard'), 1500, 3000)
    assert.deepEqual(r2.quarantined, [])
    assert.ok(r2.lock)
    await r2.lock.release()
    await Promise.all([rl.quit(), off.quit()])
  })

  test('with an explicit guard, first contact is quarantined (the uptime cannot be read)', async () => {
    const [s] = await startServers(1)
    await s.redis.call('ACL', 'SETUSER', 'noinfo2', 'on', '>noinfo2-secret-pw', '~*', '&*', '+@all', '-info')
    const rl = new Redlock([url(s, 'noinfo2:noinfo2-secret-pw@')], { retryCount: 0, restartGuard: 60000 })
    const e = await rl.acquire([uniqueResource('guard')], 1000).then(() => null, (e) => e)
    assert.ok(e, 'refused')
    assert.match((await quarantinedVote(e)).message, /first contact, uptime unknown \(INFO not permitted\)/)
    await rl.quit()
  })
})

describe('quorum', () => {
  test('one quarantined node of three: the others are a quorum; its vote is named in the statistics', async () => {
    const srvs = await startServers(3)
    const rl = new Redlock(srvs.map((s) => url(s)), { retryCount: 0 })
    await (await rl.acquire([uniqueResource('guard')], 3000)).release()
    await restartNow(srvs[1])
    // The first acquire may meet node 1's dropped connection (an error vote); the next ones
    // reach the restarted server, which grants but is quarantined.
    let lock = null
    let q = null
    let stats = null
    for (let i = 0; i < 20 && !q; i++) {
      lock = await rl.acquire([uniqueResource('guard')], 3000).catch(() => null)
      if (!lock) continue
      stats = await lock.attempts[lock.attempts.length - 1]
      q = [...stats.votesAgainst.values()].find((e) => e.reason === 'quarantined') ?? null
      if (!q) await lock.release()
    }
    assert.ok(q, 'a lock granted by nodes 0 and 2 while node 1 was quarantined')
    assert.equal(q.node.index, 1)
    assert.match(q.message, new RegExp(`^node 1 \\(127\\.0\\.0\\.1:${srvs[1].port}\\) quarantined`))
    assert.equal(stats.votesFor.size, 2)
    assert.equal(stats.votesAgainst.size, 1)
    await lock.release()
    await rl.quit()
  })
})
