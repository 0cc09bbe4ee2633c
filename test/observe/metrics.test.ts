import { describe, it, afterEach } from 'node:test'
import assert from 'node:assert/strict'
import diagnostics from 'node:diagnostics_channel'
import { ManualClock } from '../../src/core/clock.js'
import {
  CIRCUIT_TRANSITION_CHANNEL,
  DELIVERY_ATTEMPT_CHANNEL,
  EVENT_PUBLISHED_CHANNEL,
  GATEWAY_REQUEST_CHANNEL,
  POLLER_RUN_CHANNEL,
  SYSTEM_CALL_CHANNEL,
} from '../../src/observe/channels.js'
import { installMetrics, type InstalledMetrics, type MetricsOptions } from '../../src/observe/metrics.js'
import { REMOVED_DEFAULT_METRICS } from '../../src/observe/metric-defs.js'
import { metricsResponse } from '../../src/observe/metrics-endpoint.js'
import { publishRequest, startTimer } from '../../src/gateway/diagnostics.js'
import { CircuitBreaker } from '../../src/systems/breaker.js'
import { metricTypes, parseSamples, sampleValue, type Sample } from './prom-text.js'

const publish = (channel: string, message: unknown): void => diagnostics.channel(channel).publish(message)

let installed: InstalledMetrics | undefined
function install(options: MetricsOptions = {}): InstalledMetrics {
  installed = installMetrics({ defaultMetrics: false, ...options })
  return installed
}
afterEach(() => {
  installed?.close()
  installed = undefined
})

async function samples(m: InstalledMetrics): Promise<Sample[]> {
  return parseSamples(await m.metricsText())
}

