'use strict'
// The error classes of the public API, and addon errors re-created in the caller's realm.

/**
 * Errors made by the addon belong to Node's main realm; under jest (vm contexts) they would
 * fail `instanceof TypeError`. Re-create them in this module's realm.
 */
function localError(e) {
  if (e === null || typeof e !== 'object' || e instanceof Error) return e
  const Ctor = e.name === 'TypeError' ? TypeError : e.name === 'RangeError' ? RangeError : Error
  const out = new Ctor(e.message)
  if (e.code !== undefined) out.code = e.code
  return out
}

/** Calls into the addon, with its errors (thrown or rejected) in this realm. */
function call(fn) {
  let r
  try {
    r = fn()
  } catch (e) {
    throw localError(e)
  }
  return r !== null && typeof r === 'object' && typeof r.then === 'function'
    ? r.catch((e) => {
        throw localError(e)
      })
    : r
}

/** A TypeError with the code native argument errors carry. */
function typeError(message) {
  const e = new TypeError(message)
  e.code = 'ERR_INVALID_ARG_TYPE'
  return e
}

/** One node's "no": the resource is held by another owner (node-redlock v5). */
class ResourceLockedError extends Error {
  constructor(message) {
    super(message)
    this.name = 'ResourceLockedError'
  }
}

/** An operation that failed on its retry window (node-redlock v5). */
class ExecutionError extends Error {
  constructor(message, attempts, details) {
    super(message)
    this.name = 'ExecutionError'
    // Not enumerable: the stats hold the caller's client objects, which must not be dumped by
    // util.inspect(error).
    Object.defineProperty(this, 'attempts', { value: attempts, writable: true, configurable: true })
    if (details) {
      /** `held` | `unavailable` | `expired` | `cancelled` */
      this.reason = details.reason
      /** Why, naming nodes by index and `host:port`. */
      this.detail = details.detail
    }
  }
}

/** The error of the v4 API: `attempts` is the number of attempts made. */
class LockError extends Error {
  constructor(message, attempts, details) {
    super(message)
    this.name = 'LockError'
    this.attempts = attempts
    if (details) {
      this.reason = details.reason
      this.detail = details.detail
    }
  }
}

module.exports = { call, typeError, ResourceLockedError, ExecutionError, LockError }
