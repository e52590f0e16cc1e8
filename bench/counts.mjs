// Counts per operation of redlock-rs, which the machine's load does not change the way it
// changes times: Redis commands (INFO commandstats, script-internal ones included), voluntary
// and involuntary context switches of the Node process (getrusage: every thread, the addon's
// tokio thread included), and — with `--allocs` — Rust heap allocations.
//
//   node bench/counts.mjs             the addon as built (or NAPI_RS_NATIVE_LIBRARY_PATH)
//   node bench/counts.mjs --allocs    first builds the count-alloc variant (cargo feature
//                                     `count-alloc`: a counting global allocator) into
//                                     target/count-alloc/redlock-rs.count-alloc.node and counts
//                                     with it; the addon the tests load is left alone
//
// COUNTS_NODES (default 1,3), COUNTS_PAIRS (default 5000, after 2000 of warm-up),
// COUNTS_WORKERS (default 64: the throughput case; 0 leaves it out). Each node count runs in a
// fresh process. Steady state: the warm-up fills every pool and cache first.

import { spawnSync, spawn } from 'node:child_process'
import { copyFileSync, mkdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(import.meta.url)
const HOST = '127.0.0.1'
const args = process.argv.slice(2)

if (args[0] === '--child') {
  await child(JSON.parse(args[1]))
} else {
  await parent()
}

async function parent() {
  const nodes = (process.env.COUNTS_NODES || '1,3').split(',').map(Number)
  const pairs = Number(process.env.COUNTS_PAIRS || 5000)
  const workers = Number(process.env.COUNTS_WORKERS ?? 64)
  const env = { ...process.env }
  if (args.includes('--allocs')) {
    console.error('building the count-alloc variant (cargo build --release --features count-alloc)…')
    const b = spawnSync('cargo', ['build', '--release', '--locked', '--features', 'count-alloc'], { cwd: ROOT, stdio: 'inherit' })
    if (b.status !== 0) process.exit(1)
    mkdirSync(path.join(ROOT, 'target', 'count-alloc'), { recursive: true })
    const lib = path.join(ROOT, 'target', 'count-alloc', 'redlock-rs.count-alloc.node')
    copyFileSync(path.join(ROOT, 'target', 'release', 'libredlock_rs.so'), lib)
    env.NAPI_RS_NATIVE_LIBRARY_PATH = lib
  }
  const { startServers, stopAll } = await import('../__test__/helpers/redis.mjs')
  const servers = await startServers(Math.max(...nodes))
  const rows = []
  try {
    for (const n of nodes) {
      const ports = servers.slice(0, n).map((s) => s.port)
      const out = await run(process.execPath, [fileURLToPath(import.meta.url), '--child', JSON.stringify({ ports, pairs, workers })], env)
      for (const r of out) rows.push({ nodes: n, ...r })
    }
  } finally {
    await stopAll()
  }
  const f = (x, d = 2) => (x == null ? '–' : x.toFixed(d))
  console.log('| case | nodes | ops | Redis cmds/op | vol. ctx switches/op | invol./op | Node CPU µs/op | Rust allocations/op |')
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|')
  for (const r of rows) {
    console.log(`| ${r.case} | ${r.nodes} | ${r.ops} | ${f(r.cmds)} | ${f(r.vcs)} | ${f(r.ivcs)} | ${f(r.cpuUs, 0)} | ${f(r.allocs)} |`)
  }
  for (const r of rows) console.error(`${r.case} ${r.nodes}n commands by type: ${JSON.stringify(r.byType)}`)
}

function run(cmd, argv, env) {
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, argv, { env, stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    c.stdout.on('data', (d) => (out += d))
    const timer = setTimeout(() => c.kill('SIGKILL'), 120_000)
    c.on('exit', (code) => {
      clearTimeout(timer)
      if (code !== 0) return reject(new Error(`counts child exited with ${code}`))
      resolve(JSON.parse(out.trim().split('\n').pop()))
    })
  })
}

async function child({ ports, pairs, workers }) {
  const { admins } = await import('./lib/admin.mjs')
  const Redlock = require(path.join(ROOT, 'index.js'))
  const lib = process.env.NAPI_RS_NATIVE_LIBRARY_PATH
  const native = lib ? require(lib) : {}
  const allocations = typeof native.allocationCount === 'function' ? () => native.allocationCount() : null
  const rl = new Redlock(ports.map((p) => `redis://${HOST}:${p}`), { retryCount: 0 })
  const admin = await admins(ports)
  const calls = async () => {
    const total = {}
    for (const text of await admin.info('commandstats')) {
      for (const m of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
        if (m[1] !== 'info') total[m[1]] = (total[m[1]] ?? 0) + Number(m[2])
      }
    }
    return total
  }
  const measure = async (name, ops, body) => {
    await body(Math.min(2000, ops)) // warm-up: pools, caches, JIT
    const c0 = await calls()
    const u0 = process.resourceUsage()
    const cpu0 = process.cpuUsage()
    const a0 = allocations ? allocations() : 0
    await body(ops)
    const a1 = allocations ? allocations() : 0
    const cpu = process.cpuUsage(cpu0)
    const u1 = process.resourceUsage()
    const c1 = await calls()
    const byType = {}
    let cmds = 0
    for (const [k, v] of Object.entries(c1)) {
      const d = v - (c0[k] ?? 0)
      if (d > 0) {
        byType[k] = +(d / ops).toFixed(3)
        cmds += d
      }
    }
    return {
      case: name,
      ops,
      cmds: cmds / ops,
      byType,
      vcs: (u1.voluntaryContextSwitches - u0.voluntaryContextSwitches) / ops,
      ivcs: (u1.involuntaryContextSwitches - u0.involuntaryContextSwitches) / ops,
      cpuUs: (cpu.user + cpu.system) / ops,
      // The two reads of the counter allocate nothing on the Rust side.
      allocs: allocations ? (a1 - a0) / ops : null,
    }
  }
  const out = []
  const key = `counts:${process.pid}`
  out.push(
    await measure('sequential acquire+release', pairs, async (n) => {
      for (let i = 0; i < n; i++) await rl.release(await rl.acquire([key], 10_000))
    }),
  )
  if (workers > 0) {
    out.push(
      await measure(`${workers} workers, acquire+release`, pairs, async (n) => {
        let left = n
        await Promise.all(
          Array.from({ length: workers }, async (_, w) => {
            while (left-- > 0) await rl.release(await rl.acquire([`${key}:${w}`], 10_000))
          }),
        )
      }),
    )
  }
  admin.close()
  await rl.quit()
  console.log(JSON.stringify(out))
  process.exit(0)
}
