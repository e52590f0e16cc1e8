// Property-based fuzzing of the JS boundary (fast-check): random argument shapes — fc.anything(),
// hostile numbers (NaN, ±Infinity, -0, huge, fractional), strings (empty, 4 MiB, lone
// surrogates, RESP fragments), Symbols, BigInts, functions, Proxies (throwing, revoked,
// transparent), objects whose getters throw, forged Locks, wrong arity — are thrown at every public
// constructor and method, against one real redis-server (three "nodes" = db 0, 1 and 2).
//
// Property, per call:
//   - it returns, throws or rejects within CALL_TIMEOUT_MS (never a hang);
//   - a thrown/rejected value is an Error instance: TypeError/RangeError (bad input),
//     ExecutionError/LockError (operational), the caller's own error re-thrown from a hostile
//     getter/proxy/function, or a plain Error with one of the documented messages;
//   - after a TypeError/RangeError nothing was written: DBSIZE (all dbs) unchanged, no key named by
//     any string argument, no data command executed (INFO commandstats), the held lock untouched;
//   - whatever the outcome, a lock held by someone else (`fuzz:held`, value unknown to the call)
//     is neither released nor extended unless the call was handed that lock or its value;
//   - the process does not crash or abort.
// The risky part runs in child processes (this file, re-executed with REDLOCK_RS_FUZZ_GROUP set),
// one per group, so a crash (SIGSEGV/SIGABRT) or a synchronous hang is reported as a failing test
// with the last call made, instead of killing the runner. Replay: FUZZ_SEED=<seed> (printed),
// FUZZ_RUNS=<n> per method.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'
import util from 'node:util'
import { startServers, stopAll } from './helpers/redis.mjs'

const require = createRequire(import.meta.url)
const SELF = fileURLToPath(import.meta.url)
const GROUP = process.env.REDLOCK_RS_FUZZ_GROUP

const GROUPS = ['redlock-constructor', 'client-constructors', 'client-methods', 'v5', 'v4', 'original', 'lock', 'keys']
/** Cases that recurse into caller-supplied PEM arrays (see the last test). */
const RECURSION_CASES = ['ioredis-tls-ca-cyclic', 'ioredis-tls-ca-deep', 'redisjs-socket-ca-deep', 'redlock-ioredis-tls-cyclic']

if (GROUP) {
  await child(GROUP)
} else {
  parent()
}

// =================================================================================================
// Parent: one real redis-server, one child process per group.

