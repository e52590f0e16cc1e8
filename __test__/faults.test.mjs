// Fault tolerance of the original API against real redis-server processes that are killed
// (SIGKILL), paused (SIGSTOP / SIGCONT) and restarted on the same port.
import { test, describe, after } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { startServers, stopAll, sleep, timed, uniqueResource, eventually } from './helpers/redis.mjs'

const require = createRequire(import.meta.url)
const Redlock = require('../index.js')
const { IoredisClient, RedisJsClient } = Redlock

const S = { retryCount: 2, retryDelay: 100, retryJitter: 50, nodeTimeout: 200 }
/** Upper bound for a call that exhausts its retries: every attempt costs at most one node timeout. */
const BOUND = (S.retryCount + 1) * (S.nodeTimeout + S.retryDelay + S.retryJitter) + 1500
/** Lower bound: the retries did wait. */
const MIN_RETRY_WAIT = S.retryCount * (S.retryDelay - S.retryJitter)
/** Slack for a loaded 2-core machine on top of a per-node timeout. */
const MARGIN = 500

const values = (srvs, key) => Promise.all(srvs.map((s) => s.redis.get(key)))

/** Fresh servers for each test (faults change them); always stopped, paused ones included. */
async function withServers(n, fn) {
  const srvs = await startServers(n)
  const closables = []
  const redlock = (settings = S, list = srvs) => {
    const rl = new Redlock(
      list.map((s) => new IoredisClient(s.port)),
      settings,
    )
    closables.push(rl)
    return rl
  }
  try {
    return await fn(srvs, redlock, closables)
  } finally {
    for (const s of srvs) s.resume()
    await Promise.allSettled(closables.map((c) => c.quit()))
    await Promise.allSettled(srvs.map((s) => s.stop()))
  }
}

/** The error names `node <i> (127.0.0.1:<port>)` for each failing index and no other node. */
function assertNamesNodes(err, srvs, failing) {
  assert.ok(err instanceof Error, `expected an Error, got ${err}`)
  for (let i = 0; i < srvs.length; i++) {
    const label = `node ${i} (127.0.0.1:${srvs[i].port})`
    if (failing.includes(i)) assert.ok(err.message.includes(label), `should name ${label}: ${err.message}`)
    else assert.ok(!err.message.includes(`node ${i} (`), `should not name healthy node ${i}: ${err.message}`)
  }
}

after(() => stopAll())

