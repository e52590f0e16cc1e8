// `await using lock = await redlock.acquire(…)` (Lock[Symbol.asyncDispose]): a TypeScript
// project (__test__/types/await-using) compiled by tsc against index.d.ts and run on this Node
// against three real servers. It reports what it saw; the servers are checked here too.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { startServers, stopAll, uniqueResource, eventually } from './helpers/redis.mjs'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc')

let tmp, servers

function run(cmd, args, opts) {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 60_000, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024, ...opts }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : err.signal) : 0, stdout, stderr })
    })
  })
}

before(async () => {
  assert.ok(fs.existsSync(tsc), `typescript is not installed (${tsc}); run npm install`)
  servers = await startServers(3)
  // The project sees redlock-rs as an installed package: node_modules/redlock-rs is this
  // repository (its package.json `exports` pick index.d.ts for tsc and index.js at run time).
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'redlock-rs-await-using-'))
  fs.mkdirSync(path.join(tmp, 'node_modules', '@types'), { recursive: true })
  fs.symlinkSync(root, path.join(tmp, 'node_modules', 'redlock-rs'), 'dir')
  fs.symlinkSync(path.join(root, 'node_modules', '@types', 'node'), path.join(tmp, 'node_modules', '@types', 'node'), 'dir')
  fs.cpSync(path.join(root, '__test__', 'types', 'await-using'), path.join(tmp, 'project'), { recursive: true })
})

after(async () => {
  await stopAll()
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true })
})

test('await using: tsc compiles it and the lock is released when the block ends, even by a throw', async () => {
  const project = path.join(tmp, 'project')
  const built = await run(process.execPath, [tsc, '-p', path.join(project, 'tsconfig.json'), '--pretty', 'false'], { cwd: project })
  assert.equal(built.code, 0, `tsc failed:\n${built.stdout}${built.stderr}`)
  const emitted = fs.readFileSync(path.join(project, 'out', 'index.js'), 'utf8')
  assert.match(emitted, /__addDisposableResource/, 'tsc downlevelled `await using` (Node 20 has no native syntax)')

  const resource = uniqueResource('await-using')
  const env = { ...process.env, REDLOCK_URLS: servers.map((s) => `redis://127.0.0.1:${s.port}`).join(','), RESOURCE: resource }
  const ran = await run(process.execPath, [path.join(project, 'out', 'index.js')], { cwd: project, env })
  assert.equal(ran.code, 0, `the compiled program failed:\n${ran.stdout}${ran.stderr}`)
  const out = JSON.parse(ran.stdout.trim().split('\n').pop())
  assert.match(out.value, /^[0-9a-f]{32}$/)
  assert.equal(out.insideBlock, 'ExecutionError', 'held inside the block')
  assert.equal(out.afterBlock, 'granted', 'released when the block ended')
  assert.equal(out.thrown, 'boom', 'the block’s own error surfaces unchanged')
  assert.notEqual(out.thrownValue, out.value)
  assert.equal(out.afterThrow, 'granted', 'released when the block threw')
  assert.equal(out.disposeAfterRelease, 'no throw', 'disposing a lock already released does not throw')
  // Nothing left on any server once the program is gone.
  await eventually(async () => (await Promise.all(servers.map((s) => s.redis.exists(resource)))).every((n) => n === 0))
  for (const s of servers) assert.equal(await s.redis.exists(resource), 0)
})
