// The addon is context-aware: it loads in worker threads, works there, and a worker that is
// terminated mid-operation neither crashes the process nor keeps it alive.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { Worker } from 'node:worker_threads'
import { fileURLToPath } from 'node:url'
import { join, dirname } from 'node:path'
import { startServers, stopAll, uniqueResource } from './helpers/redis.mjs'

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
  if (!workerData.hang) { await lock.release(); await r.quit() }
  else await r.acquire([workerData.resource], 5000, { retryCount: -1, retryDelay: 10 }) // never granted
})()
`

test('locks work inside worker threads, several in turn', async () => {
  const urls = servers.map((s) => `redis://127.0.0.1:${s.port}`)
  for (let i = 0; i < 3; i++) {
    const resource = uniqueResource('worker')
    const { w, message } = runWorker(body, { index, urls, resource, hang: false })
    const m = await message
    assert.match(m.value, /^[0-9a-f]{32}$/)
    assert.equal(m.used, 'ran')
    await new Promise((r) => w.once('exit', r))
    for (const s of servers) assert.equal(await s.redis.exists(resource), 0)
  }
})

test('terminating a worker mid-acquire is clean', async () => {
  const urls = servers.map((s) => `redis://127.0.0.1:${s.port}`)
  const resource = uniqueResource('worker-hang')
  const { w, message } = runWorker(body, { index, urls, resource, hang: true })
  await message
  const code = await w.terminate()
  assert.equal(typeof code, 'number')
  // The main thread still works after the worker's environment was torn down.
  const Redlock = (await import('../index.js')).default
  const r = new Redlock(urls, { retryCount: 0 })
  const lock = await r.acquire([uniqueResource('after-worker')], 1000)
  await lock.release()
  await r.quit()
})
