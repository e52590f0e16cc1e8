'use strict'
// node-redlock v4's methods of Redlock: string resources, node-style callbacks, LockError.

const { withCallback } = require('./lock.js')
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
