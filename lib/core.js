'use strict'
// The state a Redlock's methods share, kept off the public object (methods are spread over
// several modules, so private class fields cannot hold it).

const { typeError } = require('./errors.js')

/**
 * Redlock → { native, quorum, list, clients, labels, statKeys, onCaller, servedV4 } (`servedV4`:
 * a v4 entry point was used, so `quit()` answers with a Bluebird promise).
 */
const cores = new WeakMap()

/** The state of `redlock`; a TypeError for an object that is not a Redlock. */
function coreOf(redlock) {
  const core = cores.get(redlock)
  if (core === undefined) throw typeError('this is not a Redlock.')
  return core
}

module.exports = { cores, coreOf }
