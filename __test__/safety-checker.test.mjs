// Unit tests of the safety checker (__test__/safety/checker.mjs) on hand-made histories.
import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import { check, overlaps, drift, parseJsonl, CHECKS } from './safety/checker.mjs'

const TTL = 300
const D = drift(TTL) // 5
const header = (proc = 'p0', extra = {}) => ({
  op: 'header',
  proc,
  pid: 1,
  settings: { ttl: TTL, nodeTimeout: 50, retryCount: 3, retryDelay: 20, retryJitter: 10, driftFactor: 0.01, ...extra },
})

/** A successful acquire at `t` (one attempt, 2 ms), honest expiration. */
function acq(value, t, { proc = 'p0', client = 0, resources = ['r1'], ttl = TTL, took = 2, attempts = 1, libExp } = {}) {
  return {
    op: 'acquire',
    proc,
    client,
    resources,
    ttl,
    invoke_mono: t,
    complete_mono: t + took,
    outcome: 'ok',
    value,
    attempts,
    lib_expiration_mono: libExp !== undefined ? libExp : t + 0.5 + ttl - drift(ttl),
  }
}
function rel(value, t, { proc = 'p0', client = 0, resources = ['r1'], took = 2 } = {}) {
  return { op: 'release', proc, client, value, resources, invoke_mono: t, complete_mono: t + took, outcome: 'ok' }
}
function ext(value, t, { proc = 'p0', client = 0, resources = ['r1'], ttl = TTL, outcome = 'ok', late = false, took = 2 } = {}) {
  return {
    op: 'extend',
    proc,
    client,
    resources,
    ttl,
    value,
    late,
    invoke_mono: t,
    complete_mono: t + took,
    outcome,
    attempts: 1,
    lib_expiration_mono: outcome === 'ok' ? t + 0.5 + ttl - drift(ttl) : undefined,
  }
}
function exitOk(proc = 'p0') {
  return { op: 'proc_exit', proc, code: 0, signal: null, hung: false }
}

const clean = (report, except = []) => {
  for (const c of CHECKS) {
    if (except.includes(c)) continue
    assert.equal(report.checks[c].violations, 0, `${c}: ${JSON.stringify(report.checks[c].examples)}`)
  }
}

describe('overlaps()', () => {
  test('half-open intervals: touching is not overlapping', () => {
    assert.equal(overlaps([{ id: 'a', start: 0, end: 10 }, { id: 'b', start: 10, end: 20 }]).length, 0)
    assert.equal(overlaps([{ id: 'a', start: 0, end: 10 }, { id: 'b', start: 9.999, end: 20 }]).length, 1)
  })
  test('the same instance never overlaps itself; empty windows are ignored', () => {
    assert.equal(overlaps([{ id: 'a', start: 0, end: 10 }, { id: 'a', start: 5, end: 20 }]).length, 0)
    assert.equal(overlaps([{ id: 'a', start: 0, end: 10 }, { id: 'b', start: 5, end: 5 }]).length, 0)
    assert.equal(overlaps([{ id: 'a', start: 0, end: 10 }, { id: 'b', start: 7, end: 3 }]).length, 0)
  })
  test('every overlapping pair is reported once', () => {
    const ws = [
      { id: 'a', start: 0, end: 100 },
      { id: 'b', start: 10, end: 20 },
      { id: 'c', start: 15, end: 30 },
      { id: 'd', start: 200, end: 300 },
    ]
    const pairs = overlaps(ws).map(([x, y]) => x.id + y.id).sort()
    assert.deepEqual(pairs, ['ab', 'ac', 'bc'])
  })
})

