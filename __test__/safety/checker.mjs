// The checker of the randomized safety test: a pure function over histories (faults.md §4.3).
//
//   import { check, drift } from './checker.mjs'
//   const report = check(records, options)
//   report.checks.V1.violations ...   report.failed  (names of failing checks)
//
// Time is CLOCK_MONOTONIC milliseconds (process.hrtime.bigint() / 1e6), shared by every process
// on the host, so records of different processes compare without clock-sync error.
//
// Records (one JSON object per line in the histories; `op` tells the kind):
//   header        { proc, pid, settings: { ttl, nodeTimeout, retryCount, retryDelay, retryJitter, driftFactor } }
//   acquire       { proc, client, resources, ttl, retryCount?, nodeTimeout?, invoke_mono, sync_mono?, complete_mono,
//                   outcome, value?, lib_expiration_mono?, attempts? }  outcome 'ok' | reason | 'pending'
//   extend        { ..., value, late?, ... }   (same fields; `value` names the lock it extends)
//   release       { proc, client, value, resources, invoke_mono, complete_mono, outcome }
//   using         { proc, client, id, resources, ttl, retryCount?, maxExtensions?, invoke_mono,
//                   complete_mono, outcome }
//   routine_start { proc, client, id, mono }
//   routine_end   { proc, client, id, mono, last_ok_mono, first_aborted_mono, abort_event_mono }
//   busy          { proc, start_mono, end_mono }       (the client blocked its own event loop)
//   gc            { proc, start_mono, end_mono }       (a garbage-collection pause ≥ 1 ms; informational)
//   fault         { kind, targets, start_mono, end_mono, procs? }   (nemesis; `procs` = client
//                   processes it froze)
//   fatal         { proc, kind, message }               (uncaught exception / unhandled rejection)
//   rss           { proc, baseline, final }              (bytes)
//   proc_exit     { proc, code, signal, hung }           (written by the orchestrator)
//   residue       { node, key, pttl }                    (V5, written by the orchestrator)
//
// Lock instances: a plain lock is named by its value (unique per acquire); a using() call by its
// `id` (its value is not visible to the routine).
//
// Checks:
//   V1  mutual exclusion on conservative windows: per resource no two instances overlap, where
//       a plain lock's window is [complete(acquire ok), min(conservative_end, invoke(release)))
//       and conservative_end = invoke + ttl − drift of its latest successful acquire/extend (an
//       extend sets the TTL anew: with a shorter TTL it shortens the lock, so this is the "max
//       over" of faults.md §4.3 made exact), lowered by a later failed extend with a shorter end
//       (it may have shortened the keys on some nodes).
//       A using() routine's window is [routine start, min(invoke(using) + ttl − drift, routine end))
//       (the automatic extensions are not visible, so only the first lease is counted).
//   V1' the same with the library's own expiration (lib_expiration_mono of the latest successful
//       acquire/extend) instead of conservative_end; a using() routine's window is
//       [routine start, last observation of signal.aborted === false].
//   V2  honesty: lib_expiration_mono ≤ base + ttl − drift + ε (+ a scheduling allowance for
//       one-attempt verdicts, see DEFAULTS), base = invoke when the verdict
//       took one attempt (or `sync_mono`, the time the call returned its promise, if later: the
//       attempt may start anywhere in the synchronous part), complete otherwise (a retried
//       attempt started after the invoke, and so may a first attempt that queued behind another
//       acquire of its process on the same resource).
//       Also: a lock must not be granted after its validity ran out — one received more than
//       20 ms after its own expiration (lib_expiration_mono < complete − 20) while its process
//       was not stalled (SIGSTOP, busy loop, GC) is a violation.
//   V3  an extend reported ok although it was invoked at or after the conservative end of the
//       lock it extends.
//   V4  a using() routine that saw signal.aborted === false more than δ after its lock's end,
//       for using() calls without automatic extension (maxExtensions: 0); the end is
//       invoke + ttl − drift with retryCount 0, routine start + ttl − drift otherwise.
//   V5  residue after healing (records from the orchestrator): any lock key left, or one
//       without expiry.
//   V6  time budget: acquire/extend/release (and the acquire part of using) complete within
//       (A+1)·nodeTimeout + (A−1)·(retryDelay + retryJitter) + margin with A = retryCount + 1
//       attempts (the +1: a failed acquire waits for its last rollback), operations overlapping a
//       freeze of their own process (SIGSTOP by the nemesis, busy loop) excepted; an operation
//       that never completed is a violation.
//   V7  process health: every client exited 0 by itself after quit(), no uncaught exception or
//       unhandled rejection, RSS growth below the limit.
//   V8  fencing tokens (issue 14, docs/fencing.md): per resource, a fenced lock whose acquire
//       was invoked after another fenced lock's acquire completed has a greater token (the
//       order the locks were held in, read from the history without trusting any clock but the
//       shared monotonic one). Tokens come from `fencing_token` of a successful acquire (plain
//       locks) or of a routine_start (using()). Counters must survive restarts: pairs with a
//       server restart without persistence in between (a fault whose kind or `how` names a
//       kill, restart or crash) are not compared — the documented assumption is void there.

