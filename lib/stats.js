'use strict'
// Native votes → node-redlock's ExecutionStats, keyed by the caller's client objects, and the
// per-node 'error' / 'clientError' events.

const { ResourceLockedError } = require('./errors.js')

/** The ExecutionStats of each attempt of `x` (emits the events on `redlock`). */
function executionStats(redlock, core, x, resourceCount) {
  const membershipSize = core.list.length
  const quorumSize = core.quorum
  // Votes come one character per node, as Rust counted them: f(or), a(gainst), e(rror),
  // t(imeout), p(ending); `messages` holds the text of every e and t, in order.
  let m = 0
  return x.attempts.map((votes) => {
    const votesFor = new Set()
    const votesAgainst = new Map()
    for (let i = 0; i < votes.length; i++) {
      const v = votes[i]
      const client = core.statKeys[i]
      if (v === 'f') {
        votesFor.add(client)
      } else if (v === 'a') {
        const e = new ResourceLockedError(
          `The operation was applied to: 0 of the ${resourceCount} requested resources.`,
        )
        votesAgainst.set(client, e)
        redlock.emit('error', e)
      } else if (v === 'e' || v === 't') {
        const e = new Error(`node ${i} (${core.labels[i]}) ${x.messages[m++]}`)
        votesAgainst.set(client, e)
        redlock.emit('error', e)
        redlock.emit('clientError', e)
      }
    }
    return Promise.resolve({ membershipSize, quorumSize, votesFor, votesAgainst })
  })
}

module.exports = { executionStats }
