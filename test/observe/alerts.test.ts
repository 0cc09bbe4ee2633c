import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ManualClock } from '../../src/core/clock.js'
import { isSwitchboardError } from '../../src/core/errors.js'
import type { AlertConfig } from '../../src/config/spec/alert.js'
import { HealthTracker } from '../../src/observe/health.js'
import { compileAlerts, longestWindowMs, type AlertsConfig } from '../../src/observe/alerts/conditions.js'
import { AlertEvaluator } from '../../src/observe/alerts/evaluator.js'
import type { AlertNotification, AlertNotifier } from '../../src/observe/alerts/types.js'
import type { FlowQueueStats } from '../../src/observe/queue-stats.js'

const BASE: AlertsConfig = {
  channels: { ops: { slack: { url: 'https://hooks.example/x' } }, hook: { webhook: { url: 'https://example.com/h' } } },
  systems: { erp: {}, crm: {} },
  flows: [{ id: 'to-invoice' }, { id: 'to-crm' }],
  routes: [{ id: 'get-order' }],
  pollers: [{ id: 'poll' }],
}

function alerts(...list: AlertConfig[]) {
  return compileAlerts({ ...BASE, alerts: list })
}

class RecordingNotifier implements AlertNotifier {
  readonly sent: AlertNotification[] = []
  failing = false
  attempts = 0
  async notify(n: AlertNotification): Promise<void> {
    this.attempts++
    if (this.failing) throw new Error('channel queue unavailable')
    this.sent.push(n)
  }
}

function setup(list: AlertConfig[], stats?: () => Promise<FlowQueueStats[]>) {
  const clock = new ManualClock()
  const health = new HealthTracker({ clock, known: { systems: ['erp', 'crm'], flows: ['to-invoice', 'to-crm'], routes: ['get-order'], pollers: ['poll'] }, ...(stats ? { queueStats: stats } : {}) })
  const notifier = new RecordingNotifier()
  const errors: unknown[] = []
  const evaluator = new AlertEvaluator({ rules: alerts(...list), source: health, notifier, onError: (e) => errors.push(e) })
  return { clock, health, notifier, evaluator, errors }
}

const failCalls = (h: HealthTracker, n: number, statusCode = 500) => {
  for (let i = 0; i < n; i++) h.recordSystemCall({ system: 'erp', method: 'POST', statusCode, errorCode: null, durationMs: 5 })
}

describe('compileAlerts', () => {
  const throwsConfig = (list: AlertConfig[], message: RegExp) =>
    assert.throws(() => alerts(...list), (e: unknown) => isSwitchboardError(e) && e.code === 'SB_ERR_CONFIG_INVALID' && message.test(e.message))

  it('refuses unknown channels and subjects, naming the field', () => {
    throwsConfig([{ id: 'a', when: { dlqDepth: {} }, channels: ['ops', 'pager'] }], /^alerts\[0\]\.channels\[1\]: unknown channel "pager"/)
    throwsConfig([{ id: 'a', when: { dlqDepth: { flow: 'nope' } }, channels: ['ops'] }], /^alerts\[0\]\.when\.dlqDepth\.flow: unknown flow "nope"/)
    throwsConfig([{ id: 'a', when: { circuitOpen: { system: 'billing' } }, channels: ['ops'] }], /circuitOpen\.system: unknown system "billing"/)
    throwsConfig([{ id: 'a', when: { routeErrorRate: { route: 'x', above: 0.1 } }, channels: ['ops'] }], /unknown route "x"/)
    throwsConfig([{ id: 'a', when: { pollerFailing: { poller: 'x' } }, channels: ['ops'] }], /unknown poller "x"/)
  })

  it('refuses duplicate ids, windows over an hour and an empty condition', () => {
    throwsConfig(
      [
        { id: 'a', when: { dlqDepth: {} }, channels: ['ops'] },
        { id: 'a', when: { dlqDepth: {} }, channels: ['ops'] },
      ],
      /^alerts\[1\]\.id: duplicate/,
    )
    throwsConfig([{ id: 'a', when: { flowErrorRate: { above: 0.1, window: '2h' } }, channels: ['ops'] }], /flowErrorRate\.window: window 2h is longer than the maximum of 1h/)
    throwsConfig([{ id: 'a', when: {}, channels: ['ops'] }], /alerts\[0\]\.when: needs exactly one condition/)
  })

  it('does not treat inherited object keys as channels', () => {
    throwsConfig([{ id: 'a', when: { dlqDepth: {} }, channels: ['constructor'] }], /unknown channel "constructor"/)
  })

  it('applies defaults (severity warning, for 0, window 5m)', () => {
    const [a] = alerts({ id: 'a', when: { flowErrorRate: { above: 0.2 } }, channels: ['ops'] })
    assert.equal(a?.severity, 'warning')
    assert.equal(a?.forMs, 0)
    assert.equal(a?.windowMs, 300_000)
  })
})

