// Child Node processes for the fault-injection tests, tracked by pid. The redis-servers (AOF,
// restarts, pauses) are helpers/redis.mjs's; this file only adds the clients' processes.
//
//   const child = spawnNode(file, { args, env }) // .pid, .lines (JSON lines it printed),
//                                                // .next(pred, ms), .exited, .wait(ms), .kill()
//   stop(pid) / cont(pid)                        // SIGSTOP / SIGCONT a child this process started
//   await stopChildren()                         // SIGCONT + SIGKILL every child still alive
//
// Every child is killed by stopChildren(), by a process 'exit' handler, and — if this process
// dies without running it — by the helper's guardian. Every wait is bounded; every process is
// signalled by its own pid only.

import { spawn } from 'node:child_process'
import { guard, sleep } from '../helpers/redis.mjs'

const STOP_TIMEOUT_MS = 2000

const children = new Set()

/** SIGSTOP a process this process started (a child or a server), by its pid. */
export function stop(pid) {
  process.kill(pid, 'SIGSTOP')
}

/** SIGCONT a process this process started, by its pid. */
export function cont(pid) {
  process.kill(pid, 'SIGCONT')
}

function killSync(pid) {
  for (const sig of ['SIGCONT', 'SIGKILL']) {
    try {
      process.kill(pid, sig)
    } catch {}
  }
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
  guard(child)
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
    if (h.alive()) killSync(child.pid)
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
  for (const h of children) if (h.alive()) killSync(h.pid)
})
