// TLS (test CA generated here), mutual TLS, ACL users, db index, key prefix, and no secrets in
// messages — against real redis-server processes.
import { test, describe, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import util from 'node:util'
import { createRequire } from 'node:module'
import { startServers, stopAll, uniqueResource } from './helpers/redis.mjs'

const require = createRequire(import.meta.url)
const Redlock = require('../index.js')
const { IoredisClient, RedisJsClient } = Redlock
const IORedis = require('ioredis')

function openssl(args, cwd) {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8', timeout: 30_000 })
  if (r.error || r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr || r.error}`)
}

/** A CA, a server certificate for localhost/127.0.0.1 and a client certificate. */
function makeCerts(dir) {
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=redlock-rs test CA'], dir)
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n')
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n')
  for (const [name, ext] of [['server', ['-extfile', 'server.ext']], ['client', ['-extfile', 'client.ext']]]) {
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name === 'server' ? 'localhost' : 'redlock-client'}`], dir)
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', ...ext], dir)
  }
}

/** A TLS-only server; its inspection client (`.redis`) presents the client certificate. */
async function startTlsServer(dir, authClients) {
  const f = (name) => join(dir, name)
  const tls = { cert: f('server.crt'), key: f('server.key'), ca: f('ca.crt'), authClients, clientCert: f('client.crt'), clientKey: f('client.key') }
  return (await startServers(1, { tls }))[0]
}

describe('TLS', () => {
  let dir, server, mtls
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'redlock-rs-tls-'))
    makeCerts(dir)
    server = await startTlsServer(dir, 'no')
    mtls = await startTlsServer(dir, 'yes')
  })
  after(async () => {
    await stopAll()
    rmSync(dir, { recursive: true, force: true })
  })

  test('a CA given as a Buffer or string verifies the server (ioredis and node-redis shapes)', async () => {
    const ca = readFileSync(join(dir, 'ca.crt'))
    const a = new IoredisClient({ host: 'localhost', port: server.port, tls: { ca } })
    const r = uniqueResource('tls')
    assert.equal(await a.acquireLock(r, 5000), true)
    assert.equal(await server.redis.get(r), a.id)
    const b = new RedisJsClient({ url: `rediss://127.0.0.1:${server.port}`, socket: { tls: true, ca: ca.toString() } })
    assert.equal(await b.acquireLock(r, 5000), false, 'held by a')
    await a.releaseLock(r, a.id)
    assert.equal(await server.redis.get(r), null)
  })

  test('an unknown CA is refused, and says why', async () => {
    const c = new IoredisClient({ host: 'localhost', port: server.port, tls: {} })
    await assert.rejects(c.acquireLock(uniqueResource('tls'), 5000), /UnknownIssuer|certificate/)
  })

  test('rejectUnauthorized: false connects without verification (opt-in)', async () => {
    const c = new IoredisClient({ host: 'localhost', port: server.port, tls: { rejectUnauthorized: false } })
    assert.equal(await c.acquireLock(uniqueResource('tls'), 5000), true)
  })

  test('a servername other than the host is refused up front', () => {
    assert.throws(() => new IoredisClient({ host: 'localhost', port: server.port, tls: { servername: 'evil' } }), TypeError)
    assert.throws(() => new IoredisClient({ port: server.port, tls: { cert: 'x' } }), /cert and options.tls.key/)
  })

  test('mutual TLS: a client certificate is presented when given', async () => {
    const read = (f) => readFileSync(join(dir, f))
    const ok = new IoredisClient({ host: 'localhost', port: mtls.port, tls: { ca: read('ca.crt'), cert: read('client.crt'), key: read('client.key') } })
    assert.equal(await ok.acquireLock(uniqueResource('mtls'), 5000), true)
    const anon = new IoredisClient({ host: 'localhost', port: mtls.port, tls: { ca: read('ca.crt') } })
    await assert.rejects(anon.acquireLock(uniqueResource('mtls'), 5000))
  })

  test('a Redlock over real ioredis TLS clients opens native TLS connections with their settings', async () => {
    const ca = readFileSync(join(dir, 'ca.crt'))
    const io = new IORedis({ host: 'localhost', port: server.port, tls: { ca }, lazyConnect: true })
    const redlock = new Redlock([io], { retryCount: 0 })
    const lock = await redlock.acquire([uniqueResource('io-tls')], 5000)
    assert.equal(await server.redis.get(lock.resources[0]), lock.value)
    await lock.release()
    await redlock.quit()
  })
})

