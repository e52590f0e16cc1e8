// Throw-away redis-server processes on free loopback ports: the one module that starts, signals
// and stops them, for the tests (faults included), the benchmark and the demo.
//
//   const servers = await startServers(3)       // options: see startServers()
//   servers[0].port / .pid / .dir / .redis (ioredis client for inspection, created lazily)
//   await servers[0].kill()      // SIGKILL (its process group), waits for the exit
//   servers[0].pause()           // SIGSTOP
//   servers[0].resume()          // SIGCONT
//   await servers[0].restart()   // kill, then a new process on the same port and data dir
//   await servers[0].stop()      // SIGTERM (SIGKILL after 2 s), waits for the exit
//   await restartNow(s) / restartAfter(s, ms) / withPaused(s, fn)   // fault injection
//   await stopAll()              // from an `after()` hook
//
// No orphans: every server runs in its own process group, and a guardian process (reaper.mjs,
// one per process that starts servers) holds a pipe from this process; when the pipe closes —
// on any exit, a SIGKILL or a crash included — it kills the groups still registered and removes
// their data directories. A process 'exit' handler does the same at once on a normal exit.
// Child processes and pipes are unref'd, so a forgotten server never keeps the process alive.
// Never touches the redis-server on 6379: ports come from the OS (listen on port 0), and the
// server answering a new port must report our child's pid before it is used.

import { spawn, spawnSync } from 'node:child_process'
import net from 'node:net'
import tls from 'node:tls'
import os from 'node:os'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'
import { startTime } from './reaper.mjs'

const require = createRequire(import.meta.url)
const IORedis = require('ioredis')

export const HOST = '127.0.0.1'
const START_TIMEOUT_MS = 5000
const STOP_TIMEOUT_MS = 2000

/** Every server started by this process and not yet stopped. */
const servers = new Set()

