'use strict'
// Promise plumbing for acquire / extend / release: the addon starts the work and returns at
// once; finished work is drained in batches, one wake-up of this thread per batch (see
// src/js/completions.rs). Here only the resolvers are kept, by operation id.

const { CompletionQueue } = require('./native.js')
const { call } = require('./errors.js')

const EMPTY = Object.freeze([])
const resolvers = new Map()
let lastId = 0

const completions = new CompletionQueue(() => {
  // 8 slots per operation (src/js/completions.rs, `drain`).
  const done = completions.drain()
  for (let i = 0; i < done.length; i += 8) {
    const resolve = resolvers.get(done[i])
    if (resolve === undefined) continue
    resolvers.delete(done[i])
    const failure = done[i + 7]
    resolve({
      ok: done[i + 1],
      value: done[i + 2],
      expiration: done[i + 3],
      attemptCount: done[i + 4],
      start: done[i + 5],
      attempts: done[i + 6] === '' ? [] : done[i + 6].split(','),
      reason: failure === null ? null : failure[0],
      detail: failure === null ? null : failure[1],
      messages: failure === null ? EMPTY : failure[2],
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
