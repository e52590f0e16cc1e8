// node-redlock v5 code in a NestJS service, compiled with the tsconfig `nest new` generates
// (commonjs, allowSyntheticDefaultImports, no esModuleInterop). The default import is used as a
// type (`private redlock: Redlock`) and for `new`. Compile-only: never executed.
import Redis from 'ioredis'
import Redlock, { ExecutionError, Lock, ResourceLockedError } from 'redlock-rs'
import type { Settings } from 'redlock-rs'

// Stand-ins for @nestjs/common's decorators (not installed here).
function Injectable(): ClassDecorator {
  return () => undefined
}
function Inject(token: string): ParameterDecorator {
  void token
  return () => undefined
}
interface OnModuleDestroy {
  onModuleDestroy(): Promise<void>
}

export const REDLOCK = 'REDLOCK'

export function redlockFactory(): Redlock {
  const settings: Partial<Settings> = { retryCount: 3, retryDelay: 150, automaticExtensionThreshold: 500 }
  return new Redlock(
    [new Redis({ host: 'redis-1' }), new Redis({ host: 'redis-2' }), new Redis({ host: 'redis-3' })],
    settings,
  )
}

@Injectable()
export class LockService implements OnModuleDestroy {
  private lastLock: Lock | null = null

  constructor(@Inject(REDLOCK) private readonly redlock: Redlock) {
    this.redlock.on('error', (error) => {
      if (error instanceof ResourceLockedError) return
      console.error('redlock error', error)
    })
  }

  async withLock<T>(key: string, work: () => Promise<T>): Promise<T> {
    return this.redlock.using([`locks:${key}`], 5000, async (signal) => {
      const result = await work()
      if (signal.aborted) throw signal.error
      return result
    })
  }

  async take(key: string): Promise<Lock | undefined> {
    try {
      this.lastLock = await this.redlock.acquire([`locks:${key}`], 10_000)
      return this.lastLock
    } catch (error) {
      if (error instanceof ExecutionError) return undefined
      throw error
    }
  }

  async give(): Promise<void> {
    if (this.lastLock) await this.lastLock.release()
    this.lastLock = null
  }

  async onModuleDestroy(): Promise<void> {
    await this.redlock.quit()
  }
}

// @ts-expect-error Redlock is a class, not a string
const notRedlock: Redlock = 'redlock'
void notRedlock