describe('V1 mutual exclusion', () => {
  test('disjoint locks on one resource: no violation', () => {
    const r = check([header(), acq('A', 0), rel('A', 100), acq('B', 110, { client: 1 }), rel('B', 200, { client: 1 }), exitOk()])
    clean(r)
    assert.equal(r.checks.V1.checked, 2)
  })

  test('overlapping locks with different values: violation', () => {
    const r = check([header(), acq('A', 0), rel('A', 200), acq('B', 100, { proc: 'p1' }), rel('B', 250, { proc: 'p1' })])
    assert.equal(r.checks.V1.violations, 1)
    assert.ok(r.failed.includes('V1'))
    const v = r.checks.V1.examples[0]
    assert.equal(v.resource, 'r1')
    assert.equal(v.a.id, 'A')
    assert.equal(v.b.id, 'B')
    assert.equal(v.overlap_ms, 98) // [102, 200)
  })

  test('a window ends at the conservative end when the release is late or missing', () => {
    // A: invoke 0 → conservative end 0 + 300 − 5 = 295; B acquired (complete) at 296: fine.
    const r = check([header(), acq('A', 0), rel('A', 1000), acq('B', 294, { took: 2 }), rel('B', 400)])
    clean(r)
    // B completing at 294.5 overlaps A's [2, 295).
    const r2 = check([header(), acq('A', 0), acq('B', 293, { took: 1.5 })])
    assert.equal(r2.checks.V1.violations, 1)
  })

  test('the conservative end uses the invoke time, not the completion', () => {
    // A's acquire took 100 ms: its window is [100, 295), not [100, 395).
    const r = check([header(), acq('A', 0, { took: 100, attempts: 3 }), acq('B', 296, { took: 1 })])
    clean(r)
  })

  test('an extension moves the conservative end', () => {
    const base = [header(), acq('A', 0), ext('A', 200), rel('A', 450)]
    // extended at 200 → conservative end 495; B at 400 overlaps, B at 451 does not (released).
    assert.equal(check([...base, acq('B', 400, { proc: 'p1' })]).checks.V1.violations, 1)
    clean(check([...base, acq('B', 451, { proc: 'p1' })]))
    // a failed extension does not.
    const failed = [header(), acq('A', 0), ext('A', 200, { outcome: 'unavailable' }), rel('A', 450), acq('B', 300, { proc: 'p1' })]
    clean(check(failed))
  })

  test('an extension to a shorter TTL shortens the window (extend sets the TTL anew)', () => {
    // acquire at 0 (end 295), extend at 20 with ttl 150 → end 20 + 150 − 4 = 166.
    const base = [header(), acq('A', 0), ext('A', 20, { ttl: 150 })]
    clean(check([...base, acq('B', 170, { proc: 'p1' })]))
    assert.equal(check([...base, acq('B', 160, { proc: 'p1' })]).checks.V1.violations, 1)
    // A failed shorter extension may have shortened some nodes: it lowers the end too. The old
    // Lock still shows its longer expiration, which V1' (the library's view) reports.
    const failedShort = check([header(), acq('A', 0), ext('A', 20, { ttl: 150, outcome: 'unavailable' }), acq('B', 170, { proc: 'p1' })])
    clean(failedShort, ["V1'"])
    assert.equal(failedShort.checks["V1'"].violations, 1)
    // A failed longer extension does not lengthen it.
    assert.equal(check([header(), acq('A', 0), ext('A', 200, { outcome: 'unavailable' }), acq('B', 296, { proc: 'p1' })]).checks.V1.violations, 0)
  })

  test('multi-resource locks conflict on the shared resource only', () => {
    const r = check([
      header(),
      acq('A', 0, { resources: ['r1', 'r2'] }),
      acq('B', 50, { resources: ['r2', 'r3'], proc: 'p1' }),
      acq('C', 50, { resources: ['r3'], proc: 'p2' }),
    ])
    // A×B on r2, B×C on r3
    assert.equal(r.checks.V1.violations, 2)
    assert.deepEqual(r.checks.V1.examples.map((e) => e.resource).sort(), ['r2', 'r3'])
  })

  test('failed acquires hold nothing', () => {
    const r = check([
      header(),
      acq('A', 0),
      { op: 'acquire', proc: 'p1', client: 0, resources: ['r1'], ttl: TTL, invoke_mono: 10, complete_mono: 60, outcome: 'held', attempts: 4 },
    ])
    clean(r)
  })

  test('using() routines: the first lease counts in V1, the observed claim in V1\'', () => {
    const using = (id, t, { start = t + 2, end = t + 100, lastOk = end - 1, proc = 'p1', maxExtensions } = {}) => [
      { op: 'using', proc, client: 0, id, resources: ['r1'], ttl: TTL, retryCount: 0, maxExtensions, invoke_mono: t, complete_mono: end + 2, outcome: 'ok' },
      { op: 'routine_start', proc, client: 0, id, mono: start },
      { op: 'routine_end', proc, client: 0, id, mono: end, last_ok_mono: lastOk, first_aborted_mono: null, abort_event_mono: null },
    ]
    clean(check([header(), header('p1'), acq('A', 0), rel('A', 100), ...using('U', 110)]))
    const r = check([header(), header('p1'), acq('A', 0), rel('A', 100), ...using('U', 50)])
    assert.equal(r.checks.V1.violations, 1)
    assert.equal(r.checks["V1'"].violations, 1)
    // A routine that keeps running (extended) past its first lease: the claim counts in V1'.
    const long = using('U', 0, { end: 800, lastOk: 790 })
    const r2 = check([header(), header('p1'), ...long, acq('B', 500, { proc: 'p2' })])
    assert.equal(r2.checks.V1.violations, 0) // the first lease ended at 295
    assert.equal(r2.checks["V1'"].violations, 1) // the library claimed the lock until 790
  })
})

