// A jest suite as users write it for `redlock` v5, with ioredis mocked by ioredis-mock. The same
// file runs against npm's `redlock` and against redlock-rs: only the module named on the
// `require` line differs (REDLOCK_MODULE, set by __test__/projects.test.mjs).
jest.mock('ioredis', () => require('ioredis-mock'))

const Redis = require('ioredis')
const { default: Redlock, ExecutionError } = require(process.env.REDLOCK_MODULE || 'redlock')

let redis
let redlock

beforeEach(async () => {
  redis = new Redis()
  await redis.flushall()
  redlock = new Redlock([redis], { retryCount: 0 })
})

test('acquires, extends and releases a lock', async () => {
  const lock = await redlock.acquire(['orders:42'], 2000)
  expect(await redis.get('orders:42')).toBe(lock.value)

  const extended = await lock.extend(10000)
  expect(await redis.pttl('orders:42')).toBeGreaterThan(5000)

  await extended.release()
  expect(await redis.get('orders:42')).toBeNull()
})

test('refuses a resource that is already locked', async () => {
  const lock = await redlock.acquire(['orders:43'], 5000)
  const other = new Redlock([redis], { retryCount: 0 })
  await expect(other.acquire(['orders:43'], 5000)).rejects.toBeInstanceOf(ExecutionError)
  await lock.release()
  const mine = await other.acquire(['orders:43'], 5000)
  expect(await redis.get('orders:43')).toBe(mine.value)
  await mine.release()
})

test('using() holds the lock while the routine runs, then releases it', async () => {
  const seen = await redlock.using(['orders:44'], 2000, async (signal) => {
    expect(signal.aborted).toBe(false)
    return redis.get('orders:44')
  })
  expect(seen).toEqual(expect.any(String))
  expect(await redis.get('orders:44')).toBeNull()
})