let version = null
/** The redis-server version on PATH (e.g. "7.0.15"); throws a how-to-install message without it. */
export function redisServerVersion() {
  if (version) return version
  const r = spawnSync('redis-server', ['--version'], { encoding: 'utf8', timeout: 5000 })
  if (r.error || r.status !== 0) {
    throw new Error(
      'redis-server is not installed or not on PATH; the redlock-rs tests, benchmark and demo need it. ' +
        'Install it (Debian/Ubuntu: `apt-get install redis-server`, macOS: `brew install redis`). ' +
        `(${r.error ? r.error.message : `exit status ${r.status}`})`,
    )
  }
  const m = /v=(\S+)/.exec(r.stdout)
  version = m ? m[1] : r.stdout.trim()
  return version
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

// ---------------------------------------------------------------------------------------------
// The guardian

let reaper = null

function tellReaper(msg) {
  if (!reaper) {
    const env = { ...process.env }
    // The guardian must be plain node: no preloads (libfaketime) or options of the caller.
    for (const k of ['LD_PRELOAD', 'NODE_OPTIONS']) delete env[k]
    reaper = spawn(process.execPath, [fileURLToPath(new URL('./reaper.mjs', import.meta.url)), '--guard'], {
      stdio: ['pipe', 'ignore', 'ignore'],
      detached: true, // its own process group: a signal to ours does not reach it
      env,
    })
    reaper.on('error', () => {})
    reaper.stdin.on('error', () => {}) // the guardian gone: nothing better to do
    reaper.unref()
    reaper.stdin.unref?.()
  }
  if (reaper.stdin.writable) reaper.stdin.write(JSON.stringify(msg) + '\n')
}

/**
 * Puts `child` under the guardian: if this process dies, `child` (its whole process group with
 * `group: true`, which needs `detached: true` at spawn) is SIGKILL'd and `dir` removed.
 */
export function guard(child, { group = false, dir = null } = {}) {
  if (!child.pid) return
  tellReaper({ add: child.pid, start: startTime(child.pid), group, dir })
  child.once('exit', () => tellReaper({ del: child.pid }))
}

// ---------------------------------------------------------------------------------------------
// Probes

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

/**
 * One `PING` over a raw socket (TLS with `tlsOptions`); resolves true iff the server is up and
 * loaded (`+PONG`, or `-NOAUTH` from a password-protected one). Bounded by `ms`.
 */
export function ping(port, ms = 300, tlsOptions = null) {
  return new Promise((resolve) => {
    let done = false
    let buf = ''
    const sock = tlsOptions ? tls.connect({ host: HOST, port, ...tlsOptions }) : net.connect({ host: HOST, port })
    const finish = (ok) => {
      if (done) return
      done = true
      clearTimeout(timer)
      sock.destroy()
      resolve(ok)
    }
    const timer = setTimeout(() => finish(false), ms)
    sock.on(tlsOptions ? 'secureConnect' : 'connect', () => sock.write('PING\r\n'))
    sock.on('data', (d) => {
      buf += d.toString('latin1')
      // -LOADING (an AOF being replayed) is not up yet.
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

// ---------------------------------------------------------------------------------------------
// One server

class RedisServer {
  /** `options`: see startServers(). */
  constructor(port, { password, aof = false, fsync = 'always', args = [], tls: tlsFiles, sentinel } = {}) {
    this.port = port
    this.host = HOST
    this.password = password
    this.aof = aof
    this.fsync = fsync
    this.args = args
    this.sentinel = sentinel
    this.tlsFiles = tlsFiles
    // What a client needs to reach a TLS server (its CA, and the client certificate if given).
    this.tls = tlsFiles
      ? Object.fromEntries(
          [['ca', tlsFiles.ca], ['cert', tlsFiles.clientCert], ['key', tlsFiles.clientKey]]
            .filter(([, f]) => f)
            .map(([k, f]) => [k, readFileSync(f)]),
        )
      : null
    this.dir = null
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

  _argv() {
    const t = this.tlsFiles
    const argv = [
      ...(t ? ['--port', '0', '--tls-port', String(this.port), '--tls-cert-file', t.cert, '--tls-key-file', t.key,
        '--tls-ca-cert-file', t.ca, '--tls-auth-clients', t.authClients || 'no'] : ['--port', String(this.port)]),
      '--bind', HOST,
      '--save', '',
      '--appendonly', this.aof ? 'yes' : 'no',
      ...(this.aof ? ['--appendfsync', this.fsync] : []),
      '--dir', this.dir,
      '--protected-mode', 'no',
      ...(this.password ? ['--requirepass', this.password] : []),
      ...this.args,
    ]
    if (!this.sentinel) return argv
    // A sentinel rewrites its config file: it lives in the server's own directory.
    const conf = join(this.dir, 'sentinel.conf')
    writeFileSync(conf, this.sentinel.conf || '')
    return [conf, '--sentinel', '--port', String(this.port), '--bind', HOST, '--protected-mode', 'no', '--dir', this.dir, ...this.args]
  }

  /** Spawns redis-server on `this.port` and waits until it answers PING and is our process. */
  async spawn() {
    redisServerVersion()
    this.output = ''
    // A directory of its own (kept across restarts, for AOF): a shared one would let any
    // dump.rdb written by one server (BGSAVE, SHUTDOWN) be loaded by every later one.
    if (this.dir) mkdirSync(this.dir, { recursive: true })
    else this.dir = mkdtempSync(join(os.tmpdir(), 'redlock-rs-redis-'))
    const child = spawn('redis-server', this._argv(), { stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    this.child = child
    this.paused = false
    guard(child, { group: true, dir: this.dir })
    const keep = (d) => {
      this.output = (this.output + d.toString()).slice(-4000)
    }
    child.stdout.on('data', keep)
    child.stderr.on('data', keep)
    child.on('error', keep)
    // Never let a server (or its pipes) keep the process alive.
    child.unref()
    child.stdout.unref?.()
    child.stderr.unref?.()
    servers.add(this)

    const deadline = Date.now() + START_TIMEOUT_MS
    for (let i = 0; i < 250 && Date.now() < deadline; i++) {
      if (!this.alive) break
      if (await ping(this.port, 200, this.tls)) {
        // Another process may have taken the port between freePort() and our bind: the
        // server that answers must be our child.
        if ((await this._answeringPid()) === child.pid) return this
        break
      }
      await sleep(20)
    }
    const out = this.output.trim().split('\n').slice(-5).join('\n')
    await this.kill()
    throw new Error(`redis-server on ${HOST}:${this.port} did not start within ${START_TIMEOUT_MS} ms:\n${out}`)
  }

  _clientOptions() {
    return { host: HOST, port: this.port, password: this.password, ...(this.tls ? { tls: this.tls } : {}) }
  }

  /** The process id of the server that answers on this port (INFO server), or null. */
  async _answeringPid() {
    const c = new IORedis({ ...this._clientOptions(), lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
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
        ...this._clientOptions(),
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

  /** `sig` to the server's process group (its BGSAVE / AOF rewrite forks included). */
  _signalGroup(sig) {
    try {
      process.kill(-this.child.pid, sig)
    } catch {}
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
    this._signalGroup('SIGCONT')
    this._signalGroup('SIGKILL')
    await waitExit(this.child, STOP_TIMEOUT_MS)
    this.paused = false
  }

  /** SIGTERM (SIGKILL if it does not exit within 2 s); resolves once it is gone; removes its dir. */
  async stop() {
    this._dropInspector()
    if (this.alive) {
      this.resume()
      try {
        process.kill(this.child.pid, 'SIGTERM')
      } catch {}
      if (!(await waitExit(this.child, STOP_TIMEOUT_MS))) await this.kill()
    }
    servers.delete(this)
    if (this.dir) rmSync(this.dir, { recursive: true, force: true })
    this.dir = null
  }

  /** Kills the process (if running) and starts a new one on the same port and data dir. */
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
 * Options:
 *   password              `--requirepass` (the inspection client authenticates)
 *   aof, fsync            `--appendonly yes --appendfsync <fsync>` (default always)
 *   tls                   { cert, key, ca, authClients: 'yes'|'no', clientCert, clientKey } (file
 *                         paths): TLS only, on the port; `s.tls` holds what a client needs
 *   sentinel              { conf }: a sentinel with these config lines
 *   args                  more redis-server arguments (e.g. cluster mode)
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

/** Stops every server started by this process, closes the inspection clients, removes the dirs. */
export async function stopAll() {
  await Promise.allSettled([...servers].map((s) => s.stop()))
}

/** Synchronous cleanup (process 'exit', or a caller's signal handler): SIGKILL every server. */
export function killAllSync() {
  for (const s of servers) {
    if (s._redis) {
      try {
        s._redis.disconnect()
      } catch {}
    }
    if (s.alive) {
      s._signalGroup('SIGCONT')
      s._signalGroup('SIGKILL')
    }
    if (s.dir) {
      try {
        rmSync(s.dir, { recursive: true, force: true })
      } catch {}
    }
  }
  servers.clear()
}
process.on('exit', killAllSync)

// ---------------------------------------------------------------------------------------------
// Restarts and pauses (fault injection)

/** kill -9, then start again at once on the same port. Resolves `{ downMs }`. */
export async function restartNow(server) {
  return restartAfter(server, 0)
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
