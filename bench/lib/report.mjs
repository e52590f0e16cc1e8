// Aggregation (medians, paired ratios to the baseline, targets) and the markdown report.

import { median, round } from './stats.mjs'

const SUM_FIELDS = new Set(['violations', 'giveUps', 'errors', 'releaseErrors'])
const ANY_FIELDS = new Set(['timedOut'])

/** Median of every numeric field over the repetitions (counters of failures are summed). */
export function aggregate(reps) {
  const ok = reps.filter((r) => r && !r.error)
  if (ok.length === 0) return null
  const out = {}
  const keys = new Set(ok.flatMap((r) => Object.keys(r)))
  for (const k of keys) {
    const vals = ok.map((r) => r[k])
    if (SUM_FIELDS.has(k)) out[k] = vals.reduce((a, b) => a + (b ?? 0), 0)
    else if (ANY_FIELDS.has(k)) out[k] = vals.some(Boolean)
    else if (vals.every((v) => typeof v === 'number')) out[k] = round(median(vals), 3)
    else if (vals.every((v) => v && typeof v === 'object' && !Array.isArray(v))) {
      const sub = {}
      for (const sk of new Set(vals.flatMap((v) => Object.keys(v)))) sub[sk] = round(median(vals.map((v) => v[sk] ?? 0)), 3)
      out[k] = sub
    }
  }
  out.repsOk = ok.length
  return out
}

/** Metrics that get a ratio to the baseline, per scenario. */
export const RATIO_METRICS = {
  sequential: ['opsPerSec', 'p50Us', 'p99Us', 'p999Us', 'cpuUsPerOp'],
  sequentialMulti: ['opsPerSec', 'p50Us', 'p99Us', 'p999Us', 'cpuUsPerOp'],
  throughput: ['opsPerSec', 'acquireP99Us', 'cpuUsPerOp', 'redisCmdsPerOp', 'redisCpuUsPerOp'],
  contention: ['csPerSec', 'waitP50Ms', 'waitP99Ms', 'redisCmdsPerCs', 'cpuUsPerCs'],
  extend: ['opsPerSec', 'p50Us', 'p99Us'],
}

/** Ratios of medians, impl / baseline (the numbers the tables show). */
export function medianRatios(implMedian, baseMedian, metrics) {
  const out = {}
  for (const m of metrics) {
    const a = implMedian?.[m]
    const b = baseMedian?.[m]
    out[m] = typeof a === 'number' && typeof b === 'number' && b > 0 ? round(a / b, 3) : null
  }
  return out
}

/**
 * Paired ratios: each repetition's pair ran back to back (interleaved), so the ratio is taken per
 * repetition and the median of those is reported (robust to slow drifts of the machine's load).
 */
