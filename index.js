'use strict'
// The package entry: loads the native addon (explaining a missing build), then exports the
// facade from lib/. JavaScript keeps its idioms only — constructor overloads, EventEmitter,
// Lock objects, Error subclasses, AbortSignal, callbacks, the caller's client objects; locking
// logic lives in Rust.

function loadBinding() {
  try {
    return require('./binding.js')
  } catch (err) {
    if (/Cannot find native binding|Cannot find module/.test(String(err && err.message))) {
      const { platformName, remedies } = require('./lib/platform.js')
      const e = new Error(
        [`redlock-rs: no native addon for this platform (${platformName()}) was found.`, ...remedies()].join('\n'),
      )
      e.code = 'ERR_REDLOCK_NOT_BUILT'
      e.cause = err
      throw e
    }
    throw err
  }
}

loadBinding()
const { Redlock } = require('./lib/redlock.js')
const { Lock } = require('./lib/lock.js')
const { ResourceLockedError, ExecutionError, LockError } = require('./lib/errors.js')
const { IoredisClient, RedisJsClient } = require('./lib/clients.js')

module.exports = Redlock
module.exports.default = Redlock
module.exports.Redlock = Redlock
module.exports.Lock = Lock
module.exports.ResourceLockedError = ResourceLockedError
module.exports.ExecutionError = ExecutionError
module.exports.LockError = LockError
module.exports.IoredisClient = IoredisClient
module.exports.RedisJsClient = RedisJsClient
