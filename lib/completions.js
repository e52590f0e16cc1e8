'use strict'
// Promise plumbing for acquire / extend / release: the addon starts the work and returns at
// once; finished work is drained in batches, one wake-up of this thread per batch (see
// src/js/completions.rs). Here only the resolvers are kept, by operation id.

const { CompletionQueue, completionLayout } = require('./native.js')
const { call } = require('./errors.js')

// Where each field sits in a drained completion: the layout is defined in Rust.
const L = completionLayout()
const [SLOTS, ID, OK, VALUE, EXPIRATION, ATTEMPT_COUNT, START, VOTES, FAILURE, ATTEMPTS_REMAINING] = [
  L.slots, L.id, L.ok, L.value, L.expiration, L.attemptCount, L.start, L.votes, L.failure, L.attemptsRemaining,
]
const EMPTY = Object.freeze([])
const resolvers = new Map()
let lastId = 0

const completions = new CompletionQueue(() => {
  const done = completions.drain()
  for (let i = 0; i < done.length; i += SLOTS) {
    const resolve = resolvers.get(done[i + ID])
    if (resolve === undefined) continue
    resolvers.delete(done[i + ID])
    const failure = done[i + FAILURE]
    const votes = done[i + VOTES]
    resolve({
      ok: done[i + OK],
      value: done[i + VALUE],
      expiration: done[i + EXPIRATION],
      attemptCount: done[i + ATTEMPT_COUNT],
      start: done[i + START],
      attempts: votes === '' ? [] : votes.split(','),
      reason: failure === null ? null : failure.reason,
      detail: failure === null ? null : failure.detail,
      messages: failure === null ? EMPTY : failure.messages,
      message: failure === null ? null : failure.message,
      attemptsRemaining: done[i + ATTEMPTS_REMAINING],
    })
  }
})

/** Starts a native operation `start(queue, id)`; resolves with its result. */
function submit(start) {
  // Ids wrap at 2^32; an id is free again long before that many operations are in flight.
  const id = (lastId = (lastId + 1) >>> 0)
  call(() => start(completions, id))
  return new Promise((resolve) => resolvers.set(id, resolve))
}

module.exports = { submit }
