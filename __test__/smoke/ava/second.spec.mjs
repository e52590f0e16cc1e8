import test from 'ava'
import Redlock from '../../../index.mjs'

test('a second worker loads the addon too', async (t) => {
  const redlock = new Redlock([`redis://127.0.0.1:${process.env.REDLOCK_SMOKE_PORT}`], { retryCount: 0 })
  t.true(await redlock.acquireLock(`ava:second:${Math.random()}`, 1000))
  await redlock.quit()
})