export function pairedRatios(implReps, baseReps, metrics) {
  const out = {}
  for (const m of metrics) {
    const rs = []
    const n = Math.min(implReps.length, baseReps.length)
    for (let i = 0; i < n; i++) {
      const a = implReps[i]
      const b = baseReps[i]
      if (!a || !b || a.error || b.error) continue
      if (typeof a[m] === 'number' && typeof b[m] === 'number' && b[m] > 0) rs.push(a[m] / b[m])
    }
    out[m] = rs.length ? round(median(rs), 3) : null
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// Targets of issue 5 (ratios of redlock-rs to redlock v5, same run).

export function evaluateTargets(results, subject, baseline) {
  const rows = []
  const cell = (sc, n, impl) => results.scenarios?.[sc]?.[n]?.[impl]
  const nodesOf = (sc) => Object.keys(results.scenarios?.[sc] ?? {}).map(Number).sort((a, b) => a - b)
  const add = (target, where, value, ok, note = '') => rows.push({ target, where, value, met: ok, note })

  for (const n of nodesOf('throughput')) {
    const r = cell('throughput', n, subject)?.ratios
    if (!r) continue
    const want = n >= 3 ? 3 : 1.5
    add(`throughput (64 workers) ≥ ${want}× v5`, `${n} node${n > 1 ? 's' : ''}`, r.opsPerSec, r.opsPerSec != null && r.opsPerSec >= want)
    add('Node CPU per operation ≤ 0.33× v5', `${n} node${n > 1 ? 's' : ''}`, r.cpuUsPerOp, r.cpuUsPerOp != null && r.cpuUsPerOp <= 0.33)
  }
  for (const n of nodesOf('sequential')) {
    const r = cell('sequential', n, subject)?.ratios
    if (!r) continue
    add('sequential acquire+release ≥ 1.0× v5 (ops/s)', `${n} node${n > 1 ? 's' : ''}`, r.opsPerSec, r.opsPerSec != null && r.opsPerSec >= 1.0)
  }
  for (const n of nodesOf('contention')) {
    const r = cell('contention', n, subject)?.ratios
    if (!r) continue
    const w = `${n} node${n > 1 ? 's' : ''}`
    add('contention: critical sections/s ≥ 1.3× v5', w, r.csPerSec, r.csPerSec != null && r.csPerSec >= 1.3)
    add('contention: wait p99 ≤ 0.2× v5', w, r.waitP99Ms, r.waitP99Ms != null && r.waitP99Ms <= 0.2)
    add('Redis commands per critical section ≤ 0.5× v5', w, r.redisCmdsPerCs, r.redisCmdsPerCs != null && r.redisCmdsPerCs <= 0.5)
  }
  const mem = results.scenarios?.memory
  if (mem) {
    for (const n of Object.keys(mem)) {
      const s = mem[n][subject]?.median
      const b = mem[n][baseline]?.median
      if (s && b) {
        const d = round(s.idleRssMb - b.idleRssMb, 1)
        add('idle RSS ≤ v5 + 10 MB', `${n} nodes`, `${d >= 0 ? '+' : ''}${d} MB`, d <= 10)
      }
      const soak = mem[n][subject]?.soak
      if (soak && !soak.error) {
        add(
          `memory flat over ${soak.ops.toLocaleString('en-US')} operations (post-GC RSS growth over the second half ≤ 2 MB)`,
          `${n} nodes`,
          `${soak.lateGrowthMb >= 0 ? '+' : ''}${soak.lateGrowthMb} MB (whole run ${soak.growthMb >= 0 ? '+' : ''}${soak.growthMb} MB)`,
          soak.lateGrowthMb != null && soak.lateGrowthMb <= 2,
          soak.ops < 1000000 ? 'fewer than the 1,000,000 operations of the target (not the full profile)' : '',
        )
      }
    }
  }
  return rows
}

// ---------------------------------------------------------------------------------------------
// Markdown

const fmt = (x, d = 0) => {
  if (x == null || (typeof x === 'number' && !Number.isFinite(x))) return '–'
  if (typeof x !== 'number') return String(x)
  return x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d })
}
const ratio = (x) => (x == null ? '–' : `${fmt(x, 2)}×`)

function table(header, rows) {
  const lines = [`| ${header.join(' | ')} |`, `|${header.map((h, i) => (i < 2 ? '---' : '---:')).join('|')}|`]
  for (const r of rows) lines.push(`| ${r.join(' | ')} |`)
  return lines.join('\n')
}

