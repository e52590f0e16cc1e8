// node-redlock v5 code (its README examples), with only the package name changed, compiled as
// CommonJS with esModuleInterop. Compile-only: never executed.
import Client, { Cluster } from 'ioredis'
import { createClient, createCluster } from 'redis'
import Redlock, { ResourceLockedError, ExecutionError, Lock } from 'redlock-rs'
import type { Settings, ExecutionStats, ExecutionResult, RedlockAbortSignal, ClientExecutionResult } from 'redlock-rs'

// ---- Configuration (v5 README) ----
const redisA = new Client({ host: 'a.redis.example.com' })
const redisB = new Client({ host: 'b.redis.example.com' })
const redisC = new Client({ host: 'c.redis.example.com' })

const redlock = new Redlock(
  // You should have one client for each independent redis node
  // or cluster.
  [redisA, redisB, redisC],
  {
    // The expected clock drift; for more details see:
    // http://redis.io/topics/distlock
    driftFactor: 0.01, // multiplied by lock ttl to determine drift time

    // The max number of times Redlock will attempt to lock a resource
    // before erroring.
    retryCount: 10,

    // the time in ms between attempts
    retryDelay: 200, // time in ms

    // the max time in ms randomly added to retries
    // to improve performance under high contention
    // see https://www.awsarchitectureblog.com/2015/03/backoff.html
    retryJitter: 200, // time in ms

    // The minimum remaining time on a lock before an extension is automatically
    // attempted with the `using` API.
    automaticExtensionThreshold: 500, // time in ms
  },
)

// ---- Error handling (v5 README) ----
redlock.on('error', (error) => {
  // Ignore cases where a resource is explicitly marked as locked on a client.
  if (error instanceof ResourceLockedError) {
    return
  }

  // Log all other errors.
  console.error(error)
})

declare function something(): Promise<void>
declare function somethingElse(): Promise<void>
declare function getBalance(id: string): Promise<number>
declare function setBalances(balances: Array<{ id: string; balance: number }>): Promise<void>

async function usage(senderId: string, recipientId: string, amountToSend: number): Promise<void> {
  // ---- Usage: using (v5 README) ----
  await redlock.using([senderId, recipientId], 5000, async (signal) => {
    // Do something...
    await something()

    // Make sure any attempted lock extension has not failed.
    if (signal.aborted) {
      throw signal.error
    }

    // Do something else...
    await somethingElse()
  })

  // With settings (the example in node-redlock's index.d.ts).
  await redlock.using([senderId, recipientId], 5000, { retryCount: 5 }, async (signal) => {
    const senderBalance = await getBalance(senderId)
    const recipientBalance = await getBalance(recipientId)

    if (senderBalance < amountToSend) {
      throw new Error('Insufficient balance.')
    }

    if (signal.aborted) {
      throw signal.error
    }

    await setBalances([
      { id: senderId, balance: senderBalance - amountToSend },
      { id: recipientId, balance: recipientBalance + amountToSend },
    ])
  })

  // The routine's value comes back typed.
  const total: number = await redlock.using(['report'], 10_000, async () => 42)
  const label: string = await redlock.using<string>(['report'], 10_000, {}, async (signal: RedlockAbortSignal) => {
    const err: Error | undefined = signal.error
    return err ? err.message : 'ok'
  })
  void [total, label]

  // ---- Fencing tokens (redlock-rs addition, docs/fencing.md) ----
  const fencedRedlock = new Redlock([redisA, redisB, redisC], { fencing: true })
  const fenced = await fencedRedlock.acquire(['a'], 5000, { fencing: true })
  const token: number | undefined = fenced.fencingToken
  const kept: number | undefined = (await fenced.extend(5000)).fencingToken
  const inRoutine: number | undefined = await redlock.using(['a'], 5000, { fencing: true }, async (_signal, held: Lock) => held.fencingToken)
  const fencingOn: boolean | undefined = fencedRedlock.settings.fencing
  void [token, kept, inRoutine, fencingOn]
  // @ts-expect-error fencing is a boolean
  void redlock.acquire(['a'], 5000, { fencing: 'yes' })

  // ---- Usage: acquire / extend / release (v5 README) ----
  // Acquire a lock.
  let lock = await redlock.acquire(['a'], 5000)
  try {
    // Do something...
    await something()

    // Extend the lock.
    lock = await lock.extend(5000)

    // Do something else...
    await somethingElse()
  } finally {
    // Release the lock.
    await lock.release()
  }

  // The Redlock-level methods and their results.
  const lock2: Lock = await redlock.acquire(['b', 'c'], 5000, { retryCount: 0 })
  const extended: Lock = await redlock.extend(lock2, 5000, { retryDelay: 50 })
  const released: ExecutionResult = await redlock.release(extended)
  const stats: ExecutionStats[] = await Promise.all(released.attempts)
  for (const s of stats) {
    const { membershipSize, quorumSize, votesFor, votesAgainst } = s
    const voted: boolean = votesFor.has(redisA)
    votesAgainst.forEach((error: Error, client) => {
      if (client === redisB) console.error(error.message)
    })
    void [membershipSize, quorumSize, voted]
  }

  // Lock fields.
  const resources: string[] = lock2.resources
  const value: string = lock2.value
  const expiration: number = lock2.expiration
  const attempts: ReadonlyArray<Promise<ExecutionStats>> = lock2.attempts
  const owner: Redlock = lock2.redlock
  void [resources, value, expiration, attempts, owner]

  // Error inspection.
  try {
    await redlock.acquire(['busy'], 1000)
  } catch (error) {
    if (error instanceof ExecutionError) {
      const first = await error.attempts[0]
      console.error(error.message, first?.votesAgainst.size)
    }
  }

  // The settings.
  const settings: Settings = redlock.settings
  const partial: Partial<Settings> = { retryCount: 3 }
  const full: Settings = {
    driftFactor: 0.01,
    retryCount: 10,
    retryDelay: 200,
    retryJitter: 100,
    automaticExtensionThreshold: 500,
  }
  const again = new Redlock([redisA], partial)
  void [settings, full, again]

  // v5's Lock constructor and clients Set.
  const manual = new Lock(redlock, ['x'], 'value', [], Date.now() + 1000)
  const size: number = redlock.clients.size
  void [manual, size]

  // Lock-free helper (redlock-rs): null when held.
  const maybe: Lock | null = await redlock.tryAcquire(['maybe'], 1000)
  if (maybe) await maybe.release()

  // Quorum inspection (redlock-rs).
  const locked: boolean = await redlock.isLocked('a')
  const remaining: number = await redlock.remainingTtl('a')
  void [locked, remaining]

  // Per-call signal and using() caps (redlock-rs).
  const controller = new AbortController()
  await redlock.acquire(['sig'], 1000, { signal: controller.signal })
  await redlock.using(['cap'], 5000, { maxHoldTime: 60_000, maxExtensions: 10 }, async () => undefined)

  const result: ClientExecutionResult | undefined = undefined
  void result

  await redlock.quit()
}
void usage