function parent() {
  let server
  let dir
  before(async () => {
    ;[server] = await startServers(1)
    dir = mkdtempSync(join(tmpdir(), 'redlock-rs-fuzz-'))
  })
  after(async () => {
    await stopAll()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  for (const group of GROUPS) {
    test(`fuzz ${group}: typed errors only, bounded time, no write on bad input, no crash`, { timeout: 120_000 }, async (t) => {
      const r = await runChild(group, { FUZZ_PORT: String(server.port) }, dir, 90_000)
      const summary = r.result ? r.result.summary : null
      if (summary) t.diagnostic(`${group}: ${JSON.stringify(summary)}`)
      assertChildOk(group, r)
      assert.ok(r.result, `${group}: the child printed no result line\n${r.stdout.slice(-2000)}`)
      assert.deepEqual(r.result.failures, [], `${group}: property failures`)
    })
  }

  for (const name of RECURSION_CASES) {
    test(`PEM material nested deeply or cyclically (${name}) → TypeError/RangeError, not a crash`, { timeout: 60_000 }, async () => {
      const r = await runChild('pem-recursion', { FUZZ_CASE: name, FUZZ_PORT: String(server.port) }, dir, 30_000)
      assertChildOk(`pem-recursion ${name}`, r)
      assert.ok(r.result, `no result line\n${r.stdout}`)
      assert.deepEqual(r.result.failures, [])
    })
  }
}

function assertChildOk(label, r) {
  if (r.signal || r.code !== 0 || r.killed) {
    const last = r.lastCall ? `\nlast call before the end:\n  ${r.lastCall}` : ''
    assert.fail(
      `${label}: child ${r.killed ? 'killed after a hang' : r.signal ? `died of ${r.signal}` : `exited ${r.code}`}` +
        `${last}\nstderr: ${r.stderr.slice(-3000)}\nstdout: ${r.stdout.slice(-3000)}`,
    )
  }
}

/** Runs this file as a child for `group`; resolves { code, signal, killed, stdout, stderr, result, lastCall }. */
function runChild(group, env, dir, timeoutMs) {
  const lastCallFile = join(dir, `last-${group}-${process.hrtime.bigint()}.txt`)
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [SELF], {
      env: { ...process.env, ...env, REDLOCK_RS_FUZZ_GROUP: group, FUZZ_LAST_CALL_FILE: lastCallFile },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    let killed = false
    c.stdout.on('data', (d) => (stdout = (stdout + d).slice(-200_000)))
    c.stderr.on('data', (d) => (stderr = (stderr + d).slice(-200_000)))
    const timer = setTimeout(() => {
      killed = true
      try {
        process.kill(c.pid, 'SIGKILL')
      } catch {}
    }, timeoutMs)
    c.on('close', (code, signal) => {
      clearTimeout(timer)
      const line = stdout.split('\n').find((l) => l.startsWith('FUZZ_RESULT '))
      let result = null
      if (line) result = JSON.parse(line.slice('FUZZ_RESULT '.length))
      const lastCall = existsSync(lastCallFile) ? readFileSync(lastCallFile, 'utf8') : ''
      resolve({ code, signal, killed, stdout, stderr, result, lastCall })
    })
  })
}

// =================================================================================================
// Child

async function child(group) {
  const fc = require('fast-check')
  const IORedis = require('ioredis')
  const Bluebird = require('bluebird')
  const Redlock = require('../index.js')
  const { Lock, IoredisClient, RedisJsClient, ExecutionError, LockError } = Redlock

  const PORT = Number(process.env.FUZZ_PORT)
  const HOST = '127.0.0.1'
  const RUNS = Number(process.env.FUZZ_RUNS || 0) || undefined
  const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED)
  const CALL_TIMEOUT_MS = 5000
  const LAST = process.env.FUZZ_LAST_CALL_FILE
  const HELD = 'fuzz:held'
  const HELD_TTL = 60_000
  const DURATION_MESSAGE = 'Duration must be an integer value in milliseconds.'
  const THRESHOLD_MESSAGE = 'A lock `duration` must be at least 100ms greater than the `automaticExtensionThreshold` setting.'

  const failures = []
  const summary = {}
  const note = (label, what) => {
    const s = (summary[label] = summary[label] || { runs: 0, ok: 0, errors: {} })
    if (what === 'ok') s.ok++
    else s.errors[what] = (s.errors[what] || 0) + 1
  }
  const slow = [] // calls slower than 1 s (reported)
  const otherMessages = new Map() // class: message → count (reported, not failures)

  // A promise the caller's own async function rejected with the caller's error, dropped by the
  // library after it refused the value (e.g. an async `scripts.acquireScript`), is the caller's;
  // anything else unhandled is a failure.
  let callerUnhandled = 0
  // (A class handed over as a callback throws "Class constructor X cannot be invoked without 'new'".)
  const callersOwn = (e) =>
    e instanceof Hostile || e === HOSTILE_PRIMITIVE || (e instanceof TypeError && /^Class constructor \w+ cannot be invoked without 'new'$/.test(e.message))
  process.on('unhandledRejection', (e) => {
    if (callersOwn(e)) callerUnhandled++
    else failures.push({ label: 'process', problem: `unhandled rejection: ${describe(e)}` })
  })
  // A node-style callback that throws surfaces as an uncaught exception (Bluebird's nodeify,
  // docs/migration.md): the caller's own error, not the library's.
  process.on('uncaughtException', (e) => {
    if (callersOwn(e)) callerUnhandled++
    else failures.push({ label: 'process', problem: `uncaught exception: ${describe(e)}` })
  })

  function describe(e) {
    try {
      return e instanceof Error ? `${e.constructor.name}: ${String(e.message).slice(0, 300)}` : `${typeof e} ${String(e).slice(0, 100)}`
    } catch {
      return typeof e
    }
  }

  // ------------------------------------------------------------------------ hostile values
  /** The caller's own error, thrown by hostile getters, traps and functions. */
  class Hostile extends Error {
    constructor(m = 'hostile') {
      super(m)
      this.name = 'Hostile'
    }
  }
  const HOSTILE_PRIMITIVE = 'HOSTILE-PRIMITIVE-THROWN'
  const boom = () => {
    throw new Hostile()
  }

  /** A descriptor of a value that cannot be printed or re-created from plain data. */
  class H {
    constructor(kind, p) {
      this.kind = kind
      this.p = p
    }
    [fc.toStringMethod]() {
      return `H.${this.kind}(${this.p === undefined ? '' : fc.stringify(this.p)})`
    }
  }
  const h = (kind, p) => new H(kind, p)

  const MiB = 1024 * 1024
  const BIG = new Map()
  const bigString = (n) => {
    if (!BIG.has(n)) BIG.set(n, 'x'.repeat(n))
    return BIG.get(n)
  }
  const throwingTraps = {
    get: boom, set: boom, has: boom, ownKeys: boom, getOwnPropertyDescriptor: boom, getPrototypeOf: boom,
    defineProperty: boom, deleteProperty: boom, apply: boom, construct: boom, isExtensible: boom, preventExtensions: boom,
  }
  const FUNCTIONS = {
    noop: () => () => {},
    throws: () => () => boom(),
    throwsPrimitive: () => () => {
      throw HOSTILE_PRIMITIVE // eslint-disable-line no-throw-literal
    },
    async: () => async () => 'done',
    asyncThrows: () => async () => boom(),
    returns42: () => () => 42,
    returnsString: () => () => 'return 1',
    class: () => class X {},
    bound: () => function () {}.bind(null),
    generator: () => function* () { yield 1 },
  }

  // The context every descriptor is materialized in (set up per group).
  const ctx = {}

  function materialize(d, depth = 0) {
    if (d instanceof H) return build(d, depth)
    if (depth > 20) return d
    if (Array.isArray(d)) {
      const out = new Array(d.length)
      for (const k of Object.keys(d)) out[k] = materialize(d[k], depth + 1)
      return out
    }
    if (d !== null && typeof d === 'object') {
      const proto = Object.getPrototypeOf(d)
      if (proto === Object.prototype || proto === null) {
        const out = Object.create(proto)
        for (const k of Reflect.ownKeys(d)) {
          Object.defineProperty(out, k, { value: materialize(d[k], depth + 1), enumerable: true, writable: true, configurable: true })
        }
        return out
      }
    }
    return d
  }

  function asObject(v) {
    return v !== null && (typeof v === 'object' || typeof v === 'function') ? v : { value: v }
  }

  function build(d, depth) {
    const p = d.p
    const m = (x) => materialize(x, depth + 1)
    switch (d.kind) {
      case 'throwGetter': {
        const o = asObject(m(p.base))
        try {
          Object.defineProperty(o, p.key, {
            get: p.primitive ? () => { throw HOSTILE_PRIMITIVE } : boom, // eslint-disable-line no-throw-literal
            enumerable: true,
            configurable: true,
          })
        } catch {}
        return o
      }
      case 'throwProxy':
        return new Proxy(p === 'array' ? [] : p === 'function' ? function () {} : {}, throwingTraps)
      case 'revokedProxy': {
        const r = Proxy.revocable({}, {})
        r.revoke()
        return r.proxy
      }
      case 'proxy':
        return new Proxy(asObject(m(p)), {})
      case 'flipProxy': {
        // Answers `key` with values[0], values[1], values[0], … (time-of-check/time-of-use).
        const values = p.values.map(m)
        let i = 0
        return new Proxy(asObject(m(p.base)), {
          get(t, k, r) {
            if (k === p.key) return values[i++ % values.length]
            return Reflect.get(t, k, r)
          },
        })
      }
      case 'cyclicArray': {
        const a = ['a']
        a.push(a)
        return a
      }
      case 'cyclicObject': {
        const o = { host: HOST, port: 1 }
        o.self = o
        o.tls = o
        return o
      }
      case 'deepArray': {
        let a = 'x'
        for (let i = 0; i < p; i++) a = [a]
        return a
      }
      case 'symbol':
        return Symbol(p)
      case 'fn':
        return FUNCTIONS[p]()
      case 'bigString':
        return bigString(p)
      case 'bigArray':
        if (p.sparse) {
          const a = []
          a.length = p.n
          return a
        }
        return new Array(p.n).fill(p.fill)
      case 'manyUnique':
        return Array.from({ length: p }, (_, i) => `fz:many:${i}`)
      case 'buffer':
        return Buffer.from(p)
      case 'exotic':
        return {
          date: () => new Date(NaN),
          regexp: () => /x/g,
          error: () => new Error('an error as an argument'),
          promise: () => Promise.resolve('x'),
          weakmap: () => new WeakMap(),
          arraybuffer: () => new ArrayBuffer(8),
          dataview: () => new DataView(new ArrayBuffer(8)),
          nullproto: () => Object.create(null),
          frozen: () => Object.freeze({ port: 1 }),
          args: () => (function () { return arguments })(1, 2), // eslint-disable-line prefer-rest-params
          typed: () => new Float64Array([NaN, Infinity]),
          globalThis: () => globalThis,
          process: () => process,
        }[p]()
      case 'iterable': {
        const items = m(p)
        return { [Symbol.iterator]: function* () { yield* items } }
      }
      case 'throwingIterable':
        return { [Symbol.iterator]: function* () { yield ctx.clients ? ctx.clients[0] : 'redis://127.0.0.1:1'; boom() } }
      case 'client':
        return ctx.clients[p]
      case 'redisJsClient':
        return ctx.redisJsClients[p]
      case 'realIoredis':
        return ctx.ioredis[p % ctx.ioredis.length]
      case 'fixedRedlock':
        return ctx.redlock
      case 'heldLock':
        return ctx.heldLock
      case 'heldValue':
        return ctx.heldLock ? ctx.heldLock.value : 'no-held-lock'
      case 'heldResource':
        return HELD
      case 'lock':
        return new Lock(p.redlock === 'fixed' ? ctx.redlock : m(p.redlock), m(p.resources), m(p.value), m(p.attempts), m(p.expiration))
      case 'lockProto': {
        const o = Object.create(Lock.prototype)
        for (const [k, v] of Object.entries(p)) {
          try {
            Object.defineProperty(o, k, { value: k === 'redlock' && v === 'fixed' ? ctx.redlock : m(v), writable: true, enumerable: true })
          } catch {}
        }
        return o
      }
      case 'signal':
        if (p === 'aborted') return AbortSignal.abort(new Hostile('abort reason'))
        if (p === 'fresh') return new AbortController().signal
        if (p === 'timeout') return AbortSignal.timeout(5)
        if (p === 'fake') return { aborted: false, addEventListener() {}, removeEventListener() {} }
        if (p === 'fakeThrows') return { aborted: false, addEventListener: boom, removeEventListener: boom }
        return { aborted: 'no' }
      case 'ioredisLike':
        return { options: m(p), evalsha() {}, status: 'wait' }
      case 'nodeRedisLike':
        return { options: m(p), sendCommand() {}, isOpen: false }
      case 'v3Like':
        return { options: m(p.options), connection_options: m(p.co), send_command() {}, connected: false }
      case 'clusterLike':
        return { isCluster: true, startupNodes: m(p.nodes), options: m(p.options) }
      case 'nodeRedisClusterLike':
        return { getSlotMaster() {}, getMasters: () => m(p.masters), isOpen: m(p.isOpen) }
      case 'cb':
        return ctx.makeCallback()
      case 'routine':
        return ctx.makeRoutine(p)
      default:
        throw new Error(`unknown descriptor ${d.kind}`)
    }
  }

  // ------------------------------------------------------------------------ arbitraries
  const NUMBERS = [
    NaN, Infinity, -Infinity, -0, 0, 1, -1, 0.5, 1.5, -1.5, 99.999, 100, 101, 1000, 2 ** 31 - 1, 2 ** 31, 2 ** 32,
    2 ** 32 + 1, 2 ** 53 - 1, 2 ** 53, 2 ** 63, 2 ** 64, 1e21, 1e308, Number.MAX_VALUE, Number.MIN_VALUE,
    Number.EPSILON, -(2 ** 53 - 1), 65535, 65536, 3_600_000, 3_600_001, 4294967295, -2147483648,
  ]
  const STRINGS = [
    '', ' ', 'a', '\uD800', '\uDFFF', '\uDFFF\uD800', 'a\u0000b', '\r\n', '*1\r\n$4\r\nPING\r\n', '$-1\r\n', 'redis://',
    'redis://:pw@127.0.0.1:1', 'rediss://', 'redis://[::1', 'http://x', '{tag}', 'ключ🔒', '%00', '__proto__',
    'constructor', 'toString', '1000', 'NaN', 'localhost', '127.0.0.1:1', ':0', 'x:99999',
  ]
  const number = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...NUMBERS) },
    { weight: 1, arbitrary: fc.double() },
    { weight: 1, arbitrary: fc.integer() },
  )
  const string = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...STRINGS) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
    { weight: 1, arbitrary: fc.constantFrom(4 * MiB, 4 * MiB + 1, MiB).map((n) => h('bigString', n)) },
  )
  /** Strings of at most 12 units (where a 4 MiB one would only make a call slow). */
  const smallString = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...STRINGS) }, { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) })
  const anything = fc.anything({
    maxDepth: 2,
    maxKeys: 4,
    withBigInt: true,
    withBoxedValues: true,
    withDate: true,
    withMap: true,
    withSet: true,
    withNullPrototype: true,
    withObjectString: true,
    withTypedArray: true,
    withSparseArray: true,
  })
  const exotic = fc.constantFrom('date', 'regexp', 'error', 'promise', 'weakmap', 'arraybuffer', 'dataview', 'nullproto', 'frozen', 'args', 'typed', 'globalThis', 'process').map((k) => h('exotic', k))
  const fnArb = fc.constantFrom(...Object.keys(FUNCTIONS)).map((k) => h('fn', k))
  const KEYS = ['port', 'host', 'url', 'tls', 'password', 'username', 'db', 'options', 'resources', 'value', 'expiration', 'redlock', 'signal', 'retryCount', 'retryDelay', 'driftFactor', 'nodeTimeout', 'automaticExtensionThreshold', 'length', '0', 'then', 'acquireScript', 'socket', 'ca', 'cluster', 'sentinels', 'name', 'isCluster', 'startupNodes', 'evalsha', 'status', 'maxHoldTime', 'maxExtensions']

  /** Hostile shapes; `recursive` adds cyclic and 30 000-deep arrays (kept out of PEM fields, see the last test). */
  function hostileOf(base, recursive) {
    const kinds = [
      fc.record({ base, key: fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 4 })), primitive: fc.boolean() }).map((p) => h('throwGetter', p)),
      fc.constantFrom('object', 'array', 'function').map((k) => h('throwProxy', k)),
      fc.constant(h('revokedProxy')),
      base.map((b) => h('proxy', b)),
      fc.record({ base, key: fc.constantFrom(...KEYS), values: fc.array(base, { minLength: 2, maxLength: 2 }) }).map((p) => h('flipProxy', p)),
      fc.string({ maxLength: 4 }).map((s) => h('symbol', s)),
      fnArb,
      exotic,
      fc.string({ maxLength: 8 }).map((s) => h('buffer', s)),
    ]
    if (recursive) kinds.push(fc.constantFrom(h('cyclicArray'), h('cyclicObject'), h('deepArray', 30_000)))
    return fc.oneof(...kinds)
  }

  const { any, anyNR } = fc.letrec((tie) => ({
    any: fc.oneof(
      { weight: 4, arbitrary: anything },
      { weight: 3, arbitrary: number },
      { weight: 3, arbitrary: string },
      { weight: 3, arbitrary: hostileOf(fc.oneof({ weight: 3, arbitrary: anything }, { weight: 1, arbitrary: tie('anyNR') }), true) },
      { weight: 1, arbitrary: fc.array(tie('anyNR'), { maxLength: 3 }) },
    ),
    anyNR: fc.oneof(
      { weight: 4, arbitrary: anything },
      { weight: 3, arbitrary: number },
      { weight: 3, arbitrary: string },
      { weight: 2, arbitrary: hostileOf(anything, false) },
    ),
  }))

  const anySmall = fc.oneof(
    { weight: 4, arbitrary: anything },
    { weight: 3, arbitrary: number },
    { weight: 3, arbitrary: smallString },
    { weight: 2, arbitrary: hostileOf(anything, false) },
  )
  const opt = (arb, w = 3) => fc.oneof({ weight: 1, arbitrary: fc.constant(undefined) }, { weight: w, arbitrary: arb })
  const mix = (valid, { w = 3, recursive = true } = {}) =>
    fc.oneof({ weight: w, arbitrary: valid }, { weight: 2, arbitrary: recursive ? any : anyNR })

  // Resources
  const name = fc.oneof(
    { weight: 4, arbitrary: fc.stringMatching(/^[a-z][a-z0-9:{}]{0,11}$/) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }) },
    { weight: 1, arbitrary: fc.constant(h('heldResource')) },
  )
  const resource = fc.oneof({ weight: 5, arbitrary: name }, { weight: 1, arbitrary: string }, { weight: 2, arbitrary: any })
  const resources = fc.oneof(
    { weight: 6, arbitrary: fc.array(resource, { minLength: 1, maxLength: 4 }) },
    { weight: 1, arbitrary: fc.array(name, { minLength: 1, maxLength: 3 }).map((a) => h('proxy', a)) },
    { weight: 1, arbitrary: fc.constantFrom(h('bigArray', { n: 100_000, fill: 'fz:same' }), h('bigArray', { n: 100_001, fill: 'a' }), h('bigArray', { n: 2 ** 32 - 1, sparse: true }), h('manyUnique', 1000), h('bigArray', { n: 3, sparse: true })) },
    { weight: 3, arbitrary: any },
  )
  const duration = fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 100, max: 10_000 }) },
    { weight: 1, arbitrary: fc.constantFrom(1, 2, 5, 10, 2 ** 53 - 1) },
    { weight: 3, arbitrary: number },
    { weight: 2, arbitrary: any },
  )
  const lockId = fc.oneof(
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 3, arbitrary: fc.stringMatching(/^[0-9a-f]{1,32}$/) },
    { weight: 1, arbitrary: fc.constantFrom(h('heldValue'), h('bigString', 1024), h('bigString', 1025)) },
    { weight: 3, arbitrary: any },
  )
  const signal = fc.constantFrom('aborted', 'fresh', 'timeout', 'fake', 'fakeThrows', 'bad').map((k) => h('signal', k))
  /**
   * Settings whose valid values keep a call short on a healthy server: retryCount ≤ 3 (never -1),
   * retryDelay/retryJitter ≤ 200, nodeTimeout ≤ 1000 — so a timeout is a hang, not a slow setting.
   */
  const clampInt = (v, lo, hi) => (typeof v === 'number' && Number.isInteger(v) && v >= lo && v > hi ? hi : v)
  const settingsRecord = fc
    .record(
      {
        driftFactor: mix(fc.constantFrom(0, 0.01, 0.5, 0.99)),
        retryCount: mix(fc.integer({ min: 0, max: 3 })),
        retryDelay: mix(fc.integer({ min: 0, max: 50 })),
        retryJitter: mix(fc.integer({ min: 0, max: 50 })),
        automaticExtensionThreshold: mix(fc.integer({ min: 0, max: 500 })),
        nodeTimeout: mix(fc.integer({ min: 1, max: 1000 })),
        signal: fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, { weight: 2, arbitrary: signal }, { weight: 1, arbitrary: any }),
        maxHoldTime: mix(fc.integer({ min: 0, max: 10_000 })),
        maxExtensions: mix(fc.integer({ min: 0, max: 5 })),
        lockScript: mix(fnArb),
      },
      { requiredKeys: [] },
    )
    .map((s) => {
      if ('retryCount' in s) s.retryCount = s.retryCount === -1 ? 3 : clampInt(s.retryCount, 0, 3)
      if ('retryDelay' in s) s.retryDelay = clampInt(s.retryDelay, 0, 200)
      if ('retryJitter' in s) s.retryJitter = clampInt(s.retryJitter, 0, 200)
      if ('nodeTimeout' in s) s.nodeTimeout = clampInt(s.nodeTimeout, 1, 1000)
      return s
    })
  const callSettings = fc.oneof(
    { weight: 2, arbitrary: fc.constant(undefined) },
    { weight: 5, arbitrary: settingsRecord },
    { weight: 1, arbitrary: settingsRecord.map((s) => h('proxy', s)) },
    { weight: 2, arbitrary: fc.record({ base: settingsRecord, key: fc.constantFrom(...KEYS), primitive: fc.boolean() }).map((p) => h('throwGetter', p)) },
    // Hostile numbers only where they are validated and cannot make a valid slow setting.
    { weight: 2, arbitrary: anyNR.filter((v) => !(v !== null && typeof v === 'object' && !(v instanceof H) && ('retryCount' in v || 'retryDelay' in v || 'retryJitter' in v || 'nodeTimeout' in v))) },
  )
  const ctorSettings = fc.oneof(
    { weight: 2, arbitrary: fc.constant(undefined) },
    { weight: 4, arbitrary: settingsRecord },
    { weight: 1, arbitrary: fc.record({ retryCount: number, retryDelay: number, driftFactor: number, nodeTimeout: number }, { requiredKeys: [] }) },
    { weight: 3, arbitrary: any },
  )
  const scriptValue = fc.oneof(fc.constant(undefined), fc.constantFrom('return 1', '', '   ', 'return redis.call("SET", KEYS[1], ARGV[1])'), fnArb, anyNR)
  const scripts = fc.oneof(
    { weight: 2, arbitrary: fc.constant(undefined) },
    { weight: 3, arbitrary: fc.record({ acquireScript: scriptValue, extendScript: scriptValue, releaseScript: scriptValue }, { requiredKeys: [] }) },
    { weight: 2, arbitrary: any },
  )
  const callback = fc.oneof({ weight: 2, arbitrary: fc.constant(undefined) }, { weight: 3, arbitrary: fc.constant(h('cb')) }, { weight: 1, arbitrary: anyNR })
  const routine = fc.constantFrom('noop', 'value', 'throws', 'throwsPrimitive', 'checksSignal', 'waits').map((k) => h('routine', k))

  // Client options (TLS fields never get recursive values: see the last test).
  const pem = fc.oneof(
    fc.constantFrom('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', '', 'not a pem'),
    fc.string({ maxLength: 8 }).map((s) => h('buffer', s)),
    fc.array(fc.oneof(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }).map((s) => h('buffer', s))), { maxLength: 3 }),
    fc.array(fc.array(fc.string({ maxLength: 4 }), { maxLength: 2 }), { maxLength: 2 }),
    anyNR,
  )
  const tls = fc.oneof(
    fc.boolean(),
    fc.record({ ca: pem, cert: pem, key: pem, rejectUnauthorized: mix(fc.boolean(), { recursive: false }), servername: mix(fc.constantFrom('localhost', '127.0.0.1', 'evil'), { recursive: false }) }, { requiredKeys: [] }),
    anyNR,
  )
  const port = fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 1, max: 65535 }) }, { weight: 2, arbitrary: number }, { weight: 1, arbitrary: anyNR })
  const host = fc.oneof(fc.constantFrom('127.0.0.1', 'localhost', 'LOCALHOST', '::1', '', 'a'.repeat(300), 'x y', 'redis://h'), string, anyNR)
  const url = fc.oneof(
    fc.tuple(fc.constantFrom('redis', 'rediss', 'http', 'redis+sentinel', ''), fc.constantFrom('', 'u:pw@', ':pw@', 'u@', '%zz:%zz@'), fc.constantFrom('127.0.0.1', 'localhost', '[::1]', '', '[bad'), fc.constantFrom('', ':1', ':65535', ':0', ':70000', ':x'), fc.constantFrom('', '/0', '/1', '/-1', '/x', '/99999999999', '?db=2'))
      .map(([s, u, hh, p, d]) => `${s}${s ? '://' : ''}${u}${hh}${p}${d}`),
    string,
    anyNR,
  )
  const seeds = fc.oneof(fc.array(fc.oneof(fc.constantFrom('127.0.0.1:1', ':1', 'x', 'a:0', 'redis://127.0.0.1:2'), fc.record({ host: mix(fc.constant('127.0.0.1')), port }, { requiredKeys: [] }), anyNR), { maxLength: 3 }), anyNR)
  const ioredisOptions = fc.record(
    {
      url, host, port, username: mix(fc.constantFrom('u', '', 'default'), { recursive: false }), password: mix(fc.constantFrom('pw', '', 'p@ss:/'), { recursive: false }),
      db: mix(fc.integer({ min: 0, max: 20 }), { recursive: false }), tls, connectTimeout: mix(fc.integer({ min: 1, max: 3_600_000 }), { recursive: false }),
      keyPrefix: mix(fc.constantFrom('app:', ''), { recursive: false }), cluster: seeds, sentinels: seeds, name: mix(fc.constantFrom('mymaster', ''), { recursive: false }),
      sentinelUsername: anyNR, sentinelPassword: anyNR, path: fc.constantFrom('/tmp/redis.sock', undefined),
    },
    { requiredKeys: [] },
  )
  const socketOptions = fc.record(
    { host, port, tls: fc.oneof(fc.boolean(), anyNR), ca: pem, cert: pem, key: pem, rejectUnauthorized: anyNR, servername: anyNR, connectTimeout: mix(fc.integer({ min: 1, max: 3_600_000 }), { recursive: false }), path: fc.constantFrom('/tmp/redis.sock', undefined) },
    { requiredKeys: [] },
  )
  const redisJsOptions = fc.record({ url, username: anyNR, password: anyNR, database: mix(fc.integer({ min: 0, max: 20 }), { recursive: false }), socket: fc.oneof(socketOptions, anyNR) }, { requiredKeys: [] })
  const options = fc.oneof({ weight: 4, arbitrary: ioredisOptions }, { weight: 2, arbitrary: any }, { weight: 1, arbitrary: ioredisOptions.map((o) => h('proxy', o)) }, { weight: 1, arbitrary: fc.record({ base: ioredisOptions, key: fc.constantFrom(...KEYS), primitive: fc.boolean() }).map((p) => h('throwGetter', p)) })

  const clientEntry = fc.oneof(
    { weight: 3, arbitrary: fc.integer({ min: 0, max: 2 }).map((db) => h('client', db)) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 2 }).map((db) => h('redisJsClient', db)) },
    { weight: 1, arbitrary: fc.nat(3).map((i) => h('realIoredis', i)) },
    { weight: 2, arbitrary: url },
    { weight: 2, arbitrary: ioredisOptions },
    { weight: 1, arbitrary: ioredisOptions.map((o) => h('ioredisLike', o)) },
    { weight: 1, arbitrary: redisJsOptions.map((o) => h('nodeRedisLike', o)) },
    { weight: 1, arbitrary: fc.record({ options: fc.oneof(fc.record({ host, port, password: anyNR, auth_pass: anyNR, db: anyNR, tls: anyNR, path: fc.constantFrom(undefined, '/s') }, { requiredKeys: [] }), anyNR), co: anyNR }).map((p) => h('v3Like', p)) },
    { weight: 1, arbitrary: fc.record({ nodes: fc.oneof(fc.array(fc.oneof(port, fc.constantFrom('127.0.0.1:1', 'x'), fc.record({ host, port }, { requiredKeys: [] }), anyNR), { maxLength: 3 })), options: fc.oneof(fc.record({ redisOptions: fc.oneof(ioredisOptions, anyNR), keyPrefix: anyNR }, { requiredKeys: [] }), anyNR) }).map((p) => h('clusterLike', p)) },
    { weight: 1, arbitrary: fc.record({ masters: fc.oneof(fc.array(fc.record({ host, port }, { requiredKeys: [] }), { maxLength: 2 }), anyNR), isOpen: fc.oneof(fc.boolean(), anyNR) }).map((p) => h('nodeRedisClusterLike', p)) },
    { weight: 1, arbitrary: fc.constant(h('fixedRedlock')) },
    { weight: 3, arbitrary: any },
  )
  const clients = fc.oneof(
    { weight: 6, arbitrary: fc.uniqueArray(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 3 }).map((dbs) => dbs.map((db) => h('client', db))) },
    { weight: 6, arbitrary: fc.array(clientEntry, { minLength: 0, maxLength: 4 }) },
    { weight: 1, arbitrary: fc.array(clientEntry, { maxLength: 3 }).map((a) => h('iterable', a)) },
    { weight: 1, arbitrary: fc.constant(h('throwingIterable')) },
    { weight: 1, arbitrary: fc.array(clientEntry, { maxLength: 3 }).map((a) => h('proxy', a)) },
    { weight: 2, arbitrary: any },
  )

  // Locks. `numeric`: every forged Lock carries a number as `expiration` (a non-number there
  // currently gets a plain Error from the addon's argument conversion, see `extend` below; the
  // numeric variants keep fuzzing the rest of `extend` past that bug).
  const lockArb = (numeric) => {
    const expiration = numeric
      ? fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2 ** 52 }), fc.constant(Date.now() + 3_600_000), number)
      : fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2 ** 52 }), fc.constant(Date.now() + 3_600_000), number, anyNR)
    const protoField = fc.oneof(fc.constant('fixed'), fc.constant([h('heldResource')]), fc.constant(h('heldValue')), anyNR)
    return fc.oneof(
      { weight: 3, arbitrary: fc.constant(h('heldLock')) },
      {
        weight: 4,
        arbitrary: fc
          .record({
            redlock: fc.oneof({ weight: 4, arbitrary: fc.constant('fixed') }, { weight: 1, arbitrary: anyNR }),
            resources: fc.oneof({ weight: 3, arbitrary: fc.array(name, { minLength: 1, maxLength: 3 }) }, { weight: 1, arbitrary: fc.constant([h('heldResource')]) }, { weight: 2, arbitrary: any }),
            value: fc.oneof({ weight: 3, arbitrary: fc.stringMatching(/^[0-9a-f]{32}$/) }, { weight: 1, arbitrary: fc.constant(h('heldValue')) }, { weight: 2, arbitrary: any }),
            attempts: fc.oneof(fc.constant([]), anyNR),
            expiration,
          })
          .map((p) => h('lock', p)),
      },
      {
        weight: 1,
        arbitrary: fc
          .record({ redlock: protoField, resources: protoField, value: protoField, attempts: protoField, expiration: numeric ? expiration : fc.oneof(expiration, protoField) }, { requiredKeys: numeric ? ['expiration'] : [] })
          .map((p) => h('lockProto', p)),
      },
      { weight: 1, arbitrary: fc.record({ resources: fc.constant([h('heldResource')]), value: fc.constant(h('heldValue')), expiration: fc.constant(Date.now() + 3_600_000) }) },
      { weight: 2, arbitrary: numeric ? anyNR : any },
    )
  }
  const lock = lockArb(false)
  const lockNumeric = lockArb(true)

  /** Arguments with the declared slots, sometimes cut short (wrong arity) or with extras. */
  const args = (...slots) =>
    fc
      .tuple(fc.tuple(...slots), fc.oneof({ weight: 6, arbitrary: fc.constant(-1) }, { weight: 1, arbitrary: fc.nat(slots.length) }), fc.array(anyNR, { maxLength: 2 }))
      .map(([a, cut, extra]) => (cut >= 0 ? a.slice(0, cut) : [...a, ...extra]))

  // ------------------------------------------------------------------------ redis inspection
  const admins = []
  async function setupRedis() {
    for (let db = 0; db < 3; db++) {
      const r = new IORedis({ host: HOST, port: PORT, db, maxRetriesPerRequest: 1, enableOfflineQueue: true, lazyConnect: false })
      r.on('error', () => {})
      admins.push(r)
    }
    await Promise.all(admins.map((a) => a.ping()))
  }
  /** Commands the inspection clients send between `snapshot()` and `check()`. */
  const INSPECTION = new Set(['info', 'exists', 'get', 'pttl'])
  async function counters() {
    const info = await admins[0].call('INFO', 'keyspace', 'commandstats')
    let keys = 0
    for (const m of info.matchAll(/^db\d+:keys=(\d+)/gm)) keys += Number(m[1])
    let commands = 0
    const perCommand = {}
    for (const m of info.matchAll(/^cmdstat_([a-z_|]+):calls=(\d+)/gm)) {
      if (!INSPECTION.has(m[1])) {
        commands += Number(m[2])
        perCommand[m[1]] = Number(m[2])
      }
    }
    return { keys, commands, perCommand }
  }
  /**
   * Key count, data commands executed and the held lock on each db. `settle`: wait until the
   * counters stop moving (a verdict is reached at quorum, so the last node's reply — or a
   * background rollback — may still be in flight when a call resolves).
   */
  async function snapshot(settle) {
    let c = await counters()
    for (let i = 0; settle && i < 25; i++) {
      await sleep(2)
      const c2 = await counters()
      const same = c2.keys === c.keys && c2.commands === c.commands
      c = c2
      if (same) break
    }
    const held = await Promise.all(admins.map(async (a) => ({ value: await a.get(HELD), pttl: await a.pttl(HELD) })))
    return { ...c, held }
  }

  /** Strings named anywhere in the (descriptor) arguments: keys that must not exist after bad input. */
  function namesIn(d, out = new Set(), depth = 0) {
    if (depth > 6 || out.size > 50) return out
    if (typeof d === 'string') {
      if (d.length > 0 && d.length <= 1024) out.add(d)
    } else if (d instanceof H) {
      if (d.kind === 'bigString' && d.p <= 4 * MiB) out.add(bigString(d.p))
      else if (d.kind !== 'heldResource') namesIn(d.p, out, depth + 1)
    } else if (Array.isArray(d)) {
      for (const x of d.slice(0, 20)) namesIn(x, out, depth + 1)
    } else if (d !== null && typeof d === 'object' && [Object.prototype, null].includes(Object.getPrototypeOf(d))) {
      for (const k of Object.keys(d).slice(0, 20)) namesIn(d[k], out, depth + 1)
    }
    return out
  }
  /** Whether the call was handed the held lock (or its value): only then may it touch `fuzz:held`. */
  function mayTouchHeld(d, depth = 0) {
    if (depth > 8) return false
    if (d instanceof H) return d.kind === 'heldLock' || d.kind === 'heldValue' || mayTouchHeld(d.p, depth + 1)
    if (Array.isArray(d)) return d.some((x) => mayTouchHeld(x, depth + 1))
    if (d !== null && typeof d === 'object' && [Object.prototype, null].includes(Object.getPrototypeOf(d))) {
      return Object.keys(d).some((k) => mayTouchHeld(d[k], depth + 1))
    }
    return false
  }

  // ------------------------------------------------------------------------ calling
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
  function withTimeout(p, ms) {
    let timer
    return Promise.race([
      p.then((v) => ({ ok: true, v }), (e) => ({ ok: false, e })),
      new Promise((r) => {
        timer = setTimeout(() => r({ hang: true }), ms)
      }),
    ]).finally(() => clearTimeout(timer))
  }
  async function invoke(fn) {
    let r
    const t0 = performance.now()
    try {
      r = fn()
    } catch (e) {
      return { ok: false, e, sync: true, ms: performance.now() - t0 }
    }
    if (r !== null && (typeof r === 'object' || typeof r === 'function') && typeof r.then === 'function') {
      const out = await withTimeout(Promise.resolve(r), CALL_TIMEOUT_MS)
      return { ...out, sync: false, ms: performance.now() - t0 }
    }
    return { ok: true, v: r, sync: true, ms: performance.now() - t0 }
  }

  const ALLOWED_PLAIN = [
    THRESHOLD_MESSAGE,
    'INVARIANT: routine is not a function.',
    /^redlock-rs: /,
    /^node \d+ \(/,
    'The operation was aborted.',
  ]
  function classify(e) {
    if (e === HOSTILE_PRIMITIVE) return 'Hostile'
    if (!(e instanceof Error)) return null
    if (e instanceof Hostile) return 'Hostile'
    if (e instanceof ExecutionError) return 'ExecutionError'
    if (e instanceof LockError) return 'LockError'
    if (e instanceof RangeError) return 'RangeError'
    if (e instanceof TypeError) return 'TypeError'
    if (e.constructor === Error && ALLOWED_PLAIN.some((m) => (typeof m === 'string' ? e.message === m : m.test(e.message)))) return 'Error'
    return `unexpected ${e.constructor && e.constructor.name}`
  }

  /**
   * One fuzzed call: `run(values)` gets the materialized arguments. Returns nothing; throws an
   * AssertionError (→ fast-check counterexample) when the property is violated.
   */
  async function check(label, argsDesc, run, { io = true, allowIoOnError = false, onSuccess } = {}) {
    summary[label] = summary[label] || { runs: 0, ok: 0, errors: {} }
    summary[label].runs++
    if (io) await ctx.setup()
    const before = io ? await snapshot(true) : null
    let values
    try {
      values = materialize(argsDesc)
    } catch (e) {
      throw new Error(`materialize failed: ${describe(e)}`)
    }
    if (LAST) writeFileSync(LAST, `${label} ${fc.stringify(argsDesc).slice(0, 4000)}`)
    const r = await invoke(() => run(values))
    const problems = []
    let cls = 'ok'
    if (r.hang) {
      problems.push(`no answer within ${CALL_TIMEOUT_MS} ms (hang)`)
      cls = 'hang'
    } else if (!r.ok) {
      cls = classify(r.e)
      if (cls === null) problems.push(`threw a non-Error: ${typeof r.e} ${String(r.e).slice(0, 100)}`)
      else if (cls.startsWith('unexpected')) problems.push(`unexpected error ${describe(r.e)}`)
      if (cls === 'TypeError' || cls === 'RangeError' || cls === 'Error' || cls === 'ExecutionError' || cls === 'LockError') {
        const msg = `${cls}: ${String(r.e.message).replace(/\d{4,}/g, 'N').slice(0, 200)}`
        otherMessages.set(msg, (otherMessages.get(msg) || 0) + 1)
      }
    } else if (onSuccess) {
      try {
        await onSuccess(r.v, values)
      } catch (e) {
        problems.push(`bad success value: ${e.message}`)
      }
    }
    note(label, cls === null ? 'non-Error' : cls)
    if (r.ms > 1000) slow.push(`${label} ${Math.round(r.ms)} ms ${fc.stringify(argsDesc).slice(0, 300)}`)
    if (io && !r.hang) {
      const typed = cls === 'TypeError' || cls === 'RangeError'
      const after = await snapshot(typed)
      if (typed) {
        let found = writesBetween(cls, before, after, allowIoOnError)
        if (found.length > 0) {
          // The counters are server-wide: the last vote or a background rollback of the setup's
          // or an earlier call's operation (verdicts come at a quorum) may land in this window on
          // a loaded machine. Bad input is refused the same way every time, so the call is made
          // again once the servers are quiet: only a write that happens again is reported.
          await sleep(300)
          const quiet = await snapshot(true)
          const again = await invoke(() => run(materialize(argsDesc)))
          const cls2 = again.ok || again.hang ? (again.hang ? 'hang' : 'ok') : classify(again.e)
          const after2 = await snapshot(true)
          found = cls2 === cls ? writesBetween(cls, quiet, after2, allowIoOnError) : [`${cls} the first time, ${cls2} when made again`]
        }
        problems.push(...found)
        const names = [...namesIn(argsDesc)]
        if (names.length > 0) {
          const found = await Promise.all(admins.map((a) => a.exists(...names)))
          if (found.some((n) => n > 0)) problems.push(`${cls} but a key named by an argument exists (${found})`)
        }
      }
      if (typed || !mayTouchHeld(argsDesc)) {
        before.held.forEach((b, db) => {
          const a = after.held[db]
          if (b.value !== null && a.value !== b.value) problems.push(`the held lock on db ${db} was ${a.value === null ? 'released' : 'overwritten'} by a call without its value`)
          else if (b.value !== null && a.pttl > b.pttl) problems.push(`the held lock on db ${db} was extended by a call without its value (${b.pttl} → ${a.pttl} ms)`)
        })
      }
    }
    if (problems.length > 0) {
      const err = new Error(`${label}: ${problems.join('; ')}${r.e !== undefined ? ` [error: ${describe(r.e)}]` : ''}`)
      throw err
    }
  }

  /** The writes and data commands seen between two snapshots around a call refused with `cls`. */
  function writesBetween(cls, before, after, allowIoOnError) {
    const found = []
    if (after.keys > before.keys) found.push(`${cls} after a write: DBSIZE ${before.keys} → ${after.keys}`)
    if (!allowIoOnError && after.commands !== before.commands) {
      const diff = Object.entries(after.perCommand).filter(([k, n]) => n !== before.perCommand[k]).map(([k, n]) => `${k}+${n - (before.perCommand[k] || 0)}`)
      found.push(`${cls} after I/O: ${diff.join(', ')}`)
    }
    return found
  }

  async function property(label, arb, body, { runs = 150, timeLimit = 12_000 } = {}) {
    const t0 = Date.now()
    try {
      await fc.assert(fc.asyncProperty(arb, body), {
        numRuns: RUNS || runs,
        seed: SEED,
        interruptAfterTimeLimit: timeLimit,
        markInterruptAsFailure: false,
        verbose: 0,
      })
    } catch (e) {
      const cause = e && e.cause instanceof Error ? `\ncause: ${e.cause.message}` : ''
      failures.push({ label, problem: `${String(e.message).slice(0, 6000)}${cause.slice(0, 3000)}` })
    }
    summary[label] = summary[label] || { runs: 0, ok: 0, errors: {} }
    summary[label].ms = Date.now() - t0
  }

  // ------------------------------------------------------------------------ context
  ctx.clients = [0, 1, 2].map((db) => new IoredisClient({ host: HOST, port: PORT, db }))
  ctx.redisJsClients = [0, 1, 2].map((db) => new RedisJsClient({ url: `redis://${HOST}:${PORT}/${db}` }))
  ctx.ioredis = [
    new IORedis({ host: HOST, port: PORT, lazyConnect: true }),
    new IORedis({ host: HOST, port: PORT, db: 1, password: 'pw', lazyConnect: true }),
    new IORedis({ host: HOST, port: PORT, db: 2, keyPrefix: 'app:', lazyConnect: true }),
    new IORedis({ host: 'localhost', port: PORT, db: 3, tls: { ca: 'x' }, lazyConnect: true }),
  ]
  for (const r of ctx.ioredis) r.on('error', () => {})
  ctx.redlock = new Redlock(ctx.clients, { retryCount: 2, retryDelay: 20, retryJitter: 10 })
  ctx.heldLock = null
  ctx.callbacks = []
  ctx.makeCallback = () => {
    const cb = (...a) => {
      cb.calls.push(a)
    }
    cb.calls = []
    ctx.callbacks.push(cb)
    return cb
  }
  ctx.makeRoutine = (kind) => {
    return {
      noop: () => async () => {},
      value: () => async () => 42,
      throws: () => async () => boom(),
      throwsPrimitive: () => async () => {
        throw HOSTILE_PRIMITIVE // eslint-disable-line no-throw-literal
      },
      checksSignal: () => async (s) => s && s.aborted,
      waits: () => async () => sleep(20),
    }[kind]()
  }
  /** Empty dbs, then a lock on `fuzz:held` owned by the fixed Redlock (a genuine Lock). */
  ctx.setup = async () => {
    await admins[0].flushall()
    ctx.heldLock = await ctx.redlock.acquire([HELD], HELD_TTL)
  }
  /** Callbacks handed to v4 methods: each called exactly once, consistently with the promise. */
  async function checkCallbacks(r) {
    const cbs = ctx.callbacks.splice(0)
    if (cbs.length === 0 || r.hang) return
    await sleep(0)
    await new Promise((res) => setImmediate(res))
    for (const cb of cbs) {
      if (cb.calls.length !== 1) throw new Error(`a callback was called ${cb.calls.length} times`)
      const [err] = cb.calls[0]
      if (r.ok && err !== null) throw new Error('the promise resolved but the callback got an error')
      if (!r.ok && !r.sync && err !== r.e) throw new Error('the callback got another error than the promise')
    }
  }

  const isHex32 = (v) => typeof v === 'string' && /^[0-9a-f]{32}$/.test(v)
  const expectLock = (v) => {
    if (!(v instanceof Lock)) throw new Error(`expected a Lock, got ${describe(v)}`)
    if (!isHex32(v.value)) throw new Error('lock.value is not 32 hex characters')
    if (!Array.isArray(v.resources) || v.resources.some((x) => typeof x !== 'string' || x === '')) throw new Error('lock.resources')
  }

  // ------------------------------------------------------------------------ groups
  const t0 = Date.now()
  if (group !== 'pem-recursion') await setupRedis()

  if (group === 'redlock-constructor') {
    const conns0 = Number(/connected_clients:(\d+)/.exec(await admins[0].info('clients'))[1])
    await property('new Redlock(clients, settings, scripts)', args(clients, ctorSettings, scripts), (a) =>
      check('new Redlock(clients, settings, scripts)', a, (v) => new Redlock(...v), {
        io: false,
        onSuccess: (rl) => {
          if (!(rl instanceof Redlock)) throw new Error('not a Redlock')
          const n = rl.clients.size
          if (n < 1 || rl.quorum !== Math.floor(n / 2) + 1) throw new Error(`quorum ${rl.quorum} for ${n} clients`)
          if (!Object.isFrozen(rl.settings)) throw new Error('settings not frozen')
          if (!isHex32(rl.id)) throw new Error('id')
          util.inspect(rl)
        },
      }),
      { runs: 300 },
    )
    await property('Redlock() without new', args(clients), (a) => check('Redlock() without new', a, (v) => Redlock(...v), { io: false }), { runs: 20 })
    // Constructors never connect.
    await sleep(50)
    const conns1 = Number(/connected_clients:(\d+)/.exec(await admins[0].info('clients'))[1])
    if (conns1 !== conns0) failures.push({ label: 'new Redlock', problem: `constructors opened connections: ${conns0} → ${conns1}` })
  }

  if (group === 'client-constructors') {
    const conns0 = Number(/connected_clients:(\d+)/.exec(await admins[0].info('clients'))[1])
    const onClient = (c) => {
      if (!isHex32(c.id)) throw new Error('id')
      if (typeof c.host !== 'string' || !Number.isInteger(c.port)) throw new Error('host/port')
      util.inspect(c)
    }
    // (b and c get no 4 MiB strings: IoredisClient spreads a string second/third argument into an
    // object with one property per character — 2 s for 4 MiB — before the addon refuses nothing.)
    const notBig = (x) => !(x instanceof H && x.kind === 'bigString')
    await property('new IoredisClient(a, b, c)', args(fc.oneof(port, url, options, any), fc.oneof(host, options, any), options).filter((a) => notBig(a[1]) && notBig(a[2])), (a) =>
      check('new IoredisClient(a, b, c)', a, (v) => new IoredisClient(...v), { io: false, onSuccess: onClient }), { runs: 300 })
    await property('new RedisJsClient(options)', args(fc.oneof({ weight: 4, arbitrary: redisJsOptions }, { weight: 2, arbitrary: any })), (a) =>
      check('new RedisJsClient(options)', a, (v) => new RedisJsClient(...v), {
        io: false,
        onSuccess: (c) => {
          onClient(c)
          if (/:\/\/[^@/]*:(?!\*\*\*@)[^@/]+@/.test(c.url)) throw new Error(`url shows a password: ${c.url}`)
        },
      }), { runs: 300 })
    await sleep(50)
    const conns1 = Number(/connected_clients:(\d+)/.exec(await admins[0].info('clients'))[1])
    if (conns1 !== conns0) failures.push({ label: 'client constructors', problem: `constructors opened connections: ${conns0} → ${conns1}` })
  }

  if (group === 'client-methods') {
    const which = fc.constantFrom(0, 1) // IoredisClient (db 0) or RedisJsClient (db 0)
    const target = (i) => (i === 0 ? ctx.clients[0] : ctx.redisJsClients[0])
    await property('client.acquireLock(resource, ttl, lockId)', fc.tuple(which, args(resource, duration, lockId)), ([i, a]) =>
      check('client.acquireLock(resource, ttl, lockId)', a, (v) => target(i).acquireLock(...v), {
        onSuccess: (x) => {
          if (typeof x !== 'boolean') throw new Error(`resolved ${describe(x)}`)
        },
      }), { runs: 150 })
    await property('client.releaseLock(resource, lockId)', fc.tuple(which, args(resource, lockId)), ([i, a]) =>
      check('client.releaseLock(resource, lockId)', a, (v) => target(i).releaseLock(...v)), { runs: 150 })
    await property('client.connect(...junk)', fc.tuple(which, fc.array(anyNR, { maxLength: 2 })), ([i, a]) =>
      check('client.connect(...junk)', a, (v) => target(i).connect(...v)), { runs: 20 })
    await property('Client.prototype methods on a foreign this', fc.tuple(fc.constantFrom('acquireLock', 'releaseLock', 'connect', 'quit'), anyNR, args(resource, duration)), ([m, self, a]) =>
      check('Client.prototype methods on a foreign this', [self, ...a], ([s, ...v]) => IoredisClient.prototype[m].call(s, ...v), { io: false }), { runs: 50 })
    await property('client.quit(...junk)', fc.tuple(which, fc.array(anyNR, { maxLength: 2 })), ([i, a]) =>
      check('client.quit(...junk)', a, (v) => target(i).quit(...v), { io: false }), { runs: 5 })
    // After quit, the clients fail cleanly or reconnect; never crash.
    await property('client.acquireLock after quit', fc.tuple(which, args(resource, duration)), ([i, a]) =>
      check('client.acquireLock after quit', a, (v) => target(i).acquireLock(...v)), { runs: 20 })
  }

  if (group === 'v5') {
    const rl = () => ctx.redlock
    await property('redlock.acquire(resources, duration, settings)', args(resources, duration, callSettings), (a) =>
      check('redlock.acquire(resources, duration, settings)', a, (v) => rl().acquire(...v), { onSuccess: expectLock }), { runs: 200 })
    await property('redlock.tryAcquire(resources, duration, settings)', args(resources, duration, callSettings), (a) =>
      check('redlock.tryAcquire(resources, duration, settings)', a, (v) => rl().tryAcquire(...v), { onSuccess: (x) => x === null || expectLock(x) }), { runs: 150 })
    // Differential: tryAcquire is acquire without retries, so it refuses the settings acquire refuses.
    let n = 0
    await property('tryAcquire refuses the non-object settings acquire refuses', fc.oneof(number, smallString, fc.boolean(), fc.bigInt(), fc.string({ maxLength: 3 }).map((x) => h('symbol', x))), async (d) => {
      summary['tryAcquire refuses the non-object settings acquire refuses'] = summary['tryAcquire refuses the non-object settings acquire refuses'] || { runs: 0, ok: 0, errors: {} }
      summary['tryAcquire refuses the non-object settings acquire refuses'].runs++
      const v = materialize(d)
      const a = await invoke(() => rl().acquire([`fz:diff:a:${n}`], 1000, v))
      const b = await invoke(() => rl().tryAcquire([`fz:diff:b:${n++}`], 1000, v))
      for (const r of [a, b]) if (r.ok && r.v) await r.v.release().catch(() => {})
      const ca = a.ok ? 'ok' : classify(a.e)
      const cb = b.ok ? 'ok' : classify(b.e)
      if (ca !== cb) throw new Error(`acquire → ${a.ok ? 'a Lock' : describe(a.e)}, tryAcquire → ${b.ok ? (b.v ? 'a Lock' : 'null') : describe(b.e)}`)
    }, { runs: 50 })
    await property('redlock.release(lock, settings)', args(lock, callSettings), (a) =>
      check('redlock.release(lock, settings)', a, (v) => rl().release(...v)), { runs: 150 })
    await property('redlock.extend(lock, duration, settings)', args(lock, duration, callSettings), (a) =>
      check('redlock.extend(lock, duration, settings)', a, (v) => rl().extend(...v), { onSuccess: expectLock }), { runs: 150 })
    await property('redlock.extend(lock with a numeric expiration, duration, settings)', args(lockNumeric, duration, callSettings), (a) =>
      check('redlock.extend(lock with a numeric expiration, duration, settings)', a, (v) => rl().extend(...v), { onSuccess: expectLock }), { runs: 150 })
    await property('redlock.using(resources, duration, settings, routine)', args(resources, duration, fc.oneof(callSettings, routine), fc.oneof({ weight: 3, arbitrary: routine }, { weight: 1, arbitrary: anyNR })), (a) =>
      check('redlock.using(resources, duration, settings, routine)', a, (v) => rl().using(...v), { allowIoOnError: true }), { runs: 150 })
    await property('redlock.isLocked(resource)', args(resource), (a) =>
      check('redlock.isLocked(resource)', a, (v) => rl().isLocked(...v), { onSuccess: (x) => { if (typeof x !== 'boolean') throw new Error('not a boolean') } }), { runs: 150 })
    await property('redlock.remainingTtl(resource)', args(resource), (a) =>
      check('redlock.remainingTtl(resource)', a, (v) => rl().remainingTtl(...v), { onSuccess: (x) => { if (!(Number.isInteger(x) && x >= 0)) throw new Error(`remainingTtl ${x}`) } }), { runs: 150 })
    await property('redlock.nodeTimeoutFor(ttl)', args(duration), (a) =>
      check('redlock.nodeTimeoutFor(ttl)', a, (v) => rl().nodeTimeoutFor(...v), { io: false, onSuccess: (x) => { if (!(Number.isInteger(x) && x >= 1)) throw new Error(`nodeTimeoutFor ${x}`) } }), { runs: 150 })
    await property('Redlock.prototype methods on a foreign this', fc.tuple(fc.constantFrom('acquire', 'tryAcquire', 'release', 'extend', 'using', 'isLocked', 'remainingTtl', 'lock', 'unlock', 'acquireLock', 'quit'), anyNR, args(resources, duration)), ([m, self, a]) =>
      check('Redlock.prototype methods on a foreign this', [self, ...a], ([s, ...v]) => Redlock.prototype[m].call(s, ...v), { io: false }), { runs: 50 })
    await property('redlock.clients is read-only; getters never throw', fc.tuple(fc.constantFrom('add', 'delete', 'clear'), anyNR), ([m, x]) =>
      check('redlock.clients is read-only; getters never throw', [x], ([v]) => {
        const r = rl()
        for (const g of ['id', 'quorum', 'settings', 'servers', 'driftFactor', 'retryCount', 'retryDelay', 'retryJitter', 'clients', 'scripts']) void r[g]
        const size = r.clients.size
        try {
          return r.clients[m](v)
        } finally {
          if (r.clients.size !== size) throw new Error('redlock.clients changed')
        }
      }, { io: false }), { runs: 30 })
    await property('redlock.quit(...junk)', fc.array(callback, { maxLength: 2 }), (a) =>
      check('redlock.quit(...junk)', a, (v) => new Redlock([ctx.clients[0]]).quit(...v), { io: false }), { runs: 10 })
  }

  if (group === 'v4') {
    const rl = () => ctx.redlock
    const v4res = fc.oneof({ weight: 3, arbitrary: name }, { weight: 2, arbitrary: resources })
    const withCb = (label, arb, fn, opts = {}) =>
      property(label, arb, async (a) => {
        ctx.callbacks.length = 0 // callbacks of an earlier (failed) run are not this run's
        let last
        await check(label, a, (v) => {
          const p = fn(v)
          last = p
          return p
        }, opts)
        // The promise has settled (check awaited it); look at the callbacks.
        const r = await invoke(() => last)
        await checkCallbacks(r)
      }, { runs: opts.runs || 150 })
    ctx.setup = async () => {
      await admins[0].flushall()
      ctx.heldLock = await ctx.redlock.lock(HELD, HELD_TTL)
    }
    await withCb('redlock.lock(resource, ttl, callback)', args(v4res, duration, callback), (v) => rl().lock(...v), { onSuccess: expectLock })
    await withCb('redlock.acquire(resource: string, ttl, callback)', args(name, duration, callback), (v) => rl().acquire(...v), { onSuccess: expectLock })
    await withCb('redlock.lockWithOptions(resource, ttl, options, callback)', args(v4res, duration, callSettings, callback), (v) => rl().lockWithOptions(...v), { onSuccess: expectLock })
    await withCb('redlock.acquireWithOptions(resource, ttl, options, callback)', args(v4res, duration, callSettings, callback), (v) => rl().acquireWithOptions(...v), { onSuccess: expectLock, runs: 100 })
    await withCb('redlock.unlock(lock, callback)', args(lock, callback), (v) => rl().unlock(...v))
    await withCb('redlock.release(lock, callback)', args(lock, fc.constant(h('cb'))), (v) => rl().release(...v))
    await withCb('redlock.extend(lock, ttl, callback)', args(lock, duration, fc.constant(h('cb'))), (v) => rl().extend(...v), { onSuccess: expectLock })
    await withCb('redlock.extend(lock with a numeric expiration, ttl, callback)', args(lockNumeric, duration, fc.constant(h('cb'))), (v) => rl().extend(...v), { onSuccess: expectLock })
    await property('redlock.disposer(resource, ttl, handler) with Promise.using', args(v4res, duration, fc.oneof(fnArb, anyNR)), (a) =>
      check('redlock.disposer(resource, ttl, handler) with Promise.using', a, (v) => Bluebird.using(rl().disposer(...v), () => 'used')), { runs: 150 })
  }

  if (group === 'original') {
    const rl = () => ctx.redlock
    await property('redlock.acquireLock(resource, ttl, lockId)', args(resource, duration, lockId), (a) =>
      check('redlock.acquireLock(resource, ttl, lockId)', a, (v) => rl().acquireLock(...v), {
        onSuccess: (x) => {
          if (typeof x !== 'boolean') throw new Error(`resolved ${describe(x)}`)
        },
      }), { runs: 150 })
    await property('redlock.releaseLock(resource, lockId)', args(resource, lockId), (a) =>
      check('redlock.releaseLock(resource, lockId)', a, (v) => rl().releaseLock(...v)), { runs: 150 })
  }

  if (group === 'lock') {
    // Lock methods with forged receivers: real Locks with hostile fields, Lock-prototype objects,
    // plain objects and anything else.
    const receiver = fc.oneof({ weight: 4, arbitrary: lock }, { weight: 1, arbitrary: anyNR })
    await property('Lock.prototype.release.call(forged)', args(receiver), (a) =>
      check('Lock.prototype.release.call(forged)', a, ([self, ...v]) => Lock.prototype.release.call(self, ...v)), { runs: 150 })
    await property('Lock.prototype.extend.call(forged, duration, callback)', args(receiver, duration, callback), (a) =>
      check('Lock.prototype.extend.call(forged, duration, callback)', a, ([self, ...v]) => Lock.prototype.extend.call(self, ...v)), { runs: 150 })
    await property('Lock.prototype.extend.call(forged with a numeric expiration, duration, callback)', args(fc.oneof({ weight: 4, arbitrary: lockNumeric }, { weight: 1, arbitrary: anyNR }), duration, callback), (a) =>
      check('Lock.prototype.extend.call(forged with a numeric expiration, duration, callback)', a, ([self, ...v]) => Lock.prototype.extend.call(self, ...v)), { runs: 150 })
    await property('Lock.prototype.unlock.call(forged, callback)', args(receiver, callback), (a) =>
      check('Lock.prototype.unlock.call(forged, callback)', a, ([self, ...v]) => Lock.prototype.unlock.call(self, ...v)), { runs: 150 })
    // (All five arguments: a Lock without a numeric expiration hits the extend bug reported above.)
    await property('new Lock(...) then extend and release', fc.tuple(fc.oneof(fc.constant(h('fixedRedlock')), anyNR), resources, lockId, anyNR, number), (a) =>
      check('new Lock(...) then extend and release', a, async (v) => {
        const l = new Lock(...v)
        const first = await l.extend(1000).then(() => null, (e) => e)
        const c = first === null ? 'ok' : classify(first)
        if (c === null || c.startsWith('unexpected')) return Promise.reject(first)
        return l.release()
      }, { allowIoOnError: true }), { runs: 150 })
  }

  if (group === 'keys') {
    // Resources and lock ids are binary-safe RESP arguments: the key written is exactly the
    // UTF-8 of the name (lone surrogates → U+FFFD, as Buffer.from does), never a command.
    const key = fc.oneof(
      fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 10 }),
      fc.constantFrom('*1\r\n$4\r\nPING\r\n', '\r\nFLUSHALL\r\n', 'a\u0000b', '\uD800', '\uDFFF', '" .. redis.call("FLUSHALL") .. "', "'; FLUSHALL; --", '{x}', '\\x00'),
    )
    const single = new Redlock([ctx.clients[0]], { retryCount: 0 })
    await property('acquire([name]) writes exactly the key `name`', fc.tuple(fc.uniqueArray(key, { minLength: 1, maxLength: 3, selector: (s) => Buffer.from(s).toString('hex') })), ([names]) =>
      check('acquire([name]) writes exactly the key `name`', names, async (v) => {
        await admins[0].set('fuzz:canary', '1')
        const l = await ctx.redlock.acquire(v, 10_000)
        for (const [db, a] of admins.entries()) {
          const keys = (await a.keysBuffer('*')).map((b) => b.toString('hex')).filter((k) => k !== Buffer.from('fuzz:canary').toString('hex') && k !== Buffer.from(HELD).toString('hex')).sort()
          const want = v.map((s) => Buffer.from(s).toString('hex')).sort()
          if (JSON.stringify(keys) !== JSON.stringify(want)) throw new Error(`db ${db}: keys ${keys} ≠ ${want}`)
          for (const s of v) if ((await a.get(Buffer.from(s))) !== l.value) throw new Error(`db ${db}: value of ${JSON.stringify(s)}`)
        }
        if ((await admins[0].get('fuzz:canary')) !== '1') throw new Error('the canary key disappeared (injection?)')
        await l.release()
        for (const a of admins) if ((await a.exists(...v.map((s) => Buffer.from(s)))) !== 0) throw new Error('not released')
      }), { runs: 150 })
    await property('acquireLock(name, ttl, id) stores exactly `id`', fc.tuple(key, fc.string({ unit: 'binary', minLength: 1, maxLength: 40 })), ([k, id]) =>
      check('acquireLock(name, ttl, id) stores exactly `id`', [k, id], async ([kk, ii]) => {
        if ((await single.acquireLock(kk, 10_000, ii)) !== true) throw new Error('not acquired')
        const got = await admins[0].getBuffer(Buffer.from(kk))
        if (!got || !got.equals(Buffer.from(ii))) throw new Error(`stored ${got && got.toString('hex')} ≠ ${Buffer.from(ii).toString('hex')}`)
        await single.releaseLock(kk, ii)
        if ((await admins[0].exists(Buffer.from(kk))) !== 0) throw new Error('not released')
      }), { runs: 150 })
    await single.quit()
  }

  if (group === 'pem-recursion') {
    // Caller-supplied PEM arrays are flattened recursively in Rust: a cyclic or very deep array
    // must be refused with a TypeError/RangeError, not overflow the native stack.
    const which = process.env.FUZZ_CASE
    let deep = 'x'
    for (let i = 0; i < 30_000; i++) deep = [deep]
    const cyclic = ['x']
    cyclic.push(cyclic)
    const make = {
      'ioredis-tls-ca-cyclic': () => new IoredisClient({ host: HOST, port: PORT, tls: { ca: cyclic } }),
      'ioredis-tls-ca-deep': () => new IoredisClient({ host: HOST, port: PORT, tls: { ca: deep } }),
      'redisjs-socket-ca-deep': () => new RedisJsClient({ socket: { host: HOST, port: PORT, tls: true, ca: deep } }),
      'redlock-ioredis-tls-cyclic': () => new Redlock([new IORedis({ host: HOST, port: PORT, tls: { ca: cyclic }, lazyConnect: true })]),
    }[which]
    if (LAST) writeFileSync(LAST, which)
    const r = await invoke(make)
    const cls = r.ok ? 'ok' : classify(r.e)
    note(which, cls)
    if (cls !== 'ok' && cls !== 'TypeError' && cls !== 'RangeError') failures.push({ label: which, problem: `got ${describe(r.e)}` })
  }

  // ------------------------------------------------------------------------ report
  for (const c of [...ctx.clients, ...ctx.redisJsClients]) await c.quit().catch(() => {})
  await ctx.redlock.quit().catch(() => {})
  for (const a of admins) a.disconnect()
  for (const r of ctx.ioredis) r.disconnect()
  const typed = [...otherMessages.entries()].sort((a, b) => b[1] - a[1]).slice(0, 60)
  const result = { group, failures, summary, callerUnhandled, slow: slow.slice(0, 20), typedErrorMessages: Object.fromEntries(typed), ms: Date.now() - t0 }
  for (const [label, s] of Object.entries(summary)) {
    process.stdout.write(`${label.padEnd(70)} runs ${String(s.runs).padStart(4)} ok ${String(s.ok).padStart(4)} ${JSON.stringify(s.errors)} ${s.ms ?? ''}ms\n`)
  }
  process.stdout.write(`FUZZ_RESULT ${JSON.stringify(result)}\n`)
  // Exit explicitly: a hung call (reported above) must not keep the child alive.
  process.exit(0)
}