describe('AlertEvaluator', () => {
  const circuitRule: AlertConfig = { id: 'erp-down', when: { circuitOpen: { system: 'erp' } }, for: '2m', severity: 'critical', channels: ['ops', 'hook'] }

  it('fires once after `for`, resolves once, and sends nothing in between', async () => {
    const { clock, health, notifier, evaluator } = setup([circuitRule])
    assert.deepEqual(await evaluator.tick(), [])
    health.recordCircuitTransition({ system: 'erp', from: 'closed', to: 'open', at: clock.now() })
    await evaluator.tick()
    assert.equal(notifier.sent.length, 0, 'pending: not held for 2m yet')
    assert.equal(evaluator.snapshot()[0]?.state, 'pending')
    clock.advance(60_000)
    health.recordCircuitTransition({ system: 'erp', from: 'open', to: 'half-open', at: clock.now() })
    health.recordCircuitTransition({ system: 'erp', from: 'half-open', to: 'open', at: clock.now() })
    await evaluator.tick()
    assert.equal(notifier.sent.length, 0)
    clock.advance(60_000)
    await evaluator.tick()
    assert.equal(notifier.sent.length, 1)
    const firing = notifier.sent[0]
    assert.equal(firing?.status, 'firing')
    assert.equal(firing?.key, 'erp-down/system:erp')
    assert.equal(firing?.severity, 'critical')
    assert.deepEqual(firing?.channels, ['ops', 'hook'])
    assert.match(firing?.summary ?? '', /^system erp: circuit open for 2m/)
    for (let i = 0; i < 5; i++) {
      clock.advance(15_000)
      await evaluator.tick()
    }
    assert.equal(notifier.sent.length, 1, 'still firing: no repeat')
    health.recordCircuitTransition({ system: 'erp', from: 'open', to: 'closed', at: clock.now() })
    await evaluator.tick()
    await evaluator.tick()
    assert.equal(notifier.sent.length, 2)
    const resolved = notifier.sent[1]
    assert.equal(resolved?.status, 'resolved')
    assert.equal(resolved?.firingSince, firing?.firingSince)
    assert.equal(resolved?.resolvedAt, new Date(clock.now()).toISOString())
    assert.notEqual(resolved?.id, firing?.id)
    assert.deepEqual(evaluator.snapshot(), [])
  })

  it('does not fire when the condition stops before `for`, and notifies nothing', async () => {
    const { clock, health, notifier, evaluator } = setup([circuitRule])
    health.recordCircuitTransition({ system: 'erp', from: 'closed', to: 'open', at: clock.now() })
    await evaluator.tick()
    clock.advance(90_000)
    health.recordCircuitTransition({ system: 'erp', from: 'open', to: 'closed', at: clock.now() })
    await evaluator.tick()
    clock.advance(60_000)
    await evaluator.tick()
    assert.equal(notifier.sent.length, 0)
    assert.deepEqual(evaluator.snapshot(), [])
  })

  it('fires at once with no `for`, and ticks that overlap do not double-notify', async () => {
    const { health, notifier, evaluator } = setup([{ id: 'err', when: { flowErrorRate: { flow: 'to-invoice', above: 0.5, minAttempts: 2 } }, channels: ['ops'] }])
    for (let i = 0; i < 3; i++) health.recordDeliveryAttempt({ flowId: 'to-invoice', system: 'inv', outcome: 'retry', status: 503, errorCode: null, latencyMs: 1, ageMs: 10, attempt: 1 })
    const [a, b] = await Promise.all([evaluator.tick(), evaluator.tick()])
    assert.equal(a, b, 'the second call joined the running tick')
    assert.equal(notifier.sent.length, 1)
    assert.equal(notifier.sent[0]?.value, 1)
  })

  it('offers a notification again on the next tick when the notifier refused it, and only once accepted', async () => {
    const { health, notifier, evaluator, errors } = setup([{ id: 'err', when: { routeErrorRate: { route: 'get-order', above: 0.1, minRequests: 1 } }, channels: ['ops'] }])
    health.recordGatewayRequest({ route: 'get-order', method: 'GET', statusClass: '5xx', consumer: 'a', durationMs: 1 })
    notifier.failing = true
    await evaluator.tick()
    await evaluator.tick()
    assert.equal(notifier.attempts, 2)
    assert.equal(errors.length, 2)
    notifier.failing = false
    await evaluator.tick()
    await evaluator.tick()
    assert.equal(notifier.sent.length, 1)
    assert.equal(notifier.attempts, 3)
  })

  it('holds its state while the figures are unknown (store unreadable)', async () => {
    let fail = false
    const { clock, notifier, evaluator } = setup([{ id: 'dlq', when: { dlqDepth: {} }, channels: ['hook'] }], async () => {
      if (fail) throw new Error('store down')
      return [{ flow: 'to-invoice', pending: 0, oldestPendingAgeMs: null, dead: 3 }]
    })
    await evaluator.tick()
    assert.deepEqual(notifier.sent.map((n) => [n.key, n.status, n.value]), [['dlq/flow:to-invoice', 'firing', 3]])
    fail = true
    clock.advance(60_000)
    await evaluator.tick()
    assert.equal(notifier.sent.length, 1, 'an unreadable store is not a resolution')
    assert.equal(evaluator.snapshot()[0]?.state, 'firing')
  })

  it('applies a rule without a subject to each subject separately', async () => {
    const { clock, health, notifier, evaluator } = setup([{ id: 'stuck', when: { pollerFailing: { consecutiveFailures: 2 } }, channels: ['ops'] }])
    const run = (poller: string, ok: boolean) => health.recordPollerRun({ poller, ok, items: 0 })
    run('poll', false)
    run('poll', false)
    run('other', false)
    await evaluator.tick()
    assert.deepEqual(notifier.sent.map((n) => n.key), ['stuck/poller:poll'])
    run('other', false)
    clock.advance(10_000)
    await evaluator.tick()
    assert.deepEqual(notifier.sent.map((n) => n.key), ['stuck/poller:poll', 'stuck/poller:other'])
    run('poll', true)
    await evaluator.tick()
    assert.deepEqual(notifier.sent.slice(2).map((n) => [n.key, n.status]), [['stuck/poller:poll', 'resolved']])
  })

  it('fires on an oldest-pending age and on a failing system’s route, with values and thresholds', async () => {
    const { notifier, evaluator } = setup([{ id: 'old', when: { oldestPending: { flow: 'to-crm', olderThan: '10m' } }, channels: ['ops'] }], async () => [
      { flow: 'to-crm', pending: 4, oldestPendingAgeMs: 11 * 60_000, dead: 0 },
    ])
    await evaluator.tick()
    assert.equal(notifier.sent.length, 1)
    assert.equal(notifier.sent[0]?.value, 11 * 60_000)
    assert.equal(notifier.sent[0]?.threshold, 10 * 60_000)
    assert.equal(notifier.sent[0]?.summary, 'flow to-crm: oldest pending delivery is 11m old, threshold 10m')
  })

  it('survives a restart: a restored firing alert is not notified again but resolves once', async () => {
    const first = setup([circuitRule])
    first.health.recordCircuitTransition({ system: 'erp', from: 'closed', to: 'open', at: first.clock.now() })
    await first.evaluator.tick()
    first.clock.advance(3 * 60_000)
    await first.evaluator.tick()
    assert.equal(first.notifier.sent.length, 1)
    const saved = first.evaluator.snapshot()

    const clock = new ManualClock(first.clock.now())
    const health = new HealthTracker({ clock, known: { systems: ['erp'] }, circuits: () => [{ system: 'erp', state: 'open', openedAt: clock.now() - 3 * 60_000 }] })
    const notifier = new RecordingNotifier()
    const evaluator = new AlertEvaluator({ rules: alerts(circuitRule, { id: 'gone', when: { dlqDepth: {} }, channels: ['ops'] }), source: health, notifier, restore: saved })
    await evaluator.tick()
    assert.equal(notifier.sent.length, 0, 'already notified before the restart')
    health.recordCircuitTransition({ system: 'erp', from: 'open', to: 'closed', at: clock.now() })
    const after = new AlertEvaluator({ rules: alerts(circuitRule), source: new HealthTracker({ clock }), notifier, restore: evaluator.snapshot() })
    await after.tick()
    assert.deepEqual(notifier.sent.map((n) => n.status), ['resolved'])
  })

  it('contains a rule that throws and keeps evaluating the others', async () => {
    const { health, notifier, errors } = setup([])
    const rules = alerts({ id: 'ok', when: { pollerFailing: { poller: 'poll', consecutiveFailures: 1 } }, channels: ['ops'] })
    const broken = { ...rules[0]!, id: 'broken', read: () => { throw new Error('bug') } }
    const evaluator = new AlertEvaluator({ rules: [broken, ...rules], source: health, notifier, onError: (e) => errors.push(e) })
    health.recordPollerRun({ poller: 'poll', ok: false, items: 0 })
    await evaluator.tick()
    assert.equal(errors.length, 1)
    assert.deepEqual(notifier.sent.map((n) => n.alert), ['ok'])
  })

  it('reads rate windows longer than 5 minutes when the tracker retains them, and refuses wiring that would truncate them', async () => {
    const rules = alerts({ id: 'slow-burn', when: { flowErrorRate: { flow: 'to-invoice', above: 0.5, window: '30m', minAttempts: 2 } }, channels: ['ops'] })
    const clock = new ManualClock()
    const notifier = new RecordingNotifier()
    assert.throws(() => new AlertEvaluator({ rules, source: new HealthTracker({ clock }), notifier }), RangeError)
    const health = new HealthTracker({ clock, retentionMs: longestWindowMs(rules) })
    const evaluator = new AlertEvaluator({ rules, source: health, notifier })
    const dead = { flowId: 'to-invoice', system: 'inv', outcome: 'dead' as const, status: 400, errorCode: null, latencyMs: 1, ageMs: 10, attempt: 1 }
    health.recordDeliveryAttempt(dead)
    clock.advance(20 * 60_000)
    health.recordDeliveryAttempt(dead)
    await evaluator.tick()
    assert.equal(notifier.sent[0]?.summary, 'flow to-invoice: attempt error rate 100% (2 of 2) over 30m, threshold 50%')
    assert.equal((await health.summary()).flows.find((f) => f.flow === 'to-invoice')?.dead, 1, 'the summary keeps its 5-minute window')
  })

  it('fires when a failing system opens its circuit, driven through the health tracker', async () => {
    const { clock, health, notifier, evaluator } = setup([{ id: 'erp-failing', when: { circuitOpen: { system: 'erp', longerThan: '30s' } }, channels: ['ops'] }])
    failCalls(health, 10)
    health.recordCircuitTransition({ system: 'erp', from: 'closed', to: 'open', at: clock.now() })
    await evaluator.tick()
    assert.equal(notifier.sent.length, 0, 'not open for 30s yet')
    clock.advance(30_000)
    await evaluator.tick()
    assert.equal(notifier.sent.length, 1)
    assert.match(notifier.sent[0]?.summary ?? '', /\(last error HTTP 500\)$/)
  })
})
