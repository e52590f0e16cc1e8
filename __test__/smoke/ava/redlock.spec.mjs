// Runs under ava 7 with worker threads (ava's default), as users run it.
import test from 'ava'
import Redlock, { ExecutionError } from '../../../index.mjs'

const url = () => `redis://127.0.0.1:${process.env.REDLOCK_SMOKE_PORT}`

test('acquire, contention and release work in an ava worker', async (t) => {
  const redlock = new Redlock([url()], { retryCount: 0 })
  const r = `ava:${process.pid}:${Math.random()}`
  const lock = await redlock.acquire([r], 2000)
  t.regex(lock.value, /^[0-9a-f]{32}$/)
  await t.throwsAsync(redlock.acquire([r], 1000), { instanceOf: ExecutionError })
  await lock.release()
  await redlock.quit()
})

test('using() works in an ava worker', async (t) => {
  const redlock = new Redlock([url()], { retryCount: 0 })
  t.is(await redlock.using([`ava:u:${Math.random()}`], 1000, async () => 'ok'), 'ok')
  await redlock.quit()
})
