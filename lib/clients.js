'use strict'
// The caller's client objects → nodes. Native nodes (connections of redlock-rs's own) for our
// clients (IoredisClient, RedisJsClient), URL strings, option objects, and real ioredis /
// node-redis clients and clusters whose connection settings can be read. Everything else that
// can run scripts — mocks (ioredis-mock), unix-socket clients, custom connectors or credential
// providers, or any client when `settings.useClientObjects` is true — becomes a node whose
// commands run on the caller's own object (lib/client-adapters.js): a mock must never be taken
// for a real client and connected to a real server on its default host.

const util = require('node:util')
const { NativeClient } = require('./native.js')
const { call, typeError } = require('./errors.js')
const { adapterFor, settled } = require('./client-adapters.js')
const { submitSimple } = require('./completions.js')

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
    const native = natives.get(this)
    return submitSimple((q, id) => native.acquireLock(q, id, resource, ttl, lockId)).then((n) => n === 1)
  }
  releaseLock(resource, lockId) {
    const native = natives.get(this)
    return submitSimple((q, id) => native.releaseLock(q, id, resource, lockId)).then(() => undefined)
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

/**
 * A reader's answer for a client of its kind that redlock-rs should not connect to itself (a
 * unix socket, a custom connector, a credentials provider): its commands run on the object.
 */
const ON_CLIENT = Symbol('on the client object')

// One reader per kind of client object: the NativeClient options of `c`, ON_CLIENT, or
// undefined when `c` is not of that kind. Tried in order.

/** ioredis `Cluster`: one voter, reached through its seed nodes. */
function ioredisCluster(c, o) {
  if (c.isCluster !== true || !Array.isArray(c.startupNodes)) return undefined
  const ro = (o && o.redisOptions) || {}
  return {
    cluster: c.startupNodes.map((n) => (typeof n === 'number' ? { port: n } : typeof n === 'string' ? n : { host: n.host, port: n.port })),
    username: ro.username || undefined,
    password: ro.password || undefined,
    tls: ro.tls || undefined,
    connectTimeout: ro.connectTimeout,
    keyPrefix: (o && o.keyPrefix) || ro.keyPrefix || undefined,
  }
}

/**
 * node-redis `createCluster` keeps its options private: once connected, its masters are known
 * and serve as seeds. Credentials and TLS cannot be read from it.
 */
function nodeRedisCluster(c, o, where) {
  if (typeof c.getSlotMaster !== 'function' || typeof c.getMasters !== 'function') return undefined
  const masters = c.isOpen ? c.getMasters() : []
  if (!Array.isArray(masters) || masters.length === 0) {
    throw typeError(
      `${where} is a node-redis cluster that is not connected yet: call connect() first, or pass ` +
        '{ cluster: [{ host, port }], username, password, tls } instead.',
    )
  }
  return { cluster: masters.map((m) => ({ host: m.host, port: m.port })) }
}

/** ioredis `Redis`'s own connectors: anything else (a mock, a custom `Connector`) is not read. */
const IOREDIS_CONNECTORS = new Set(['StandaloneConnector', 'SentinelConnector'])

/** ioredis `Redis`; with Sentinel, the master is looked up by name (again after a failure). */
function ioredis(c, o) {
  if (!o || typeof o !== 'object' || typeof c.evalsha !== 'function' || !('status' in c)) return undefined
  const connector = c.connector && c.connector.constructor && c.connector.constructor.name
  if (o.Connector || !IOREDIS_CONNECTORS.has(connector)) return ON_CLIENT
  const sentinel = Array.isArray(o.sentinels) && o.sentinels.length > 0
  if (o.path && !sentinel) return ON_CLIENT
  return {
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
  }
}

/** node-redis v4+ `createClient`. */
function nodeRedis(c, o) {
  if (!o || typeof o !== 'object' || typeof c.sendCommand !== 'function' || !('isOpen' in c)) return undefined
  const socket = o.socket || {}
  if (socket.path || o.credentialsProvider || socket.socketFactory) return ON_CLIENT
  return {
    url: o.url,
    host: socket.host,
    port: socket.port,
    tls: socketTls(socket),
    connectTimeout: socket.connectTimeout,
    username: o.username,
    password: o.password,
    db: o.database,
  }
}

/** node-redis v3 (the client node-redlock v4's README uses). */
function nodeRedis3(c, o) {
  if (!o || typeof o !== 'object' || typeof c.send_command !== 'function' || !('connected' in c)) return undefined
  // A real v3 client parses replies itself; a mock of one (redis-mock) has no parser: it is
  // never connected to on a guess.
  if (!('reply_parser' in c) || c.connection_options === null || typeof c.connection_options !== 'object') {
    return ON_CLIENT
  }
  const co = c.connection_options
  if (o.path) return ON_CLIENT
  return {
    host: co.host || o.host,
    port: co.port || o.port,
    password: o.password || o.auth_pass || undefined,
    db: o.db === undefined || o.db === null ? undefined : Number(o.db),
    tls: o.tls || undefined,
  }
}

/** An ioredis-style options object (an object that can run commands is a client, not options). */
function optionsObject(c, o) {
  if (o !== undefined || adapterFor(c) || !['host', 'port', 'url', 'cluster', 'sentinels'].some((k) => k in c)) return undefined
  return c
}

const READERS = [ioredisCluster, nodeRedisCluster, ioredis, nodeRedis, nodeRedis3, optionsObject]

/**
 * The NativeClient options for entry `i` of `new Redlock(clients)`, or ON_CLIENT. With
 * `onClient` (settings.useClientObjects), every client object that can run scripts is ON_CLIENT.
 */
function nodeOptions(c, i, onClient) {
  const where = `clients[${i}]`
  if (typeof c === 'string') return { url: c }
  if (c !== null && typeof c === 'object') {
    if (onClient && !isPlainObject(c) && adapterFor(c)) return ON_CLIENT
    const o = c.options
    for (const read of READERS) {
      const options = read(c, o, where)
      if (options === undefined) continue
      if (options !== ON_CLIENT) return options
      if (adapterFor(c)) return ON_CLIENT
      throw typeError(`${where} cannot run scripts (no evalsha/eval, sendCommand or send_command method): redlock-rs cannot use it.`)
    }
    // Not positively a real client whose settings we can read: never connect on a guess.
    if (adapterFor(c)) return ON_CLIENT
  }
  throw typeError(`${where} must be a redis client, a redis:// URL or an options object.`)
}

/** Nodes that run on the caller's client object. */
const onCallers = new WeakSet()

/** Whether a reader knows `c` as a real ioredis / node-redis client (not a mock or a guess). */
function isKnownClient(c) {
  return READERS.some((read) => {
    if (read === optionsObject) return false
    try {
      return read(c, c.options, '') !== undefined
    } catch {
      return true // a node-redis cluster not connected yet
    }
  })
}

/**
 * A name for messages: a real client's unix-socket path or `host:port` (never credentials);
 * otherwise (a mock, a cluster, a guess) the object's class, so that no message suggests a
 * connection to a default host that was never made.
 */
function callerLabel(c) {
  if (!isKnownClient(c)) return className(c)
  const o = (c.options !== null && typeof c.options === 'object' && c.options) || {}
  const socket = (o.socket !== null && typeof o.socket === 'object' && o.socket) || {}
  const path = o.path || socket.path
  if (typeof path === 'string' && path) return path
  if (typeof c.address === 'string' && c.address) return c.address // node-redis v3: host:port
  let host = o.host || socket.host
  let port = o.port || socket.port
  if (!host && typeof o.url === 'string') {
    try {
      const u = new URL(o.url)
      host = u.hostname
      port = Number(u.port) || undefined
    } catch {}
  }
  if (typeof host === 'string' && host) return `${host}:${typeof port === 'number' ? port : 6379}`
  return className(c)
}

function className(c) {
  const name = c && c.constructor && c.constructor.name
  return typeof name === 'string' && name && name !== 'Object' ? `${name} object` : 'client object'
}

/** The node for entry `i` of `new Redlock(clients)`. */
function nativeOf(c, i, onClient = false) {
  const known = natives.get(c)
  if (known) return known
  try {
    const options = nodeOptions(c, i, onClient)
    if (options !== ON_CLIENT) return call(() => new NativeClient(options))
    const node = call(() => NativeClient.fromCaller(settled(adapterFor(c)), callerLabel(c)))
    onCallers.add(node)
    return node
  } catch (e) {
    throw located(e, c, `clients[${i}]`)
  }
}

/** `settings.useClientObjects`, checked. */
function useClientObjects(settings) {
  const v = settings !== null && typeof settings === 'object' ? settings.useClientObjects : undefined
  if (v !== undefined && typeof v !== 'boolean') throw typeError('settings.useClientObjects must be a boolean.')
  return v === true
}

/** An argument error about an entry's URL or options names the entry (`clients[2]…`). */
function located(e, c, where) {
  if (!(e instanceof TypeError || e instanceof RangeError) || e.message.startsWith(where)) return e
  if (typeof c === 'string' && e.message.startsWith('url ')) e.message = `${where}${e.message.slice(3)}`
  else if (/^(url|options\.)/.test(e.message)) e.message = `${where}: ${e.message}`
  return e
}

function isPlainObject(o) {
  if (o === null || typeof o !== 'object') return false
  const proto = Object.getPrototypeOf(o)
  return proto === Object.prototype || proto === null
}

/**
 * What ExecutionStats are keyed by: the caller's client object, except that a URL string or a
 * plain options object would carry its password into every stats Map, so those are keyed by
 * the string their native node gives (its redacted URL) instead.
 */
function statKeyOf(c, node) {
  if (onCallers.has(node)) return c
  return typeof c === 'string' || isPlainObject(c) ? node.statKey : c
}

/** Whether `node` runs its commands on the caller's client object (its errors are the client's own). */
function onCaller(node) {
  return onCallers.has(node)
}

/** Whether `c` is one of our own clients (closed with the Redlock's native nodes). */
function isOurs(c) {
  return natives.has(c)
}

module.exports = { IoredisClient, RedisJsClient, nativeOf, statKeyOf, isOurs, onCaller, useClientObjects }