describe('metrics from the diagnostics channels', () => {
  it('counts gateway requests by route, method, status class and consumer, with a duration histogram', async () => {
    const m = install()
    publish(GATEWAY_REQUEST_CHANNEL, { route: 'get-order', method: 'GET', statusClass: '2xx', consumer: 'acme', durationMs: 20 })
    publish(GATEWAY_REQUEST_CHANNEL, { route: 'get-order', method: 'GET', statusClass: '2xx', consumer: 'acme', durationMs: 400 })
    publish(GATEWAY_REQUEST_CHANNEL, { route: 'get-order', method: 'GET', statusClass: '5xx', consumer: 'anonymous', durationMs: 3 })
    const s = await samples(m)
    assert.equal(sampleValue(s, 'switchboard_gateway_requests_total', { route: 'get-order', status_class: '2xx', consumer: 'acme', method: 'GET' }), 2)
    assert.equal(sampleValue(s, 'switchboard_gateway_requests_total', { status_class: '5xx', consumer: 'anonymous' }), 1)
    const ok = { route: 'get-order', method: 'GET', status_class: '2xx' }
    assert.equal(sampleValue(s, 'switchboard_gateway_request_duration_seconds_count', ok), 2)
    assert.ok(Math.abs((sampleValue(s, 'switchboard_gateway_request_duration_seconds_sum', ok) ?? 0) - 0.42) < 1e-9)
    assert.equal(sampleValue(s, 'switchboard_gateway_request_duration_seconds_bucket', { ...ok, le: '0.025' }), 1)
    assert.equal(sampleValue(s, 'switchboard_gateway_request_duration_seconds_bucket', { ...ok, le: '0.5' }), 2)
    // The consumer is not a histogram label: it would multiply the bucket series.
    assert.ok(s.filter((x) => x.name.startsWith('switchboard_gateway_request_duration')).every((x) => !('consumer' in x.labels)))
  })

  it('counts rate-limit and quota rejections from the error code', async () => {
    const m = install()
    const base = { route: 'r', method: 'POST', statusClass: '4xx', consumer: 'acme', durationMs: 1 }
    publish(GATEWAY_REQUEST_CHANNEL, { ...base, errorCode: 'SB_ERR_GATEWAY_RATE_LIMITED' })
    publish(GATEWAY_REQUEST_CHANNEL, { ...base, errorCode: 'SB_ERR_GATEWAY_RATE_LIMITED' })
    publish(GATEWAY_REQUEST_CHANNEL, { ...base, errorCode: 'SB_ERR_GATEWAY_QUOTA_EXCEEDED' })
    publish(GATEWAY_REQUEST_CHANNEL, { ...base, errorCode: 'SB_ERR_GATEWAY_VALIDATION_FAILED' })
    const s = await samples(m)
    assert.equal(sampleValue(s, 'switchboard_gateway_rejections_total', { reason: 'rate_limited', consumer: 'acme', route: 'r' }), 2)
    assert.equal(sampleValue(s, 'switchboard_gateway_rejections_total', { reason: 'quota_exceeded' }), 1)
    assert.equal(s.filter((x) => x.name === 'switchboard_gateway_rejections_total').length, 2)
  })

  it('counts system calls by outcome and tracks the circuit state and transitions', async () => {
    const m = install({ known: { systems: ['erp', 'crm'] } })
    let s = await samples(m)
    assert.equal(sampleValue(s, 'switchboard_circuit_state', { system: 'crm' }), 0, 'configured systems start closed')
    const call = (statusCode: number | null, errorCode: string | null) =>
      publish(SYSTEM_CALL_CHANNEL, { system: 'erp', method: 'post', statusCode, errorCode, durationMs: 10, baseUrl: null })
    call(200, null)
    call(503, null)
    call(null, 'SB_ERR_SYSTEM_TIMEOUT')
    call(null, 'SB_ERR_SYSTEM_CIRCUIT_OPEN')
    call(404, null)
    call(null, 'ECONNRESET')
    publish(CIRCUIT_TRANSITION_CHANNEL, { system: 'erp', from: 'closed', to: 'open', at: 1 })
    s = await samples(m)
    for (const [outcome, n] of [['success', 1], ['server_error', 1], ['timeout', 1], ['circuit_open', 1], ['client_error', 1], ['error', 1]] as const) {
      assert.equal(sampleValue(s, 'switchboard_system_calls_total', { system: 'erp', method: 'POST', outcome }), n, outcome)
    }
    assert.equal(sampleValue(s, 'switchboard_system_call_duration_seconds_count', { system: 'erp', outcome: 'timeout' }), 1)
    assert.equal(sampleValue(s, 'switchboard_circuit_state', { system: 'erp' }), 2)
    assert.equal(sampleValue(s, 'switchboard_circuit_transitions_total', { system: 'erp', from: 'closed', to: 'open' }), 1)
    publish(CIRCUIT_TRANSITION_CHANNEL, { system: 'erp', from: 'open', to: 'half-open', at: 2 })
    s = await samples(m)
    assert.equal(sampleValue(s, 'switchboard_circuit_state', { system: 'erp' }), 1)
  })

  it('counts published events, duplicates, delivery attempts and poller runs', async () => {
    const m = install()
    publish(EVENT_PUBLISHED_CHANNEL, { topic: 'order.created', events: 3, duplicates: 1 })
    publish(EVENT_PUBLISHED_CHANNEL, { events: 2, duplicates: 0 })
    const d = { flowId: 'f', system: 'inv', status: null, errorCode: null, latencyMs: 0, ageMs: 0, attempt: 1 }
    publish(DELIVERY_ATTEMPT_CHANNEL, { ...d, outcome: 'retry', status: 503, latencyMs: 100, errorCode: 'SB_ERR_FLOW_TARGET_STATUS' })
    publish(DELIVERY_ATTEMPT_CHANNEL, { ...d, outcome: 'delivered', status: 201, latencyMs: 50, ageMs: 90_000, attempt: 2 })
    publish(DELIVERY_ATTEMPT_CHANNEL, { ...d, outcome: 'dead', errorCode: 'SB_ERR_FLOW_EXPRESSION' })
    publish(DELIVERY_ATTEMPT_CHANNEL, { ...d, outcome: 'wait', errorCode: 'SB_ERR_SYSTEM_CIRCUIT_OPEN' })
    publish(DELIVERY_ATTEMPT_CHANNEL, { ...d, outcome: 'skipped' })
    publish(POLLER_RUN_CHANNEL, { poller: 'p', ok: true, items: 4 })
    publish(POLLER_RUN_CHANNEL, { poller: 'p', ok: false, items: 0, errorCode: 'SB_ERR_SYSTEM_TIMEOUT' })
    const s = await samples(m)
    assert.equal(sampleValue(s, 'switchboard_events_published_total', { topic: 'order.created' }), 3)
    assert.equal(sampleValue(s, 'switchboard_events_duplicates_total', { topic: 'order.created' }), 1)
    assert.equal(sampleValue(s, 'switchboard_events_published_total', { topic: '(unknown)' }), 2, 'a batch without its topic still counts')
    for (const outcome of ['delivered', 'retried', 'dead', 'deferred', 'skipped']) assert.equal(sampleValue(s, 'switchboard_delivery_outcomes_total', { flow: 'f', outcome }), 1, outcome)
    assert.equal(sampleValue(s, 'switchboard_delivery_attempt_duration_seconds_sum', { flow: 'f', outcome: 'retried' }), 0.1)
    assert.equal(sampleValue(s, 'switchboard_delivery_attempt_duration_seconds_count', { flow: 'f', outcome: 'dead' }), undefined, 'no request went out')
    assert.equal(sampleValue(s, 'switchboard_delivery_attempt_duration_seconds_count', { flow: 'f', outcome: 'deferred' }), undefined)
    assert.equal(sampleValue(s, 'switchboard_delivery_age_seconds_bucket', { flow: 'f', le: '60' }), 0)
    assert.equal(sampleValue(s, 'switchboard_delivery_age_seconds_bucket', { flow: 'f', le: '300' }), 1)
    assert.equal(sampleValue(s, 'switchboard_poller_runs_total', { poller: 'p', outcome: 'ok' }), 1)
    assert.equal(sampleValue(s, 'switchboard_poller_runs_total', { poller: 'p', outcome: 'error' }), 1)
    assert.equal(sampleValue(s, 'switchboard_poller_items_total', { poller: 'p' }), 4)
  })

  it('receives the real publishers’ messages (gateway diagnostics, circuit breaker)', async () => {
    const m = install()
    publishRequest('get-order', 'GET', 503, 'acme', startTimer())
    publishRequest('get-order', 'GET', 429, 'acme', startTimer(), 'SB_ERR_GATEWAY_RATE_LIMITED')
    const clock = new ManualClock()
    const b = new CircuitBreaker('erp', { failureRate: 0.5, minRequests: 2, windowMs: 10_000, cooldownMs: 1_000, halfOpenProbes: 1 }, clock)
    for (let i = 0; i < 2; i++) {
      const p = b.tryAcquire()
      if (p.ok) b.onFailure(p.probe)
    }
    assert.equal(b.state, 'open')
    const s = await samples(m)
    assert.equal(sampleValue(s, 'switchboard_gateway_requests_total', { route: 'get-order', status_class: '5xx', consumer: 'acme' }), 1)
    assert.equal(sampleValue(s, 'switchboard_gateway_rejections_total', { route: 'get-order', consumer: 'acme', reason: 'rate_limited' }), 1)
    assert.equal(sampleValue(s, 'switchboard_circuit_state', { system: 'erp' }), 2)
    assert.equal(sampleValue(s, 'switchboard_observe_malformed_messages_total'), undefined)
  })
})

