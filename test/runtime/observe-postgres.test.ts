/**
 * Two nodes sharing one PostgreSQL store: the alert lease is used by default, exactly one node
 * evaluates and notifies; when it stops, the other takes over with the saved state and does not
 * notify again; the resolution is notified once.
 */
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import type { RawConfig } from '../../src/config/spec/root.js'
import type { AlertNotification, FlowQueueStats } from '../../src/observe/index.js'
import { startObservability, type Observability } from '../../src/runtime/observe.js'
import type { Store } from '../../src/store/contract.js'
import { openStore } from '../../src/store/open.js'
import { requireService } from '../helpers/services.js'
import { createTestDatabase, type TestDatabase } from '../store/pg-database.js'
import { memoryLogger } from './helpers.js'

const CONFIG = {
  version: 1,
  flows: [{ id: 'to-invoice' }],
  channels: { ops: { webhook: { url: 'http://127.0.0.1:9/hook' } } },
  alerts: [{ id: 'dlq', when: { dlqDepth: { flow: 'to-invoice' } }, channels: ['ops'] }],
  observe: { alerts: { interval: '1h', startDelay: '1h', leaseTtl: '2h' } },
} as unknown as RawConfig

describe('alert evaluation on a shared PostgreSQL store', { skip: await requireService('postgres') }, () => {
  let db: TestDatabase
  const stores: Store[] = []
  const sent: Array<[string, AlertNotification['status']]> = []
  let dead = 2
  const figures = async (): Promise<FlowQueueStats[]> => [{ flow: 'to-invoice', pending: 0, oldestPendingAgeMs: null, dead }]

  const node = async (name: string): Promise<Observability> => {
    const store = await openStore(db.url)
    stores.push(store)
    await store.migrate()
    const obs = startObservability({ config: CONFIG, store, logger: memoryLogger().logger, nodeId: name })
    obs.setQueueStatsProvider(figures)
    obs.setAlertOutbox({
      commit: async (notifications, alongside) => {
        await store.transaction(alongside)
        for (const n of notifications) sent.push([name, n.status])
      },
    })
    return obs
  }

  before(async () => {
    db = await createTestDatabase()
  })
  after(async () => {
    for (const s of stores) await s.close()
    await db.drop()
  })

  it('one node evaluates; the other takes over at its stop without notifying again', async () => {
    const a = await node('node-a')
    const b = await node('node-b')
    await Promise.all([a.alerts.tick(), b.alerts.tick()])
    await Promise.all([a.alerts.tick(), b.alerts.tick()])
    const evaluating = [a, b].filter((o) => o.alerts.status().evaluating)
    assert.equal(evaluating.length, 1, 'exactly one node holds the lease')
    assert.equal(a.alerts.status().election, 'lease')
    assert.equal(sent.length, 1)
    assert.equal(sent[0]?.[1], 'firing')

    const [leader, follower] = a.alerts.status().evaluating ? [a, b] : [b, a]
    await leader.stop()
    await follower.alerts.tick()
    assert.equal(follower.alerts.status().evaluating, true, 'took over the released lease')
    assert.equal(sent.length, 1, 'the restored firing alert is not notified again')
    dead = 0
    await follower.alerts.tick()
    assert.deepEqual(sent.map(([, status]) => status), ['firing', 'resolved'])
    const history = await (stores[0] as Store).alerts.history()
    assert.deepEqual(history.map((e) => e.status), ['resolved', 'firing'])
    await follower.stop()
  })
})
