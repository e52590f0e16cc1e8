// Differential ("oracle") tests: the same scenarios run through npm `redlock@5.0.0-beta.2`, npm
// `redlock@4.2.0` (as `redlock4`) and redlock-rs, each library on its own redis-servers, and the
// observable results are compared. Only behaviour where node-redlock is correct is compared
// (e.g. not releasing an already-expired lock, which beta.2 retries for seconds, #168).
import { test, describe, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { startServers, stopAll, sleep, uniqueResource, eventually, HOST } from './helpers/redis.mjs'

const require = createRequire(import.meta.url)
const IORedis = require('ioredis')
const Bluebird = require('bluebird')
const Npm5 = require('redlock')
const Npm4 = require('redlock4')
const Redlock = require('../index.js')

const HEX32 = /^[0-9a-f]{32}$/

let groups = {} // library → its own 3 redis-servers
const ioClients = []
const rsRedlocks = []

function ioredis(port, options = {}) {
  const c = new IORedis(port, HOST, { maxRetriesPerRequest: 1, connectTimeout: 1000, ...options })
  c.on('error', () => {})
  ioClients.push(c)
  return c
}

/**
 * The implementations compared, per API. `make(settings, clientOptions)` builds a Redlock over
 * fresh ioredis instances connected to the library's own servers.
 */
const IMPLS = {
  v5: [
    {
      name: 'node-redlock@5.0.0-beta.2',
      group: 'npm5',
      ctor: Npm5.default,
      classes: { Lock: Npm5.Lock, ExecutionError: Npm5.ExecutionError, ResourceLockedError: Npm5.ResourceLockedError },
    },
    {
      name: 'redlock-rs',
      group: 'rs',
      ctor: Redlock,
      classes: { Lock: Redlock.Lock, ExecutionError: Redlock.ExecutionError, ResourceLockedError: Redlock.ResourceLockedError },
    },
  ],
  v4: [
    { name: 'node-redlock@4.2.0', group: 'npm4', ctor: Npm4, classes: { Lock: Npm4.Lock, LockError: Npm4.LockError } },
    { name: 'redlock-rs', group: 'rs', ctor: Redlock, classes: { Lock: Redlock.Lock, LockError: Redlock.LockError } },
  ],
}

function contextFor(impl) {
  const srvs = groups[impl.group]
  return {
    srvs,
    classes: impl.classes,
    make(settings, clientOptions = {}) {
      const clients = srvs.map((s) => ioredis(s.port, clientOptions))
      const rl = new impl.ctor(clients, settings)
      rl.on('error', () => {}) // node-redlock v4 has no built-in listener
      if (impl.ctor === Redlock) rsRedlocks.push(rl)
      return { rl, clients }
    },
    res: (prefix) => uniqueResource(`${prefix}-${impl.group}`),
  }
}

const values = (srvs, key) => Promise.all(srvs.map((s) => s.redis.get(key)))
/** Waits (bounded) until every node holds `v` for `key`; true if they do. */
async function everywhere(srvs, key, v) {
  await eventually(async () => (await values(srvs, key)).every((x) => x === v), { tries: 40, interval: 25 })
  return (await values(srvs, key)).every((x) => x === v)
}
/** What node-redlock writes: key = resource (a string), 32-hex value, PTTL ≈ duration. */
async function wire(srvs, key, value, duration) {
  const allHold = await everywhere(srvs, key, value)
  const types = await Promise.all(srvs.map((s) => s.redis.type(key)))
  const pttls = await Promise.all(srvs.map((s) => s.redis.pttl(key)))
  const keys = await Promise.all(srvs.map((s) => s.redis.keys(`*${key.split(':')[1]}*`)))
  return {
    allHold,
    value32hex: HEX32.test(value),
    types: [...new Set(types)],
    pttlNearDuration: pttls.every((p) => p > duration - 200 && p <= duration),
    oneKeyNamedLikeTheResource: keys.every((k) => k.length === 1 && k[0] === key),
  }
}
/** Drift window of node-redlock's `expiration = start + duration - (round(drift * duration) + 2)`. */
function expirationOk(expiration, t0, t1, duration, driftFactor = 0.01) {
  const drift = Math.round(driftFactor * duration) + 2
  return expiration >= t0 + duration - drift - 50 && expiration <= t1 + duration - drift
}
const settle = (p) =>
  p.then(
    (value) => ({ value }),
    (error) => ({ error }),
  )
const errorShape = (e) => (e ? { name: e.name, message: e.message } : 'no error')

// -------------------------------------------------------------------------------------------
// v5 scenarios: `run(ctx)` returns a plain observation; the implementations' must be equal, and
// each must equal the scenario's `expect` (what README/docs and node-redlock's own docs say).

const V5 = [
  {
    name: 'free resource → acquire: Lock fields, ExecutionStats keyed by the caller’s clients, wire format',
    expect: {
      isLock: true,
      ownKeys: ['attempts', 'expiration', 'redlock', 'resources', 'value'],
      resources: [true],
      redlockIsSelf: true,
      attempts: 1,
      expirationInWindow: true,
      stats: {
        membershipSize: 3,
        quorumSize: 2,
        votesForIsSet: true,
        votesAgainstIsMap: true,
        votesForReachQuorum: true,
        votesForAreTheCallersClients: true
      },
      wire: {
        allHold: true,
        value32hex: true,
        types: ['string'],
        pttlNearDuration: true,
        oneKeyNamedLikeTheResource: true
      }
    },
    async run({ make, srvs, res, classes }) {
      const { rl, clients } = make({ retryCount: 0 })
      const r = res('free')
      const t0 = Date.now()
      const lock = await rl.acquire([r], 2000)
      const t1 = Date.now()
      const stats = await lock.attempts[0]
      const obs = {
        isLock: lock instanceof classes.Lock,
        ownKeys: Object.keys(lock).sort(),
        resources: lock.resources,
        redlockIsSelf: lock.redlock === rl,
        attempts: lock.attempts.length,
        expirationInWindow: expirationOk(lock.expiration, t0, t1, 2000),
        stats: {
          membershipSize: stats.membershipSize,
          quorumSize: stats.quorumSize,
          votesForIsSet: stats.votesFor instanceof Set,
          votesAgainstIsMap: stats.votesAgainst instanceof Map,
          votesForReachQuorum: stats.votesFor.size >= stats.quorumSize,
          votesForAreTheCallersClients: [...stats.votesFor].every((c) => clients.includes(c)),
        },
        wire: await wire(srvs, r, lock.value, 2000),
      }
      await lock.release()
      return { ...obs, resources: obs.resources.map((x) => x === r) }
    },
  },
  {
    name: 'held resource (retryCount 0) → the same error class, message, attempts and error events',
    expect: {
      error: {
        name: 'ExecutionError',
        message: 'The operation was unable to achieve a quorum during its retry window.'
      },
      instanceOfExecutionError: true,
      attempts: 1,
      votesAgainstReachQuorum: true,
      votesAgainst: [
        'ResourceLockedError: The operation was applied to: 0 of the 1 requested resources.'
     ],
      againstAreResourceLockedErrors: true,
      errorEvents: [
        'ResourceLockedError: The operation was applied to: 0 of the 1 requested resources.'
     ],
      holderUntouched: true
    },
    async run({ make, srvs, res, classes }) {
      const { rl: holder } = make()
      const { rl } = make({ retryCount: 0 })
      const events = []
      rl.on('error', (e) => events.push(`${e.name}: ${e.message}`))
      const r = res('held')
      const lock = await holder.acquire([r], 3000)
      await everywhere(srvs, r, lock.value)
      const { error } = await settle(rl.acquire([r], 1000))
      const stats = error && error.attempts ? await error.attempts[0] : null
      await sleep(50) // node-redlock's late votes
      const obs = {
        error: errorShape(error),
        instanceOfExecutionError: error instanceof classes.ExecutionError,
        attempts: error && error.attempts && error.attempts.length,
        votesAgainstReachQuorum: !!stats && stats.votesAgainst.size >= stats.quorumSize,
        votesAgainst: stats && [...new Set([...stats.votesAgainst.values()].map((e) => `${e.name}: ${e.message}`))],
        againstAreResourceLockedErrors: !!stats && [...stats.votesAgainst.values()].every((e) => e instanceof classes.ResourceLockedError),
        errorEvents: [...new Set(events)].sort(),
        holderUntouched: (await values(srvs, r)).every((v) => v === lock.value),
      }
      await lock.release()
      return obs
    },
  },
  {
    name: 'held resource with per-call retries (retryCount 2) → three attempts',
    expect: {
      error: {
        name: 'ExecutionError',
        message: 'The operation was unable to achieve a quorum during its retry window.'
      },
      attempts: 3
    },
    async run({ make, res }) {
      const { rl: holder } = make()
      const { rl } = make()
      const r = res('retries')
      const lock = await holder.acquire([r], 3000)
      const { error } = await settle(rl.acquire([r], 1000, { retryCount: 2, retryDelay: 20, retryJitter: 0 }))
      await lock.release()
      return { error: errorShape(error), attempts: error && error.attempts && error.attempts.length }
    },
  },
  {
    name: 'release → expiration 0 at once, { attempts }, keys gone; then re-acquire',
    expect: {
      expirationZeroAtOnce: true,
      resultAttemptsIsArray: true,
      resultAttempts: 1,
      keysGone: true,
      reacquired: true,
      reacquiredEverywhere: true,
      goneAfterSecondRelease: true
    },
    async run({ make, srvs, res }) {
      const { rl } = make({ retryCount: 0 })
      const r = res('release')
      const lock = await rl.acquire([r], 2000)
      await everywhere(srvs, r, lock.value)
      const pending = rl.release(lock)
      const expirationZeroAtOnce = lock.expiration === 0
      const result = await pending
      const again = await rl.acquire([r], 2000)
      const obs = {
        expirationZeroAtOnce,
        resultAttemptsIsArray: Array.isArray(result.attempts),
        resultAttempts: result.attempts.length,
        keysGone: (await values(srvs, r)).every((v) => v === null || v === again.value),
        reacquired: HEX32.test(again.value) && again.value !== lock.value,
        reacquiredEverywhere: await everywhere(srvs, r, again.value),
      }
      await again.release()
      obs.goneAfterSecondRelease = await everywhere(srvs, r, null)
      return obs
    },
  },
  {
    name: 'extend → a new Lock with a later expiration; the old one is invalidated',
    expect: {
      isLock: true,
      newInstance: true,
      oldExpiration: 0,
      later: true,
      expirationInWindow: true,
      sameValue: true,
      wire: {
        allHold: true,
        value32hex: true,
        types: ['string'],
        pttlNearDuration: true,
        oneKeyNamedLikeTheResource: true
      },
      extendOld: { name: 'ExecutionError', message: 'Cannot extend an already-expired lock.' },
      extendOldAttempts: [],
      lockExtendIsNew: true
    },
    async run({ make, srvs, res, classes }) {
      const { rl } = make({ retryCount: 0 })
      const r = res('extend')
      const lock = await rl.acquire([r], 1000)
      const exp0 = lock.expiration
      const t0 = Date.now()
      const next = await rl.extend(lock, 3000)
      const t1 = Date.now()
      await eventually(async () => (await Promise.all(srvs.map((s) => s.redis.pttl(r)))).every((p) => p > 2000))
      const obs = {
        isLock: next instanceof classes.Lock,
        newInstance: next !== lock,
        oldExpiration: lock.expiration,
        later: next.expiration > exp0,
        expirationInWindow: expirationOk(next.expiration, t0, t1, 3000),
        sameValue: next.value === lock.value,
        wire: await wire(srvs, r, next.value, 3000),
        extendOld: errorShape((await settle(rl.extend(lock, 1000))).error),
        extendOldAttempts: ((await settle(rl.extend(lock, 1000))).error || {}).attempts,
      }
      const viaLock = await next.extend(2000)
      obs.lockExtendIsNew = viaLock !== next && next.expiration === 0
      await viaLock.release()
      return obs
    },
  },
  {
    name: 'extend of a lock someone else took over (retryCount 0) → the same error',
    expect: {
      error: {
        name: 'ExecutionError',
        message: 'The operation was unable to achieve a quorum during its retry window.'
      },
      otherKeepsIt: true
    },
    async run({ make, srvs, res }) {
      const { rl } = make({ retryCount: 0 })
      const r = res('stolen')
      const lock = await rl.acquire([r], 2000)
      await everywhere(srvs, r, lock.value)
      await Promise.all(srvs.map((s) => s.redis.set(r, 'someone-else', 'PX', 5000)))
      const { error } = await settle(rl.extend(lock, 2000, { retryCount: 0 }))
      const obs = { error: errorShape(error), otherKeepsIt: (await values(srvs, r)).every((v) => v === 'someone-else') }
      await Promise.all(srvs.map((s) => s.redis.del(r)))
      return obs
    },
  },
  {
    name: 'multi-resource acquire is all-or-nothing when one resource is held',
    expect: {
      error: {
        name: 'ExecutionError',
        message: 'The operation was unable to achieve a quorum during its retry window.'
      },
      votesAgainst: ['The operation was applied to: 0 of the 2 requested resources.'],
      freeNotWritten: true,
      heldUntouched: true,
      bothWhenFree: true
    },
    async run({ make, srvs, res }) {
      const { rl: holder } = make()
      const { rl } = make({ retryCount: 0 })
      const free = res('mfree')
      const held = res('mheld')
      const lock = await holder.acquire([held], 3000)
      await everywhere(srvs, held, lock.value)
      const { error } = await settle(rl.acquire([free, held], 1000))
      const stats = error && error.attempts ? await error.attempts[0] : null
      await sleep(50)
      const obs = {
        error: errorShape(error),
        votesAgainst: stats && [...new Set([...stats.votesAgainst.values()].map((e) => e.message))],
        freeNotWritten: (await values(srvs, free)).every((v) => v === null),
        heldUntouched: (await values(srvs, held)).every((v) => v === lock.value),
      }
      await lock.release()
      const both = await rl.acquire([free, held], 2000)
      obs.bothWhenFree = (await everywhere(srvs, free, both.value)) && (await everywhere(srvs, held, both.value))
      await both.release()
      return obs
    },
  },
  {
    name: 'a non-integer duration is refused with the same message; nothing is written',
    expect: {
      message: 'Duration must be an integer value in milliseconds.',
      isError: true,
      nothingWritten: true
    },
    async run({ make, srvs, res }) {
      const { rl } = make({ retryCount: 0 })
      const r = res('duration')
      const { error } = await settle(rl.acquire([r], 1.5))
      return {
        message: error && error.message,
        isError: error instanceof Error,
        nothingWritten: (await values(srvs, r)).every((v) => v === null),
      }
    },
  },
  {
    name: 'ioredis keyPrefix: the key is prefix + resource',
    expect: { prefixedKeyHolds: true, bareKeyAbsent: true, releasedPrefixed: true },
    async run({ make, srvs, res }) {
      const { rl } = make({ retryCount: 0 }, { keyPrefix: 'pfx:' })
      const r = res('prefix')
      const lock = await rl.acquire([r], 2000)
      const obs = {
        prefixedKeyHolds: await everywhere(srvs, `pfx:${r}`, lock.value),
        bareKeyAbsent: (await values(srvs, r)).every((v) => v === null),
      }
      await lock.release()
      obs.releasedPrefixed = await everywhere(srvs, `pfx:${r}`, null)
      return obs
    },
  },
  {
    name: 'using(): returns the routine’s value, holds (and extends) the lock while it runs, releases after',
    expect: {
      value: { answer: 42 },
      during: { abortedAtEnd: false, heldAtStart: true, sameValueAfter2xDuration: true },
      releasedAfter: true
    },
    async run({ make, srvs, res }) {
      // 1 s locks extended 700 ms before they expire, with retries: one slow extension on a
      // loaded machine cannot lose the lock (with 300/100 and no retry, one did).
      const { rl } = make({ retryCount: 2, retryDelay: 100, retryJitter: 0, automaticExtensionThreshold: 700 })
      const r = res('using')
      let during
      const value = await rl.using([r], 1000, async (signal) => {
        const v1 = await values(srvs, r)
        await sleep(2100)
        const v2 = await values(srvs, r)
        during = {
          abortedAtEnd: signal.aborted,
          heldAtStart: v1.filter((v) => v !== null && HEX32.test(v)).length >= 2,
          sameValueAfter2xDuration: v2.filter((v, i) => v !== null && v === v1[i]).length >= 2,
        }
        return { answer: 42 }
      })
      return { value, during, releasedAfter: await everywhere(srvs, r, null) }
    },
  },
  {
    name: 'using(): the duration/threshold and missing-routine errors',
    expect: {
      threshold: {
        name: 'Error',
        message: 'A lock `duration` must be at least 100ms greater than the `automaticExtensionThreshold` setting.'
      },
      thresholdPerCall: {
        name: 'Error',
        message: 'A lock `duration` must be at least 100ms greater than the `automaticExtensionThreshold` setting.'
      },
      invariant: { name: 'Error', message: 'INVARIANT: routine is not a function.' },
      invariantWithSettings: { name: 'Error', message: 'INVARIANT: routine is not a function.' }
    },
    async run({ make, res }) {
      const { rl } = make({ retryCount: 0 })
      const r = res('using-bad')
      return {
        threshold: errorShape((await settle(rl.using([r], 300, async () => 1))).error),
        thresholdPerCall: errorShape((await settle(rl.using([r], 300, { automaticExtensionThreshold: 250 }, async () => 1))).error),
        invariant: errorShape((await settle(rl.using([r], 1000))).error),
        invariantWithSettings: errorShape((await settle(rl.using([r], 1000, { retryCount: 0 }))).error),
      }
    },
  },
]

// -------------------------------------------------------------------------------------------
// v4 scenarios

const V4_OPTIONS = { retryCount: 2, retryDelay: 20, retryJitter: 0 }
const exceededShape = (e) => e && e.message.replace(/^Exceeded \d+ attempts/, 'Exceeded N attempts')

const V4 = [
  {
    name: 'lock(string) on a free resource: Lock, lock.resource = [resource], wire format',
    expect: {
      isLock: true,
      resource: true,
      redlockIsSelf: true,
      expirationInWindow: true,
      wire: {
        allHold: true,
        value32hex: true,
        types: ['string'],
        pttlNearDuration: true,
        oneKeyNamedLikeTheResource: true
      },
      unlockResolves: 'undefined',
      expirationAfterUnlock: 0,
      keysGone: true
    },
    async run({ make, srvs, res, classes }) {
      const { rl } = make(V4_OPTIONS)
      const r = res('v4free')
      const t0 = Date.now()
      const lock = await rl.lock(r, 2000)
      const t1 = Date.now()
      const obs = {
        isLock: lock instanceof classes.Lock,
        resource: Array.isArray(lock.resource) && lock.resource.length === 1 && lock.resource[0] === r,
        redlockIsSelf: lock.redlock === rl,
        expirationInWindow: expirationOk(lock.expiration, t0, t1, 2000),
        wire: await wire(srvs, r, lock.value, 2000),
        unlockResolves: String(await lock.unlock()),
        expirationAfterUnlock: lock.expiration,
        keysGone: await everywhere(srvs, r, null),
      }
      return obs
    },
  },
  {
    name: 'lock() on a held resource → LockError with the same message and attempts',
    expect: {
      instanceOfLockError: true,
      error: {
        name: 'LockError',
        message: 'Exceeded 2 attempts to lock the resource "<resource>".'
      },
      attempts: 3
    },
    async run({ make, res, classes }) {
      const { rl: holder } = make(V4_OPTIONS)
      const { rl } = make(V4_OPTIONS)
      const r = res('v4held')
      const lock = await holder.lock(r, 3000)
      const { error } = await settle(rl.lock(r, 1000))
      await lock.unlock()
      return {
        instanceOfLockError: error instanceof classes.LockError,
        error: errorShape(error && { name: error.name, message: error.message.replace(r, '<resource>') }),
        attempts: error && error.attempts,
      }
    },
  },
  {
    name: 'node-style callbacks: lock(res, ttl, cb) and a refused lock',
    expect: {
      ok: { err: null, isLock: true },
      refused: { isLockError: true, attempts: 3, value: undefined },
      unlocked: { err: null, value: undefined }
    },
    async run({ make, res, classes }) {
      const { rl } = make(V4_OPTIONS)
      const r = res('v4cb')
      const cb = (fn) => new Promise((resolve) => fn((err, value) => resolve({ err, value })))
      const ok = await cb((done) => rl.lock(r, 2000, done))
      const refused = await cb((done) => rl.lock(r, 1000, done))
      const unlocked = await cb((done) => rl.unlock(ok.value, done))
      return {
        ok: { err: ok.err, isLock: ok.value instanceof classes.Lock },
        refused: {
          isLockError: refused.err instanceof classes.LockError,
          attempts: refused.err && refused.err.attempts,
          value: refused.value,
        },
        unlocked: { err: unlocked.err, value: unlocked.value },
      }
    },
  },
  {
    name: 'extend mutates the lock and returns the same object; an expired lock cannot be extended',
    expect: {
      same: true,
      later: true,
      sameValue: true,
      wire: {
        allHold: true,
        value32hex: true,
        types: ['string'],
        pttlNearDuration: true,
        oneKeyNamedLikeTheResource: true
      },
      viaLockSame: true,
      expired: {
        isLockError: true,
        error: {
          name: 'LockError',
          message: 'Cannot extend lock on resource "<resource>" because the lock has already expired.'
        },
        attempts: 0
      }
    },
    async run({ make, srvs, res, classes }) {
      const { rl } = make(V4_OPTIONS)
      const r = res('v4extend')
      const lock = await rl.lock(r, 1000)
      const exp0 = lock.expiration
      const value = lock.value
      const extended = await rl.extend(lock, 3000)
      await eventually(async () => (await Promise.all(srvs.map((s) => s.redis.pttl(r)))).every((p) => p > 2000))
      const obs = {
        same: extended === lock,
        later: lock.expiration > exp0,
        sameValue: lock.value === value,
        wire: await wire(srvs, r, lock.value, 3000),
        viaLockSame: (await lock.extend(2000)) === lock,
      }
      await lock.unlock()
      const short = await rl.lock(r, 100)
      await sleep(200)
      const { error } = await settle(rl.extend(short, 1000))
      obs.expired = {
        isLockError: error instanceof classes.LockError,
        error: errorShape(error && { name: error.name, message: error.message.replace(r, '<resource>') }),
        attempts: error && error.attempts,
      }
      return obs
    },
  },
  {
    name: 'lock([a, b]) is all-or-nothing when b is held; the message joins the resources',
    expect: {
      messageShape: 'Exceeded N attempts to lock the resource "<a>,<b>".',
      attempts: 3,
      freeNotWritten: true,
      heldUntouched: true
    },
    async run({ make, srvs, res }) {
      const { rl: holder } = make(V4_OPTIONS)
      const { rl } = make(V4_OPTIONS)
      const free = res('v4mfree')
      const held = res('v4mheld')
      const lock = await holder.lock(held, 3000)
      await everywhere(srvs, held, lock.value)
      const { error } = await settle(rl.lock([free, held], 1000))
      await sleep(50)
      const obs = {
        messageShape: exceededShape(error) && exceededShape(error).replace(free, '<a>').replace(held, '<b>'),
        attempts: error && error.attempts,
        freeNotWritten: (await values(srvs, free)).every((v) => v === null),
        heldUntouched: (await values(srvs, held)).every((v) => v === lock.value),
      }
      await lock.unlock()
      return obs
    },
  },
  {
    name: 'lockWithOptions with per-call retryCount 1: two attempts',
    expect: { attempts: 2, name: 'LockError' },
    async run({ make, res }) {
      const { rl: holder } = make(V4_OPTIONS)
      const { rl } = make({ retryCount: 5, retryDelay: 200, retryJitter: 0 })
      const r = res('v4opts')
      const lock = await holder.lock(r, 3000)
      const { error } = await settle(rl.lockWithOptions(r, 1000, { retryCount: 1, retryDelay: 20 }))
      await lock.unlock()
      return { attempts: error && error.attempts, name: error && error.name }
    },
  },
  {
    name: 'contention alone emits no clientError',
    expect: { clientErrors: 0 },
    async run({ make, res }) {
      const { rl: holder } = make(V4_OPTIONS)
      const { rl } = make(V4_OPTIONS)
      const clientErrors = []
      rl.on('clientError', (e) => clientErrors.push(e))
      const r = res('v4quiet')
      const lock = await holder.lock(r, 3000)
      await settle(rl.lock(r, 1000))
      await lock.unlock()
      return { clientErrors: clientErrors.length }
    },
  },
  {
    name: 'disposer with Bluebird.using: locked inside, unlocked after',
    expect: { out: 'used', inside: true, releasedAfter: true },
    async run({ make, srvs, res }) {
      const { rl } = make(V4_OPTIONS)
      const r = res('v4disposer')
      let inside
      const out = await Bluebird.using(rl.disposer(r, 2000), async (lock) => {
        inside = await everywhere(srvs, r, lock.value)
        return 'used'
      })
      return { out, inside, releasedAfter: await everywhere(srvs, r, null) }
    },
  },
]

before(async () => {
  const [npm5, npm4, rs] = [await startServers(3), await startServers(3), await startServers(3)]
  groups = { npm5, npm4, rs }
})

after(async () => {
  await Promise.allSettled(rsRedlocks.map((r) => Promise.race([r.quit(), sleep(2000)])))
  for (const c of ioClients) c.disconnect()
  await stopAll()
})

for (const [api, scenarios] of [
  ['v5', V5],
  ['v4', V4],
]) {
  describe(`${api}: ${IMPLS[api].map((i) => i.name).join(' vs ')}`, () => {
    for (const scenario of scenarios) {
      test(scenario.name, async (t) => {
        const [reference, subject] = IMPLS[api]
        const expected = await scenario.run(contextFor(reference))
        const actual = await scenario.run(contextFor(subject))
        t.diagnostic(`${reference.name}: ${JSON.stringify(expected)}`)
        // Equal to node-redlock is not enough (both could be wrong the same way): each observation
        // must also be the documented one, written out in the scenario's `expect`.
        assert.deepEqual(expected, scenario.expect, `${reference.name} vs the scenario's documented expectation`)
        assert.deepEqual(actual, scenario.expect, `${subject.name} vs the scenario's documented expectation`)
        assert.deepEqual(actual, expected, `${subject.name} (actual) vs ${reference.name} (expected)`)
      })
    }
  })
}
