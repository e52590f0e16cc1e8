'use strict'
// The caller's client object as the one function the client backend calls (src/js/caller.rs):
// `(command, scriptOrKey, keys, args) => Promise<reply>`, command being 'evalsha', 'eval' or
// 'pttl'. It resolves with the client's reply, or with an Error carrying the client's own
// message; it never rejects and never throws. The reply is checked in Rust: garbage is a node
// error there, never a vote.

/** The command as one argument list: `EVALSHA sha numkeys keys… args…` or `PTTL key`. */
function commandArgs(command, a, keys, args) {
  return command === 'pttl' ? ['PTTL', a] : [command.toUpperCase(), a, String(keys.length), ...keys, ...args]
}

/** ioredis 4/5/6 (and its Cluster), ioredis-mock, and objects shaped like them. */
function ioredisStyle(c) {
  return (command, a, keys, args) => (command === 'pttl' ? c.pttl(a) : c[command](a, keys.length, ...keys, ...args))
}

/** node-redis 4/5/6 `createClient`. */
function nodeRedis(c) {
  return (command, a, keys, args) => c.sendCommand(commandArgs(command, a, keys, args))
}

/** node-redis 4/5/6 `createCluster`: routed by the first key. */
function nodeRedisCluster(c) {
  return (command, a, keys, args) => c.sendCommand(keys[0] === undefined ? a : keys[0], command === 'pttl', commandArgs(command, a, keys, args))
}

/** Objects with node-redis's typed script methods only (`evalSha(sha, { keys, arguments })`). */
function nodeRedisTyped(c) {
  return (command, a, keys, args) =>
    command === 'pttl' ? c.pTTL(a) : c[command === 'evalsha' ? 'evalSha' : 'eval'](a, { keys, arguments: args })
}

/** node-redis v3: `send_command(name, args, callback)`. */
function nodeRedis3(c) {
  return (command, a, keys, args) =>
    new Promise((resolve, reject) => {
      const [name, ...rest] = commandArgs(command, a, keys, args)
      c.send_command(name, rest, (err, reply) => (err ? reject(err) : resolve(reply)))
    })
}

const fn = (c, k) => typeof c[k] === 'function'

/** The adapter for `c`, or undefined when `c` cannot run scripts. Tried in this order. */
function adapterFor(c) {
  if (c === null || typeof c !== 'object') return undefined
  // v3 also has `evalsha`, whose reply only reaches a callback.
  if (fn(c, 'send_command') && !('status' in c) && !('isOpen' in c)) return nodeRedis3(c)
  if (fn(c, 'getSlotMaster') && fn(c, 'sendCommand')) return nodeRedisCluster(c)
  if (fn(c, 'evalsha') && fn(c, 'eval') && fn(c, 'pttl')) return ioredisStyle(c)
  if (fn(c, 'sendCommand') && 'isOpen' in c) return nodeRedis(c)
  if (fn(c, 'evalSha') && fn(c, 'eval') && fn(c, 'pTTL')) return nodeRedisTyped(c)
  return undefined
}

/** An Error in this realm with the client's message (whatever realm or shape it came in). */
function clientError(e) {
  const message = e !== null && typeof e === 'object' && typeof e.message === 'string' ? e.message : String(e)
  return new Error(message)
}

/** `send` made safe for the addon: always a Promise, resolved with the reply or an Error. */
function settled(send) {
  return async (command, a, keys, args) => {
    try {
      return await send(command, a, keys, args)
    } catch (e) {
      return clientError(e)
    }
  }
}

module.exports = { adapterFor, settled }
