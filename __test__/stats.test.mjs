// Per-node statistics and events complete, the verdict still early (issue 11 item 1): an
// attempt's ExecutionStats Promise resolves once every node has voted (or hit its per-node
// timeout), while the operation itself settles as soon as a quorum agrees; one 'error' per
// refusing or failing node, one 'clientError' per failing node (rollbacks included); a
// per-node error reads as the caller's own client would say it (issue 11 item 5).
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { startServers, stopAll, uniqueResource, freePort } from './helpers/redis.mjs'

const require = createRequire(import.meta.url)
const Redlock = require('../index.js')
const { ResourceLockedError } = Redlock
const IORedis = require('ioredis')
const nodeRedis = require('redis')
const nodeRedis3 = require('redis3')

const TTL = 10_000
const url = (s) => `redis://127.0.0.1:${s.port}`

let servers, deadPort, deadPort2
before(async () => {
  servers = await startServers(3)
  // Nothing listens there: connection refused.
  deadPort = await freePort()
  deadPort2 = await freePort()
})
after(async () => {
  for (const s of servers) s.resume()
  await stopAll()
})

/** A Redlock over `entries`, its connections up before anything is measured. */
async function redlock(entries, settings = {}) {
  const rl = new Redlock(entries, { retryCount: 0, ...settings })
  const warm = await rl.acquire([uniqueResource('warm')], 1000).catch(() => null)
  if (warm) await warm.release().catch(() => {})
  return rl
}

/** Counts the Redlock's 'error' and 'clientError' events from now on. */
function countEvents(rl) {
  const got = { error: [], clientError: [] }
  rl.on('error', (e) => got.error.push(e))
  rl.on('clientError', (e) => got.clientError.push(e))
  return got
}

/** Whether `p` has settled by now (after the microtasks queued so far). */
async function settledNow(p) {
  let done = false
  p.then(() => (done = true), () => (done = true))
  await new Promise((r) => setImmediate(r))
  return done
}

/** The error of a rejected `p`. */
async function rejection(p) {
  try {
    await p
  } catch (e) {
    return e
  }
  assert.fail('expected a rejection')
}

test('three fast servers: every attempt of acquire, extend and release counts all three', async () => {
  const rl = await redlock(servers.map(url))
  const events = countEvents(rl)
  // The third of three answers after the quorum often enough that a few rounds show it.
  for (let i = 0; i < 20; i++) {
    const lock = await rl.acquire([uniqueResource('three')], TTL)
    const a = await lock.attempts[0]
    assert.equal(a.votesFor.size + a.votesAgainst.size, 3, `acquire ${i}: all three voted`)
    assert.equal(a.votesFor.size, 3)
    const ext = await lock.extend(TTL)
    const e = await ext.attempts[0]
    assert.equal(e.votesFor.size, 3, `extend ${i}: all three voted`)
    const rel = await ext.release()
    const r = await rel.attempts[0]
    assert.equal(r.votesFor.size, 3, `release ${i}: all three voted`)
  }
  assert.equal(events.error.length, 0)
  await rl.quit()
})

test('a stopped server past its timeout: the verdict comes first, the stats then hold its timeout', async () => {
  const rl = await redlock(servers.map(url), { nodeTimeout: 1500 })
  const events = countEvents(rl)
  const order = []
  servers[2].pause()
  try {
    const lock = await rl.acquire([uniqueResource('stopped')], TTL)
    order.push('settled')
    const stats = lock.attempts[0]
    stats.then(() => order.push('stats'))
    assert.equal(await settledNow(stats), false, 'the stats wait for the stopped server')
    assert.equal(events.error.length, 0, 'its error is not known yet at the verdict')
    const s = await stats
    assert.deepEqual(order, ['settled', 'stats'])
    assert.equal(s.votesFor.size, 2)
    assert.equal(s.votesAgainst.size, 1)
    const [key, err] = [...s.votesAgainst][0]
    assert.equal(key, url(servers[2]))
    assert.match(err.message, /^node 2 \(127\.0\.0\.1:\d+\) timed out after 1500 ms$/)
    assert.deepEqual(err.node, { index: 2, address: `127.0.0.1:${servers[2].port}`, detail: 'timed out after 1500 ms' })
    assert.deepEqual(events.error, [err], "one 'error', the stats' own, once its vote is known")
    assert.deepEqual(events.clientError, [err])
    // A release waits for every server (or its timeout) by design: its statistics count the
    // stopped one too.
    const rel = await lock.release()
    const rs = await rel.attempts[0]
    assert.equal(rs.votesFor.size, 2)
    assert.match(rs.votesAgainst.get(url(servers[2])).message, /^node 2 .* timed out after \d+ ms$/)
  } finally {
    servers[2].resume()
  }
  await rl.quit()
})

