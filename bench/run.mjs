#!/usr/bin/env node
// redlock-rs benchmark: redlock-rs vs npm redlock 5.0.0-beta.2, redlock 4.2.0 and a raw ioredis
// floor, on 1, 3 and 5 (full profile: and 7) local redis-server instances that this script starts
// and stops.
//
//   npm run bench                    full profile (the reference run; quiet machine, ~20 min)
//   npm run bench:quick              quick profile (≤ 3 min)
//   BENCH_PROFILE=tiny node bench/run.mjs   CI smoke (a few seconds per node count)
//
// Environment (all optional):
//   BENCH_PROFILE   tiny | quick | full (or --profile=NAME); default full
//   BENCH_OUT       directory for the results (default bench/results)
//   BENCH_IMPLS     comma list, e.g. redlock-rs,redlock-v5 (the baseline redlock-v5 is always added)
//   BENCH_NODES     comma list of node counts, e.g. 3
//   BENCH_SCENARIOS comma list of sequential,sequentialMulti,sequentialFenced,throughput,contention,extend,memory
//   BENCH_REPS      repetitions (overrides the profile)
//
// See bench/README.md for what every number means.

import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import { ALL_IMPLS, BASELINE, IMPLS } from './lib/impls.mjs'
import { PROFILES } from './lib/profiles.mjs'
import { aggregate, evaluateTargets, markdown, medianRatios, pairedRatios, RATIO_METRICS } from './lib/report.mjs'
import { SCENARIOS } from './lib/scenarios.mjs'
import { killAllSync, redisServerVersion, startServers, stopAll } from '../__test__/helpers/redis.mjs'
import { round } from './lib/stats.mjs'

const HERE = path.dirname(fileURLToPath(import.meta.url))
const ROOT = path.resolve(HERE, '..')
const SUBJECT = 'redlock-rs'
const log = (...a) => process.stderr.write(a.join(' ') + '\n')

// ---------------------------------------------------------------------------------------------
// Configuration

const argProfile = process.argv.find((a) => a.startsWith('--profile='))?.slice('--profile='.length)
const profileName = argProfile ?? process.env.BENCH_PROFILE ?? 'full'
if (!PROFILES[profileName]) {
  log(`unknown profile '${profileName}' (tiny | quick | full)`)
  process.exit(2)
}
const cfg = structuredClone(PROFILES[profileName])
const list = (v) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : null)
let impls = list(process.env.BENCH_IMPLS) ?? ALL_IMPLS
for (const i of impls) if (!IMPLS[i]) (log(`unknown implementation '${i}' (${ALL_IMPLS.join(', ')})`), process.exit(2))
if (!impls.includes(BASELINE)) impls = [BASELINE, ...impls]
impls = ALL_IMPLS.filter((i) => impls.includes(i))
if (process.env.BENCH_NODES) cfg.nodeCounts = list(process.env.BENCH_NODES).map(Number)
if (process.env.BENCH_SCENARIOS) cfg.scenarios = list(process.env.BENCH_SCENARIOS)
for (const s of cfg.scenarios) if (!SCENARIOS[s] && s !== 'memory') (log(`unknown scenario '${s}'`), process.exit(2))
if (process.env.BENCH_REPS) cfg.reps = Math.max(1, Number(process.env.BENCH_REPS) | 0)
if (cfg.nodeCounts.some((n) => !Number.isInteger(n) || n < 1 || n > 9)) (log('BENCH_NODES: 1..9'), process.exit(2))

const outDir = path.resolve(process.env.BENCH_OUT ?? path.join(HERE, 'results'))

// ---------------------------------------------------------------------------------------------
// Cleanup on every exit path

const children = new Set()
function killChildrenSync() {
  for (const c of children) {
    try {
      c.kill('SIGKILL')
    } catch {}
  }
}
process.on('exit', () => {
  killChildrenSync()
  killAllSync()
})
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    log(`\n${sig}: stopping the redis-servers of the bench`)
    killChildrenSync()
    killAllSync()
    process.exit(sig === 'SIGINT' ? 130 : 143)
  })
}

// ---------------------------------------------------------------------------------------------
// Machine description

function sh(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 5000, cwd: ROOT })
  return r.status === 0 ? r.stdout.trim() : null
}

function machine() {
  let cpuModel = 'unknown'
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))
    if (m) cpuModel = m[1].trim()
  } catch {
    cpuModel = os.cpus()[0]?.model ?? 'unknown'
  }
  const versions = {}
  for (const i of ALL_IMPLS) versions[i] = IMPLS[i].version()
  versions.ioredis = IMPLS['ioredis-raw'].version()
  const dirty = sh('git', ['status', '--porcelain', '--untracked-files=no'])
  // Which build of the addon was measured (the work tree may be ahead of it).
  let addon = null
  try {
    const f = readdirSync(ROOT).find((x) => /^redlock-rs\..*\.node$/.test(x))
    if (f) {
      const st = statSync(path.join(ROOT, f))
      addon = { file: f, builtAt: st.mtime.toISOString(), bytes: st.size }
    }
  } catch {}
  return {
    nproc: Number(sh('nproc', [])) || os.cpus().length,
    cpuModel,
    memTotalGb: round(os.totalmem() / 2 ** 30, 1),
    kernel: os.release(),
    node: process.version,
    redis: redisServerVersion(),
    versions,
    git: (sh('git', ['rev-parse', '--short', 'HEAD']) ?? 'unknown') + (dirty ? ' (uncommitted changes)' : ''),
    addon,
    loadStart: os.loadavg().map((x) => round(x, 2)),
  }
}

