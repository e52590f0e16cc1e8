// A CommonJS module (.cts) under `module: nodenext`: the three ways CommonJS code names the class.
// Compile-only: never executed.
import Redlock = require('redlock-rs')
import RedlockDefault from 'redlock-rs'

const { default: ViaDefault, Redlock: ViaName, ExecutionError } = Redlock

const a: Redlock = new Redlock(['redis://127.0.0.1:7001'])
const b: RedlockDefault = new ViaDefault(['redis://127.0.0.1:7002'])
const c: Redlock = new ViaName(['redis://127.0.0.1:7003'])

async function main(): Promise<void> {
  try {
    const lock: Redlock.Lock = await a.acquire(['r'], 1000)
    await lock.release()
  } catch (error) {
    if (error instanceof ExecutionError) console.error(error.reason, error.detail)
  }
  await Promise.all([a.quit(), b.quit(), c.quit()])
}
void main
