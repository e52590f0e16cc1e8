// Security: no password and no lock value in any error message, `util.inspect(error)`, event
// payload or debug log; ACL users restricted to a key prefix or without EVAL/EVALSHA get clear
// errors (NOPERM) on acquire, extend, release and inspection; lock values are 128-bit random hex.
// Against real password-protected redis-server processes (wrong and right passwords, through URLs,
// options objects, redlock-rs clients and real ioredis clients).
import { test, describe, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { randomBytes } from 'node:crypto'
import util from 'node:util'
import net from 'node:net'
import { createRequire } from 'node:module'
import { startServers, stopAll, uniqueResource, HOST } from './helpers/redis.mjs'

const require = createRequire(import.meta.url)
const Redlock = require('../index.js')
const { IoredisClient, RedisJsClient, Lock, ExecutionError } = Redlock
const IORedis = require('ioredis')
const SELF = fileURLToPath(import.meta.url)

// Distinctive secrets, so any appearance is a leak (and not a coincidence).
const PW = `pw-right-${randomBytes(6).toString('hex')}`
const WRONG = `pw-wrong-${randomBytes(6).toString('hex')}`
const ACL_PW = `pw-acl-${randomBytes(6).toString('hex')}`

if (process.env.REDLOCK_RS_SECURITY_CHILD) {
  await debugChild()
} else {
  tests()
}

/**
 * One command over a raw RESP connection (AUTH, SELECT, then `cmd`): the admin side of the tests
 * uses no ioredis, so ioredis' own DEBUG output (it logs `auth([password])`) stays out of the
 * debug-log check.
 */
function rawCommand(port, password, db, ...cmd) {
  const encode = (args) => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(String(a))}\r\n${a}\r\n`).join('')}`
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: HOST, port })
    let buf = ''
    let replies = 0
    const timer = setTimeout(() => {
      sock.destroy()
      reject(new Error('raw command timed out'))
    }, 5000)
    sock.on('connect', () => sock.write(encode(['AUTH', password]) + encode(['SELECT', db]) + encode(cmd)))
    sock.on('data', (d) => {
      buf += d.toString('latin1')
      const lines = buf.split('\r\n')
      // Simple replies only (+OK, :1, -ERR, $n bulk): count top-level replies.
      replies = 0
      for (let i = 0; i < lines.length - 1; i++) {
        const l = lines[i]
        if (l.startsWith('$')) {
          if (l !== '$-1') i++
          replies++
        } else if (/^[+:-]/.test(l)) replies++
      }
      if (replies >= 3) {
        clearTimeout(timer)
        sock.destroy()
        if (buf.includes('\r\n-')) reject(new Error(buf.split('\r\n').find((l) => l.startsWith('-'))))
        else resolve()
      }
    })
    sock.on('error', (e) => {
      clearTimeout(timer)
      reject(e)
    })
  })
}

// =================================================================================================
// Scenarios shared by the in-process tests and the debug-log child

/**
 * Runs every failing path against `port` (requirepass `pw`): wrong and right passwords through
 * redlock-rs clients, URLs, options objects and real ioredis clients; failing acquire (held),
 * extend (lost) and release (nodes refusing auth). Returns the errors, the event payloads, the
 * lock values involved and the caller's client entries.
 */