// ---------------------------------------------------------------------------------------------

const startedAt = new Date()
const t0 = Date.now()
const results = {
  schema: 1,
  meta: null,
  config: {
    profile: profileName,
    command:
      profileName === 'full' ? 'npm run bench' : profileName === 'quick' ? 'npm run bench:quick' : `BENCH_PROFILE=${profileName} node bench/run.mjs`,
    impls,
    ...cfg,
  },
  baseline: BASELINE,
  subject: SUBJECT,
  implLabels: Object.fromEntries(ALL_IMPLS.map((i) => [i, IMPLS[i].label])),
  scenarios: {},
  targets: [],
  incomplete: false,
}

const rotate = (arr, k) => arr.map((_, i) => arr[(i + k) % arr.length])

function cellOf(sc, n, impl) {
  const s = (results.scenarios[sc] ??= {})
  const byNode = (s[n] ??= {})
  return (byNode[impl] ??= { reps: [], median: null, ratios: null })
}

function headline(sc, r) {
  if (r.error) return `ERROR ${r.error.slice(0, 120)}`
  switch (sc) {
    case 'sequential':
    case 'sequentialMulti':
    case 'sequentialFenced':
      return `${r.opsPerSec} pairs/s p50 ${r.p50Us} µs p99 ${r.p99Us} µs`
    case 'throughput':
      return `${r.opsPerSec} ops/s cpu ${r.cpuUsPerOp} µs/op acq p99 ${r.acquireP99Us} µs${r.errors ? ` errors ${r.errors}` : ''}`
    case 'contention':
      return `${r.csPerSec} CS/s wait p50 ${r.waitP50Ms} p99 ${r.waitP99Ms} ms cmds/CS ${r.redisCmdsPerCs} served ${r.workersServed}${r.violations ? ` VIOLATIONS ${r.violations}` : ''}`
    case 'extend':
      return `${r.opsPerSec} extends/s p50 ${r.p50Us} µs`
    default:
      return ''
  }
}

/** Hard bound of one cell: its own time bound plus generous slack. */
function cellBudgetMs(sc) {
  const c = cfg[sc]
  if (sc === 'contention') return c.ms + c.drainMs + 30000
  return (c.ms ?? 0) + (c.warmMs ?? 0) + 60000
}

/**
 * Every cell (implementation × scenario × repetition at this node count) in a fresh process of
 * its own, implementations interleaved and rotated per repetition: implementations sharing one
 * process would share its heap, event loop and CPU account, and their numbers would lie.
 */
async function runIsolated(nodeCount, ports) {
  const scen = cfg.scenarios.filter((s) => s !== 'memory')
  for (const sc of scen) {
    // Fencing tokens are redlock-rs's alone: only the implementations that fence run that one.
    const who = sc === 'sequentialFenced' ? impls.filter((i) => IMPLS[i].fencing) : impls
    for (let rep = 0; rep < cfg.reps; rep++) {
      for (const i of rotate(who, rep)) {
        const budgetMs = cellBudgetMs(sc) + 20000
        const args = { impl: i, scenario: sc, ports, cfg, keyPrefix: `bench:${i}:${nodeCount}:${sc}:${rep}`, budgetMs }
        const r = await runChild('cell-child.mjs', args, budgetMs)
        cellOf(sc, nodeCount, i).reps.push(r)
        log(`  [${nodeCount}n ${sc} rep ${rep + 1}/${cfg.reps}] ${i.padEnd(14)} ${headline(sc, r)}`)
      }
    }
  }
}

function runChild(script, args, maxMs) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--expose-gc', path.join(HERE, script), JSON.stringify(args)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: ROOT,
    })
    children.add(child)
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (err = (err + d).slice(-2000)))
    const timer = setTimeout(() => child.kill('SIGKILL'), maxMs + 30000)
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      children.delete(child)
      const line = out.trim().split('\n').pop()
      try {
        resolve(JSON.parse(line))
      } catch {
        resolve({ error: `${script} exited ${code ?? signal}: ${err.slice(-300) || out.slice(-300)}` })
      }
    })
  })
}

