// Users run their tests under jest and ava: the package must work there too. These run the
// small projects in __test__/smoke/ with each runner against a real redis-server.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { join, dirname } from 'node:path'
import { startServers, stopAll } from './helpers/redis.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
let server
before(async () => {
  ;[server] = await startServers(1)
})
after(() => stopAll())

function run(args, cwd) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      cwd,
      env: { ...process.env, REDLOCK_SMOKE_PORT: String(server.port), CI: 'true', NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (out += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, out })
    })
  })
}

test('jest (default config: vm contexts, registry resets) runs the smoke project', async () => {
  const dir = join(root, '__test__', 'smoke', 'jest')
  const r = await run([join(root, 'node_modules', 'jest', 'bin', 'jest.js'), '--rootDir', dir, '--ci', '--forceExit=false'], dir)
  assert.equal(r.code, 0, r.out)
  assert.match(r.out, /Tests:\s+4 passed, 4 total/)
})

test('ava 7 (worker threads) runs the smoke project', async () => {
  const dir = join(root, '__test__', 'smoke', 'ava')
  const r = await run([join(root, 'node_modules', 'ava', 'entrypoints', 'cli.mjs')], dir)
  assert.equal(r.code, 0, r.out)
  assert.match(r.out, /3 tests passed/)
})
