// Mutation check (`npm run mutants`): builds the addon with the test-only `mutants` feature,
// then runs the safety suites once per injected engine bug (REDLOCK_RS_MUTANT) and reports
// which suite caught it. Every mutant must be caught. Slow (minutes): not part of CI.
//
//   npm run mutants                       all mutants; each stops at the first suite that catches it
//   MUTANTS_ALL_SUITES=1 npm run mutants  every suite for every mutant (slow: ~5 min a mutant)
//   MUTANTS=floor-quorum npm run mutants  one mutant
//   MUTANTS_SUITES=fault-matrix,safety    only these suites
import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const ALL = [
  'no-validity-check',
  'validity-from-reply',
  'plain-del-release',
  'floor-quorum',
  'extend-without-owner-check',
  'rollback-yes-only',
  'no-node-timeout',
]
const mutants = process.env.MUTANTS ? process.env.MUTANTS.split(',') : ALL

// The suites that must see the bugs: the engine's unit tests, the fault matrix, the
// deterministic fault tests and the randomized safety test (CI profile).
const suites = [
  { name: 'cargo test (engine)', cmd: 'cargo', args: ['test', '--locked', '--features', 'mutants', '--lib'] },
  ...['fault-matrix', 'safety', 'faults', 'original-api', 'compat-v5']
    .map((base) => ({ base, files: listTests(base) }))
    .filter((s) => s.files.length > 0)
    .map((s) => ({ name: s.base, cmd: process.execPath, args: ['--test', '--test-concurrency=1', ...s.files] })),
].filter((s) => !process.env.MUTANTS_SUITES || process.env.MUTANTS_SUITES.split(',').includes(s.name))

function listTests(base) {
  const dir = join(root, '__test__')
  const out = spawnSync('sh', ['-c', `ls ${dir}/${base}*.test.mjs 2>/dev/null`], { encoding: 'utf8' })
  return out.stdout.split('\n').filter(Boolean)
}

function run(cmd, args, env, timeoutMs) {
  const t = Date.now()
  const r = spawnSync(cmd, args, { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 256 * 1024 * 1024 })
  const out = `${r.stdout || ''}${r.stderr || ''}`
  const summary = (out.match(/^# (pass|fail) \d+$/gm) || []).join(', ') || (out.match(/test result: .*$/m) || [''])[0]
  return { ok: r.status === 0, status: r.status, signal: r.signal, ms: Date.now() - t, summary }
}

console.log('building the mutants build (cargo build --release --features mutants)…')
const build = spawnSync('cargo', ['build', '--release', '--locked', '--features', 'mutants'], { cwd: root, stdio: 'inherit' })
if (build.status !== 0) process.exit(1)
mkdirSync(join(root, 'target', 'mutants'), { recursive: true })
const lib = join(root, 'target', 'mutants', 'redlock-rs.mutants.node')
copyFileSync(join(root, 'target', 'release', 'libredlock_rs.so'), lib)

const results = []
for (const mutant of ['none (baseline)', ...mutants]) {
  const env = { NAPI_RS_NATIVE_LIBRARY_PATH: lib }
  if (!mutant.startsWith('none')) env.REDLOCK_RS_MUTANT = mutant
  const row = { mutant, caughtBy: [], runs: [] }
  for (const s of suites) {
    const r = run(s.cmd, s.args, env, 600_000)
    row.runs.push({ suite: s.name, ...r })
    if (!r.ok) row.caughtBy.push(s.name)
    console.log(`${mutant.padEnd(28)} ${s.name.padEnd(22)} ${r.ok ? 'pass' : 'FAIL'} ${(r.ms / 1000).toFixed(1)} s  ${r.summary}`)
    if (!r.ok && !mutant.startsWith('none') && !process.env.MUTANTS_ALL_SUITES) break
  }
  results.push(row)
}

const baseline = results[0]
const survivors = results.slice(1).filter((r) => r.caughtBy.length === 0)
const lines = [
  `# Mutation check (${new Date().toISOString()})`,
  '',
  '| mutant | caught by |',
  '|---|---|',
  ...results.map((r) => `| ${r.mutant} | ${r.caughtBy.length ? r.caughtBy.join(', ') : r.mutant.startsWith('none') ? '— (all suites pass)' : '**nothing: survived**'} |`),
  '',
]
writeFileSync(join(root, 'bench', 'results', 'mutants-latest.md'), lines.join('\n'))
writeFileSync(join(root, 'bench', 'results', 'mutants-latest.json'), JSON.stringify(results, null, 2))
console.log(lines.join('\n'))
if (baseline.caughtBy.length > 0) {
  console.error(`the baseline (no mutant) failed: ${baseline.caughtBy.join(', ')}`)
  process.exit(1)
}
if (survivors.length > 0) {
  console.error(`survivors: ${survivors.map((r) => r.mutant).join(', ')}`)
  process.exit(1)
}
console.log(`${results.length - 1} passed, 0 failed`)
