'use strict'
// Native votes → node-redlock's ExecutionStats, keyed by the caller's client objects, and the
// per-node 'error' / 'clientError' events.
//
// The verdict comes as soon as a quorum agrees; an attempt's statistics resolve once every
// node has voted (node-redlock v5): the votes that came after the verdict arrive as late
// reports (lib/completions.js), each node's within its per-node timeout.

const { ResourceLockedError } = require('./errors.js')
const { isOurs } = require('./clients.js')

// What each kind of client object says when its connection is refused or lost, and when a
// command times out (`null`: it has no such error, ours is kept). Observed with ioredis 5
// (4 and 6 alike), node-redis 4 (5 and 6 alike) and node-redis 3, see docs/api.md.
const STYLES = {
  ioredis: { closed: 'Connection is closed.', refused: 'Connection is closed.', timeout: 'Command timed out' },
  'node-redis': { closed: 'The client is closed', refused: 'The client is closed', timeout: null },
  'node-redis3': {
    closed: 'Redis connection lost and command aborted.',
    refused: 'Redis connection in broken state: retry aborted.',
    timeout: null,
  },
}

const OUR_CALLER_MESSAGES = /^(unexpected reply to the |the client was closed with quit\(\)|the client could not be called: |the client failed$)/

/** Which client library's errors the caller's entry `c` speaks (`null`: ours). */
function styleOf(c) {
  if (c === null || typeof c !== 'object' || isOurs(c)) return null
  if (typeof c.evalsha === 'function' && 'status' in c) return STYLES.ioredis
  if (c.isCluster === true && Array.isArray(c.startupNodes)) return STYLES.ioredis
  if (typeof c.sendCommand === 'function' && 'isOpen' in c) return STYLES['node-redis']
  if (typeof c.getSlotMaster === 'function' && typeof c.getMasters === 'function') return STYLES['node-redis']
  if (typeof c.send_command === 'function' && 'connected' in c) return STYLES['node-redis3']
  return null
}

/** What went wrong with a connection, from our native message (`null`: a server's error). */
function connectionTrouble(message) {
  if (/refused/i.test(message)) return 'refused'
  if (/clos|reset|broken pipe|eof|not connected|disconnect|connection timed out|unreachable/i.test(message)) return 'closed'
  return null
}

/**
 * The Error of node `i`'s failure (`code` 'e') or timeout ('t'). It reads as the caller's own
 * client object would say it, where one was given (a node running on that object: its very
 * error); otherwise it names the node. Either way
 * `error.node` is `{ index, address, detail }` (address: redacted `host:port`; detail: our
 * description).
 */
function nodeError(core, i, code, detail) {
  // A node that runs on the caller's client object failed with that client's own error, which
  // is passed on as it is; the messages the client backend makes itself (src/backend/caller.rs,
  // src/js/caller.rs: a reply it refuses, a closed or uncallable client) name the node.
  if (code === 'e' && core.onCaller[i] && !OUR_CALLER_MESSAGES.test(detail)) {
    const e = new Error(detail)
    e.node = { index: i, address: core.labels[i], detail }
    return e
  }
  const style = styleOf(core.list[i])
  const trouble = code === 't' ? 'timeout' : connectionTrouble(detail)
  const theirs = style === null || trouble === null ? null : style[trouble]
  const e = new Error(theirs === null ? `node ${i} (${core.labels[i]}) ${detail}` : theirs)
  e.node = { index: i, address: core.labels[i], detail }
  return e
}

/**
 * Counts `votes` (one code per node, `.`: not in this report) into `stats` and emits the
 * events; `messages` holds the text of every e and t from `m` on. Returns the next `m`.
 */
function count(redlock, core, stats, votes, messages, m, resourceCount) {
  // Codes as Rust counted them: f(or), a(gainst), e(rror), t(imeout), q(uarantined), p(ending).
  for (let i = 0; i < votes.length; i++) {
    const v = votes[i]
    const client = core.statKeys[i]
    if (v === 'f') {
      stats.votesFor.add(client)
    } else if (v === 'a') {
      const e = new ResourceLockedError(
        `The operation was applied to: 0 of the ${resourceCount} requested resources.`,
      )
      stats.votesAgainst.set(client, e)
      redlock.emit('error', e)
    } else if (v === 'q') {
      // The node granted, but the restart guard does not count it yet (it restarted, or was
      // first reached while up for less than the guard): against, named, with how long is left.
      const detail = messages[m++]
      const e = new Error(`node ${i} (${core.labels[i]}) ${detail}`)
      e.reason = 'quarantined'
      e.node = { index: i, address: core.labels[i], detail }
      stats.votesAgainst.set(client, e)
      redlock.emit('error', e)
    } else if (v === 'e' || v === 't') {
      const e = nodeError(core, i, v, messages[m++])
      stats.votesAgainst.set(client, e)
      redlock.emit('error', e)
      redlock.emit('clientError', e)
    }
  }
  return m
}

/**
 * The events of each failed rollback (`[{ node, message }]`): node-redlock v4 emits
 * 'clientError' for the errors of its unlock after a failed attempt, v5 'error' for those of
 * its release after a failed acquire.
 */
function rollbackErrors(redlock, core, errors) {
  for (const { node, message } of errors) {
    const e = nodeError(core, node, 'e', message)
    redlock.emit('error', e)
    redlock.emit('clientError', e)
  }
}

/**
 * The ExecutionStats Promise of each attempt of `x` (emits the events on `redlock` as the
 * votes become known). An attempt whose votes were all in at the verdict resolves at once; one
 * with `p` votes when its last late vote arrives.
 */
function executionStats(redlock, core, x, resourceCount) {
  const membershipSize = core.list.length
  const quorumSize = core.quorum
  const waiting = []
  let m = 0
  const attempts = x.attempts.map((votes, k) => {
    const stats = { membershipSize, quorumSize, votesFor: new Set(), votesAgainst: new Map() }
    m = count(redlock, core, stats, votes, x.messages, m, resourceCount)
    if (!votes.includes('p')) return Promise.resolve(stats)
    return new Promise((resolve) => {
      waiting[k] = { stats, resolve }
    })
  })
  rollbackErrors(redlock, core, x.rollbackErrors)
  if (x.late !== null) {
    x.late.onLate((r) => {
      rollbackErrors(redlock, core, r.rollbackErrors)
      const w = r.votes === '' ? undefined : waiting[r.attempt]
      if (w === undefined) return
      waiting[r.attempt] = undefined
      count(redlock, core, w.stats, r.votes, r.messages, 0, resourceCount)
      w.resolve(w.stats)
    })
  }
  return attempts
}

module.exports = { executionStats }
