'use strict'
// Promise plumbing for acquire / extend / release: the addon starts the work and returns at
// once; finished work is drained in batches, one wake-up of this thread per batch (see
// src/js/completions.rs). Here only the resolvers are kept, by operation id.
//
// A result taken before every node answered says `late`: reports about the rest follow (the
// votes that complete an attempt's statistics, rollback errors), the last one marked `last`.
// They are kept on the result (`x.onLate(fn)`) until someone takes them.

const { CompletionQueue, completionLayout } = require('./native.js')
const { call } = require('./errors.js')

// Where each field sits in a drained completion: the layout is defined in Rust.
const L = completionLayout()
const [SLOTS, ID, OK, VALUE, EXPIRATION, ATTEMPT_COUNT, START, VOTES, FAILURE, ATTEMPTS_REMAINING, LATE, FENCING_TOKEN] = [
  L.slots, L.id, L.ok, L.value, L.expiration, L.attemptCount, L.start, L.votes, L.failure, L.attemptsRemaining,
  L.late, L.fencingToken,
]
const EMPTY = Object.freeze([])
const resolvers = new Map()
/** id → the late reports of an operation whose result is out: `{ reports, take }`. */
const lates = new Map()
let lastId = 0

/** Where an operation's late reports go: kept until `onLate(fn)` is called, then to `fn`. */
class LateReports {
  constructor() {
    this.reports = []
    this.take = null
  }
  add(r) {
    if (this.take === null) this.reports.push(r)
    else this.take(r)
  }
  /** `fn(report)` for every late report, those already here first. */
  onLate(fn) {
    this.take = fn
    const reports = this.reports
    this.reports = EMPTY
    for (const r of reports) fn(r)
  }
}

const completions = new CompletionQueue(() => {
  const done = completions.drain()
  for (let i = 0; i < done.length; i += SLOTS) {
    const id = done[i + ID]
    const late = done[i + LATE]
    if (late !== null && typeof late === 'object') {
      const reports = lates.get(id)
      if (reports === undefined) continue
      if (late.last) lates.delete(id)
      reports.add(late)
      continue
    }
    const resolve = resolvers.get(id)
    if (resolve === undefined) continue
    resolvers.delete(id)
    const failure = done[i + FAILURE]
    const votes = done[i + VOTES]
    let reports = null
    if (late === true) {
      reports = new LateReports()
      lates.set(id, reports)
    }
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
      rollbackErrors: failure === null ? EMPTY : failure.rollbackErrors,
      message: failure === null ? null : failure.message,
      attemptsRemaining: done[i + ATTEMPTS_REMAINING],
      fencingToken: done[i + FENCING_TOKEN],
      late: reports,
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

/**
 * Starts a native call that answers one number (`CompletionQueue::start_simple`: the original
 * API, `inspect`); resolves with it, or rejects with the addon's error as napi would make it.
 */
function submitSimple(start) {
  return submit(start).then((x) => {
    if (x.ok) return x.expiration
    const e = new Error(x.message)
    e.code = 'GenericFailure'
    throw e
  })
}

module.exports = { submit, submitSimple }