async function scenarios(port, { pw, wrong, admin }) {
  const errors = [] // { label, error }
  const events = [] // { label, payload }
  const values = new Set()
  const entries = [] // the caller's own client entries (objects and URL strings)
  const closables = []
  const catchErr = async (label, p) => {
    try {
      const v = await p
      return { value: v }
    } catch (error) {
      errors.push({ label, error })
      return { error }
    }
  }
  const watch = (label, redlock) => {
    redlock.on('error', (payload) => events.push({ label: `${label} 'error'`, payload }))
    redlock.on('clientError', (payload) => events.push({ label: `${label} 'clientError'`, payload }))
    closables.push(redlock)
    entries.push(...redlock.clients)
    return redlock
  }

  // --- the original API: one server, wrong password (options and URL) and no password
  const badOpts = new IoredisClient({ host: HOST, port, password: wrong })
  await catchErr('IoredisClient wrong password acquireLock', badOpts.acquireLock(uniqueResource('sec'), 5000))
  await catchErr('IoredisClient wrong password releaseLock', badOpts.releaseLock(uniqueResource('sec'), 'some-id'))
  await catchErr('IoredisClient wrong password connect', badOpts.connect())
  const badUrl = new RedisJsClient({ url: `redis://default:${wrong}@${HOST}:${port}/1` })
  await catchErr('RedisJsClient wrong password URL connect', badUrl.connect())
  await catchErr('RedisJsClient wrong password URL acquireLock', badUrl.acquireLock(uniqueResource('sec'), 5000, 'explicit-lock-id'))
  const badUrl2 = new IoredisClient(`redis://:${wrong}@${HOST}:${port}`)
  await catchErr('IoredisClient wrong password URL acquireLock', badUrl2.acquireLock(uniqueResource('sec'), 5000))
  const noPw = new RedisJsClient({ url: `redis://${HOST}:${port}`, password: undefined })
  await catchErr('no password acquireLock', noPw.acquireLock(uniqueResource('sec'), 5000))
  // Right password, explicit lock id; then a release with the right id of a lock held by
  // another id (resolves: nothing to release) and errors naming the resource only.
  const good = new IoredisClient({ host: HOST, port, password: pw, db: 2 })
  const id = randomBytes(16).toString('hex')
  values.add(id)
  values.add(good.id)
  const res = uniqueResource('sec-orig')
  assert.equal(await good.acquireLock(res, 10_000, id), true)
  assert.equal(await good.acquireLock(res, 10_000), false, 'held by `id`')
  await good.releaseLock(res, id)
  closables.push(badOpts, badUrl, badUrl2, noPw, good)

  // --- v5 over five nodes of every kind: two with the right password, three with a wrong one
  const ioRight = new IORedis({ host: HOST, port, db: 4, password: pw, lazyConnect: true })
  ioRight.on('error', () => {})
  const mixed = [
    new IoredisClient({ host: HOST, port, db: 0, password: pw }),
    new RedisJsClient({ url: `redis://:${wrong}@${HOST}:${port}/1` }),
    `redis://default:${wrong}@${HOST}:${port}/2`,
    { host: HOST, port, db: 3, password: wrong },
    ioRight,
  ]
  const rlMixed = watch('mixed', new Redlock(mixed, { retryCount: 1, retryDelay: 10, retryJitter: 0 }))
  await catchErr('mixed acquire (2 of 5 authenticate)', rlMixed.acquire([uniqueResource('sec')], 5000))
  await catchErr('mixed using', rlMixed.using([uniqueResource('sec')], 5000, async () => 'never'))
  await catchErr('mixed isLocked', rlMixed.isLocked(uniqueResource('sec')))
  await catchErr('mixed acquireLock (original API)', rlMixed.acquireLock(uniqueResource('sec'), 5000))
  await catchErr('mixed v4 lock', rlMixed.lock(uniqueResource('sec'), 5000))

  // --- right passwords: a held lock, a contender, a lost lock, a release nodes refuse
  const right = [0, 1, 2].map((db) => new IoredisClient({ host: HOST, port, db, password: pw }))
  const rl = watch('right', new Redlock(right, { retryCount: 1, retryDelay: 10, retryJitter: 0 }))
  const resource = uniqueResource('sec-held')
  const lock = await rl.acquire([resource], 10_000)
  values.add(lock.value)
  const contender = watch('contender', new Redlock([0, 1, 2].map((db) => `redis://:${pw}@${HOST}:${port}/${db}`), { retryCount: 1, retryDelay: 10, retryJitter: 0 }))
  const held = await catchErr('acquire of a held resource', contender.acquire([resource], 5000))
  assert.ok(held.error instanceof ExecutionError)
  await catchErr('tryAcquire of a held resource', contender.tryAcquire([resource], 5000))
  await catchErr('v4 lock of a held resource', contender.lock(resource, 5000))
  assert.equal((await catchErr('original acquireLock of a held resource', contender.acquireLock(resource, 5000, 'x'.repeat(32)))).value, false)
  // Extending a lock somebody else's value now holds (the key was replaced behind our back).
  if (admin) {
    for (let db = 0; db < 3; db++) await admin(db, 'SET', resource, 'someone-else', 'PX', 10_000)
    await catchErr('extend of a lost lock', rl.extend(lock, 10_000))
    await catchErr('v4 extend of a lost lock', rl.extend(lock, 10_000, () => {}))
    for (let db = 0; db < 3; db++) await admin(db, 'DEL', resource)
  }
  await catchErr('extend of an expired lock', rl.extend(new Lock(rl, [resource], lock.value, [], 1), 1000))
  // The same lock value through nodes that refuse authentication: release and extend fail.
  const refusing = watch('refusing', new Redlock([
    `redis://:${wrong}@${HOST}:${port}/0`,
    { host: HOST, port, db: 1, password: wrong },
    new IoredisClient({ host: HOST, port, db: 2, password: pw }),
  ], { retryCount: 1, retryDelay: 10, retryJitter: 0 }))
  const forged = new Lock(refusing, [resource], lock.value, [], Date.now() + 10_000)
  await catchErr('release refused by 2 of 3 nodes', refusing.release(forged))
  await catchErr('extend refused by 2 of 3 nodes', refusing.extend(new Lock(refusing, [resource], lock.value, [], Date.now() + 10_000), 10_000))
  await catchErr('v4 unlock refused by 2 of 3 nodes', refusing.unlock(new Lock(refusing, [resource], lock.value, [], Date.now() + 10_000)))
  await catchErr('releaseLock (original API) refused', refusing.releaseLock(resource, lock.value))
  await lock.release()

  for (const c of closables) await c.quit().catch(() => {})
  ioRight.disconnect()
  return { errors, events, values: [...values], entries }
}

