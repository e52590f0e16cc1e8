// A child Node process for the client-side fault rows (F19–F23, F25), driven by one JSON
// argument: `node child.mjs '{"role":"hold",...}'`. It prints one JSON object per line with
// `t` = CLOCK_MONOTONIC ms (process.hrtime), the clock every process of this host shares, so the
// test can compare its events with its own. Every loop is bounded by count and time; the process
// ends by itself (at the latest after `cfg.lifeMs`, default 20 s).
//
// Roles:
//   hold       acquire `resource` for `ttl` and keep it (never release); wait to be killed.
//   pause-extend  acquire `resource` for `ttl`, wait for a gap of `gapMs` in its own run (the
//              parent SIGSTOPs it), then extend() the lock and report the outcome.
//   using      using(resource, duration, settings, routine): the routine polls signal.aborted
//              every `pollMs` (mode 'poll') or blocks the event loop for `busyMs` (mode 'busy').
//   contender  acquire / hold `holdMs` / release `resource` in a loop for `runMs`.
//   busy       burn CPU for `ms`.
//   faketime   wall-clock jumps under libfaketime (cfg.file: its FAKETIME_TIMESTAMP_FILE): extend, using(),
//              acquire validity and refusal after a backwards jump.
//   inflight   start acquires and a using() and call process.exit() while they are in flight.
//   natural    acquire and release without quit(), then let the process end by itself.
//   worker     start a worker_thread that loops on locks, terminate it mid-operation, carry on.

import fs from 'node:fs'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const Redlock = require('../../index.js')

const cfg = JSON.parse(process.argv[2] || '{}')
const mono = () => Number(process.hrtime.bigint()) / 1e6
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const print = (o) => process.stdout.write(JSON.stringify({ t: mono(), ...o }) + '\n')

// Never linger: a forgotten child ends by itself.
const lifeTimer = setTimeout(() => {
  print({ ev: 'lifetime-exceeded' })
  process.exit(3)
}, cfg.lifeMs || 20000).unref()

process.on('unhandledRejection', (e) => {
  print({ ev: 'unhandledRejection', error: String(e && e.message) })
  process.exitCode = 4
})

function redlock(settings = cfg.settings) {
  return new Redlock(cfg.urls, settings)
}

