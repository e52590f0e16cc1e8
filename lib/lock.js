'use strict'
// The Lock object, and node-style callbacks for the v4 entry points.

/** Locks made through a v4 entry point: extended in place, errors are `LockError`s. */
const v4Locks = new WeakSet()

// Node 20 has Symbol.asyncDispose; the fallback is the symbol Node itself registers.
const asyncDispose = Symbol.asyncDispose || Symbol.for('nodejs.asyncDispose')

/** A lock held on a quorum (node-redlock v5 `Lock`, with the v4 members too). */
class Lock {
  constructor(redlock, resources, value, attempts, expiration) {
    this.redlock = redlock
    this.resources = resources
    this.value = value
    this.attempts = attempts
    this.expiration = expiration
  }
  /** v4 name of `resources`; v4 code may assign it (a string or an array), as in 4.2.0. */
  get resource() {
    return this.resources
  }
  set resource(r) {
    this.resources = Array.isArray(r) ? r : [r]
  }
  /** Releases the lock. */
  release() {
    return this.redlock.release(this)
  }
  /** Extends the lock to `duration` ms from now (v4 callers may pass a node-style callback). */
  extend(duration, callback) {
    return withCallback(this.redlock.extend(this, duration), callback)
  }
  /** v4: releases the lock; resolves `undefined`. */
  unlock(callback) {
    return withCallback(this.redlock.unlock(this), callback)
  }
  /**
   * `await using lock = await redlock.acquire(…)`: the v5 release, whatever API made the lock,
   * so a lock that is already gone (released, expired) does not throw from dispose.
   */
  async [asyncDispose]() {
    await this.redlock.release(this)
  }
}

/**
 * A node-style callback, as Bluebird's `nodeify` (which node-redlock 4.2.0 used) calls it: an
 * exception thrown by the callback surfaces as an uncaught exception, not as a rejection of a
 * promise nobody watches.
 */
function withCallback(promise, callback) {
  if (typeof callback === 'function') {
    const run = (...args) => {
      try {
        callback(...args)
      } catch (e) {
        process.nextTick(() => {
          throw e
        })
      }
    }
    promise.then(
      (v) => run(null, v),
      (e) => run(e),
    )
  }
  return promise
}

module.exports = { Lock, v4Locks, withCallback }