describe("V1' with the library's expiration", () => {
  test('an expiration beyond the real lease overlaps a later holder', () => {
    // A says it holds until 400 (dishonest); B acquires at 350.
    const r = check([header(), acq('A', 0, { libExp: 400 }), acq('B', 350, { proc: 'p1' })])
    assert.equal(r.checks.V1.violations, 0)
    assert.equal(r.checks["V1'"].violations, 1)
    assert.equal(r.checks.V2.violations, 1)
  })
})

describe('V2 honesty', () => {
  test('expiration within invoke + ttl − drift + ε passes; beyond it fails', () => {
    clean(check([header(), acq('A', 0, { libExp: 0 + TTL - D + 2.9 })], { schedAllowance: 0 }))
    const r = check([header(), acq('A', 0, { libExp: 0 + TTL - D + 3.5 })], { schedAllowance: 0 })
    assert.equal(r.checks.V2.violations, 1)
    assert.equal(r.checks.V2.examples[0].over_ms, 3.5)
    // with the default scheduling allowance (17 ms) for one-attempt verdicts
    const near = check([header(), acq('A', 0, { libExp: 0 + TTL - D + 19.9 })])
    clean(near)
    assert.equal(near.stats.v2_near_misses, 1)
    assert.equal(check([header(), acq('A', 0, { libExp: 0 + TTL - D + 20.1 })]).checks.V2.violations, 1)
  })
  test('the attempt may start when the call returned its promise (sync_mono)', () => {
    const a = { ...acq('A', 0, { libExp: 4 + TTL - D + 2 }), sync_mono: 4 }
    clean(check([header(), a], { schedAllowance: 0 }))
    assert.equal(check([header(), { ...a, sync_mono: undefined }], { schedAllowance: 0 }).checks.V2.violations, 1)
  })
  test('validity measured from the reply (a slow first attempt) is caught', () => {
    // one attempt of 40 ms, expiration from the reply: 40 ms too long.
    const r = check([header(), acq('A', 0, { took: 40, libExp: 40 + TTL - D })]) // 40 ms over
    assert.equal(r.checks.V2.violations, 1)
  })
  test('retried acquires are bounded by their completion', () => {
    // three attempts: the last one started after the invoke; its honest expiration is later.
    clean(check([header(), acq('A', 0, { took: 120, attempts: 3, libExp: 100 + TTL - D })]))
    assert.equal(check([header(), acq('A', 0, { took: 120, attempts: 3, libExp: 130 + TTL - D })]).checks.V2.violations, 1)
    // no scheduling allowance there: the verdict itself bounds the attempt's start
    assert.equal(check([header(), acq('A', 0, { took: 120, attempts: 3, libExp: 120 + TTL - D + 3.5 })]).checks.V2.violations, 1)
  })
  test('a one-attempt acquire that may have queued behind its own process is bounded by its completion', () => {
    // B (client 1) is invoked while A (client 0, same process, same resource) is still
    // acquiring: B may wait its turn before its one attempt, so its attempt may start late.
    const a = { ...acq('A', 0, { took: 60, attempts: 3, libExp: 50 + TTL - D }), client: 0 }
    const b = { ...acq('B', 10, { client: 1, took: 100, libExp: 100 + TTL - D }) }
    clean(check([header(), a, rel('A', 70), b]))
    // ... but never beyond its completion,
    const late = { ...b, lib_expiration_mono: 110 + TTL - D + 3.5 }
    assert.equal(check([header(), a, rel('A', 70), late]).checks.V2.violations, 1)
    // and without such a pending acquire (another process's, or a finished one) the tight
    // bound from the invoke still applies.
    assert.equal(check([header(), header('p1'), { ...a, proc: 'p1' }, rel('A', 70, { proc: 'p1' }), b]).checks.V2.violations, 1)
    assert.equal(check([header(), a, rel('A', 70), { ...b, invoke_mono: 65 }]).checks.V2.violations, 1)
  })
})