async function runMemory(ports) {
  const mc = cfg.memory
  const n = ports.length
  for (let rep = 0; rep < mc.reps; rep++) {
    for (const i of rotate(impls, rep)) {
      const r = await runChild('mem-child.mjs', { impl: i, ports, ops: mc.ops, workers: mc.workers, maxMs: mc.maxMs, ttl: mc.ttl, tag: `mem${rep}` }, mc.maxMs)
      cellOf('memory', n, i).reps.push(r)
      log(`  [${n}n memory rep ${rep + 1}/${mc.reps}] ${i.padEnd(14)} ${r.error ? `ERROR ${r.error.slice(0, 200)}` : `idle ${r.idleRssMb} MB peak ${r.peakRssMb} MB growth ${r.growthMb} MB (${r.opsPerSec} ops/s)`}`)
    }
  }
  const soak = cfg.soak
  if (soak && soak.nodes === n) {
    for (const i of soak.impls.filter((x) => impls.includes(x))) {
      const r = await runChild('mem-child.mjs', { impl: i, ports, ops: soak.ops, workers: soak.workers, maxMs: soak.maxMs, ttl: soak.ttl, tag: 'soak' }, soak.maxMs)
      cellOf('memory', n, i).soak = r
      log(`  [${n}n soak] ${i.padEnd(14)} ${r.error ? `ERROR ${r.error.slice(0, 200)}` : `${r.ops} ops: post-GC RSS ${r.checkpoints.map((c) => c.rssMb).join(' ')} MB (growth ${r.growthMb} MB)`}`)
    }
  }
}

function finish() {
  // Medians and paired ratios.
  for (const [sc, byNode] of Object.entries(results.scenarios)) {
    for (const byImpl of Object.values(byNode)) {
      const base = byImpl[BASELINE]
      for (const cell of Object.values(byImpl)) cell.median = aggregate(cell.reps)
      for (const cell of Object.values(byImpl)) {
        if (!RATIO_METRICS[sc] || !base) continue
        cell.ratios = medianRatios(cell.median, base.median, RATIO_METRICS[sc])
        cell.pairedRatios = pairedRatios(cell.reps, base.reps, RATIO_METRICS[sc])
      }
    }
  }
  results.targets = evaluateTargets(results, SUBJECT, BASELINE)
  results.meta.loadEnd = os.loadavg().map((x) => round(x, 2))
  results.meta.durationSeconds = Math.round((Date.now() - t0) / 1000)
  mkdirSync(outDir, { recursive: true })
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-')
  const tiny = profileName === 'tiny'
  const jsonName = tiny ? 'tiny.json' : `${stamp}-${profileName}.json`
  const mdName = tiny ? 'tiny.md' : profileName === 'full' ? 'latest.md' : `latest-${profileName}.md`
  const jsonPath = path.join(outDir, jsonName)
  results.jsonFile = path.relative(ROOT, jsonPath)
  writeFileSync(jsonPath, JSON.stringify(results, null, 2) + '\n')
  const md = markdown(results)
  writeFileSync(path.join(outDir, mdName), md)
  return { jsonPath, mdPath: path.join(outDir, mdName), md }
}

async function main() {
  results.meta = { startedAt: startedAt.toISOString(), ...machine() }
  log(`redlock-rs bench: profile ${profileName}, ${impls.join(', ')}; nodes ${cfg.nodeCounts.join(', ')}; ${cfg.reps} rep(s); scenarios ${cfg.scenarios.join(', ')}`)
  log(`machine: ${results.meta.nproc} CPUs, ${results.meta.cpuModel}, node ${results.meta.node}, redis ${results.meta.redis}, load ${results.meta.loadStart.join(' ')}`)
  const maxNodes = Math.max(...cfg.nodeCounts, cfg.scenarios.includes('memory') ? cfg.memory.nodes : 0)
  const servers = await startServers(maxNodes)
  try {
    for (const n of cfg.nodeCounts) {
      log(`— ${n} node(s), one process per cell`)
      await runIsolated(n, servers.slice(0, n).map((s) => s.port))
    }
    if (cfg.scenarios.includes('memory')) {
      log(`— memory, ${cfg.memory.nodes} nodes, one child process per implementation`)
      await runMemory(servers.slice(0, cfg.memory.nodes).map((s) => s.port))
    }
  } finally {
    await stopAll()
  }
}

const watchdog = setTimeout(() => {
  log(`watchdog: the run exceeded ${cfg.maxTotalMs} ms; writing what was measured and stopping`)
  results.incomplete = true
  try {
    const { jsonPath } = finish()
    log(`partial results: ${jsonPath}`)
  } catch {}
  process.exit(4)
}, cfg.maxTotalMs)
watchdog.unref()

main().then(
  () => {
    clearTimeout(watchdog)
    const { jsonPath, mdPath, md } = finish()
    if (profileName !== 'tiny') process.stdout.write(md + '\n')
    log(`results: ${path.relative(process.cwd(), jsonPath)} and ${path.relative(process.cwd(), mdPath)} (${results.meta.durationSeconds} s)`)
    process.exit(0)
  },
  (err) => {
    clearTimeout(watchdog)
    log(`bench failed: ${err?.stack ?? err}`)
    results.incomplete = true
    try {
      if (results.meta) finish()
    } catch {}
    process.exit(1)
  },
)
