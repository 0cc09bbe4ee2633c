/**
 * Event flows through a running hub, over real HTTP: signed webhooks through the gateway become
 * events delivered to a loopback sink with their Idempotency-Key; a webhook the sink refuses
 * (4xx) lands in the DLQ and is replayed once the sink recovers; a bad signature stores
 * nothing; a duplicate webhook is delivered once. Roles: a gateway node accepts events without
 * delivering them, and a worker node on the same store delivers them.
 */
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { signStandardWebhook } from '../../src/core/webhook-signature.js'
import { startHub, type Hub } from '../../src/runtime/hub.js'
import { startSink, type Sink } from '../flows/helpers/sink.js'
import { waitFor } from '../flows/helpers/harness.js'
import { captureStderr, memoryLogger, tempConfig, tokenFromBanner, type TempConfig } from './helpers.js'

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'

const config = (sinkUrl: string) => `
version: 1
store: sqlite:$DIR/hub.db
systems:
  sink:
    baseUrl: ${sinkUrl}
    retry: { attempts: 2, initial: 20ms, max: 40ms, jitter: none }
routes:
  - id: shop-webhook
    post: /hooks/shop
    auth: { webhook: { scheme: standard-webhooks, secret: "\${env:SHOP_SECRET}" } }
    publish: { topic: order.created, id: "headers.'webhook-id'", key: body.customer }
topics:
  order.created:
    schema: { type: object, required: [id, customer, total], properties: { id: { type: string }, customer: { type: string }, total: { type: number } } }
flows:
  - id: to-sink
    on: order.created
    transform: "{ 'order': id, 'amount': total }"
    to: { system: sink, post: '/orders/{id}' }
`

interface Answer {
  status: number
  body: Record<string, unknown>
}

async function json(res: Response): Promise<Answer> {
  const text = await res.text()
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} }
}

/** POST a Standard Webhooks-signed order to the hub's gateway. */
async function sendWebhook(hub: Hub, order: Record<string, unknown>, opts: { webhookId: string; secret?: string }): Promise<Answer> {
  const body = JSON.stringify(order)
  const headers = signStandardWebhook(opts.secret ?? SECRET, opts.webhookId, Date.now() / 1000, body)
  return json(await fetch(`${hub.gatewayUrl}/hooks/shop`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body }))
}

