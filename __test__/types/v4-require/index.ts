// node-redlock v4 code in the `import X = require()` style of @types/redlock's own tests,
// compiled as CommonJS with neither esModuleInterop nor allowSyntheticDefaultImports, with only
// the package name changed. Compile-only: never executed.
import Redlock = require('redlock-rs')
import { Redis as IoRedisClient } from 'ioredis' // ioredis 5 has no `export =`

type Lock = Redlock.Lock

const client1 = new IoRedisClient({ port: 6379, host: 'redis1.example.com' })
const client2 = new IoRedisClient({ port: 6379, host: 'redis2.example.com' })
const client3 = new IoRedisClient({ port: 6379, host: 'redis3.example.com' })

const redlock = new Redlock([client1, client2, client3], {
  driftFactor: 0.01,
  retryCount: 10,
  retryDelay: 200,
  retryJitter: 200,
})

const options: Redlock.Options = {
  retryCount: 3,
  lockScript: (origLockScript) => origLockScript,
  unlockScript: 'custom unlock script',
  extendScript: undefined,
}
const other = new Redlock([client1], options)
void other

redlock.on('clientError', (err: any) => {
  console.error('A redis error has occurred:', err)
})

redlock.lock('locks:account:322456', 1000).then((lock) => {
  return lock.unlock().catch((err) => {
    console.error(err)
  })
})

redlock.lock('locks:account:322456', 1000).then((lock) => {
  return lock.extend(1000).then((lock) => {
    return lock.unlock().catch((err) => {
      console.error(err)
    })
  })
})

redlock.lock('locks:account:322456', 1000, (err, lock) => {
  if (err || !lock) {
    return
  }
  lock.extend(1000, (err, lock) => {
    if (err || !lock) {
      return
    }
    lock.unlock((err) => {
      if (err instanceof Redlock.LockError) {
        console.error(`attempts=${err.attempts}`)
      }
    })
  })
})

const manual: Lock = new Redlock.Lock(redlock, ['resource-to-lock-name'], 'value-to-store-with-resource', [], Date.now() + 200)
redlock.release(manual, (err: any) => {})
redlock.unlock(manual)

const callback: Redlock.Callback<Lock> = (err, lock) => {
  if (!err) console.log(lock.resource)
}
redlock.acquire(['a', 'b'], 1000, callback)

// The v5 classes are reachable as statics too.
const errorClasses = [Redlock.ExecutionError, Redlock.ResourceLockedError, Redlock.LockError]
void errorClasses

redlock.quit(() => {})

// ---- Wrong uses ----
// @ts-expect-error v4's Lock constructor argument order is not supported (resources, value, attempts, expiration)
void new Redlock.Lock(redlock, 'resource-to-lock-name', 'value', 200, 2)
// @ts-expect-error unlock takes a Lock
void redlock.unlock('locks:account:322456')
// @ts-expect-error node-redis v3-style clients (callback `eval`) are not supported
void new Redlock([{ eval: (args: Array<string | number>, callback?: (err: Error | null, res: any) => void) => undefined }])
