import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import diagnostics from 'node:diagnostics_channel'
import { ManualClock } from '../../src/core/clock.js'
import { DELIVERY_ATTEMPT_CHANNEL, GATEWAY_REQUEST_CHANNEL, SYSTEM_CALL_CHANNEL } from '../../src/observe/channels.js'
import { HealthTracker } from '../../src/observe/health.js'
import type { FlowQueueStats } from '../../src/observe/queue-stats.js'

const MIN = 60_000

function tracker(extra: ConstructorParameters<typeof HealthTracker>[0] = {}) {
  const clock = new ManualClock()
  return { clock, h: new HealthTracker({ clock, known: { systems: ['erp'], routes: ['get-order'], flows: ['to-invoice'], pollers: ['poll'] }, ...extra }) }
}

const call = (h: HealthTracker, statusCode: number | null, errorCode: string | null = null, durationMs = 20) =>
  h.recordSystemCall({ system: 'erp', method: 'POST', statusCode, errorCode, durationMs })

describe('HealthTracker', () => {
  it('is ok with nothing happening, and lists configured entities', async () => {
    const { h } = tracker()
    const s = await h.summary()
    assert.equal(s.status, 'ok')
    assert.deepEqual(s.reasons, [])
    assert.deepEqual(s.systems.map((x) => [x.system, x.circuit, x.successRate]), [['erp', 'closed', null]])
    assert.deepEqual(s.routes.map((x) => x.route), ['get-order'])
    assert.deepEqual(s.flows.map((x) => x.flow), ['to-invoice'])
    assert.deepEqual(s.pollers.map((x) => x.poller), ['poll'])
    assert.equal(s.windowMs, 5 * MIN)
  })

  it('turns degraded as a system fails, then ok again once the failures leave the 5-minute window', async () => {
    const { clock, h } = tracker()
    for (let i = 0; i < 18; i++) call(h, 200)
    call(h, 503)
    call(h, null, 'SB_ERR_SYSTEM_TIMEOUT')
    let s = await h.summary()
    assert.equal(s.status, 'degraded')
    const erp = s.systems[0]
    assert.equal(erp?.calls, 20)
    assert.equal(erp?.failures, 2)
    assert.equal(erp?.successRate, 0.9)
    assert.deepEqual(erp?.lastError, { code: 'SB_ERR_SYSTEM_TIMEOUT', at: new Date(clock.now()).toISOString() })
    assert.deepEqual(s.reasons, ['system erp: failure rate 10% (2 of 20)'])

    clock.advance(3 * MIN)
    for (let i = 0; i < 20; i++) call(h, 200)
    assert.equal((await h.summary()).status, 'degraded', 'the failures are still in the window')

    clock.advance(2 * MIN + 10_000)
    s = await h.summary()
    assert.equal(s.status, 'ok')
    assert.equal(s.systems[0]?.calls, 20)
    assert.ok(s.systems[0]?.lastError, 'the last error stays visible after recovery')
  })

  it('is failing when most calls fail or the circuit is open, and reports for how long', async () => {
    const { clock, h } = tracker()
    for (let i = 0; i < 10; i++) call(h, 500)
    let s = await h.summary()
    assert.equal(s.status, 'failing')
    h.recordCircuitTransition({ system: 'erp', from: 'closed', to: 'open', at: clock.now() })
    clock.advance(90_000)
    h.recordCircuitTransition({ system: 'erp', from: 'open', to: 'half-open', at: clock.now() })
    h.recordCircuitTransition({ system: 'erp', from: 'half-open', to: 'open', at: clock.now() })
    clock.advance(30_000)
    s = await h.summary()
    const erp = s.systems[0]
    assert.equal(erp?.circuit, 'open')
    assert.equal(erp?.circuitOpenSince, new Date(clock.now() - 120_000).toISOString(), 'a failed probe does not restart the clock')
    assert.ok(s.reasons.includes('system erp: circuit open for 2m'), s.reasons.join('; '))
    h.recordCircuitTransition({ system: 'erp', from: 'open', to: 'closed', at: clock.now() })
    assert.equal(h.systemFigures('erp').circuitOpenSince, null)
  })

  it('does not count refusals made on this side (circuit open, own rate limit, aborts) as failures', async () => {
    const { h } = tracker()
    for (let i = 0; i < 10; i++) call(h, 200)
    call(h, null, 'SB_ERR_SYSTEM_CIRCUIT_OPEN')
    call(h, null, 'SB_ERR_SYSTEM_RATE_LIMITED')
    call(h, null, 'ABORT_ERR')
    const f = h.systemFigures('erp')
    assert.deepEqual([f.calls, f.failures, f.refused], [10, 0, 3])
    call(h, 429)
    assert.equal(h.systemFigures('erp').failures, 1, 'a 429 from the system is a sign of trouble')
  })

  it('trusts the breakers’ own state when a provider is given', async () => {
    const { h } = tracker({ circuits: () => [{ system: 'erp', state: 'open', openedAt: 1_700_000_000_000 - 60_000 }] })
    const s = await h.summary()
    assert.equal(s.systems[0]?.circuit, 'open')
    assert.equal(s.status, 'failing')
  })

  it('judges routes on their 5xx rate only, with a p95', async () => {
    const { h } = tracker()
    const req = (statusClass: '2xx' | '4xx' | '5xx', durationMs = 10) =>
      h.recordGatewayRequest({ route: 'get-order', method: 'GET', statusClass, consumer: 'a', durationMs })
    for (let i = 0; i < 50; i++) req('4xx')
    for (let i = 0; i < 50; i++) req('2xx', 100)
    let s = await h.summary()
    assert.equal(s.status, 'ok', '4xx are the clients’ business')
    const r = s.routes[0]
    assert.equal(r?.requests, 100)
    assert.ok((r?.p95Ms ?? 0) >= 100 / 1.25 && (r?.p95Ms ?? 0) <= 100 * 1.25, `p95 ${r?.p95Ms}`)
    for (let i = 0; i < 100; i++) req('5xx')
    s = await h.summary()
    assert.equal(s.status, 'failing')
    assert.deepEqual(s.reasons, ['route get-order: 5xx rate 50% (100 of 200)'])
  })

  it('ignores rates below the minimum number of samples', async () => {
    const { h } = tracker()
    call(h, 500)
    call(h, 500)
    assert.equal((await h.summary()).status, 'ok')
  })

  it('judges flows on attempts, dead letters, DLQ depth and the oldest pending delivery', async () => {
    let stats: FlowQueueStats[] = [{ flow: 'to-invoice', pending: 0, oldestPendingAgeMs: null, dead: 0 }]
    const { h } = tracker({ queueStats: async () => stats })
    const attempt = (outcome: 'delivered' | 'retry' | 'wait' | 'skipped' | 'dead') =>
      h.recordDeliveryAttempt({ flowId: 'to-invoice', system: 'inv', outcome, status: outcome === 'delivered' ? 200 : null, errorCode: null, latencyMs: 5, ageMs: 5, attempt: 1 })
    for (let i = 0; i < 20; i++) attempt('delivered')
    for (let i = 0; i < 20; i++) attempt('skipped')
    for (let i = 0; i < 20; i++) attempt('wait')
    let s = await h.summary()
    assert.equal(s.status, 'ok', 'filter skips and deferrals (circuit open) are not flow errors')
    assert.equal(s.flows[0]?.deferred, 20)
    assert.deepEqual(
      [s.flows[0]?.delivered, s.flows[0]?.failed, s.flows[0]?.dead, s.flows[0]?.pending, s.flows[0]?.oldestPendingAgeMs, s.flows[0]?.dlqDepth],
      [20, 0, 0, 0, 0, 0],
    )
    attempt('dead')
    stats = [
      { flow: 'to-invoice', pending: 40, oldestPendingAgeMs: 12 * MIN, dead: 1 },
      { flow: 'from-store-only', pending: 1, oldestPendingAgeMs: 1, dead: 0 },
    ]
    s = await h.summary()
    assert.equal(s.status, 'degraded')
    assert.deepEqual(s.reasons, [
      'flow to-invoice: 1 dead-lettered in the window',
      'flow to-invoice: 1 in the dead-letter queue',
      'flow to-invoice: oldest pending delivery is 12m old',
    ])
    assert.deepEqual(s.flows.map((f) => f.flow), ['from-store-only', 'to-invoice'], 'flows the store knows are listed too')
  })

  it('reports a failing queue-stats provider as a degraded reason, not an exception', async () => {
    const { h } = tracker({ queueStats: () => Promise.reject(new Error('store down')) })
    const s = await h.summary()
    assert.equal(s.status, 'degraded')
    assert.deepEqual(s.reasons, ['queue figures could not be read from the store'])
    assert.equal(s.flows[0]?.dlqDepth, null)
  })

  it('marks a poller degraded after a failed run and failing after three in a row', async () => {
    const { h } = tracker()
    const run = (ok: boolean) => h.recordPollerRun({ poller: 'poll', ok, items: ok ? 1 : 0, errorCode: ok ? null : 'SB_ERR_SYSTEM_TIMEOUT' })
    run(true)
    run(false)
    let s = await h.summary()
    assert.equal(s.status, 'degraded')
    assert.deepEqual(s.reasons, ['poller poll: last run failed (SB_ERR_SYSTEM_TIMEOUT)'])
    run(false)
    run(false)
    s = await h.summary()
    assert.equal(s.status, 'failing')
    assert.equal(s.pollers[0]?.consecutiveFailures, 3)
    run(true)
    assert.equal((await h.summary()).status, 'ok')
  })

  it('caps the number of tracked entities', () => {
    const { h } = tracker({ maxEntities: 2, known: {} })
    for (const route of ['a', 'b', 'c', 'd']) h.recordGatewayRequest({ route, method: 'GET', statusClass: '2xx', consumer: 'x', durationMs: 1 })
    assert.deepEqual(h.routeNames(), ['a', 'b'])
  })

  it('is fed by the diagnostics channels once subscribed, and not after', async () => {
    const { h } = tracker()
    const stop = h.subscribe()
    try {
      diagnostics.channel(SYSTEM_CALL_CHANNEL).publish({ system: 'erp', method: 'GET', statusCode: 200, errorCode: null, durationMs: 3, baseUrl: null })
      diagnostics.channel(GATEWAY_REQUEST_CHANNEL).publish({ route: 'get-order', method: 'GET', statusClass: '5xx', consumer: 'a', durationMs: 3 })
      diagnostics.channel(DELIVERY_ATTEMPT_CHANNEL).publish({ flowId: 'to-invoice', system: 'inv', outcome: 'delivered', status: 201, errorCode: null, latencyMs: 3, ageMs: 9, attempt: 1 })
      diagnostics.channel(GATEWAY_REQUEST_CHANNEL).publish({ route: 'get-order' }) // malformed: ignored
    } finally {
      stop()
    }
    diagnostics.channel(SYSTEM_CALL_CHANNEL).publish({ system: 'erp', method: 'GET', statusCode: 200, errorCode: null, durationMs: 3, baseUrl: null })
    assert.equal(h.systemFigures('erp').calls, 1)
    assert.equal(h.routeFigures('get-order').errors, 1)
    assert.equal(h.flowFigures('to-invoice').delivered, 1)
  })
})
