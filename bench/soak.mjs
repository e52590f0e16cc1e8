#!/usr/bin/env node
// Soak: SOAK_OPS acquire+release operations (default 1,000,000) through one Redlock over 5 local
// redis-server processes that this script starts and stops, SOAK_CONCURRENCY at a time (default
// 64), sampling RSS, heap and open file descriptors (/proc/self/fd) after a forced GC every
// ops/SOAK_SAMPLES operations.
//
//   npm run soak                     the full run (1e6 operations)
//   SOAK_OPS=20000 npm run soak      a quick check
//
// Goals (exit status 1 when one is missed):
//   - RSS growth after warm-up < SOAK_MAX_RSS_GROWTH_MB (default 20): the highest post-GC RSS
//     sampled after the warm-up (the first SOAK_WARMUP fraction of the operations, default 0.1)
//     minus the RSS at the end of the warm-up;
//   - flat file descriptors: the open fds after warm-up never exceed the count at the end of the
//     warm-up by more than SOAK_FD_SLACK (default 2), and after quit() the count is back to at
//     most what it was before the Redlock was created (+ SOAK_FD_SLACK);
//   - failed operations ≤ SOAK_MAX_ERROR_RATE of all (default 0.001; each is listed).
// Writes bench/results/soak-latest.json (SOAK_OUT overrides the path) and prints a table.
// Bounded: SOAK_MAX_MS (default 45 min) stops the run early (a missed goal).

import { mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import v8 from 'node:v8'
import vm from 'node:vm'
import { startServers, stopAll } from '../__test__/helpers/redis.mjs'

const here = path.dirname(fileURLToPath(import.meta.url))
const require = createRequire(import.meta.url)

const env = (name, def) => (process.env[name] === undefined || process.env[name] === '' ? def : Number(process.env[name]))
const OPS = env('SOAK_OPS', 1_000_000)
const CONCURRENCY = env('SOAK_CONCURRENCY', 64)
const NODES = env('SOAK_NODES', 5)
const SAMPLES = env('SOAK_SAMPLES', 50)
const WARMUP = env('SOAK_WARMUP', 0.1)
const TTL = env('SOAK_TTL', 10_000)
const MAX_MS = env('SOAK_MAX_MS', 45 * 60_000)
const MAX_RSS_GROWTH_MB = env('SOAK_MAX_RSS_GROWTH_MB', 20)
const FD_SLACK = env('SOAK_FD_SLACK', 2)
const MAX_ERROR_RATE = env('SOAK_MAX_ERROR_RATE', 0.001)
const OUT = process.env.SOAK_OUT || path.join(here, 'results', 'soak-latest.json')

for (const [k, v] of Object.entries({ OPS, CONCURRENCY, NODES, SAMPLES, TTL, MAX_MS })) {
  if (!Number.isInteger(v) || v < 1) {
    console.error(`soak: SOAK_${k} must be a positive integer (got ${v})`)
    process.exit(2)
  }
}

v8.setFlagsFromString('--expose-gc')
const gc = vm.runInNewContext('gc')
const MB = 1024 * 1024
const r1 = (x) => Math.round(x * 10) / 10
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const fds = () => readdirSync('/proc/self/fd').length
function measure() {
  gc()
  const m = process.memoryUsage()
  return { rssMb: r1(m.rss / MB), heapUsedMb: r1(m.heapUsed / MB), externalMb: r1(m.external / MB), fds: fds() }
}

async function main() {
  const t0 = Date.now()
  const servers = await startServers(NODES)
  let exitCode = 0
  try {
    // Inspection connections of the helper are not opened (never touched): fds are ours only.
    const Redlock = require('../index.js')
    const before = measure()
    const redlock = new Redlock(
      servers.map((s) => new Redlock.IoredisClient({ host: s.host, port: s.port })),
      { retryCount: 3, retryDelay: 50, retryJitter: 25 },
    )
    redlock.on('error', () => {}) // failures are counted from the rejections

    const every = Math.max(1, Math.floor(OPS / SAMPLES))
    const warmupOps = Math.max(every, Math.floor(OPS * WARMUP))
    const samples = []
    const errors = new Map()
    let failed = 0
    let started = 0
    let done = 0
    let nextSample = every
    let stoppedEarly = false
    // Latencies (ms) of one operation in 16 (bounded memory); the maximum over all.
    const lat = new Float64Array(Math.ceil(OPS / 16) + 1)
    let latN = 0
    let latMax = 0
    const runStart = performance.now()
    let lastReport = 0

    const sample = () => {
      const s = { ops: done, tMs: Math.round(performance.now() - runStart), ...measure() }
      samples.push(s)
      const pct = Math.floor((done / OPS) * 10)
      if (pct > lastReport || done === OPS) {
        lastReport = pct
        process.stdout.write(`  ${String(done).padStart(9)} ops  ${String(s.tMs).padStart(7)} ms  rss ${s.rssMb} MB  heap ${s.heapUsedMb} MB  fds ${s.fds}  failed ${failed}\n`)
      }
    }

    async function worker(w) {
      let i = 0
      while (started < OPS) {
        if (Date.now() - t0 > MAX_MS) {
          stoppedEarly = true
          return
        }
        started++
        const resource = `soak:${w}:${i++ % 8}`
        const a = performance.now()
        try {
          const lock = await redlock.acquire([resource], TTL)
          await lock.release()
        } catch (e) {
          failed++
          const key = `${e && e.name}: ${e && e.message}${e && e.detail ? ` (${String(e.detail).replace(/\d+ ms/g, 'N ms').replace(/:\d{4,5}\)/g, ':PORT)')})` : ''}`
          errors.set(key, (errors.get(key) || 0) + 1)
        }
        const ms = performance.now() - a
        if (ms > latMax) latMax = ms
        if (done % 16 === 0 && latN < lat.length) lat[latN++] = ms
        done++
        if (done >= nextSample) {
          nextSample += every
          sample()
        }
      }
    }

    process.stdout.write(`soak: ${OPS} acquire+release on ${NODES} nodes, concurrency ${CONCURRENCY}, ttl ${TTL} ms, a sample every ${every} ops (warm-up ${warmupOps})\n`)
    await Promise.all(Array.from({ length: CONCURRENCY }, (_, w) => worker(w)))
    if (samples.length === 0 || samples[samples.length - 1].ops !== done) sample()
    const wallMs = performance.now() - runStart

    await redlock.quit()
    await sleep(300) // sockets close asynchronously
    const afterQuit = measure()

    // Goals
    const warm = samples.find((s) => s.ops >= warmupOps) || samples[samples.length - 1]
    const post = samples.filter((s) => s.ops >= warm.ops)
    const last = samples[samples.length - 1]
    const mid = samples.find((s) => s.ops >= warm.ops + (last.ops - warm.ops) / 2) || last
    const rssGrowthMb = r1(Math.max(...post.map((s) => s.rssMb)) - warm.rssMb)
    const rssEndGrowthMb = r1(last.rssMb - warm.rssMb)
    const lateGrowthMb = r1(last.rssMb - mid.rssMb)
    const heapGrowthMb = r1(Math.max(...post.map((s) => s.heapUsedMb)) - warm.heapUsedMb)
    const fdGrowth = Math.max(...post.map((s) => s.fds)) - warm.fds
    const fdsLeftAfterQuit = afterQuit.fds - before.fds
    const errorRate = done === 0 ? 1 : failed / done
    const sorted = Array.from(lat.subarray(0, latN)).sort((a, b) => a - b)
    const pct = (p) => (sorted.length === 0 ? null : r1(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]))

    const goals = [
      { goal: `RSS growth after warm-up < ${MAX_RSS_GROWTH_MB} MB`, value: `${rssGrowthMb} MB`, ok: rssGrowthMb < MAX_RSS_GROWTH_MB },
      { goal: `open fds flat after warm-up (≤ +${FD_SLACK})`, value: `${fdGrowth >= 0 ? '+' : ''}${fdGrowth}`, ok: fdGrowth <= FD_SLACK },
      { goal: `fds released by quit() (≤ +${FD_SLACK} vs before)`, value: `${fdsLeftAfterQuit >= 0 ? '+' : ''}${fdsLeftAfterQuit}`, ok: fdsLeftAfterQuit <= FD_SLACK },
      { goal: `failed operations ≤ ${MAX_ERROR_RATE * 100} %`, value: `${failed} (${r1(errorRate * 1e4) / 100} %)`, ok: errorRate <= MAX_ERROR_RATE },
      { goal: 'all operations run (within SOAK_MAX_MS)', value: `${done} of ${OPS}`, ok: !stoppedEarly && done === OPS },
    ]
    const pass = goals.every((g) => g.ok)
    if (!pass) exitCode = 1

    const result = {
      date: new Date().toISOString(),
      pass,
      config: { ops: OPS, concurrency: CONCURRENCY, nodes: NODES, ttlMs: TTL, samples: SAMPLES, warmupOps, maxRssGrowthMb: MAX_RSS_GROWTH_MB, fdSlack: FD_SLACK, maxErrorRate: MAX_ERROR_RATE },
      machine: { node: process.version, platform: `${os.platform()} ${os.arch()}`, cpus: os.cpus().length, loadavg: os.loadavg().map(r1) },
      opsDone: done,
      failed,
      errors: Object.fromEntries([...errors].slice(0, 20)),
      wallMs: Math.round(wallMs),
      opsPerSec: Math.round(done / (wallMs / 1000)),
      latencyMs: { p50: pct(0.5), p90: pct(0.9), p99: pct(0.99), p999: pct(0.999), max: r1(latMax) },
      memory: {
        beforeRedlock: before,
        atWarmup: warm,
        last,
        afterQuit,
        rssGrowthMb,
        rssEndGrowthMb,
        lateGrowthMb,
        heapGrowthMb,
      },
      fds: { beforeRedlock: before.fds, atWarmup: warm.fds, maxAfterWarmup: warm.fds + fdGrowth, afterQuit: afterQuit.fds, growth: fdGrowth, leftAfterQuit: fdsLeftAfterQuit },
      goals,
      samples,
    }
    mkdirSync(path.dirname(OUT), { recursive: true })
    writeFileSync(OUT, JSON.stringify(result, null, 2) + '\n')

    const rows = [
      ['operations', `${done} (${result.opsPerSec} ops/s, ${r1(wallMs / 1000)} s)`],
      ['failed', `${failed}`],
      ['latency p50 / p99 / max', `${result.latencyMs.p50} / ${result.latencyMs.p99} / ${result.latencyMs.max} ms`],
      ['RSS before Redlock / at warm-up / last / after quit', `${before.rssMb} / ${warm.rssMb} / ${last.rssMb} / ${afterQuit.rssMb} MB`],
      ['RSS growth after warm-up (max / end / 2nd half)', `${rssGrowthMb} / ${rssEndGrowthMb} / ${lateGrowthMb} MB`],
      ['heap used at warm-up / last (growth)', `${warm.heapUsedMb} / ${last.heapUsedMb} MB (${heapGrowthMb})`],
      ['fds before / at warm-up / max after / after quit', `${before.fds} / ${warm.fds} / ${warm.fds + fdGrowth} / ${afterQuit.fds}`],
    ]
    const w = Math.max(...rows.map((r) => r[0].length))
    process.stdout.write('\n| measure'.padEnd(w + 3) + ' | value |\n|' + '-'.repeat(w + 2) + '|-------|\n')
    for (const [k, v] of rows) process.stdout.write(`| ${k.padEnd(w)} | ${v} |\n`)
    process.stdout.write('\n| goal | value | met |\n|------|-------|-----|\n')
    for (const g of goals) process.stdout.write(`| ${g.goal} | ${g.value} | ${g.ok ? 'yes' : 'NO'} |\n`)
    for (const [k, n] of errors) process.stdout.write(`  error ×${n}: ${k}\n`)
    process.stdout.write(`\n${pass ? 'PASS' : 'FAIL'}: results in ${path.relative(process.cwd(), OUT)}\n`)
  } finally {
    await stopAll()
  }
  return exitCode
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error('soak failed:', e)
    stopAll().finally(() => process.exit(2))
  },
)