describe('V2: never granted after the validity ran out', () => {
  test('a lock received more than 20 ms after its own expiration fails, unless its process stalled', () => {
    // one attempt of 400 ms (a slow quorum, per-node timeout 600 ms): expired 105 ms before receipt
    const late = { ...acq('A', 0, { took: 400, libExp: 295 }), nodeTimeout: 600, retryCount: 0 }
    const r = check([header(), late])
    assert.equal(r.checks.V2.violations, 1)
    assert.equal(r.checks.V2.examples[0].kind, 'granted-expired')
    assert.equal(r.checks.V2.examples[0].expired_ms, 105)
    assert.equal(r.checks.V6.violations, 0) // budget 2·600 + 100
    clean(check([header(), late, { op: 'fault', kind: 'client-stop', targets: ['p0'], procs: ['p0'], start_mono: 50, end_mono: 380 }]))
    clean(check([header(), late, { op: 'gc', proc: 'p0', start_mono: 350, end_mono: 390 }]))
    // received 10 ms after its expiration: the verdict's delivery, tolerated
    clean(check([header(), { ...acq('A', 0, { took: 305, libExp: 295 }), nodeTimeout: 600, retryCount: 0 }]))
  })
})

describe('V3 extend after expiry', () => {
  test('an extension before the end passes; one reported ok after it fails', () => {
    clean(check([header(), acq('A', 0), ext('A', 290), rel('A', 400)]))
    const r = check([header(), acq('A', 0), ext('A', 296, { late: true }), rel('A', 400)])
    assert.equal(r.checks.V3.violations, 1)
    assert.equal(r.checks.V3.examples[0].late, true)
    // refused late extension: fine
    clean(check([header(), acq('A', 0), ext('A', 310, { late: true, outcome: 'expired', took: 0.1 }), rel('A', 400)]))
  })
  test('chains of extensions use the latest end', () => {
    clean(check([header(), acq('A', 0), ext('A', 250), ext('A', 500), rel('A', 600)]))
    assert.equal(check([header(), acq('A', 0), ext('A', 250), ext('A', 546)]).checks.V3.violations, 1)
  })
})

describe('V4 using() honesty', () => {
  const usingRecs = (lastOk, { retryCount = 0, start = 2, maxExtensions = 0 } = {}) => [
    header(),
    { op: 'using', proc: 'p0', client: 0, id: 'U', resources: ['r9'], ttl: TTL, retryCount, maxExtensions, invoke_mono: 0, complete_mono: 500, outcome: 'ok' },
    { op: 'routine_start', proc: 'p0', client: 0, id: 'U', mono: start },
    { op: 'routine_end', proc: 'p0', client: 0, id: 'U', mono: 450, last_ok_mono: lastOk, first_aborted_mono: 450, abort_event_mono: 296 },
  ]
  test('not aborted within δ of the end: fine; later: violation', () => {
    clean(check(usingRecs(TTL - D + 49)))
    const r = check(usingRecs(TTL - D + 51))
    assert.equal(r.checks.V4.violations, 1)
    assert.equal(r.checks["V1'"].violations, 0)
  })
  test('with retries the end is counted from the routine start', () => {
    clean(check(usingRecs(100 + TTL - D + 40, { retryCount: 3, start: 100 })))
  })
  test('with automatic extension V4 does not apply', () => {
    clean(check(usingRecs(1000, { maxExtensions: null })))
  })
})