const roles = {
  async hold() {
    const rl = redlock()
    const invoke = mono()
    const lock = await rl.acquire([cfg.resource], cfg.ttl)
    print({ ev: 'acquired', invoke, value: lock.value, remaining: lock.expiration - Date.now() })
    await sleep(cfg.lifeMs || 20000)
  },

  async using() {
    const rl = redlock()
    const settings = cfg.usingSettings || {}
    const pollMs = cfg.pollMs || 20
    let result
    try {
      result = await rl.using([cfg.resource], cfg.duration, settings, async (signal) => {
        print({ ev: 'acquired' })
        if (cfg.mode === 'busy') {
          const end = performance.now() + cfg.busyMs
          let spins = 0
          while (performance.now() < end && spins < 1e10) spins++
          print({ ev: 'check', aborted: signal.aborted, after: 'busy' })
          // Then a few more checks with the loop free again.
          for (let i = 0; i < (cfg.checksAfter || 0); i++) {
            await sleep(pollMs)
            print({ ev: 'check', aborted: signal.aborted })
          }
          return 'busy-done'
        }
        const end = performance.now() + (cfg.maxMs || 5000)
        for (let i = 0; i < 10000 && performance.now() < end; i++) {
          const aborted = signal.aborted
          print({ ev: 'check', aborted })
          if (aborted) return 'aborted'
          await sleep(pollMs)
        }
        return 'timeout'
      })
      print({ ev: 'done', ok: true, result })
    } catch (e) {
      print({ ev: 'done', ok: false, error: String(e && e.message), name: e && e.name })
    }
    await rl.quit()
  },

  async pauseExtend() {
    const rl = redlock()
    const lock = await rl.acquire([cfg.resource], cfg.ttl)
    // Waits (bounded) for a gap of at least `gapMs` in its own run: the parent SIGSTOPs it as
    // soon as it reads 'acquired', so the first reference time is taken before printing it.
    let last = mono()
    print({ ev: 'acquired', value: lock.value })
    let gap = 0
    const end = performance.now() + (cfg.maxMs || 10000)
    for (let i = 0; i < 100000 && performance.now() < end && !gap; i++) {
      await sleep(10)
      const now = mono()
      if (now - last >= cfg.gapMs) gap = now - last
      last = now
    }
    print({ ev: 'resumed', gap })
    if (gap) {
      try {
        const l2 = await rl.extend(lock, cfg.ttl)
        print({ ev: 'extend', ok: true })
        await rl.release(l2)
      } catch (e) {
        print({
          ev: 'extend',
          ok: false,
          name: e.name,
          error: String(e.message),
          reason: e.reason,
          attempts: Array.isArray(e.attempts) ? e.attempts.length : null,
        })
      }
    }
    await rl.quit()
  },

  async contender() {
    const rl = redlock()
    const end = performance.now() + cfg.runMs
    let ok = 0
    let failed = 0
    for (let i = 0; i < 100000 && performance.now() < end; i++) {
      const invoke = mono()
      let lock
      try {
        lock = await rl.acquire([cfg.resource], cfg.ttl)
      } catch (e) {
        failed++
        if (e.reason !== 'held' && e.reason !== 'unavailable' && e.reason !== 'expired') {
          print({ ev: 'error', error: String(e.message), reason: e.reason })
        }
        continue
      }
      ok++
      print({ ev: 'lock', who: cfg.id, invoke, start: mono(), value: lock.value, ttl: cfg.ttl })
      await sleep(cfg.holdMs)
      const relInvoke = mono()
      await rl.release(lock).catch(() => {})
      print({ ev: 'unlock', who: cfg.id, value: lock.value, relInvoke })
      await sleep(Math.random() * (cfg.pauseMs || 10))
    }
    print({ ev: 'summary', who: cfg.id, ok, failed })
    await rl.quit()
  },

  async busy() {
    const end = performance.now() + cfg.ms
    let spins = 0
    while (performance.now() < end && spins < 1e11) spins++
  },

  async faketime() {
    // Only libfaketime moves the clock the native side reads too; without it there is no test.
    if (!cfg.file) throw new Error('the faketime role runs under libfaketime only (cfg.file)')
    const jump = (spec) => fs.writeFileSync(cfg.file, spec)
    const rl = redlock()
    const ttl = cfg.ttl
    const w0 = Date.now()
    const l1 = await rl.acquire([cfg.resource], ttl)
    print({ ev: 'acquired', remaining: l1.expiration - Date.now() })

    jump('+10s')
    print({ ev: 'jumped', wallDelta: Date.now() - w0 })
    // Extend after a forward jump: the lock is valid on the monotonic clock.
    try {
      const l2 = await rl.extend(l1, ttl)
      print({ ev: 'extend-after-forward', ok: true, remaining: l2.expiration - Date.now() })
      await rl.release(l2)
    } catch (e) {
      print({ ev: 'extend-after-forward', ok: false, error: String(e.message) })
    }

    // Acquire validity under the jumped clock.
    const a = await rl.acquire([cfg.resource + ':b'], ttl)
    print({ ev: 'acquire-jumped', remaining: a.expiration - Date.now() })
    await rl.release(a)

    // using() across jumps both ways: the keeper runs on the monotonic clock.
    const r = await rl.using([cfg.resource + ':u'], 600, { automaticExtensionThreshold: 250 }, async (signal) => {
      await sleep(300)
      jump('-10s')
      await sleep(500)
      jump('+20s')
      await sleep(500)
      return { aborted: signal.aborted }
    })
    print({ ev: 'using', aborted: r.aborted })

    // A backwards jump must not make an expired lock look valid.
    jump('+0s')
    const l3 = await rl.acquire([cfg.resource + ':c'], 400)
    jump('-20s')
    await sleep(600) // real (monotonic) time: the lock is over
    try {
      await rl.extend(l3, 400)
      print({ ev: 'extend-after-backward', ok: true })
    } catch (e) {
      print({
        ev: 'extend-after-backward',
        ok: false,
        name: e.name,
        error: String(e.message),
        reason: e.reason,
        attempts: Array.isArray(e.attempts) ? e.attempts.length : null,
      })
    }
    jump('+0s')
    await rl.quit()
  },

  async inflight() {
    const rl = redlock()
    const ops = []
    for (let i = 0; i < 20; i++) ops.push(rl.acquire([`${cfg.resource}:${i}`], 2000).catch(() => {}))
    ops.push(rl.using([`${cfg.resource}:u`], 2000, async () => sleep(1000)).catch(() => {}))
    print({ ev: 'started' })
    await sleep(cfg.afterMs || 2)
    print({ ev: 'exiting' })
    process.exit(0)
  },

  async natural() {
    const rl = redlock()
    const lock = await rl.acquire([cfg.resource], 2000)
    await rl.release(lock)
    if (cfg.quit) await rl.quit()
    clearTimeout(lifeTimer)
    print({ ev: 'finished', resources: process.getActiveResourcesInfo() })
  },

  async worker() {
    const { Worker } = await import('node:worker_threads')
    const index = require.resolve('../../index.js')
    const code = `
      const { parentPort, workerData } = require('node:worker_threads')
      const Redlock = require(${JSON.stringify(index)})
      const rl = new Redlock(workerData.urls, workerData.settings)
      ;(async () => {
        const held = await rl.acquire([workerData.resource], workerData.ttl)
        parentPort.postMessage({ ev: 'held', value: held.value })
        for (let i = 0; i < 100000; i++) {
          const l = await rl.acquire([workerData.resource + ':' + (i % 7)], 1000)
          await rl.extend(l, 1000).then((n) => rl.release(n))
          rl.using([workerData.resource + ':u' + i], 1000, () => new Promise((r) => setTimeout(r, 5))).catch(() => {})
          if (i === 3) parentPort.postMessage({ ev: 'busy' })
        }
      })().catch((e) => parentPort.postMessage({ ev: 'error', error: String(e && e.message) }))`
    const w = new Worker(code, { eval: true, workerData: { urls: cfg.urls, settings: cfg.settings, resource: cfg.resource, ttl: cfg.ttl } })
    const held = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('worker did not start')), 10000)
      w.on('message', (m) => {
        if (m.ev === 'busy') {
          clearTimeout(timer)
          resolve(m)
        } else if (m.ev === 'held') print({ ev: 'worker-held', value: m.value })
        else if (m.ev === 'error') print({ ev: 'worker-error', error: m.error })
      })
      w.on('error', (e) => print({ ev: 'worker-crash', error: String(e && e.message) }))
    })
    void held
    const t0 = mono()
    const code2 = await w.terminate()
    print({ ev: 'terminated', code: code2, ms: mono() - t0 })
    // The main thread still works.
    const rl = redlock()
    const l = await rl.acquire([cfg.resource + ':main'], 1000)
    await rl.release(l)
    print({ ev: 'main-ok' })
    // No quit(): the process must end by itself.
  },
}

const role = roles[cfg.role === 'pause-extend' ? 'pauseExtend' : cfg.role]
if (!role) {
  print({ ev: 'error', error: `unknown role ${cfg.role}` })
  process.exit(2)
}
role().then(
  () => print({ ev: 'end' }),
  (e) => {
    print({ ev: 'fatal', error: String(e && e.stack) })
    process.exitCode = 1
  },
)
