// ESM entry: the same classes as the CommonJS entry (one module instance).
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const Redlock = require('./index.js')

export default Redlock
export const {
  Lock,
  ResourceLockedError,
  ExecutionError,
  LockError,
  IoredisClient,
  RedisJsClient,
} = Redlock
export { Redlock }
