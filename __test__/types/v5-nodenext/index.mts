// node-redlock v5 code (README examples) in an ES module under `module: nodenext`, with only the
// package name changed. 'redlock-rs' resolves through the package's `exports` (`types` first).
// Compile-only: never executed.
import { Redis } from 'ioredis'
import Redlock, { ExecutionError, Lock, ResourceLockedError } from 'redlock-rs'
import type { ExecutionResult, ExecutionStats, RedlockAbortSignal, Settings } from 'redlock-rs'

const redlock = new Redlock(
  [new Redis({ host: 'a.redis.example.com' }), new Redis({ host: 'b.redis.example.com' }), new Redis({ host: 'c.redis.example.com' })],
  { driftFactor: 0.01, retryCount: 10, retryDelay: 200, retryJitter: 200, automaticExtensionThreshold: 500 },
)

redlock.on('error', (error) => {
  if (error instanceof ResourceLockedError) return
  console.error(error)
})

const routine = async (signal: RedlockAbortSignal): Promise<string> => {
  if (signal.aborted) throw signal.error
  return 'done'
}
const done: string = await redlock.using(['a', 'b'], 5000, routine)
const doneWithSettings: string = await redlock.using(['a', 'b'], 5000, { retryCount: 2 }, routine)

let lock: Lock = await redlock.acquire(['a'], 5000)
try {
  lock = await lock.extend(5000)
} catch (error) {
  if (error instanceof ExecutionError) console.error(error.message, error.attempts.length)
} finally {
  const result: ExecutionResult = await lock.release()
  const stats: ExecutionStats[] = await Promise.all(result.attempts)
  void stats
}

const settings: Settings = redlock.settings
void [done, doneWithSettings, settings]
await redlock.quit()

// The statics are the same classes.
const SameLock: typeof Lock = Redlock.Lock
const SameError: typeof ExecutionError = Redlock.ExecutionError
void [SameLock, SameError]

// @ts-expect-error v5 resources are an array (a bare string with settings is neither API)
void redlock.acquire('a', 5000, {})
