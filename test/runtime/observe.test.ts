/**
 * The alert loop on a real store with a manual clock: fires once after `for`, saves state,
 * history and notifications in one commit, survives a restart without notifying again, starts
 * a turn the store could not take again from the saved state, and elects one evaluating node
 * through the store lease (fenced writes).
 * Plus `startObservability`'s checks of the `observe:` block and its seams.
 */
import { describe, it, beforeEach, afterEach } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { RawConfig } from '../../src/config/spec/root.js'
import { ManualClock } from '../../src/core/clock.js'
import { isSwitchboardError } from '../../src/core/errors.js'
import { compileAlerts, HealthTracker, type AlertInstanceState, type AlertNotification } from '../../src/observe/index.js'
import { AlertLoop, transitions } from '../../src/runtime/alert-loop.js'
import { startObservability } from '../../src/runtime/observe.js'
import type { Store, StoreTx } from '../../src/store/contract.js'
import { openStore } from '../../src/store/open.js'
import { memoryLogger } from './helpers.js'

const CONFIG = {
  version: 1,
  systems: { erp: {} },
  flows: [],
  channels: { ops: { webhook: { url: 'http://127.0.0.1:9/hook' } } },
  alerts: [{ id: 'erp-down', when: { circuitOpen: { system: 'erp' } }, for: '1m', severity: 'critical', channels: ['ops'] }],
} as unknown as RawConfig

/** An outbox committing on the loop's store, recording what it committed. */
class Recorder {
  readonly sent: AlertNotification[] = []
  /** Refuse commits that carry notifications (a turn with nothing to send still saves). */
  failing = false
  onCommit: (() => Promise<void>) | undefined
  async commit(store: Store, notifications: readonly AlertNotification[], alongside: (tx: StoreTx) => Promise<void>): Promise<void> {
    await this.onCommit?.()
    if (this.failing && notifications.length > 0) throw new Error('notifications refused')
    await store.transaction(alongside)
    this.sent.push(...notifications)
  }
}

const open = (h: HealthTracker, at: number) => h.recordCircuitTransition({ system: 'erp', from: 'closed', to: 'open', at })
const close = (h: HealthTracker, at: number) => h.recordCircuitTransition({ system: 'erp', from: 'half-open', to: 'closed', at })

