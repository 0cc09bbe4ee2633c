/**
 * The demo that `npm start` runs: it validates, starts (on free ports, in a temp directory so
 * ./data is untouched), its mock systems answer and its gateway routes behave as the README
 * walkthrough says.
 */
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { loadConfig } from '../../src/config/load.js'
import { startHub, type Hub } from '../../src/runtime/hub.js'
import { createLogger } from '../../src/observe/logger.js'

const DEMO = resolve('examples/demo/switchboard.yaml')

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
    assert.deepEqual((loaded.config.routes ?? []).map((r) => r.id), ['get-order', 'get-order-v0', 'public-status', 'get-product'])
    assert.ok(loaded.config.topics?.['order.created'])
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
