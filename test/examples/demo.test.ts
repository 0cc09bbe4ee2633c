/**
 * The demo that `npm start` runs: it validates, starts (on free ports, in a temp directory so
 * ./data is untouched), its mock systems answer, its gateway routes behave as the README
 * walkthrough says, and its event story works: a signed shop webhook (sent by the demo's own
 * send-order.mjs) is invoiced, and a big order ends in the dead-letter queue.
 */
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { loadConfig } from '../../src/config/load.js'
import { startHub, type Hub } from '../../src/runtime/hub.js'
import { createLogger } from '../../src/observe/logger.js'

const DEMO = resolve('examples/demo/switchboard.yaml')
const execFileAsync = promisify(execFile)

describe('examples/demo', () => {
  let cwd: string
  let hub: Hub
  let token = ''
  const url = (system: string, path: string) => `${hub.effectiveBaseUrls.get(system)?.[0]}${path}`

  before(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'sb-demo-'))
    let banner = ''
    hub = await startHub({ configFile: DEMO, cwd, env: {}, anyPort: true, stderr: { write: (s: string) => (banner += s) }, logger: createLogger({ level: 'silent', env: {} }) })
    token = /sbadm_[A-Za-z0-9_-]+/.exec(banner)?.[0] ?? ''
  })
  after(async () => {
    await hub.stop()
    await rm(cwd, { recursive: true, force: true })
  })

  it('validates without any environment variable', async () => {
    const loaded = await loadConfig(DEMO, { env: {} })
    assert.deepEqual(Object.keys(loaded.config.systems ?? {}).sort(), ['crm', 'erp', 'invoicing', 'shop'])
    assert.deepEqual(Object.keys(loaded.config.consumers ?? {}).sort(), ['mobile-app', 'partner-acme', 'storefront'])
    assert.deepEqual((loaded.config.routes ?? []).map((r) => r.id), ['get-order', 'get-order-v0', 'public-status', 'get-product', 'shop-webhook'])
    assert.ok(loaded.config.topics?.['order.created'])
    assert.deepEqual((loaded.config.flows ?? []).map((f) => f.id), ['order-to-invoice', 'order-to-crm'])
  })

  it('starts in development mode with a generated admin token and its store under the working directory', async () => {
    assert.match(token, /^sbadm_/)
    assert.equal(hub.store.description, `sqlite:${join(cwd, 'data', 'switchboard.db')}`)
    assert.equal((await fetch(`${hub.adminUrl}/v1/config`, { headers: { authorization: `Bearer ${token}` } })).status, 200)
  })

  it('erp answers orders from its OpenAPI examples', async () => {
    const order = (await (await fetch(url('erp', '/orders/1002'))).json()) as { id: string; total: number }
    assert.equal(order.id, '1002')
    assert.equal(order.total, 1499)
    const list = (await (await fetch(url('erp', '/orders'))).json()) as { items: unknown[] }
    assert.equal(list.items.length, 2)
  })

  it('invoicing creates an invoice (201) from the request', async () => {
    const res = await fetch(url('invoicing', '/invoices'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ customer: 'ada@example.com', amount: 59.8, currency: 'EUR' }) })
    assert.equal(res.status, 201)
    assert.deepEqual(await res.json(), { id: 'inv-1', customer: 'ada@example.com', amount: 59.8, currency: 'EUR', status: 'issued' })
  })

  it('crm accepts small orders and fails (500) above 1000', async () => {
    const post = (body: unknown) => fetch(url('crm', '/contacts'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    assert.equal((await post({ email: 'ada@example.com', total: 59.8 })).status, 200)
    assert.equal((await post({ email: 'grace@example.com', total: 1499 })).status, 500)
  })

  it('shop answers products', async () => {
    const p = (await (await fetch(url('shop', '/products/SKU-1'))).json()) as { sku: string }
    assert.equal(p.sku, 'SKU-1')
  })
})