describe('metrics label bounds and hostile messages', () => {
  it('maps unknown methods to OTHER and consumers past the cap to `other`', async () => {
    const m = install({ known: { consumers: ['acme'] }, maxConsumers: 2 })
    const req = (method: string, consumer: string) => publish(GATEWAY_REQUEST_CHANNEL, { route: '(none)', method, statusClass: '4xx', consumer, durationMs: 1 })
    req('GET', 'acme')
    req('BREW', 'c1')
    req('get', 'c2')
    req('X'.repeat(10_000), 'c3')
    req('GET', 'c4')
    req('GET', 'acme')
    const s = (await samples(m)).filter((x) => x.name === 'switchboard_gateway_requests_total')
    assert.deepEqual(new Set(s.map((x) => x.labels.method)), new Set(['GET', 'OTHER']))
    assert.deepEqual(new Set(s.map((x) => x.labels.consumer)), new Set(['acme', 'c1', 'other']))
    assert.equal(sampleValue(s, 'switchboard_gateway_requests_total', { consumer: 'acme', method: 'GET' }), 2)
  })

  it('drops and counts malformed messages without throwing at the publisher', async () => {
    const m = install()
    const bad: unknown[] = [null, 42, 'x', {}, { route: 'r', method: 'GET', statusClass: '6xx', consumer: 'a', durationMs: 1 }, { route: 'r', method: 'GET', statusClass: '2xx', consumer: 'a', durationMs: Number.NaN }]
    for (const b of bad) assert.doesNotThrow(() => publish(GATEWAY_REQUEST_CHANNEL, b))
    publish(POLLER_RUN_CHANNEL, { poller: 'p', ok: true, items: -5 })
    publish(CIRCUIT_TRANSITION_CHANNEL, { system: 'erp', from: 'closed', to: 'melted', at: 1 })
    publish(EVENT_PUBLISHED_CHANNEL, { events: 1, duplicates: 2 })
    publish(EVENT_PUBLISHED_CHANNEL, { events: -1, duplicates: 0 })
    publish(DELIVERY_ATTEMPT_CHANNEL, { flowId: 'f', system: null, outcome: 'exploded', status: null, errorCode: null, latencyMs: 0, ageMs: 0, attempt: 1 })
    const s = await samples(m)
    assert.equal(sampleValue(s, 'switchboard_observe_malformed_messages_total', { channel: GATEWAY_REQUEST_CHANNEL }), bad.length)
    assert.equal(sampleValue(s, 'switchboard_observe_malformed_messages_total', { channel: CIRCUIT_TRANSITION_CHANNEL }), 1)
    assert.equal(sampleValue(s, 'switchboard_observe_malformed_messages_total', { channel: EVENT_PUBLISHED_CHANNEL }), 2)
    assert.equal(sampleValue(s, 'switchboard_observe_malformed_messages_total', { channel: DELIVERY_ATTEMPT_CHANNEL }), 1)
    assert.equal(sampleValue(s, 'switchboard_gateway_requests_total'), undefined)
    assert.equal(sampleValue(s, 'switchboard_poller_items_total'), undefined, 'a negative item count is not added')
  })

  it('close() unsubscribes: channels report no subscribers and later messages are not counted', async () => {
    const m = install()
    assert.equal(diagnostics.channel(GATEWAY_REQUEST_CHANNEL).hasSubscribers, true)
    m.close()
    assert.equal(diagnostics.channel(GATEWAY_REQUEST_CHANNEL).hasSubscribers, false)
    assert.equal(diagnostics.channel(SYSTEM_CALL_CHANNEL).hasSubscribers, false)
    publish(GATEWAY_REQUEST_CHANNEL, { route: 'r', method: 'GET', statusClass: '2xx', consumer: 'a', durationMs: 1 })
    assert.equal(sampleValue(await samples(m), 'switchboard_gateway_requests_total'), undefined)
  })
})

