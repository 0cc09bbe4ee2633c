/**
 * The demo that `npm start` runs: it validates, starts (on free ports, in a temp directory so
 * ./data is untouched), and its mock systems answer as the README walkthrough says.
 */
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
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
    assert.deepEqual(Object.keys(loaded.config.consumers ?? {}).sort(), ['mobile-app', 'partner-acme'])
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
