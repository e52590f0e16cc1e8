'use strict'
// acquire / extend / release over the addon, shared by the v5 and v4 entry points: start the
// native operation, turn its result into a Lock, ExecutionStats or the API's error.

const { CancelToken, ABORTED_MESSAGE } = require('./native.js')
const { typeError, ExecutionError, LockError } = require('./errors.js')
const { submit } = require('./completions.js')
const { Lock, v4Locks } = require('./lock.js')
const { executionStats } = require('./stats.js')
const { coreOf } = require('./core.js')

function isSignal(s) {
  return s !== null && typeof s === 'object' && typeof s.aborted === 'boolean' && typeof s.addEventListener === 'function'
}

/** The error of a failed operation `x`, with the message Rust chose for the API called. */
function fail(v4, x, attempts) {
  const details = { reason: x.reason, detail: x.detail }
  return v4 ? new LockError(x.message, x.attemptCount, details) : new ExecutionError(x.message, attempts, details)
}

/** Wires an AbortSignal to a native CancelToken; `{ token, done() }`. */
function cancelOn(signal) {
  if (signal === undefined || signal === null) return { token: null, done() {} }
  if (!isSignal(signal)) throw typeError('settings.signal must be an AbortSignal.')
  if (signal.aborted) {
    const e = new ExecutionError(ABORTED_MESSAGE, [], { reason: 'cancelled', detail: 'aborted before it started' })
    e.cause = signal.reason
    throw e
  }
  const token = new CancelToken()
  const onAbort = () => token.cancel()
  signal.addEventListener('abort', onAbort, { once: true })
  return { token, done: () => signal.removeEventListener('abort', onAbort) }
}

async function acquire(redlock, resources, duration, settings, v4) {
  const core = coreOf(redlock)
  // A `settings` that is no object is refused by the addon, before any other argument.
  const signal = settings ? settings.signal : undefined
  const cancel = cancelOn(signal)
  let x
  try {
    x = await submit((q, id) => core.native.acquire(q, id, resources, duration, settings, cancel.token, v4))
  } finally {
    cancel.done()
  }
  const attempts = executionStats(redlock, core, x, resources.length)
  if (!x.ok) {
    const e = fail(v4, x, attempts)
    if (x.reason === 'cancelled' && signal) e.cause = signal.reason
    throw e
  }
  // v4's Lock counts its attempts (a number) and tells how many were left; v5's keeps the
  // statistics of each attempt.
  const lock = new Lock(redlock, [...resources], x.value, v4 ? x.attemptCount : attempts, x.expiration)
  // Only a fenced lock has the property, so other locks keep node-redlock's shape.
  if (typeof x.fencingToken === 'number') lock.fencingToken = x.fencingToken
  if (v4) {
    v4Locks.add(lock)
    lock.attemptsRemaining = x.attemptsRemaining
  }
  return lock
}

async function release(redlock, lock, settings, v4) {
  const core = coreOf(redlock)
  if (!(lock instanceof Lock)) throw typeError('lock must be a Lock.')
  // Both node-redlock versions invalidate the lock at once.
  lock.expiration = 0
  const x = await submit((q, id) => core.native.release(q, id, lock.resources, lock.value, settings, v4))
  const attempts = executionStats(redlock, core, x, lock.resources.length)
  if (!x.ok) throw fail(v4, x, attempts)
  return { attempts, start: x.start }
}

async function extend(redlock, lock, duration, settings) {
  const core = coreOf(redlock)
  if (!(lock instanceof Lock)) throw typeError('lock must be a Lock.')
  const v4 = v4Locks.has(lock)
  const x = await submit((q, id) =>
    core.native.extend(q, id, lock.resources, lock.value, lock.expiration, duration, settings, v4),
  )
  const attempts = executionStats(redlock, core, x, lock.resources.length)
  if (!x.ok) {
    // The expiration the lock shows now, as Rust decided it (a failed extend to a shorter
    // duration may have lowered it). Never later than it is now: the Lock may have been
    // released meanwhile.
    lock.expiration = Math.min(lock.expiration, x.expiration)
    throw fail(v4, x, attempts)
  }
  if (v4) {
    // v4: the same Lock object is updated and returned.
    lock.expiration = x.expiration
    lock.attempts = x.attemptCount
    return lock
  }
  const next = new Lock(redlock, lock.resources, lock.value, attempts, x.expiration)
  // An extension is the same lock: it keeps the token it was acquired with.
  if (lock.fencingToken !== undefined) next.fencingToken = lock.fencingToken
  lock.expiration = 0
  return next
}

module.exports = { acquire, release, extend }
