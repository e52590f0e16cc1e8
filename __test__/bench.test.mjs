// The benchmark keeps working: runs `bench/run.mjs` with the tiny profile (a few seconds per node
// count, numbers meaningless) into a temporary directory and checks that it exits 0 and that its
// JSON has a result for every implementation and every scenario. Benchmarks never fail CI on
// their numbers: nothing here looks at a speed.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const TIMEOUT_MS = 120_000

const IMPLS = ['redlock-rs', 'redlock-v5', 'redlock-v4', 'ioredis-raw', 'ioredis-raw-ap']
const SCENARIOS = ['sequential', 'sequentialMulti', 'sequentialFenced', 'throughput', 'contention', 'extend', 'memory']
/** Scenarios only some implementations run (fencing tokens are redlock-rs's alone). */
const ONLY = { sequentialFenced: ['redlock-rs'] }

function runBench(outDir) {
  return new Promise((resolve) => {
    const env = { ...process.env, BENCH_PROFILE: 'tiny', BENCH_OUT: outDir, NODE_OPTIONS: '' }
    for (const k of ['BENCH_IMPLS', 'BENCH_NODES', 'BENCH_SCENARIOS', 'BENCH_REPS']) delete env[k]
    const child = spawn(process.execPath, [join(root, 'bench', 'run.mjs')], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d) => (out = (out + d).slice(-20000)))
    child.stderr.on('data', (d) => (out = (out + d).slice(-20000)))
    // SIGINT first: the bench stops its redis-servers on SIGINT.
    const timer = setTimeout(() => {
      child.kill('SIGINT')
      setTimeout(() => child.kill('SIGKILL'), 5000).unref()
    }, TIMEOUT_MS)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, out })
    })
  })
}

test('bench (tiny profile) runs every implementation and scenario and writes its results', { timeout: TIMEOUT_MS + 15_000 }, async () => {
  const outDir = mkdtempSync(join(os.tmpdir(), 'redlock-rs-bench-test-'))
  try {
    const r = await runBench(outDir)
    assert.equal(r.code, 0, `bench exited ${r.code ?? r.signal}:\n${r.out}`)
    const files = readdirSync(outDir)
    assert.ok(files.includes('tiny.json'), `no tiny.json in ${files}`)
    assert.ok(files.includes('tiny.md'), `no tiny.md in ${files}`)
    const res = JSON.parse(readFileSync(join(outDir, 'tiny.json'), 'utf8'))
    assert.equal(res.config.profile, 'tiny')
    assert.equal(res.incomplete, false)
    assert.ok(res.meta.nproc >= 1 && res.meta.cpuModel && res.meta.node && res.meta.redis)
    for (const sc of SCENARIOS) {
      const byNode = res.scenarios[sc]
      assert.ok(byNode, `no results for scenario ${sc}`)
      const nodeCounts = sc === 'memory' ? [res.config.memory.nodes] : res.config.nodeCounts
      for (const n of nodeCounts) {
        for (const impl of IMPLS) {
          if (ONLY[sc] && !ONLY[sc].includes(impl)) {
            assert.equal(byNode[n]?.[impl], undefined, `${sc}: ${impl} does not run it`)
            continue
          }
          const cell = byNode[n]?.[impl]
          assert.ok(cell, `no ${sc} entry for ${impl} at ${n} node(s)`)
          assert.ok(cell.reps.length >= 1, `${sc}/${n}/${impl}: no repetitions`)
          // A cell that errored has no median: the harness (not a number) is broken.
          assert.ok(cell.median, `${sc}/${n}/${impl} failed: ${JSON.stringify(cell.reps.find((x) => x?.error))}`)
        }
      }
    }
    const md = readFileSync(join(outDir, 'tiny.md'), 'utf8')
    assert.match(md, /## Targets/)
    assert.match(md, /## 1c\. Sequential acquire \+ release with a fencing token/)
  } finally {
    rmSync(outDir, { recursive: true, force: true })
  }
})
