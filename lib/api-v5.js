'use strict'
// node-redlock v5's methods of Redlock (with v4 dispatch where the names collide).

const { ExecutionError } = require('./errors.js')
const { v4Locks } = require('./lock.js')
const { v4 } = require('./api-v4.js')
const { coreOf } = require('./core.js')
const operations = require('./operations.js')
const { using } = require('./using.js')
const { submitSimple } = require('./completions.js')

/** Milliseconds until fewer than a quorum of nodes hold `resource`, or `null` (not locked). */
function inspect(redlock, resource) {
  const native = coreOf(redlock).native
  return submitSimple((q, id) => native.inspect(q, id, resource)).then((ms) => (ms < 0 ? null : ms))
}

class V5Api {
  /**
   * v5: `acquire(resources: string[], duration, settings?) → Promise<Lock>`.
   * v4: `acquire(resource: string | string[], ttl, callback?)` (a string resource or a callback).
   */
  acquire(resources, duration, settings) {
    if (typeof resources === 'string' || typeof settings === 'function') {
      // v4; an options object in third place is v4's lockWithOptions.
      if (settings !== null && typeof settings === 'object') return this.lockWithOptions(resources, duration, settings)
      return this.lock(resources, duration, settings)
    }
    return operations.acquire(this, resources, duration, settings, false)
  }

  /** Whether a quorum of nodes holds `resource` now (by any owner). */
  async isLocked(resource) {
    return (await inspect(this, resource)) !== null
  }

  /** Milliseconds until fewer than a quorum of nodes hold `resource`; 0 when not locked. */
  async remainingTtl(resource) {
    const ms = await inspect(this, resource)
    return ms === null ? 0 : ms
  }

  /** Acquires once, without retries: the Lock, or `null` when the resource is held. */
  async tryAcquire(resources, duration, settings) {
    // A `settings` that is no object goes to the addon as it is, to be refused there.
    const once = settings === undefined || settings === null || typeof settings === 'object' ? { ...settings, retryCount: 0 } : settings
    try {
      return await operations.acquire(this, resources, duration, once, false)
    } catch (e) {
      if (e instanceof ExecutionError && e.reason === 'held') return null
      throw e
    }
  }

  /** v5: `release(lock, settings?) → ExecutionResult`; v4 `release(lock, callback?)`. */
  release(lock, settings) {
    if (typeof settings === 'function') return this.unlock(lock, settings)
    return operations.release(this, lock, settings, false)
  }

  /**
   * v5: a new Lock (the old one is invalidated). v4 (a lock made by a v4 entry point, or a
   * node-style callback): the lock is updated in place, in a Bluebird promise.
   */
  extend(lock, duration, settings) {
    if (typeof settings === 'function') return v4(this, () => operations.extend(this, lock, duration, undefined), settings)
    if (v4Locks.has(lock)) return v4(this, () => operations.extend(this, lock, duration, settings))
    return operations.extend(this, lock, duration, settings)
  }

  /**
   * Runs `routine` while holding the lock, extending it automatically; releases it afterwards.
   * `using(resources, duration, routine)` or `using(resources, duration, settings, routine)`.
   */
  using(resources, duration, settingsOrRoutine, optionalRoutine) {
    return using(this, resources, duration, settingsOrRoutine, optionalRoutine)
  }
}

module.exports = { V5Api }