describe('queue gauges (read at scrape time)', () => {
  it('reads the provider once per scrape and exports depth, oldest age and DLQ depth', async () => {
    let calls = 0
    let rows = [
      { flow: 'a', pending: 7, oldestPendingAgeMs: 90_000, dead: 2 },
      { flow: 'b', pending: 0, oldestPendingAgeMs: null, dead: 0 },
    ]
    const m = install({
      queueStats: async () => {
        calls++
        return rows
      },
    })
    assert.equal(calls, 0, 'nothing is read until a scrape')
    let s = await samples(m)
    assert.equal(calls, 1, 'one read shared by the four gauges')
    assert.equal(sampleValue(s, 'switchboard_flow_queue_depth', { flow: 'a' }), 7)
    assert.equal(sampleValue(s, 'switchboard_flow_oldest_pending_age_seconds', { flow: 'a' }), 90)
    assert.equal(sampleValue(s, 'switchboard_flow_oldest_pending_age_seconds', { flow: 'b' }), 0)
    assert.equal(sampleValue(s, 'switchboard_flow_dlq_depth', { flow: 'a' }), 2)
    assert.equal(sampleValue(s, 'switchboard_flow_stats_up'), 1)
    rows = [{ flow: 'b', pending: 1, oldestPendingAgeMs: 10, dead: 0 }]
    s = await samples(m)
    assert.equal(sampleValue(s, 'switchboard_flow_queue_depth', { flow: 'a' }), undefined, 'a flow gone from the store has no series')
    assert.equal(sampleValue(s, 'switchboard_flow_queue_depth', { flow: 'b' }), 1)
  })

  it('a failing provider does not fail the scrape: stats_up is 0 and the queue gauges are absent', async () => {
    let fail = false
    const m = install({ queueStats: async () => (fail ? Promise.reject(new Error('store down')) : [{ flow: 'a', pending: 1, oldestPendingAgeMs: 1, dead: 1 }]) })
    assert.equal(sampleValue(await samples(m), 'switchboard_flow_dlq_depth', { flow: 'a' }), 1)
    fail = true
    const s = await samples(m)
    assert.equal(sampleValue(s, 'switchboard_flow_stats_up'), 0)
    assert.equal(sampleValue(s, 'switchboard_flow_dlq_depth', { flow: 'a' }), undefined, 'no stale figure')
  })

  it('the provider can be wired after install', async () => {
    const m = install()
    assert.equal(sampleValue(await samples(m), 'switchboard_flow_queue_depth', { flow: 'x' }), undefined)
    m.setQueueStatsProvider(async () => [{ flow: 'x', pending: 3, oldestPendingAgeMs: 0, dead: 0 }])
    assert.equal(sampleValue(await samples(m), 'switchboard_flow_queue_depth', { flow: 'x' }), 3)
  })
})

describe('process metrics and the scrape response', () => {
  it('includes the default process metrics without the gauges named *_total', async () => {
    const m = install({ defaultMetrics: true })
    const res = await metricsResponse(m)
    assert.match(res.contentType, /^text\/plain; version=0\.0\.4/)
    const types = metricTypes(res.body)
    assert.equal(types.get('process_cpu_seconds_total'), 'counter')
    assert.ok(types.has('nodejs_heap_size_used_bytes'))
    for (const name of REMOVED_DEFAULT_METRICS) assert.equal(types.has(name), false, name)
    for (const [name, type] of types) if (name.endsWith('_total')) assert.equal(type, 'counter', name)
  })
})
