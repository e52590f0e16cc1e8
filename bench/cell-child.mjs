// One benchmark cell (implementation × scenario × node count × repetition) in a fresh process,
// started by run.mjs with --expose-gc. Libraries sharing a process share its heap, event loop and
// CPU account (`process.cpuUsage()` is per process), so each cell gets a process of its own.
//
//   node --expose-gc bench/cell-child.mjs '{"impl":"redlock-rs","scenario":"sequential",
//        "ports":[…],"cfg":{…profile…},"keyPrefix":"bench:redlock-rs:3:sequential:0"}'
//
// Prints one JSON line on stdout: the scenario's result, or { error }.

import { admins as openAdmins } from './lib/admin.mjs'
import { IMPLS } from './lib/impls.mjs'
import { SCENARIOS } from './lib/scenarios.mjs'

const { impl: name, scenario, ports, cfg, keyPrefix, budgetMs = 120000 } = JSON.parse(process.argv[2] ?? '{}')
const gc = globalThis.gc ?? (() => {})
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

// Hard bound on the whole child, whatever happens.
const hard = setTimeout(() => {
  process.stdout.write(JSON.stringify({ error: `${name} ${scenario}: timed out after ${budgetMs} ms` }) + '\n')
  process.exit(3)
}, budgetMs)
hard.unref()

async function main() {
  const impl = IMPLS[name]
  if (!impl) throw new Error(`unknown implementation ${name}`)
  if (!SCENARIOS[scenario]) throw new Error(`unknown scenario ${scenario}`)
  const settings = scenario === 'contention' ? cfg.contentionSettings : cfg.fastSettings
  const adapter = await impl.open(ports, settings)
  const admins = await openAdmins(ports)
  try {
    gc()
    await sleep(30)
    return await SCENARIOS[scenario](adapter, { cfg, admins, gc, key: (k) => `${keyPrefix}:${k}` })
  } finally {
    admins.close()
    await adapter.close().catch(() => {})
  }
}

main().then(
  (r) => {
    process.stdout.write(JSON.stringify(r) + '\n')
    process.exit(0)
  },
  (err) => {
    process.stdout.write(JSON.stringify({ error: String(err && err.stack ? err.stack : err) }) + '\n')
    process.exit(1)
  },
)
