// redlock-rs fencing tokens: a holder paused past its TTL is refused by the resource.
//
//   node examples/fencing.mjs            starts three local redis-server processes
//   REDIS_URLS=redis://a:6379,redis://b:6379,redis://c:6379 node examples/fencing.mjs
//                                        uses those servers instead (starts none); the first
//                                        one also plays the protected store
//
// The story (Kleppmann, "How to do distributed locking"): holder A takes the lock with a
// fencing token, then stalls (a GC pause, a frozen VM) past its TTL. Holder B takes the lock
// meanwhile — with a greater token — and writes. A wakes up believing it still holds the lock
// and writes with its old token: the store refuses it, because it accepts a write only with a
// token greater than the last one it accepted. Exits non-zero if the stale write got through.
// See docs/fencing.md for the construction and its assumptions.

import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { createRequire } from 'node:module'
// Inside this repository 'redlock-rs' resolves to the package itself (package.json "exports").
import Redlock from 'redlock-rs'
// The repository's throw-away redis-servers (free ports, never left running: see the file).
import { startServers, stopAll } from '../__test__/helpers/redis.mjs'

const require = createRequire(import.meta.url)
const IORedis = require('ioredis')

const TTL_MS = 300
const RESOURCE = `redlock-rs:fencing-demo:${randomBytes(6).toString('hex')}`
const DATA_KEY = `${RESOURCE}:data`

// ---------------------------------------------------------------------------------------------
// The protected resource: a store that checks tokens atomically (one Lua script) and durably
// (the token is stored with the data, on the same server, in the same write).

/**
 * KEYS[1] = the data, KEYS[2] = the highest token accepted for it; ARGV[1] = the writer's token,
 * ARGV[2] = the new value. Writes and returns 1 only when the token is greater than the last
 * accepted one; otherwise returns 0 and changes nothing.
 */
const FENCED_WRITE_LUA = `
local last = tonumber(redis.call('GET', KEYS[2]) or '0')
local token = tonumber(ARGV[1])
if token <= last then return 0 end
redis.call('SET', KEYS[2], ARGV[1])
redis.call('SET', KEYS[1], ARGV[2])
return 1
`

/** The same check in SQL, for a table with a `fence` column (shown, not run): 0 rows = refused. */
const FENCED_WRITE_SQL = `UPDATE accounts
   SET balance = $2, fence = $3
 WHERE id = $1 AND fence < $3   -- $3: the writer's fencing token`

class FencedStore {
  constructor(redis) {
    this.redis = redis
  }
  /** Writes `value` iff `token` is greater than every token accepted so far; true if written. */
  async write(token, value) {
    const ok = await this.redis.eval(FENCED_WRITE_LUA, 2, DATA_KEY, `${DATA_KEY}:fence`, token, value)
    return ok === 1
  }
  read() {
    return this.redis.get(DATA_KEY)
  }
}

// ---------------------------------------------------------------------------------------------

async function main() {
  let urls
  if (process.env.REDIS_URLS !== undefined && process.env.REDIS_URLS.trim() !== '') {
    urls = process.env.REDIS_URLS.split(',').map((u) => u.trim()).filter(Boolean)
    console.log(`Using ${urls.length} Redis server(s) from REDIS_URLS (none started).`)
  } else {
    console.log('Starting 3 local redis-server processes (set REDIS_URLS to use your own)...')
    const servers = await startServers(3)
    urls = servers.map((s) => `redis://127.0.0.1:${s.port}`)
  }
  // `fencing: true`: every lock of this Redlock comes with `lock.fencingToken`.
  const redlock = new Redlock(urls, { fencing: true, retryCount: 20, retryDelay: 50 })
  const storeClient = new IORedis(urls[0])
  const store = new FencedStore(storeClient)
  try {
    const a = await redlock.acquire([RESOURCE], TTL_MS)
    console.log(`A holds the lock with fencing token ${a.fencingToken}.`)
    console.log(`A stalls for ${2 * TTL_MS} ms (longer than its ${TTL_MS} ms TTL)...`)
    const stall = sleep(2 * TTL_MS)

    // Meanwhile A's lock expires and B takes it (its retries wait for the expiry).
    const b = await redlock.acquire([RESOURCE], 5000)
    console.log(`B holds the lock with fencing token ${b.fencingToken}.`)
    const bWrote = await store.write(b.fencingToken, 'written by B')
    console.log(`B writes with token ${b.fencingToken}: ${bWrote ? 'accepted' : 'refused'}.`)

    await stall
    // A wakes up and, unaware its lock is gone, writes with its old token.
    const aWrote = await store.write(a.fencingToken, 'written by A after its pause')
    console.log(`A writes with token ${a.fencingToken}: ${aWrote ? 'ACCEPTED (unsafe!)' : 'refused'}.`)
    await b.release()
    console.log(`The store holds: "${await store.read()}".`)
    console.log(`\nThe same check in SQL:\n${FENCED_WRITE_SQL}`)
    if (aWrote || !bWrote) {
      console.error('FAILED: the store accepted a stale write (or refused the current holder).')
      process.exitCode = 1
    } else {
      console.log('\nOK: the paused holder was refused by its token.')
    }
  } finally {
    await storeClient.del(DATA_KEY, `${DATA_KEY}:fence`).catch(() => {})
    await storeClient.quit().catch(() => {})
    await redlock.quit().catch(() => {})
    await stopAll()
  }
}

main().catch(async (error) => {
  console.error(error)
  await stopAll()
  process.exitCode = 1
})