export function markdown(res) {
  const m = res.meta
  const impls = res.config.impls
  const label = (i) => res.implLabels[i] ?? i
  const S = res.scenarios
  const out = []
  out.push(`# redlock-rs benchmark — ${res.config.profile} profile`)
  out.push('')
  out.push(
    `${m.startedAt} · ${m.durationSeconds} s · ${res.config.reps} interleaved repetition(s), medians · ` +
      `ratios (×v5): medians relative to ${label(res.baseline)} in the same run.` +
      (res.incomplete ? ' **INCOMPLETE RUN (watchdog or error): some cells are missing.**' : ''),
  )
  out.push('')
  out.push('**Machine.** ' + [
    `${m.nproc} CPUs (nproc), ${m.cpuModel}`,
    `${m.memTotalGb} GB RAM`,
    `Linux ${m.kernel}`,
    `load average ${m.loadStart.join(' / ')} at start, ${m.loadEnd ? m.loadEnd.join(' / ') : '–'} at end`,
    `Node ${m.node}`,
    `redis-server ${m.redis} (local, loopback, \`--save "" --appendonly no\`, on the same CPUs as Node)`,
    `ioredis ${m.versions.ioredis}, redlock ${m.versions['redlock-v5']} and ${m.versions['redlock-v4']}, redlock-rs ${m.versions['redlock-rs']} at ${m.git}${m.addon ? `, addon built ${m.addon.builtAt}` : ''}`,
  ].join('; ') + '.')
  out.push('')
  const violations = []
  for (const n of Object.keys(S.contention ?? {})) for (const i of impls) {
    const v = S.contention[n][i]?.median?.violations
    if (v) violations.push(`${label(i)} at ${n} node(s): ${v}`)
  }
  if (violations.length) out.push(`**MUTUAL EXCLUSION VIOLATED:** ${violations.join('; ')}\n`)

  const nodes = (sc) => Object.keys(S[sc] ?? {}).map(Number).sort((a, b) => a - b)
  const rowsFor = (sc, fn) => {
    const rows = []
    for (const n of nodes(sc)) for (const i of impls) {
      const c = S[sc][n][i]
      if (!c) continue
      if (!c.median) rows.push([label(i), String(n), `error: ${(c.reps.find((r) => r?.error)?.error ?? '?').slice(0, 60)}`])
      else rows.push([label(i), String(n), ...fn(c.median, c.ratios ?? {})])
    }
    return rows
  }

  if (S.sequential) {
    out.push('## 1. Sequential acquire + release (one worker)')
    out.push('')
    out.push(table(
      ['implementation', 'nodes', 'pairs/s', '×v5', 'p50 µs', 'p99 µs', 'p999 µs', 'Node CPU µs/pair', 'Redis cmds/pair', 'vol. ctx switches/pair'],
      rowsFor('sequential', (x, r) => [fmt(x.opsPerSec), ratio(r.opsPerSec), fmt(x.p50Us), fmt(x.p99Us), fmt(x.p999Us), fmt(x.cpuUsPerOp), fmt(x.redisCmdsPerOp, 1), fmt(x.vcsPerOp, 2)]),
    ))
    out.push('')
  }
  if (S.sequentialMulti) {
    out.push(`## 1b. Sequential acquire + release of one lock on ${res.config.sequentialMulti.resources} resources (one worker)`)
    out.push('')
    out.push(table(
      ['implementation', 'nodes', 'pairs/s', '×v5', 'p50 µs', 'p99 µs', 'p999 µs', 'Node CPU µs/pair', 'Redis cmds/pair', 'vol. ctx switches/pair'],
      rowsFor('sequentialMulti', (x, r) => [fmt(x.opsPerSec), ratio(r.opsPerSec), fmt(x.p50Us), fmt(x.p99Us), fmt(x.p999Us), fmt(x.cpuUsPerOp), fmt(x.redisCmdsPerOp, 1), fmt(x.vcsPerOp, 2)]),
    ))
    out.push('')
  }
  if (S.sequentialFenced) {
    out.push('## 1c. Sequential acquire + release with a fencing token (redlock-rs only)')
    out.push('')
    out.push(
      'A fenced acquire makes one more round trip (the write-back, docs/fencing.md). ×plain: the ratio to the same ' +
        "implementation's plain pairs/s of this run (section 1); no other implementation fences.",
    )
    out.push('')
    const rows = []
    for (const n of nodes('sequentialFenced')) for (const i of impls) {
      const c = S.sequentialFenced[n][i]
      if (!c) continue
      if (!c.median) {
        rows.push([label(i), String(n), `error: ${(c.reps.find((r) => r?.error)?.error ?? '?').slice(0, 60)}`])
        continue
      }
      const x = c.median
      const plain = S.sequential?.[n]?.[i]?.median?.opsPerSec
      const vsPlain = typeof plain === 'number' && plain > 0 ? ratio(round(x.opsPerSec / plain, 3)) : '–'
      rows.push([label(i), String(n), fmt(x.opsPerSec), vsPlain, fmt(x.p50Us), fmt(x.p99Us), fmt(x.p999Us), fmt(x.cpuUsPerOp), fmt(x.redisCmdsPerOp, 1)])
    }
    out.push(table(['implementation', 'nodes', 'pairs/s', '×plain', 'p50 µs', 'p99 µs', 'p999 µs', 'Node CPU µs/pair', 'Redis cmds/pair'], rows))
    out.push('')
  }
  if (S.throughput) {
    out.push(`## 2. Throughput: ${res.config.throughput.workers} workers, distinct resources, acquire + release`)
    out.push('')
    out.push(table(
      ['implementation', 'nodes', 'ops/s', '×v5', 'acquire p50 µs', 'acquire p99 µs', 'Node CPU µs/op', 'CPU ×v5', 'Redis cmds/op', 'Redis CPU µs/op', 'errors'],
      rowsFor('throughput', (x, r) => [fmt(x.opsPerSec), ratio(r.opsPerSec), fmt(x.acquireP50Us), fmt(x.acquireP99Us), fmt(x.cpuUsPerOp), ratio(r.cpuUsPerOp), fmt(x.redisCmdsPerOp, 1), fmt(x.redisCpuUsPerOp, 1), fmt(x.errors)]),
    ))
    out.push('')
  }
  if (S.contention) {
    const c = res.config.contention
    out.push(`## 3. Contention: ${c.workers} workers, one resource, ${c.holdMs} ms hold, retryDelay ${res.config.contentionSettings.retryDelay} ± ${res.config.contentionSettings.retryJitter} ms`)
    out.push('')
    out.push(table(
      ['implementation', 'nodes', 'CS/s', '×v5', 'wait p50 ms', 'wait p99 ms', 'p99 ×v5', 'wait max ms', 'Redis cmds/CS', 'cmds ×v5', 'workers served', 'top worker share', 'violations'],
      rowsFor('contention', (x, r) => [fmt(x.csPerSec), ratio(r.csPerSec), fmt(x.waitP50Ms, 1), fmt(x.waitP99Ms, 1), ratio(r.waitP99Ms), fmt(x.waitMaxMs, 0), fmt(x.redisCmdsPerCs, 1), ratio(r.redisCmdsPerCs), `${fmt(x.workersServed)}/${c.workers}`, `${fmt(x.maxWorkerShare * 100)} %`, fmt(x.violations)]),
    ))
    out.push('')
  }
  if (S.extend) {
    out.push('## 4. Sequential extend of one held lock')
    out.push('')
    out.push(table(
      ['implementation', 'nodes', 'extends/s', '×v5', 'p50 µs', 'p99 µs', 'p999 µs', 'Node CPU µs/op'],
      rowsFor('extend', (x, r) => [fmt(x.opsPerSec), ratio(r.opsPerSec), fmt(x.p50Us), fmt(x.p99Us), fmt(x.p999Us), fmt(x.cpuUsPerOp)]),
    ))
    out.push('')
  }
  if (S.memory) {
    const mc = res.config.memory
    out.push(`## 5. Memory (one child process per implementation, ${mc.ops.toLocaleString('en-US')} acquire+release with ${mc.workers} workers)`)
    out.push('')
    const rows = []
    for (const n of nodes('memory')) for (const i of impls) {
      const c = S.memory[n][i]
      if (!c) continue
      const x = c.median
      if (!x) {
        rows.push([label(i), String(n), `error: ${(c.reps.find((r) => r?.error)?.error ?? '?').slice(0, 60)}`])
        continue
      }
      const sg = (x) => `${x >= 0 ? '+' : ''}${fmt(x, 1)}`
      const soak = c.soak && !c.soak.error ? `${fmt(c.soak.ops)} ops: ${sg(c.soak.growthMb)} MB, 2nd half ${sg(c.soak.lateGrowthMb)} MB` : c.soak?.error ? 'error' : '–'
      rows.push([label(i), String(n), fmt(x.baseRssMb, 1), fmt(x.idleRssMb, 1), fmt(x.idleRssMb - (S.memory[n][res.baseline]?.median?.idleRssMb ?? NaN), 1), fmt(x.peakRssMb, 1), fmt(x.growthMb, 1), soak])
    }
    out.push(table(['implementation', 'nodes', 'bare Node RSS MB', 'idle RSS MB', 'idle − v5 MB', 'peak RSS MB', 'post-GC growth MB', 'soak growth'], rows))
    out.push('')
  }
  if (res.targets?.length) {
    out.push(`## Targets (issue 5): ${label(res.subject)} vs ${label(res.baseline)}`)
    out.push('')
    out.push(table(['target', 'where', 'measured', 'met'], res.targets.map((t) => [t.target, t.where, typeof t.value === 'number' ? ratio(t.value) : String(t.value ?? '–'), (t.met ? 'yes' : '**no**') + (t.note ? ` (${t.note})` : '')])))
    out.push('')
  }
  out.push(`Reproduce: \`${res.config.command}\` (see bench/README.md). Raw numbers: \`${res.jsonFile}\`.`)
  out.push('')
  return out.join('\n')
}
