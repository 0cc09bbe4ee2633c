/** GET /v1/routes (the gateway routes of the config) and the circuit state of systems. */
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { adminFixture, auth, SECRET, type Fixture } from './fixture.js'

const ROUTES = `
routes:
  - id: get-order
    get: /v1/orders/:id
    version: v1
    owner: commerce
    auth: apiKey
    scopes: [orders:read]
    proxy: { system: crm, path: /orders/:id }
    response: { allow: [id, status] }
  - id: get-order-v0
    get: /v0/orders/:id
    auth: [apiKey, { jwt: { key: "0123456789abcdef0123456789abcdef", algorithms: [HS256] } }]
    consumers: [partner-acme]
    proxy: { system: crm, method: POST, path: /legacy/orders/:id }
    deprecated: { since: 2025-01-01, sunset: 2027-06-30, successor: /v1/orders/:id }
  - id: status
    get: /public/status
    host: api.example.com
    proxy: { system: billing }
    deprecated: true
  - id: shop-hook
    post: /hooks/shop
    auth: { webhook: { scheme: standard-webhooks, secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" } }
    publish: { topic: order.created }
topics:
  order.created: { schema: { type: object } }
`

describe('admin API: routes and circuits', () => {
  let f: Fixture
  before(async () => {
    f = await adminFixture({ extraConfig: ROUTES })
  })
  after(() => f.close())

  it('GET /v1/routes lists every route in config order with auth kinds, target and deprecation', async () => {
    const res = await f.app.inject({ method: 'GET', url: '/v1/routes', headers: auth })
    assert.equal(res.statusCode, 200)
    const items = res.json().items as Array<Record<string, unknown>>
    assert.deepEqual(
      items.map((r) => r.id),
      ['get-order', 'get-order-v0', 'status', 'shop-hook'],
    )
    assert.deepEqual(items[0], {
      id: 'get-order',
      method: 'GET',
      path: '/v1/orders/:id',
      host: null,
      version: 'v1',
      owner: 'commerce',
      description: null,
      auth: ['apiKey'],
      scopes: ['orders:read'],
      consumers: null,
      target: { type: 'proxy', system: 'crm', method: 'GET', path: '/orders/:id' },
      deprecated: null,
    })
    assert.deepEqual(items[1]?.auth, ['apiKey', 'jwt'])
    assert.deepEqual(items[1]?.consumers, ['partner-acme'])
    assert.deepEqual(items[1]?.target, { type: 'proxy', system: 'crm', method: 'POST', path: '/legacy/orders/:id' })
    assert.deepEqual(items[1]?.deprecated, { since: '2025-01-01', sunset: '2027-06-30', successor: '/v1/orders/:id' })
    assert.deepEqual(items[2]?.auth, ['none'], 'a route without auth is anonymous')
    assert.equal(items[2]?.host, 'api.example.com')
    assert.deepEqual(items[2]?.target, { type: 'proxy', system: 'billing', method: 'GET', path: '/public/status' })
    assert.deepEqual(items[2]?.deprecated, { since: null, sunset: null, successor: null })
    assert.deepEqual(items[3]?.auth, ['webhook'])
    assert.deepEqual(items[3]?.target, { type: 'publish', topic: 'order.created' })
    assert.ok(!res.body.includes('whsec_'), 'no secret in the listing')
    assert.ok(!res.body.includes('0123456789abcdef0123'), 'no JWT key in the listing')
  })

  it('GET /v1/routes needs the admin token', async () => {
    assert.equal((await f.app.inject({ method: 'GET', url: '/v1/routes' })).statusCode, 401)
  })

  it('GET /v1/systems shows each system’s circuit and the health of its base URLs', async () => {
    const body = (await f.app.inject({ method: 'GET', url: '/v1/systems', headers: auth })).json()
    const billing = body.items.find((s: { name: string }) => s.name === 'billing')
    assert.deepEqual(billing.circuit, { state: 'closed', openedAt: null, retryAfterMs: 0, windowRequests: 0, windowFailures: 0 })
    assert.deepEqual(
      billing.targets.map((t: { baseUrl: string; healthy: boolean }) => [t.baseUrl, t.healthy]),
      [
        ['https://b1.example.com', true],
        ['https://b2.example.com', true],
      ],
    )
  })

  it('GET /v1/systems/:name/circuit follows the breaker: closed, then open with a retry time', async () => {
    const closed = await f.app.inject({ method: 'GET', url: '/v1/systems/crm/circuit', headers: auth })
    assert.equal(closed.statusCode, 200)
    assert.equal(closed.json().state, 'closed')
    assert.deepEqual(closed.json().policy, { failureRate: 0.5, minRequests: 20, windowMs: 30_000, cooldownMs: 30_000, halfOpenProbes: 1 })
    assert.ok(!closed.body.includes(SECRET))

    const breaker = f.systems.get('crm').breaker
    for (let i = 0; i < 20; i++) {
      const permit = breaker.tryAcquire()
      assert.ok(permit.ok)
      breaker.onFailure(permit.probe)
    }
    const open = (await f.app.inject({ method: 'GET', url: '/v1/systems/crm/circuit', headers: auth })).json()
    assert.equal(open.state, 'open')
    assert.match(open.openedAt, /^\d{4}-\d\d-\d\dT/)
    assert.ok(open.retryAfterMs > 0)
    assert.equal(open.windowFailures, 20)
    const listed = (await f.app.inject({ method: 'GET', url: '/v1/systems', headers: auth })).json()
    assert.equal(listed.items.find((s: { name: string }) => s.name === 'crm').circuit.state, 'open')
  })

  it('404 problem for an unknown system; 400 for a hostile name', async () => {
    const res = await f.app.inject({ method: 'GET', url: '/v1/systems/nope/circuit', headers: auth })
    assert.equal(res.statusCode, 404)
    assert.equal(res.json().code, 'SB_ERR_ADMIN_NOT_FOUND')
    // Inherited names must not resolve to Object.prototype members.
    assert.equal((await f.app.inject({ method: 'GET', url: '/v1/systems/__proto__/circuit', headers: auth })).statusCode, 404)
    assert.equal((await f.app.inject({ method: 'GET', url: `/v1/systems/${'x'.repeat(200)}/circuit`, headers: auth })).statusCode, 400)
  })
})

describe('admin API without a systems layer', () => {
  it('lists systems with a null circuit and answers 503 for a circuit', async () => {
    const f = await adminFixture()
    try {
      // A node built without systems (the deps member is optional).
      const { buildAdminServer } = await import('../../src/admin/server.js')
      const { resolveAdminToken } = await import('../../src/admin/token.js')
      const token = await resolveAdminToken({ configured: f.loaded.config.admin?.token, env: {}, mode: 'development', settings: f.store.settings })
      const app = await buildAdminServer({ store: f.store, config: () => f.loaded, effectiveBaseUrls: new Map(), mocks: new Map(), verifyToken: token.verify })
      try {
        const list = (await app.inject({ method: 'GET', url: '/v1/systems', headers: auth })).json()
        assert.equal(list.items[0].circuit, null)
        assert.deepEqual(list.items[0].targets, [])
        const res = await app.inject({ method: 'GET', url: '/v1/systems/crm/circuit', headers: auth })
        assert.equal(res.statusCode, 503)
        assert.equal(res.json().code, 'SB_ERR_ADMIN_NOT_READY')
      } finally {
        await app.close()
      }
    } finally {
      await f.close()
    }
  })
})
