// Memory scenario, one implementation per process (started by run.mjs with --expose-gc):
//
//   node --expose-gc bench/mem-child.mjs '{"impl":"redlock-rs","ports":[…],"ops":20000,
//                                          "workers":64,"maxMs":15000,"ttl":10000,"tag":"m0"}'
//
// Prints one JSON line on stdout:
//   baseRssMb     RSS of a bare Node process with the bench modules loaded (before the library)
//   idleRssMb     RSS after the library is loaded, connected, warmed with 200 operations, GC'd
//                 and left idle for 300 ms
//   peakRssMb     highest RSS sampled every 20 ms while `workers` workers run `ops`
//                 acquire+release operations on distinct resources
//   checkpoints   [{ ops, rssMb, heapUsedMb }] after a forced GC at every tenth of the run
//   growthMb      post-GC RSS at the last checkpoint minus the first
//   lateGrowthMb  post-GC RSS at the last checkpoint minus the one at half the run: a leak grows
//                 with the operations, while allocator arenas and caches settle in the first half
//   endRssMb      post-GC RSS after the run and 300 ms idle

import { IMPLS } from './lib/impls.mjs'

const args = JSON.parse(process.argv[2] ?? '{}')
const { impl: name, ports, ops, workers = 64, maxMs = 15000, ttl = 10000, tag = 'm' } = args
const gc = globalThis.gc ?? (() => {})
const MB = 1024 * 1024
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const rss = () => process.memoryUsage().rss / MB
const r1 = (x) => Math.round(x * 10) / 10

// Hard bound on the whole child, whatever happens.
const hard = setTimeout(() => {
  process.stdout.write(JSON.stringify({ error: `memory child timed out after ${maxMs + 20000} ms` }) + '\n')
  process.exit(3)
}, maxMs + 20000)
hard.unref()

async function main() {
  const impl = IMPLS[name]
  if (!impl) throw new Error(`unknown implementation ${name}`)
  gc()
  await sleep(100)
  const baseRssMb = rss()
  const c = await impl.open(ports, { retryCount: 0, retryDelay: 200, retryJitter: 100, driftFactor: 0.01 })
  const keys = Array.from({ length: workers }, (_, w) => `bench:${tag}:${process.pid}:${w}`)
  for (let i = 0; i < 200; i++) {
    try {
      await c.release(await c.acquire(keys[i % workers], ttl))
    } catch {}
  }
  gc()
  await sleep(300)
  gc()
  const idleRssMb = rss()

  let peak = rss()
  const sampler = setInterval(() => {
    const r = rss()
    if (r > peak) peak = r
  }, 20)
  const checkpoints = []
  const step = Math.max(1, Math.floor(ops / 10))
  let nextCheckpoint = step
  let done = 0
  let errors = 0
  const t0 = Date.now()
  const deadline = t0 + maxMs
  const worker = async (w) => {
    while (done + errors < ops && Date.now() < deadline) {
      try {
        await c.release(await c.acquire(keys[w], ttl))
        done++
      } catch {
        errors++
      }
      if (done >= nextCheckpoint) {
        nextCheckpoint += step
        const r = rss()
        if (r > peak) peak = r
        gc()
        const m = process.memoryUsage()
        checkpoints.push({ ops: done, rssMb: r1(m.rss / MB), heapUsedMb: r1(m.heapUsed / MB) })
      }
    }
  }
  await Promise.all(keys.map((_, w) => worker(w)))
  const seconds = (Date.now() - t0) / 1000
  clearInterval(sampler)
  gc()
  await sleep(300)
  gc()
  const endRssMb = rss()
  await c.close()
  const first = checkpoints[0]
  const last = checkpoints[checkpoints.length - 1]
  const mid = checkpoints[Math.floor((checkpoints.length - 1) / 2)]
  return {
    impl: name,
    ops: done,
    errors,
    seconds: r1(seconds),
    opsPerSec: Math.round(done / seconds),
    baseRssMb: r1(baseRssMb),
    idleRssMb: r1(idleRssMb),
    peakRssMb: r1(peak),
    endRssMb: r1(endRssMb),
    growthMb: first && last ? r1(last.rssMb - first.rssMb) : null,
    lateGrowthMb: mid && last ? r1(last.rssMb - mid.rssMb) : null,
    heapGrowthMb: first && last ? r1(last.heapUsedMb - first.heapUsedMb) : null,
    checkpoints,
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
