// `await using` (TypeScript ≥ 5.2, downlevelled for Node 20): compiled and run against real
// servers by __test__/await-using.test.mjs, which reads the JSON line printed at the end.
import Redlock, { ExecutionError, Lock } from 'redlock-rs'

const urls = (process.env.REDLOCK_URLS ?? '').split(',')
const resource = process.env.RESOURCE ?? 'await-using'
const redlock = new Redlock(urls, { retryCount: 0 })

async function refused(): Promise<string> {
  try {
    const other = await redlock.acquire([resource], 1000)
    await other.release()
    return 'granted'
  } catch (e) {
    return e instanceof ExecutionError ? 'ExecutionError' : String(e)
  }
}

async function main(): Promise<void> {
  const out: Record<string, unknown> = {}
  {
    await using lock = await redlock.acquire([resource], 10_000)
    out.value = lock.value
    out.insideBlock = await refused()
  }
  out.afterBlock = await refused()

  try {
    await using lock: Lock = await redlock.acquire([resource], 10_000)
    out.thrownValue = lock.value
    throw new Error('boom')
  } catch (e) {
    out.thrown = (e as Error).message
  }
  out.afterThrow = await refused()

  {
    await using lock = await redlock.acquire([resource], 10_000)
    await lock.release()
  }
  out.disposeAfterRelease = 'no throw'

  await redlock.quit()
  console.log(JSON.stringify(out))
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
