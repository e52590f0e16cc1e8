// The original redlock-rs API from an ES module under `module: nodenext`. 'redlock-rs' resolves
// through the package's `exports` to `types: ./index.d.ts`, as it does for users. Never executed.
import Redlock, { IoredisClient, RedisJsClient } from 'redlock-rs'
import type { Settings, Client } from 'redlock-rs'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const Required: typeof Redlock = require('redlock-rs') as typeof import('redlock-rs')

const settings: Partial<Settings> = { retryCount: 3, retryDelay: 100, nodeTimeout: 50 }
const clients: Client[] = [
  new IoredisClient({ port: 7001 }),
  new IoredisClient(7002, '127.0.0.1'),
  new RedisJsClient({ url: 'redis://127.0.0.1:7003' }),
]
const redlock = new Redlock(clients, settings)
const alsoRedlock = new Redlock.Redlock(clients)
const quorum: number = redlock.quorum
const granted: boolean = await redlock.acquireLock('res', 1000)
if (granted) await redlock.releaseLock('res', redlock.id)
await redlock.quit()
void [Required, alsoRedlock, quorum]

// @ts-expect-error ttl must be a number
void redlock.acquireLock('res', '1000')
// @ts-expect-error settings are read-only
redlock.settings.retryCount = 1
