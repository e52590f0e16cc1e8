// Throw-away redis-server processes for the benchmark, on free loopback ports.
//
// Every server started here is stopped by stopAll() and, as a last resort, SIGKILL'd by a
// process 'exit' handler (installed by run.mjs through killAllSync()). Never touches a
// redis-server it did not start (ports come from the OS: listen on port 0, then close).

import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'

export const HOST = '127.0.0.1'
const START_TIMEOUT_MS = 5000
const STOP_TIMEOUT_MS = 2000

const servers = new Set()
let tmpDir = null

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

export function redisServerVersion() {
  const r = spawnSync('redis-server', ['--version'], { encoding: 'utf8', timeout: 5000 })
  if (r.error || r.status !== 0) {
    throw new Error(
      'redis-server is not installed or not on PATH; the benchmark needs it ' +
        `(${r.error ? r.error.message : `exit status ${r.status}`})`,
    )
  }
  const m = /v=(\S+)/.exec(r.stdout)
  return m ? m[1] : r.stdout.trim()
}

/** A port that was free a moment ago on 127.0.0.1 (the OS picks it). */
function freePort() {
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

/** One PING over a raw socket; true on +PONG. Bounded by `ms`. */
function ping(port, ms = 300) {
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
      if (buf.includes('\r\n')) finish(buf.startsWith('+PONG'))
    })
    sock.on('error', () => finish(false))
  })
}

async function startOne() {
  if (!tmpDir) tmpDir = mkdtempSync(path.join(os.tmpdir(), 'redlock-rs-bench-'))
  // A port can be taken between freePort() and the bind: retry a few times (bounded).
  let lastErr = null
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort()
    const child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no', '--dir', tmpDir],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    const server = { port, pid: child.pid, child, alive: true, log: '' }
    child.stdout.on('data', (d) => (server.log = (server.log + d).slice(-4000)))
    child.stderr.on('data', (d) => (server.log = (server.log + d).slice(-4000)))
    const exited = new Promise((resolve) => child.once('exit', resolve))
    server.exited = exited
    exited.then(() => (server.alive = false))
    child.unref()
    child.stdout.unref?.()
    child.stderr.unref?.()
    servers.add(server)
    const deadline = Date.now() + START_TIMEOUT_MS
    while (Date.now() < deadline && server.alive) {
      if (await ping(port)) return server
      await sleep(25)
    }
    lastErr = new Error(`redis-server on port ${port} did not start: ${server.log.slice(-500)}`)
    await stopOne(server)
  }
  throw lastErr
}

/** Starts `n` servers in parallel; resolves with [{ port, pid }]. */
export async function startServers(n) {
  return Promise.all(Array.from({ length: n }, () => startOne()))
}

async function stopOne(server) {
  if (!server.alive) return
  try {
    process.kill(server.pid, 'SIGTERM')
  } catch {}
  const t = setTimeout(() => {
    try {
      process.kill(server.pid, 'SIGKILL')
    } catch {}
  }, STOP_TIMEOUT_MS)
  await Promise.race([server.exited, sleep(STOP_TIMEOUT_MS + 1000)])
  clearTimeout(t)
  servers.delete(server)
}

export async function stopAll() {
  await Promise.all([...servers].map(stopOne))
  if (tmpDir) {
    try {
      rmSync(tmpDir, { recursive: true, force: true })
    } catch {}
    tmpDir = null
  }
}

/** Synchronous last resort (process 'exit' / signal handlers): SIGKILL every live server. */
export function killAllSync() {
  for (const s of servers) {
    if (!s.alive) continue
    try {
      process.kill(s.pid, 'SIGKILL')
    } catch {}
  }
  if (tmpDir) {
    try {
      rmSync(tmpDir, { recursive: true, force: true })
    } catch {}
  }
}
