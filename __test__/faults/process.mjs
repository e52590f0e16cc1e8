// Process faults for the fault-injection tests: redis-server restarts (immediate or delayed, with
// or without AOF `appendfsync always`), SIGSTOP/SIGCONT, and child Node processes tracked by pid.
//
//   import { startAofServers, restartNow, restartAfter, pauseFor, spawnNode, stopChildren } from './faults/process.mjs'
//
//   const [s] = await startAofServers(1)      // like helpers/redis.mjs startServers, but with
//                                             // --appendonly yes --appendfsync always in its own
//                                             // dir (s.dir); { aof: false }: no persistence
//   await restartNow(server)                  // kill -9, start again at once (same port)
//   await restartAfter(server, ms)            // kill -9, stay down ≥ ms, start again
//   await pauseFor(server, ms)                // SIGSTOP, SIGCONT after ms (also on error)
//   stop(pid) / cont(pid)                     // SIGSTOP / SIGCONT any pid this process started
//   const child = spawnNode(file, { args, env }) // a tracked node child: .pid, .lines (JSON
//                                             // lines it printed), .next(pred, ms), .exited, .kill()
//   await stopChildren()                      // SIGCONT + SIGKILL every child still alive
//
// Servers of the helper (helpers/redis.mjs) are used as they are: its restart() is an
// immediate restart without persistence. Servers started here have the same handle interface
// (port, pid, redis, kill, pause, resume, restart, stop) and are stopped by stopAofServers(),
// and as a last resort by a process 'exit' handler; their data directories are removed.
// Every wait is bounded; every process is signalled by its own pid only.

import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createRequire } from 'node:module'
import { freePort, ping, sleep } from '../helpers/redis.mjs'

const require = createRequire(import.meta.url)
const IORedis = require('ioredis')

const HOST = '127.0.0.1'
const START_TIMEOUT_MS = 5000
const STOP_TIMEOUT_MS = 2000

function waitExit(child, ms) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true)
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve(true)
    })
  })
}

// ---------------------------------------------------------------------------------------------
// redis-server with AOF

const aofServers = new Set()

class AofServer {
  constructor(port, { fsync = 'always', aof = true } = {}) {
    this.port = port
    this.host = HOST
    this.aof = aof
    this.fsync = fsync
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redlock-rs-aof-'))
    this.child = null
    this.paused = false
    this.output = ''
    this._redis = null
  }

  get pid() {
    return this.child ? this.child.pid : undefined
  }

  get alive() {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null
  }