describe('stopped servers (SIGKILL)', () => {
  test('a stopped minority (1 of 3) still grants, and release still works', () =>
    withServers(3, async (srvs, redlock) => {
      const rl = redlock()
      assert.equal(await rl.acquireLock(uniqueResource('warm'), 1000), true)
      await srvs[2].kill()
      const res = uniqueResource('minority')
      const r = await timed(() => rl.acquireLock(res, 2000))
      assert.equal(r.error, undefined, r.error && r.error.message)
      assert.equal(r.value, true)
      assert.ok(r.ms < S.nodeTimeout + MARGIN, `${r.ms.toFixed(0)} ms`)
      assert.deepEqual(await values(srvs.slice(0, 2), res), [rl.id, rl.id])
      const rel = await timed(() => rl.releaseLock(res, rl.id))
      assert.equal(rel.error, undefined, rel.error && rel.error.message)
      assert.ok(rel.ms < S.nodeTimeout + MARGIN, `${rel.ms.toFixed(0)} ms`)
      assert.deepEqual(await values(srvs.slice(0, 2), res), [null, null])
    }))

  test('a stopped majority (2 of 3) rejects within the retry bound, naming the dead nodes; nothing is left on the live node', () =>
    withServers(3, async (srvs, redlock) => {
      const rl = redlock()
      await srvs[1].kill()
      await srvs[2].kill()
      const res = uniqueResource('majority')
      const r = await timed(() => rl.acquireLock(res, 2000))
      assert.equal(r.value, undefined, 'must not resolve')
      assertNamesNodes(r.error, srvs, [1, 2])
      assert.ok(r.ms < BOUND, `took ${r.ms.toFixed(0)} ms, bound ${BOUND} ms`)
      assert.ok(r.ms >= MIN_RETRY_WAIT, `retried (took ${r.ms.toFixed(0)} ms)`)
      assert.equal(await srvs[0].redis.get(res), null, 'the grant on the live node was rolled back')
    }))

  test('a fresh Redlock whose majority was never reachable rejects (lazy connections)', () =>
    withServers(3, async (srvs, redlock) => {
      await srvs[0].kill()
      await srvs[2].kill()
      const rl = redlock()
      const r = await timed(() => rl.acquireLock(uniqueResource('fresh'), 2000))
      assertNamesNodes(r.error, srvs, [0, 2])
      assert.ok(r.ms < BOUND, `took ${r.ms.toFixed(0)} ms, bound ${BOUND} ms`)
    }))

  test('every node dead: rejects within the bound, naming (at least a majority of) them', () =>
    withServers(3, async (srvs, redlock) => {
      const rl = redlock()
      for (const s of srvs) await s.kill()
      const r = await timed(() => rl.acquireLock(uniqueResource('alldead'), 2000))
      assert.ok(r.error instanceof Error, 'rejects')
      // The verdict is certain after two failures, so the third need not be waited for.
      const named = srvs.filter((s, i) => r.error.message.includes(`node ${i} (127.0.0.1:${s.port})`))
      assert.ok(named.length >= 2, r.error.message)
      assert.ok(r.ms < BOUND, `took ${r.ms.toFixed(0)} ms, bound ${BOUND} ms`)
    }))

  test('releaseLock with a majority dead rejects (naming them) within the bound; the live node is cleaned', () =>
    withServers(3, async (srvs, redlock) => {
      const rl = redlock()
      const res = uniqueResource('reldead')
      assert.equal(await rl.acquireLock(res, 5000), true)
      await eventually(async () => (await values(srvs, res)).every((v) => v === rl.id))
      await srvs[0].kill()
      await srvs[1].kill()
      const r = await timed(() => rl.releaseLock(res, rl.id))
      assert.equal(r.error instanceof Error, true, 'releaseLock must reject')
      assertNamesNodes(r.error, srvs, [0, 1])
      assert.ok(r.ms < BOUND, `took ${r.ms.toFixed(0)} ms, bound ${BOUND} ms`)
      assert.equal(await srvs[2].redis.get(res), null, 'deleted where reachable')
    }))

  test('releaseLock with a minority dead resolves', () =>
    withServers(3, async (srvs, redlock) => {
      const rl = redlock()
      const res = uniqueResource('relmin')
      assert.equal(await rl.acquireLock(res, 5000), true)
      await srvs[0].kill()
      const r = await timed(() => rl.releaseLock(res, rl.id))
      assert.equal(r.error, undefined, r.error && r.error.message)
      assert.ok(r.ms < S.nodeTimeout + MARGIN, `${r.ms.toFixed(0)} ms`)
      assert.deepEqual(await values(srvs.slice(1), res), [null, null])
    }))
})

