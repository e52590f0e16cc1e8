'use strict'
// redlock-rs's original API on Redlock: `acquireLock` / `releaseLock` → true / false / error.

const { call } = require('./errors.js')
const { coreOf } = require('./core.js')
const { submitSimple } = require('./completions.js')

class OriginalApi {
  /** 32 hex characters from the OS CSPRNG: the default lock id of the original API. */
  get id() {
    return coreOf(this).native.id
  }
  acquireLock(resource, ttl, lockId) {
    const native = coreOf(this).native
    return submitSimple((q, id) => native.acquireLock(q, id, resource, ttl, lockId)).then((n) => n === 1)
  }
  /** `acquireLock` with a fencing token: the token (a number) when acquired, `false` when held. */
  acquireFencedLock(resource, ttl, lockId) {
    return call(() => coreOf(this).native.acquireFencedLock(resource, ttl, lockId))
  }
  releaseLock(resource, lockId) {
    const native = coreOf(this).native
    return submitSimple((q, id) => native.releaseLock(q, id, resource, lockId)).then(() => undefined)
  }
}

module.exports = { OriginalApi }
