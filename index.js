'use strict'
// Hand-written facade over the generated binding: JS idioms only (constructor overloads,
// error classes, inspection). Locking logic lives in Rust.

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

const { NativeClient, NativeRedlock } = loadBinding()

/** Maps a JS client object to its native node. */
const natives = new WeakMap()

class Client {
  constructor(options) {
    natives.set(this, new NativeClient(options))
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
    return natives.get(this).connect()
  }
  quit() {
    return natives.get(this).quit()
  }
  acquireLock(resource, ttl, lockId) {
    return natives.get(this).acquireLock(resource, ttl, lockId)
  }
  releaseLock(resource, lockId) {
    return natives.get(this).releaseLock(resource, lockId)
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

/** A client configured like node-redis `createClient`: `{ url, username, password, database, socket }`. */
class RedisJsClient extends Client {
  constructor(options) {
    let flat = options
    if (options !== null && typeof options === 'object') {
      const socket = options.socket
      if (socket !== undefined && (socket === null || typeof socket !== 'object')) {
        throw new TypeError('options.socket must be an object.')
      }
      flat = {
        url: options.url === undefined ? 'redis://127.0.0.1:6379' : options.url,
        username: options.username,
        password: options.password,
        db: options.database,
        host: socket && socket.host,
        port: socket && socket.port,
        tls: socket && socket.tls,
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

class Redlock {
  #native
  #clients
  constructor(clients, settings) {
    if (clients === null || typeof clients !== 'object' || typeof clients[Symbol.iterator] !== 'function') {
      throw new TypeError('clients must be an array of IoredisClient or RedisJsClient instances.')
    }
    // The same object twice is one client (as node-redlock's `new Set(clients)`).
    const list = [...new Set(clients)]
    const nodes = list.map((c, i) => {
      const n = natives.get(c)
      if (!n) throw new TypeError(`clients[${i}] must be an IoredisClient or RedisJsClient instance.`)
      return n
    })
    this.#native = new NativeRedlock(nodes, settings)
    this.#clients = Object.freeze(list)
    Object.defineProperty(this, 'settings', {
      value: Object.freeze({ ...this.#native.settings }),
      enumerable: true,
    })
  }
  /** The clients this Redlock votes over (duplicates removed). */
  get clients() {
    return this.#clients
  }
  /** 32 hex characters from the OS CSPRNG: the default lock id of this Redlock. */
  get id() {
    return this.#native.id
  }
  /** `floor(N / 2) + 1`. */
  get quorum() {
    return this.#native.quorum
  }
  /** The per-node timeout (ms) that applies to a TTL. */
  nodeTimeoutFor(ttl) {
    return this.#native.nodeTimeoutFor(ttl)
  }
  acquireLock(resource, ttl, lockId) {
    return this.#native.acquireLock(resource, ttl, lockId)
  }
  releaseLock(resource, lockId) {
    return this.#native.releaseLock(resource, lockId)
  }
  quit() {
    return this.#native.quit()
  }
  [util.inspect.custom]() {
    return `Redlock { clients: ${this.#clients.length}, quorum: ${this.quorum} }`
  }
}

module.exports = Redlock
module.exports.default = Redlock
module.exports.Redlock = Redlock
module.exports.IoredisClient = IoredisClient
module.exports.RedisJsClient = RedisJsClient
