// Unit tests of the fault proxy (__test__/faults/proxy.mjs) against a real redis-server, with raw
// RESP over sockets: pass, delay (order kept with jitter), blackhole, reset, dropreplies, the
// connection count and close().
import { test, describe, before, after } from 'node:test'
import assert from 'node:assert/strict'
import net from 'node:net'
import { startServers, stopAll, sleep, uniqueResource } from './helpers/redis.mjs'
import { startProxy, closeAllProxies } from './faults/proxy.mjs'

/** A raw RESP connection: send inline commands, read whole reply lines. Bounded waits only. */
function raw(port) {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: '127.0.0.1', port })
    const c = {
      sock,
      buf: '',
      error: null,
      closed: false,
      waiters: [],
      send(line) {
        sock.write(line + '\r\n')
      },
      /** The next `n` reply lines, or null when they do not come within `ms`. */
      lines(n, ms) {
        return new Promise((res) => {
          const w = { n, res, timer: null }
          w.timer = setTimeout(() => {
            c.waiters = c.waiters.filter((x) => x !== w)
            res(null)
          }, ms)
          c.waiters.push(w)
          c.pump()
        })
      },
      pump() {
        while (c.waiters.length > 0) {
          const w = c.waiters[0]
          const parts = c.buf.split('\r\n')
          if (parts.length - 1 < w.n) return
          c.buf = parts.slice(w.n).join('\r\n')
          c.waiters.shift()
          clearTimeout(w.timer)
          w.res(parts.slice(0, w.n))
        }
      },
      destroy() {
        sock.destroy()
      },
    }
    sock.on('data', (d) => {
      c.buf += d.toString('latin1')
      c.pump()
    })
    sock.on('error', (e) => {
      c.error = e
    })
    sock.on('close', () => {
      c.closed = true
    })
    sock.once('connect', () => resolve(c))
    sock.once('error', reject)
  })
}

let srv
const conns = []
async function connect(port) {
  const c = await raw(port)
  conns.push(c)
  return c
}

before(async () => {
  ;[srv] = await startServers(1)
})
after(async () => {
  for (const c of conns) c.destroy()
  await closeAllProxies()
  await stopAll()
})

