// The facade explains a missing native addon: run `npm run build` (not napi's generic
// "npm has a bug" advice).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, copyFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

test('a missing native addon tells the user to run npm run build', () => {
  const dir = mkdtempSync(join(tmpdir(), 'redlock-rs-loader-'))
  try {
    copyFileSync(join(root, 'index.js'), join(dir, 'index.js'))
    copyFileSync(join(root, 'binding.js'), join(dir, 'binding.js'))
    const require = createRequire(join(dir, 'index.js'))
    assert.throws(
      () => require('./index.js'),
      (err) => {
        assert.equal(err.code, 'ERR_REDLOCK_NOT_BUILT')
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
