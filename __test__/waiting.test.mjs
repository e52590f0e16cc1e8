// Waiting for a held resource, against real redis-servers (docs/semantics.md, "Waiting for a
// held resource"; docs/operations.md, "ACL users"): release announcements on
// `redlock-rs:released:<key>`, the per-node listener that wakes a waiter on another Redlock
// object's release, the hand-over to the next local waiter, FIFO order within one Redlock, and
// polling for a user without Pub/Sub channel permission.
//
// "Woken, not polled" is shown with a retryDelay (10 s) far longer than the test waits: a waiter
// that only polled would still be asleep. The subscription itself is observed on the servers
// (`cmdstat_psubscribe`), so a release is only made once the waiter is known to be listening.
import { test, describe, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { startServers, stopAll, sleep, uniqueResource, eventually, HOST } from './helpers/redis.mjs'

const require = createRequire(import.meta.url)
const IORedis = require('ioredis')
const { default: Redlock } = require('../index.js')
const INDEX = fileURLToPath(new URL('../index.js', import.meta.url))

/** A retry delay no test waits for: a waiter that gets the lock was woken, not its timer. */
// nodeTimeout: on a loaded machine a server timed out in the woken attempt would fail it, and the
// next attempt is 10 s away.
const LONG = { retryCount: 1, retryDelay: 10_000, retryJitter: 0, nodeTimeout: 3000 }
/** How long a woken waiter may take on a loaded machine; far below LONG.retryDelay. */
const WAKE_BOUND_MS = 5_000
const CHANNEL = 'redlock-rs:released:'

let servers = []
const redlocks = []
const subscribers = []

function redlock(settings = {}, urlOf = (s) => `redis://${HOST}:${s.port}`) {
  const rl = new Redlock(servers.map(urlOf), settings)
  redlocks.push(rl)
  return rl
}

/** `calls` of one command on a server (INFO commandstats), 0 if never called. */
async function calls(server, cmd) {
  const info = await server.redis.info('commandstats')
  const m = new RegExp(`^cmdstat_${cmd}:calls=(\\d+)`, 'm').exec(info)
  return m ? Number(m[1]) : 0
}

/** Lock attempts (SET NX, or a script) a server has run so far. */
async function attemptsOn(server) {
  const c = await Promise.all(['set', 'eval', 'evalsha'].map((cmd) => calls(server, cmd)))
  return c.reduce((a, b) => a + b, 0)
}

/** Resolves once every server has run more lock attempts than `before` (bounded). */
async function attempted(before) {
  const ok = await eventually(
    async () => (await Promise.all(servers.map(attemptsOn))).every((n, i) => n > before[i]),
    { tries: 100, interval: 50 },
  )
  assert.ok(ok, 'the waiter made its (refused) attempt on every server within 5 s')
}

/** Resolves once every server has seen at least `n` PSUBSCRIBE calls in total (bounded). */
async function listening(n) {
  const ok = await eventually(
    async () => (await Promise.all(servers.map((s) => calls(s, 'psubscribe')))).every((c) => c >= n),
    { tries: 100, interval: 50 },
  )
  assert.ok(ok, `a release listener (PSUBSCRIBE) on every server within 5 s`)
}

/** Every command naming `key` that server 0 runs while `fn` runs (MONITOR), as string arrays. */
async function monitored(server, key, fn) {
  const base = new IORedis(server.port, HOST, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null })
  base.on('error', () => {})
  subscribers.push(base)
  const mon = await base.monitor()
  mon.on('error', () => {})
  subscribers.push(mon)
  const seen = []
  mon.on('monitor', (_time, args) => {
    const a = args.map(String)
    if (a.includes(key) || a.includes(`monitor-mark:${key}`)) seen.push(a)
  })
  try {
    await fn()
    // MONITOR trails the replies: a marker shows it has caught up.
    await server.redis.echo(`monitor-mark:${key}`)
    for (let i = 0; i < 100 && !seen.some((a) => a.includes(`monitor-mark:${key}`)); i++) await sleep(20)
    return seen.filter((a) => !a.includes(`monitor-mark:${key}`))
  } finally {
    mon.disconnect()
    base.disconnect()
  }
}

