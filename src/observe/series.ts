/**
 * Direct handles on prom-client series for the per-request metrics (gateway requests, system
 * calls). prom-client's `inc(labels)` / `observe(labels, v)` — and the children `labels()`
 * returns, which only bind the label object — rebuild a label hash string and look it up on
 * every call, and the histogram then indexes its buckets by number-to-string keys: together
 * most of the cost of counting a request. Here each label tuple is resolved once to the series
 * object prom-client keeps (created through its public API), and a request only adds to it.
 *
 * prom-client still owns the series: exposition, `collect`, `get()`, `reset()` work as usual.
 * This reads the shape of its per-series values (`{ value }` for counters; `{ sum, count,
 * bucketValues }` with bucket keys being the upper bounds for histograms), which
 * test/observe/series.test.ts pins against prom-client's own `inc`/`observe`.
 */
import type { Counter, Histogram } from 'prom-client'

type Labels = Record<string, string>

interface CounterValue {
  value: number
  labels: Labels
}

interface HistogramValue {
  labels: Labels
  sum: number
  count: number
  bucketValues: Record<string, number>
}

/** The series values prom-client keeps, by its internal label hash. */
function seriesValues<T>(metric: Counter<string> | Histogram<string>): T[] {
  return Object.values((metric as unknown as { hashMap: Record<string, T> }).hashMap)
}

function sameLabels(a: Labels, b: Labels): boolean {
  for (const k in b) if (a[k] !== b[k]) return false
  return true
}

/**
 * One counter series: `add(n)` is `counter.inc(labels, n)` without the label lookup. (A
 * `reset()` of the counter would detach the handle; nothing resets these metrics.)
 */
export class CounterHandle {
  readonly #value: CounterValue

  constructor(counter: Counter<string>, labels: Labels) {
    counter.inc(labels, 0)
    this.#value = seriesValues<CounterValue>(counter).find((v) => sameLabels(v.labels, labels)) as CounterValue
  }

  add(n: number): void {
    this.#value.value += n
  }
}

/**
 * The handles of one histogram. A request's `observe` only counts into the handle's own typed
 * array; {@link sync} — the histogram's prom-client `collect`, run before every read of it — adds
 * those counts to prom-client's series. Writing into prom-client's bucket object per request
 * would be a keyed store on an object whose keys differ per histogram: a megamorphic store, the
 * most expensive step of an observation.
 */
export class HistogramSeries {
  readonly histogram: Histogram<string>
  readonly #bounds: readonly number[]
  /** The bucket keys prom-client uses (`String(bound)`), computed once. */
  readonly #keys: readonly string[]
  readonly #handles: HistogramHandle[] = []

  /**
   * `create` makes the histogram (with these `bounds` as its buckets) and must pass `collect` as
   * its prom-client `collect` option.
   */
  constructor(bounds: readonly number[], create: (collect: () => void) => Histogram<string>) {
    this.#bounds = bounds
    this.#keys = bounds.map(String)
    this.histogram = create(() => this.sync())
  }

  /** A handle on the series of `labels` (created at zero, or adopted with the values it has). */
  handle(labels: Labels): HistogramHandle {
    const h = this.histogram
    let value = seriesValues<HistogramValue>(h).find((v) => sameLabels(v.labels, labels))
    if (value === undefined) {
      h.zero(labels)
      value = seriesValues<HistogramValue>(h).find((v) => sameLabels(v.labels, labels)) as HistogramValue
    }
    const handle = new HistogramHandle(value, this.#bounds)
    this.#handles.push(handle)
    return handle
  }

  /** Moves every handle's counts into prom-client's series (pass it as the histogram's `collect`). */
  sync(): void {
    for (const handle of this.#handles) handle.moveTo(this.#keys)
  }
}

/** One histogram series: `observe(v)` is `histogram.observe(labels, v)`, applied at the next {@link HistogramSeries.sync}. */
export class HistogramHandle {
  readonly #value: HistogramValue
  readonly #bounds: readonly number[]
  /** Per bucket (the last one past every bound), the observations since the last sync. */
  readonly #counts: Float64Array
  #sum = 0
  #count = 0

  constructor(value: HistogramValue, bounds: readonly number[]) {
    this.#value = value
    this.#bounds = bounds
    this.#counts = new Float64Array(bounds.length + 1)
  }

  observe(v: number): void {
    this.#sum += v
    this.#count++
    const bounds = this.#bounds
    let i = 0
    while (i < bounds.length && v > (bounds[i] as number)) i++
    ;(this.#counts[i] as number)++
  }

  /** Adds the counts since the last call to prom-client's series, then zeroes them. */
  moveTo(keys: readonly string[]): void {
    if (this.#count === 0) return
    const s = this.#value
    s.sum += this.#sum
    s.count += this.#count
    const counts = this.#counts
    // prom-client's buckets are not cumulative: a value counts in the first bucket it fits (the +Inf
    // bucket is count itself), so the last slot, past every bound, has no key.
    for (let i = 0; i < keys.length; i++) if (counts[i] !== 0) (s.bucketValues[keys[i] as string] as number) += counts[i] as number
    counts.fill(0)
    this.#sum = 0
    this.#count = 0
  }
}
