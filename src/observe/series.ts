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

/** One histogram series: `observe(v)` is `histogram.observe(labels, v)` without the label lookup. */
export class HistogramHandle {
  readonly #value: HistogramValue
  readonly #bounds: readonly number[]
  /** The bucket keys prom-client uses (`String(bound)`), computed once. */
  readonly #keys: readonly string[]

  constructor(histogram: Histogram<string>, labels: Labels, bounds: readonly number[]) {
    let value = seriesValues<HistogramValue>(histogram).find((v) => sameLabels(v.labels, labels))
    if (value === undefined) {
      histogram.zero(labels)
      value = seriesValues<HistogramValue>(histogram).find((v) => sameLabels(v.labels, labels)) as HistogramValue
    }
    this.#value = value
    this.#bounds = bounds
    this.#keys = bounds.map(String)
  }

  observe(v: number): void {
    const s = this.#value
    s.sum += v
    s.count += 1
    const bounds = this.#bounds
    for (let i = 0; i < bounds.length; i++) {
      if (v <= (bounds[i] as number)) {
        ;(s.bucketValues[this.#keys[i] as string] as number) += 1
        return
      }
    }
  }
}