describe('hub: signed webhooks through the gateway to a flow, DLQ and replay', () => {
  let cfg: TempConfig
  let hub: Hub
  let sink: Sink
  let token = ''
  /** While true the sink refuses orders above 1000 with 422 (not retryable: straight to the DLQ). */
  let refusing = true
  const admin = async (path: string, init: RequestInit = {}) =>
    json(await fetch(`${hub.adminUrl}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.body ? { 'content-type': 'application/json' } : {}) } }))

  before(async () => {
    sink = await startSink((req) => {
      const { amount } = JSON.parse(req.body) as { amount: number }
      return refusing && amount > 1000 ? { status: 422, body: '{"error":"credit limit"}' } : { status: 200, body: '{"ok":true}' }
    })
    cfg = await tempConfig(config(sink.url))
    const err = captureStderr()
    hub = await startHub({ configFile: cfg.file, env: { SHOP_SECRET: SECRET }, anyPort: true, stderr: err.stderr, logger: memoryLogger().logger })
    token = tokenFromBanner(err.text()) ?? ''
  })
  after(async () => {
    await hub.stop()
    await sink.close()
    await cfg.cleanup()
  })

  it('accepts a signed webhook with 202 after the commit, and delivers it with a stable Idempotency-Key', async () => {
    const res = await sendWebhook(hub, { id: 'o-1', customer: 'c-1', total: 10 }, { webhookId: 'msg_1' })
    assert.equal(res.status, 202)
    const eventId = res.body.id as string
    assert.deepEqual(res.body, { id: eventId, topic: 'order.created', duplicate: false })
    const event = await hub.store.events.get(eventId)
    assert.equal(event?.sourceId, 'msg_1', 'the webhook-id is the event id')
    assert.equal(event?.key, 'c-1')
    const req = await waitFor('the delivery', () => sink.requests.find((r) => r.path === '/orders/o-1'))
    assert.equal(req.method, 'POST')
    assert.equal(req.headers['idempotency-key'], `${eventId}:to-sink`)
    assert.deepEqual(JSON.parse(req.body), { order: 'o-1', amount: 10 })
  })

  it('delivers a webhook sent twice (same webhook-id) once: 202 duplicate with the original id', async () => {
    const first = await sendWebhook(hub, { id: 'o-2', customer: 'c-1', total: 20 }, { webhookId: 'msg_2' })
    const again = await sendWebhook(hub, { id: 'o-2', customer: 'c-1', total: 20 }, { webhookId: 'msg_2' })
    assert.equal(again.status, 202)
    assert.deepEqual(again.body, { id: first.body.id, topic: 'order.created', duplicate: true })
    await waitFor('the delivery', () => sink.requests.some((r) => r.path === '/orders/o-2'))
    assert.equal((await hub.store.deliveries.list({ eventId: first.body.id as string })).length, 1)
  })

  it('refuses a bad signature with 401 and stores nothing; an invalid order with 422 and stores nothing', async () => {
    const before = (await hub.store.events.list({ limit: 1000 })).length
    const forged = await sendWebhook(hub, { id: 'o-x', customer: 'c-1', total: 1 }, { webhookId: 'msg_x', secret: 'whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' })
    assert.equal(forged.status, 401)
    assert.equal(forged.body.code, 'SB_ERR_AUTH_WEBHOOK_SIGNATURE')
    const invalid = await sendWebhook(hub, { id: 'o-y', total: 'lots' }, { webhookId: 'msg_y' })
    assert.equal(invalid.status, 422)
    assert.equal(invalid.body.code, 'SB_ERR_EVENT_INVALID')
    assert.equal((await hub.store.events.list({ limit: 1000 })).length, before)
    assert.ok(!sink.requests.some((r) => r.path === '/orders/o-x' || r.path === '/orders/o-y'))
  })

  it('dead-letters an order the sink refuses (4xx), shows it, and delivers it on replay once the sink recovers', async () => {
    const res = await sendWebhook(hub, { id: 'o-big', customer: 'c-2', total: 5000 }, { webhookId: 'msg_big' })
    assert.equal(res.status, 202)
    const dead = await waitFor('the dead letter', async () => {
      const list = await admin('/v1/dlq?flow=to-sink')
      return (list.body.items as Array<{ id: string; eventId: string; lastStatus: number; deadReason: string }>).find((d) => d.eventId === res.body.id)
    })
    assert.equal(dead.lastStatus, 422)
    assert.equal(dead.deadReason, 'non-retryable')
    assert.deepEqual(
      (await hub.flowStats()).find((s) => s.flow === 'to-sink'),
      { flow: 'to-sink', pending: 0, oldestPendingAgeMs: null, dead: 1 },
    )
    const shown = await admin(`/v1/dlq/${dead.id}`)
    assert.equal((shown.body.attempts as unknown[]).length, 1)

    refusing = false
    const replay = await admin('/v1/dlq/replay', { method: 'POST', body: JSON.stringify({ ids: [dead.id] }) })
    assert.equal(replay.status, 200)
    assert.deepEqual(replay.body, { matched: 1, changed: 1 })
    await waitFor('the replayed delivery', async () => (await hub.store.deliveries.get(dead.id))?.status === 'delivered')
    const attempts = sink.requests.filter((r) => r.path === '/orders/o-big')
    assert.equal(attempts.length, 2)
    assert.equal(attempts[0]?.headers['idempotency-key'], attempts[1]?.headers['idempotency-key'], 'the replay carries the same Idempotency-Key')
    assert.equal((await hub.flowStats()).find((s) => s.flow === 'to-sink')?.dead, 0)
  })

  it('publishes through the admin API too, into the same flows', async () => {
    const res = await admin('/v1/topics/order.created/events', { method: 'POST', body: JSON.stringify({ id: 'o-admin', customer: 'c-3', total: 1 }) })
    assert.equal(res.status, 202)
    await waitFor('the delivery', () => sink.requests.some((r) => r.path === '/orders/o-admin'))
  })
})

describe('hub roles: a gateway node accepts events, a worker node delivers them', () => {
  let cfg: TempConfig
  let sink: Sink
  let gateway: Hub | undefined
  let worker: Hub | undefined
  before(async () => {
    sink = await startSink()
    cfg = await tempConfig(config(sink.url))
  })
  after(async () => {
    await gateway?.stop()
    await worker?.stop()
    await sink.close()
    await cfg.cleanup()
  })

  it('queues on the gateway node without delivering, and the worker node (no gateway listener) delivers', async () => {
    const env = { SHOP_SECRET: SECRET, SWITCHBOARD_ADMIN_TOKEN: 'role-test-admin-token-0123' }
    gateway = await startHub({ configFile: cfg.file, role: 'gateway', env, anyPort: true, logger: memoryLogger().logger })
    const res = await sendWebhook(gateway, { id: 'o-role', customer: 'c-1', total: 3 }, { webhookId: 'msg_role' })
    assert.equal(res.status, 202)
    const [delivery] = await gateway.store.deliveries.list({ eventId: res.body.id as string })
    assert.equal(delivery?.status, 'pending')
    const [stats] = await gateway.flowStats()
    assert.deepEqual([stats?.flow, stats?.pending, stats?.dead], ['to-sink', 1, 0])
    assert.ok(typeof stats?.oldestPendingAgeMs === 'number' && stats.oldestPendingAgeMs >= 0, 'the queue age of the waiting delivery')
    assert.equal(sink.requests.length, 0, 'a gateway node delivers nothing')

    worker = await startHub({ configFile: cfg.file, role: 'worker', env, anyPort: true, logger: memoryLogger().logger })
    assert.equal(worker.gatewayUrl, undefined)
    await waitFor('the worker to deliver', async () => (await worker?.store.deliveries.get(delivery?.id ?? ''))?.status === 'delivered')
    assert.equal(sink.requests[0]?.path, '/orders/o-role')
  })
})

describe('hub stop with a delivery in flight', () => {
  it('lets the in-flight delivery finish and record its outcome before the systems and the store close', async () => {
    let answered = false
    const sink = await startSink(async () => {
      await new Promise((r) => setTimeout(r, 300))
      answered = true
      return { status: 200 }
    })
    const cfg = await tempConfig(config(sink.url))
    try {
      const hub = await startHub({ configFile: cfg.file, env: { SHOP_SECRET: SECRET, SWITCHBOARD_ADMIN_TOKEN: 'stop-test-admin-token-0123' }, anyPort: true, logger: memoryLogger().logger })
      const res = await sendWebhook(hub, { id: 'o-slow', customer: 'c-1', total: 3 }, { webhookId: 'msg_slow' })
      assert.equal(res.status, 202)
      await waitFor('the delivery to reach the sink', () => sink.requests.length === 1)
      assert.equal(answered, false)
      await hub.stop()
      assert.equal(answered, true)
      // Reopen the same store: the delivery was settled before the store closed.
      const again = await startHub({ configFile: cfg.file, role: 'gateway', env: { SHOP_SECRET: SECRET, SWITCHBOARD_ADMIN_TOKEN: 'stop-test-admin-token-0123' }, anyPort: true, logger: memoryLogger().logger })
      try {
        const [d] = await again.store.deliveries.list({ eventId: res.body.id as string })
        assert.equal(d?.status, 'delivered')
      } finally {
        await again.stop()
      }
    } finally {
      await sink.close()
      await cfg.cleanup()
    }
  })
})