/** What a waiter appends to a key for its waiting marker (src/backend/redis/scripts.rs). */
const MARKER = '\0redlock-rs:waiting'

/** Leaves the marker a waiter leaves for `key` on every server (10 s), as if someone waited. */
async function markWaiting(key) {
  await Promise.all(servers.map((s) => s.redis.set(key + MARKER, '1', 'PX', 10_000)))
}

/** A SUBSCRIBE client on one server, recording every message on `channel`. */
async function subscribe(server, channel) {
  const c = new IORedis(server.port, HOST, { maxRetriesPerRequest: 1 })
  c.on('error', () => {})
  subscribers.push(c)
  const messages = []
  c.on('message', (ch, msg) => messages.push({ channel: ch, message: msg }))
  await c.subscribe(channel)
  return messages
}

describe('waiting for a held resource (docs/semantics.md)', () => {
  before(async () => {
    servers = await startServers(3)
  })
  after(async () => {
    for (const c of subscribers) c.disconnect()
    await Promise.allSettled(redlocks.map((r) => r.quit()))
    await stopAll()
  })

  test('a release someone waits for PUBLISHes on redlock-rs:released:<key> on every server, with a tag that is not the lock value', async () => {
    const key = uniqueResource('announce')
    const inbox = await Promise.all(servers.map((s) => subscribe(s, CHANNEL + key)))
    const rl = redlock({ retryCount: 0 })
    const tags = []
    for (let round = 0; round < 2; round++) {
      const lock = await rl.acquire([key], 5000)
      await markWaiting(key)
      await lock.release()
      const heard = await eventually(() => inbox.every((m) => m.length >= round + 1), { tries: 100, interval: 20 })
      assert.ok(heard, `round ${round}: an announcement on every server within 2 s (heard: ${inbox.map((m) => m.length)})`)
      const msgs = inbox.map((m) => m[round])
      for (const [i, m] of msgs.entries()) {
        assert.equal(m.channel, CHANNEL + key, `server ${i}: the channel names the key`)
        assert.ok(m.message.length > 0, `server ${i}: the message carries a tag`)
        assert.notEqual(m.message, lock.value, `server ${i}: the message is not the lock value`)
        assert.ok(!m.message.includes(lock.value), `server ${i}: the message does not contain the lock value`)
      }
      // The same release names itself the same way on every server (so it counts once).
      assert.deepEqual(new Set(msgs.map((m) => m.message)).size, 1, 'one tag for one release on all servers')
      tags.push(msgs[0].message)
    }
    assert.notEqual(tags[0], tags[1], 'two releases (two lock values) have different tags')
    // Exactly one announcement per server per release: nothing else is published there.
    await sleep(100)
    assert.deepEqual(inbox.map((m) => m.length), [2, 2, 2])
  })

  test('a release that deletes nothing (lock already gone) announces nothing', async () => {
    const key = uniqueResource('announce-none')
    const inbox = await Promise.all(servers.map((s) => subscribe(s, CHANNEL + key)))
    const rl = redlock({ retryCount: 0 })
    const lock = await rl.acquire([key], 5000)
    await markWaiting(key)
    // Lost to another owner everywhere: the release deletes nothing and is refused.
    await Promise.all(servers.map((s) => s.redis.set(key, 'someone-else')))
    await assert.rejects(lock.release(), Redlock.ExecutionError)
    // A later announcement on the same channel proves the subscribers were live meanwhile.
    const rl2 = redlock({ retryCount: 0 })
    await Promise.all(servers.map((s) => s.redis.del(key)))
    const other = await rl2.acquire([key], 5000)
    await other.release()
    assert.ok(await eventually(() => inbox.every((m) => m.length >= 1), { tries: 100, interval: 20 }))
    await sleep(100)
    assert.deepEqual(inbox.map((m) => m.length), [1, 1, 1], 'only the release that deleted its keys was announced')
  })

  test('a release nobody waits for announces nothing; a waiter leaves an expiring marker that makes the release announce itself', async () => {
    const key = uniqueResource('marker')
    const inbox = await Promise.all(servers.map((s) => subscribe(s, CHANNEL + key)))
    const holder = redlock({ retryCount: 0 })
    const pubBefore = await Promise.all(servers.map((s) => calls(s, 'publish')))
    const quiet = await holder.acquire([key], 5000)
    await quiet.release()
    assert.deepEqual(await Promise.all(servers.map((s) => calls(s, 'publish'))), pubBefore, 'no PUBLISH without a waiter')
    // A waiter (another Redlock) is refused and leaves its marker on every server, with a TTL.
    const held = await holder.acquire([key], 30_000)
    const waiter = redlock(LONG)
    const pending = waiter.acquire([key], 5000)
    const marked = await eventually(
      async () => (await Promise.all(servers.map((s) => s.redis.pttl(key + MARKER)))).every((t) => t > 0 && t <= 60_000),
      { tries: 100, interval: 50 },
    )
    assert.ok(marked, 'a waiting marker with a TTL of at most 60 s on every server within 5 s')
    await listening(1)
    await sleep(100)
    await held.release()
    const lock = await pending
    // The waiter may be in before the last server's message reaches this subscriber.
    const heard = await eventually(() => inbox.every((m) => m.length >= 1), { tries: 100, interval: 20 })
    assert.ok(heard, `the release someone waited for was announced on every server (${inbox.map((m) => m.length)})`)
    await sleep(100)
    assert.deepEqual(inbox.map((m) => m.length), [1, 1, 1], 'once per server')
    for (const s of servers) assert.equal(await s.redis.get(key), lock.value)
    await lock.release()
  })

  test('per-node listener: a release by ANOTHER Redlock object wakes a waiter long before its retryDelay', async () => {
    const key = uniqueResource('listener')
    const holder = redlock({ retryCount: 0 })
    const waiter = redlock(LONG)
    const held = await holder.acquire([key], 30_000)
    const before = await Promise.all(servers.map((s) => calls(s, 'psubscribe')))
    const t0 = performance.now()
    const pending = waiter.acquire([key], 5000).then(
      (lock) => ({ lock, ms: performance.now() - t0 }),
      (error) => ({ error, ms: performance.now() - t0 }),
    )
    // The waiter's first attempt was refused and its listener is subscribed on every server.
    await listening(Math.min(...before) + 1)
    await sleep(100)
    const tRelease = performance.now()
    await held.release()
    const r = await pending
    assert.ok(!r.error, `the waiter got the lock (${r.error && r.error.message})`)
    const afterRelease = r.ms - (tRelease - t0)
    assert.ok(
      afterRelease < WAKE_BOUND_MS,
      `woken ${Math.round(afterRelease)} ms after the release, not at its retryDelay (${LONG.retryDelay} ms)`,
    )
    for (const s of servers) assert.equal(await s.redis.get(key), r.lock.value)
    await r.lock.release()
  })

  test('per-node listener: a release made by ANOTHER PROCESS wakes a waiter long before its retryDelay', async () => {
    const key = uniqueResource('listener-proc')
    const holder = redlock({ retryCount: 0 })
    const waiter = redlock(LONG)
    const held = await holder.acquire([key], 30_000)
    const before = await Promise.all(servers.map((s) => calls(s, 'psubscribe')))
    const t0 = performance.now()
    const pending = waiter.acquire([key], 5000).then(
      (lock) => ({ lock, ms: performance.now() - t0 }),
      (error) => ({ error, ms: performance.now() - t0 }),
    )
    await listening(Math.min(...before) + 1)
    await sleep(100)
    // Another node process releases the lock with its value (original API). A fresh process
    // reaches the servers one by one as its connections come up: the waiter is woken once a
    // quorum of them announced the release, so its one retry finds the lock free.
    const script = `
      const Redlock = require(${JSON.stringify(INDEX)})
      const rl = new Redlock(${JSON.stringify(servers.map((s) => `redis://${HOST}:${s.port}`))}, { retryCount: 0 })
      rl.releaseLock(${JSON.stringify(key)}, ${JSON.stringify(held.value)})
        .then(() => rl.quit()).then(() => process.exit(0), (e) => { console.error(e); process.exit(1) })`
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    const code = await new Promise((resolve) => child.on('exit', resolve))
    const tReleased = performance.now()
    assert.equal(code, 0, `the other process released the lock: ${stderr}`)
    const r = await pending
    if (r.error) {
      const stats = await Promise.all(r.error.attempts)
      const show = (st) => `for ${st.votesFor.size}, against ${[...st.votesAgainst.values()].map((e) => e.name + ':' + e.message).join(' | ')}`
      assert.fail(`the waiter got the lock (${r.error.message}; ${Math.round(r.ms - (tReleased - t0))} ms after the release; attempts: ${stats.map(show).join(' / ')})`)
    }
    const afterRelease = r.ms - (tReleased - t0)
    assert.ok(
      afterRelease < WAKE_BOUND_MS,
      `woken ${Math.round(afterRelease)} ms after the other process released, not at its retryDelay (${LONG.retryDelay} ms)`,
    )
    await r.lock.release()
  })

  test('one release wakes ONE local waiter: only the longest-waiting one tries again', async () => {
    const key = uniqueResource('wake-one')
    const rl = redlock({ retryCount: 1, retryDelay: 10_000, retryJitter: 0 })
    const held = await rl.acquire([key], 30_000, { retryCount: 0 })
    const got = []
    const locks = []
    const waiters = []
    for (let i = 0; i < 3; i++) {
      const before = await Promise.all(servers.map(attemptsOn))
      waiters.push(
        rl.acquire([key], 30_000).then((lock) => {
          got.push(i)
          locks[i] = lock
          return lock
        }),
      )
      if (i === 0) await attempted(before)
      await sleep(250)
    }
    // During the release and the hand-over, which lock values does server 0 see for the key?
    const cmds = await monitored(servers[0], key, async () => {
      await rl.release(held)
      const ok = await eventually(() => got.length >= 1, { tries: 100, interval: 50 })
      assert.ok(ok, 'a waiter got the lock within 5 s of the release')
      await sleep(300) // room for any other (wrongly woken) waiter to show up
    })
    assert.deepEqual(got, [0], 'the longest-waiting waiter got it, and only it')
    const values = new Set(cmds.flatMap((a) => a.filter((x) => /^[0-9a-f]{32}$/.test(x))))
    values.delete(held.value)
    assert.deepEqual([...values], [locks[0].value], `one waiter tried again (values seen: ${JSON.stringify(cmds)})`)
    // Hand the lock down the queue so nothing is left waiting.
    for (let i = 0; i < 3; i++) {
      await eventually(() => locks[i], { tries: 100, interval: 50 })
      await rl.release(locks[i])
    }
    await Promise.all(waiters)
    assert.deepEqual(got, [0, 1, 2])
  })

  test('hand-over: a release by the same Redlock wakes its next local waiter without any announcement', async () => {
    // No Pub/Sub for this user at all (no PSUBSCRIBE/PUBLISH, no channels): only the local
    // hand-over can wake the waiter before its 10 s retryDelay.
    const key = uniqueResource('handover')
    await Promise.all(
      servers.map((s) =>
        s.redis.call('ACL', 'SETUSER', 'nopubsub', 'on', '>pw1', '~*', 'resetchannels', '-@all', '+evalsha', '+eval',
          '+script|load', '+set', '+get', '+del', '+exists', '+pttl', '+ping'),
      ),
    )
    const rl = redlock(LONG, (s) => `redis://nopubsub:pw1@${HOST}:${s.port}`)
    const held = await rl.acquire([key], 30_000, { retryCount: 0 })
    const pubBefore = await Promise.all(servers.map((s) => calls(s, 'publish')))
    const before = await Promise.all(servers.map(attemptsOn))
    const t0 = performance.now()
    const pending = rl.acquire([key], 5000).then(
      (lock) => ({ lock, ms: performance.now() - t0 }),
      (error) => ({ error, ms: performance.now() - t0 }),
    )
    // The waiter's first attempt was refused on every server: it is waiting now.
    await attempted(before)
    await sleep(100)
    const tRelease = performance.now()
    await rl.release(held)
    const r = await pending
    assert.ok(!r.error, `the waiter got the lock (${r.error && r.error.message})`)
    const afterRelease = r.ms - (tRelease - t0)
    assert.ok(afterRelease < WAKE_BOUND_MS, `handed over ${Math.round(afterRelease)} ms after the release (retryDelay ${LONG.retryDelay} ms)`)
    // Nothing was published by this user (the PUBLISH inside the script is refused and pcall'd).
    assert.deepEqual(await Promise.all(servers.map((s) => calls(s, 'publish'))), pubBefore)
    await rl.release(r.lock)
  })

  test('FIFO: waiters on one Redlock get the lock in the order they started waiting', async () => {
    const key = uniqueResource('fifo')
    const rl = redlock({ retryCount: 3, retryDelay: 10_000, retryJitter: 0 })
    const held = await rl.acquire([key], 30_000, { retryCount: 0 })
    const order = []
    const waiters = []
    const N = 5
    for (let i = 0; i < N; i++) {
      const before = await Promise.all(servers.map(attemptsOn))
      waiters.push(
        rl.acquire([key], 5000).then(async (lock) => {
          order.push(i)
          await sleep(20)
          await rl.release(lock)
        }),
      )
      // Waiter i is queued before i + 1 starts. The first one queues with its first
      // (refused) attempt, seen on every server; later ones find the resource awaited and queue
      // behind it without any attempt (docs/semantics.md), which no server can show, so they
      // are given 250 ms each.
      if (i === 0) await attempted(before)
      await sleep(250)
    }
    await rl.release(held)
    const t0 = performance.now()
    const results = await Promise.allSettled(waiters)
    assert.deepEqual(results.map((r) => r.status), Array(N).fill('fulfilled'), String(results.map((r) => r.reason)))
    assert.deepEqual(order, [...Array(N).keys()], 'served first come, first served')
    assert.ok(performance.now() - t0 < 2 * WAKE_BOUND_MS, 'all handed over, none waited for its 10 s timer')
  })

  test('ACL user without channel permission: waiting still works by polling on retryDelay', async () => {
    // docs/operations.md: PSUBSCRIBE/PUBLISH allowed but no channel pattern: the listener's
    // PSUBSCRIBE and the script's PUBLISH are refused; releases still work, waiters poll.
    const key = uniqueResource('lock:acl')
    await Promise.all(
      servers.map((s) =>
        s.redis.call('ACL', 'SETUSER', 'locker', 'on', '>pw2', '~lock:*', 'resetchannels', '-@all', '+evalsha', '+eval',
          '+script|load', '+set', '+get', '+del', '+exists', '+pttl', '+ping', '+psubscribe', '+publish'),
      ),
    )
    const url = (s) => `redis://locker:pw2@${HOST}:${s.port}`
    const holder = redlock({ retryCount: 0 }, url)
    const retryDelay = 400
    const waiter = redlock({ retryCount: 40, retryDelay, retryJitter: 0 }, url)
    const held = await holder.acquire([key], 30_000)
    const denied = async () => {
      const info = await Promise.all(servers.map((s) => s.redis.call('ACL', 'LOG')))
      return info.flat(2).filter((x) => x === 'locker').length
    }
    await Promise.all(servers.map((s) => s.redis.call('ACL', 'LOG', 'RESET')))
    const t0 = performance.now()
    const pending = waiter.acquire([key], 5000).then(
      (lock) => ({ lock, ms: performance.now() - t0 }),
      (error) => ({ error, ms: performance.now() - t0 }),
    )
    // Several refused attempts first (the waiter polls while the lock is held).
    await sleep(3 * retryDelay)
    const tRelease = performance.now()
    await holder.release(held)
    // The waiter may already have polled and taken the key again, so check the holder's value
    // is gone rather than the key.
    for (const s of servers) {
      assert.notEqual(await s.redis.get(key), held.value, 'the release deleted the holder\'s key (PUBLISH refused)')
    }
    const r = await pending
    assert.ok(!r.error, `the waiter got the lock by polling (${r.error && r.error.message})`)
    assert.ok(r.ms >= tRelease - t0, 'not before the release')
    const attempts = (await Promise.all(r.lock.attempts)).length
    assert.ok(attempts >= 3, `it polled: ${attempts} attempts`)
    // Within its retry bounds: the attempt after the release is at most one retryDelay later.
    const afterRelease = r.ms - (tRelease - t0)
    assert.ok(afterRelease < retryDelay + WAKE_BOUND_MS, `got it ${Math.round(afterRelease)} ms after the release`)
    // The channel permission really was missing: the servers logged the refusals.
    assert.ok((await denied()) > 0, 'ACL LOG shows a refused channel for locker')
    await r.lock.release()
  })
})