describe('examples/demo gateway routes', () => {
  let cwd: string
  let hub: Hub
  let token = ''
  const gw = (path: string, key?: string) => fetch(`${hub.gatewayUrl}${path}`, key ? { headers: { 'x-api-key': key } } : {})
  const admin = (path: string, method = 'GET') => fetch(`${hub.adminUrl}${path}`, { method, headers: { authorization: `Bearer ${token}` } })
  const createKey = async (consumer: string) => {
    const res = await admin(`/v1/consumers/${consumer}/keys`, 'POST')
    assert.equal(res.status, 201)
    return (await res.json()) as { id: string; key: string }
  }

  before(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'sb-demo-gw-'))
    let banner = ''
    hub = await startHub({ configFile: DEMO, cwd, env: {}, anyPort: true, stderr: { write: (s: string) => (banner += s) }, logger: createLogger({ level: 'silent', env: {} }) })
    token = /sbadm_[A-Za-z0-9_-]+/.exec(banner)?.[0] ?? ''
  })
  after(async () => {
    await hub.stop()
    await rm(cwd, { recursive: true, force: true })
  })

  it('GET /v1/orders/:id with a partner key: the ERP order, allow-listed (no customer, no internal notes)', async () => {
    const { key } = await createKey('partner-acme')
    const res = await gw('/v1/orders/1001', key)
    assert.equal(res.status, 200)
    assert.deepEqual(await res.json(), { id: '1001', status: 'shipped', total: 59.8, currency: 'EUR', items: [{ sku: 'SKU-1', quantity: 2, price: 29.9 }] })
  })

  it('401 without a key, 403 for a consumer without orders:read', async () => {
    const none = await gw('/v1/orders/1001')
    assert.equal(none.status, 401)
    assert.equal(((await none.json()) as { code: string }).code, 'SB_ERR_AUTH_MISSING')
    const storefront = await gw('/v1/orders/1001', (await createKey('storefront')).key)
    assert.equal(storefront.status, 403)
    assert.equal(((await storefront.json()) as { code: string }).code, 'SB_ERR_AUTH_FORBIDDEN_SCOPE')
  })

  it('the deprecated v0 route answers with Deprecation, Sunset and Link headers', async () => {
    const res = await gw('/v0/orders/1002', (await createKey('partner-acme')).key)
    assert.equal(res.status, 200)
    assert.deepEqual(await res.json(), { id: '1002', status: 'open', total: 1499 })
    assert.match(res.headers.get('deprecation') ?? '', /^@\d+$/)
    assert.equal(res.headers.get('sunset'), 'Wed, 30 Jun 2027 00:00:00 GMT')
    assert.equal(res.headers.get('link'), '</v1/orders/:id>; rel="successor-version"')
  })

  it('GET /public/status needs no key', async () => {
    const res = await gw('/public/status')
    assert.equal(res.status, 200)
    assert.deepEqual(await res.json(), { status: 'open', message: 'The shop is open.' })
  })

  it('GET /v1/products/:sku is limited to 5 calls a minute per consumer (429 after)', async () => {
    const { key } = await createKey('storefront')
    const statuses: number[] = []
    for (let i = 0; i < 6; i++) statuses.push((await gw('/v1/products/SKU-1', key)).status)
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429])
    const limited = await gw('/v1/products/SKU-1', key)
    assert.equal(((await limited.json()) as { code: string }).code, 'SB_ERR_GATEWAY_RATE_LIMITED')
    assert.ok(Number(limited.headers.get('retry-after')) > 0)
    // Another consumer has its own bucket.
    assert.equal((await gw('/v1/products/SKU-1', (await createKey('mobile-app')).key)).status, 200)
  })

  it('a revoked key is refused', { timeout: 20_000 }, async () => {
    const { id, key } = await createKey('partner-acme')
    assert.equal((await gw('/v1/orders/1001', key)).status, 200)
    assert.equal((await admin(`/v1/keys/${id}`, 'DELETE')).status, 204)
    let status = 200
    for (let i = 0; i < 100 && status === 200; i++) {
      status = (await gw('/v1/orders/1001', key)).status
      if (status === 200) await sleep(100)
    }
    assert.equal(status, 401)
  })
})

