'use strict'
// Hand-written facade over the generated binding. It gives JavaScript its idioms only:
// constructor overloads, EventEmitter, Lock objects, Error subclasses, AbortSignal, callbacks,
// and mapping node indexes back to the caller's client objects. Locking logic lives in Rust.

const { EventEmitter } = require('node:events')
const util = require('node:util')

function loadBinding() {
  try {
    return require('./binding.js')
  } catch (err) {
    if (/Cannot find native binding|Cannot find module/.test(String(err && err.message))) {
      const e = new Error(
        'redlock-rs: the native addon is not built. Run `npm run build` in the redlock-rs ' +
          'package directory (it needs the Rust toolchain: https://rustup.rs).',
      )
      e.code = 'ERR_REDLOCK_NOT_BUILT'
      e.cause = err
      throw e
    }
    throw err
  }
}

const { NativeClient, NativeRedlock, CancelToken, CompletionQueue, defaultScripts } = loadBinding()

// node-redlock's messages, verbatim.
const QUORUM_MESSAGE = 'The operation was unable to achieve a quorum during its retry window.'
const EXPIRED_EXTEND_MESSAGE = 'Cannot extend an already-expired lock.'
const THRESHOLD_MESSAGE =
  'A lock `duration` must be at least 100ms greater than the `automaticExtensionThreshold` setting.'

// ---------------------------------------------------------------------------------------------
// Promise plumbing for acquire / extend / release: the addon starts the work and returns at
// once; finished work is drained in batches, one wake-up of this thread per batch (see
// src/js/completions.rs). Here only the resolvers are kept, by operation id.

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
const EMPTY = Object.freeze([])

/** Starts a native operation `start(queue, id)`; resolves with its result. */
function submit(start) {
  // Ids wrap at 2^32; an id is free again long before that many operations are in flight.
  const id = (lastId = (lastId + 1) >>> 0)
  call(() => start(completions, id))
  return new Promise((resolve) => resolvers.set(id, resolve))
}

// ---------------------------------------------------------------------------------------------
// Errors

/**
 * Errors made by the addon belong to Node's main realm; under jest (vm contexts) they would
 * fail `instanceof TypeError`. Re-create them in this module's realm.
 */
function localError(e) {
  if (e === null || typeof e !== 'object' || e instanceof Error) return e
  const Ctor = e.name === 'TypeError' ? TypeError : e.name === 'RangeError' ? RangeError : Error
  const out = new Ctor(e.message)
  if (e.code !== undefined) out.code = e.code
  return out
}

/** Calls into the addon, with its errors (thrown or rejected) in this realm. */
function call(fn) {
  let r
  try {
    r = fn()
  } catch (e) {
    throw localError(e)
  }
  return r !== null && typeof r === 'object' && typeof r.then === 'function'
    ? r.catch((e) => {
        throw localError(e)
      })
    : r
}

/** A TypeError with the code native argument errors carry. */
function typeError(message) {
  const e = new TypeError(message)
  e.code = 'ERR_INVALID_ARG_TYPE'
  return e
}

/** One node's "no": the resource is held by another owner (node-redlock v5). */
class ResourceLockedError extends Error {
  constructor(message) {
    super(message)
    this.name = 'ResourceLockedError'
  }
}

/** An operation that failed on its retry window (node-redlock v5). */
class ExecutionError extends Error {
  constructor(message, attempts, details) {
    super(message)
    this.name = 'ExecutionError'
    // Not enumerable: the stats hold the caller's client objects, which must not be dumped by
    // util.inspect(error).
    Object.defineProperty(this, 'attempts', { value: attempts, writable: true, configurable: true })
    if (details) {
      /** `held` | `unavailable` | `expired` | `cancelled` */
      this.reason = details.reason
      /** Why, naming nodes by index and `host:port`. */
      this.detail = details.detail
    }
  }
}

