// A small TCP fault proxy for the fault-injection tests: one per redis node, loopback only.
//
//   import { startProxy } from './faults/proxy.mjs'
//   const p = await startProxy({ targetPort, targetHost = '127.0.0.1' })
//   p.port                              // listens on 127.0.0.1, a port chosen by the OS
//   p.set('pass')                       // forward both ways
//   p.set('delay', { ms, jitter = 0 })  // delay every chunk, both directions, by ms ± jitter
//                                       // (order kept per connection and direction)
//   p.set('blackhole')                  // accept, read, never forward nor answer (existing
//                                       // connections too)
//   p.set('reset')                      // RST existing connections (socket.resetAndDestroy())
//                                       // and reset new ones at once
//   p.set('dropreplies')                // forward client→server, drop server→client bytes
//   p.set('error', { reply })           // (extra) answer every complete command with `-<reply>`
//                                       // without forwarding it, e.g. 'LOADING Redis is loading
//                                       // the dataset in memory' (server errors that are hard to
//                                       // provoke on a real server)
//   p.mode                              // the current mode's name
//   p.connections                       // open client connections
//   p.stats                             // { accepted, forwarded: { c2s, s2c }, dropped: { c2s, s2c }, resets }
//   await p.close()                     // closes the listener and every connection
//
// Semantics worth knowing:
// - A mode applies to every chunk at the moment it is *delivered*: chunks still queued by a
//   `delay` when the mode becomes `blackhole` or `dropreplies` are dropped; when it becomes
//   `pass` they are delivered in order (never overtaken by newer chunks).
// - Bytes dropped by `blackhole`/`dropreplies` are gone, so such a connection's RESP
//   stream is out of step for good (a client would pair each later reply with an earlier
//   request). Real TCP never loses bytes inside a live connection: it breaks it. So when the
//   mode changes to one that drops nothing (`pass`, `delay`, `error`), every connection that
//   lost bytes is reset (RST) and the client reconnects. Switching between `blackhole` and
//   `dropreplies` keeps them.
// - While `blackhole`, a server-side close or error is hidden from the client (the connection
//   stays silent); such connections are reset when the mode leaves `blackhole`.
// - The listener and the sockets are unref'd (delay timers are not, while chunks are queued):
//   a forgotten proxy never keeps the process alive. Proxies still open are destroyed by a
//   process 'exit' handler.

import net from 'node:net'

const HOST = '127.0.0.1'
const MODES = new Set(['pass', 'delay', 'blackhole', 'reset', 'dropreplies', 'error'])
const END = Symbol('end')

/** Every proxy still open in this process. */
const open = new Set()
process.on('exit', () => {
  for (const p of open) p._destroyAll()
})

class Lane {
  /** One direction of one connection: `dir` is 'c2s' or 's2c'. */
  constructor(proxy, conn, dir) {
    this.proxy = proxy
    this.conn = conn
    this.dir = dir
    this.queue = [] // { due, chunk | END }
    this.timer = null
    this.lastDue = 0
  }

  get dest() {
    return this.dir === 'c2s' ? this.conn.upstream : this.conn.client
  }

  /** Whether the current mode drops this lane's bytes. */
  dropping() {
    const m = this.proxy._mode
    return m === 'blackhole' || m === 'reset' || (m === 'dropreplies' && this.dir === 's2c')
  }

  push(item) {
    if (item !== END && this.dir === 'c2s' && this.proxy._mode === 'error') {
      this.conn.answerErrors(item)
      return
    }
    if (item !== END && this.dropping()) {
      this.proxy.stats.dropped[this.dir] += item.length
      this.conn.lost = true
      return
    }
    const now = performance.now()
    let due = now
    if (this.proxy._mode === 'delay') {
      const { ms, jitter } = this.proxy._delay
      due = now + Math.max(0, ms + (jitter > 0 ? (Math.random() * 2 - 1) * jitter : 0))
    }
    due = Math.max(due, this.lastDue) // order is kept per lane
    this.lastDue = due
    if (this.queue.length === 0 && due <= now) {
      this.deliver(item)
      return
    }
    this.queue.push({ due, item })
    this.schedule()
  }

  schedule() {
    if (this.timer || this.queue.length === 0) return
    const wait = Math.max(0, this.queue[0].due - performance.now())
    this.timer = setTimeout(() => {
      this.timer = null
      this.flush()
    }, Math.ceil(wait))
  }

  flush() {
    const now = performance.now()
    // Bounded: at most the queue's length per call.
    for (let n = this.queue.length; n > 0 && this.queue.length > 0 && this.queue[0].due <= now + 0.5; n--) {
      this.deliver(this.queue.shift().item)
    }
    this.schedule()
  }

