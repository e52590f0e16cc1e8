'use strict'
// The Redlock class: its constructor and fields; its methods come from the three APIs it
// serves (api-v5.js, api-v4.js, api-original.js).

const { EventEmitter } = require('node:events')
const util = require('node:util')
const { NativeRedlock } = require('./native.js')
const { call, typeError } = require('./errors.js')
const { nativeOf, statKeyOf, isOurs, onCaller, useClientObjects } = require('./clients.js')
const { resolveScripts, frozenScripts } = require('./scripts.js')
const { v4Result } = require('./lock.js')
const { cores, coreOf } = require('./core.js')
const { V5Api } = require('./api-v5.js')
const { V4Api } = require('./api-v4.js')
const { OriginalApi } = require('./api-original.js')

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

class Redlock extends EventEmitter {
  constructor(clients, settings, scripts) {
    super()
    if (clients === null || typeof clients !== 'object' || typeof clients[Symbol.iterator] !== 'function') {
      throw typeError('clients must be an iterable of redis clients, redis:// URLs or options objects.')
    }
    // The same object twice is one client (as node-redlock's `new Set(clients)`).
    const list = [...new Set(clients)]
    const onClient = useClientObjects(settings)
    const nodes = list.map((c, i) => nativeOf(c, i, onClient))
    const labels = nodes.map((n) => n.label)
    const statKeys = list.map((c, i) => statKeyOf(c, nodes[i]))
    const custom = resolveScripts(settings, scripts)
    const native = call(() => new NativeRedlock(nodes, settings, custom))
    const clientSet = new ClientSet(list)
    clientSet.sealed = true
    cores.set(this, { native, quorum: native.quorum, list: Object.freeze(list), clients: clientSet, labels, statKeys, onCaller: nodes.map(onCaller) })
    Object.defineProperty(this, 'scripts', { value: frozenScripts(native), enumerable: false })
    Object.defineProperty(this, 'settings', {
      value: Object.freeze({ ...native.settings }),
      enumerable: true,
    })
    // node-redlock v5: an 'error' event without listeners must never crash the process.
    this.on('error', () => {})
  }

  /** The clients this Redlock votes over (duplicates removed), as a read-only Set. */
  get clients() {
    return coreOf(this).clients
  }
  /** `floor(N / 2) + 1`. */
  get quorum() {
    return coreOf(this).quorum
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
    return coreOf(this).list
  }
  /** The per-node timeout (ms) that applies to a TTL. */
  nodeTimeoutFor(ttl) {
    return call(() => coreOf(this).native.nodeTimeoutFor(ttl))
  }

  /**
   * Closes the native connections and, as node-redlock does, quits the JS clients given;
   * resolves their results, one per client (`undefined` for redlock-rs's own clients and URLs).
   * A Bluebird promise (as 4.2.0's) when this Redlock served a v4 entry point or a node-style
   * callback is given; a native one otherwise (v5).
   */
  quit(callback) {
    const start = async () => {
      const core = coreOf(this)
      await call(() => core.native.quit())
      return Promise.all(
        // node-redis clients that were never connected refuse quit(): nothing to close there.
        core.list.map((c) => (!isOurs(c) && c && typeof c.quit === 'function' && c.isOpen !== false ? c.quit() : undefined)),
      )
    }
    const core = cores.get(this)
    if (typeof callback === 'function' || (core !== undefined && core.servedV4)) return v4Result(start, callback)
    return start()
  }

  [util.inspect.custom]() {
    return `Redlock { clients: ${coreOf(this).list.length}, quorum: ${coreOf(this).quorum} }`
  }
}

// The methods of each API, as if written in the class body (non-enumerable, on the prototype).
for (const Api of [OriginalApi, V5Api, V4Api]) {
  for (const name of Object.getOwnPropertyNames(Api.prototype)) {
    if (name !== 'constructor') {
      Object.defineProperty(Redlock.prototype, name, Object.getOwnPropertyDescriptor(Api.prototype, name))
    }
  }
}

module.exports = { Redlock }
