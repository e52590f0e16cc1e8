// node-redlock v5 code under `moduleResolution: bundler` + `module: esnext` with
// verbatimModuleSyntax (the setup of Vite-style and modern bundled Node projects). 'redlock-rs'
// resolves through the package's `exports` (`types` first). Compile-only: never executed.
import Redis from 'ioredis'
import Redlock, { ExecutionError, Lock, ResourceLockedError } from 'redlock-rs'
import { type ExecutionStats, type RedlockAbortSignal, type Settings } from 'redlock-rs'

const settings: Partial<Settings> = { retryCount: 5, retryJitter: 50 }
const redlock = new Redlock([new Redis(6379, 'a.redis.example.com'), new Redis(6379, 'b.redis.example.com'), new Redis(6379, 'c.redis.example.com')], settings)

redlock.on('error', (error: Error) => {
  if (error instanceof ResourceLockedError) return
  console.error(error)
})

export async function transfer(from: string, to: string): Promise<void> {
  await redlock.using([from, to], 5000, async (signal: RedlockAbortSignal) => {
    if (signal.aborted) throw signal.error
  })
}

export async function manual(): Promise<ExecutionStats | undefined> {
  let lock: Lock = await redlock.acquire(['a'], 5000)
  try {
    lock = await lock.extend(5000)
  } catch (error) {
    if (error instanceof ExecutionError) return error.attempts[0]
    throw error
  } finally {
    await lock.release()
  }
  return undefined
}

// @ts-expect-error the routine must be a function
void redlock.using(['a'], 5000, 'routine')

// exactOptionalPropertyTypes: settings left `undefined` mean "not overridden", as at run time.
declare const fromEnv: number | undefined
void new Redlock(['redis://127.0.0.1:7001'], { retryCount: fromEnv, nodeTimeout: undefined })
void redlock.acquire(['a'], 1000, { retryDelay: fromEnv, signal: undefined })
void redlock.using(['a'], 5000, { maxHoldTime: fromEnv }, async () => undefined)
