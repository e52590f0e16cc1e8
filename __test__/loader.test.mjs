// The facade explains a missing native addon: the platform package, or Rust and `npm rebuild`
// (`npm run build` in a clone) — not napi's generic "npm has a bug" advice.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, mkdirSync, copyFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

test('a missing native addon names the platform package and the rebuild with Rust', () => {
  const dir = mkdtempSync(join(tmpdir(), 'redlock-rs-loader-'))
  try {
    copyFileSync(join(root, 'index.js'), join(dir, 'index.js'))
    copyFileSync(join(root, 'binding.js'), join(dir, 'binding.js'))
    mkdirSync(join(dir, 'lib'))
    copyFileSync(join(root, 'lib', 'platform.js'), join(dir, 'lib', 'platform.js'))
    const require = createRequire(join(dir, 'index.js'))
    assert.throws(
      () => require('./index.js'),
      (err) => {
        assert.equal(err.code, 'ERR_REDLOCK_NOT_BUILT')
        assert.match(err.message, /redlock-rs-linux-x64-gnu|redlock-rs-[a-z0-9-]+/)
        assert.match(err.message, /npm rebuild redlock-rs/)
        assert.match(err.message, /npm run build/)
        assert.doesNotMatch(err.message, /npm has a bug/)
        return true
      },
    )
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('the built addon loads as the native target', () => {
  const require = createRequire(join(root, 'index.js'))
  assert.equal(require('./binding.js').__napiBindingTarget, 'native')
  const Redlock = require('./index.js')
  assert.equal(typeof Redlock, 'function')
  assert.equal(Redlock.default, Redlock)
  assert.equal(Redlock.Redlock, Redlock)
  assert.equal(typeof Redlock.IoredisClient, 'function')
  assert.equal(typeof Redlock.RedisJsClient, 'function')
})