describe('alert loop', () => {
  let dir: string
  let store: Store
  let clock: ManualClock
  const loops: AlertLoop[] = []

  const loop = (health: HealthTracker, rec: Recorder, opts: { owner?: string; s?: Store } = {}) => {
    const s = opts.s ?? store
    const l = new AlertLoop({
      rules: compileAlerts(CONFIG),
      source: health,
      store: s,
      outbox: { commit: (notifications, alongside) => rec.commit(s, notifications, alongside) },
      clock,
      logger: memoryLogger().logger,
      intervalMs: 1000,
      startDelayMs: 0,
      historyMs: 86_400_000,
      ...(opts.owner ? { lease: { name: 'alerts', owner: opts.owner, ttlMs: 30_000 } } : {}),
    })
    loops.push(l)
    return l
  }
  const tracker = () => new HealthTracker({ clock, known: { systems: ['erp'] } })

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sb-alert-loop-'))
    clock = new ManualClock()
    store = await openStore(`sqlite:${join(dir, 'sb.db')}`, { clock })
    await store.migrate()
  })
  afterEach(async () => {
    for (const l of loops.splice(0)) await l.stop()
    await store.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('fires once after `for`, saves the instance and the transition, resolves once', async () => {
    const health = tracker()
    const rec = new Recorder()
    const l = loop(health, rec)
    open(health, clock.now())
    assert.deepEqual(await l.tick(), [])
    assert.equal((await store.alerts.instances())[0]?.state, 'pending', 'pending is saved too')
    clock.advance(59_000)
    await l.tick()
    assert.equal(rec.sent.length, 0, 'not before `for`')
    clock.advance(1_000)
    const fired = await l.tick()
    assert.deepEqual(fired.map((n) => n.status), ['firing'])
    for (let i = 0; i < 3; i++) {
      clock.advance(1_000)
      await l.tick()
    }
    assert.equal(rec.sent.length, 1, 'no repeat while firing')
    const saved = await store.alerts.instances()
    assert.deepEqual(saved.map((i) => [i.key, i.state, i.notified]), [['erp-down/system:erp', 'firing', 'firing']])
    close(health, clock.now())
    clock.advance(1_000)
    await l.tick()
    await l.tick()
    assert.deepEqual(rec.sent.map((n) => n.status), ['firing', 'resolved'])
    assert.deepEqual(await store.alerts.instances(), [])
    const history = await store.alerts.history()
    assert.deepEqual(history.map((e) => [e.status, e.alert, e.subjectKind, e.subjectName, e.severity]), [
      ['resolved', 'erp-down', 'system', 'erp', 'critical'],
      ['firing', 'erp-down', 'system', 'erp', 'critical'],
    ])
    assert.match(history[1]?.summary ?? '', /circuit open for 1m/)
    assert.equal(l.status().evaluations, 8)
    assert.equal(l.status().evaluating, true)
  })

  it('a restart on the same store restores a firing alert without notifying it again', async () => {
    const rec = new Recorder()
    const h1 = tracker()
    const first = loop(h1, rec)
    const openedAt = clock.now()
    open(h1, openedAt)
    await first.tick()
    clock.advance(60_000)
    await first.tick()
    assert.equal(rec.sent.length, 1)
    await first.stop()

    // The new process sees the circuit open again (its own breaker failing).
    const h2 = tracker()
    open(h2, openedAt)
    const second = loop(h2, rec)
    clock.advance(5_000)
    assert.deepEqual(await second.tick(), [], 'restored as firing and notified: nothing to send')
    assert.equal(second.snapshot()[0]?.state, 'firing')
    close(h2, clock.now())
    await second.tick()
    assert.deepEqual(rec.sent.map((n) => n.status), ['firing', 'resolved'])
    assert.deepEqual((await store.alerts.history()).map((e) => e.status), ['resolved', 'firing'], 'one transition each, no duplicate')
  })

  it('a restored firing alert whose condition no longer holds resolves once', async () => {
    const rec = new Recorder()
    const h1 = tracker()
    const l1 = loop(h1, rec)
    open(h1, clock.now())
    await l1.tick()
    clock.advance(60_000)
    await l1.tick()
    await l1.stop()
    const l2 = loop(tracker(), rec)
    await l2.tick()
    await l2.tick()
    assert.deepEqual(rec.sent.map((n) => n.status), ['firing', 'resolved'])
  })

  it('a notification that could not be committed is offered again from the saved state; the transition is recorded once', async () => {
    const health = tracker()
    const rec = new Recorder()
    rec.failing = true
    const l = loop(health, rec)
    open(health, clock.now())
    await l.tick()
    clock.advance(60_000)
    assert.deepEqual(await l.tick(), [])
    assert.match(l.status().lastError ?? '', /notifications refused/)
    await l.tick()
    assert.equal(rec.sent.length, 0)
    const saved = await store.alerts.instances()
    assert.deepEqual(saved.map((i) => [i.state, i.notified]), [['pending', 'none']], 'the firing state was not saved without its notification')
    assert.deepEqual(await store.alerts.history(), [])
    rec.failing = false
    assert.deepEqual((await l.tick()).map((n) => n.status), ['firing'])
    assert.deepEqual(rec.sent.map((n) => n.status), ['firing'])
    assert.equal(rec.sent[0]?.activeSince, new Date(saved[0]?.activeSince ?? 0).toISOString(), 'the same episode, so the same notification id')
    assert.deepEqual((await store.alerts.history()).map((e) => e.status), ['firing'])
    assert.equal((await store.alerts.instances())[0]?.notified, 'firing')
  })

  it('a turn the store could not take is forgotten: nothing was sent, and the next one commits it once', async () => {
    const health = tracker()
    const rec = new Recorder()
    let failNext = false
    const flaky = new Proxy(store, {
      get(target, prop) {
        if (prop === 'transaction' && failNext) {
          failNext = false
          return () => Promise.reject(new Error('store hiccup'))
        }
        const v = Reflect.get(target, prop) as unknown
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v
      },
    })
    const l = loop(health, rec, { s: flaky })
    open(health, clock.now())
    await l.tick()
    clock.advance(60_000)
    failNext = true
    assert.deepEqual(await l.tick(), [], 'a failed turn reports nothing…')
    assert.equal(rec.sent.length, 0, '…and queued nothing')
    assert.match(l.status().lastError ?? '', /store hiccup/)
    assert.deepEqual(await store.alerts.history(), [])
    await l.tick()
    assert.equal(l.status().lastError, null)
    assert.deepEqual(rec.sent.map((n) => n.status), ['firing'])
    assert.deepEqual((await store.alerts.history()).map((e) => e.status), ['firing'])
    assert.equal((await store.alerts.instances())[0]?.notified, 'firing')
  })

  it('with a lease, one node evaluates; another takes over when the lease lapses, without notifying again', async () => {
    const recA = new Recorder()
    const recB = new Recorder()
    const hA = tracker()
    const hB = tracker()
    const other = await openStore(`sqlite:${join(dir, 'sb.db')}`, { clock })
    try {
      const a = loop(hA, recA, { owner: 'node-a' })
      const b = loop(hB, recB, { owner: 'node-b', s: other })
      const openedAt = clock.now()
      open(hA, openedAt)
      open(hB, openedAt)
      await a.tick()
      await b.tick()
      assert.equal(a.status().evaluating, true)
      assert.equal(b.status().evaluating, false)
      clock.advance(30_000)
      await a.tick()
      clock.advance(30_000)
      await a.tick()
      await b.tick()
      assert.equal(recA.sent.length, 1)
      assert.equal(recB.sent.length, 0, 'the node without the lease sends nothing')
      // node-a stops renewing (crashed): after the TTL node-b takes over with the saved state.
      clock.advance(30_001)
      assert.deepEqual(await b.tick(), [])
      assert.equal(b.status().evaluating, true)
      assert.equal(b.snapshot()[0]?.notified, 'firing')
      await a.tick()
      assert.equal(a.status().evaluating, false, 'node-a lost the lease')
      close(hB, clock.now())
      await b.tick()
      assert.deepEqual([...recA.sent, ...recB.sent].map((n) => n.status), ['firing', 'resolved'])
      await b.stop()
      assert.equal(await store.leases.get('alerts'), undefined, 'released at stop')
    } finally {
      await other.close()
    }
  })

  it('a node that lost the lease during an evaluation does not overwrite the new holder’s state', async () => {
    const recA = new Recorder()
    const recB = new Recorder()
    const hA = tracker()
    const hB = tracker()
    const a = loop(hA, recA, { owner: 'node-a' })
    const b = loop(hB, recB, { owner: 'node-b' })
    const openedAt = clock.now()
    open(hA, openedAt)
    await a.tick()
    clock.advance(60_000)
    // Before node-a commits, it stalls past its TTL and node-b (circuit closed there) takes over.
    recA.onCommit = async () => {
      recA.onCommit = undefined
      clock.advance(30_001)
      await b.tick()
    }
    await a.tick()
    assert.equal(a.status().evaluating, false)
    assert.equal(b.status().evaluating, true)
    assert.deepEqual(
      (await store.alerts.instances()).map((i) => i.state),
      b.snapshot().map((s) => s.state),
      'the store holds node-b’s view',
    )
    assert.equal((await store.leases.get('alerts'))?.owner, 'node-b')
    assert.equal(recA.sent.length, 0, 'node-a’s notification was rolled back with its state')
  })
})