  deliver(item) {
    const dest = this.dest
    if (!dest || dest.destroyed) return
    if (item === END) {
      // Hidden while blackholed (see the header).
      if (this.dir === 's2c' && this.proxy._mode === 'blackhole') {
        this.conn.upstreamGone = true
        return
      }
      dest.end()
      return
    }
    if (this.dropping()) {
      this.proxy.stats.dropped[this.dir] += item.length
      this.conn.lost = true
      return
    }
    this.proxy.stats.forwarded[this.dir] += item.length
    dest.write(item)
  }

  clear() {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    this.queue.length = 0
  }
}

/** Complete RESP commands (arrays of bulk strings, or inline lines) at the start of `buf`. */
function countCommands(buf) {
  let pos = 0
  let count = 0
  const line = (from) => {
    const i = buf.indexOf('\r\n', from, 'latin1')
    return i < 0 ? null : { text: buf.toString('latin1', from, i), next: i + 2 }
  }
  for (let guard = 0; guard < 100000 && pos < buf.length; guard++) {
    const head = line(pos)
    if (!head) break
    if (head.text[0] !== '*') {
      pos = head.next // an inline command
      count++
      continue
    }
    const n = parseInt(head.text.slice(1), 10)
    let p = head.next
    let ok = true
    for (let k = 0; k < n; k++) {
      const h = line(p)
      if (!h) {
        ok = false
        break
      }
      const len = parseInt(h.text.slice(1), 10)
      if (h.next + len + 2 > buf.length) {
        ok = false
        break
      }
      p = h.next + len + 2
    }
    if (!ok) break
    pos = p
    count++
  }
  return { count, consumed: pos }
}

class Connection {
  constructor(proxy, client) {
    this.proxy = proxy
    this.client = client
    this.upstreamGone = false
    /** Bytes were dropped on this connection: its RESP stream is out of step for good. */
    this.lost = false
    this.closed = false
    this.c2s = new Lane(proxy, this, 'c2s')
    this.s2c = new Lane(proxy, this, 's2c')
    this.upstream = net.connect({ host: proxy.targetHost, port: proxy.targetPort })
    this.upstream.setNoDelay(true)
    client.setNoDelay(true)
    // The proxy never keeps the process alive by itself (the clients' own handles do).
    this.upstream.unref()
    client.unref()

    client.on('data', (d) => this.c2s.push(d))
    client.on('end', () => this.c2s.push(END))
    client.on('error', () => this.destroy(false))
    client.on('close', () => this.destroy(false))

    this.upstream.on('data', (d) => this.s2c.push(d))
    this.upstream.on('end', () => this.s2c.push(END))
    const upstreamFailed = () => {
      if (this.closed) return
      if (this.proxy._mode === 'blackhole') {
        // The client sees nothing; destroyed when the blackhole ends.
        this.upstreamGone = true
        return
      }
      this.destroy(true)
    }
    this.upstream.on('error', upstreamFailed)
    this.upstream.on('close', () => {
      // After an orderly 'end', the s2c lane delivers the FIN in order; an abrupt close
      // (error) was handled above.
      if (!this.closed && this.s2c.queue.length === 0 && !this.client.writableEnded) upstreamFailed()
    })
  }

  /** 'error' mode: answers each complete RESP command in `chunk` with `-<reply>`. */
  answerErrors(chunk) {
    this.pending = this.pending ? Buffer.concat([this.pending, chunk]) : chunk
    const n = countCommands(this.pending)
    this.pending = this.pending.subarray(n.consumed)
    this.proxy.stats.dropped.c2s += n.consumed
    // Not `lost`: each command got exactly one reply, the stream stays in step.
    if (n.count > 0 && !this.client.destroyed) {
      this.client.write(`-${this.proxy._errorReply}\r\n`.repeat(n.count))
    }
  }

  /** Destroys both sides; `rst` sends a TCP RST instead of a FIN where that is possible. */
  destroy(rst) {
    if (this.closed) return
    this.closed = true
    this.c2s.clear()
    this.s2c.clear()
    hardClose(this.client, rst)
    hardClose(this.upstream, rst)
    this.proxy._conns.delete(this)
  }
}

/**
 * Destroys `sock`, with a RST when asked and possible. Node's resetAndDestroy() on a socket that
 * was already end()ed (or is still connecting) fails inside (uv_tcp_close_reset: EINVAL while
 * shutting down) and never closes the handle; the process then spins forever at exit in
 * Environment::CleanupHandles (seen with Node 20.20). So: RST only for open, connected,
 * not-ended sockets; a plain destroy otherwise.
 */
