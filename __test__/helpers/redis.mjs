// Test helper: throw-away redis-server processes on free loopback ports.
//
//   const servers = await startServers(3)
//   servers[0].port / .pid / .redis (ioredis client for inspection, created lazily)
//   await servers[0].kill()      // SIGKILL, waits for the exit
//   servers[0].pause()           // SIGSTOP
//   servers[0].resume()          // SIGCONT
//   await servers[0].restart()   // new process on the same port, waits for PING
//   await servers[0].stop()      // SIGTERM (SIGKILL after 2 s), waits for the exit
//   await stopAll()
//
// Every server started here is stopped by `stopAll()` (call it from an `after()` hook) and, as
// a last resort, SIGCONT'd and SIGKILL'd by a process 'exit' handler. Child processes and their
// pipes are unref'd, so a forgotten server never keeps the test process alive.
// Never touches the redis-server on 6379: ports come from the OS (listen on port 0).

import { spawn, spawnSync } from 'node:child_process'
import net from 'node:net'
import os from 'node:os'
import { mkdtempSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const IORedis = require('ioredis')

export const HOST = '127.0.0.1'
const START_TIMEOUT_MS = 5000
const STOP_TIMEOUT_MS = 2000

/** Every server ever started by this process (stopped ones included; `alive` tells). */
const servers = new Set()

let checked = false
function ensureRedisServer() {
  if (checked) return
  const r = spawnSync('redis-server', ['--version'], { encoding: 'utf8', timeout: 5000 })
  if (r.error || r.status !== 0) {
    throw new Error(
      'redis-server is not installed or not on PATH; the redlock-rs integration tests need it. ' +
        'Install it (Debian/Ubuntu: `apt-get install redis-server`, macOS: `brew install redis`). ' +
        `(${r.error ? r.error.message : `exit status ${r.status}`})`,
    )
  }
  checked = true
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/** A port that was free a moment ago on 127.0.0.1 (the OS picks it). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, HOST, () => {
      const { port } = srv.address()
      srv.close(() => resolve(port))
    })
  })
}

/** One `PING` over a raw socket; resolves true iff the answer is `+PONG`. Bounded by `ms`. */
export function ping(port, ms = 300) {
  return new Promise((resolve) => {
    let done = false
    let buf = ''
    const sock = net.connect({ host: HOST, port })
    const finish = (ok) => {
      if (done) return
      done = true
      clearTimeout(timer)
      sock.destroy()
      resolve(ok)
    }
    const timer = setTimeout(() => finish(false), ms)
    sock.on('connect', () => sock.write('PING\r\n'))
    sock.on('data', (d) => {
      buf += d.toString('latin1')
      // A server with requirepass answers -NOAUTH: it is up, which is all we wait for.
      if (buf.includes('\r\n')) finish(buf.startsWith('+PONG') || buf.startsWith('-NOAUTH'))
    })
    sock.on('error', () => finish(false))
    sock.on('close', () => finish(false))
  })
}

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

class RedisServer {
  constructor(port, { password } = {}) {
    this.port = port
    this.password = password
    this.host = HOST
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

  /** Spawns redis-server on `this.port` and waits until it answers PING. */
  async spawn() {
    ensureRedisServer()
    this.output = ''
    const child = spawn(
      'redis-server',
      [
        '--port', String(this.port),
        '--bind', HOST,
        '--save', '',
        '--appendonly', 'no',
        // A directory of its own: a shared one would let any dump.rdb written by one server
        // (BGSAVE, SHUTDOWN) be loaded by every server started after it.
        '--dir', this.dir || (this.dir = mkdtempSync(join(os.tmpdir(), 'redlock-rs-redis-'))),
        '--protected-mode', 'no',
        ...(this.password ? ['--requirepass', this.password] : []),
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
    // Never let a server (or its pipes) keep the test process alive.
    child.unref()
    child.stdout.unref?.()
    child.stderr.unref?.()
    servers.add(this)

    const deadline = Date.now() + START_TIMEOUT_MS
    for (let i = 0; i < 250 && Date.now() < deadline; i++) {
      if (!this.alive) break
      if (await ping(this.port, 200)) {
        // Another test process may have taken the port between freePort() and our bind: the
        // server that answers must be our child.
        if (await this._answeringPid() === child.pid) return this
        break
      }
      await sleep(20)
    }
    const out = this.output.trim().split('\n').slice(-5).join('\n')
    await this.kill()
    throw new Error(`redis-server on ${HOST}:${this.port} did not start within ${START_TIMEOUT_MS} ms:\n${out}`)
  }

  /** The process id of the server that answers on this port (INFO server), or null. */
  async _answeringPid() {
    const c = new IORedis({ host: HOST, port: this.port, password: this.password, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
    c.on('error', () => {})
    try {
      await c.connect()
      const m = /process_id:(\d+)/.exec(await c.info('server'))
      return m ? Number(m[1]) : null
    } catch {
      return null
    } finally {
      c.disconnect()
    }
  }

  /** An ioredis client to inspect this server (GET, PTTL, DBSIZE...), created lazily. */
  get redis() {
    if (!this._redis) {
      this._redis = new IORedis({
        host: HOST,
        port: this.port,
        password: this.password,
        maxRetriesPerRequest: 2,
        connectTimeout: 1000,
        retryStrategy: (times) => (times > 20 ? null : Math.min(times * 50, 500)),
      })
      this._redis.on('error', () => {}) // reported through rejected commands instead
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

  /** SIGKILL; resolves once the process is gone. */
  async kill() {
    this._dropInspector()
    if (!this.alive) return
    try {
      process.kill(this.child.pid, 'SIGKILL')
    } catch {}
    await waitExit(this.child, STOP_TIMEOUT_MS)
    this.paused = false
  }

  /** SIGTERM (SIGKILL if it does not exit within 2 s); resolves once the process is gone. */
  async stop() {
    this._dropInspector()
    if (!this.alive) return
    this.resume()
    try {
      process.kill(this.child.pid, 'SIGTERM')
    } catch {}
    if (!(await waitExit(this.child, STOP_TIMEOUT_MS))) await this.kill()
  }

  /** Stops the process (if running) and starts a new one on the same port. */
  async restart() {
    await this.kill()
    // The port may linger briefly; retry a few times.
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
 * Starts `n` redis-server processes on free ports, one after another; resolves to their handles.
 * `options.password` starts them with `--requirepass` (the inspection client authenticates).
 */
export async function startServers(n, options = {}) {
  const started = []
  try {
    for (let i = 0; i < n; i++) {
      let last
      for (let tries = 0; tries < 5; tries++) {
        const s = new RedisServer(await freePort(), options)
        try {
          started.push(await s.spawn())
          last = null
          break
        } catch (e) {
          last = e // the port was taken meanwhile: pick another
        }
      }
      if (last) throw last
    }
  } catch (e) {
    await Promise.all(started.map((s) => s.stop()))
    throw e
  }
  return started
}

/** Stops every server started by this process and closes the inspection clients. */
export async function stopAll() {
  await Promise.all([...servers].map((s) => s.stop()))
  for (const s of servers) if (s.dir) rmSync(s.dir, { recursive: true, force: true })
  servers.clear()
}

/** Last resort: synchronous cleanup when the process exits for any reason. */
function killAllSync() {
  for (const s of servers) {
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
  }
}
process.on('exit', killAllSync)
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(sig, () => {
    killAllSync()
    process.exit(128 + (os.constants.signals[sig] || 1))
  })
}

/** Resolves after `ms` milliseconds. */
export { sleep }

/** Runs `fn` and returns `{ value, error, ms }` (never throws). */
export async function timed(fn) {
  const t0 = performance.now()
  try {
    const value = await fn()
    return { value, ms: performance.now() - t0 }
  } catch (error) {
    return { error, ms: performance.now() - t0 }
  }
}

/** A random resource name, so tests never collide. */
export function uniqueResource(prefix = 'res') {
  return `${prefix}:${Math.random().toString(36).slice(2)}:${Date.now()}`
}

/** Commands a server has executed so far, the inspection client's INFO calls excluded. */
export async function commandCount(server) {
  const info = await server.redis.info('commandstats')
  let n = 0
  for (const m of info.matchAll(/^cmdstat_([a-z_|]+):calls=(\d+)/gm)) {
    if (m[1] !== 'info') n += Number(m[2])
  }
  return n
}

/** Client connections a server currently has (the inspection client's own included). */
export async function connectedClients(server) {
  const info = await server.redis.info('clients')
  return Number(/connected_clients:(\d+)/.exec(info)[1])
}

/** Polls `check()` every `interval` ms until it returns truthy, at most `tries` times. */
export async function eventually(check, { tries = 20, interval = 50 } = {}) {
  let last
  for (let i = 0; i < tries; i++) {
    last = await check()
    if (last) return last
    await sleep(interval)
  }
  return last
}