/** Every rendering of an error a user or a logger may produce (without the deep inspection). */
function renderings(e) {
  const out = []
  const add = (what, f) => {
    try {
      out.push([what, String(f())])
    } catch (err) {
      out.push([what, `<threw ${err && err.message}>`])
    }
  }
  add('message', () => e.message)
  add('String()', () => String(e))
  add('stack', () => e.stack)
  add('detail', () => e.detail)
  add('JSON.stringify', () => JSON.stringify(e))
  add('util.inspect', () => util.inspect(e))
  add('util.inspect showHidden', () => util.inspect(e, { showHidden: true }))
  add('cause', () => (e.cause === undefined ? '' : util.inspect(e.cause, { depth: 4 })))
  return out
}

function secretsIn(text, secrets) {
  return secrets.filter((s) => text.includes(s))
}

/**
 * Every path from `root` (own properties, enumerable or not, Map/Set entries, resolved promises)
 * to a string that contains a secret. A path that passes through one of the caller's own client
 * entries (`entries`: objects by identity, URL strings by value) is reported separately: those
 * objects are the caller's, holding what the caller gave them.
 */
async function secretPaths(root, secrets, entries) {
  const entryObjects = new Set(entries.filter((x) => typeof x === 'object'))
  const entryStrings = new Set(entries.filter((x) => typeof x === 'string'))
  const ours = []
  const callers = []
  const seen = new Set()
  const queue = [[root, 'error', false]]
  let steps = 0
  while (queue.length > 0 && steps++ < 100_000) {
    const [v, path, viaCaller] = queue.shift()
    if (typeof v === 'string') {
      const found = secretsIn(v, secrets)
      if (found.length > 0) (viaCaller || entryStrings.has(v) ? callers : ours).push({ path, found })
      continue
    }
    if (v === null || (typeof v !== 'object' && typeof v !== 'function')) continue
    if (seen.has(v)) continue
    seen.add(v)
    const caller = viaCaller || entryObjects.has(v)
    if (v instanceof Promise) {
      const settled = await Promise.race([v.then((x) => ({ x }), (x) => ({ x })), new Promise((r) => setImmediate(() => r(null)))])
      if (settled) queue.push([settled.x, `${path}<resolved>`, caller])
      continue
    }
    if (v instanceof Map) {
      let i = 0
      for (const [k, x] of v) {
        queue.push([k, `${path}<key ${i}>`, caller])
        queue.push([x, `${path}<value ${i++}>`, caller || entryObjects.has(k)])
      }
    } else if (v instanceof Set) {
      let i = 0
      for (const x of v) queue.push([x, `${path}<item ${i++}>`, caller])
    }
    if (ArrayBuffer.isView(v)) {
      queue.push([Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('latin1'), `${path}<bytes>`, caller])
      continue
    }
    for (const key of Reflect.ownKeys(v)) {
      const d = Object.getOwnPropertyDescriptor(v, key)
      if (d && 'value' in d) queue.push([d.value, `${path}.${String(key)}`, caller])
    }
  }
  return { ours, callers }
}

