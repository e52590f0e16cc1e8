// node-redlock v4's own test suite (`test.js` of the npm package `redlock@4.2.0`, installed as
// the devDependency `redlock4`: mocha + chai, node-redis v3 and ioredis 4 clients, 224 tests),
// run against redlock-rs as published, with only the import and the server addresses changed
// (issue 11, item 5). A copy is generated in a temporary directory with mechanical substitutions
// only — each checked to apply exactly as often as expected, so a different test.js is noticed —
// then mocha runs it in a child process against a throw-away redis-server, and every one of its
// tests becomes a test here (the failing ones show mocha's error).
import { test, describe, after } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import { startServers, stopAll, HOST } from './helpers/redis.mjs'

const require = createRequire(import.meta.url)
const ROOT = fileURLToPath(new URL('..', import.meta.url))
const TEST_JS = require.resolve('redlock4/test.js')
const MOCHA = require.resolve('mocha/bin/mocha.js')
/** The number of tests in 4.2.0's test.js (56 per client setup, 4 setups). */
const EXPECTED_TESTS = 224
/** A bound on the whole mocha run (about 20 s on an idle machine). */
const RUN_TIMEOUT_MS = 180_000

/**
 * 4.2.0's test.js with only the import of the library, the client packages and the server
 * addresses changed: `[from, to, occurrences]`, applied in order.
 */
function substitutions(port) {
  const at = `{host: ${JSON.stringify(HOST)}, port: ${port}`
  return [
    ["require('./redlock')", `require(${JSON.stringify(join(ROOT, 'index.js'))})`, 1],
    // node-redis v3 and ioredis 4, the clients 4.2.0 was tested with (`redis` and `ioredis` in
    // this project's node_modules are newer majors).
    ["require('redis').createClient()", `require('redis3').createClient(${at}})`, 1],
    ["require('redis').createClient({string_numbers: true})", `require('redis3').createClient(${at}, string_numbers: true})`, 1],
    ["new (require('ioredis'))()", `new (require('ioredis4'))(${at}})`, 1],
    ["new (require('ioredis'))({db: ", `new (require('ioredis4'))(${at}, db: `, 3],
  ]
}

function generate(dir, port) {
  let src = readFileSync(TEST_JS, 'utf8')
  for (const [from, to, count] of substitutions(port)) {
    const n = src.split(from).length - 1
    assert.equal(n, count, `test.js of redlock@4.2.0 has ${count} × ${from} (found ${n})`)
    src = src.split(from).join(to)
  }
  // Nothing else may still point at the default server or the other packages.
  assert.doesNotMatch(src, /require\('(redis|ioredis)'\)|require\('\.\/redlock'\)/)
  const file = join(dir, 'test.js')
  writeFileSync(file, src)
  return file
}

/** Runs mocha on `file`; `{ report, stderr, error }` (report: mocha's JSON, or null). */
function runMocha(file, dir) {
  const output = join(dir, 'report.json')
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      // A generous per-test timeout: the machine may be loaded (mocha's default is 2 s).
      [MOCHA, '--reporter', 'json', '--reporter-option', `output=${output}`, '--timeout', '20000', file],
      {
        cwd: dir,
        // chai and bluebird (test.js requires them by name) come from this project's node_modules.
        env: { ...process.env, NODE_PATH: join(ROOT, 'node_modules') },
        timeout: RUN_TIMEOUT_MS,
        killSignal: 'SIGKILL',
        maxBuffer: 16 * 1024 * 1024,
        encoding: 'utf8',
      },
      (error, _stdout, stderr) => {
        const report = existsSync(output) ? JSON.parse(readFileSync(output, 'utf8')) : null
        resolve({ report, stderr, error })
      },
    )
  })
}

const dir = mkdtempSync(join(os.tmpdir(), 'redlock-rs-v4suite-'))
const [server] = await startServers(1)
const run = await runMocha(generate(dir, server.port), dir)
await stopAll()
rmSync(dir, { recursive: true, force: true })

after(() => stopAll())

const report = run.report
const failed = (t) => t.err && Object.keys(t.err).length > 0
const describeRun = () =>
  `mocha ${run.error ? `exited with ${run.error.code ?? run.error.signal ?? run.error.message}` : 'exited 0'}; stderr:\n${run.stderr.slice(-4000)}`

test(`node-redlock 4.2.0's test.js ran in full: ${EXPECTED_TESTS} tests, all passed`, () => {
  assert.ok(report, `mocha wrote no report (it crashed or timed out). ${describeRun()}`)
  const failures = report.tests.filter(failed).map((t) => `  ✗ ${t.fullTitle}: ${t.err.message}`)
  // Hook failures are listed among the failures but are not tests.
  for (const f of report.failures) if (!report.tests.some((t) => t.fullTitle === f.fullTitle)) failures.push(`  ✗ ${f.fullTitle}: ${f.err.message}`)
  assert.equal(report.stats.tests, EXPECTED_TESTS, `tests run (${report.stats.passes} passed)\n${failures.join('\n')}`)
  assert.equal(report.stats.pending, 0, 'none skipped')
  assert.ok(failures.length === 0, `${failures.length} of ${report.stats.tests} failed:\n${failures.join('\n')}`)
  assert.equal(report.stats.passes, EXPECTED_TESTS)
})

// Each of mocha's tests, under its mocha suite, so a failure names the test.
if (report) {
  const suites = new Map()
  for (const t of report.tests) {
    const suite = t.fullTitle.slice(0, t.fullTitle.length - t.title.length).trim()
    if (!suites.has(suite)) suites.set(suite, [])
    suites.get(suite).push(t)
  }
  for (const [suite, tests] of suites) {
    describe(`test.js: ${suite}`, () => {
      for (const t of tests) {
        test(t.title, () => {
          if (failed(t)) assert.fail(`${t.err.message}\n${t.err.stack ?? ''}`)
          assert.equal(t.state ?? 'passed', 'passed')
        })
      }
    })
  }
}
