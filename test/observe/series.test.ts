import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { Counter, Histogram, Registry } from 'prom-client'
import { CounterHandle, HistogramSeries, type HistogramHandle } from '../../src/observe/series.js'

const BUCKETS = [0.005, 0.01, 0.025, 0.1, 0.5, 1, 2.5]

function metrics() {
  const registry = new Registry()
  const counter = new Counter({ name: 'c_total', help: 'c', labelNames: ['a', 'b'], registers: [registry] })
  // As metrics.ts wires it: the handles' counts reach prom-client when the histogram is read.
  const series = new HistogramSeries(BUCKETS, (collect) => new Histogram({ name: 'h_seconds', help: 'h', labelNames: ['a'], buckets: BUCKETS, registers: [registry], collect }))
  return { registry, counter, histogram: series.histogram, series }
}

describe('series handles', () => {
  // Pins the shape of prom-client's per-series values that series.ts writes into: if an
  // upgrade changes it, the handles' output stops matching prom-client's own inc/observe.
  it('produce exactly what prom-client’s inc and observe produce', async () => {
    const mine = metrics()
    const ref = metrics()
    const handles = new Map<string, { c: CounterHandle; h: HistogramHandle }>()
    // Values on bucket bounds, between them, past the last one, and zero.
    const values = [0, 0.005, 0.0051, 0.01, 0.3, 1, 2.5, 2.6, 40, 0.024999]
    let i = 0
    for (const a of ['x', 'y']) {
      for (const b of ['1', '2', '3']) {
        for (const v of values) {
          const key = `${a}/${b}`
          let h = handles.get(key)
          if (h === undefined) {
            h = { c: new CounterHandle(mine.counter, { a, b }), h: mine.series.handle({ a }) }
            handles.set(key, h)
          }
          const n = (i++ % 3) + 1
          h.c.add(n)
          h.h.observe(v)
          ref.counter.inc({ a, b }, n)
          ref.histogram.observe({ a }, v)
        }
      }
    }
    assert.equal(await mine.registry.metrics(), await ref.registry.metrics())
    // A read moves the counts once: reading again, or observing more, never counts twice.
    assert.equal(await mine.registry.metrics(), await ref.registry.metrics())
    const again = handles.get('x/1') as { h: HistogramHandle }
    again.h.observe(0.02)
    ref.histogram.observe({ a: 'x' }, 0.02)
    assert.equal(await mine.registry.metrics(), await ref.registry.metrics())
    assert.deepEqual(await mine.histogram.get(), await ref.histogram.get())
  })

  it('adopt a series that already has values instead of resetting it', async () => {
    const { registry, histogram, counter, series } = metrics()
    histogram.observe({ a: 'x' }, 0.2)
    counter.inc({ a: 'x', b: '1' }, 5)
    series.handle({ a: 'x' }).observe(0.2)
    new CounterHandle(counter, { a: 'x', b: '1' }).add(1)
    const text = await registry.metrics()
    assert.match(text, /h_seconds_count\{a="x"\} 2/)
    assert.match(text, /c_total\{a="x",b="1"\} 6/)
  })
})
