// Mutation check (`npm run mutants`): builds the addon with the test-only `mutants` feature,
// then runs the suites once per injected bug (REDLOCK_RS_MUTANT) and reports which suite caught
// it. Every mutant must be caught; the baseline (no mutant) must pass every suite. Slow
// (minutes): not part of CI.
//
//   npm run mutants                       all mutants; each stops at the first suite that catches it
//   MUTANTS_JS_ONLY=1 npm run mutants     only the JS suites against real redis-servers (no cargo test)
//   MUTANTS_ALL_SUITES=1 npm run mutants  every suite for every mutant (slow)
//   MUTANTS=floor-quorum npm run mutants  one mutant (or a comma-separated list)
//   MUTANTS_SUITES=fault-matrix,safety    only these suites
//
// Each suite run's output is kept in target/mutants/logs/<mutant>--<suite>.log.
//
// The mutants are those of the build (`mutantNames()` of the mutants addon, i.e.
// `Mutant::ALL` in src/testing/mutants.rs), so this list never drifts from the Rust one.
import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const jsOnly = !!process.env.MUTANTS_JS_ONLY

// The JS suites against real redis-servers, cheapest first (a mutant stops at the first suite
// that catches it): each is every `__test__/<base>*.test.mjs`.
const JS_SUITES = ['original-api', 'faults', 'compat-v5', 'compat-v4', 'claims', 'waiting', 'fencing', 'fault-matrix', 'safety']

/**
 * Ordering hints only: the suites likely to catch a mutant are tried first, to save time. A
 * mutant is still caught only by a suite that really fails with it; every other suite follows
 * in the usual order. Names must be mutants of the build (checked below).
 */
const LIKELY = {
  'no-validity-check': ['fault-matrix'],
  'validity-from-reply': ['fault-matrix'],
  'plain-del-release': ['fault-matrix'],
  'floor-quorum': ['fault-matrix'],
  'extend-without-owner-check': ['claims', 'fault-matrix'],
  'rollback-yes-only': ['fault-matrix'],
  'no-node-timeout': ['claims', 'fault-matrix'],
  'no-release-announcement': ['waiting'],
  'wake-every-waiter': ['waiting'],
  'keep-duplicate-resources': ['claims'],
  'ignore-custom-scripts': ['claims'],
  'no-expiration-lowering': ['claims'],
  'stats-raw-url': ['claims'],
  'no-release-timeout': ['claims'],
  'keeper-never-extends': ['compat-v5'],
  'no-release-listener': ['waiting'],
  'no-hand-over': ['waiting'],
  'fence-without-write-back': ['fencing', 'safety'],
}

function listTests(base) {
  const dir = join(root, '__test__')
  const out = spawnSync('sh', ['-c', `ls ${dir}/${base}*.test.mjs 2>/dev/null`], { encoding: 'utf8' })
  return out.stdout.split('\n').filter(Boolean)
}

const suites = [
  ...(jsOnly ? [] : [{ name: 'cargo test (engine)', cmd: 'cargo', args: ['test', '--locked', '--features', 'mutants', '--lib'] }]),
  ...JS_SUITES.map((base) => ({ base, files: listTests(base) }))
    .filter((s) => s.files.length > 0)
    .map((s) => ({ name: s.base, cmd: process.execPath, args: ['--test', '--test-concurrency=1', ...s.files] })),
].filter((s) => !process.env.MUTANTS_SUITES || process.env.MUTANTS_SUITES.split(',').includes(s.name))

/** The suites in the order to try for `mutant`: its likely ones first. */
function ordered(mutant) {
  const first = LIKELY[mutant] || []
  const rank = (s) => (first.includes(s.name) ? first.indexOf(s.name) : first.length)
  return [...suites].sort((a, b) => rank(a) - rank(b))
}