// =================================================================================================
// Tests

function tests() {
  let pwServer
  let plain
  before(async () => {
    ;[pwServer] = await startServers(1, { password: PW })
    ;[plain] = await startServers(1)
  })
  after(() => stopAll())

  const admin = (db, ...cmd) => rawCommand(pwServer.port, PW, db, ...cmd)

  describe('no secrets in errors, inspect output or events', () => {
    let run
    before(async () => {
      run = await scenarios(pwServer.port, { pw: PW, wrong: WRONG, admin })
    })

    test('every failing path was exercised', () => {
      const labels = run.errors.map((e) => e.label)
      assert.ok(run.errors.length >= 20, `${run.errors.length} errors: ${labels.join(', ')}`)
      for (const want of ['wrong password', 'held', 'lost lock', 'expired', 'release refused', 'extend refused']) {
        assert.ok(labels.some((l) => l.includes(want)), `no error for "${want}"`)
      }
      assert.ok(run.events.length > 0, 'no error events')
      assert.ok(run.events.some((e) => e.label.endsWith("'clientError'")), 'no clientError events')
    })

    test('no password and no lock value in any message, stack, detail, JSON or util.inspect(error)', () => {
      const secrets = [PW, WRONG, ...run.values]
      const leaks = []
      for (const { label, error } of run.errors) {
        assert.ok(error instanceof Error, `${label}: not an Error`)
        for (const [what, text] of renderings(error)) {
          const found = secretsIn(text, secrets)
          if (found.length > 0) leaks.push(`${label} → ${what}: ${found.map((s) => (s === PW ? 'PW' : s === WRONG ? 'WRONG' : `value ${s}`)).join(', ')}`)
        }
      }
      assert.deepEqual(leaks, [])
    })

    test("util.format('%o', error) (showHidden, depth 4: console.log('%o', e)) shows no password", () => {
      // %o reaches ExecutionError.attempts → stats → votesFor/votesAgainst, keyed by the client
      // entries the caller gave: a redis:// URL string with a password is printed there.
      const leaks = []
      for (const { label, error } of run.errors) {
        const found = secretsIn(util.format('%o', error), [PW, WRONG, ...run.values])
        if (found.length > 0) leaks.push(`${label}: ${found.map((s) => (s === PW ? 'PW' : s === WRONG ? 'WRONG' : `value ${s}`)).join(', ')}`)
      }
      assert.deepEqual(leaks, [])
    })

    test('the node errors inside ExecutionError.attempts (votesAgainst) are clean too', async () => {
      const secrets = [PW, WRONG, ...run.values]
      let checked = 0
      for (const { label, error } of run.errors) {
        if (!(error instanceof ExecutionError) || !Array.isArray(error.attempts)) continue
        assert.equal(Object.getOwnPropertyDescriptor(error, 'attempts').enumerable, false, 'attempts is not enumerable')
        for (const stats of await Promise.all(error.attempts)) {
          for (const e of stats.votesAgainst.values()) {
            checked++
            for (const [what, text] of renderings(e)) assert.deepEqual(secretsIn(text, secrets), [], `${label}: vote error ${what}: ${text}`)
          }
        }
      }
      assert.ok(checked > 0, 'no vote errors checked')
    })

    test("'error' and 'clientError' event payloads carry no secret (even fully inspected)", () => {
      const secrets = [PW, WRONG, ...run.values]
      for (const { label, payload } of run.events) {
        assert.ok(payload instanceof Error, `${label}: payload is not an Error`)
        for (const [what, text] of [...renderings(payload), ['deep inspect', util.inspect(payload, { showHidden: true, depth: Infinity })]]) {
          assert.deepEqual(secretsIn(text, secrets), [], `${label} ${what}: ${text}`)
        }
      }
    })

    test('deep inspection (showHidden, depth Infinity): secrets are reachable only through the caller\'s own client entries', async (t) => {
      const secrets = [PW, WRONG, ...run.values]
      const report = new Map()
      for (const { label, error } of run.errors) {
        const { ours, callers } = await secretPaths(error, secrets, run.entries)
        assert.deepEqual(ours, [], `${label}: a secret reachable through objects redlock-rs made`)
        const deep = util.inspect(error, { showHidden: true, depth: Infinity })
        for (const { path, found } of callers) {
          const key = `${path.replace(/\.\d+(?=\.|<|$)|<(?:item|key|value) \d+>/g, '[*]')} holds ${found.map((s) => (s === PW ? 'the right password' : s === WRONG ? 'the wrong password' : 'a lock value')).join(' and ')}`
          report.set(key, (report.get(key) || 0) + 1)
        }
        // What the deep inspection shows is what the walk found (nothing else leaks by inspect).
        const shown = secretsIn(deep, secrets)
        const walked = new Set([...ours, ...callers].flatMap((p) => p.found))
        for (const s of shown) assert.ok(walked.has(s), `${label}: deep inspect shows a secret the walk did not find`)
      }
      // Lock values never reach the caller's objects either.
      for (const k of report.keys()) assert.doesNotMatch(k, /lock value/, k)
      for (const [k, n] of report) t.diagnostic(`leak through the caller's client entries: ${k} (${n} errors)`)
      // The caller's real ioredis client is one of them: its options hold the password.
      assert.ok([...report.keys()].some((k) => k.includes('.options.password') && k.includes('right password')), 'expected the ioredis client options path to be reported')
    })

    test('redlock-rs clients and Redlocks never show a password when inspected', () => {
      const things = [
        new IoredisClient({ host: HOST, port: pwServer.port, password: PW }),
        new IoredisClient(`redis://u:${PW}@${HOST}:${pwServer.port}/3`),
        new RedisJsClient({ url: `redis://:${PW}@${HOST}:${pwServer.port}` }),
        new RedisJsClient({ socket: { host: HOST, port: pwServer.port }, password: PW, username: 'u' }),
        new Redlock([`redis://:${PW}@${HOST}:${pwServer.port}`, new IoredisClient({ port: pwServer.port, db: 1, password: WRONG })]),
      ]
      for (const x of things) {
        for (const text of [util.inspect(x), util.inspect(x, { showHidden: true, depth: Infinity }), JSON.stringify(x) ?? '', String(x.url ?? '')]) {
          assert.deepEqual(secretsIn(text, [PW, WRONG]), [], text)
        }
      }
      assert.equal(things[2].url, `redis://:***@${HOST}:${pwServer.port}`)
    })

    test('DEBUG=* RUST_LOG=trace: a child running every scenario prints no password and no lock value', { timeout: 60_000 }, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'redlock-rs-sec-'))
      try {
        const valuesFile = join(dir, 'values.json')
        const r = await new Promise((resolve) => {
          const c = spawn(process.execPath, [SELF], {
            env: {
              ...process.env,
              REDLOCK_RS_SECURITY_CHILD: '1',
              SEC_PORT: String(pwServer.port),
              SEC_PW: PW,
              SEC_WRONG: WRONG,
              SEC_VALUES_FILE: valuesFile,
              DEBUG: '*',
              RUST_LOG: 'trace',
              RUST_BACKTRACE: 'full',
              NODE_DEBUG: 'redlock,redis,ioredis',
            },
            stdio: ['ignore', 'pipe', 'pipe'],
          })
          let out = ''
          let err = ''
          c.stdout.on('data', (d) => (out += d))
          c.stderr.on('data', (d) => (err += d))
          const timer = setTimeout(() => process.kill(c.pid, 'SIGKILL'), 50_000)
          c.on('close', (code, signal) => {
            clearTimeout(timer)
            resolve({ code, signal, out, err })
          })
        })
        assert.equal(r.signal, null, r.err)
        assert.equal(r.code, 0, r.err)
        assert.match(r.out, /security child: \d+ errors, \d+ events/)
        // The printing paths were exercised: one line per error, event and attempt, and the
        // errors' own text is there (so a secret in it would be on stdout/stderr too).
        const [, nErrors, nEvents, nVotes] = /security child: (\d+) errors, (\d+) events, (\d+) votes against printed/.exec(r.out).map(Number)
        assert.ok(nErrors >= 20 && nEvents > 0 && nVotes > 0, `${nErrors} errors, ${nEvents} events, ${nVotes} votes`)
        const count = (text, re) => (text.match(re) || []).length
        assert.equal(count(r.err, /^\[error\] /gm), nErrors, 'each error printed with console.error')
        assert.equal(count(r.out, /^\[error-o\] /gm), nErrors, "each error printed with console.log('%o')")
        assert.equal(count(r.err, /^\[event\] /gm), nEvents, 'each event payload printed')
        assert.ok(count(r.err, /^\[stats\] /gm) > 0, 'ExecutionStats printed')
        assert.match(r.err, /ExecutionError: The operation was unable to achieve a quorum/)
        assert.match(r.err, /votesAgainst: Map\(\d+\)/)
        const values = JSON.parse(readFileSync(valuesFile, 'utf8'))
        assert.ok(values.length >= 3)
        const secrets = [PW, WRONG, ...values]
        assert.deepEqual(secretsIn(r.out, secrets), [], `stdout: ${r.out.slice(0, 2000)}`)
        assert.deepEqual(secretsIn(r.err, secrets), [], `stderr: ${r.err.slice(0, 2000)}`)
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    })
  })

  describe('ACL users', () => {
    const acl = (...args) => plain.redis.call('ACL', 'SETUSER', ...args)
    const redlockAs = (user, pw, settings = {}) =>
      new Redlock([0, 1, 2].map((db) => new IoredisClient({ host: HOST, port: plain.port, db, username: user, password: pw })), { retryCount: 1, retryDelay: 10, retryJitter: 0, ...settings })
    const noperm = (re) => (e) => {
      assert.ok(e instanceof Error)
      const text = `${e.message} ${e.detail || ''}`
      assert.match(text, /NoPerm|NOPERM|no permissions/)
      if (re) assert.match(text, re)
      assert.match(text, new RegExp(`node \\d \\(127\\.0\\.0\\.1:${plain.port}\\)`), 'names the node')
      assert.deepEqual(secretsIn(text + util.inspect(e), [ACL_PW]), [])
      return true
    }
    let rl
    before(async () => {
      await acl('locker', 'on', `>${ACL_PW}`, '~lock:*', '+@all')
      rl = redlockAs('locker', ACL_PW)
    })
    after(() => rl && rl.quit())

    test('restricted to ~lock:*: locks inside, gets a clear NOPERM outside (nothing written)', async () => {
      const lock = await rl.acquire(['lock:inside'], 10_000)
      assert.equal(await plain.redis.get('lock:inside'), lock.value)
      await lock.release()
      await assert.rejects(rl.acquire(['outside:x'], 10_000), (e) => {
        assert.ok(e instanceof ExecutionError)
        assert.equal(e.reason, 'unavailable')
        return noperm(/keys/)(e)
      })
      await assert.rejects(rl.acquire(['lock:ok', 'outside:y'], 10_000), noperm())
      assert.equal(await plain.redis.exists('outside:x', 'lock:ok', 'outside:y'), 0)
    })

    test('NOPERM on extend and release (permission revoked while held): clear errors, the lock is left to expire', async () => {
      const lock = await rl.acquire(['lock:revoked'], 10_000)
      await acl('locker', 'resetkeys', '~other:*')
      try {
        await assert.rejects(rl.extend(lock, 10_000), (e) => e instanceof ExecutionError && noperm(/keys/)(e))
        await assert.rejects(rl.release(new Lock(rl, lock.resources, lock.value, [], lock.expiration)), (e) => e instanceof ExecutionError && noperm(/keys/)(e))
        await assert.rejects(rl.unlock(new Lock(rl, lock.resources, lock.value, [], lock.expiration)), noperm(/keys/))
        await assert.rejects(rl.releaseLock('lock:revoked', lock.value), noperm(/keys/))
        await assert.rejects(rl.isLocked('lock:revoked'), noperm(/keys/))
        await assert.rejects(rl.remainingTtl('lock:revoked'), noperm(/keys/))
        // Still held by its owner: a failed release must not pretend otherwise.
        assert.equal(await plain.redis.get('lock:revoked'), lock.value)
        const pttl = await plain.redis.pttl('lock:revoked')
        assert.ok(pttl > 0 && pttl <= 10_000, `pttl ${pttl}`)
      } finally {
        await acl('locker', 'resetkeys', '~lock:*')
      }
      await rl.release(new Lock(rl, lock.resources, lock.value, [], Date.now() + 10_000))
      assert.equal(await plain.redis.exists('lock:revoked'), 0)
    })

    test('NOPERM errors are reported as node errors in the events too', async () => {
      const seen = []
      rl.on('clientError', (e) => seen.push(e))
      await assert.rejects(rl.acquire(['outside:events'], 10_000))
      assert.ok(seen.length >= 2, `${seen.length} clientError events`)
      for (const e of seen) noperm()(e)
    })

    test('a user without +eval/+evalsha gets a clear NOPERM naming the command (acquire, extend, release)', async (t) => {
      await acl('noscript', 'on', `>${ACL_PW}`, '~*', '+@all', '-eval', '-evalsha')
      const bad = redlockAs('noscript', ACL_PW)
      try {
        const r = uniqueResource('noscript')
        await assert.rejects(bad.acquire([r], 10_000), (e) => {
          assert.ok(e instanceof ExecutionError)
          // A permission error is not transient, yet it is retried like one (retryCount: 1 → 2 attempts).
          assert.equal(e.attempts.length, 2)
          return noperm(/evalsha|eval/)(e)
        })
        const lock = await rl.acquire(['lock:noscript'], 10_000)
        await assert.rejects(bad.extend(new Lock(bad, lock.resources, lock.value, [], lock.expiration), 10_000), noperm(/evalsha|eval/))
        await assert.rejects(bad.release(new Lock(bad, lock.resources, lock.value, [], lock.expiration)), noperm(/evalsha|eval/))
        await assert.rejects(bad.acquireLock(r, 10_000), noperm(/evalsha|eval/))
        assert.equal(await plain.redis.get('lock:noscript'), lock.value, 'the lock is untouched')
        assert.equal(await plain.redis.exists(r), 0)
        await lock.release()
        t.diagnostic('without +eval/+evalsha: NOPERM "no permissions to run the \'evalsha\' command", retried retryCount times')
      } finally {
        await bad.quit()
      }
    })

    test('EVALSHA is what is needed: +evalsha -eval works after SCRIPT FLUSH, -evalsha +eval does not (reported)', async (t) => {
      await acl('shaonly', 'on', `>${ACL_PW}`, '~*', '+@all', '-eval')
      await acl('evalonly', 'on', `>${ACL_PW}`, '~*', '+@all', '-evalsha')
      const shaOnly = redlockAs('shaonly', ACL_PW)
      const evalOnly = redlockAs('evalonly', ACL_PW)
      try {
        await plain.redis.call('SCRIPT', 'FLUSH')
        const lock = await shaOnly.acquire([uniqueResource('sha')], 10_000)
        await lock.release()
        await plain.redis.call('SCRIPT', 'FLUSH')
        await assert.rejects(evalOnly.acquire([uniqueResource('evalonly')], 10_000), noperm(/evalsha/))
        t.diagnostic('an ACL user needs +evalsha (plus SCRIPT LOAD when scripts are flushed); +eval alone is refused with NOPERM: no EVAL fallback')
      } finally {
        await shaOnly.quit()
        await evalOnly.quit()
      }
    })
  })

  describe('lock values', () => {
    test('1000 acquisitions give 1000 distinct 32-hex values with uniform digits and balanced bits', async () => {
      const rl = new Redlock([new IoredisClient({ host: HOST, port: plain.port })], { retryCount: 0 })
      const values = []
      try {
        for (let batch = 0; batch < 20; batch++) {
          const locks = await Promise.all(Array.from({ length: 50 }, () => rl.acquire([uniqueResource('v')], 10_000)))
          values.push(...locks.map((l) => l.value))
          await Promise.all(locks.map((l) => l.release()))
        }
        // The original API's default ids (per client / per Redlock) are random too.
        const ids = Array.from({ length: 50 }, () => new IoredisClient({ port: plain.port }).id)
        for (const v of [...values, ...ids]) assert.match(v, /^[0-9a-f]{32}$/)
        assert.equal(new Set(values).size, 1000, 'distinct values')
        assert.equal(new Set(ids).size, 50, 'distinct client ids')
        // Hex digits: chi-square over 16 cells, 32 000 digits, 15 degrees of freedom. The
        // 1e-6 tail is at ~52; a loose bound of 60 only catches real bias.
        const counts = new Array(16).fill(0)
        for (const v of values) for (const c of v) counts[parseInt(c, 16)]++
        const expected = (values.length * 32) / 16
        const chi2 = counts.reduce((s, n) => s + (n - expected) ** 2 / expected, 0)
        assert.ok(chi2 < 60, `chi-square ${chi2.toFixed(1)} for digit counts ${counts}`)
        // Every one of the 128 bit positions is set in about half the values (binomial sd ≈ 16):
        // a timestamp, counter or constant field would show up here.
        const bits = new Array(128).fill(0)
        for (const v of values) {
          const b = Buffer.from(v, 'hex')
          for (let i = 0; i < 128; i++) bits[i] += (b[i >> 3] >> (7 - (i & 7))) & 1
        }
        const worst = Math.max(...bits.map((n) => Math.abs(n - 500)))
        assert.ok(worst < 110, `a bit position is biased: |count - 500| = ${worst}`)
        // Consecutive values share no long prefix (no counter/time structure).
        for (let i = 1; i < values.length; i++) assert.notEqual(values[i].slice(0, 8), values[i - 1].slice(0, 8))
      } finally {
        await rl.quit()
      }
    })
  })
}

