// Admin faults for the fault-injection tests, sent to servers this test process started (never to
// the shared 6379). Each function takes a server handle from helpers/redis.mjs
// and uses its inspection client; each one that changes the server returns a `restore()`.
//
//   await clientPauseWrite(s, ms)          // CLIENT PAUSE ms WRITE (writes and scripts wait)
//   const undo = await oom(s)               // CONFIG SET maxmemory 1 + noeviction → OOM errors
//   const undo = await replicaOf(s, primary) // REPLICAOF 127.0.0.1 <port> → READONLY (optionally
//                                           // through a fault proxy: { port })
//   await replicaOfNoOne(s)                 // REPLICAOF NO ONE (promote)
//   await scriptFlush(s)                    // SCRIPT FLUSH → NOSCRIPT for EVALSHA
//   const { url, username, password } = await aclUser(s, { rules })
//                                           // a user that may connect but not run the lock
//                                           // scripts (NOPERM), unless other rules are given
//   await wrongType(s, key)                 // HSET key …: WRONGTYPE for GET/SET on it
//   const undo = await misconf(s)           // a failed BGSAVE with stop-writes-on-bgsave-error →
//                                           // MISCONF on writes (needs s.dir: its own dir)
//   const stop = await busyScript(s)        // a Lua busy loop: other clients get BUSY until stop()
//
// Loopback only: every target is 127.0.0.1.

import fs from 'node:fs'
import path from 'node:path'
import { createRequire } from 'node:module'
import { sleep } from '../helpers/redis.mjs'

const require = createRequire(import.meta.url)
const IORedis = require('ioredis')

const HOST = '127.0.0.1'

/** A short-lived extra connection to `s` (for commands that block the connection). */
function extraConnection(s) {
  const r = new IORedis({
    host: HOST,
    port: s.port,
    password: s.password,
    maxRetriesPerRequest: 1,
    connectTimeout: 1000,
    retryStrategy: () => null,
    enableOfflineQueue: true,
  })
  r.on('error', () => {})
  return r
}

/** `CLIENT PAUSE ms WRITE`: write commands (and EVAL/EVALSHA) wait for `ms`. */
export async function clientPauseWrite(s, ms) {
  await s.redis.call('CLIENT', 'PAUSE', String(Math.round(ms)), 'WRITE')
  return async () => {
    await s.redis.call('CLIENT', 'UNPAUSE')
  }
}

/** `CONFIG SET maxmemory 1` with `noeviction`: every write that may grow memory fails with OOM. */
export async function oom(s) {
  const [, maxmemory] = await s.redis.config('GET', 'maxmemory')
  const [, policy] = await s.redis.config('GET', 'maxmemory-policy')
  await s.redis.config('SET', 'maxmemory-policy', 'noeviction')
  await s.redis.config('SET', 'maxmemory', '1')
  return async () => {
    await s.redis.config('SET', 'maxmemory', maxmemory)
    await s.redis.config('SET', 'maxmemory-policy', policy)
  }
}

/**
 * `REPLICAOF 127.0.0.1 <primary.port>`: writes from clients fail with READONLY. With `waitSync`,
 * waits (bounded by `ms`) until the replica's link is up, and throws if it is not. The primary's
 * `repl-diskless-sync-delay` is set to 0 first (Redis 7 waits 5 s for more replicas by default).
 * `port`: replicate through another port (a fault proxy in front of the primary).
 */
export async function replicaOf(s, primary, { waitSync = false, ms = 5000, port = primary.port } = {}) {
  await primary.redis.config('SET', 'repl-diskless-sync-delay', '0')
  await s.redis.call('REPLICAOF', HOST, String(port))
  if (waitSync) {
    const deadline = Date.now() + ms
    let up = false
    for (let i = 0; i < 500 && Date.now() < deadline && !up; i++) {
      const info = await s.redis.info('replication')
      up = /master_link_status:up/.test(info)
      if (!up) await sleep(10)
    }
    if (!up) throw new Error(`admin: replica ${s.port} did not sync with ${primary.port} within ${ms} ms`)
  }
  return () => replicaOfNoOne(s)
}

/** `REPLICAOF NO ONE`: promotes a replica to a primary. */
export async function replicaOfNoOne(s) {
  await s.redis.call('REPLICAOF', 'NO', 'ONE')
}

/** `SCRIPT FLUSH`: every cached script is gone; EVALSHA answers NOSCRIPT. */
export async function scriptFlush(s) {
  await s.redis.call('SCRIPT', 'FLUSH')
}

/**
 * An ACL user that can connect. By default it may not run scripts (`-@scripting`), so the lock
 * scripts fail with NOPERM. Returns its URL (to this server, not a proxy) and credentials.
 */
