'use strict'
// The caller's client objects → native nodes: our own clients (IoredisClient, RedisJsClient)
// and, for `new Redlock(clients)`, ioredis / node-redis clients and clusters, URL strings and
// option objects, whose connection settings are read to open a native connection alike.

const util = require('node:util')
const { NativeClient } = require('./native.js')
const { call, typeError } = require('./errors.js')

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

const unixSocket = (where) => typeError(`${where} connects over a unix socket: not supported yet by redlock-rs.`)

// One reader per kind of client object: the NativeClient options of `c`, or undefined when `c`
// is not of that kind. Tried in order.

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

/** ioredis `Redis`; with Sentinel, the master is looked up by name (again after a failure). */
function ioredis(c, o, where) {
  if (!o || typeof o !== 'object' || typeof c.evalsha !== 'function' || !('status' in c)) return undefined
  const sentinel = Array.isArray(o.sentinels) && o.sentinels.length > 0
  if (o.path && !sentinel) throw unixSocket(where)
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
function nodeRedis(c, o, where) {
  if (!o || typeof o !== 'object' || typeof c.sendCommand !== 'function' || !('isOpen' in c)) return undefined
  const socket = o.socket || {}
  if (socket.path) throw unixSocket(where)
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
function nodeRedis3(c, o, where) {
  if (!o || typeof o !== 'object' || typeof c.send_command !== 'function' || !('connected' in c)) return undefined
  const co = c.connection_options || {}
  if (o.path) throw unixSocket(where)
  return {
    host: co.host || o.host,
    port: co.port || o.port,
    password: o.password || o.auth_pass || undefined,
    db: o.db === undefined || o.db === null ? undefined : Number(o.db),
    tls: o.tls || undefined,
  }
}

/** An ioredis-style options object. */
function optionsObject(c, o) {
  if (o !== undefined || !['host', 'port', 'url', 'cluster', 'sentinels'].some((k) => k in c)) return undefined
  return c
}

const READERS = [ioredisCluster, nodeRedisCluster, ioredis, nodeRedis, nodeRedis3, optionsObject]

/** The NativeClient options for entry `i` of `new Redlock(clients)`. */
function nodeOptions(c, i) {
  const where = `clients[${i}]`
  if (typeof c === 'string') return { url: c }
  if (c !== null && typeof c === 'object') {
    const o = c.options
    for (const read of READERS) {
      const options = read(c, o, where)
      if (options !== undefined) return options
    }
  }
  throw typeError(`${where} must be a redis client, a redis:// URL or an options object.`)
}

/** The native node for entry `i` of `new Redlock(clients)`. */
function nativeOf(c, i) {
  const known = natives.get(c)
  if (known) return known
  try {
    return call(() => new NativeClient(nodeOptions(c, i)))
  } catch (e) {
    throw located(e, c, `clients[${i}]`)
  }
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
  return typeof c === 'string' || isPlainObject(c) ? node.statKey : c
}

/** Whether `c` is one of our own clients (closed with the Redlock's native nodes). */
function isOurs(c) {
  return natives.has(c)
}

module.exports = { IoredisClient, RedisJsClient, nativeOf, statKeyOf, isOurs }