export const DEFAULTS = Object.freeze({
  epsilon: 3, // ms, V2 (Date.now() granularity and the conversion to the monotonic clock)
  // ms, V2 for one-attempt verdicts only: the library starts its attempt on its own thread
  // pool after the call returned; on this loaded 2-core host that start was seen up to 5.4 ms
  // late in the CI profile and 13.5 ms late in the long one (0.1 % of verdicts beyond 3 ms).
  schedAllowance: 17,
  expiredTolerance: 20, // ms, V2: a lock may arrive this much after its expiration (delivery)
  delta: 50, // ms, V4
  budgetMargin: 100, // ms, V6
  freezeMargin: 50, // ms added after a freeze of the process (V6 exclusion)
  rssLimit: 50 * 1024 * 1024, // bytes, V7
  maxExamples: 5, // violations kept per check in the report
})

export const CHECKS = ['V1', "V1'", 'V2', 'V3', 'V4', 'V5', 'V6', 'V7', 'V8']

/** `round(ttl × driftFactor) + 2` (the library's drift). */
export function drift(ttl, driftFactor = 0.01) {
  return Math.round(ttl * driftFactor) + 2
}

const SETTINGS_DEFAULTS = { retryCount: 10, retryDelay: 200, retryJitter: 100, driftFactor: 0.01, nodeTimeout: undefined }

function nodeTimeoutFor(ttl, s) {
  if (Number.isFinite(s.nodeTimeout)) return s.nodeTimeout
  return Math.min(1000, Math.max(100, Math.floor(ttl / 20)))
}

function round3(x) {
  return Number.isFinite(x) ? Math.round(x * 1000) / 1000 : x
}

/**
 * Overlaps of windows on one resource: `windows` = [{ id, start, end, ... }]; returns pairs
 * [a, b] of different ids with a.start ≤ b.start < a.end (half-open intervals). O(n log n + k).
 */
export function overlaps(windows) {
  const ws = windows.filter((w) => w.end > w.start).sort((a, b) => a.start - b.start || a.end - b.end)
  const out = []
  let active = [] // windows still open at the current start
  for (const w of ws) {
    active = active.filter((a) => a.end > w.start)
    for (const a of active) if (a.id !== w.id) out.push([a, w])
    active.push(w)
  }
  return out
}

