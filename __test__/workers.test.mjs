// The addon is context-aware: it loads in worker threads, works there, and a worker that is
// terminated mid-operation neither crashes the process nor keeps it alive.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { Worker } from 'node:worker_threads'
import { fileURLToPath } from 'node:url'
import { join, dirname } from 'node:path'
import { createRequire } from 'node:module'
import { startServers, stopAll, uniqueResource, sleep, eventually, connectedClients } from './helpers/redis.mjs'
import { lockCommands } from './faults/matrix.mjs'

const Redlock = createRequire(import.meta.url)('../index.js')

const index = join(dirname(fileURLToPath(import.meta.url)), '..', 'index.js')
let servers
before(async () => {
  servers = await startServers(3)
})
after(() => stopAll())

function runWorker(code, data) {
  const w = new Worker(code, { eval: true, workerData: data })
  return { w, message: new Promise((res, rej) => { w.once('message', res); w.once('error', rej) }) }
}

const body = `
const { parentPort, workerData } = require('node:worker_threads')
const Redlock = require(workerData.index)
;(async () => {
  const r = new Redlock(workerData.urls, { retryCount: 0 })
  const lock = await r.acquire([workerData.resource], 2000)
  const used = await r.using([workerData.resource + ':u'], 1000, async () => 'ran')
  parentPort.postMessage({ value: lock.value, used })
  await lock.release()
  await r.quit()
})()
`

test('locks work inside worker threads, several in turn', async () => {
  const urls = servers.map((s) => `redis://127.0.0.1:${s.port}`)
  for (let i = 0; i < 3; i++) {
    const resource = uniqueResource('worker')
    const { w, message } = runWorker(body, { index, urls, resource })
    const m = await message
    assert.match(m.value, /^[0-9a-f]{32}$/)
    assert.equal(m.used, 'ran')
    await new Promise((r) => w.once('exit', r))
    for (const s of servers) assert.equal(await s.redis.exists(resource), 0)
  }
})

// An acquire that waits for a lock the main thread holds: it retries every 10 ms until terminated.
const waiter = `
const { parentPort, workerData } = require('node:worker_threads')
const Redlock = require(workerData.index)
const r = new Redlock(workerData.urls, { retryCount: -1, retryDelay: 10, retryJitter: 0 })
const pending = r.acquire([workerData.resource], 5000)
parentPort.postMessage({ ev: 'started' })
pending.then(
  (l) => parentPort.postMessage({ ev: 'acquired', value: l.value }),
  (e) => parentPort.postMessage({ ev: 'failed', error: String(e && e.message) }),
)
`

test('terminating a worker while its acquire is in flight (waiting for a held lock) is clean: terminate() resolves 1, no crash or settlement in the worker, the main thread carries on', async (t) => {
  const urls = servers.map((s) => `redis://127.0.0.1:${s.port}`)
  const resource = uniqueResource('worker-wait')
  const main = new Redlock(urls, { retryCount: 0 })
  const held = await main.acquire([resource], 10000)
  try {
    const clients0 = await Promise.all(servers.map(connectedClients))
    const { w, message } = runWorker(waiter, { index, urls, resource })
    const events = []
    w.on('message', (m) => events.push(m))
    w.on('error', (e) => events.push({ ev: 'error', error: String(e && e.message) }))
    assert.deepEqual(await message, { ev: 'started' })
    // In flight: its attempts reach every server again and again (refused: the lock is held).
    const a0 = await Promise.all(servers.map(lockCommands))
    const trying = await eventually(
      async () => (await Promise.all(servers.map(lockCommands))).every((n, i) => n - a0[i] >= 3),
      { tries: 150, interval: 20 },
    )
    assert.ok(trying, 'the worker\'s acquire kept trying on every server')
    const code = await w.terminate()
    assert.equal(code, 1, 'terminate() resolves with exit code 1')
    assert.deepEqual(events.filter((m) => m.ev !== 'started'), [], 'the worker neither got the lock nor failed nor crashed before it was terminated')

    // BUG (found by this test): the terminated worker's acquire goes on in the native runtime —
    // a new attempt every ~10 ms on every server, its connections stay open, and once the lock
    // is free it takes it (a lock nobody holds, for its whole TTL). Marked todo until fixed in
    // src/ (the pending operations of an environment must be cancelled at its teardown).
    await t.test('the terminated worker\'s attempts stop and its connections close', async () => {
      await sleep(50) // the last request on the wire lands
      const a1 = await Promise.all(servers.map(lockCommands))
      await sleep(300)
      assert.deepEqual(await Promise.all(servers.map(lockCommands)), a1, 'no attempt of the terminated worker reaches a server')
      // The release listener's connection notices within its 1 s wake-up.
      const closed = await eventually(async () => (await Promise.all(servers.map(connectedClients))).every((n, i) => n <= clients0[i]), {
        tries: 150,
        interval: 20,
      })
      assert.ok(closed, `the worker's connections closed: ${await Promise.all(servers.map(connectedClients))} (before it: ${clients0})`)
    })

    // The main thread still works after the worker's environment was torn down.
    const other = await main.acquire([uniqueResource('after-worker')], 1000)
    await main.release(other)
  } finally {
    await main.release(held).catch(() => {})
    await Promise.all(servers.map((s) => s.redis.del(resource)))
    await main.quit()
  }
})
