/**
 * Alert delivery across nodes sharing a PostgreSQL store: a gateway-only node holds the alert
 * lease, evaluates and queues the notification in its evaluation's transaction; a worker node
 * (which does not evaluate: no lease) delivers it, retrying a channel that answers 503, exactly
 * once.
 */
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startHub, type Hub, type Role } from '../../src/runtime/hub.js'
import { requireService } from '../helpers/services.js'
import { memoryLogger, tempConfig, type TempConfig } from '../runtime/helpers.js'
import { createTestDatabase, type TestDatabase } from '../store/pg-database.js'
import { flakyHubConfig, flakySystem, receiver, until, type FlakySystem, type Receiver } from './wiring-helpers.js'

const config = (store: string, flaky: string, hook: string) => `${flakyHubConfig({ store, token: 'alert-delivery-pg-token-0123456789', flaky })}channels:
  ops: { webhook: { url: "${hook}/hook", retry: { initial: 100ms, max: 200ms, attempts: 100 } } }
alerts:
  - { id: flaky-down, when: { circuitOpen: { system: flaky } }, for: 200ms, channels: [ops] }
`

describe('alert delivery on a shared PostgreSQL store', { skip: await requireService('postgres') }, () => {
  let db: TestDatabase
  let flaky: FlakySystem
  let hook: Receiver
  let cfg: TempConfig
  const hubs: Hub[] = []
  const start = async (role: Role) => {
    const hub = await startHub({ configFile: cfg.file, env: {}, role, logger: memoryLogger().logger })
    hubs.push(hub)
    return hub
  }

  before(async () => {
    db = await createTestDatabase()
    flaky = await flakySystem()
    hook = await receiver()
    cfg = await tempConfig(config(db.url, flaky.url, hook.url))
  })
  after(async () => {
    for (const h of hubs) await h.stop()
    await flaky.close()
    await hook.close()
    await cfg.cleanup()
    await db.drop()
  })

  it('the evaluating gateway node queues it, the worker node delivers it once', async () => {
    const gateway = await start('gateway')
    await until('the gateway node to hold the alert lease', () => gateway.observability.alerts.status().evaluating)
    const worker = await start('worker')
    hook.status = 503
    flaky.failing = true
    await until('the circuit to open', async () => {
      await fetch(`${gateway.gatewayUrl}/things/1`)
      return gateway.systems.health().find((s) => s.system === 'flaky')?.state === 'open'
    })
    await until('two refused attempts', () => hook.received.length >= 2)
    hook.status = 204
    await until('the notification delivered', async () => (await worker.flows.deliveries.list({ flowId: 'switchboard.alerts.ops' }))[0]?.status === 'delivered')
    assert.equal(worker.observability.alerts.status().evaluating, false, 'the worker node never evaluated')
    assert.deepEqual(hook.accepted().map((r) => [r.body.data.alert, r.body.data.status]), [['flaky-down', 'firing']])
    assert.equal(new Set(hook.received.map((r) => r.headers['idempotency-key'])).size, 1)
    assert.equal((await worker.store.events.list({ topic: 'switchboard.alerts.ops' })).length, 1)
  })
})
