// A second test file: a fresh vm context loads the addon again.
test('a second test file loads the addon again', async () => {
  const Redlock = require('../../../index.js')
  const redlock = new Redlock([`redis://127.0.0.1:${process.env.REDLOCK_SMOKE_PORT}`], { retryCount: 0 })
  expect(await redlock.acquireLock(`jest:second:${process.pid}`, 1000)).toBe(true)
  await redlock.quit()
})
