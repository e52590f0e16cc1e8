// Runs under jest: each test file gets its own vm context and module registry.
const url = `redis://127.0.0.1:${process.env.REDLOCK_SMOKE_PORT}`

test('acquire, using and release work inside jest', async () => {
  const Redlock = require('../../../index.js')
  const redlock = new Redlock([url], { retryCount: 0 })
  const lock = await redlock.acquire([`jest:${process.pid}`], 2000)
  expect(lock.value).toMatch(/^[0-9a-f]{32}$/)
  await expect(redlock.acquire([`jest:${process.pid}`], 1000)).rejects.toThrow(Redlock.ExecutionError)
  expect(await redlock.using([`jest:u:${process.pid}`], 1000, async (signal) => signal.aborted)).toBe(false)
  await lock.release()
  await redlock.quit()
})

test('the module survives a registry reset (jest.resetModules)', async () => {
  jest.resetModules()
  const Again = require('../../../index.js')
  const redlock = new Again([url], { retryCount: 0 })
  const lock = await redlock.acquire([`jest:reset:${process.pid}`], 1000)
  expect(lock).toBeInstanceOf(Again.Lock)
  await lock.release()
  await redlock.quit()
})

test('errors are Error instances in this context', async () => {
  const Redlock = require('../../../index.js')
  expect(() => new Redlock([])).toThrow(TypeError)
  const redlock = new Redlock([url])
  const empty = redlock.acquire([], 1000)
  await expect(empty).rejects.toThrow(RangeError)
  await expect(empty).rejects.toThrow('resources must name at least one resource.')
  await redlock.quit()
})