describe('V5, V6, V7', () => {
  test('residue records fail V5', () => {
    const r = check([header(), { op: 'residue', node: 2, key: 'jepsen:r1', pttl: -1 }])
    assert.deepEqual(r.failed, ['V5'])
  })
  test('an acquire over its time budget fails V6; inside a freeze of its process it is excused', () => {
    // budget: (4+1)·50 + 3·(20+10) + 100 = 440 ms
    const slow = { op: 'acquire', proc: 'p0', client: 0, resources: ['r1'], ttl: TTL, invoke_mono: 0, complete_mono: 441, outcome: 'held', attempts: 4 }
    assert.equal(check([header(), slow]).checks.V6.violations, 1)
    clean(check([header(), { ...slow, complete_mono: 439 }]))
    clean(check([header(), slow, { op: 'fault', kind: 'client-stop', targets: ['p0'], procs: ['p0'], start_mono: 100, end_mono: 300 }]))
    clean(check([header(), slow, { op: 'busy', proc: 'p0', start_mono: 100, end_mono: 300 }]))
    // a freeze of another process does not excuse it
    assert.equal(check([header(), slow, { op: 'busy', proc: 'p1', start_mono: 100, end_mono: 300 }]).checks.V6.violations, 1)
    // per-call retryCount 0: budget 2·50 + 100 = 200 ms; per-call nodeTimeout 600: 1300 ms
    assert.equal(check([header(), { ...slow, retryCount: 0, complete_mono: 201 }]).checks.V6.violations, 1)
    clean(check([header(), { ...slow, retryCount: 0, complete_mono: 199 }]))
    clean(check([header(), { ...slow, retryCount: 0, nodeTimeout: 600, complete_mono: 1299 }]))
    assert.equal(check([header(), { ...slow, retryCount: 0, nodeTimeout: 600, complete_mono: 1301 }]).checks.V6.violations, 1)
  })
  test('an operation that never completed fails V6', () => {
    const r = check([header(), { op: 'release', proc: 'p0', client: 0, value: 'A', resources: ['r1'], invoke_mono: 0, complete_mono: null, outcome: 'pending' }])
    assert.equal(r.checks.V6.violations, 1)
  })
  test('V7: exit codes, signals, hangs, fatal records, RSS growth', () => {
    clean(check([header(), exitOk('p0'), { op: 'rss', proc: 'p0', baseline: 50e6, final: 60e6 }]))
    assert.equal(check([{ op: 'proc_exit', proc: 'p0', code: null, signal: 'SIGABRT', hung: false }]).checks.V7.violations, 1)
    assert.equal(check([{ op: 'proc_exit', proc: 'p0', code: 1, signal: null, hung: false }]).checks.V7.violations, 1)
    assert.equal(check([{ op: 'proc_exit', proc: 'p0', code: 0, signal: null, hung: true }]).checks.V7.violations, 1)
    assert.equal(check([{ op: 'fatal', proc: 'p0', kind: 'unhandledRejection', message: 'x' }]).checks.V7.violations, 1)
    assert.equal(check([{ op: 'rss', proc: 'p0', baseline: 50e6, final: 50e6 + 60 * 1048576 }]).checks.V7.violations, 1)
  })
})

describe('V8 fencing tokens', () => {
  const fenced = (value, t, token, opts = {}) => ({ ...acq(value, t, opts), fencing_token: token })
  test('a later lock with a token not greater than an earlier one fails V8', () => {
    const r = check([header(), fenced('A', 0, 7), rel('A', 50), fenced('B', 100, 7), rel('B', 150)])
    assert.deepEqual(r.failed, ['V8'])
    assert.deepEqual(r.checks.V8.examples[0].earlier.token, 7)
    assert.equal(check([header(), fenced('A', 0, 8), fenced('B', 400, 6)]).checks.V8.violations, 1)
    clean(check([header(), fenced('A', 0, 7), rel('A', 50), fenced('B', 100, 8), rel('B', 150)]))
  })
  test('only pairs in a known order on a shared resource are compared; unfenced locks are not', () => {
    // B invoked before A completed: no order is known (V1 flags the overlap, V8 nothing).
    assert.equal(check([header(), fenced('A', 0, 9, { took: 30 }), fenced('B', 20, 3)]).checks.V8.violations, 0)
    // Other resources; an unfenced lock.
    clean(check([header(), fenced('A', 0, 9), fenced('B', 400, 3, { resources: ['r2'] }), acq('C', 800)]))
    // A multi-resource lock is compared on each of its resources.
    assert.equal(check([header(), fenced('A', 0, 9, { resources: ['r1', 'r2'] }), fenced('B', 400, 3, { resources: ['r2'] })]).checks.V8.violations, 1)
  })
  test('a using() routine’s token counts from its routine start', () => {
    const u = { op: 'using', proc: 'p0', client: 0, id: 'u1', resources: ['r1'], ttl: TTL, retryCount: 0, maxExtensions: null, invoke_mono: 100, complete_mono: 200, outcome: 'ok' }
    const recs = (tok) => [header(), fenced('A', 0, 5), rel('A', 50), u, { op: 'routine_start', proc: 'p0', client: 0, id: 'u1', mono: 110, fencing_token: tok }]
    assert.equal(check(recs(5)).checks.V8.violations, 1)
    clean(check(recs(6)))
  })
  test('a server restart without persistence in between voids the comparison', () => {
    const kill = { op: 'fault', kind: 'kill-minority', targets: ['n1'], start_mono: 200, end_mono: 300 }
    const pair = [header(), fenced('A', 0, 8), rel('A', 50), fenced('B', 400, 2)]
    clean(check([...pair, kill]))
    clean(check([...pair, { ...kill, kind: 'majority-outage', how: 'kill' }]))
    // A fault that loses nothing (a pause) does not.
    assert.equal(check([...pair, { ...kill, kind: 'stop-minority' }]).checks.V8.violations, 1)
    assert.equal(check([...pair, { ...kill, kind: 'majority-outage', how: 'stop' }]).checks.V8.violations, 1)
  })
})

