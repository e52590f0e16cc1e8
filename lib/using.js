'use strict'
// `using()`: acquire, run the routine while native timers extend the lock, release afterwards.

const { call, typeError, ExecutionError } = require('./errors.js')
const { Lock } = require('./lock.js')
const { coreOf } = require('./core.js')
const operations = require('./operations.js')

const THRESHOLD_MESSAGE =
  'A lock `duration` must be at least 100ms greater than the `automaticExtensionThreshold` setting.'

/**
 * `using(resources, duration, routine)` or `using(resources, duration, settings, routine)`:
 * the routine's result; a routine's error wins over a release error (which is then emitted).
 */
async function using(redlock, resources, duration, settingsOrRoutine, optionalRoutine) {
  const settings = typeof settingsOrRoutine === 'function' ? {} : settingsOrRoutine || {}
  const routine = typeof settingsOrRoutine === 'function' ? settingsOrRoutine : optionalRoutine
  // `using(resources, routine)`: the duration was forgotten (v5's message, not the INVARIANT).
  if (typeof duration === 'function') throw typeError('Duration must be an integer value in milliseconds.')
  if (typeof routine !== 'function') throw new Error('INVARIANT: routine is not a function.')
  const threshold =
    settings.automaticExtensionThreshold !== undefined
      ? settings.automaticExtensionThreshold
      : redlock.settings.automaticExtensionThreshold
  if (typeof duration === 'number' && Number.isFinite(duration) && threshold > duration - 100) {
    throw new Error(THRESHOLD_MESSAGE)
  }
  const lock = await operations.acquire(redlock, resources, duration, settings, false)
  let held
  try {
    held = keepAlive(coreOf(redlock), lock, duration, settings)
  } catch (e) {
    // Bad using() settings (maxHoldTime, maxExtensions): never leave the lock behind.
    await operations.release(redlock, lock, settings, false).catch(() => {})
    throw e
  }
  let result
  let routineError
  let failed = false
  try {
    // The lock as acquired goes second (v5's routine takes only the signal): its
    // `fencingToken` is the one to hand the resource; extensions keep it.
    result = await routine(held.signal, lock)
  } catch (e) {
    failed = true
    routineError = e
  }
  // Wait for an in-flight extension, then release; a release error never hides the
  // routine's own error.
  await held.keeper.stop()
  let releaseError = null
  try {
    await operations.release(redlock, new Lock(redlock, lock.resources, lock.value, [], 1), settings, false)
  } catch (e) {
    releaseError = e
  }
  if (failed) {
    if (releaseError) redlock.emit('error', releaseError)
    throw routineError
  }
  if (releaseError) throw releaseError
  return result
}

/**
 * Starts the native keeper of `lock`: `{ keeper, signal }`, the routine's AbortSignal aborted
 * with an ExecutionError when the lock is lost.
 */
function keepAlive(core, lock, duration, settings) {
  const controller = new AbortController()
  const signal = controller.signal
  let lost = false
  const abort = (message) => {
    if (lost) return
    lost = true
    const error = new ExecutionError(message, [], { reason: 'expired', detail: message })
    signal.error = error
    controller.abort(error)
  }
  const keeper = call(() => core.native.keep(lock.resources, lock.value, lock.expiration, duration, settings, abort))
  // The lock is kept alive by native timers; `aborted` asks them synchronously, so a routine
  // that blocked the event loop past the lock's end sees it at its first check.
  const abortedGetter = Object.getOwnPropertyDescriptor(AbortSignal.prototype, 'aborted').get
  Object.defineProperty(signal, 'aborted', {
    configurable: true,
    get() {
      if (!lost) {
        const why = keeper.lostReason()
        if (why !== null) abort(why)
      }
      return abortedGetter.call(signal)
    },
  })
  return { keeper, signal }
}

module.exports = { using }