describe('transitions between snapshots', () => {
  const s = (key: string, state: AlertInstanceState['state'], firingSince: number | null, resolvedAt: number | null = null): AlertInstanceState => ({
    key,
    alert: key.split('/')[0] ?? key,
    subject: { kind: 'system', name: 'erp' },
    severity: 'warning',
    state,
    activeSince: 1,
    firingSince,
    resolvedAt,
    notified: 'none',
    value: 1,
    threshold: 0,
    summary: key,
  })

  it('reports entering and leaving firing, once, and nothing for pending moves', () => {
    assert.deepEqual(transitions([], [s('a/x', 'pending', null)], 10), [])
    assert.deepEqual(
      transitions([s('a/x', 'pending', null)], [s('a/x', 'firing', 5)], 10).map((e) => [e.status, e.at]),
      [['firing', 5]],
    )
    assert.deepEqual(transitions([s('a/x', 'firing', 5)], [s('a/x', 'firing', 5)], 10), [])
    assert.deepEqual(transitions([s('a/x', 'firing', 5)], [s('a/x', 'resolving', 5, 8)], 10).map((e) => [e.status, e.at]), [['resolved', 8]])
    assert.deepEqual(transitions([s('a/x', 'firing', 5)], [], 10).map((e) => [e.status, e.at]), [['resolved', 10]])
    assert.deepEqual(transitions([s('a/x', 'resolving', 5, 8)], [], 10), [])
    assert.deepEqual(
      transitions([s('a/x', 'firing', 5)], [s('a/x', 'firing', 9)], 10).map((e) => e.status),
      ['resolved', 'firing'],
      'a new episode',
    )
  })
})

