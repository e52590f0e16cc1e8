// The fault matrix (shared/notes/faults.md §3.2), part 2: servers that answer with errors
// (F14 OOM, F15 READONLY, F16 NOSCRIPT, F17 NOPERM / WRONGTYPE / MISCONF / BUSY / LOADING /
// CROSSSLOT) and the unsafe-by-design CONTROLS F18 (early expiry on a quorum member) and F24
// (replica failover behind one voter), which must show a second holder while the first is valid.
import { test, describe, after } from 'node:test'
import assert from 'node:assert/strict'
import { startServers, stopAll, sleep, uniqueResource, eventually } from './helpers/redis.mjs'
import { startProxy, closeAllProxies } from './faults/proxy.mjs'
import { oom, replicaOf, replicaOfNoOne, scriptFlush, aclUser, wrongType, misconf, busyScript } from './faults/admin.mjs'
import {
  Redlock,
  S,
  budget,
  MARGIN,
  drift,
  mono,
  values,
  assertCleanedUp,
  collectErrors,
  withCluster,
  timedMono,
  overlaps,
  assertFails,
  warm,
  scriptStats,
} from './faults/matrix.mjs'

const { IoredisClient } = Redlock

after(async () => {
  await closeAllProxies()
  await stopAll()
})

/** One server alone (original API client): its acquireLock must reject with `re`. */
async function assertSingleNodeRejects(server, re, what) {
  const c = new IoredisClient(server.port)
  try {
    const r = await timedMono(() => c.acquireLock(uniqueResource('single'), 1000))
    assert.ok(r.error instanceof Error, `${what}: a single-node acquireLock must reject, got ${r.value}`)
    assert.match(r.error.message, re, what)
  } finally {
    await c.quit()
  }
}

/**
 * A minority fault: the lock is still granted within one node timeout, and the faulty node did
 * not vote for (nothing written there).
 */
async function assertMinorityGrants(c, rl, faulty, what) {
  const res = uniqueResource('min')
  const a = await timedMono(() => rl.acquire([res], 2000))
  assert.equal(a.error, undefined, `${what}: ${a.error && a.error.message}`)
  assert.ok(a.ms <= S.nodeTimeout + MARGIN, `${what}: acquire took ${a.ms.toFixed(0)} ms`)
  assert.notEqual(await c.srvs[faulty].redis.get(res), a.value.value, `${what}: the faulty node must not hold the lock`)
  const rel = await timedMono(() => rl.release(a.value))
  assert.equal(rel.error, undefined, `${what}: release ${rel.error && rel.error.message}`)
  await assertCleanedUp(c.srvs, res, a.value.value, 2000)
}

/** A majority fault: a clean failure within the budget whose detail shows `re`; an 'error' event too; nothing left. */
async function assertMajorityFails(c, rl, errs, re, what) {
  const res = uniqueResource('maj')
  const before = errs.length
  const r = await timedMono(() => rl.acquire([res], 2000))
  assertFails(r, 'unavailable', budget(), what)
  assert.match(r.error.detail, re, `${what}: detail`)
  for (const a of r.error.attempts) assert.ok((await a).votesFor.size < 2, `${what}: never a quorum of votes for`)
  assert.ok(errs.slice(before).some((m) => re.test(m)), `${what}: an 'error' event shows it: ${errs.slice(before, before + 3)}`)
  await assertCleanedUp(c.srvs, res, undefined, 2000)
}

/**
 * After a fault cleared: the faulty nodes themselves take part again. A fresh lock's key must
 * land on each of `nodes` (not just on some quorum: 2 of 3 would grant without them), within
 * bounded tries.
 */
async function assertNodesBack(c, rl, nodes, what) {
  let last = null
  for (let k = 0; k < 20; k++) {
    const res = uniqueResource('back')
    const l = await rl.acquire([res], 2000).catch((e) => e)
    if (!(l instanceof Error)) {
      const on = () => values(c.srvs, res).then((v) => ((last = v), nodes.every((i) => v[i] === l.value)))
      const landed = await eventually(on, { tries: 20, interval: 10 })
      await rl.release(l)
      if (landed) return
    } else last = l.message
    await sleep(50)
  }
  assert.fail(`${what}: node(s) ${nodes.join(', ')} took no part in a lock again (last: ${JSON.stringify(last)})`)
}