test('a slow server that answers before its timeout: counted for, after the verdict', async () => {
  const rl = await redlock(servers.map(url), { nodeTimeout: 5000 })
  const events = countEvents(rl)
  servers[1].pause()
  let stats
  try {
    const lock = await rl.acquire([uniqueResource('slow')], TTL)
    stats = lock.attempts[0]
    assert.equal(await settledNow(stats), false, 'settled while server 1 was still stopped')
  } finally {
    servers[1].resume()
  }
  const s = await stats
  assert.equal(s.votesFor.size, 3, 'the late grant counts for')
  assert.ok(s.votesFor.has(url(servers[1])))
  assert.equal(events.error.length, 0)
  await rl.quit()
})

test('unbounded retries keep the last attempt only: its statistics still complete', async () => {
  const rl = await redlock(servers.map(url), { retryCount: -1, retryDelay: 100, retryJitter: 0, nodeTimeout: 300 })
  const key = uniqueResource('unbounded')
  // Held elsewhere for a while: a few refused attempts, then a grant by servers 0 and 1 with
  // server 2 stopped, whose timeout completes the kept attempt after the verdict.
  await servers[0].redis.set(key, 'other', 'PX', 700)
  await servers[1].redis.set(key, 'other', 'PX', 700)
  servers[2].pause()
  try {
    const lock = await rl.acquire([key], TTL)
    assert.equal(lock.attempts.length, 1)
    const s = await lock.attempts[0]
    assert.equal(s.votesFor.size, 2)
    assert.match(s.votesAgainst.get(url(servers[2])).message, /timed out after 300 ms$/)
  } finally {
    servers[2].resume()
  }
  await rl.quit()
})

test('refusals are ResourceLockedErrors, one error event per refusing node; a failed attempt counts every node', async () => {
  const rl = await redlock(servers.map(url))
  const events = countEvents(rl)
  const key = uniqueResource('held')
  await servers[0].redis.set(key, 'other', 'PX', TTL)
  await servers[1].redis.set(key, 'other', 'PX', TTL)
  const e = await rejection(rl.acquire([key], TTL))
  assert.ok(e instanceof Redlock.ExecutionError)
  const s = await e.attempts[0]
  assert.equal(s.votesAgainst.size, 2)
  for (const v of s.votesAgainst.values()) assert.ok(v instanceof ResourceLockedError)
  assert.equal(s.votesFor.size, 1, 'the free server granted (and was rolled back): counted for')
  assert.equal(events.error.length, 2)
  assert.ok(events.error.every((x) => x instanceof ResourceLockedError))
  assert.equal(events.clientError.length, 0, "refusals are no 'clientError'")
  assert.equal(await servers[2].redis.exists(key), 0)
  await rl.quit()
})

test('a refused connection: in votesAgainst with its error; events counted per attempt', async () => {
  const entries = [url(servers[0]), url(servers[1]), `redis://127.0.0.1:${deadPort}`]
  const rl = new Redlock(entries, { retryCount: 2, retryDelay: 50, retryJitter: 0 })
  const events = countEvents(rl)
  const key = uniqueResource('refused')
  await servers[0].redis.set(key, 'other', 'PX', TTL)
  const e = await rejection(rl.acquire([key], TTL))
  assert.equal(e.attempts.length, 3)
  for (const a of e.attempts) {
    const s = await a
    assert.equal(s.votesFor.size + s.votesAgainst.size, 3)
    assert.ok(s.votesAgainst.get(url(servers[0])) instanceof ResourceLockedError)
    const dead = s.votesAgainst.get(`redis://127.0.0.1:${deadPort}`)
    assert.match(dead.message, /^node 2 \(127\.0\.0\.1:\d+\) .*refused/i)
  }
  // Per attempt: one refusal ('error'), one failure and its rollback's failure (both events:
  // node-redlock v4 reports the unlock after a failed attempt, v5 the release after a failed
  // acquire).
  assert.equal(events.error.length, 3 * 3)
  assert.equal(events.error.filter((x) => x instanceof ResourceLockedError).length, 3)
  assert.equal(events.clientError.length, 3 * 2)
  assert.ok(events.clientError.every((x) => x.node.index === 2))
  assert.ok(events.clientError.every((x) => events.error.includes(x)), "each 'clientError' is an 'error' too")
  await rl.quit()
})

