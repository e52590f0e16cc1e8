// A rejected acquire leaves nothing behind (issue 11, 2b; docs/semantics.md "Retries and
// rollback"): before the Promise rejects, the attempt's rollback has finished on every server
// that answers within the per-node timeout — also on a server whose answer came after the
// verdict (two servers down make the verdict certain before the live one answers).
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { startServers, stopAll, uniqueResource, withPaused } from './helpers/redis.mjs'

const require = createRequire(import.meta.url)
const Redlock = require('../index.js')

let servers
before(async () => {
  servers = await startServers(3)
})
after(async () => {
  await stopAll()
})

const urls = () => servers.map((s) => `redis://127.0.0.1:${s.port}`)

test('two servers down, one live: right after each rejection the live server holds no key (30 tries, v5 and original API)', async () => {
  const rl = new Redlock(urls(), { retryCount: 1, retryDelay: 10, retryJitter: 0 })
  await servers[1].kill()
  await servers[2].kill()
  try {
    let left = 0
    for (let i = 0; i < 30; i++) {
      const key = uniqueResource('rejected')
      const v5 = i % 2 === 0
      const r = v5
        ? await rl.acquire([key], 10_000).then(() => 'granted', (e) => e)
        : await rl.acquireLock(key, 10_000).then((ok) => (ok ? 'granted' : 'refused'), (e) => e)
      if (v5) assert.ok(r instanceof Redlock.ExecutionError, `rejected: ${r}`)
      else assert.ok(r instanceof Error || r === 'refused', `not granted: ${r}`)
      if ((await servers[0].redis.exists(key)) !== 0) left++
    }
    assert.equal(left, 0, `a key was left on the live server after ${left} of 30 rejections`)
  } finally {
    await rl.quit()
    await servers[1].restart()
    await servers[2].restart()
  }
})

test('a server that answers after the verdict: the rejection waits for it and for its rollback', async () => {
  // Servers 1 and 2 are down: their errors make the verdict certain at once, while server 0
  // (paused for 200 ms, within its 1 s timeout) has not answered. Its grant arrives after the
  // verdict; the rejection must come after it was rolled back, not before it landed.
  const rl = new Redlock(urls(), { retryCount: 0, nodeTimeout: 1000 })
  const warm = await rl.tryAcquire([uniqueResource('warm')], 1000).catch(() => null)
  if (warm) await warm.release()
  await servers[1].kill()
  await servers[2].kill()
  try {
    const key = uniqueResource('late')
    servers[0].pause()
    const resumed = new Promise((res) =>
      setTimeout(() => {
        servers[0].resume()
        res(performance.now())
      }, 200),
    )
    const t0 = performance.now()
    const r = await rl.acquire([key], 10_000).then(() => 'granted', (e) => e)
    const ms = performance.now() - t0
    const exists = await servers[0].redis.exists(key)
    await resumed
    assert.ok(r instanceof Redlock.ExecutionError, `rejected: ${r}`)
    assert.ok(ms >= 190, `rejected after ${Math.round(ms)} ms: before server 0 (paused for 200 ms) had answered`)
    assert.equal(exists, 0, 'server 0 rolled back its late grant before the rejection')
    assert.equal(await servers[0].redis.exists(key), 0)
  } finally {
    servers[0].resume()
    await rl.quit()
    await servers[1].restart()
    await servers[2].restart()
  }
})
