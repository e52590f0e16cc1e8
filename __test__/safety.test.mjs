// The randomized Jepsen-style safety test (faults.md §4), CI profile: runs
// __test__/safety/orchestrator.mjs as a child process (N=5 redis-servers behind fault proxies,
// client processes, a seeded nemesis, the checker V1–V8 (V8: fencing tokens) and an unsafe
// control phase) and asserts that it found no violation and that the control was detected.
//
// It must be able to fail (issue 10): besides V1–V7 it requires a minimum of completed critical
// sections (a library that rarely grants a lock passes V1–V7 trivially; the orchestrator's floor
// is derived from the CI profile, see PROFILES there; SAFETY_CLIENT_REFUSE=0.99 is the test-only
// stand-in that must fail it), and a control phase in which EVERY unsafe recipe is flagged by V1
// (one `control-recipe:` line per recipe, naming the checker properties that flagged it).
//
// The environment is passed through unchanged (SEED=… replays a run; REDLOCK_RS_MUTANT and
// NAPI_RS_NATIVE_LIBRARY_PATH select a mutant build, which must make this test fail).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { rmSync } from 'node:fs'
import { guard } from './helpers/redis.mjs'

const here = path.dirname(fileURLToPath(import.meta.url))
const ORCHESTRATOR = path.join(here, 'safety', 'orchestrator.mjs')
const TIMEOUT_MS = 180_000

test('randomized safety test (CI profile): no violation, control detected', { timeout: TIMEOUT_MS + 10_000 }, async () => {
  const child = spawn(process.execPath, [ORCHESTRATOR], {
    env: { ...process.env, SAFETY_PROFILE: process.env.SAFETY_PROFILE || 'ci' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  // If this test process dies, the guardian SIGKILLs the orchestrator; its own guardian then
  // stops its redis-servers and client processes.
  guard(child)
  let out = ''
  let err = ''
  child.stdout.on('data', (d) => (out += d))
  child.stderr.on('data', (d) => (err += d))
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    // The orchestrator stops its own children on SIGTERM (and by pid on exit).
    try {
      process.kill(child.pid, 'SIGTERM')
    } catch {}
    setTimeout(() => {
      try {
        process.kill(child.pid, 'SIGKILL')
      } catch {}
    }, 5000).unref()
  }, TIMEOUT_MS)
  const [code, signal] = await new Promise((resolve) => child.once('exit', (c, s) => resolve([c, s])))
  clearTimeout(timer)
  // The orchestrator's summary, in the test output.
  for (const line of out.trimEnd().split("\n")) console.log(line)
  if (err.trim()) for (const line of err.trimEnd().split('\n').slice(-40)) console.log(`stderr: ${line}`)

  assert.equal(timedOut, false, `the orchestrator did not finish within ${TIMEOUT_MS / 1000} s`)
  const last = out.trimEnd().split('\n').pop()
  assert.match(last, /^\d+ passed, \d+ failed$/, 'the last line is the tally')
  const hits = /^control-v1-hits: (\d+)$/m.exec(out)
  assert.ok(hits, 'the control phase ran')
  assert.ok(Number(hits[1]) > 0, 'the unsafe control phase must be flagged by the checker (V1)')
  // Every recipe of the control is meant to show a violation, and each must (by V1).
  const recipes = [...out.matchAll(/^control-recipe: (\S+) (tripped|NOT-tripped) flagged-by=(\S+)/gm)]
  const iters = /^control-iters: (\d+)$/m.exec(out)
  assert.ok(iters && Number(iters[1]) > 0, 'the control phase says how many recipes it ran')
  assert.equal(recipes.length, Number(iters[1]), 'one control-recipe line per recipe')
  for (const [, name, verdict, by] of recipes) {
    assert.equal(verdict, 'tripped', `control recipe ${name} must be flagged by the checker`)
    assert.ok(by.split(',').includes('V1'), `control recipe ${name} must be flagged by V1 (flagged by ${by})`)
  }
  // The guarded twin of the restart recipe (issue 15): the restart guard refuses B as quarantined,
  // and the checker sees no violation.
  const guarded = [...out.matchAll(/^guarded-recipe: (\S+) (safe|UNSAFE) quarantined=(\d+)/gm)]
  assert.ok(guarded.length > 0, 'the guarded restart recipes ran')
  for (const [, name, verdict, q] of guarded) {
    assert.equal(verdict, 'safe', `guarded recipe ${name}: no V1 violation with the restart guard`)
    assert.ok(Number(q) > 0, `guarded recipe ${name}: the restarted node was quarantined`)
  }
  // Enough completed critical sections: a library that rarely grants must not pass.
  const cs = /^critical-sections: (\d+) \(minimum (\d+)\)$/m.exec(out)
  assert.ok(cs, 'the orchestrator reports its completed critical sections and the minimum')
  assert.ok(Number(cs[2]) > 0, 'the minimum of critical sections is set')
  assert.ok(Number(cs[1]) >= Number(cs[2]), `only ${cs[1]} critical sections completed, the minimum is ${cs[2]}: a library that rarely grants a lock`)
  assert.equal(code, 0, `the orchestrator exited ${code} ${signal || ''}: ${last}`)
  assert.match(last, /^\d+ passed, 0 failed$/)
})

// The restart guard's randomized control (issue 15): only the restart-minority-now fault (kill -9
// and an immediate restart without persistence of a minority), with the clients' guard OFF
// (SAFETY_RESTART_GUARD=0): the checker must see V1 violations. (Measured: 17 V1 violations in a
// 40 s run, 107 faults; a run this long finds several.) The main run above has the same fault
// with the guard on, and no violation.
const CONTROL_TIMEOUT_MS = 90_000
test('restart guard control: immediate restarts of a minority with the guard off violate V1', { timeout: CONTROL_TIMEOUT_MS + 10_000 }, async () => {
  const child = spawn(process.execPath, [ORCHESTRATOR], {
    env: {
      ...process.env,
      SAFETY_PROFILE: 'ci',
      SAFETY_FAULTS: 'restart-minority-now',
      SAFETY_RESTART_GUARD: '0',
      SAFETY_NO_CONTROL: '1',
      SAFETY_RUN_MS: '25000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  guard(child)
  let out = ''
  child.stdout.on('data', (d) => (out += d))
  child.stderr.on('data', () => {})
  const timer = setTimeout(() => {
    try {
      process.kill(child.pid, 'SIGTERM')
    } catch {}
  }, CONTROL_TIMEOUT_MS)
  await new Promise((resolve) => child.once('exit', resolve))
  clearTimeout(timer)
  for (const line of out.trimEnd().split('\n').filter((l) => /faults:|V1|passed/.test(l))) console.log(line)
  // A failed run keeps its histories for replay; this one is meant to fail.
  const kept = /^histories kept in (\S+) /m.exec(out)
  if (kept && kept[1].includes('redlock-safety-')) rmSync(kept[1], { recursive: true, force: true })
  assert.match(out, /^== faults: \d+ — restart-minority-now \d+$/m, 'only the immediate-restart fault ran')
  const v1 = /^ {3}(ok {2}|FAIL) V1 {2}mutual exclusion \(conservative windows\): (\d+) violations/m.exec(out)
  assert.ok(v1, 'the checker reported V1')
  assert.ok(Number(v1[2]) > 0, 'with the restart guard off, immediate restarts without persistence must violate V1')
})