describe('fault proxy', () => {
  test('pass forwards both ways; connections counts open client connections; close() ends them', async () => {
    const p = await startProxy({ targetPort: srv.port })
    assert.equal(p.mode, 'pass')
    assert.notEqual(p.port, srv.port)
    const c = await connect(p.port)
    c.send('PING')
    assert.deepEqual(await c.lines(1, 2000), ['+PONG'])
    assert.equal(p.connections, 1)
    const c2 = await connect(p.port)
    c2.send('PING')
    assert.deepEqual(await c2.lines(1, 2000), ['+PONG'])
    assert.equal(p.connections, 2)
    c2.destroy()
    for (let i = 0; i < 40 && p.connections !== 1; i++) await sleep(10)
    assert.equal(p.connections, 1)
    await p.close()
    for (let i = 0; i < 40 && !c.closed; i++) await sleep(10)
    assert.ok(c.closed, 'close() closes client connections')
    assert.equal(p.connections, 0)
    await assert.rejects(raw(p.port), 'the listener is closed')
  })

  test('delay adds the delay in both directions and keeps the order with jitter', async () => {
    const p = await startProxy({ targetPort: srv.port })
    const c = await connect(p.port)
    c.send('PING')
    assert.deepEqual(await c.lines(1, 2000), ['+PONG'])
    p.set('delay', { ms: 150 })
    assert.equal(p.mode, 'delay')
    const t0 = performance.now()
    c.send('PING')
    assert.deepEqual(await c.lines(1, 3000), ['+PONG'])
    const took = performance.now() - t0
    assert.ok(took >= 290, `round trip ${took.toFixed(0)} ms should be ≥ 2 × 150`)

    p.set('delay', { ms: 20, jitter: 15 })
    const n = 40
    for (let i = 0; i < n; i++) {
      c.send(`ECHO m${i}`)
      await sleep(1) // separate chunks, each with its own random delay
    }
    const got = await c.lines(2 * n, 5000)
    assert.ok(got, 'all replies arrive')
    const echoed = got.filter((l) => !l.startsWith('$'))
    assert.deepEqual(echoed, Array.from({ length: n }, (_, i) => `m${i}`))

    // Pass again: no delay is left. Not a stopwatch bound: a delay of 5 s per direction is set
    // just before, so a proxy that kept delaying could not answer within the 2 s wait.
    p.set('delay', { ms: 5000 })
    p.set('pass')
    assert.equal(p.mode, 'pass')
    const forwarded = { ...p.stats.forwarded }
    c.send('PING')
    assert.deepEqual(await c.lines(1, 2000), ['+PONG'], 'pass again: no delay left from the 5 s one')
    assert.ok(p.stats.forwarded.c2s > forwarded.c2s && p.stats.forwarded.s2c > forwarded.s2c, 'forwarded both ways')
    await p.close()
  })

  test('blackhole: accepts and reads, never forwards nor answers (existing and new connections); pass again works for new connections', async () => {
    const p = await startProxy({ targetPort: srv.port })
    const key = uniqueResource('bh')
    const old = await connect(p.port)
    old.send('PING')
    assert.deepEqual(await old.lines(1, 2000), ['+PONG'])
    p.set('blackhole')
    old.send(`SET ${key} 1`)
    const fresh = await connect(p.port) // accepted
    fresh.send('PING')
    assert.equal(await old.lines(1, 300), null, 'no answer on the existing connection')
    assert.equal(await fresh.lines(1, 50), null, 'no answer on a new connection')
    assert.equal(await srv.redis.get(key), null, 'nothing forwarded')
    assert.ok(!old.closed && !fresh.closed, 'connections stay open')
    assert.ok(p.stats.dropped.c2s > 0)
    p.set('pass')
    const after = await connect(p.port)
    after.send('PING')
    assert.deepEqual(await after.lines(1, 2000), ['+PONG'])
    // The connections that lost bytes were reset when the blackhole ended (their RESP stream
    // would be out of step); the client has to reconnect.
    for (let i = 0; i < 50 && !(old.closed && fresh.closed); i++) await sleep(10)
    assert.ok(old.closed && fresh.closed, 'connections that lost bytes are reset on healing')
    await p.close()
  })

  test('blackhole hides a server that went away; leaving blackhole destroys those connections', async () => {
    const [s2] = await startServers(1)
    const p = await startProxy({ targetPort: s2.port })
    const c = await connect(p.port)
    c.send('PING')
    assert.deepEqual(await c.lines(1, 2000), ['+PONG'])
    p.set('blackhole')
    await s2.kill()
    await sleep(100)
    assert.ok(!c.closed, 'the client sees nothing while blackholed')
    p.set('pass')
    for (let i = 0; i < 40 && !c.closed; i++) await sleep(10)
    assert.ok(c.closed, 'destroyed when the blackhole ends')
    await p.close()
    await s2.stop()
  })

  test('reset: existing connections get a RST, new ones are reset at once', async () => {
    const p = await startProxy({ targetPort: srv.port })
    const c = await connect(p.port)
    c.send('PING')
    assert.deepEqual(await c.lines(1, 2000), ['+PONG'])
    p.set('reset')
    assert.equal(p.mode, 'reset')
    for (let i = 0; i < 50 && !c.closed; i++) await sleep(10)
    assert.ok(c.closed, 'existing connection closed')
    assert.equal(c.error && c.error.code, 'ECONNRESET')
    assert.equal(p.connections, 0)
    // A new connection is reset at once (the connect may succeed first, then the RST arrives).
    const r = await raw(p.port).then(
      async (c2) => {
        conns.push(c2)
        for (let i = 0; i < 50 && !c2.closed; i++) await sleep(10)
        return c2.error ? c2.error.code : c2.closed ? 'closed' : 'open'
      },
      (e) => e.code,
    )
    assert.ok(['ECONNRESET', 'closed'].includes(r), `got ${r}`)
    p.set('pass')
    const c3 = await connect(p.port)
    c3.send('PING')
    assert.deepEqual(await c3.lines(1, 2000), ['+PONG'])
    await p.close()
  })

  test('dropreplies: requests are applied, replies never arrive', async () => {
    const p = await startProxy({ targetPort: srv.port })
    const c = await connect(p.port)
    c.send('PING')
    assert.deepEqual(await c.lines(1, 2000), ['+PONG'])
    p.set('dropreplies')
    const key = uniqueResource('dr')
    c.send(`SET ${key} applied`)
    assert.equal(await c.lines(1, 300), null, 'no reply')
    assert.equal(await srv.redis.get(key), 'applied', 'the request was applied')
    assert.ok(p.stats.dropped.s2c > 0)
    assert.ok(!c.closed)
    await p.close()
  })

  test('healing (back to pass) resets the connections that lost bytes and keeps the others', async () => {
    const p = await startProxy({ targetPort: srv.port })
    const lossy = await connect(p.port)
    const quiet = await connect(p.port)
    for (const c of [lossy, quiet]) {
      c.send('PING')
      assert.deepEqual(await c.lines(1, 2000), ['+PONG'])
    }
    p.set('dropreplies')
    lossy.send('PING') // its reply is dropped
    assert.equal(await lossy.lines(1, 200), null)
    p.set('pass')
    for (let i = 0; i < 50 && !lossy.closed; i++) await sleep(10)
    assert.ok(lossy.closed, 'reset')
    assert.equal(lossy.error && lossy.error.code, 'ECONNRESET')
    quiet.send('PING')
    assert.deepEqual(await quiet.lines(1, 2000), ['+PONG'], 'a connection that lost nothing carries on')
    await p.close()
  })

  test('a queued delayed chunk follows the mode at delivery time (delay → dropreplies drops it)', async () => {
    const p = await startProxy({ targetPort: srv.port })
    const c = await connect(p.port)
    c.send('PING')
    assert.deepEqual(await c.lines(1, 2000), ['+PONG'])
    p.set('delay', { ms: 100 })
    c.send('PING')
    await sleep(20)
    p.set('dropreplies')
    assert.equal(await c.lines(1, 400), null)
    await p.close()
  })

  test('error (extra mode): one error reply per complete command, nothing forwarded', async () => {
    const p = await startProxy({ targetPort: srv.port })
    const c = await connect(p.port)
    c.send('PING')
    assert.deepEqual(await c.lines(1, 2000), ['+PONG'])
    p.set('error', { reply: 'LOADING Redis is loading the dataset in memory' })
    const key = uniqueResource('err')
    // Two RESP commands, the second split across writes, and one inline command.
    c.sock.write(`*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$1\r\nx\r\n*1\r\n$4\r\nPI`)
    await sleep(20)
    c.sock.write('NG\r\nPING\r\n')
    assert.deepEqual(await c.lines(3, 2000), Array(3).fill('-LOADING Redis is loading the dataset in memory'))
    assert.equal(await srv.redis.get(key), null, 'nothing forwarded')
    p.set('pass')
    c.send('PING')
    assert.deepEqual(await c.lines(1, 2000), ['+PONG'])
    await p.close()
  })

  test('bad arguments', async () => {
    await assert.rejects(startProxy({}), TypeError)
    await assert.rejects(startProxy({ targetPort: srv.port, targetHost: '10.0.0.1' }), /loopback/)
    const p = await startProxy({ targetPort: srv.port })
    assert.throws(() => p.set('nope'), TypeError)
    assert.throws(() => p.set('delay', {}), TypeError)
    assert.throws(() => p.set('delay', { ms: 5, jitter: -1 }), TypeError)
    await p.close()
  })
})
