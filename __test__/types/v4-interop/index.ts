// node-redlock v4 code written against DefinitelyTyped's @types/redlock (its README examples and
// the @types/redlock tests), with only the package name changed; CommonJS with esModuleInterop.
// Compile-only: never executed.
import Redlock from 'redlock-rs'
import { Lock } from 'redlock-rs'
import IoRedisClient from 'ioredis'
import { using } from 'bluebird'
import { createClient } from 'redis-v3' // node-redis v3, as in the v4 README (`require('redis')`)

const client1 = new IoRedisClient({ port: 6379, host: 'redis1.example.com' })
const client2 = new IoRedisClient({ port: 6379, host: 'redis2.example.com' })
const client3 = new IoRedisClient({ port: 6379, host: 'redis3.example.com' })

const redlock = new Redlock(
  // you should have one client for each independent redis node
  // or cluster
  [client1, client2, client3],
  {
    // the expected clock drift; for more details
    // see http://redis.io/topics/distlock
    driftFactor: 0.01, // multiplied by lock ttl to determine drift time

    // the max number of times Redlock will attempt
    // to lock a resource before erroring
    retryCount: 10,

    // the time in ms between attempts
    retryDelay: 200, // time in ms

    // the max time in ms randomly added to retries
    // to improve performance under high contention
    // see https://www.awsarchitectureblog.com/2015/03/backoff.html
    retryJitter: 200, // time in ms
  },
)

redlock.on('clientError', (err) => {
  console.error('A redis error has occurred:', err)
})

// The v4 README's clients: node-redis v3.
const redisV3 = new Redlock([createClient(6379, 'redis1.example.com'), createClient(6379, 'redis2.example.com'), createClient(6379, 'redis3.example.com')])
void redisV3

// ---- Promise style (v4 README) ----
const resource = 'locks:account:322456'
const ttl = 1000

redlock.lock(resource, ttl).then(function (lock) {
  // ...do something here...

  // unlock your resource when you are done
  return lock.unlock().catch(function (err) {
    // we weren't able to reach redis; your lock will eventually
    // expire, but you probably want to log this error
    console.error(err)
  })
})

redlock.lock('locks:account:322456', 1000).then(function (lock) {
  // this will extend the lock so that it expires
  // approximitely 1s from when `extend` is called
  return lock.extend(1000).then(function (lock) {
    return lock.unlock().catch(function (err) {
      console.error(err)
    })
  })
})

// ---- Disposer style (v4 README; types as in @types/redlock's tests) ----
function unlockErrorHandler(err: any) {
  console.error(err)
}

using<Lock, void>(redlock.disposer(resource, ttl, unlockErrorHandler), function (lock) {
  // ...do something here...
  return Promise.resolve()
}) // <-- unlock is automatically handled by bluebird

using<Lock, void>(redlock.disposer('locks:account:322456', 1000, unlockErrorHandler), function (lock) {
  return lock.extend(1000).then(function (extended: Lock) {
    // Note that redlock modifies the original lock,
    // so the vars `lock` and `extended` point to the
    // exact same object
  })
})

// ---- Callback style (v4 README) ----
redlock.lock(resource, ttl, function (err, lock) {
  // we failed to lock the resource
  if (err || !lock) {
    // ...
  }

  // we have the lock
  else {
    // unlock your resource when you are done
    lock.unlock(function (err) {
      // we weren't able to reach redis; your lock will eventually
      // expire, but you probably want to log this error
      console.error(err)
    })
  }
})

redlock.lock('locks:account:322456', 1000, function (err, lock) {
  if (err || !lock) {
    // ...
  } else {
    lock.extend(1000, function (err, lock) {
      if (err || !lock) {
        // ...
      } else {
        lock.unlock()
      }
    })
  }
})

// ---- Locking multiple resources (v4 README) ----
redlock.lock(['locks:account:322456', 'locks:account:322457', 'locks:account:322458'], 1000).then(function (lock) {
  return lock.extend(1000).then(function (lock) {
    return lock.unlock().catch(function (err) {
      console.error(err)
    })
  })
})

// ---- The rest of @types/redlock's surface ----
redlock.acquire('resource', 30).then((lock: Lock) => {})
redlock.acquire('resource', 30, (err: any, lock: Lock) => {})
redlock.acquire('resource', 30, (err: any, lock?: Lock) => {})
redlock.lock('resource', 30).then((lock: Lock) => {})
redlock.lock('resource', 30, (err: any, lock: Lock) => {})
redlock.lock('resource', 30, (err: any, lock?: Lock) => {})