test("v4: a 'clientError' per server error, the rollbacks' included, all before the rejection", async () => {
  // Two unreachable servers: each attempt fails on both, and so does the rollback on both —
  // node-redlock 4.2.0 emits 4 per attempt here (2 lock + 2 unlock errors).
  const entries = [url(servers[0]), `redis://127.0.0.1:${deadPort}`, `redis://127.0.0.1:${deadPort2}`]
  const rl = new Redlock(entries, { retryCount: 1, retryDelay: 50, retryJitter: 0 })
  let emitted = 0
  rl.on('clientError', () => emitted++)
  const key = uniqueResource('v4')
  let atRejection = -1
  await rl.lock(key, TTL).catch((e) => {
    assert.ok(e instanceof Redlock.LockError)
    atRejection = emitted
  })
  assert.equal(atRejection, 2 * 4)
  assert.equal(await servers[0].redis.exists(key), 0)
  await rl.quit()
})

test("a client object's per-node error reads as that client's own; a URL keeps ours", async () => {
  const io = new IORedis({ host: '127.0.0.1', port: deadPort, lazyConnect: true })
  const nr = nodeRedis.createClient({ socket: { host: '127.0.0.1', port: deadPort } })
  const nr3 = nodeRedis3.createClient({ host: '127.0.0.1', port: deadPort, retry_strategy: () => undefined })
  nr3.on('error', () => {})
  const cases = [
    [io, 'Connection is closed.'],
    [nr, 'The client is closed'],
    [nr3, 'Redis connection in broken state: retry aborted.'],
  ]
  for (const [client, message] of cases) {
    const rl = new Redlock([url(servers[0]), url(servers[1]), client], { retryCount: 0 })
    const lock = await rl.acquire([uniqueResource('msg')], TTL)
    const s = await lock.attempts[0]
    const e = s.votesAgainst.get(client)
    assert.ok(e, 'the client object is the key')
    assert.equal(e.message, message)
    assert.equal(e.node.index, 2)
    assert.equal(e.node.address, `127.0.0.1:${deadPort}`)
    assert.match(e.node.detail, /refused/i)
    await rl.quit()
  }
  // The same node as a URL string: our own message, naming the node.
  const rl = new Redlock([url(servers[0]), url(servers[1]), `redis://127.0.0.1:${deadPort}`], { retryCount: 0 })
  const s = await (await rl.acquire([uniqueResource('msg')], TTL)).attempts[0]
  const [e] = [...s.votesAgainst.values()]
  assert.match(e.message, new RegExp(`^node 2 \\(127\\.0\\.0\\.1:${deadPort}\\) .*refused`, 'i'))
  await rl.quit()
  // An ioredis client and a timeout: ioredis's own message.
  const slow = new IORedis({ host: '127.0.0.1', port: servers[2].port, lazyConnect: true })
  const rl2 = await redlock([url(servers[0]), url(servers[1]), slow], { nodeTimeout: 300 })
  servers[2].pause()
  try {
    const t = await (await rl2.acquire([uniqueResource('msg')], TTL)).attempts[0]
    assert.equal(t.votesAgainst.get(slow).message, 'Command timed out')
  } finally {
    servers[2].resume()
  }
  await rl2.quit()
  nr3.end(false)
})

const CHILD = `
const Redlock = require(${JSON.stringify(fileURLToPath(new URL('../index.js', import.meta.url)))})
const [ports, quit] = JSON.parse(process.argv[1])
const rl = new Redlock(ports.map((p) => 'redis://127.0.0.1:' + p), { retryCount: 0, nodeTimeout: 3000 })
rl.acquire(['child:' + process.pid], 10000).then(async (lock) => {
  lock.attempts[0].then(() => console.log('stats'))
  console.log('acquired')
  if (quit) await rl.quit()
})
`

/** Runs the child; resolves its stdout once it exits, or null if it is still alive after `ms`. */
function runChild(args, ms) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', CHILD, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      resolve(null)
    }, ms)
    child.on('exit', () => {
      clearTimeout(timer)
      resolve(out)
    })
  })
}

test('a process that acquires with one server stopped exits on its own: the stats hold it no longer than the per-node timeout', async () => {
  const ports = servers.map((s) => s.port)
  servers[2].pause()
  try {
    for (const quit of [true, false]) {
      // 3 s of per-node timeout and a generous bound for a loaded machine; the server stays
      // stopped throughout.
      const out = await runChild([ports, quit], 20_000)
      assert.notEqual(out, null, `quit: ${quit}: the child still ran after 20 s`)
      assert.match(out, /acquired/)
    }
  } finally {
    servers[2].resume()
  }
})
