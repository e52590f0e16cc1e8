// Users' test suites, unchanged: a jest project that mocks ioredis with ioredis-mock
// (`jest.mock('ioredis', () => require('ioredis-mock'))`) and an ava project that hands redlock an
// ioredis-mock. Each suite file runs twice — against npm's `redlock` v5 and against redlock-rs —
// with only the module on its `require` line changed (REDLOCK_MODULE). Both runs must pass every
// test: the suite needs no change to move to redlock-rs.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const projects = join(root, '__test__', 'projects')
const JEST = join(root, 'node_modules', 'jest', 'bin', 'jest.js')
const AVA = join(root, 'node_modules', 'ava', 'entrypoints', 'cli.mjs')
// Generous: jest and ava start slowly on a loaded 2-core machine. Bounds a hang, not speed.
const RUN_MS = 180_000

const MODULES = {
  redlock: '', // the suite's own default: npm's redlock v5
  'redlock-rs': join(root, 'index.js'),
}

/** Runs `node args…` in `cwd`, killed after RUN_MS; resolves { code, stdout, stderr }. */
function run(args, cwd, module) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      cwd,
      env: { ...process.env, REDLOCK_MODULE: module, CI: '1', NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_MS)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr })
    })
  })
}

for (const [name, module] of Object.entries(MODULES)) {
  test(`jest + jest.mock('ioredis', ioredis-mock): the suite passes against ${name}`, { timeout: RUN_MS + 10_000 }, async () => {
    const dir = join(projects, 'jest-mock')
    const r = await run([JEST, '--rootDir', dir, '--ci', '--json'], dir, module)
    const json = r.stdout.slice(r.stdout.indexOf('{'))
    let report
    try {
      report = JSON.parse(json)
    } catch {
      assert.fail(`jest gave no JSON report (exit ${r.code} ${r.signal || ''}):\n${r.stderr.slice(-3000)}`)
    }
    const failures = report.testResults.map((t) => t.message).join('\n')
    assert.equal(report.numFailedTests, 0, failures || r.stderr.slice(-3000))
    assert.equal(report.numPassedTests, 3, 'every test of the suite ran and passed')
    assert.equal(report.numTotalTestSuites, 1)
    assert.equal(r.code, 0, r.stderr.slice(-3000))
  })

  test(`ava + ioredis-mock: the suite passes against ${name}`, { timeout: RUN_MS + 10_000 }, async () => {
    const dir = join(projects, 'ava-mock')
    const r = await run([AVA, '--tap'], dir, module)
    const count = (what) => Number((new RegExp(`^# ${what} (\\d+)$`, 'm').exec(r.stdout) || [])[1])
    assert.equal(count('fail'), 0, `${r.stdout.slice(-3000)}\n${r.stderr.slice(-2000)}`)
    assert.equal(count('pass'), 3, `every test of the suite ran and passed:\n${r.stdout.slice(-3000)}`)
    assert.equal(r.code, 0, r.stderr.slice(-3000))
  })
}