describe('startObservability', () => {
  const base = (observe: unknown, extra: Record<string, unknown> = {}) => ({ ...CONFIG, ...extra, observe }) as unknown as RawConfig

  it('refuses a health window over an hour and a lease TTL not longer than the interval', async () => {
    const store = await openStore('sqlite::memory:')
    try {
      await store.migrate()
      const start = (observe: unknown, useLease = false) => startObservability({ config: base(observe), store, logger: memoryLogger().logger, useLease })
      const refuses = (observe: unknown, useLease: boolean, field: RegExp) =>
        assert.throws(() => start(observe, useLease), (e: unknown) => isSwitchboardError(e) && e.code === 'SB_ERR_CONFIG_INVALID' && field.test(e.message))
      refuses({ health: { window: '2h' } }, false, /^observe\.health\.window: 2h/)
      refuses({ alerts: { interval: '1m', leaseTtl: '1m' } }, true, /^observe\.alerts\.leaseTtl/)
      const ok = start({ alerts: { interval: '1m', leaseTtl: '1m' } }, false)
      await ok.stop()
    } finally {
      await store.close()
    }
  })

  it('feeds queue figures to the gauges and the health summary, and swaps the notifier', async () => {
    const clock = new ManualClock()
    const store = await openStore('sqlite::memory:', { clock })
    await store.migrate()
    const obs = startObservability({
      config: base({ alerts: { startDelay: '1h' } }, { alerts: [{ id: 'dlq', when: { dlqDepth: {} }, channels: ['ops'] }], flows: [{ id: 'f' }] }),
      store,
      clock,
      logger: memoryLogger().logger,
    })
    try {
      obs.setQueueStatsProvider(async () => [{ flow: 'f', pending: 3, oldestPendingAgeMs: 1000, dead: 2 }])
      const text = await obs.metrics.metricsText()
      assert.match(text, /^switchboard_flow_dlq_depth\{flow="f"\} 2$/m)
      const summary = await obs.health.summary()
      assert.equal(summary.flows.find((f) => f.flow === 'f')?.dlqDepth, 2)
      assert.equal(summary.status, 'degraded')
      const rec = new Recorder()
      obs.setAlertOutbox({ commit: (notifications, alongside) => rec.commit(store, notifications, alongside) })
      await obs.alerts.tick()
      assert.deepEqual(rec.sent.map((n) => [n.alert, n.subject.name, n.status]), [['dlq', 'f', 'firing']])
    } finally {
      await obs.stop()
      await store.close()
    }
  })
})