async function more(lock: Lock): Promise<void> {
  redlock.release(lock)
  redlock.release(lock, (err: any) => {})
  redlock.unlock(lock)
  redlock.unlock(lock, (err: any) => {})
  const unlocked: void = await redlock.unlock(lock)
  void unlocked

  redlock.extend(lock, 30).then((lock: Lock) => {})
  redlock.extend(lock, 30, (err: any, lock: Lock) => {})
  redlock.extend(lock, 30, (err: any, lock?: Lock) => {})

  lock.unlock()
  lock.unlock((err) => {
    if (err instanceof Redlock.LockError) {
      console.error(`attempts=${err.attempts}`)
    }
  })
  lock.extend(30).then((lock: Lock) => {})
  lock.extend(30, (err: any, lock: Lock) => {})
  lock.extend(30, (err: any, lock?: Lock) => {})

  // v4.2's per-call options.
  const withOptions: Lock = await redlock.lockWithOptions('resource', 1000, { retryCount: 0, retryDelay: 50 })
  await redlock.acquireWithOptions(['a', 'b'], 1000, { retryCount: 2 }, (err, lock) => {})
  void withOptions

  // Lock fields (v4 names).
  const res: string | string[] = lock.resource
  const value: string = lock.value
  const expiration: number = lock.expiration
  const owner: Redlock = lock.redlock
  void [res, value, expiration, owner]

  // Errors.
  try {
    await redlock.lock('busy', 1000)
  } catch (err) {
    if (err instanceof Redlock.LockError) {
      const attempts: number = err.attempts
      const name: string = err.name
      void [attempts, name]
    }
  }
  const lockError: Redlock.LockError = new Redlock.LockError('failed')
  const isLock: boolean = new Object() instanceof Redlock.Lock
  void [lockError, isLock]

  // Instance fields.
  const fields: number[] = [redlock.driftFactor, redlock.retryCount, redlock.retryDelay, redlock.retryJitter]
  const servers: ReadonlyArray<Redlock.CompatibleRedisClient> = redlock.servers
  void [fields, servers]

  redlock.quit()
  redlock.quit(() => {})
  redlock.quit().then(() => {})
}
void more

// ---- What 4.2.0 gives at run time: Bluebird promises, numeric attempts, quit's results ----
async function bluebirdAndAttempts(): Promise<void> {
  const lock = await redlock.lock(resource, ttl)
  // A number, as @types/redlock types it.
  const attempts: number = lock.attempts
  if (lock.attempts === 1 && lock.attempts > 0) console.log(lock.attempts + 1)
  const remaining: number = lock.attemptsRemaining - 1
  void [attempts, remaining]
  // Extended in place: still numeric attempts.
  const extended = await lock.extend(1000)
  const again: number = extended.attempts
  const viaRedlock = await redlock.extend(lock, 1000).tap((l) => console.log(l.attemptsRemaining))
  void [again, viaRedlock.attempts * 2]
  // Bluebird's methods on every v4 entry point.
  redlock.lock(resource, ttl).done(
    (l) => {
      const n: number = l.attempts
      void n
    },
    (err) => console.error(err),
  )
  const late = await redlock.lock(resource, ttl).timeout(5000, 'too slow').catch(Redlock.LockError, (err) => err.attempts)
  if (typeof late === 'number') console.log(`gave up after ${late} attempts`)
  await redlock.lockWithOptions(resource, ttl, { retryCount: 0 }).nodeify((err, l) => l.unlock())
  await redlock.unlock(lock).asCallback((err) => console.error(err)).delay(10).return('done')
  await lock.unlock().tapCatch((err) => console.error(err)).catch(() => undefined)
  const released: string = await redlock.release(lock, () => {}).thenReturn('released')
  void released
  // Still usable where v4 code names the type `Lock`.
  const asLock: Lock = lock
  void asLock
  // quit() resolves the clients' results (and still fits a `Promise<void>`).
  const results = await redlock.quit()
  console.log(results.length)
  redlock.quit((err, res) => console.log(res.length)).done()
}
void bluebirdAndAttempts

// ---- Wrong uses ----
// @ts-expect-error Bluebird's filtered catch gives the filtered class
void redlock.lock('r', 1).catch(Redlock.LockError, (err) => err.votesFor)
// @ts-expect-error ttl must be a number
void redlock.lock('resource', '1000')
// @ts-expect-error LockError.attempts is a number
const notArray: unknown[] = new Redlock.LockError().attempts
void notArray
// @ts-expect-error the v4 fields are read-only
redlock.retryCount = 3
// @ts-expect-error lockWithOptions needs its options
void redlock.lockWithOptions('resource', 1000)