// A v5 shutdown hook typed `Promise<void>` compiles although quit() resolves the clients' results.
class LockService {
  onModuleDestroy(): Promise<void> {
    return redlock.quit()
  }
}
void LockService

async function nativePromises(): Promise<void> {
  const lock = await redlock.acquire(['n'], 1000)
  // v5 locks keep the array of statistics.
  const first = await lock.attempts[0]
  void first
  // @ts-expect-error a v5 lock's attempts is no number
  void (lock.attempts + 1)
  // @ts-expect-error the v5 entry points return native Promises (no Bluebird .done())
  redlock.acquire(['n'], 1000).done()
  // @ts-expect-error the v5 entry points return native Promises (no Bluebird .timeout())
  void lock.extend(1000).timeout(10)
}
void nativePromises

// node-redis v4 clients, URLs and option objects are accepted as members too.
const nodeRedis = createClient({ url: 'redis://d.redis.example.com:6379' })
const mixed = new Redlock([redisA, nodeRedis, 'redis://e.redis.example.com:6379', { host: 'f.redis.example.com', port: 6380 }])
void mixed

// A Redis Cluster is one voter: ioredis Cluster, (connected) node-redis cluster, or seed lists.
const clusters = new Redlock([
  new Cluster([{ host: 'g.redis.example.com', port: 6379 }], { redisOptions: { password: 'secret' } }),
  createCluster({ rootNodes: [{ url: 'redis://h.redis.example.com:6379' }] }),
  { cluster: [{ host: 'i.redis.example.com', port: 6379 }, 'j.redis.example.com:6379', 'redis://k.redis.example.com:6379'], password: 'secret' },
])
void clusters

// Custom scripts (v5's third argument): strings or functions of the default script.
const scripted = new Redlock([redisA], {}, {
  acquireScript: (script) => script.replace('return #KEYS', 'return #KEYS -- custom'),
  extendScript: 'return 0',
  releaseScript: undefined,
})
const { value: acquireText, hash: acquireHash }: { value: string; hash: string } = scripted.scripts.acquireScript
void [acquireText, acquireHash]

// ---- Wrong uses ----
// @ts-expect-error v5 acquire takes an array of resources and settings (a string takes the v4 path, which has no settings)
void redlock.acquire('a', 1000, { retryCount: 1 })
// @ts-expect-error duration must be a number
void redlock.acquire(['a'], '1000')
// @ts-expect-error using needs a routine
void redlock.using(['a'], 5000, { retryCount: 1 })
// @ts-expect-error the routine's value is a number, not a string
const notAString: Promise<string> = redlock.using(['a'], 5000, async () => 42)
void notAString
// @ts-expect-error unknown setting
void redlock.acquire(['a'], 1000, { retryCont: 1 })
// @ts-expect-error settings are read-only
redlock.settings.retryCount = 1
// @ts-expect-error the clients Set is read-only
redlock.clients.add(redisA)
// @ts-expect-error a bare URL string is not a list of clients
void new Redlock('redis://a.redis.example.com')
// @ts-expect-error a client list cannot hold numbers
void new Redlock([6379])
// @ts-expect-error a script function returns the script text
void new Redlock([redisA], {}, { releaseScript: (script: string) => script.length })
// @ts-expect-error cluster seeds are objects, "host:port" strings or URLs
void new Redlock([{ cluster: [6379] }])
// @ts-expect-error isLocked takes one resource name
void redlock.isLocked(['a'])
// @ts-expect-error release takes a Lock
void redlock.release({ resources: ['a'], value: 'x' })