describe('ACL, passwords, db index, key prefix', () => {
  let s
  before(async () => {
    ;[s] = await startServers(1)
    await s.redis.call('ACL', 'SETUSER', 'locker', 'on', '>locker-secret-pw', '~lock:*', '+@all')
  })
  after(() => stopAll())

  test('an ACL user locks inside its key pattern', async () => {
    const c = new IoredisClient({ port: s.port, username: 'locker', password: 'locker-secret-pw' })
    assert.equal(await c.acquireLock('lock:a', 5000), true)
    assert.equal(await s.redis.get('lock:a'), c.id)
    await c.releaseLock('lock:a', c.id)
  })

  test('outside its key pattern the node errors (NOPERM): the call rejects, naming the node', async () => {
    const c = new IoredisClient({ port: s.port, username: 'locker', password: 'locker-secret-pw' })
    await assert.rejects(c.acquireLock('other:a', 5000), (e) => {
      assert.match(e.message, new RegExp(`node 0 \\(127\\.0\\.0\\.1:${s.port}\\)`))
      assert.match(e.message, /NOPERM|permission/i)
      return true
    })
    assert.equal(await s.redis.exists('other:a'), 0)
  })

  test('a wrong password rejects without showing it anywhere', async () => {
    const url = `redis://locker:wrong-pw-12345@127.0.0.1:${s.port}`
    const c = new RedisJsClient({ url })
    assert.equal(c.url, `redis://locker:***@127.0.0.1:${s.port}`)
    assert.doesNotMatch(util.inspect(c), /wrong-pw-12345/)
    const redlock = new Redlock([c, new IoredisClient({ port: s.port, db: 1, password: 'x-secret-x', username: 'locker' })], { retryCount: 0 })
    assert.doesNotMatch(util.inspect(redlock), /secret|wrong-pw/)
    let err
    try {
      await redlock.acquire(['lock:pw'], 1000)
    } catch (e) {
      err = e
    }
    assert.ok(err, 'acquire must fail')
    for (const text of [err.message, err.detail, util.inspect(err), JSON.stringify(err)]) {
      assert.doesNotMatch(String(text), /wrong-pw-12345|x-secret-x/)
    }
    await assert.rejects(c.connect(), (e) => {
      assert.doesNotMatch(e.message + util.inspect(e), /wrong-pw-12345/)
      return true
    })
  })

  test('the db index selects the database', async () => {
    const c = new IoredisClient({ port: s.port, db: 3 })
    const r = uniqueResource('db')
    assert.equal(await c.acquireLock(r, 5000), true)
    assert.equal(await s.redis.exists(r), 0)
    const db3 = new IORedis({ port: s.port, db: 3 })
    try {
      assert.equal(await db3.get(r), c.id)
    } finally {
      db3.disconnect()
    }
  })

  test("ioredis' keyPrefix is honoured, so keys match what node-redlock would write", async () => {
    const io = new IORedis({ port: s.port, keyPrefix: 'app:', lazyConnect: true })
    const redlock = new Redlock([io], { retryCount: 0 })
    const lock = await redlock.acquire(['res'], 5000)
    assert.equal(await s.redis.get('app:res'), lock.value)
    assert.equal(await s.redis.exists('res'), 0)
    await lock.release()
    assert.equal(await s.redis.exists('app:res'), 0)
    await redlock.quit()
  })
})
