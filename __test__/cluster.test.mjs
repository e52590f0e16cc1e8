// A Redis Cluster votes as one node: locks through ioredis Cluster and node-redis createCluster
// clients (and plain seed lists), and multi-key locks that span hash slots are refused up front.
import { test, describe, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { startServers, stopAll, sleep, uniqueResource, commandCount } from './helpers/redis.mjs'

const require = createRequire(import.meta.url)
const Redlock = require('../index.js')
const IORedis = require('ioredis')
const { createCluster } = require('redis')

/** Three masters, all 16384 slots assigned, state ok. */
async function startCluster() {
  // Each node keeps its nodes.conf in its own data dir.
  const nodes = await startServers(3, { args: ['--cluster-enabled', 'yes', '--cluster-node-timeout', '2000'] })
  const ports = nodes.map((s) => s.port)
  const stop = () => Promise.allSettled(nodes.map((s) => s.stop()))
  try {
    const r = spawnSync(
      'redis-cli',
      ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'],
      { encoding: 'utf8', timeout: 30_000 },
    )
    if (r.status !== 0) throw new Error(`redis-cli --cluster create failed: ${r.stdout}${r.stderr}`)
    for (let i = 0; i < 100; i++) {
      const states = await Promise.all(
        ports.map(async (port) => {
          const c = new IORedis({ port })
          try {
            return /cluster_state:ok/.test(await c.call('CLUSTER', 'INFO'))
          } finally {
            c.disconnect()
          }
        }),
      )
      if (states.every(Boolean)) return { ports, nodes, stop }
      await sleep(100)
    }
    throw new Error('the cluster did not reach state ok')
  } catch (e) {
    await stop()
    throw e
  }
}

describe('Redis Cluster members', () => {
  let cluster, solo, inspect
  before(async () => {
    cluster = await startCluster()
    solo = await startServers(2)
    inspect = new IORedis.Cluster([{ host: '127.0.0.1', port: cluster.ports[0] }])
  })
  after(async () => {
    inspect && inspect.disconnect()
    await stopAll()
  })

  test('an ioredis Cluster is one voter beside two single servers', async () => {
    const io = new IORedis.Cluster([{ host: '127.0.0.1', port: cluster.ports[1] }], { lazyConnect: true })
    const redlock = new Redlock([io, ...solo.map((s) => `redis://127.0.0.1:${s.port}`)], { retryCount: 0 })
    assert.equal(redlock.quorum, 2)
    const resources = ['{order:1}:a', '{order:1}:b', '{order:1}:c']
    const lock = await redlock.acquire(resources, 5000)
    // The verdict is taken at the quorum (2 of 3): the two single servers may answer before the
    // cluster's first connection is up, so its write may land a moment later (bounded wait).
    for (let i = 0; i < 100 && (await inspect.get(resources[2])) !== lock.value; i++) await new Promise((r) => setTimeout(r, 20))
    for (const r of resources) assert.equal(await inspect.get(r), lock.value)
    const other = new Redlock([`redis://127.0.0.1:${solo[0].port}`, `redis://127.0.0.1:${solo[1].port}`, io], { retryCount: 0 })
    await assert.rejects(other.acquire(['{order:1}:b'], 1000), { name: 'ExecutionError' })
    await lock.release()
    // The release too resolves at the quorum; the cluster's delete may land a moment later.
    for (let i = 0; i < 100 && (await inspect.exists(...resources)) > 0; i++) await new Promise((r) => setTimeout(r, 20))
    for (const r of resources) assert.equal(await inspect.exists(r), 0)
    await other.quit()
    await redlock.quit()
  })

  test('keys in different hash slots are refused before any I/O, naming the slots', async () => {
    // "Before any I/O" is observed on the cluster's nodes, not by a stopwatch: no connection
    // accepted and no command executed (INFO stats / commandstats) between before and after.
    const io = async () => ({
      connections: await Promise.all(cluster.nodes.map(async (s) => Number(/total_connections_received:(\d+)/.exec(await s.redis.info('stats'))[1]))),
      commands: await Promise.all(cluster.nodes.map(commandCount)),
    })
    const redlock = new Redlock([{ cluster: [`127.0.0.1:${cluster.ports[0]}`] }], { retryCount: 3 })
    const before = await io()
    await assert.rejects(
      redlock.acquire(['foo', 'bar'], 1000),
      (e) => e instanceof RangeError && /hash slot/.test(e.message) && /12182/.test(e.message) && /5061/.test(e.message),
    )
    assert.deepEqual(await io(), before, 'no connection and no command reached any cluster node')
    assert.equal(await inspect.exists('foo'), 0)
    // The counters do see this redlock's I/O: a valid single-slot acquire moves them.
    const lock = await redlock.acquire([uniqueResource('slot-io')], 1000)
    const after = await io()
    assert.ok(after.connections.some((n, i) => n > before.connections[i]), `a connection was opened: ${JSON.stringify(after)}`)
    assert.ok(after.commands.some((n, i) => n > before.commands[i]), `commands were executed: ${JSON.stringify(after)}`)
    await lock.release()
    await redlock.quit()
  })

  test('single-resource locks spread over the cluster; the original API works too', async () => {
    const redlock = new Redlock([{ cluster: [{ host: '127.0.0.1', port: cluster.ports[2] }] }], { retryCount: 0 })
    const names = Array.from({ length: 20 }, () => uniqueResource('spread'))
    for (const n of names) assert.equal(await redlock.acquireLock(n, 5000), true)
    for (const n of names) assert.equal(await inspect.get(n), redlock.id)
    for (const n of names) await redlock.releaseLock(n, redlock.id)
    for (const n of names) assert.equal(await inspect.exists(n), 0)
    await redlock.quit()
  })

  test('fencing on a Cluster: counters beside the lock keys in their slots; a key whose counter cannot share its slot is a RangeError', async () => {
    const redlock = new Redlock([{ cluster: [`127.0.0.1:${cluster.ports[0]}`] }], { retryCount: 0, fencing: true })
    // Keys all over the slots, a hash tag, a multi-key lock: each script call stays in one slot.
    const single = Array.from({ length: 10 }, () => uniqueResource('fence-cl'))
    for (const r of single) {
      const t1 = await redlock.acquire([r], 3000)
      await t1.release()
      const t2 = await redlock.acquire([r], 3000)
      await t2.release()
      assert.deepEqual([t1.fencingToken, t2.fencingToken], [1, 2])
      assert.equal(await inspect.get(`{${r}}:redlock-fence`), '2')
    }
    const tagged = [`{fence-cl:${single[0]}}:a`, `{fence-cl:${single[0]}}:b`]
    const multi = await redlock.acquire(tagged, 3000)
    assert.equal(multi.fencingToken, 1)
    await multi.release()
    assert.equal(await inspect.get(`${tagged[1]}:redlock-fence`), '1')
    await assert.rejects(
      redlock.acquire(['a}b'], 1000),
      (e) => e instanceof RangeError && /settings\.fencing/.test(e.message) && /"a}b"/.test(e.message),
    )
    // Without fencing the same resource is fine.
    const plain = await redlock.acquire(['a}b'], 1000, { fencing: false })
    await plain.release()
    await redlock.quit()
  })

  test('a node-redis createCluster client is accepted once connected', async () => {
    const nr = createCluster({ rootNodes: [{ url: `redis://127.0.0.1:${cluster.ports[0]}` }] })
    assert.throws(() => new Redlock([nr]), /not connected yet/)
    await nr.connect()
    const redlock = new Redlock([nr], { retryCount: 0 })
    const lock = await redlock.acquire([uniqueResource('nr-cluster')], 3000)
    assert.equal(await inspect.get(lock.resources[0]), lock.value)
    await lock.release()
    await redlock.quit()
  })
})
