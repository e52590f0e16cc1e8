// Error messages a newcomer meets (issue 11, item 6): they name the argument or entry, say what
// was expected, and never repeat a password.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { startServers, stopAll, uniqueResource } from './helpers/redis.mjs'

const require = createRequire(import.meta.url)
const Redlock = require('../index.js')
const { IoredisClient } = Redlock

after(async () => {
  await stopAll()
})

test('a bad URL names the entry (clients[i]) or the argument, says what was expected, never echoes the URL', () => {
  const expected = /must be a redis:\/\/ or rediss:\/\/ URL \(redis:\/\/\[\[user\]:password@\]host\[:port\]\[\/db\]\)/
  assert.throws(() => new Redlock(['redis://127.0.0.1:1', '7901']), (e) => {
    assert.ok(e instanceof TypeError)
    assert.match(e.message, /^clients\[1\] /)
    assert.match(e.message, expected)
    assert.match(e.message, /no redis:\/\/ or rediss:\/\/ scheme/)
    return true
  })
  assert.throws(() => new IoredisClient('7901'), (e) => e instanceof TypeError && /^url /.test(e.message) && expected.test(e.message))
  for (const secret of ['redis://:hunter2@[bad', 'hunter2@host', 'http://u:hunter2@h']) {
    assert.throws(() => new Redlock([secret]), (e) => {
      assert.ok(e instanceof TypeError)
      assert.match(e.message, /^clients\[0\] /)
      assert.ok(!e.message.includes('hunter2'), e.message)
      return true
    })
  }
})

test('a password the server refuses: the vote says authentication failed, for whom, and what to check — never the password', async () => {
  const [open] = await startServers(1)
  const [guarded] = await startServers(1, { password: 'right-one' })
  const cases = [
    [`redis://:hunter2@127.0.0.1:${open.port}`, /authentication failed for the default user \(a password was sent\)/],
    [`redis://:hunter2@127.0.0.1:${guarded.port}`, /authentication failed for the default user \(a password was sent\)/],
    [`redis://bob:hunter2@127.0.0.1:${guarded.port}`, /authentication failed for user "bob" \(a password was sent\)/],
  ]
  for (const [url, want] of cases) {
    const rl = new Redlock([url], { retryCount: 0 })
    const errors = []
    rl.on('error', (e) => errors.push(e))
    const r = await rl.acquire([uniqueResource('auth')], 1000).then(() => null, (e) => e)
    assert.ok(r instanceof Redlock.ExecutionError, String(r))
    const stats = await r.attempts[0]
    const [vote] = [...stats.votesAgainst.values()]
    assert.match(vote.message, want)
    assert.match(vote.message, /the password is wrong, the ACL user does not exist or is disabled, or the server has no password set/)
    for (const text of [r.message, vote.message, ...errors.map((e) => e.message)]) assert.ok(!text.includes('hunter2'), text)
    await rl.quit()
  }
})
