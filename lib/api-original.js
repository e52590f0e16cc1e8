'use strict'
// redlock-rs's original API on Redlock: `acquireLock` / `releaseLock` → true / false / error.

const { call } = require('./errors.js')
const { coreOf } = require('./core.js')

class OriginalApi {
  /** 32 hex characters from the OS CSPRNG: the default lock id of the original API. */
  get id() {
    return coreOf(this).native.id
  }
  acquireLock(resource, ttl, lockId) {
    return call(() => coreOf(this).native.acquireLock(resource, ttl, lockId))
  }
  /** `acquireLock` with a fencing token: the token (a number) when acquired, `false` when held. */
  acquireFencedLock(resource, ttl, lockId) {
    return call(() => coreOf(this).native.acquireFencedLock(resource, ttl, lockId))
  }
  releaseLock(resource, lockId) {
    return call(() => coreOf(this).native.releaseLock(resource, lockId))
  }
}

module.exports = { OriginalApi }
