// The throw-away redis-servers of __test__/helpers/redis.mjs never outlive the process that
// started them: a child Node process starts servers (plain and AOF) and a node child of its own,
// then dies without running its 'exit' handlers (SIGKILL, SIGSEGV) or with them (an uncaught
// exception); the servers' pids, ports and data directories must be gone soon after. And the
// guardian never signals a process that is not the one registered (a reused pid).
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import { fileURLToPath } from 'node:url'
import { ping, sleep, stopAll } from './helpers/redis.mjs'
import { procStat as stat } from './helpers/reaper.mjs'

const SELF = fileURLToPath(import.meta.url)
const REAPER = fileURLToPath(new URL('./helpers/reaper.mjs', import.meta.url))

if (process.argv[2] === '--child') {
  // Child: start servers, report them, then wait to be killed (or crash on request).
  const { startServers } = await import('./helpers/redis.mjs')
  const { spawnNode } = await import('./faults/process.mjs')
  const servers = [...(await startServers(2)), ...(await startServers(1, { aof: true }))]
  const node = spawnNode('-e', { args: ['setTimeout(() => {}, 30000)'] })
  const report = { servers: servers.map((s) => ({ pid: s.pid, port: s.port, dir: s.dir })), node: node.pid, self: process.pid }
  process.stdout.write(JSON.stringify(report) + '\n')
  if (process.argv[3] === 'uncaught') setTimeout(() => {
    throw new Error('crash on purpose')
  }, 100)
  // Bounded: if nobody kills it, it ends by itself (and its 'exit' handler cleans up).
  setTimeout(() => process.exit(0), 30_000)
} else {
  after(() => stopAll())

  /** Gone, or a zombie waiting for its (new) parent to reap it: either way it runs no more. */
  const gone = (pid) => {
    const s = stat(pid)
    return s === null || s[0] === 'Z' || s[0] === 'X'
  }

  /** Resolves null after `ms`, without keeping the process alive. */
  const bound = (ms) => new Promise((resolve) => setTimeout(() => resolve(null), ms).unref())

  /** Runs the child; resolves its report once printed (bounded). */
  function runChild(mode) {
    const child = spawn(process.execPath, [SELF, '--child', mode], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stderr.on('data', (d) => (err = (err + d).slice(-4000)))
    const report = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no report from the child within 15 s: ${err}`)), 15_000).unref()
      child.stdout.on('data', (d) => {
        out += d
        if (out.includes('\n')) {
          clearTimeout(timer)
          resolve(JSON.parse(out.split('\n')[0]))
        }
      })
    })
    const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
    return { child, report, exited }
  }

  for (const [mode, signal] of [['sigkill', 'SIGKILL'], ['sigsegv', 'SIGSEGV'], ['uncaught', null]]) {
    test(`a test process that dies by ${signal || 'an uncaught exception'} leaves no redis-server, node child or data dir behind`, async () => {
      const { child, report, exited } = runChild(mode)
      let r
      try {
        r = await report
        assert.equal(r.servers.length, 3)
        for (const s of r.servers) {
          assert.ok(!gone(s.pid), `server ${s.pid} runs`)
          // Its own process group, not the test process's.
          assert.equal(Number(stat(s.pid)[2]), s.pid, `server ${s.pid} leads its own process group`)
          assert.ok(await ping(s.port, 500), `server on ${s.port} answers`)
          assert.ok(fs.existsSync(s.dir))
        }
        assert.ok(!gone(r.node), 'the node child runs')
        if (signal) process.kill(r.self, signal)
        const how = await Promise.race([exited, bound(10_000)])
        assert.ok(how, 'the child died')
        if (signal) assert.equal(how.signal, signal, `died by ${signal}: ${JSON.stringify(how)}`)
        else assert.notEqual(how.code, 0)
      } finally {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      }
      // Bounded wait: at most 100 × 50 ms.
      const pids = [...r.servers.map((s) => s.pid), r.node]
      for (let i = 0; i < 100 && !pids.every(gone); i++) await sleep(50)
      for (const pid of pids) assert.ok(gone(pid), `pid ${pid} is gone`)
      for (const s of r.servers) {
        assert.equal(await ping(s.port, 300), false, `nothing answers on ${s.port}`)
        assert.equal(fs.existsSync(s.dir), false, `${s.dir} is removed`)
      }
    })
  }

  test('the guardian leaves alone a pid whose start time is not the registered one (a reused pid)', async () => {
    const victim = spawn('sleep', ['30'], { stdio: 'ignore' })
    const reaper = spawn(process.execPath, [REAPER, '--guard'], { stdio: ['pipe', 'ignore', 'ignore'] })
    try {
      reaper.stdin.write(JSON.stringify({ add: victim.pid, start: '1', group: false }) + '\n')
      const done = new Promise((resolve) => reaper.once('exit', resolve))
      reaper.stdin.end()
      assert.ok(await Promise.race([done.then(() => true), bound(5000).then(() => false)]), 'the guardian exits when its pipe closes')
      await sleep(100)
      assert.equal(victim.exitCode, null)
      assert.ok(!gone(victim.pid), 'the process is alive')
    } finally {
      victim.kill('SIGKILL')
      reaper.kill('SIGKILL')
    }
  })
}