describe('F14–F17 server errors', () => {
  test('F14 OOM (maxmemory 1, noeviction): a minority votes against; a majority fails cleanly with the OOM error; release still works under OOM', () =>
    withCluster(3, { proxies: false }, async (c) => {
      const rl = c.redlock()
      const errs = collectErrors(rl)
      await warm(rl)
      const undo0 = await oom(c.srvs[0])
      await assertSingleNodeRejects(c.srvs[0], /OOM/, 'OOM node')
      await assertMinorityGrants(c, rl, 0, 'OOM on 1 of 3')
      const undo1 = await oom(c.srvs[1])
      await assertMajorityFails(c, rl, errs, /OOM/, 'OOM on 2 of 3')
      await undo0()
      await undo1()

      const res = uniqueResource('f14rel')
      const lock = await rl.acquire([res], 5000)
      const undos = []
      for (const s of c.srvs) undos.push(await oom(s))
      const rel = await timedMono(() => rl.release(lock))
      assert.equal(rel.error, undefined, rel.error && rel.error.message)
      assert.deepEqual(await values(c.srvs, res), [null, null, null], 'deleted under OOM')
      for (const u of undos) await u()
      await assertNodesBack(c, rl, [0, 1, 2], 'OOM cleared')
    }))

  test('F15 READONLY (REPLICAOF): a replica in the minority votes against; a majority of replicas fails cleanly; the primary is rolled back', () =>
    withCluster(3, { proxies: false }, async (c) => {
      const [upstream] = await startServers(1)
      try {
        const rl = c.redlock()
        const errs = collectErrors(rl)
        await warm(rl)
        await replicaOf(c.srvs[2], upstream, { waitSync: true })
        await assertSingleNodeRejects(c.srvs[2], /read.?only/i, 'replica')
        await assertMinorityGrants(c, rl, 2, 'READONLY on 1 of 3')
        await replicaOf(c.srvs[1], upstream, { waitSync: true })
        await assertMajorityFails(c, rl, errs, /read.?only/i, 'READONLY on 2 of 3')
        await replicaOfNoOne(c.srvs[1])
        await replicaOfNoOne(c.srvs[2])
        await assertNodesBack(c, rl, [1, 2], 'replicas promoted back to primaries')
      } finally {
        await upstream.stop()
      }
    }))

  test('F16 NOSCRIPT (SCRIPT FLUSH on every node before each scripted operation): multi-resource acquire, extend, release and using() fall back to EVAL on every node each time, no error surfaces', () =>
    withCluster(3, { proxies: false }, async (c) => {
      const rl = c.redlock()
      const errs = collectErrors(rl)
      await warm(rl)
      const flushAll = () => Promise.all(c.srvs.map((s) => scriptFlush(s)))
      const stats = () => Promise.all(c.srvs.map(scriptStats))
      // A fresh single-resource acquire is a plain SET NX PX once scripts are known to run, so
      // a flush before it exercises nothing: each flush here comes before an operation that
      // runs a script (an acquire of two resources, extend, release). Each flush also comes
      // after every node answered the previous operation (a node still loading a script when
      // the flush lands would fail that one request: a double fault, not this row). Then every
      // node must answer that operation's EVALSHA with NOSCRIPT exactly once and get the
      // script again exactly once (EVAL, or SCRIPT LOAD).
      const afterFlush = async (what, op, everywhere) => {
        await flushAll()
        const s0 = await stats()
        const out = await op()
        assert.ok(await everywhere(out), `${what}: every node applied it`)
        const delta = (s1) => s1.map((x, i) => ({ noscript: x.noscript - s0[i].noscript, fallback: x.fallback - s0[i].fallback }))
        await eventually(async () => delta(await stats()).every((d) => d.noscript >= 1 && d.fallback >= 1), { tries: 100, interval: 10 })
        assert.deepEqual(delta(await stats()), c.srvs.map(() => ({ noscript: 1, fallback: 1 })), `${what}: one NOSCRIPT and one fallback on every node`)
        return out
      }
      const holding = (keys, value) => () =>
        eventually(async () => (await Promise.all(keys.map((k) => values(c.srvs, k)))).flat().every((v) => v === value), { tries: 100, interval: 10 })
      const extended = (keys) => () =>
        eventually(async () => (await Promise.all(keys.map((k) => Promise.all(c.srvs.map((s) => s.redis.pttl(k)))))).flat().every((t) => t > 1945), {
          tries: 100,
          interval: 10,
        })
      for (let i = 0; i < 3; i++) {
        const keys = [uniqueResource('f16'), uniqueResource('f16')]
        const l = await afterFlush(`acquire of 2 resources #${i}`, () => rl.acquire(keys, 1000), (x) => holding(keys, x.value)())
        const l2 = await afterFlush(`extend #${i}`, () => rl.extend(l, 2000), extended(keys))
        await afterFlush(`release #${i}`, () => rl.release(l2), holding(keys, null))
      }
      assert.deepEqual(errs, [], 'no error events')
      const u0 = await stats()
      const u = await rl.using([uniqueResource('f16u')], 400, { automaticExtensionThreshold: 200 }, async (signal) => {
        for (let i = 0; i < 3; i++) {
          await flushAll()
          await sleep(150)
        }
        return signal.aborted
      })
      assert.equal(u, false, 'using() extended across SCRIPT FLUSHes')
      // At least one extension (the 400 ms lock outlived 450 ms) and the release came after a flush.
      const seen = await eventually(async () => (await stats()).every((x, i) => x.noscript - u0[i].noscript >= 2), { tries: 100, interval: 10 })
      assert.ok(seen, `using(): the keeper's extensions and the release met NOSCRIPT on every node: ${JSON.stringify((await stats()).map((x, i) => x.noscript - u0[i].noscript))}`)
      assert.deepEqual(errs, [], 'no error events')
    }))

  test('F17 NOPERM (an ACL user without scripting): against on a minority, a clean failure on a majority', () =>
    withCluster(3, { proxies: false }, async (c) => {
      const users = [await aclUser(c.srvs[0]), await aclUser(c.srvs[1])]
      const plain = c.urls(true)
      const min = c.redlock(S, { list: [users[0].url, plain[1], plain[2]] })
      const res = uniqueResource('f17')
      const a = await timedMono(() => min.acquire([res], 2000))
      assert.equal(a.error, undefined, a.error && a.error.message)
      assert.equal(await c.srvs[0].redis.get(res), null, 'nothing written with the restricted user')
      await min.release(a.value)
      const maj = c.redlock(S, { list: [users[0].url, users[1].url, plain[2]] })
      const errs = collectErrors(maj)
      await assertMajorityFails(c, maj, errs, /no permissions/i, 'NOPERM on 2 of 3')
      assert.ok(!errs.join('\n').includes(users[0].password), 'no password in the error events')
      // The permission granted: the restricted user's node takes part again.
      await c.srvs[0].redis.call('ACL', 'SETUSER', users[0].username, '+@scripting')
      await assertNodesBack(c, min, [0], 'NOPERM cleared (+@scripting)')
    }))

  test('F17 WRONGTYPE (the resource key is a hash): counts as held, never "for"; the hash is never touched; extend/release of a lock whose key became a hash on one node still work', () =>
    withCluster(3, { proxies: false }, async (c) => {
      const rl = c.redlock()
      await warm(rl)
      const res = uniqueResource('f17wt')
      await wrongType(c.srvs[0], res)
      const a = await timedMono(() => rl.acquire([res], 2000))
      assert.equal(a.error, undefined, a.error && a.error.message)
      assert.equal(await c.srvs[0].redis.type(res), 'hash')
      await rl.release(a.value)
      assert.equal(await c.srvs[0].redis.type(res), 'hash', 'release did not delete the hash')
      for (const s of c.srvs) await wrongType(s, res)
      const all = await timedMono(() => rl.acquire([res], 2000))
      assertFails(all, 'held', budget(), 'a hash on every node')
      for (const s of c.srvs) assert.equal(await s.redis.type(res), 'hash')

      const res2 = uniqueResource('f17wt2')
      const l = await rl.acquire([res2], 2000)
      assert.ok(await eventually(async () => (await values(c.srvs, res2)).every((v) => v === l.value)), 'held on every node')
      await wrongType(c.srvs[1], res2)
      const e = await timedMono(() => rl.extend(l, 2000))
      assert.equal(e.error, undefined, e.error && e.error.message)
      const rel = await timedMono(() => rl.release(e.value))
      assert.equal(rel.error, undefined, rel.error && rel.error.message)
      assert.equal(await c.srvs[1].redis.type(res2), 'hash')
      assert.deepEqual([await c.srvs[0].redis.get(res2), await c.srvs[2].redis.get(res2)], [null, null])
    }))

  test('F17 MISCONF (failed BGSAVE with stop-writes-on-bgsave-error): against on a minority, a clean failure on a majority', () =>
    withCluster(3, { proxies: false, own: true }, async (c) => {
      const rl = c.redlock()
      const errs = collectErrors(rl)
      await warm(rl)
      const undo0 = await misconf(c.srvs[0])
      await assertSingleNodeRejects(c.srvs[0], /MISCONF/, 'MISCONF node')
      await assertMinorityGrants(c, rl, 0, 'MISCONF on 1 of 3')
      const undo1 = await misconf(c.srvs[1])
      await assertMajorityFails(c, rl, errs, /MISCONF/, 'MISCONF on 2 of 3')
      await undo0()
      await undo1()
      await assertNodesBack(c, rl, [0, 1], 'MISCONF cleared')
    }))

  test('F17 BUSY (a long Lua script): against on a minority within one node timeout; the node is usable again afterwards', () =>
    withCluster(3, { proxies: false }, async (c) => {
      const rl = c.redlock()
      await warm(rl)
      const res = uniqueResource('f17busy')
      const stop = await busyScript(c.srvs[0])
      let a
      try {
        await assertSingleNodeRejects(c.srvs[0], /BUSY/, 'BUSY node')
        a = await timedMono(() => rl.acquire([res], 2000))
      } finally {
        await stop()
      }
      assert.equal(a.error, undefined, a.error && a.error.message)
      assert.ok(a.ms <= S.nodeTimeout + MARGIN, `acquire took ${a.ms.toFixed(0)} ms`)
      assert.equal(await c.srvs[0].redis.get(res), null, 'nothing written on the busy node')
      await rl.release(a.value)
      await assertCleanedUp(c.srvs, res, a.value.value, 2000)
      await assertNodesBack(c, rl, [0], 'the busy script killed')
    }))

  test('F17 LOADING and CROSSSLOT (answered by the fault proxy): against on a minority, a clean failure on a majority', () =>
    withCluster(3, {}, async (c) => {
      const rl = c.redlock()
      const errs = collectErrors(rl)
      await warm(rl)
      for (const [reply, re] of [
        ['LOADING Redis is loading the dataset in memory', /LOADING|loading/],
        ["CROSSSLOT Keys in request don't hash to the same slot", /CROSSSLOT|same slot/],
      ]) {
        c.px[0].set('error', { reply })
        await assertMinorityGrants(c, rl, 0, reply.split(' ')[0] + ' on 1 of 3')
        c.px[1].set('error', { reply })
        await assertMajorityFails(c, rl, errs, re, reply.split(' ')[0] + ' on 2 of 3')
        c.px[0].set('pass')
        c.px[1].set('pass')
        await assertNodesBack(c, rl, [0, 1], `${reply.split(' ')[0]} cleared`)
      }
    }))
})

