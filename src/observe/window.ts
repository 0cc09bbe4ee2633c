/**
 * Rolling-window counters for health figures ("success rate over the last 5 minutes"). Time is
 * cut into fixed slots (10 s by default) kept in a ring; a slot older than the retention is
 * reused. Latencies go into log-spaced buckets per slot, so a p95 over the window costs one
 * merge, memory stays fixed whatever the traffic, and the error of a quantile is bounded by the
 * bucket width (±12%). Time comes from the caller, so tests drive it with a ManualClock.
 */

/** Latency bucket upper bounds in ms: 0.5 ms × 1.25^i up to past 2 minutes. */
const LATENCY_BOUNDS_0 = 0.5
const GROWTH = 1.25
const LOG_GROWTH = Math.log(GROWTH)
const LATENCY_BOUNDS: readonly number[] = (() => {
  const out: number[] = []
  for (let b = LATENCY_BOUNDS_0; b < 150_000; b *= GROWTH) out.push(b)
  return out
})()

export interface WindowOptions {
  /** Width of one slot in ms. Default 10 s. */
  slotMs?: number
  /** How far back figures can be asked for, in ms. Default 5 min. */
  retentionMs?: number
  /** Keep a latency sketch. Default false. */
  latency?: boolean
}

/** Counters for `fields` named figures, plus an optional latency sketch, over rolling time. */
export class RollingWindow<F extends string> {
  readonly slotMs: number
  readonly retentionMs: number
  readonly #fields: readonly F[]
  readonly #epochs: Float64Array
  readonly #counts: Float64Array
  readonly #lat: Uint32Array | undefined

  constructor(fields: readonly F[], options: WindowOptions = {}) {
    this.slotMs = Math.max(1, options.slotMs ?? 10_000)
    this.retentionMs = Math.max(this.slotMs, options.retentionMs ?? 300_000)
    // One extra slot so a full retention is available while the current slot is filling.
    const slots = Math.ceil(this.retentionMs / this.slotMs) + 1
    this.#fields = fields
    this.#epochs = new Float64Array(slots).fill(-1)
    this.#counts = new Float64Array(slots * fields.length)
    this.#lat = options.latency === true ? new Uint32Array(slots * (LATENCY_BOUNDS.length + 1)) : undefined
  }

  /** Index of the slot for `now`, cleared when it last held an older epoch. */
  #slot(now: number): number {
    const epoch = Math.floor(now / this.slotMs)
    const n = this.#epochs.length
    const i = ((epoch % n) + n) % n
    if (this.#epochs[i] !== epoch) {
      this.#epochs[i] = epoch
      this.#counts.fill(0, i * this.#fields.length, (i + 1) * this.#fields.length)
      const lat = this.#lat
      if (lat !== undefined) lat.fill(0, i * (LATENCY_BOUNDS.length + 1), (i + 1) * (LATENCY_BOUNDS.length + 1))
    }
    return i
  }

  add(now: number, field: F, n = 1): void {
    const f = this.#fields.indexOf(field)
    if (f < 0) return
    const i = this.#slot(now)
    this.#counts[i * this.#fields.length + f] = (this.#counts[i * this.#fields.length + f] ?? 0) + n
  }

  observe(now: number, ms: number): void {
    const lat = this.#lat
    if (lat === undefined || !(ms >= 0)) return
    const i = this.#slot(now)
    let b = ms <= LATENCY_BOUNDS_0 ? 0 : Math.min(LATENCY_BOUNDS.length, Math.ceil(Math.log(ms / LATENCY_BOUNDS_0) / LOG_GROWTH))
    // Float rounding may land one bucket off at an exact bound; settle it against the table.
    if (b > 0 && ms <= (LATENCY_BOUNDS[b - 1] as number)) b--
    else if (b < LATENCY_BOUNDS.length && ms > (LATENCY_BOUNDS[b] as number)) b++
    const k = i * (LATENCY_BOUNDS.length + 1) + b
    lat[k] = (lat[k] ?? 0) + 1
  }

  /** Slots whose epoch falls in (now − windowMs, now]. */
  #live(now: number, windowMs: number): number[] {
    const current = Math.floor(now / this.slotMs)
    const span = Math.max(1, Math.ceil(Math.min(windowMs, this.retentionMs) / this.slotMs))
    const out: number[] = []
    for (let i = 0; i < this.#epochs.length; i++) {
      const e = this.#epochs[i] as number
      if (e > current - span && e <= current) out.push(i)
    }
    return out
  }

  /** Sum of each field over the last `windowMs` (capped at the retention). */
  totals(now: number, windowMs: number = this.retentionMs): Record<F, number> {
    const out = Object.fromEntries(this.#fields.map((f) => [f, 0])) as Record<F, number>
    const width = this.#fields.length
    for (const i of this.#live(now, windowMs)) {
      for (let f = 0; f < width; f++) {
        const name = this.#fields[f] as F
        out[name] += this.#counts[i * width + f] ?? 0
      }
    }
    return out
  }

  /**
   * The `q` quantile (0..1) of the latencies observed in the window, in ms, interpolated inside
   * its bucket; `null` when nothing was observed.
   */
  quantile(now: number, q: number, windowMs: number = this.retentionMs): number | null {
    const lat = this.#lat
    if (lat === undefined) return null
    const width = LATENCY_BOUNDS.length + 1
    const merged = new Float64Array(width)
    for (const i of this.#live(now, windowMs)) for (let b = 0; b < width; b++) merged[b] = (merged[b] ?? 0) + (lat[i * width + b] ?? 0)
    const total = merged.reduce((a, b) => a + b, 0)
    if (total === 0) return null
    const rank = Math.min(1, Math.max(0, q)) * total
    let seen = 0
    for (let b = 0; b < width; b++) {
      const c = merged[b] ?? 0
      if (c > 0 && seen + c >= rank) {
        const lo = b === 0 ? 0 : (LATENCY_BOUNDS[b - 1] as number)
        // The overflow bucket has no upper bound: report its lower bound.
        const hi = LATENCY_BOUNDS[b] ?? lo
        return lo + (hi - lo) * ((rank - seen) / c)
      }
      seen += c
    }
    return LATENCY_BOUNDS[LATENCY_BOUNDS.length - 1] ?? null
  }
}
