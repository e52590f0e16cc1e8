'use strict'
// The Lock object, and the Bluebird promises (with node-style callbacks) of the v4 entry points.

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
  /**
   * Extends the lock to `duration` ms from now: a new Lock for a v5 lock; for a lock made by a v4
   * entry point (or with a node-style callback), v4's in-place extension and Bluebird promise.
   */
  extend(duration, callback) {
    return typeof callback === 'function' ? this.redlock.extend(this, duration, callback) : this.redlock.extend(this, duration)
  }
  /** v4: releases the lock; a Bluebird promise of `undefined`. */
  unlock(callback) {
    return this.redlock.unlock(this, callback)
  }
  /**
   * `await using lock = await redlock.acquire(…)`: the v5 release, whatever API made the lock,
   * so a lock that is already gone (released, expired) does not throw from dispose.
   */
  async [asyncDispose]() {
    await this.redlock.release(this)
  }
}

let Bluebird = null
/**
 * Bluebird, loaded the first time a v4 entry point is used: node-redlock 4.2.0 returned Bluebird
 * promises and v4 code calls their methods (`.done()`, `.nodeify()`, `.timeout()`, filtered
 * `.catch(LockError, fn)`); v5 code never loads it.
 */
function bluebird() {
  if (Bluebird === null) {
    try {
      Bluebird = require('bluebird')
    } catch (e) {
      const err = new Error(
        'redlock-rs: the node-redlock v4 API needs the `bluebird` package, a dependency of redlock-rs that is missing from this install (npm install bluebird).',
      )
      err.cause = e
      throw err
    }
  }
  return Bluebird
}

/**
 * The result of a v4 entry point: a Bluebird promise settled as the promise `start()` returns,
 * with an optional node-style `callback` called through Bluebird's own `nodeify`, as 4.2.0 does
 * (an exception the callback throws surfaces as an uncaught exception). Bluebird is loaded
 * before `start` runs, so an install without it never leaves a lock nobody can see.
 */
function v4Result(start, callback) {
  const Bluebird = bluebird()
  const promise = Bluebird.resolve(start())
  if (typeof callback === 'function') {
    // Bluebird's queue tests `instanceof` on the callback it keeps: a Proxy whose trap throws
    // there would stall every Bluebird promise of the process. It only ever sees this closure.
    promise.nodeify(function nodeback(...args) {
      return Reflect.apply(callback, this, args)
    })
  }
  return promise
}

module.exports = { Lock, v4Locks, v4Result }