/** The error of the v4 API: `attempts` is the number of attempts made. */
class LockError extends Error {
  constructor(message, attempts, details) {
    super(message)
    this.name = 'LockError'
    this.attempts = attempts
    if (details) {
      this.reason = details.reason
      this.detail = details.detail
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Clients (the original API)

/** Maps a JS client object to its native node. */
const natives = new WeakMap()

class Client {
  constructor(options) {
    natives.set(this, call(() => new NativeClient(options)))
  }
  /** 32 hex characters from the OS CSPRNG: the default lock id of this client. */
  get id() {
    return natives.get(this).id
  }
  get host() {
    return natives.get(this).host
  }
  get port() {
    return natives.get(this).port
  }
  connect() {
    return call(() => natives.get(this).connect())
  }
  quit() {
    return call(() => natives.get(this).quit())
  }
  acquireLock(resource, ttl, lockId) {
    return call(() => natives.get(this).acquireLock(resource, ttl, lockId))
  }
  releaseLock(resource, lockId) {
    return call(() => natives.get(this).releaseLock(resource, lockId))
  }
  [util.inspect.custom]() {
    return `${this.constructor.name} { url: '${natives.get(this).url}' }`
  }
}

/** A client configured like ioredis: `(options?)`, `(port, host?, options?)` or `(url, options?)`. */
class IoredisClient extends Client {
  constructor(a, b, c) {
    let options
    if (typeof a === 'number') {
      options = typeof b === 'string' ? { ...(c || {}), port: a, host: b } : { ...(b || {}), port: a }
    } else if (typeof a === 'string') {
      options = { ...(b || {}), url: a }
    } else {
      options = a
    }
    super(options)
  }
}

/** node-redis puts TLS options beside `tls: true` in `socket`. */
function socketTls(socket) {
  if (!socket.tls) return undefined
  const { ca, cert, key, rejectUnauthorized, servername } = socket
  return { ca, cert, key, rejectUnauthorized, servername }
}

/** A client configured like node-redis `createClient`: `{ url, username, password, database, socket }`. */
class RedisJsClient extends Client {
  constructor(options) {
    let flat = options
    if (options !== null && typeof options === 'object') {
      const socket = options.socket
      if (socket !== undefined && (socket === null || typeof socket !== 'object')) {
        throw typeError('options.socket must be an object.')
      }
      flat = {
        url: options.url === undefined ? 'redis://127.0.0.1:6379' : options.url,
        username: options.username,
        password: options.password,
        db: options.database,
        host: socket && socket.host,
        port: socket && socket.port,
        tls: socket && socketTls(socket),
        connectTimeout: socket && socket.connectTimeout,
      }
    }
    super(flat)
  }
  /** The connection URL with any password replaced by `***`. */
  get url() {
    return natives.get(this).url
  }
}

// ---------------------------------------------------------------------------------------------
// Locks

/** Locks made through a v4 entry point: extended in place, errors are `LockError`s. */
const v4Locks = new WeakSet()

/** A lock held on a quorum (node-redlock v5 `Lock`, with the v4 members too). */
class Lock {
  constructor(redlock, resources, value, attempts, expiration) {
    this.redlock = redlock
    this.resources = resources
    this.value = value
    this.attempts = attempts
    this.expiration = expiration
  }
  /** v4 name of `resources`. */
  get resource() {
    return this.resources
  }
  /** Releases the lock. */
  release() {
    return this.redlock.release(this)
  }
  /** Extends the lock to `duration` ms from now (v4 callers may pass a node-style callback). */
  extend(duration, callback) {
    return withCallback(this.redlock.extend(this, duration), callback)
  }
  /** v4: releases the lock; resolves `undefined`. */
  unlock(callback) {
    return withCallback(this.redlock.unlock(this), callback)
  }
}

function withCallback(promise, callback) {
  if (typeof callback === 'function') {
    promise.then(
      (v) => callback(null, v),
      (e) => callback(e),
    )
  }
  return promise
}

// ---------------------------------------------------------------------------------------------
// Redlock

/** A read-only Set (v5 exposes `clients` as a Set). */
class ClientSet extends Set {
  add(v) {
    if (this.sealed) throw typeError('redlock.clients is read-only.')
    return super.add(v)
  }
  delete() {
    throw typeError('redlock.clients is read-only.')
  }
  clear() {
    throw typeError('redlock.clients is read-only.')
  }
}

/**
 * The native node for one entry of `new Redlock(clients)`: our clients; real ioredis `Redis` and
 * node-redis clients (their connection settings are read and a native connection with the same
 * settings is opened); URL strings; ioredis-style option objects.
 */
function nativeOf(c, i) {
  return call(() => nativeOfUnchecked(c, i))
}

function nativeOfUnchecked(c, i) {
  const ours = natives.get(c)
  if (ours) return ours
  const where = `clients[${i}]`
  if (typeof c === 'string') return new NativeClient({ url: c })
  if (c === null || typeof c !== 'object') {
    throw typeError(`${where} must be a redis client, a redis:// URL or an options object.`)
  }
  const o = c.options
  if (c.isCluster === true && Array.isArray(c.startupNodes)) {
    // ioredis `Cluster`: one voter, reached through its seed nodes.
    const ro = (o && o.redisOptions) || {}
    return new NativeClient({
      cluster: c.startupNodes.map((n) => (typeof n === 'number' ? { port: n } : typeof n === 'string' ? n : { host: n.host, port: n.port })),
      username: ro.username || undefined,
      password: ro.password || undefined,
      tls: ro.tls || undefined,
      connectTimeout: ro.connectTimeout,
      keyPrefix: (o && o.keyPrefix) || ro.keyPrefix || undefined,
    })
  }
  if (typeof c.getSlotMaster === 'function' && typeof c.getMasters === 'function') {
    // node-redis `createCluster` keeps its options private: once connected, its masters are
    // known and serve as seeds. Credentials and TLS cannot be read from it.
    const masters = c.isOpen ? c.getMasters() : []
    if (!Array.isArray(masters) || masters.length === 0) {
      throw typeError(
        `${where} is a node-redis cluster that is not connected yet: call connect() first, or pass ` +
          '{ cluster: [{ host, port }], username, password, tls } instead.',
      )
    }
    return new NativeClient({ cluster: masters.map((m) => ({ host: m.host, port: m.port })) })
  }
  if (o && typeof o === 'object' && typeof c.evalsha === 'function' && 'status' in c) {
    // ioredis `Redis`
    const sentinel = Array.isArray(o.sentinels) && o.sentinels.length > 0
    if (o.path && !sentinel) throw typeError(`${where} connects over a unix socket: not supported yet by redlock-rs.`)
    return new NativeClient({
      // With Sentinel, the master is looked up by name and looked up again after a failure.
      sentinels: sentinel ? o.sentinels.map((n) => ({ host: n.host, port: n.port })) : undefined,
      name: sentinel ? o.name : undefined,
      sentinelUsername: sentinel ? o.sentinelUsername || undefined : undefined,
      sentinelPassword: sentinel ? o.sentinelPassword || undefined : undefined,
      host: sentinel ? undefined : o.host,
      port: sentinel ? undefined : o.port,
      username: o.username || undefined,
      password: o.password || undefined,
      db: o.db,
      tls: o.tls || undefined,
      connectTimeout: o.connectTimeout,
      keyPrefix: o.keyPrefix || undefined,
    })
  }
  if (o && typeof o === 'object' && typeof c.sendCommand === 'function' && 'isOpen' in c) {
    // node-redis v4+ `createClient`
    const socket = o.socket || {}
    if (socket.path) throw typeError(`${where} connects over a unix socket: not supported yet by redlock-rs.`)
    return new NativeClient({
      url: o.url,
      host: socket.host,
      port: socket.port,
      tls: socketTls(socket),
      connectTimeout: socket.connectTimeout,
      username: o.username,
      password: o.password,
      db: o.database,
    })
  }
  if (o && typeof o === 'object' && typeof c.send_command === 'function' && 'connected' in c) {
    // node-redis v3 (the client node-redlock v4's README uses)
    const co = c.connection_options || {}
    if (o.path) throw typeError(`${where} connects over a unix socket: not supported yet by redlock-rs.`)
    return new NativeClient({
      host: co.host || o.host,
      port: co.port || o.port,
      password: o.password || o.auth_pass || undefined,
      db: o.db === undefined || o.db === null ? undefined : Number(o.db),
      tls: o.tls || undefined,
    })
  }
  if (o === undefined && ['host', 'port', 'url', 'cluster', 'sentinels'].some((k) => k in c)) return new NativeClient(c)
  throw typeError(`${where} must be a redis client, a redis:// URL or an options object.`)
}

const SCRIPT_KEYS = ['acquireScript', 'extendScript', 'releaseScript']

/**
 * The caller's scripts as strings: node-redlock's third argument (`acquireScript`, … as a
 * string, or a function of the default script) and v4's `lockScript` / `extendScript` /
 * `unlockScript` settings. node-redlock ignores the string form; redlock-rs honours it.
 */
function resolveScripts(settings, scripts) {
  if (scripts !== undefined && scripts !== null && typeof scripts !== 'object') {
    throw typeError('scripts must be an object.')
  }
  const s = settings !== null && typeof settings === 'object' ? settings : {}
  const given = {
    acquireScript: s.lockScript,
    extendScript: s.extendScript,
    releaseScript: s.unlockScript,
    ...Object.fromEntries(Object.entries(scripts || {}).filter(([, v]) => v !== undefined)),
  }
  let defaults
  const out = {}
  for (const key of SCRIPT_KEYS) {
    let v = given[key]
    if (v === undefined || v === null) continue
    if (typeof v === 'function') {
      defaults = defaults || defaultScripts()
      v = v(defaults[key])
    }
    if (typeof v !== 'string') throw typeError(`scripts.${key} must be a string or a function returning one.`)
    out[key] = v
  }
  return Object.keys(out).length > 0 ? out : undefined
}

/** node-redlock v5's `redlock.scripts`: `{ acquireScript: { value, hash }, … }`. */
function describeScripts(custom) {
  const defaults = defaultScripts()
  const crypto = require('node:crypto')
  const out = {}
  for (const key of SCRIPT_KEYS) {
    const value = (custom && custom[key]) || defaults[key]
    out[key] = Object.freeze({ value, hash: crypto.createHash('sha1').update(value).digest('hex') })
  }
  return Object.freeze(out)
}

function isPlainObject(o) {
  if (o === null || typeof o !== 'object') return false
  const proto = Object.getPrototypeOf(o)
  return proto === Object.prototype || proto === null
}

function isSignal(s) {
  return s !== null && typeof s === 'object' && typeof s.aborted === 'boolean' && typeof s.addEventListener === 'function'
}

class Redlock extends EventEmitter {
  #native
  #quorum
  #clients
  #list
  #labels
  #statKeys
  constructor(clients, settings, scripts) {
    super()
    if (clients === null || typeof clients !== 'object' || typeof clients[Symbol.iterator] !== 'function') {
      throw typeError('clients must be an iterable of redis clients, redis:// URLs or options objects.')
    }
    // The same object twice is one client (as node-redlock's `new Set(clients)`).
    const list = [...new Set(clients)]
    const nodes = list.map(nativeOf)
    this.#labels = nodes.map((n) => n.label)
    // ExecutionStats are keyed by the caller's client objects; a URL string or a plain options
    // object would carry its password into every stats Map, so those are keyed by their
    // redacted URL instead.
    this.#statKeys = list.map((c, i) => (typeof c === 'string' || isPlainObject(c) ? nodes[i].url : c))
    const custom = resolveScripts(settings, scripts)
    this.#native = call(() => new NativeRedlock(nodes, settings, custom))
    this.#quorum = this.#native.quorum
    Object.defineProperty(this, 'scripts', { value: describeScripts(custom), enumerable: false })
    this.#list = Object.freeze(list)
    this.#clients = new ClientSet(list)
    this.#clients.sealed = true
    Object.defineProperty(this, 'settings', {
      value: Object.freeze({ ...this.#native.settings }),
      enumerable: true,
    })
    // node-redlock v5: an 'error' event without listeners must never crash the process.
    this.on('error', () => {})
  }

  /** The clients this Redlock votes over (duplicates removed), as a read-only Set. */
  get clients() {
    return this.#clients
  }
  /** 32 hex characters from the OS CSPRNG: the default lock id of the original API. */
  get id() {
    return this.#native.id
  }
  /** `floor(N / 2) + 1`. */
  get quorum() {
    return this.#quorum
  }
  /** v4 fields. */
  get driftFactor() {
    return this.settings.driftFactor
  }
  get retryCount() {
    return this.settings.retryCount
  }
  get retryDelay() {
    return this.settings.retryDelay
  }
  get retryJitter() {
    return this.settings.retryJitter
  }
  get servers() {
    return this.#list
  }
  /** The per-node timeout (ms) that applies to a TTL. */
  nodeTimeoutFor(ttl) {
    return call(() => this.#native.nodeTimeoutFor(ttl))
  }

  // --- the original API ---
  acquireLock(resource, ttl, lockId) {
    return call(() => this.#native.acquireLock(resource, ttl, lockId))
  }
  releaseLock(resource, lockId) {
    return call(() => this.#native.releaseLock(resource, lockId))
  }

  // --- shared plumbing ---

  /** Native votes → ExecutionStats keyed by the caller's client objects; emits the events. */
  #stats(x, resourceCount, releasing = false) {
    const membershipSize = this.#list.length
    const quorumSize = this.#quorum
    // Votes come one character per node: f(or), a(gainst), e(rror), t(imeout), p(ending);
    // `messages` holds the text of every e and t, in order.
    let m = 0
    return x.attempts.map((votes) => {
      const votesFor = new Set()
      const votesAgainst = new Map()
      for (let i = 0; i < votes.length; i++) {
        const v = votes[i]
        const client = this.#statKeys[i]
        // For a release, a node with nothing of ours left confirmed it as much as one that
        // deleted: both are votes for.
        if (v === 'f' || (releasing && v === 'a')) {
          votesFor.add(client)
        } else if (v === 'a') {
          const e = new ResourceLockedError(
            `The operation was applied to: 0 of the ${resourceCount} requested resources.`,
          )
          votesAgainst.set(client, e)
          this.emit('error', e)
        } else if (v === 'e' || v === 't') {
          const e = new Error(`node ${i} (${this.#labels[i]}) ${x.messages[m++]}`)
          votesAgainst.set(client, e)
          this.emit('error', e)
          this.emit('clientError', e)
        }
      }
      return Promise.resolve({ membershipSize, quorumSize, votesFor, votesAgainst })
    })
  }

  /** node-redlock v4 names the retry count, not the attempts made, in its message. */
  #retryCount(settings) {
    return settings && settings.retryCount !== undefined ? settings.retryCount : this.settings.retryCount
  }

  #fail(v4, message, x, attempts) {
    const details = { reason: x.reason, detail: x.detail }
    return v4 ? new LockError(message, x.attemptCount, details) : new ExecutionError(message, attempts, details)
  }

  async #acquire(resources, duration, settings, v4) {
    if (settings !== undefined && settings !== null && typeof settings !== 'object') {
      throw typeError('settings must be an object.')
    }
    const signal = settings ? settings.signal : undefined
    let token = null
    let onAbort = null
    if (signal !== undefined && signal !== null) {
      if (!isSignal(signal)) throw typeError('settings.signal must be an AbortSignal.')
      if (signal.aborted) {
        const e = new ExecutionError('The operation was aborted.', [], { reason: 'cancelled', detail: 'aborted before it started' })
        e.cause = signal.reason
        throw e
      }
      token = new CancelToken()
      onAbort = () => token.cancel()
      signal.addEventListener('abort', onAbort, { once: true })
    }
    let x
    try {
      x = await submit((q, id) => this.#native.acquire(q, id, resources, duration, settings, token))
    } finally {
      if (onAbort) signal.removeEventListener('abort', onAbort)
    }
    const attempts = this.#stats(x, resources.length)
    if (!x.ok) {
      if (x.reason === 'cancelled') {
        const e = this.#fail(v4, 'The operation was aborted.', x, attempts)
        if (signal) e.cause = signal.reason
        throw e
      }
      const message = v4
        ? `Exceeded ${this.#retryCount(settings)} attempts to lock the resource "${resources}".`
        : QUORUM_MESSAGE
      throw this.#fail(v4, message, x, attempts)
    }
    const lock = new Lock(this, [...resources], x.value, attempts, x.expiration)
    if (v4) {
      v4Locks.add(lock)
      // v4's Lock also tells how many attempts were left.
      const retryCount = this.#retryCount(settings)
      lock.attemptsRemaining = retryCount === -1 ? Infinity : Math.max(0, retryCount + 1 - x.attemptCount)
    }
    return lock
  }

  async #release(lock, settings, v4) {
    if (!(lock instanceof Lock)) throw typeError('lock must be a Lock.')
    // Both node-redlock versions invalidate the lock at once.
    lock.expiration = 0
    const x = await submit((q, id) => this.#native.release(q, id, lock.resources, lock.value, settings))
    const attempts = this.#stats(x, lock.resources.length, true)
    if (!x.ok) {
      const message = v4 ? `Unable to fully release the lock on resource "${lock.resources}".` : QUORUM_MESSAGE
      throw this.#fail(v4, message, x, attempts)
    }
    return { attempts, start: x.start }
  }

  async #extend(lock, duration, settings) {
    if (!(lock instanceof Lock)) throw typeError('lock must be a Lock.')
    const v4 = v4Locks.has(lock)
    const x = await submit((q, id) =>
      this.#native.extend(q, id, lock.resources, lock.value, lock.expiration, duration, settings),
    )
    const attempts = this.#stats(x, lock.resources.length)
    if (!x.ok) {
      // A failed extend to a shorter duration may have shortened the keys on some servers:
      // the lock is now only valid until that earlier end.
      if (x.expiration > 0 && x.expiration < lock.expiration) lock.expiration = x.expiration
      if (x.reason === 'expired' && x.attemptCount === 0) {
        const message = v4
          ? `Cannot extend lock on resource "${lock.resources}" because the lock has already expired.`
          : EXPIRED_EXTEND_MESSAGE
        throw this.#fail(v4, message, x, [])
      }
      const message = v4
        ? `Exceeded ${this.#retryCount(settings)} attempts to lock the resource "${lock.resources}".`
        : QUORUM_MESSAGE
      throw this.#fail(v4, message, x, attempts)
    }
    if (v4) {
      // v4: the same Lock object is updated and returned.
      lock.expiration = x.expiration
      lock.attempts = attempts
      return lock
    }
    const next = new Lock(this, lock.resources, lock.value, attempts, x.expiration)
    lock.expiration = 0
    return next
  }

  // --- v5 API (with v4 dispatch where the names collide) ---

  /**
   * v5: `acquire(resources: string[], duration, settings?) → Promise<Lock>`.
   * v4: `acquire(resource: string | string[], ttl, callback?)` (a string resource or a callback).
   */
  acquire(resources, duration, settings) {
    if (typeof resources === 'string' || typeof settings === 'function') {
      // v4; an options object in third place is v4's lockWithOptions.
      if (settings !== null && typeof settings === 'object') return this.lockWithOptions(resources, duration, settings)
      return this.lock(resources, duration, settings)
    }
    return this.#acquire(resources, duration, settings, false)
  }

  /** Whether a quorum of nodes holds `resource` now (by any owner). */
  async isLocked(resource) {
    return (await call(() => this.#native.inspect(resource))) !== null
  }

  /** Milliseconds until fewer than a quorum of nodes hold `resource`; 0 when not locked. */
  async remainingTtl(resource) {
    const ms = await call(() => this.#native.inspect(resource))
    return ms === null ? 0 : ms
  }

  /** Acquires once, without retries: the Lock, or `null` when the resource is held. */
  async tryAcquire(resources, duration, settings) {
    try {
      if (settings !== undefined && settings !== null && typeof settings !== 'object') {
        throw typeError('settings must be an object.')
      }
      return await this.#acquire(resources, duration, { ...(settings || {}), retryCount: 0 }, false)
    } catch (e) {
      if (e instanceof ExecutionError && e.reason === 'held') return null
      throw e
    }
  }

  /** v5: `release(lock, settings?) → ExecutionResult`; v4 `release(lock, callback?)`. */
  release(lock, settings) {
    if (typeof settings === 'function') return this.unlock(lock, settings)
    return this.#release(lock, settings, false)
  }

  /** v5: a new Lock (the old one is invalidated); v4 locks are updated in place. */
  extend(lock, duration, settings) {
    if (typeof settings === 'function') return withCallback(this.#extend(lock, duration, undefined), settings)
    return this.#extend(lock, duration, settings)
  }

  /**
   * Runs `routine` while holding the lock, extending it automatically; releases it afterwards.
   * `using(resources, duration, routine)` or `using(resources, duration, settings, routine)`.
   */
  async using(resources, duration, settingsOrRoutine, optionalRoutine) {
    const settings = typeof settingsOrRoutine === 'function' ? {} : settingsOrRoutine || {}
    const routine = typeof settingsOrRoutine === 'function' ? settingsOrRoutine : optionalRoutine
    if (typeof routine !== 'function') throw new Error('INVARIANT: routine is not a function.')
    const threshold =
      settings.automaticExtensionThreshold !== undefined
        ? settings.automaticExtensionThreshold
        : this.settings.automaticExtensionThreshold
    if (typeof duration === 'number' && Number.isFinite(duration) && threshold > duration - 100) {
      throw new Error(THRESHOLD_MESSAGE)
    }
    return this.#using(resources, duration, settings, routine)
  }

  async #using(resources, duration, settings, routine) {
    const lock = await this.#acquire(resources, duration, settings, false)
    const controller = new AbortController()
    const signal = controller.signal
    let lost = false
    const abort = (message) => {
      if (lost) return
      lost = true
      const error = new ExecutionError(message, [], { reason: 'expired', detail: message })
      signal.error = error
      controller.abort(error)
    }
    let keeper
    try {
      keeper = call(() => this.#native.keep(lock.resources, lock.value, lock.expiration, duration, settings, abort))
    } catch (e) {
      // Bad using() settings (maxHoldTime, maxExtensions): never leave the lock behind.
      await this.#release(lock, settings, false).catch(() => {})
      throw e
    }
    // The lock is kept alive by native timers; `aborted` asks them synchronously, so a routine
    // that blocked the event loop past the lock's end sees it at its first check.
    const abortedGetter = Object.getOwnPropertyDescriptor(AbortSignal.prototype, 'aborted').get
    Object.defineProperty(signal, 'aborted', {
      configurable: true,
      get() {
        if (!lost) {
          const why = keeper.lostReason()
          if (why !== null) abort(why)
        }
        return abortedGetter.call(signal)
      },
    })
    let result
    let routineError
    let failed = false
    try {
      result = await routine(signal)
    } catch (e) {
      failed = true
      routineError = e
    }
    // Wait for an in-flight extension, then release; a release error never hides the
    // routine's own error.
    await keeper.stop()
    let releaseError = null
    try {
      await this.#release(new Lock(this, lock.resources, lock.value, [], 1), settings, false)
    } catch (e) {
      releaseError = e
    }
    if (failed) {
      if (releaseError) this.emit('error', releaseError)
      throw routineError
    }
    if (releaseError) throw releaseError
    return result
  }

  // --- v4 API ---

  /** v4: `lock(resource, ttl, callback?)`. */
  lock(resource, ttl, callback) {
    const resources = typeof resource === 'string' ? [resource] : resource
    return withCallback(this.#acquire(resources, ttl, undefined, true), callback)
  }
  /** v4: `lockWithOptions(resource, ttl, { retryCount?, retryDelay? }, callback?)`. */
  lockWithOptions(resource, ttl, options, callback) {
    const resources = typeof resource === 'string' ? [resource] : resource
    return withCallback(this.#acquire(resources, ttl, options, true), callback)
  }
  acquireWithOptions(resource, ttl, options, callback) {
    return this.lockWithOptions(resource, ttl, options, callback)
  }
  /** v4: `unlock(lock, callback?)` resolves `undefined`. */
  unlock(lock, callback) {
    return withCallback(
      this.#release(lock, undefined, true).then(() => undefined),
      callback,
    )
  }
  /** v4: a Bluebird disposer for `Promise.using` (needs the `bluebird` package). */
  disposer(resource, ttl, unlockErrorHandler) {
    let Bluebird
    try {
      Bluebird = require('bluebird')
    } catch {
      throw new Error('redlock-rs: disposer() needs the `bluebird` package (npm install bluebird).')
    }
    return Bluebird.resolve(this.lock(resource, ttl)).disposer((lock) =>
      lock.unlock().catch((e) => {
        if (typeof unlockErrorHandler === 'function') unlockErrorHandler(e)
      }),
    )
  }

  /** Closes the native connections and, as node-redlock does, quits the JS clients given. */
  quit(callback) {
    const done = (async () => {
      await call(() => this.#native.quit())
      await Promise.all(
        // node-redis clients that were never connected refuse quit(): nothing to close there.
        this.#list.map((c) =>
          !natives.has(c) && c && typeof c.quit === 'function' && c.isOpen !== false ? c.quit() : undefined,
        ),
      )
    })()
    return withCallback(done, callback)
  }

  [util.inspect.custom]() {
    return `Redlock { clients: ${this.#list.length}, quorum: ${this.quorum} }`
  }
}

module.exports = Redlock
module.exports.default = Redlock
module.exports.Redlock = Redlock
module.exports.Lock = Lock
module.exports.ResourceLockedError = ResourceLockedError
module.exports.ExecutionError = ExecutionError
module.exports.LockError = LockError
module.exports.IoredisClient = IoredisClient
module.exports.RedisJsClient = RedisJsClient
