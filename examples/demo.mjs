// redlock-rs demo: five workers contend for one lock over three Redis servers.
//
//   npm run demo                                   starts three local redis-server processes
//   REDIS_URLS=redis://a:6379,redis://b:6379,redis://c:6379 npm run demo
//                                                  uses those servers instead (starts none)
//
// Each worker has its own Redlock over its own client objects (so its own lock id), takes the
// lock a few times, and checks with an in-process "who is inside" flag that no two workers are
// ever in the critical section together. Each lock comes with a fencing token
// (`acquireFencedLock`, docs/fencing.md), and the demo checks that the tokens strictly increase
// in the order the workers held the lock. Exits non-zero if either check failed.
// (examples/fencing.mjs shows what a token is for: a store refusing a paused holder.)

import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
// Inside this repository 'redlock-rs' resolves to the package itself (package.json "exports").
import Redlock, { IoredisClient, RedisJsClient } from 'redlock-rs'
// The repository's throw-away redis-servers (free ports, never left running: see the file).
import { startServers, stopAll } from '../__test__/helpers/redis.mjs'

const WORKERS = 5
const SECTIONS_PER_WORKER = 4
const TTL_MS = 2000 // far longer than a critical section (30–80 ms)
const MAX_WAIT_MS = 20_000 // a worker gives up waiting for the lock after this long
const DEMO_DEADLINE_MS = 60_000 // the whole demo is aborted after this long
const RESOURCE = `redlock-rs:demo:${randomBytes(6).toString('hex')}`

/** A timer for `Promise.race` bounds: it does not keep the process alive on its own. */
const deadline = (ms) => sleep(ms, undefined, { ref: false })

const started = Date.now()
const stamp = () => `[${String(Date.now() - started).padStart(5)} ms]`
const log = (msg) => console.log(`${stamp()} ${msg}`)

// ---------------------------------------------------------------------------------------------
// Cleanup on every exit path

/** Every Redlock made by the demo, quit on exit. */
const redlocks = []
let cleanedUp = false

async function cleanup() {
  if (cleanedUp) return
  cleanedUp = true
  await Promise.race([
    Promise.allSettled(redlocks.map((r) => r.quit())),
    deadline(2000),
  ])
  await stopAll()
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    stopping = true
    console.log(`\n${stamp()} ${signal}: stopping`)
    cleanup().finally(() => process.exit(130))
  })
}

const watchdog = setTimeout(() => {
  console.error(`${stamp()} the demo did not finish within ${DEMO_DEADLINE_MS} ms; aborting`)
  cleanup().finally(() => process.exit(1))
}, DEMO_DEADLINE_MS)

// ---------------------------------------------------------------------------------------------
// The demo

/** Who is in the critical section right now (worker numbers): never more than one. */
const inside = new Set()
let lastHolder = null
/** Set when stopping on a signal: errors of the interrupted workers are expected then. */
let stopping = false
let violations = 0
/** The fencing token of the last critical section, and how often one did not increase. */
let lastToken = 0
let tokenViolations = 0
const waits = []
let refusals = 0

function makeRedlock(urls, worker) {
  // Even workers configure their clients like ioredis, odd ones like node-redis: both work.
  const clients = urls.map((url) =>
    worker % 2 === 0 ? new IoredisClient(url) : new RedisJsClient({ url }),
  )
  // A short internal retry; the worker below keeps trying while the lock is busy.
  const redlock = new Redlock(clients, { retryCount: 2, retryDelay: 40, retryJitter: 20 })
  redlocks.push(redlock)
  return { redlock, clients }
}

async function worker(n, redlock) {
  for (let section = 1; section <= SECTIONS_PER_WORKER; section++) {
    const t0 = Date.now()
    let granted = false
    let token = 0
    // Bounded in attempts and in time.
    for (let attempt = 0; attempt < 500 && Date.now() - t0 < MAX_WAIT_MS; attempt++) {
      // acquireLock with a fencing token: the token when granted, false when busy.
      const got = await redlock.acquireFencedLock(RESOURCE, TTL_MS)
      granted = got !== false
      if (granted) {
        token = got
        break
      }
      refusals++
      await sleep(10 + Math.floor(Math.random() * 20))
    }
    if (!granted) throw new Error(`worker ${n} could not get the lock within ${MAX_WAIT_MS} ms`)
    const waited = Date.now() - t0
    waits.push(waited)

    // --- critical section ---
    if (inside.size > 0) {
      violations++
      log(`!! MUTUAL EXCLUSION VIOLATED: worker ${n} got the lock while worker ${[...inside].join(', ')} ${inside.size > 1 ? 'are' : 'is'} inside`)
    }
    inside.add(n)
    if (token <= lastToken) {
      tokenViolations++
      log(`!! FENCING TOKEN DID NOT INCREASE: worker ${n} got token ${token} after ${lastToken}`)
    }
    lastToken = token
    const previous = lastHolder === null ? 'none' : lastHolder === n ? 'itself' : `worker ${lastHolder}`
    log(`worker ${n} got the lock with fencing token ${token} after waiting ${waited} ms (previous holder: ${previous})`)
    await sleep(30 + Math.floor(Math.random() * 50)) // "work"
    inside.delete(n)
    lastHolder = n
    // --- end of critical section ---

    await redlock.releaseLock(RESOURCE, redlock.id)
    // Do something else for a moment, giving the others a chance (the lock is not fair).
    await sleep(20 + Math.floor(Math.random() * 40))
  }
}

