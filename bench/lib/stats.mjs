// Small statistics helpers.

/** Nearest-rank percentile (p in [0, 1]) of the first `n` samples of a typed array; NaN if empty. */
export function percentiles(samples, n, ps) {
  if (n === 0) return ps.map(() => NaN)
  const sorted = Float64Array.from(samples.subarray(0, n)).sort()
  return ps.map((p) => sorted[Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1))])
}

export function median(xs) {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b)
  if (v.length === 0) return null
  const m = v.length >> 1
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2
}

/** Rounds to `d` significant-ish decimals for the JSON (keeps integers as they are). */
export function round(x, d = 3) {
  if (typeof x !== 'number' || !Number.isFinite(x)) return x ?? null
  const f = 10 ** d
  return Math.round(x * f) / f
}

/** A growable Float64Array with a hard cap (samples beyond the cap are dropped, counted). */
export class Samples {
  constructor(cap) {
    this.buf = new Float64Array(Math.min(cap, 1 << 16))
    this.cap = cap
    this.n = 0
    this.dropped = 0
  }
  push(x) {
    if (this.n === this.buf.length) {
      if (this.n >= this.cap) {
        this.dropped++
        return
      }
      const next = new Float64Array(Math.min(this.cap, this.buf.length * 2))
      next.set(this.buf)
      this.buf = next
    }
    this.buf[this.n++] = x
  }
  pct(ps) {
    return percentiles(this.buf, this.n, ps)
  }
}