// What these controls show: each recipe really makes the servers grant a second holder while
// the first lock's computed validity (A's invoke + TTL − drift) has seconds left; the
// "violation" is then arithmetic (overlaps() compares B's start with A's computed end), so once
// B holds the lock it is reported. How each fault is produced:
// - F18 emulates a server clock jumping forward with `PEXPIRE key 1` on one node (the key
//   expires early; the server's clock does not move).
// - F24 is not a real failover: there is no Sentinel or Cluster. The primary is killed, its
//   replica (which missed the write through a blackholed replication link) is promoted with
//   REPLICAOF NO ONE, and B is simply given the replica's URL in place of the primary's. It
//   shows that a promoted replica which missed the write grants the lock again, and that with
//   the write acknowledged by the replica first (WAIT 1) it refuses.
describe('F18 and F24: controls (unsafe by design)', () => {
  test('F18 early expiry (PEXPIRE 1) on a node outside every minimal quorum (A holds all 3): safe, B is refused and A extends', () =>
    withCluster(3, { proxies: false }, async (c) => {
      const A = c.redlock()
      const B = c.redlock({ ...S, retryCount: 0 })
      await warm(A)
      await warm(B)
      const res = uniqueResource('f18safe')
      const lock = await A.acquire([res], 3000)
      assert.ok(await eventually(async () => (await values(c.srvs, res)).every((v) => v === lock.value)), 'A holds all 3')
      await c.srvs[0].redis.pexpire(res, 1)
      await sleep(10)
      for (let i = 0; i < 5; i++) {
        const b = await timedMono(() => B.acquire([res], 3000))
        assertFails(b, 'held', budget(), 'B while A holds 2 of the remaining nodes')
      }
      const e = await A.extend(lock, 3000)
      await A.release(e)
    }))

  test('F18 CONTROL: early expiry on a member of A\'s minimal quorum lets B in while A is valid — the test detects the violation', () =>
    withCluster(3, { proxies: false }, async (c) => {
      const A = c.redlock()
      const B = c.redlock({ ...S, retryCount: 0 })
      await warm(A)
      await warm(B)
      const res = uniqueResource('f18')
      const ttl = 5000
      await c.srvs[2].redis.set(res, 'foreign', 'PX', 60000) // clog: A gets exactly nodes 0 and 1
      const aInvoke = mono()
      const lockA = await A.acquire([res], ttl)
      const aStart = mono()
      assert.deepEqual(await values(c.srvs, res), [lockA.value, lockA.value, 'foreign'])
      await c.srvs[0].redis.pexpire(res, 1) // node 0's clock "jumps": A's key expires early
      await c.srvs[2].redis.del(res)
      await sleep(10)
      const b = await timedMono(() => B.acquire([res], ttl))
      assert.equal(b.error, undefined, `B must get the lock (nodes 0 and 2): ${b.error && b.error.message}`)
      const v = overlaps([
        { who: 'A', start: aStart, end: aInvoke + ttl - drift(ttl) },
        { who: 'B', start: b.t1, end: b.t1 + ttl },
      ])
      assert.equal(v.length, 1, 'the violation is detected')
    }))

  test('F24 CONTROL: failover of a voter to a replica that missed the write lets B in while A is valid — detected; with the write replicated first, B is refused', async () => {
    for (const replicated of [false, true]) {
      await withCluster(3, { proxies: false }, async (c) => {
        const [replica] = await startServers(1)
        // The replication link goes through a fault proxy, so the replica can really miss a write
        // (a SIGSTOP'd replica would still find it in its socket buffer on SIGCONT).
        const link = await startProxy({ targetPort: c.srvs[0].port })
        try {
          const [P, n1, n2] = c.srvs
          await replicaOf(replica, P, { waitSync: true, port: link.port })
          const ttl = 5000
          const A = c.redlock()
          await warm(A)
          const res = uniqueResource('f24')
          await n2.redis.set(res, 'foreign', 'PX', 60000) // A gets exactly P and n1
          if (!replicated) link.set('blackhole') // the replica misses A's write
          const aInvoke = mono()
          const lockA = await A.acquire([res], ttl)
          const aStart = mono()
          assert.deepEqual(await values(c.srvs, res), [lockA.value, lockA.value, 'foreign'])
          if (replicated) {
            const acked = await P.redis.call('WAIT', '1', '1000')
            assert.equal(acked, 1, 'the replica acknowledged the write')
          }
          await P.kill()
          // "Failover" by hand: the replica is promoted and B is configured with its URL in place
          // of P's (no Sentinel; A's Redlock still points at the dead P).
          await replicaOfNoOne(replica)
          await n2.redis.del(res)
          const B = c.redlock({ ...S, retryCount: 0 }, { list: [replica, n1, n2].map((s) => `redis://127.0.0.1:${s.port}`) })
          await sleep(10)
          const b = await timedMono(() => B.acquire([res], ttl))
          const aEnd = aInvoke + ttl - drift(ttl)
          if (!replicated) {
            assert.equal(b.error, undefined, `B must get the lock: ${b.error && b.error.message}`)
            const v = overlaps([
              { who: 'A', start: aStart, end: aEnd },
              { who: 'B', start: b.t1, end: b.t1 + ttl },
            ])
            assert.equal(v.length, 1, 'the violation is detected')
          } else {
            assertFails(b, 'held', budget(), 'B after a failover that kept the key')
            assert.equal(await replica.redis.get(res), lockA.value)
          }
        } finally {
          await link.close()
          await replica.stop()
        }
      })
    }
  })
})