// =================================================================================================
// The debug-log child: DEBUG=* RUST_LOG=trace are set by the parent; prints only counts.

async function debugChild() {
  const port = Number(process.env.SEC_PORT)
  const pw = process.env.SEC_PW
  const wrong = process.env.SEC_WRONG
  const admin = (db, ...cmd) => rawCommand(port, pw, db, ...cmd)
  const run = await scenarios(port, { pw, wrong, admin })
  writeFileSync(process.env.SEC_VALUES_FILE, JSON.stringify(run.values))
  // Print everything a caller's logging would print, the way it prints it: each error (stack and
  // own properties), its deep form (%o: attempts → votes, keyed by the caller's client entries),
  // each attempt's ExecutionStats, and each 'error'/'clientError' event payload.
  let votes = 0
  for (const { label, error } of run.errors) {
    console.error(`[error] ${label}:`, error)
    console.log(`[error-o] ${label}: %o`, error)
    if (error && Array.isArray(error.attempts)) {
      for (const stats of await Promise.all(error.attempts)) {
        votes += stats.votesAgainst.size
        console.error(`[stats] ${label}:`, stats)
      }
    }
  }
  for (const { label, payload } of run.events) console.error(`[event] ${label}:`, payload)
  process.stdout.write(`security child: ${run.errors.length} errors, ${run.events.length} events, ${votes} votes against printed\n`)
  // A pipe's writes may still be queued (the parent reads ~0.5 MB of stderr while it comes):
  // process.exit() would drop them, so exit once both streams have flushed.
  await Promise.all([process.stdout, process.stderr].map((s) => new Promise((resolve) => s.write('', resolve))))
  process.exit(0)
}