describe('paused servers (SIGSTOP)', () => {
  test('one paused node of 3 does not stall acquireLock or releaseLock beyond the per-node timeout', () =>
    withServers(3, async (srvs, redlock) => {
      const rl = redlock()
      const dflt = redlock({ retryCount: 2 }) // derived node timeout: ttl 2000 → 200 ms
      assert.equal(await rl.acquireLock(uniqueResource('warm'), 1000), true)
      assert.equal(await dflt.acquireLock(uniqueResource('warm'), 1000), true)
      srvs[1].pause()
      try {
        for (const [who, lock, nodeTimeout] of [
          ['nodeTimeout 200', rl, S.nodeTimeout],
          ['derived', dflt, dflt.nodeTimeoutFor(2000)],
        ]) {
          const res = uniqueResource('paused1')
          const r = await timed(() => lock.acquireLock(res, 2000))
          assert.equal(r.error, undefined, r.error && r.error.message)
          assert.equal(r.value, true, who)
          assert.ok(r.ms < nodeTimeout + MARGIN, `${who}: ${r.ms.toFixed(0)} ms`)
          assert.deepEqual(await values([srvs[0], srvs[2]], res), [lock.id, lock.id])
          const rel = await timed(() => lock.releaseLock(res, lock.id))
          assert.equal(rel.error, undefined, rel.error && rel.error.message)
          assert.ok(rel.ms < nodeTimeout + MARGIN, `${who} release: ${rel.ms.toFixed(0)} ms`)
          assert.deepEqual(await values([srvs[0], srvs[2]], res), [null, null])
        }
      } finally {
        srvs[1].resume()
      }
    }))

  test('one paused node of 3 with the resource held on the others: false, promptly', () =>
    withServers(3, async (srvs, redlock) => {
      const holder = redlock()
      const rl = redlock()
      const res = uniqueResource('heldpaused')
      assert.equal(await rl.acquireLock(uniqueResource('warm'), 1000), true)
      assert.equal(await holder.acquireLock(res, 5000), true)
      await eventually(async () => (await values(srvs, res)).every((v) => v === holder.id))
      srvs[2].pause()
      try {
        const r = await timed(() => rl.acquireLock(res, 2000))
        assert.equal(r.error, undefined, r.error && r.error.message)
        assert.equal(r.value, false)
        assert.ok(r.ms < BOUND, `${r.ms.toFixed(0)} ms`)
      } finally {
        srvs[2].resume()
      }
      assert.deepEqual(await values(srvs, res), [holder.id, holder.id, holder.id])
    }))

  test('a paused majority makes acquireLock reject within the bound; after SIGCONT everything works again', () =>
    withServers(3, async (srvs, redlock) => {
      const rl = redlock()
      const other = redlock({ retryCount: 0 })
      assert.equal(await rl.acquireLock(uniqueResource('warm'), 1000), true)
      const res = uniqueResource('pausedmaj')
      srvs[1].pause()
      srvs[2].pause()
      let r
      try {
        r = await timed(() => rl.acquireLock(res, 2000))
      } finally {
        srvs[1].resume()
        srvs[2].resume()
      }
      assert.equal(r.value, undefined, 'must not resolve')
      assertNamesNodes(r.error, srvs, [1, 2])
      assert.match(r.error.message, /timed out/)
      assert.ok(r.ms < BOUND, `took ${r.ms.toFixed(0)} ms, bound ${BOUND} ms`)
      assert.ok(r.ms >= MIN_RETRY_WAIT, `retried (took ${r.ms.toFixed(0)} ms)`)

      // The writes queued while paused run after SIGCONT and are rolled back: the failed
      // attempt leaves no lock behind (soon after; bounded wait).
      const clean = await eventually(async () => (await values(srvs, res)).every((v) => v === null), {
        tries: 40,
        interval: 25,
      })
      assert.ok(clean, `the failed attempt left a lock behind: ${await values(srvs, res)}`)

      // Works again: the same Redlock, a fresh resource and the failed one.
      const res2 = uniqueResource('resumed')
      assert.equal(await rl.acquireLock(res2, 2000), true)
      await eventually(async () => (await values(srvs, res2)).every((v) => v === rl.id))
      assert.deepEqual(await values(srvs, res2), [rl.id, rl.id, rl.id])
      assert.equal(await other.acquireLock(res2, 2000), false)
      await rl.releaseLock(res2, rl.id)
      assert.equal(await rl.acquireLock(res, 2000), true)
      await rl.releaseLock(res, rl.id)
      assert.deepEqual(await values(srvs, res), [null, null, null])
    }))

  test('a paused majority makes releaseLock reject within the bound', () =>
    withServers(3, async (srvs, redlock) => {
      const rl = redlock()
      const res = uniqueResource('relpaused')
      assert.equal(await rl.acquireLock(res, 5000), true)
      await eventually(async () => (await values(srvs, res)).every((v) => v === rl.id))
      srvs[0].pause()
      srvs[1].pause()
      let r
      try {
        r = await timed(() => rl.releaseLock(res, rl.id))
      } finally {
        srvs[0].resume()
        srvs[1].resume()
      }
      assert.equal(r.error instanceof Error, true, 'releaseLock must reject')
      assertNamesNodes(r.error, srvs, [0, 1])
      assert.ok(r.ms < BOUND, `took ${r.ms.toFixed(0)} ms, bound ${BOUND} ms`)
      // Resumed: a release now succeeds and clears every node.
      await rl.releaseLock(res, rl.id)
      const cleared = await eventually(async () => (await values(srvs, res)).every((v) => v === null))
      assert.ok(cleared, `${await values(srvs, res)}`)
    }))
})