async function main() {
  let urls
  if (process.env.REDIS_URLS !== undefined && process.env.REDIS_URLS.trim() !== '') {
    urls = process.env.REDIS_URLS.split(',').map((u) => u.trim()).filter(Boolean)
    console.log(`Using ${urls.length} Redis server(s) from REDIS_URLS (none started).`)
  } else {
    console.log('Starting 3 local redis-server processes (set REDIS_URLS to use your own)...')
    const servers = await startServers(3).catch((e) => {
      throw new Error(`${e.message}\nOr point the demo at running servers: ` +
        'REDIS_URLS=redis://host1:6379,redis://host2:6379,redis://host3:6379 npm run demo')
    })
    urls = servers.map((s) => `redis://127.0.0.1:${s.port}`)
  }

  const workers = Array.from({ length: WORKERS }, (_, i) => ({ n: i + 1, ...makeRedlock(urls, i + 1) }))
  const first = workers[0].redlock
  // Show the servers as the clients see them (passwords redacted).
  const shown = urls.map((u) => new RedisJsClient({ url: u }))
  console.log(`Servers: ${shown.map((c) => c.url).join(', ')}`)
  for (const c of shown) await c.quit()
  console.log(`Quorum: ${first.quorum} of ${urls.length}; resource "${RESOURCE}"; TTL ${TTL_MS} ms ` +
    `(per-node timeout ${first.nodeTimeoutFor(TTL_MS)} ms)`)
  console.log(`${WORKERS} workers × ${SECTIONS_PER_WORKER} critical sections, each worker with its own Redlock ` +
    `and lock id (worker 1: ${first.id}).\n`)

  // Fail fast with a clear message if a server is unreachable.
  await Promise.all(workers[0].clients.map((c) => c.connect()))

  const t0 = Date.now()
  await Promise.all(workers.map((w) => worker(w.n, w.redlock)))
  const elapsed = Date.now() - t0

  // After the last release, the lock is free: a fresh Redlock gets it at once.
  const { redlock: checker } = makeRedlock(urls, 0)
  const freeAtEnd = await checker.acquireLock(RESOURCE, 1000)
  if (freeAtEnd) await checker.releaseLock(RESOURCE, checker.id)

  const total = waits.reduce((a, b) => a + b, 0)
  const ok = violations === 0 && tokenViolations === 0 && waits.length === WORKERS * SECTIONS_PER_WORKER
  console.log('\nSummary')
  console.log(`  critical sections:          ${waits.length} (expected ${WORKERS * SECTIONS_PER_WORKER}) in ${elapsed} ms`)
  console.log(`  waits for the lock:         total ${total} ms, avg ${Math.round(total / Math.max(1, waits.length))} ms, ` +
    `max ${Math.max(0, ...waits)} ms`)
  console.log(`  acquire answered false:     ${refusals} time(s) (the lock was busy)`)
  console.log(`  lock free at the end:       ${freeAtEnd ? 'yes' : 'no'}`)
  console.log(`  mutual exclusion verified:  ${violations === 0 ? 'yes' : `NO (${violations} violation(s))`}`)
  console.log(`  fencing tokens increasing:  ${tokenViolations === 0 ? `yes (last ${lastToken})` : `NO (${tokenViolations} time(s))`}`)
  return ok && freeAtEnd
}

let exitCode = 1
try {
  exitCode = (await main()) ? 0 : 1
} catch (err) {
  if (stopping) await new Promise(() => {}) // the signal handler exits
  const detail = process.env.DEBUG && err && err.stack ? err.stack : (err && err.message) || err
  console.error(`\n${stamp()} demo failed: ${detail}`)
  exitCode = 1
} finally {
  clearTimeout(watchdog)
  await cleanup()
}
process.exitCode = exitCode
