import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { Counter, Histogram, Registry } from 'prom-client'
import { CounterHandle, HistogramHandle } from '../../src/observe/series.js'

const BUCKETS = [0.005, 0.01, 0.025, 0.1, 0.5, 1, 2.5]

function metrics() {
  const registry = new Registry()
  const counter = new Counter({ name: 'c_total', help: 'c', labelNames: ['a', 'b'], registers: [registry] })
  const histogram = new Histogram({ name: 'h_seconds', help: 'h', labelNames: ['a'], buckets: BUCKETS, registers: [registry] })
  return { registry, counter, histogram }
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
            h = { c: new CounterHandle(mine.counter, { a, b }), h: new HistogramHandle(mine.histogram, { a }, BUCKETS) }
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
  })

  it('adopt a series that already has values instead of resetting it', async () => {
    const { registry, histogram, counter } = metrics()
    histogram.observe({ a: 'x' }, 0.2)
    counter.inc({ a: 'x', b: '1' }, 5)
    new HistogramHandle(histogram, { a: 'x' }, BUCKETS).observe(0.2)
    new CounterHandle(counter, { a: 'x', b: '1' }).add(1)
    const text = await registry.metrics()
    assert.match(text, /h_seconds_count\{a="x"\} 2/)
    assert.match(text, /c_total\{a="x",b="1"\} 6/)
  })
})
