// An ava suite as users write it for `redlock` v5, giving it an ioredis-mock. The same file runs
// against npm's `redlock` and against redlock-rs: only the module named on the `require` line
// differs (REDLOCK_MODULE, set by __test__/projects.test.mjs).
const test = require('ava')
const Redis = require('ioredis-mock')

const { default: Redlock, ExecutionError } = require(process.env.REDLOCK_MODULE || 'redlock')

test.beforeEach(async (t) => {
  const redis = new Redis()
  await redis.flushall()
  t.context = { redis, redlock: new Redlock([redis], { retryCount: 0 }) }
})

test.serial('acquires, extends and releases a lock', async (t) => {
  const { redis, redlock } = t.context
  const lock = await redlock.acquire(['orders:42'], 2000)
  t.is(await redis.get('orders:42'), lock.value)

  const extended = await lock.extend(10000)
  t.true((await redis.pttl('orders:42')) > 5000)

  await extended.release()
  t.is(await redis.get('orders:42'), null)
})

test.serial('refuses a resource that is already locked', async (t) => {
  const { redis, redlock } = t.context
  const lock = await redlock.acquire(['orders:43'], 5000)
  const other = new Redlock([redis], { retryCount: 0 })
  await t.throwsAsync(other.acquire(['orders:43'], 5000), { instanceOf: ExecutionError })
  await lock.release()
  const mine = await other.acquire(['orders:43'], 5000)
  t.is(await redis.get('orders:43'), mine.value)
  await mine.release()
})

test.serial('using() holds the lock while the routine runs, then releases it', async (t) => {
  const { redis, redlock } = t.context
  const seen = await redlock.using(['orders:44'], 2000, async (signal) => {
    t.false(signal.aborted)
    return redis.get('orders:44')
  })
  t.is(typeof seen, 'string')
  t.is(await redis.get('orders:44'), null)
})