describe('examples/demo event story', () => {
  let cwd: string
  let hub: Hub
  let token = ''
  const admin = async <T>(path: string, init: RequestInit = {}): Promise<T> => {
    const res = await fetch(`${hub.adminUrl}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.body ? { 'content-type': 'application/json' } : {}) } })
    assert.ok(res.ok, `${path}: ${res.status}`)
    return (await res.json()) as T
  }
  /** Runs examples/demo/send-order.mjs against this hub's gateway, as the README does. */
  const sendOrder = async (...args: string[]) => {
    const { stdout } = await execFileAsync(process.execPath, [resolve('examples/demo/send-order.mjs'), '--url', `${hub.gatewayUrl}/hooks/shop`, ...args])
    const accepted = JSON.parse(stdout.split('\n')[1] ?? '') as { id: string; duplicate: boolean }
    return accepted
  }
  const deliveries = (eventId: string) => admin<{ items: Array<{ id: string; flowId: string; status: string; lastStatus: number | null }> }>(`/v1/deliveries?event=${eventId}`)

  before(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'sb-demo-flows-'))
    let banner = ''
    hub = await startHub({ configFile: DEMO, cwd, env: {}, anyPort: true, stderr: { write: (s: string) => (banner += s) }, logger: createLogger({ level: 'silent', env: {} }) })
    token = /sbadm_[A-Za-z0-9_-]+/.exec(banner)?.[0] ?? ''
  })
  after(async () => {
    await hub.stop()
    await rm(cwd, { recursive: true, force: true })
  })

  it('a signed order webhook is invoiced (JSONata mapping) and the customer reaches the CRM', { timeout: 20_000 }, async () => {
    const { id, duplicate } = await sendOrder('--total', '59.8', '--customer', 'cust-42')
    assert.equal(duplicate, false)
    const event = await admin<{ event: { key: string; body: { id: string } } }>(`/v1/events/${id}`)
    assert.equal(event.event.key, 'cust-42', 'keyed by customer')
    let states: string[] = []
    for (let i = 0; i < 200 && states.join() !== 'delivered,delivered'; i++) {
      states = (await deliveries(id)).items.map((d) => d.status)
      if (states.join() !== 'delivered,delivered') await sleep(50)
    }
    assert.deepEqual(states, ['delivered', 'delivered'])
    const invoices = hub.mocks.get('invoicing')?.requests() ?? []
    const invoice = invoices.find((r) => (r.body as { order?: string }).order === event.event.body.id)
    assert.ok(invoice, 'invoicing received the order')
    assert.equal(invoice.status, 201)
    assert.deepEqual(invoice.body, { customer: 'ada@example.com', amount: 59.8, currency: 'EUR', order: event.event.body.id, lines: [{ sku: 'SKU-1', quantity: 2, price: 29.9 }] })
    assert.equal(invoice.headers['idempotency-key'], `${id}:order-to-invoice`)
  })

  it('the same webhook-id again is accepted as a duplicate and not delivered twice', async () => {
    const first = await sendOrder('--webhook-id', 'msg_demo_test')
    const again = await sendOrder('--webhook-id', 'msg_demo_test')
    assert.deepEqual([again.id, again.duplicate], [first.id, true])
    assert.equal((await deliveries(first.id)).items.length, 2)
  })

  it('a bad signature is refused with 401', async () => {
    await assert.rejects(sendOrder('--bad-signature'), (err: { code?: number; stdout?: string }) => err.code === 1 && /→ 401/.test(err.stdout ?? ''))
  })

  it('a big order lands in the DLQ after the CRM refused it 3 times; the invoice still goes out', { timeout: 20_000 }, async () => {
    const { id } = await sendOrder('--total', '1499', '--customer', 'cust-7', '--email', 'grace@example.com')
    let dead: { id: string; flowId: string; status: string; lastStatus: number | null } | undefined
    for (let i = 0; i < 300 && !dead; i++) {
      dead = (await admin<{ items: Array<{ id: string; eventId: string; flowId: string; status: string; lastStatus: number | null }> }>('/v1/dlq?flow=order-to-crm')).items.find((d) => d.eventId === id)
      if (!dead) await sleep(50)
    }
    assert.ok(dead, 'the CRM delivery is dead')
    assert.equal(dead.lastStatus, 500)
    const detail = await admin<{ attempts: Array<{ status: number }> }>(`/v1/dlq/${dead.id}`)
    assert.deepEqual(detail.attempts.map((a) => a.status), [500, 500, 500])
    const invoice = (await deliveries(id)).items.find((d) => d.flowId === 'order-to-invoice')
    assert.equal(invoice?.status, 'delivered')
    const discarded = await admin<{ changed: number }>('/v1/dlq/discard', { method: 'POST', body: JSON.stringify({ ids: [dead.id] }) })
    assert.equal(discarded.changed, 1)
  })
})
