// A minimal RESP client for the bench's own INFO calls: one connection per node, loaded into the
// measured process without pulling in a Redis library that the implementation under test does
// not use itself (that would share its heap and its start-up cost).

import net from 'node:net'

const HOST = '127.0.0.1'

/** Connects to every port; `{ info(sections…) → Promise<string[]>, close() }`. */
export async function admins(ports, timeoutMs = 5000) {
  const conns = await Promise.all(ports.map((port) => connect(port, timeoutMs)))
  return {
    info: (...sections) => Promise.all(conns.map((c) => c.command(['INFO', ...sections], timeoutMs))),
    close: () => conns.forEach((c) => c.socket.destroy()),
  }
}

function connect(port, timeoutMs) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: HOST, port })
    const timer = setTimeout(() => (socket.destroy(), reject(new Error(`admin: connect to ${port} timed out`))), timeoutMs)
    socket.once('error', (e) => (clearTimeout(timer), reject(e)))
    socket.once('connect', () => {
      clearTimeout(timer)
      socket.setNoDelay(true)
      resolve({ socket, command: (args, ms) => command(socket, args, ms) })
    })
  })
}

/** Sends one command and reads one bulk-string reply (all INFO needs). */
function command(socket, args, timeoutMs) {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0)
    const done = (err, value) => {
      clearTimeout(timer)
      socket.off('data', onData)
      err ? reject(err) : resolve(value)
    }
    const timer = setTimeout(() => done(new Error('admin: no reply')), timeoutMs)
    const onData = (d) => {
      buf = Buffer.concat([buf, d])
      const eol = buf.indexOf('\r\n')
      if (eol < 0) return
      const head = buf.subarray(0, eol).toString()
      if (head[0] === '-') return done(new Error(`admin: ${head.slice(1)}`))
      if (head[0] !== '$') return done(new Error(`admin: unexpected reply ${head.slice(0, 40)}`))
      const len = Number(head.slice(1))
      if (buf.length < eol + 2 + len + 2) return
      done(null, buf.subarray(eol + 2, eol + 2 + len).toString())
    }
    socket.on('data', onData)
    socket.write(args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).reduce((s, a) => s + a, `*${args.length}\r\n`))
  })
}
