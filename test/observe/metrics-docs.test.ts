import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { installMetrics } from '../../src/observe/metrics.js'
import { renderMetricsDocs } from '../../src/observe/metrics-docs.js'

const DOC = fileURLToPath(new URL('../../docs/reference/metrics.md', import.meta.url))

describe('docs/reference/metrics.md', () => {
  it('documents every metric the installed registry exposes, with its type and labels', () => {
    const m = installMetrics({ defaultMetrics: false })
    try {
      const doc = renderMetricsDocs()
      const metrics = m.registry.getMetricsAsArray()
      assert.ok(metrics.length >= 15)
      for (const metric of metrics) {
        const line = doc.split('\n').find((l) => l.startsWith(`| \`${metric.name}\` | `))
        assert.ok(line, `${metric.name} is documented`)
        assert.ok(line.includes(` | ${metric.type} | `), `${metric.name} type`)
        const labels = (metric as unknown as { labelNames: string[] }).labelNames
        for (const l of labels) assert.ok(line.includes(`\`${l}\``), `${metric.name} label ${l}`)
      }
    } finally {
      m.close()
    }
  })

  it('is up to date with the code (run `npm run generate`)', () => {
    assert.equal(readFileSync(DOC, 'utf8'), renderMetricsDocs())
  })
})