test('parseJsonl skips torn lines', () => {
  const recs = parseJsonl('{"op":"header","proc":"p0"}\n\n{"op":"acq\n{"op":"busy"}\n')
  assert.equal(recs.length, 2)
  assert.equal(recs.torn, 1)
})

test('a realistic clean history of several processes passes every check', () => {
  const recs = [header('p0'), header('p1')]
  let t = 1000
  for (let i = 0; i < 50; i++) {
    const proc = i % 2 ? 'p1' : 'p0'
    const v = `v${i}`
    recs.push(acq(v, t, { proc, resources: i % 5 === 0 ? ['r1', 'r2'] : ['r1'] }))
    if (i % 3 === 0) recs.push(ext(v, t + 50, { proc }))
    recs.push(rel(v, t + 100, { proc }))
    t += 103
  }
  recs.push(exitOk('p0'), exitOk('p1'))
  const r = check(recs)
  clean(r)
  assert.equal(r.stats.critical_sections, 50)
  assert.equal(r.failed.length, 0)
  assert.equal(r.passed.length, CHECKS.length)
})

test("a control recipe's history (B granted while A still holds) is flagged by V1 and V1'", () => {
  // The shape of one control recipe of the orchestrator (TTL 2 s): A granted, one of its nodes
  // forgot the key, B granted 40 ms later and released, then A released.
  const ctl = { op: 'header', proc: 'ctl', pid: 1, settings: { ttl: 2000, nodeTimeout: 200, retryCount: 0, retryDelay: 50, retryJitter: 10, driftFactor: 0.01 } }
  const a = { op: 'acquire', proc: 'ctl', client: 0, resources: ['ctl:1:0'], ttl: 2000, invoke_mono: 0, complete_mono: 3, outcome: 'ok', value: 'A', attempts: 1, lib_expiration_mono: 1980 }
  const b = { op: 'acquire', proc: 'ctl', client: 1, resources: ['ctl:1:0'], ttl: 2000, invoke_mono: 40, complete_mono: 45, outcome: 'ok', value: 'B', attempts: 1, lib_expiration_mono: 2020 }
  const recs = [ctl, a, b, rel('B', 50, { proc: 'ctl', client: 1, resources: ['ctl:1:0'] }), rel('A', 55, { proc: 'ctl', resources: ['ctl:1:0'] })]
  const r = check(recs)
  assert.deepEqual(r.failed, ['V1', "V1'"])
  assert.equal(r.checks.V1.violations, 1)
  assert.equal(r.checks.V1.examples[0].overlap_ms, 5) // B's [45, 50) inside A's [3, 55)
  // B granted only after A's release: nothing to flag (the control would then be NOT tripped).
  clean(check([ctl, a, rel('A', 20, { proc: 'ctl', resources: ['ctl:1:0'] }), b, rel('B', 50, { proc: 'ctl', client: 1, resources: ['ctl:1:0'] })]))
})