/** The checker: see the header. `records` is an array of history records (any order). */
export function check(records, options = {}) {
  const opt = { ...DEFAULTS, ...options }
  const headers = new Map()
  for (const r of records) if (r.op === 'header') headers.set(r.proc, r)
  const settingsOf = (r) => ({ ...SETTINGS_DEFAULTS, ...((headers.get(r.proc) || {}).settings || {}) })
  const driftOf = (r, ttl) => drift(ttl, settingsOf(r).driftFactor)

  const by = (op) => records.filter((r) => r.op === op)
  const acquires = by('acquire')
  const extendsAll = by('extend')
  const releases = by('release')
  const usings = by('using')
  const routineStart = new Map(by('routine_start').map((r) => [r.id, r]))
  const routineEnd = new Map(by('routine_end').map((r) => [r.id, r]))

  // ---- lock instances (plain locks, by value) ----
  const locks = new Map()
  for (const a of acquires) {
    if (a.outcome !== 'ok' || typeof a.value !== 'string') continue
    locks.set(a.value, { value: a.value, proc: a.proc, client: a.client, resources: a.resources, acquire: a, extends: [], release: null })
  }
  for (const e of extendsAll) {
    const l = locks.get(e.value)
    if (l) l.extends.push(e)
  }
  for (const r of releases) {
    const l = locks.get(r.value)
    if (l && (!l.release || r.invoke_mono < l.release.invoke_mono)) l.release = r
  }
  for (const l of locks.values()) l.extends.sort((a, b) => a.invoke_mono - b.invoke_mono)

  const consEndOfOp = (r) => r.invoke_mono + r.ttl - driftOf(r, r.ttl)
  // The conservative end of a lock as of time `at` (its extends invoked before `at`): an extend
  // sets the TTL anew (it may shorten it), so the latest successful acquire/extend decides; an
  // extend that failed may still have set a shorter TTL on some nodes, so it can only lower it.
  const conservativeEnd = (l, at) => {
    let end = consEndOfOp(l.acquire)
    for (const e of l.extends) {
      if (e.invoke_mono >= at) break
      end = e.outcome === 'ok' ? consEndOfOp(e) : Math.min(end, consEndOfOp(e))
    }
    return end
  }

  const v = Object.fromEntries(CHECKS.map((c) => [c, { violations: [], checked: 0 }]))
  const add = (name, item) => v[name].violations.push(item)

  // ---- windows for V1 / V1' ----
  const win1 = new Map() // resource -> windows
  const win1p = new Map()
  const put = (map, res, w) => {
    for (const r of res) {
      if (!map.has(r)) map.set(r, [])
      map.get(r).push({ ...w, resource: r })
    }
  }
  for (const l of locks.values()) {
    const a = l.acquire
    const oks = [a, ...l.extends.filter((e) => e.outcome === 'ok')]
    const consEnd = conservativeEnd(l, Infinity)
    const relInvoke = l.release ? l.release.invoke_mono : Infinity
    const start = a.complete_mono
    const end = Math.min(consEnd, relInvoke)
    put(win1, l.resources, { id: l.value, kind: 'lock', proc: l.proc, client: l.client, start, end, consEnd })
    // The library's view: the expiration of the latest successful acquire/extend (by completion).
    const latest = oks.filter((o) => Number.isFinite(o.lib_expiration_mono)).sort((x, y) => x.complete_mono - y.complete_mono).pop()
    if (latest) {
      put(win1p, l.resources, {
        id: l.value,
        kind: 'lock',
        proc: l.proc,
        client: l.client,
        start,
        end: Math.min(latest.lib_expiration_mono, relInvoke),
      })
    }
    l.consEnd = consEnd
  }
  for (const u of usings) {
    const s = routineStart.get(u.id)
    if (!s) continue
    const e = routineEnd.get(u.id)
    const routineEndMono = e ? e.mono : Number.isFinite(u.complete_mono) ? u.complete_mono : Infinity
    const consEnd = consEndOfOp(u)
    put(win1, u.resources, { id: u.id, kind: 'using', proc: u.proc, client: u.client, start: s.mono, end: Math.min(consEnd, routineEndMono), consEnd })
    if (e && Number.isFinite(e.last_ok_mono)) {
      put(win1p, u.resources, { id: u.id, kind: 'using', proc: u.proc, client: u.client, start: s.mono, end: e.last_ok_mono })
    }
  }
  const sweep = (name, map) => {
    for (const [res, ws] of map) {
      v[name].checked += ws.filter((w) => w.end > w.start).length
      for (const [a, b] of overlaps(ws)) {
        add(name, {
          resource: res,
          overlap_ms: round3(Math.min(a.end, b.end) - b.start),
          a: { id: a.id, kind: a.kind, proc: a.proc, client: a.client, start: round3(a.start), end: round3(a.end) },
          b: { id: b.id, kind: b.kind, proc: b.proc, client: b.client, start: round3(b.start), end: round3(b.end) },
        })
      }
    }
  }
  sweep('V1', win1)
  sweep("V1'", win1p)

  // ---- freezes of a process: SIGSTOP by the nemesis, busy loops (and GC pauses, for V2) ----
  const freezes = new Map() // proc -> [[start, end]]
  const freeze = (proc, s, e) => {
    if (!freezes.has(proc)) freezes.set(proc, [])
    freezes.get(proc).push([s, e])
  }
  for (const b of by('busy')) freeze(b.proc, b.start_mono, b.end_mono)
  for (const f of by('fault')) for (const p of f.procs || []) freeze(p, f.start_mono, f.end_mono)
  const frozen = (proc, s, e) =>
    (freezes.get(proc) || []).some(([fs, fe]) => s < fe + opt.freezeMargin && (e === null || e > fs))
  const gcs = new Map()
  for (const g of by('gc')) {
    if (!gcs.has(g.proc)) gcs.set(g.proc, [])
    gcs.get(g.proc).push([g.start_mono, g.end_mono])
  }
  const stalled = (proc, s, e) => frozen(proc, s, e) || (gcs.get(proc) || []).some(([gs, ge]) => s < ge + opt.freezeMargin && e > gs)

  // ---- V2 honesty ----
  let maxSlack = -Infinity
  let nearMisses = 0
  // A one-attempt acquire may first queue behind a waiter of its own process for the same
  // resource (redlock-rs serves a process's waiters first come, first served, instead of
  // letting a newcomer jump the queue): its attempt then starts after the invoke. The tight
  // bound applies only when no acquire or using() of that process on an overlapping resource
  // was still acquiring at the invoke.
  const acquisitionEnd = (o) =>
    o.op === 'using'
      ? (routineStart.get(o.id) || {}).mono ?? o.complete_mono ?? Infinity
      : o.complete_mono ?? Infinity
  const acquiringByProc = new Map()
  for (const o of [...acquires, ...usings]) {
    if (!acquiringByProc.has(o.proc)) acquiringByProc.set(o.proc, [])
    acquiringByProc.get(o.proc).push(o)
  }
  const mayHaveQueued = (r) =>
    r.op === 'acquire' &&
    (acquiringByProc.get(r.proc) || []).some(
      (o) =>
        o !== r &&
        o.invoke_mono <= r.invoke_mono &&
        acquisitionEnd(o) > r.invoke_mono &&
        o.resources.some((x) => r.resources.includes(x)),
    )
  for (const r of [...acquires, ...extendsAll]) {
    if (r.outcome !== 'ok' || !Number.isFinite(r.lib_expiration_mono)) continue
    // The attempt starts after the call: at the latest when the call returned its promise
    // (`sync_mono`; a preemption or GC pause inside the synchronous part delays the start).
    const one = r.attempts === 1 && !mayHaveQueued(r)
    const base = one ? Math.max(r.invoke_mono, Number.isFinite(r.sync_mono) ? r.sync_mono : -Infinity) : r.complete_mono
    const bound = base + r.ttl - driftOf(r, r.ttl)
    v.V2.checked++
    const over = r.lib_expiration_mono - bound
    if (one) maxSlack = Math.max(maxSlack, over)
    const eps = opt.epsilon + (one ? opt.schedAllowance : 0)
    if (over > opt.epsilon && over <= eps) nearMisses++
    // Never granted after the validity ran out: the lock must not arrive already expired
    // (beyond the delivery of the verdict to JavaScript), unless its process was stalled.
    if (r.lib_expiration_mono < r.complete_mono - opt.expiredTolerance && !stalled(r.proc, r.invoke_mono, r.complete_mono)) {
      add('V2', { kind: 'granted-expired', op: r.op, proc: r.proc, client: r.client, value: r.value, attempts: r.attempts, expired_ms: round3(r.complete_mono - r.lib_expiration_mono), lib_expiration_mono: round3(r.lib_expiration_mono), complete_mono: round3(r.complete_mono) })
    }
    if (over > eps) {
      add('V2', { op: r.op, proc: r.proc, client: r.client, value: r.value, attempts: r.attempts, over_ms: round3(over), lib_expiration_mono: round3(r.lib_expiration_mono), bound: round3(bound) })
    }
  }

  // ---- V3 extend after expiry ----
  for (const l of locks.values()) {
    for (const e of l.extends) {
      if (e.outcome === 'ok') {
        v.V3.checked++
        const consEnd = conservativeEnd(l, e.invoke_mono)
        if (e.invoke_mono >= consEnd) {
          add('V3', { proc: e.proc, client: e.client, value: e.value, late: !!e.late, invoke_mono: round3(e.invoke_mono), conservative_end: round3(consEnd), after_ms: round3(e.invoke_mono - consEnd) })
        }
      } else if (e.late) {
        v.V3.checked++
      }
    }
  }

  // ---- V4 using() honesty ----
  for (const u of usings) {
    if (u.maxExtensions !== 0) continue
    const s = routineStart.get(u.id)
    const e = routineEnd.get(u.id)
    if (!s || !e) continue
    v.V4.checked++
    const base = u.retryCount === 0 ? u.invoke_mono : s.mono
    const end = base + u.ttl - driftOf(u, u.ttl)
    if (Number.isFinite(e.last_ok_mono) && e.last_ok_mono > end + opt.delta) {
      add('V4', { proc: u.proc, client: u.client, id: u.id, last_ok_mono: round3(e.last_ok_mono), lock_end: round3(end), late_ms: round3(e.last_ok_mono - end) })
    }
  }

  // ---- V5 residue ----
  for (const r of by('residue')) add('V5', r)
  v.V5.checked = by('residue_checked').reduce((n, r) => n + (r.nodes || 0), 0)

  // ---- V6 time budget ----
  const budgetOf = (r) => {
    const st = settingsOf(r)
    const rc = Number.isInteger(r.retryCount) && r.retryCount >= 0 ? r.retryCount : st.retryCount
    const attempts = rc < 0 ? 11 : rc + 1
    const nt = Number.isFinite(r.nodeTimeout) ? r.nodeTimeout : nodeTimeoutFor(r.ttl || 0, st)
    // every attempt ≤ one node timeout, a retry delay between attempts, and a failed acquire
    // waits (≤ one node timeout) for the rollback of its last attempt before it reports
    return (attempts + 1) * nt + (attempts - 1) * (st.retryDelay + st.retryJitter) + opt.budgetMargin
  }
  const timeOp = (r, end, what) => {
    if (frozen(r.proc, r.invoke_mono, end)) return
    v.V6.checked++
    const budget = budgetOf(r)
    if (end === null || !Number.isFinite(end)) {
      add('V6', { op: what, proc: r.proc, client: r.client, invoke_mono: round3(r.invoke_mono), took_ms: null, budget_ms: budget, note: 'never completed' })
      return
    }
    if (end - r.invoke_mono > budget) {
      add('V6', { op: what, proc: r.proc, client: r.client, invoke_mono: round3(r.invoke_mono), took_ms: round3(end - r.invoke_mono), budget_ms: budget })
    }
  }
  const latencies = { acquire: [], extend: [], release: [] }
  for (const r of [...acquires, ...extendsAll, ...releases]) {
    const end = r.outcome === 'pending' ? null : r.complete_mono
    timeOp(r, end, r.op)
    if (end !== null && Number.isFinite(end)) latencies[r.op].push(end - r.invoke_mono)
  }
  for (const u of usings) {
    const s = routineStart.get(u.id)
    if (s) timeOp(u, s.mono, 'using-acquire')
    else timeOp(u, u.outcome === 'pending' ? null : u.complete_mono, 'using-acquire')
  }

  // ---- V7 process health ----
  const exits = by('proc_exit')
  for (const x of exits) {
    v.V7.checked++
    if (x.code !== 0 || x.signal || x.hung) add('V7', { proc: x.proc, kind: 'exit', code: x.code, signal: x.signal || null, hung: !!x.hung })
  }
  for (const f of by('fatal')) add('V7', { proc: f.proc, kind: f.kind, message: String(f.message).slice(0, 300) })
  for (const m of by('rss')) {
    if (Number.isFinite(m.baseline) && Number.isFinite(m.final) && m.final - m.baseline > opt.rssLimit) {
      add('V7', { proc: m.proc, kind: 'rss', growth_mb: round3((m.final - m.baseline) / 1048576) })
    }
  }

  // ---- V8 fencing tokens ----
  const fencedLocks = [] // { id, resources, invoke, complete, token }
  for (const a of acquires) {
    if (a.outcome === 'ok' && Number.isFinite(a.fencing_token)) {
      fencedLocks.push({ id: a.value, proc: a.proc, resources: a.resources, invoke: a.invoke_mono, complete: a.complete_mono, token: a.fencing_token })
    }
  }
  for (const u of usings) {
    const s = routineStart.get(u.id)
    // The routine starts once the lock is held: its start bounds the acquire's completion.
    if (s && Number.isFinite(s.fencing_token)) {
      fencedLocks.push({ id: u.id, proc: u.proc, resources: u.resources, invoke: u.invoke_mono, complete: s.mono, token: s.fencing_token })
    }
  }
  const losses = by('fault')
    .filter((f) => /kill|restart|crash/.test(`${f.kind} ${f.how || ''}`))
    .map((f) => [f.start_mono, Number.isFinite(f.end_mono) ? f.end_mono : Infinity])
  const lostBetween = (s, e) => losses.some(([fs, fe]) => fs < e && fe > s)
  const fencedBy = new Map()
  for (const l of fencedLocks) {
    for (const r of l.resources) {
      if (!fencedBy.has(r)) fencedBy.set(r, [])
      fencedBy.get(r).push(l)
    }
  }
  for (const [res, ls] of fencedBy) {
    const done = [...ls].sort((x, y) => x.complete - y.complete)
    for (const b of ls) {
      // Every earlier lock: completed before b was invoked, no counter lost in between.
      for (const a of done) {
        if (a.complete >= b.invoke) break
        if (a === b || lostBetween(a.invoke, b.complete)) continue
        v.V8.checked++
        if (b.token <= a.token) {
          add('V8', {
            resource: res,
            earlier: { id: a.id, proc: a.proc, token: a.token, complete: round3(a.complete) },
            later: { id: b.id, proc: b.proc, token: b.token, invoke: round3(b.invoke) },
          })
        }
      }
    }
  }

  // ---- statistics (reported, not checked) ----
  const count = (rs, pred) => rs.filter(pred).length
  const pct = (xs, p) => {
    if (xs.length === 0) return null
    const s = [...xs].sort((a, b) => a - b)
    return round3(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))])
  }
  const outcomes = (rs) => rs.reduce((m, r) => ((m[r.outcome] = (m[r.outcome] || 0) + 1), m), {})
  const stats = {
    acquires: acquires.length,
    acquire_outcomes: outcomes(acquires),
    extends: extendsAll.length,
    extend_outcomes: outcomes(extendsAll),
    late_extends: count(extendsAll, (e) => e.late),
    late_extends_ok: count(extendsAll, (e) => e.late && e.outcome === 'ok'),
    releases: releases.length,
    release_outcomes: outcomes(releases),
    usings: usings.length,
    using_outcomes: outcomes(usings),
    routines: routineStart.size,
    routines_aborted: [...routineEnd.values()].filter((e) => Number.isFinite(e.first_aborted_mono)).length,
    critical_sections: locks.size + routineStart.size,
    returned_expired: count([...acquires, ...extendsAll], (a) => a.outcome === 'ok' && a.lib_expiration_mono < a.complete_mono),
    v2_max_slack_ms: Number.isFinite(maxSlack) ? round3(maxSlack) : null,
    v2_near_misses: nearMisses,
    p50_ms: Object.fromEntries(Object.entries(latencies).map(([k, xs]) => [k, pct(xs, 50)])),
    p99_ms: Object.fromEntries(Object.entries(latencies).map(([k, xs]) => [k, pct(xs, 99)])),
    max_ms: Object.fromEntries(Object.entries(latencies).map(([k, xs]) => [k, xs.length ? round3(xs.reduce((m, x) => (x > m ? x : m), -Infinity)) : null])),
    max_rss_growth_mb: by('rss').reduce((m, r) => (Number.isFinite(r.baseline) && Number.isFinite(r.final) ? Math.max(m, round3((r.final - r.baseline) / 1048576)) : m), null),
    max_rss_mb: by('rss').reduce((m, r) => (Number.isFinite(r.max) ? Math.max(m, round3(Math.max(r.max, r.final || 0) / 1048576)) : m), null),
    faults: by('fault').reduce((m, f) => ((m[f.kind] = (m[f.kind] || 0) + 1), m), {}),
  }

  const checks = {}
  for (const c of CHECKS) {
    checks[c] = {
      checked: v[c].checked,
      violations: v[c].violations.length,
      examples: v[c].violations.slice(0, opt.maxExamples),
    }
  }
  const failed = CHECKS.filter((c) => checks[c].violations > 0)
  return { checks, failed, passed: CHECKS.filter((c) => !failed.includes(c)), stats }
}

/** Parses JSONL text into records, skipping blank and torn lines (counted in `.torn`). */
export function parseJsonl(text) {
  const out = []
  let torn = 0
  for (const line of text.split('\n')) {
    if (!line.trim()) continue
    try {
      out.push(JSON.parse(line))
    } catch {
      torn++
    }
  }
  out.torn = torn
  return out
}