  async spawn() {
    this.output = ''
    fs.mkdirSync(this.dir, { recursive: true })
    const child = spawn(
      'redis-server',
      [
        '--port', String(this.port),
        '--bind', HOST,
        '--save', '',
        '--appendonly', this.aof ? 'yes' : 'no',
        '--appendfsync', this.fsync,
        '--dir', this.dir,
        '--protected-mode', 'no',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    this.child = child
    this.paused = false
    const keep = (d) => {
      this.output = (this.output + d.toString()).slice(-4000)
    }
    child.stdout.on('data', keep)
    child.stderr.on('data', keep)
    child.on('error', keep)
    child.unref()
    child.stdout.unref?.()
    child.stderr.unref?.()
    aofServers.add(this)
    const deadline = Date.now() + START_TIMEOUT_MS
    for (let i = 0; i < 250 && Date.now() < deadline; i++) {
      if (!this.alive) break
      // PING answers -LOADING while the AOF is replayed: wait for +PONG.
      if (await ping(this.port, 200)) {
        const loaded = await this.redis.ping().then(
          (r) => r === 'PONG',
          () => false,
        )
        if (loaded) {
          // Another test process may have taken the port between freePort() and our bind: the
          // server that answers must be our child.
          const info = await this.redis.info('server').catch(() => '')
          const m = /process_id:(\d+)/.exec(info)
          if (m && Number(m[1]) === child.pid) return this
          break
        }
      }
      await sleep(20)
    }
    const out = this.output.trim().split('\n').slice(-5).join('\n')
    await this.kill()
    throw new Error(`redis-server (AOF) on ${HOST}:${this.port} did not start within ${START_TIMEOUT_MS} ms:\n${out}`)
  }

  get redis() {
    if (!this._redis) {
      this._redis = new IORedis({
        host: HOST,
        port: this.port,
        maxRetriesPerRequest: 2,
        connectTimeout: 1000,
        retryStrategy: (times) => (times > 20 ? null : Math.min(times * 50, 500)),
      })
      this._redis.on('error', () => {})
    }
    return this._redis
  }

  _dropInspector() {
    if (this._redis) {
      this._redis.disconnect()
      this._redis = null
    }
  }

  pause() {
    if (!this.alive) throw new Error(`redis ${this.port} is not running`)
    process.kill(this.child.pid, 'SIGSTOP')
    this.paused = true
  }

  resume() {
    if (this.alive && this.paused) process.kill(this.child.pid, 'SIGCONT')
    this.paused = false
  }

  async kill() {
    this._dropInspector()
    if (!this.alive) return
    try {
      process.kill(this.child.pid, 'SIGCONT')
    } catch {}
    try {
      process.kill(this.child.pid, 'SIGKILL')
    } catch {}
    await waitExit(this.child, STOP_TIMEOUT_MS)
    this.paused = false
  }

  async stop() {
    this._dropInspector()
    if (this.alive) {
      this.resume()
      try {
        process.kill(this.child.pid, 'SIGTERM')
      } catch {}
      if (!(await waitExit(this.child, STOP_TIMEOUT_MS))) await this.kill()
    }
    aofServers.delete(this)
    fs.rmSync(this.dir, { recursive: true, force: true })
  }

  /** kill -9 (if running) and start again on the same port, with the same data directory. */
  async restart() {
    await this.kill()
    let last
    for (let i = 0; i < 5; i++) {
      try {
        return await this.spawn()
      } catch (e) {
        last = e
        await sleep(100)
      }
    }
    throw last
  }
}

/**
 * Starts `n` redis-server processes, each in its own data directory (`s.dir`, removed by
 * stop()), with `--appendonly yes --appendfsync <fsync>` (default always) unless `aof: false`.
 */
export async function startAofServers(n, { fsync = 'always', aof = true } = {}) {
  const started = []
  try {
    for (let i = 0; i < n; i++) {
      let last
      for (let tries = 0; tries < 5; tries++) {
        const s = new AofServer(await freePort(), { fsync, aof })
        try {
          started.push(await s.spawn())
          last = null
          break
        } catch (e) {
          last = e
          await s.stop()
        }
      }
      if (last) throw last
    }
  } catch (e) {
    await Promise.allSettled(started.map((s) => s.stop()))
    throw e
  }
  return started
}

/** Stops every AOF server started by this process and removes its data directory. */
export async function stopAofServers() {
  await Promise.allSettled([...aofServers].map((s) => s.stop()))
}

// ---------------------------------------------------------------------------------------------
// Restarts and pauses (work on the helper's servers and on AOF servers)

/** kill -9, then start again at once on the same port. Resolves `{ downMs }`. */
export async function restartNow(server) {
  const t0 = performance.now()
  await server.kill()
  await server.restart()
  return { downMs: performance.now() - t0 }
}

/** kill -9, stay down at least `ms`, then start again. Resolves `{ downMs }`. */
export async function restartAfter(server, ms) {
  const t0 = performance.now()
  await server.kill()
  const left = ms - (performance.now() - t0)
  if (left > 0) await sleep(left)
  await server.restart()
  return { downMs: performance.now() - t0 }
}

/** SIGSTOP `server` (or several) for `ms`, then SIGCONT; resumed even if something throws. */
export async function pauseFor(servers, ms) {
  const list = Array.isArray(servers) ? servers : [servers]
  try {
    for (const s of list) s.pause()
    await sleep(ms)
  } finally {
    for (const s of list) s.resume()
  }
}

/** Runs `fn` with `servers` SIGSTOP'd; always SIGCONT'd afterwards. */
export async function withPaused(servers, fn) {
  const list = Array.isArray(servers) ? servers : [servers]
  try {
    for (const s of list) s.pause()
    return await fn()
  } finally {
    for (const s of list) s.resume()
  }
}

// ---------------------------------------------------------------------------------------------
// Child Node processes

const children = new Set()

/** SIGSTOP a process this process started (a child or a server), by its pid. */
export function stop(pid) {
  process.kill(pid, 'SIGSTOP')
}

/** SIGCONT a process this process started, by its pid. */
export function cont(pid) {
  process.kill(pid, 'SIGCONT')
}

/**
 * Spawns `node file ...args` with stdout parsed as JSON lines (non-JSON lines are kept as
 * `{ text }`). The child is tracked and killed by `stopChildren()` or the 'exit' handler.
 */
export function spawnNode(file, { args = [], env = {}, execArgv = [] } = {}) {
  const child = spawn(process.execPath, [...execArgv, file, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  })
  const h = {
    child,
    pid: child.pid,
    lines: [],
    stderr: '',
    waiters: [],
    exited: null,
  }
  let buf = ''
  child.stdout.on('data', (d) => {
    buf += d.toString()
    const parts = buf.split('\n')
    buf = parts.pop()
    for (const line of parts) {
      if (!line.trim()) continue
      let msg
      try {
        msg = JSON.parse(line)
      } catch {
        msg = { text: line }
      }
      msg.at = performance.now()
      h.lines.push(msg)
      for (const w of [...h.waiters]) {
        if (w.pred(msg)) {
          h.waiters = h.waiters.filter((x) => x !== w)
          clearTimeout(w.timer)
          w.resolve(msg)
        }
      }
    }
  })
  child.stderr.on('data', (d) => {
    h.stderr = (h.stderr + d.toString()).slice(-8000)
  })
  h.exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      children.delete(h)
      for (const w of h.waiters) {
        clearTimeout(w.timer)
        w.resolve(null)
      }
      h.waiters = []
      resolve({ code, signal })
    })
  })
  /** The first line (already printed or to come) matching `pred`, or null after `ms` / exit. */
  h.next = (pred, ms = 5000) => {
    const seen = h.lines.find(pred)
    if (seen) return Promise.resolve(seen)
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(null)
    return new Promise((resolve) => {
      const w = { pred, resolve, timer: null }
      w.timer = setTimeout(() => {
        h.waiters = h.waiters.filter((x) => x !== w)
        resolve(null)
      }, ms)
      h.waiters.push(w)
    })
  }
  h.alive = () => child.exitCode === null && child.signalCode === null
  /** SIGCONT + SIGKILL; resolves once it exited (bounded). */
  h.kill = async () => {
    if (h.alive()) {
      try {
        process.kill(child.pid, 'SIGCONT')
      } catch {}
      try {
        process.kill(child.pid, 'SIGKILL')
      } catch {}
    }
    await Promise.race([h.exited, sleep(STOP_TIMEOUT_MS)])
  }
  /** Waits for a normal exit (bounded by `ms`); resolves { code, signal } or null on timeout. */
  h.wait = (ms = 10000) => Promise.race([h.exited, sleep(ms).then(() => null)])
  children.add(h)
  return h
}

/** Kills every child Node process still alive. */
export async function stopChildren() {
  await Promise.allSettled([...children].map((h) => h.kill()))
}

process.on('exit', () => {
  for (const h of children) {
    try {
      process.kill(h.pid, 'SIGCONT')
    } catch {}
    try {
      process.kill(h.pid, 'SIGKILL')
    } catch {}
  }
  for (const s of aofServers) {
    if (s._redis) {
      try {
        s._redis.disconnect()
      } catch {}
    }
    if (s.alive) {
      try {
        process.kill(s.child.pid, 'SIGCONT')
      } catch {}
      try {
        process.kill(s.child.pid, 'SIGKILL')
      } catch {}
    }
    try {
      fs.rmSync(s.dir, { recursive: true, force: true })
    } catch {}
  }
})