describe('restarted servers', () => {
  test('after a restart on the same port, the same Redlock reconnects and uses the node again', () =>
    withServers(3, async (srvs, redlock) => {
      const rl = redlock()
      const res = uniqueResource('before')
      assert.equal(await rl.acquireLock(res, 1000), true)
      await rl.releaseLock(res, rl.id)
      await srvs[0].kill()
      await srvs[0].restart()
      // The quorum (nodes 1, 2) grants at once; node 0 must be used again within a few tries.
      let back = false
      for (let i = 0; i < 20 && !back; i++) {
        const r = uniqueResource('after')
        const got = await rl.acquireLock(r, 1000).catch((e) => e)
        if (got === true) {
          await sleep(20)
          back = (await srvs[0].redis.get(r)) === rl.id
          await rl.releaseLock(r, rl.id).catch(() => {})
        }
        if (!back) await sleep(100)
      }
      assert.ok(back, 'the restarted node never received a lock again')
    }))

  // Every node restarted empty at once: the restart guard (issue 15) keeps their grants out of
  // the vote for the largest TTL asked for (2 s here), so the retries cover that period too.
  test('after every node restarted, the same Redlock acquires again once the restart guard has passed (bounded retries)', () =>
    withServers(3, async (srvs, redlock) => {
      const rl = redlock({ ...S, retryCount: 0 })
      assert.equal(await rl.acquireLock(uniqueResource('warm'), 1000), true)
      for (const s of srvs) await s.kill()
      for (const s of srvs) await s.restart()
      const res = uniqueResource('allback')
      let ok = false
      let last
      for (let i = 0; i < 50 && !ok; i++) {
        last = await rl.acquireLock(res, 2000).catch((e) => e)
        ok = last === true
        if (!ok) await sleep(100)
      }
      assert.ok(ok, `never acquired after the restart: ${last && last.message}`)
      await eventually(async () => (await values(srvs, res)).every((v) => v === rl.id))
      assert.deepEqual(await values(srvs, res), [rl.id, rl.id, rl.id])
      await rl.releaseLock(res, rl.id)
    }))

  test('a single client reconnects after its server restarted', () =>
    withServers(1, async (srvs) => {
      for (const c of [new IoredisClient(srvs[0].port), new RedisJsClient({ url: `redis://127.0.0.1:${srvs[0].port}` })]) {
        try {
          assert.equal(await c.acquireLock(uniqueResource('c-before'), 1000), true)
          await srvs[0].kill()
          await srvs[0].restart()
          const res = uniqueResource('c-after')
          let ok = false
          for (let i = 0; i < 20 && !ok; i++) {
            ok = (await c.acquireLock(res, 1000).catch(() => false)) === true
            if (!ok) await sleep(100)
          }
          assert.ok(ok, 'the client never acquired after the restart')
          assert.equal(await srvs[0].redis.get(res), c.id)
          await c.releaseLock(res, c.id)
          assert.equal(await srvs[0].redis.get(res), null)
        } finally {
          await c.quit()
        }
      }
    }))

  test('one restarted node forgot the lock, yet the other two (a quorum) still refuse another owner', () =>
    withServers(3, async (srvs, redlock) => {
      // The Redlock model: a node restarted without persistence forgets its keys; the quorum
      // that still holds the lock keeps excluding others.
      const a = redlock({ ...S, retryCount: 0 })
      const b = redlock({ ...S, retryCount: 0 })
      const res = uniqueResource('amnesia')
      assert.equal(await a.acquireLock(res, 5000), true)
      await eventually(async () => (await values(srvs, res)).every((v) => v === a.id))
      assert.equal(await b.acquireLock(res, 5000), false)
      await srvs[1].kill()
      await srvs[1].restart()
      // Still held on nodes 0 and 2: a quorum against b.
      let r
      for (let i = 0; i < 5; i++) {
        r = await b.acquireLock(res, 5000).catch((e) => e)
        if (r === false) break
        await sleep(100)
      }
      assert.equal(r, false, `still held on a quorum: ${r && r.message}`)
    }))
})