/** Runs one suite; its whole output goes to `log`. */
function run(cmd, args, env, timeoutMs, log) {
  const t = Date.now()
  const r = spawnSync(cmd, args, { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 256 * 1024 * 1024 })
  const out = `${r.stdout || ''}${r.stderr || ''}`
  writeFileSync(log, out)
  const summary = (out.match(/^# (pass|fail) \d+$/gm) || []).join(', ') || (out.match(/test result: .*$/m) || [''])[0]
  const failures = [...out.matchAll(/^\s*not ok \d+ - (.*)$/gm)].map((m) => m[1]).slice(0, 5)
  return { ok: r.status === 0, status: r.status, signal: r.signal, ms: Date.now() - t, summary, failures }
}

console.log('building the mutants build (cargo build --release --features mutants)…')
const build = spawnSync('cargo', ['build', '--release', '--locked', '--features', 'mutants'], { cwd: root, stdio: 'inherit' })
if (build.status !== 0) process.exit(1)
mkdirSync(join(root, 'target', 'mutants'), { recursive: true })
const lib = join(root, 'target', 'mutants', 'redlock-rs.mutants.node')
copyFileSync(join(root, 'target', 'release', 'libredlock_rs.so'), lib)
if (!existsSync(lib)) process.exit(1)

// The mutants of this build, by name.
const names = spawnSync(process.execPath, ['-e', `console.log(JSON.stringify(require(${JSON.stringify(lib)}).mutantNames())); process.exit(0)`], {
  encoding: 'utf8',
  timeout: 60_000,
})
if (names.status !== 0) {
  console.error(`cannot read the mutants of the build: ${names.stderr}`)
  process.exit(1)
}
const ALL = JSON.parse(names.stdout.trim().split('\n').pop())
const unknownHints = Object.keys(LIKELY).filter((m) => !ALL.includes(m))
if (unknownHints.length > 0) {
  console.error(`bench/mutants.mjs hints at mutants the build does not have: ${unknownHints.join(', ')}`)
  process.exit(1)
}
const mutants = process.env.MUTANTS ? process.env.MUTANTS.split(',') : ALL
const unknown = mutants.filter((m) => !ALL.includes(m))
if (unknown.length > 0) {
  console.error(`unknown mutants: ${unknown.join(', ')} (the build has: ${ALL.join(', ')})`)
  process.exit(1)
}
console.log(`${mutants.length} mutants; suites: ${suites.map((s) => s.name).join(', ')}`)
// Every suite run's output, for a look at why it failed.
const logs = join(root, 'target', 'mutants', 'logs')
mkdirSync(logs, { recursive: true })

const results = []
for (const mutant of ['none (baseline)', ...mutants]) {
  const env = { NAPI_RS_NATIVE_LIBRARY_PATH: lib }
  const baseline = mutant.startsWith('none')
  if (!baseline) env.REDLOCK_RS_MUTANT = mutant
  const row = { mutant, caughtBy: [], runs: [] }
  for (const s of baseline ? suites : ordered(mutant)) {
    const log = join(logs, `${baseline ? 'baseline' : mutant}--${s.name.replace(/\W+/g, '-')}.log`)
    const r = run(s.cmd, s.args, env, 600_000, log)
    row.runs.push({ suite: s.name, ...r })
    if (!r.ok) row.caughtBy.push(s.name)
    console.log(`${mutant.padEnd(28)} ${s.name.padEnd(22)} ${r.ok ? 'pass' : 'FAIL'} ${(r.ms / 1000).toFixed(1)} s  ${r.summary}`)
    for (const f of r.failures) console.log(`${''.padEnd(28)}   not ok: ${f}`)
    if (!r.ok && !baseline && !process.env.MUTANTS_ALL_SUITES) break
  }
  results.push(row)
}

const baselineRow = results[0]
const survivors = results.slice(1).filter((r) => r.caughtBy.length === 0)
const firstFailure = (r) => {
  const run = r.runs.find((x) => !x.ok)
  return run && run.failures.length ? run.failures[0].replace(/\|/g, '\\|') : ''
}
const lines = [
  `# Mutation check (${new Date().toISOString()})`,
  '',
  `Suites: ${suites.map((s) => s.name).join(', ')}${jsOnly ? ' (MUTANTS_JS_ONLY: real redis-servers only, no cargo test)' : ''}.`,
  '',
  '| mutant | caught by | first failing test |',
  '|---|---|---|',
  ...results.map(
    (r) =>
      `| ${r.mutant} | ${r.caughtBy.length ? r.caughtBy.join(', ') : r.mutant.startsWith('none') ? '— (all suites pass)' : '**nothing: survived**'} | ${firstFailure(r)} |`,
  ),
  '',
  `${results.length - 1 - survivors.length} passed, ${survivors.length} failed${baselineRow.caughtBy.length ? '; the baseline FAILED' : ''}`,
  '',
]
mkdirSync(join(root, 'bench', 'results'), { recursive: true })
writeFileSync(join(root, 'bench', 'results', 'mutants-latest.md'), lines.join('\n'))
writeFileSync(join(root, 'bench', 'results', 'mutants-latest.json'), JSON.stringify(results, null, 2))
console.log(lines.join('\n'))
if (baselineRow.caughtBy.length > 0) {
  console.error(`the baseline (no mutant) failed: ${baselineRow.caughtBy.join(', ')}`)
  process.exit(1)
}
if (survivors.length > 0) {
  console.error(`survivors: ${survivors.map((r) => r.mutant).join(', ')}`)
  process.exit(1)
}
console.log(`${results.length - 1} passed, 0 failed`)
