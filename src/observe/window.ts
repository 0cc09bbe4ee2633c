/**
 * Rolling-window counters for health figures ("success rate over the last 5 minutes"). Time is
 * cut into fixed slots (10 s by default) kept in a ring; a slot older than the retention is
 * reused. Latencies go into log-spaced buckets per slot, so a p95 over the window costs one
 * merge, memory stays fixed whatever the traffic, and a quantile is off by at most one bucket
 * width (a factor 1.25). Time comes from the caller, so tests drive it with a ManualClock.
 */

/** Latency bucket upper bounds in ms: 0.5 ms × 1.25^i up to past 2 minutes. */
const LATENCY_BOUNDS_0 = 0.5
const GROWTH = 1.25
const LATENCY_BOUNDS: readonly number[] = (() => {
  const out: number[] = []
  for (let b = LATENCY_BOUNDS_0; b < 150_000; b *= GROWTH) out.push(b)
  return out
})()
/** Buckets per slot: one per bound plus the overflow. */
const LATENCY_WIDTH = LATENCY_BOUNDS.length + 1

export interface WindowOptions {
  /** Width of one slot in ms. Default 10 s. */
  slotMs?: number
  /** How far back counts can be asked for, in ms. Default 5 min. */
  retentionMs?: number
  /** Keep a latency sketch. Default false. */
  latency?: boolean
  /**
   * How far back latencies can be asked for (≤ retentionMs). Default retentionMs. Latency slots
   * are ~60 times the size of count slots: keep them only as long as a quantile is read.
   */
  latencyRetentionMs?: number
}

/** A ring of `width` numbers per time slot; a slot is zeroed when a new epoch reuses it. */
class Ring<A extends Float64Array | Uint32Array> {
  readonly #epochs: Float64Array
  /** The slot `at` found last: nearly every call falls in the same slot as the one before (NaN: none yet). */
  #lastEpoch = Number.NaN
  #lastOffset = 0
  constructor(
    readonly slotMs: number,
    readonly retentionMs: number,
    readonly width: number,
    readonly data: A,
  ) {
    this.#epochs = new Float64Array(data.length / width).fill(-1)
  }

  /** One extra slot so a full retention is available while the current slot is filling. */
  static slots(slotMs: number, retentionMs: number): number {
    return Math.ceil(retentionMs / slotMs) + 1
  }

  /** Offset of the slot for `now` in `data`. */
  at(now: number): number {
    const epoch = Math.floor(now / this.slotMs)
    if (epoch === this.#lastEpoch) return this.#lastOffset
    const n = this.#epochs.length
    const i = ((epoch % n) + n) % n
    if (this.#epochs[i] !== epoch) {
      this.#epochs[i] = epoch
      this.data.fill(0, i * this.width, (i + 1) * this.width)
    }
    this.#lastEpoch = epoch
    this.#lastOffset = i * this.width
    return this.#lastOffset
  }

  /** Offsets of the slots whose epoch falls in (now − windowMs, now]. */
  live(now: number, windowMs: number): number[] {
    const current = Math.floor(now / this.slotMs)
    const span = Math.max(1, Math.ceil(Math.min(windowMs, this.retentionMs) / this.slotMs))
    const out: number[] = []
    for (let i = 0; i < this.#epochs.length; i++) {
      const e = this.#epochs[i] as number
      if (e > current - span && e <= current) out.push(i * this.width)
    }
    return out
  }
}

/** Counters for named figures, plus an optional latency sketch, over rolling time. */
export class RollingWindow<F extends string> {
  readonly slotMs: number
  readonly retentionMs: number
  readonly #fields: readonly F[]
  readonly #counts: Ring<Float64Array>
  readonly #lat: Ring<Uint32Array> | undefined

  constructor(fields: readonly F[], options: WindowOptions = {}) {
    this.slotMs = Math.max(1, options.slotMs ?? 10_000)
    this.retentionMs = Math.max(this.slotMs, options.retentionMs ?? 300_000)
    this.#fields = fields
    const slots = Ring.slots(this.slotMs, this.retentionMs)
    this.#counts = new Ring(this.slotMs, this.retentionMs, fields.length, new Float64Array(slots * fields.length))
    if (options.latency === true) {
      const latRetention = Math.min(this.retentionMs, Math.max(this.slotMs, options.latencyRetentionMs ?? this.retentionMs))
      const latSlots = Ring.slots(this.slotMs, latRetention)
      this.#lat = new Ring(this.slotMs, latRetention, LATENCY_WIDTH, new Uint32Array(latSlots * LATENCY_WIDTH))
    }
  }

  add(now: number, field: F, n = 1): void {
    const f = this.#fields.indexOf(field)
    if (f >= 0) this.addAt(now, f, n)
  }

  /** {@link add} by the field's position in the window's fields (per-request feeds: no lookup by name). */
  addAt(now: number, field: number, n = 1): void {
    const k = this.#counts.at(now) + field
    this.#counts.data[k] = (this.#counts.data[k] ?? 0) + n
  }

  observe(now: number, ms: number): void {
    const lat = this.#lat
    if (lat === undefined || !(ms >= 0)) return
    // The first bucket whose bound is ≥ ms (the overflow bucket past the last): a binary search,
    // cheaper per observation than a logarithm and exact at the bounds.
    let lo = 0
    let hi = LATENCY_BOUNDS.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (ms <= (LATENCY_BOUNDS[mid] as number)) hi = mid
      else lo = mid + 1
    }
    const k = lat.at(now) + lo
    lat.data[k] = (lat.data[k] ?? 0) + 1
  }

  /** Sum of each field over the last `windowMs` (capped at the retention). */
  totals(now: number, windowMs: number = this.retentionMs): Record<F, number> {
    const out = Object.fromEntries(this.#fields.map((f) => [f, 0])) as Record<F, number>
    const data = this.#counts.data
    for (const off of this.#counts.live(now, windowMs)) {
      this.#fields.forEach((name, f) => {
        out[name] += data[off + f] ?? 0
      })
    }
    return out
  }

  /**
   * The `q` quantile (0..1) of the latencies observed in the window (capped at the latency
   * retention), in ms, interpolated inside its bucket; `null` when nothing was observed.
   */
  quantile(now: number, q: number, windowMs: number = this.retentionMs): number | null {
    const lat = this.#lat
    if (lat === undefined) return null
    const merged = new Float64Array(LATENCY_WIDTH)
    for (const off of lat.live(now, windowMs)) for (let b = 0; b < LATENCY_WIDTH; b++) merged[b] = (merged[b] ?? 0) + (lat.data[off + b] ?? 0)
    const total = merged.reduce((a, b) => a + b, 0)
    if (total === 0) return null
    const rank = Math.min(1, Math.max(0, q)) * total
    let seen = 0
    for (let b = 0; b < LATENCY_WIDTH; b++) {
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
