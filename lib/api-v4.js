'use strict'
// node-redlock v4's methods of Redlock: string resources, node-style callbacks, LockError.

const { Lock, v4Locks, withCallback } = require('./lock.js')
const operations = require('./operations.js')

const asList = (resource) => (typeof resource === 'string' ? [resource] : resource)

class V4Api {
  /** v4: `lock(resource, ttl, callback?)`. */
  lock(resource, ttl, callback) {
    return withCallback(operations.acquire(this, asList(resource), ttl, undefined, true), callback)
  }
  /** v4: `lockWithOptions(resource, ttl, { retryCount?, retryDelay? }, callback?)`. */
  lockWithOptions(resource, ttl, options, callback) {
    return withCallback(operations.acquire(this, asList(resource), ttl, options, true), callback)
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
    return withCallback(operations.extend(this, lock, ttl, options), callback)
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
    return withCallback(
      operations.release(this, lock, undefined, true).then(() => undefined),
      callback,
    )
  }
  /** v4: a Bluebird disposer for `Promise.using` (needs the `bluebird` package). */
  disposer(resource, ttl, unlockErrorHandler) {
    let Bluebird
    try {
      Bluebird = require('bluebird')
    } catch {
      throw new Error('redlock-rs: disposer() needs the `bluebird` package (npm install bluebird).')
    }
    return Bluebird.resolve(this.lock(resource, ttl)).disposer((lock) =>
      lock.unlock().catch((e) => {
        if (typeof unlockErrorHandler === 'function') unlockErrorHandler(e)
      }),
    )
  }
}

module.exports = { V4Api }
