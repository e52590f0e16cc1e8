// A master found through Redis Sentinel votes as one node; after a failover-like move the
// master is looked up again.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { startServers, stopAll, sleep, uniqueResource } from './helpers/redis.mjs'

const require = createRequire(import.meta.url)
const Redlock = require('../index.js')
const IORedis = require('ioredis')

let masters, sentinelPort
before(async () => {
  masters = await startServers(2)
  const [sentinel] = await startServers(1, { sentinel: { conf: `sentinel monitor locks 127.0.0.1 ${masters[0].port} 1\n` } })
  sentinelPort = sentinel.port
  const probe = new IORedis({ port: sentinelPort, lazyConnect: true, retryStrategy: () => null })
  probe.on('error', () => {})
  for (let i = 0; i < 50; i++) {
    try {
      await probe.connect()
      const addr = await probe.call('SENTINEL', 'get-master-addr-by-name', 'locks')
      if (addr) break
    } catch {
      probe.disconnect()
    }
    await sleep(100)
  }
  probe.disconnect()
})
after(async () => {
  await stopAll()
})

test('an ioredis Sentinel client locks on the master the sentinel names', async () => {
  const io = new IORedis({ sentinels: [{ host: '127.0.0.1', port: sentinelPort }], name: 'locks', lazyConnect: true })
  const redlock = new Redlock([io], { retryCount: 0 })
  const lock = await redlock.acquire([uniqueResource('sentinel')], 5000)
  assert.equal(await masters[0].redis.get(lock.resources[0]), lock.value)
  await lock.release()
  assert.equal(await masters[0].redis.exists(lock.resources[0]), 0)
  await redlock.quit()
})

// The restart guard is off here (restartGuard: 0): the new master is counted at once. With the
// guard (the next test), a voter whose master changed is quarantined like a restarted server.
test('the master is looked up again after it moves', async () => {
  const redlock = new Redlock([{ sentinels: [`127.0.0.1:${sentinelPort}`], name: 'locks' }], { retryCount: 1, retryDelay: 50, restartGuard: 0 })
  assert.equal(await redlock.acquireLock(uniqueResource('before'), 5000), true)
  // Point the sentinel at the other server (as a failover would) and stop the old master.
  const s = new IORedis({ port: sentinelPort })
  await s.call('SENTINEL', 'REMOVE', 'locks')
  await s.call('SENTINEL', 'MONITOR', 'locks', '127.0.0.1', String(masters[1].port), '1')
  s.disconnect()
  await masters[0].kill()
  const r = uniqueResource('after')
  let ok = false
  for (let i = 0; i < 10 && !ok; i++) {
    ok = await redlock.acquireLock(r, 5000).catch(() => false)
    if (!ok) await sleep(100)
  }
  assert.equal(ok, true)
  assert.equal(await masters[1].redis.get(r), redlock.id)
  await redlock.quit()
})

test('restart guard: after a failover the new master is quarantined for the guard period (the largest TTL asked for), then counts', async () => {
  // masters[1] is the master now; masters[0] comes back empty and will take over.
  await masters[0].restart()
  const redlock = new Redlock([{ sentinels: [`127.0.0.1:${sentinelPort}`], name: 'locks' }], { retryCount: 0 })
  const quarantined = []
  redlock.on('error', (e) => {
    if (e.reason === 'quarantined') quarantined.push(e.message)
  })
  const ttl = 1500
  const before = await redlock.acquire([uniqueResource('g-before')], ttl)
  assert.equal(await masters[1].redis.get(before.resources[0]), before.value)
  const s = new IORedis({ port: sentinelPort })
  await s.call('SENTINEL', 'REMOVE', 'locks')
  await s.call('SENTINEL', 'MONITOR', 'locks', '127.0.0.1', String(masters[0].port), '1')
  s.disconnect()
  const moved = performance.now()
  await masters[1].kill()
  const r = uniqueResource('g-after')
  let lock = null
  for (let i = 0; i < 60 && !lock; i++) {
    lock = await redlock.acquire([r], ttl).catch(() => null)
    if (!lock) await sleep(100)
  }
  assert.ok(quarantined.length > 0, 'refused while the new master is quarantined')
  assert.match(quarantined[0], /^node 0 \(.*\) quarantined: a new run_id/)
  assert.ok(lock, 'granted once the guard period has passed')
  assert.ok(performance.now() - moved >= ttl)
  assert.equal(await masters[0].redis.get(r), lock.value)
  await lock.release()
  await redlock.quit()
})

test('a Sentinel client without a master name is refused', () => {
  assert.throws(() => new Redlock([{ sentinels: ['127.0.0.1:1'] }]), /options.name/)
})
