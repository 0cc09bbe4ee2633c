/**
 * The live /metrics text must pass `promtool check metrics` with no lint finding. promtool comes
 * with the Debian package `prometheus`; without it the test is skipped, except on CI where its
 * absence is a failure.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import diagnostics from 'node:diagnostics_channel'
import {
  CIRCUIT_TRANSITION_CHANNEL,
  DELIVERY_ATTEMPT_CHANNEL,
  EVENT_PUBLISHED_CHANNEL,
  GATEWAY_REQUEST_CHANNEL,
  POLLER_RUN_CHANNEL,
  SYSTEM_CALL_CHANNEL,
} from '../../src/observe/channels.js'
import { installMetrics } from '../../src/observe/metrics.js'
import { metricsResponse } from '../../src/observe/metrics-endpoint.js'
import { METRIC_DEFS } from '../../src/observe/metric-defs.js'

function promtoolAvailable(): boolean {
  return spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0
}

const available = promtoolAvailable()
const ci = process.env.CI === 'true'
const skip = available || ci ? false : 'promtool is not on PATH (Debian package `prometheus`); required when CI=true'

function promtoolCheck(text: string): { status: number | null; output: string } {
  const res = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 15_000 })
  return { status: res.status, output: `${res.stdout ?? ''}${res.stderr ?? ''}${res.error ? String(res.error) : ''}` }
}

describe('promtool check metrics', { skip }, () => {
  it('promtool is installed (CI requires it)', () => {
    assert.equal(available, true, 'promtool must be on PATH on CI (install the `prometheus` package in .ci/run)')
  })

  it('finds no problem in the live output with every metric populated', async () => {
    const m = installMetrics({ known: { systems: ['erp'] }, queueStats: async () => [{ flow: 'f', pending: 2, oldestPendingAgeMs: 1_000, dead: 1 }] })
    try {
      const pub = (c: string, msg: unknown) => diagnostics.channel(c).publish(msg)
      pub(GATEWAY_REQUEST_CHANNEL, { route: 'r', method: 'GET', statusClass: '4xx', consumer: 'a "quoted"\\ consumer', durationMs: 3, errorCode: 'SB_ERR_GATEWAY_RATE_LIMITED' })
      pub(SYSTEM_CALL_CHANNEL, { system: 'erp', method: 'GET', statusCode: 500, errorCode: null, durationMs: 30 })
      pub(CIRCUIT_TRANSITION_CHANNEL, { system: 'erp', from: 'closed', to: 'open', at: 0 })
      pub(EVENT_PUBLISHED_CHANNEL, { topic: 'order.created', events: 3, duplicates: 1 })
      pub(DELIVERY_ATTEMPT_CHANNEL, { flowId: 'f', system: 'erp', outcome: 'delivered', status: 200, errorCode: null, latencyMs: 12, ageMs: 40, attempt: 2 })
      pub(POLLER_RUN_CHANNEL, { poller: 'p', ok: true, items: 2 })
      pub(GATEWAY_REQUEST_CHANNEL, { nonsense: true })
      const { body } = await metricsResponse(m)
      for (const d of Object.values(METRIC_DEFS)) assert.match(body, new RegExp(`^${d.name}(_bucket|_sum|_count)?[{ ]`, 'm'), `${d.name} has a sample`)
      assert.match(body, /^process_cpu_seconds_total /m, 'process metrics are part of the checked text')
      const res = promtoolCheck(body)
      assert.equal(res.output.trim(), '', 'promtool reports nothing')
      assert.equal(res.status, 0)
    } finally {
      m.close()
    }
  })

  it('would catch a lint problem (the check is not vacuous)', () => {
    const res = promtoolCheck('# HELP bad_total A gauge named like a counter.\n# TYPE bad_total gauge\nbad_total 1\n')
    assert.notEqual(res.status, 0)
    assert.match(res.output, /_total/)
  })
})