function hardClose(sock, rst) {
  if (sock.destroyed) return
  if (rst && !sock.connecting && !sock.writableEnded && !sock.readableEnded && typeof sock.resetAndDestroy === 'function') {
    try {
      sock.resetAndDestroy()
      return
    } catch {}
  }
  sock.destroy()
}

class Proxy {
  constructor(targetPort, targetHost) {
    this.targetPort = targetPort
    this.targetHost = targetHost
    this._mode = 'pass'
    this._delay = { ms: 0, jitter: 0 }
    this._conns = new Set()
    this._closed = false
    this.stats = { accepted: 0, forwarded: { c2s: 0, s2c: 0 }, dropped: { c2s: 0, s2c: 0 }, resets: 0 }
    this.server = net.createServer({ pauseOnConnect: false }, (sock) => this._accept(sock))
    this.server.on('error', () => {})
  }

  get mode() {
    return this._mode
  }

  get connections() {
    return this._conns.size
  }

  _accept(sock) {
    this.stats.accepted++
    if (this._closed) {
      sock.destroy()
      return
    }
    if (this._mode === 'reset') {
      this.stats.resets++
      sock.on('error', () => {})
      hardClose(sock, true)
      return
    }
    this._conns.add(new Connection(this, sock))
  }

  /** Switches the mode for existing and new connections. */
  set(mode, options = {}) {
    if (!MODES.has(mode)) throw new TypeError(`unknown proxy mode: ${mode}`)
    if (mode === 'delay') {
      const ms = Number(options.ms)
      const jitter = Number(options.jitter || 0)
      if (!Number.isFinite(ms) || ms < 0) throw new TypeError('delay needs { ms >= 0 }')
      if (!Number.isFinite(jitter) || jitter < 0) throw new TypeError('jitter must be >= 0')
      this._delay = { ms, jitter }
    }
    if (mode === 'error') {
      const reply = String(options.reply || 'ERR injected by the fault proxy').replace(/[\r\n]/g, ' ')
      this._errorReply = reply
    }
    const prev = this._mode
    this._mode = mode
    if (mode === 'reset') {
      for (const c of [...this._conns]) {
        this.stats.resets++
        c.destroy(true)
      }
    } else if (mode !== 'blackhole' && mode !== 'dropreplies') {
      // Healing: a connection that lost bytes (blackhole, dropreplies, error) would pair every
      // later reply with an earlier request; real TCP never loses bytes inside a live
      // connection, it breaks it. So those connections are reset, and so are connections whose
      // server went away while blackholed. The client reconnects.
      for (const c of [...this._conns]) {
        if (c.upstreamGone || c.lost) {
          this.stats.resets++
          c.destroy(true)
        }
      }
    }
    // Queued chunks follow the new mode at their delivery time; nothing to move here.
    return this
  }

  _destroyAll() {
    for (const c of [...this._conns]) c.destroy(false)
    this._conns.clear()
  }

  /** Closes the listener and every connection. */
  async close() {
    if (this._closed) return
    this._closed = true
    open.delete(this)
    this._destroyAll()
    await new Promise((resolve) => this.server.close(() => resolve()))
  }
}

/** Starts a proxy on 127.0.0.1 (a free port) forwarding to `targetHost:targetPort`. */
export async function startProxy({ targetPort, targetHost = HOST } = {}) {
  if (!Number.isInteger(targetPort) || targetPort <= 0 || targetPort > 65535) {
    throw new TypeError('startProxy needs { targetPort }')
  }
  if (!['127.0.0.1', 'localhost', '::1'].includes(targetHost)) {
    throw new TypeError('the fault proxy forwards to loopback only')
  }
  const p = new Proxy(targetPort, targetHost)
  await new Promise((resolve, reject) => {
    p.server.once('error', reject)
    p.server.listen(0, HOST, () => {
      p.server.removeListener('error', reject)
      resolve()
    })
  })
  p.server.unref()
  p.port = p.server.address().port
  open.add(p)
  return p
}

/** Starts one proxy per target port. */
export async function startProxies(ports) {
  const out = []
  try {
    for (const port of ports) out.push(await startProxy({ targetPort: port }))
  } catch (e) {
    await Promise.allSettled(out.map((p) => p.close()))
    throw e
  }
  return out
}

/** Closes every proxy still open in this process. */
export async function closeAllProxies() {
  await Promise.allSettled([...open].map((p) => p.close()))
}