export async function aclUser(s, { username, password, rules = ['~*', '&*', '+@all', '-@scripting'] } = {}) {
  const name = username || `noperm${Math.random().toString(36).slice(2, 8)}`
  const pass = password || `pw${Math.random().toString(36).slice(2)}`
  await s.redis.call('ACL', 'SETUSER', name, 'reset', 'on', `>${pass}`, ...rules)
  return {
    username: name,
    password: pass,
    url: `redis://${name}:${pass}@${HOST}:${s.port}`,
    remove: () => s.redis.call('ACL', 'DELUSER', name),
  }
}

/** Makes `key` a hash: GET/SET on it answer WRONGTYPE (a lock script sees the key as taken). */
export async function wrongType(s, key) {
  // One transaction: a write landing between the DEL and the HSET cannot make the HSET fail.
  const r = await s.redis.multi().del(key).hset(key, 'field', 'not a lock').exec()
  for (const [err] of r) if (err) throw err
}

/**
 * MISCONF: with RDB snapshots configured and `stop-writes-on-bgsave-error yes`, a failed BGSAVE
 * makes the server refuse writes. The save fails because a non-empty directory stands where the
 * RDB file goes (the final rename fails), so `s` must have a data directory of its own (`s.dir`:
 * every server of helpers/redis.mjs has one; `dir` and `dbfilename` are protected configs in Redis 7, they
 * cannot be changed at run time).
 */
export async function misconf(s, { ms = 3000 } = {}) {
  if (!s.dir) throw new Error('misconf needs a server with its own data directory (helpers/redis.mjs)')
  const [, save] = await s.redis.config('GET', 'save')
  const [, stop] = await s.redis.config('GET', 'stop-writes-on-bgsave-error')
  await s.redis.config('SET', 'save', '3600 1')
  await s.redis.config('SET', 'stop-writes-on-bgsave-error', 'yes')
  const [, dbfilename] = await s.redis.config('GET', 'dbfilename')
  const blocker = path.join(s.dir, dbfilename)
  fs.rmSync(blocker, { recursive: true, force: true })
  fs.mkdirSync(blocker)
  fs.writeFileSync(path.join(blocker, 'keep'), 'the RDB rename fails on a non-empty directory')
  await s.redis.call('BGSAVE').catch(() => {})
  await waitInfo(s, 'persistence', /rdb_last_bgsave_status:err/, ms, 'BGSAVE did not fail')
  return async () => {
    fs.rmSync(blocker, { recursive: true, force: true })
    // A successful save clears the error state (fast: the test databases are small).
    await s.redis.call('BGSAVE').catch(() => {})
    await waitInfo(s, 'persistence', /rdb_last_bgsave_status:ok/, ms, 'BGSAVE did not succeed')
    await s.redis.config('SET', 'save', save)
    await s.redis.config('SET', 'stop-writes-on-bgsave-error', stop)
  }
}

/** Polls INFO `section` (bounded) until `re` matches and no BGSAVE is in progress. */
async function waitInfo(s, section, re, ms, what) {
  const deadline = Date.now() + ms
  for (let i = 0; i < 300 && Date.now() < deadline; i++) {
    const info = await s.redis.info(section)
    if (re.test(info) && !/rdb_bgsave_in_progress:1/.test(info)) return
    await sleep(10)
  }
  throw new Error(`admin: ${what} within ${ms} ms`)
}

/**
 * BUSY: a Lua busy loop on an extra connection. After `busy-reply-threshold` (set to `thresholdMs`),
 * other clients get "BUSY Redis is busy running a script". `stop()` sends SCRIPT KILL and restores
 * the threshold. The loop also ends by itself after `maxMs` of wall time (bounded either way).
 */
export async function busyScript(s, { thresholdMs = 20, maxMs = 5000 } = {}) {
  const [, threshold] = await s.redis.config('GET', 'busy-reply-threshold')
  await s.redis.config('SET', 'busy-reply-threshold', String(thresholdMs))
  const busy = extraConnection(s)
  const killer = extraConnection(s)
  await busy.ping()
  await killer.ping()
  // Bounded by TIME: read-only, so SCRIPT KILL can stop it.
  const script = `local t0 = redis.call('TIME') local e = tonumber(ARGV[1]) * 1000
    while true do local t = redis.call('TIME')
      if (t[1] - t0[1]) * 1000000 + (t[2] - t0[2]) > e then return 1 end end`
  const running = busy.eval(script, 0, String(maxMs)).catch((e) => e)
  await sleep(thresholdMs + 30)
  let stopped = false
  return async () => {
    if (stopped) return
    stopped = true
    for (let i = 0; i < 20; i++) {
      const r = await killer.call('SCRIPT', 'KILL').catch((e) => e)
      if (r === 'OK' || /NOTBUSY/.test(String(r && r.message))) break
      await sleep(20)
    }
    await Promise.race([running, sleep(maxMs)])
    busy.disconnect()
    killer.disconnect()
    await s.redis.config('SET', 'busy-reply-threshold', threshold)
  }
}
