// Compile-only check of the original redlock-rs API in index.d.ts: every member with correct
// types, and `@ts-expect-error` lines for wrong uses. Never executed.
import Redlock, { IoredisClient, RedisJsClient } from 'redlock-rs'
import type { Settings, ResolvedSettings, IoredisClientOptions, RedisJsClientOptions, RedisJsSocketOptions, TlsOptions, Client } from 'redlock-rs'
import RedlockCjs = require('redlock-rs')

// Both import styles name the same class; `.default` and `.Redlock` are the class too.
const Same: typeof Redlock = RedlockCjs
const ViaDefault: typeof Redlock = Redlock.default
const ViaNamed: typeof Redlock = RedlockCjs.Redlock
const CjsIoredis: typeof IoredisClient = RedlockCjs.IoredisClient
const CjsRedisJs: typeof RedisJsClient = RedlockCjs.RedisJsClient
void [Same, ViaDefault, ViaNamed, CjsIoredis, CjsRedisJs]

async function usage(): Promise<void> {
  // IoredisClient: every constructor form.
  const ioOptions: IoredisClientOptions = {
    host: '127.0.0.1',
    port: 6379,
    username: 'default',
    password: 'secret',
    db: 0,
    tls: false,
    connectTimeout: 500,
    keyPrefix: 'app:',
  }
  const io1 = new IoredisClient()
  const io2 = new IoredisClient(ioOptions)
  const io3 = new IoredisClient(6380, 'redis-b', { password: 'secret' })
  const io4 = new IoredisClient(6381, { host: 'redis-c', tls: {} })
  const io5 = new IoredisClient('rediss://:secret@redis-d:6379/1', { connectTimeout: 2000 })
  const io6 = new RedlockCjs.IoredisClient(6382)
  const caPem: Buffer = Buffer.from('-----BEGIN CERTIFICATE-----')
  const tlsOptions: TlsOptions = { ca: caPem, cert: [caPem, 'pem'], key: 'pem', rejectUnauthorized: true, servername: 'redis-g', minVersion: 'TLSv1.2' }
  const io7 = new IoredisClient({ host: 'redis-g', tls: tlsOptions })
  const rj4 = new RedisJsClient({ socket: { host: 'redis-h', tls: true, ca: [caPem], cert: 'pem', key: caPem, rejectUnauthorized: false } })
  void [io7, rj4]
  const host: string = io1.host
  const port: number = io1.port
  const id: string = io1.id
  void [io2, io3, io4, io5, io6, host, port, id]

  // RedisJsClient.
  const socket: RedisJsSocketOptions = { host: 'redis-e', port: 6379, tls: true, connectTimeout: 800 }
  const rjOptions: RedisJsClientOptions = {
    url: 'redis://redis-e:6379',
    username: 'default',
    password: 'secret',
    database: 2,
    socket,
  }
  const rj1 = new RedisJsClient()
  const rj2 = new RedisJsClient(rjOptions)
  const rj3 = new RedlockCjs.RedisJsClient({ url: 'redis://127.0.0.1:6390' })
  const url: string = rj2.url
  const rjHost: string = rj2.host
  const rjPort: number = rj2.port
  const rjId: string = rj2.id
  void [rj1, rj3, url, rjHost, rjPort, rjId]

  // Client methods.
  await io1.connect()
  const granted: boolean = await io1.acquireLock('res', 1000)
  const grantedWithId: boolean = await rj1.acquireLock('res', 1000, 'my-id')
  const released: void = await io1.releaseLock('res', io1.id)
  await rj1.releaseLock('res', 'my-id')
  await rj1.connect()
  await io1.quit()
  await rj1.quit()
  void [granted, grantedWithId, released]

  // Redlock.
  const settings: Settings = {
    driftFactor: 0.01,
    retryCount: -1,
    retryDelay: 200,
    retryJitter: 100,
    automaticExtensionThreshold: 500,
    nodeTimeout: 100,
  }
  const clients: Client[] = [io2, io3, rj2]
  const redlock = new Redlock(clients, settings)
  const redlockDefaults = new Redlock([io4, io5, rj3] as const)
  const fromCjs = new RedlockCjs([io6])
  const fromDefault = new Redlock.default([io6], {})
  const resolved: ResolvedSettings = redlock.settings
  const retryCount: number = resolved.retryCount
  const nodeTimeout: number | undefined = resolved.nodeTimeout
  const members: ReadonlySet<Client> = redlock.clients
  const memberCount: number = redlock.clients.size
  const hasMember: boolean = redlock.clients.has(io2)
  const redlockId: string = redlock.id
  const quorum: number = redlock.quorum
  const perNode: number = redlock.nodeTimeoutFor(5000)
  void [redlockDefaults, fromCjs, fromDefault, retryCount, nodeTimeout, members, memberCount, hasMember, redlockId, quorum, perNode]

  const fencedToken: number | false = await redlock.acquireFencedLock('orders:42', 5000)
  void fencedToken
  const ok: boolean = await redlock.acquireLock('orders:42', 5000)
  if (ok) {
    await redlock.releaseLock('orders:42', redlock.id)
  }
  const okWithId: boolean = await redlock.acquireLock('orders:43', 5000, 'explicit-id')
  void okWithId
  try {
    await redlock.acquireLock('orders:44', 5000)
  } catch (err) {
    if (err instanceof Error) console.error(err.message)
  }
  await redlock.quit()

  // ---- Wrong uses: each line below must be a type error. ----

  // @ts-expect-error ttl must be a number
  void redlock.acquireLock('res', '1000')
  // @ts-expect-error resource is required
  void redlock.acquireLock()
  // @ts-expect-error ttl is required
  void redlock.acquireLock('res')
  // @ts-expect-error lockId must be a string
  void redlock.acquireLock('res', 1000, 42)
  // @ts-expect-error releaseLock needs the lockId
  void redlock.releaseLock('res')
  // @ts-expect-error acquireLock resolves a boolean, not a lock object
  const notALock: { release(): Promise<void> } = await redlock.acquireLock('res', 1000)
  void notALock
  // @ts-expect-error settings are read-only
  redlock.settings.retryCount = 1
  // @ts-expect-error the settings object cannot be replaced
  redlock.settings = settings
  // @ts-expect-error id is read-only
  redlock.id = 'x'
  // @ts-expect-error quorum is read-only
  redlock.quorum = 1
  // @ts-expect-error clients is read-only
  redlock.clients = []
  // @ts-expect-error the clients set is read-only
  redlock.clients.add(io1)
  // @ts-expect-error unknown setting name (typo)
  void new Redlock([io1], { retryCnt: 3 })
  // @ts-expect-error settings values are numbers
  void new Redlock([io1], { retryCount: '3' })
  // @ts-expect-error a client entry must be a client, a URL or connection options (typo: hots)
  void new Redlock([{ hots: 'x' }])
  // @ts-expect-error clients must be a list, not one URL
  void new Redlock('redis://127.0.0.1:6379')
  // @ts-expect-error a client entry cannot be a number
  void new Redlock([6379])
  // @ts-expect-error clients are required
  void new Redlock()
  // @ts-expect-error nodeTimeoutFor takes a number
  void redlock.nodeTimeoutFor('5000')
  // @ts-expect-error an IoredisClient is not a RedisJsClient
  const notRj: RedisJsClient = io1
  void notRj
  // @ts-expect-error IoredisClient has no url property
  void io1.url
  // @ts-expect-error client id is read-only
  io1.id = 'x'
  // @ts-expect-error IoredisClient options use `db`, not `database`
  void new IoredisClient({ database: 1 })
  // @ts-expect-error RedisJsClient options use `database`, not `db`
  void new RedisJsClient({ db: 1 })
  // @ts-expect-error RedisJsClient takes an options object, not a port
  void new RedisJsClient(6379)
  // @ts-expect-error port must be a number
  void new IoredisClient({ port: '6379' })
  // @ts-expect-error socket.tls is a boolean
  void new RedisJsClient({ socket: { tls: 'yes' } })
  // @ts-expect-error tls.ca is PEM text or a Buffer
  void new IoredisClient({ tls: { ca: 42 } })
  // @ts-expect-error tls.rejectUnauthorized is a boolean
  void new RedisJsClient({ socket: { tls: true, rejectUnauthorized: 'no' } })
  // @ts-expect-error client acquireLock needs a ttl
  void io1.acquireLock('res')
}

void usage
