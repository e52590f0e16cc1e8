'use strict'
// node-redlock v4's methods of Redlock: string resources, node-style callbacks, LockError, and
// Bluebird promises (loaded on first use), as 4.2.0 returns them.

const { Lock, v4Locks, v4Result } = require('./lock.js')
const { cores } = require('./core.js')
const operations = require('./operations.js')

/**
 * The promise `start()` returns, as a v4 entry point's result (see v4Result); marks `redlock` as
 * serving v4 code, so its `quit()` answers with a Bluebird promise too.
 */
function v4(redlock, start, callback) {
  const result = v4Result(start, callback)
  // Not a Redlock: `start()` has rejected with the TypeError already.
  const core = cores.get(redlock)
  if (core !== undefined) core.servedV4 = true
  return result
}

const asList = (resource) => (typeof resource === 'string' ? [resource] : resource)

class V4Api {
  /** v4: `lock(resource, ttl, callback?)`. */
  lock(resource, ttl, callback) {
    return v4(this, () => operations.acquire(this, asList(resource), ttl, undefined, true), callback)
  }
  /** v4: `lockWithOptions(resource, ttl, { retryCount?, retryDelay? }, callback?)`. */
  lockWithOptions(resource, ttl, options, callback) {
    return v4(this, () => operations.acquire(this, asList(resource), ttl, options, true), callback)
  }
  acquireWithOptions(resource, ttl, options, callback) {
    return this.lockWithOptions(resource, ttl, options, callback)
  }
  /**
   * 4.2.0's private `_lock(resource, value, ttl, options?, callback?)`, which its "backwards
   * compatible" callers use: a fresh lock when `value` is null, else the extension of the lock
   * holding `value`.
   */
  _lock(resource, value, ttl, options, callback) {
    if (typeof options === 'function') [options, callback] = [undefined, options]
    if (value === null || value === undefined) return this.lockWithOptions(resource, ttl, options || {}, callback)
    // Its expiry is unknown here (unless this Redlock took it): the servers decide, as in 4.2.0.
    const lock = new Lock(this, asList(resource), value, 0, Date.now() + 86_400_000)
    v4Locks.add(lock)
    return v4(this, () => operations.extend(this, lock, ttl, options), callback)
  }
  /** v4's script fields: the scripts in use (the caller's, else node-redlock's defaults). */
  get lockScript() {
    return this.scripts.acquireScript.value
  }
  get extendScript() {
    return this.scripts.extendScript.value
  }
  get unlockScript() {
    return this.scripts.releaseScript.value
  }
  /** v4: `unlock(lock, callback?)` resolves `undefined`. */
  unlock(lock, callback) {
    return v4(this, () => operations.release(this, lock, undefined, true).then(() => undefined), callback)
  }
  /** v4: a Bluebird disposer for `Promise.using`, which unlocks the lock when the block ends. */
  disposer(resource, ttl, unlockErrorHandler) {
    return this.lock(resource, ttl).disposer((lock) =>
      lock.unlock().catch((e) => {
        if (typeof unlockErrorHandler === 'function') unlockErrorHandler(e)
      }),
    )
  }
}

module.exports = { V4Api, v4 }
