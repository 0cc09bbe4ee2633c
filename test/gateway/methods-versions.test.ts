import { describe, it, before, after, beforeEach } from 'node:test'
import assert from 'node:assert/strict'
import { SwitchboardError } from '../../src/core/errors.js'
import { compareVersions } from '../../src/gateway/router/versions.js'
import { gatewayFor, startUpstream, type TestGateway, type Upstream } from './helpers.js'

describe('wrong method', () => {
  let up: Upstream
  let t: TestGateway
  before(async () => {
    up = await startUpstream()
    t = await gatewayFor(
      {
        routes: [
          { id: 'get-item', get: '/items/:id', proxy: { system: 'erp' } },
          { id: 'put-item', put: '/items/:id', cors: { origins: ['https://app.example.com'] }, proxy: { system: 'erp' } },
          { id: 'post-special', post: '/items/special', proxy: { system: 'erp' } },
          { id: 'files', get: '/files/*', proxy: { system: 'erp' } },
          { id: 'eu-only', delete: '/regional', host: 'eu.example.com', proxy: { system: 'erp' } },
        ],
      },
      { systems: { erp: up.url } },
    )
  })
  beforeEach(() => {
    up.hits.length = 0
  })
  after(async () => {
    await t.close()
    await up.close()
  })

  it('answers 405 problem+json with Allow when the path is routed for other methods', async () => {
    const res = await t.gateway.app.inject({ method: 'DELETE', url: '/items/7?x=1' })
    assert.equal(res.statusCode, 405)
    assert.equal(res.headers['content-type'], 'application/problem+json')
    // OPTIONS is listed: the gateway answers CORS preflights on this path.
    assert.equal(res.headers.allow, 'GET, PUT, OPTIONS')
    const body = res.json()
    assert.equal(body.code, 'SB_ERR_GATEWAY_METHOD_NOT_ALLOWED')
    assert.deepEqual(body.allow, ['GET', 'PUT', 'OPTIONS'])
    assert.ok(typeof body.requestId === 'string' && body.requestId === res.headers['x-request-id'])
    assert.equal(up.hits.length, 0)
  })

  it('lists every method whose route matches the URL, static and parametric alike', async () => {
    const res = await t.gateway.app.inject({ method: 'PATCH', url: '/items/special' })
    assert.equal(res.statusCode, 405)
    assert.equal(res.headers.allow, 'GET, POST, PUT, OPTIONS')
  })

  it('matches wildcards and HEAD like the router does', async () => {
    const res = await t.gateway.app.inject({ method: 'HEAD', url: '/files/a/b.txt' })
    assert.equal(res.statusCode, 405)
    assert.equal(res.headers.allow, 'GET')
  })

  it('keeps 404 for a path no route has, and respects host constraints', async () => {
    const none = await t.gateway.app.inject({ method: 'GET', url: '/nothing/here' })
    assert.equal(none.statusCode, 404)
    assert.equal(none.json().code, 'SB_ERR_GATEWAY_NO_ROUTE')
    assert.equal(none.headers.allow, undefined)
    const otherHost = await t.gateway.app.inject({ method: 'GET', url: '/regional', headers: { host: 'us.example.com' } })
    assert.equal(otherHost.statusCode, 404)
    const eu = await t.gateway.app.inject({ method: 'GET', url: '/regional', headers: { host: 'eu.example.com:8080' } })
    assert.equal(eu.statusCode, 405)
    assert.equal(eu.headers.allow, 'DELETE')
    assert.equal(up.hits.length, 0)
  })

  it('still answers CORS preflights, and answers a plain OPTIONS with 405', async () => {
    const preflight = await t.gateway.app.inject({
      method: 'OPTIONS',
      url: '/items/1',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'PUT' },
    })
    assert.equal(preflight.statusCode, 204)
    assert.equal(preflight.headers['access-control-allow-methods'], 'PUT')
    const plain = await t.gateway.app.inject({ method: 'OPTIONS', url: '/items/1' })
    assert.equal(plain.statusCode, 405)
    assert.equal(plain.json().code, 'SB_ERR_GATEWAY_METHOD_NOT_ALLOWED')
    assert.equal(plain.headers.allow, 'GET, PUT')
    assert.equal(up.hits.length, 0)
  })
})

describe('versions of one endpoint', () => {
  let up: Upstream
  let t: TestGateway
  const routes = [
    { id: 'orders-v1', get: '/orders/:id', version: '1', deprecated: { sunset: '2027-01-31', successor: '/orders/:id' }, proxy: { system: 'erp', path: '/v1/orders/:id' } },
    { id: 'orders-v10', get: '/orders/:id', version: '10', proxy: { system: 'erp', path: '/v10/orders/:id' } },
    {
      id: 'orders-v2',
      get: '/orders/:id',
      version: '2',
      cors: { origins: ['https://app.example.com'] },
      proxy: { system: 'erp', path: '/v2/orders/:id' },
    },
    { id: 'only-v3', get: '/solo', version: '3', proxy: { system: 'erp', path: '/solo' } },
    { id: 'plain', get: '/plain', proxy: { system: 'erp' } },
  ]
  before(async () => {
    up = await startUpstream()
    t = await gatewayFor({ routes }, { systems: { erp: up.url } })
  })
  beforeEach(() => {
    up.hits.length = 0
  })
  after(async () => {
    await t.close()
    await up.close()
  })

  it('serves the version the request names and says which one it served', async () => {
    for (const v of ['1', '2', '10']) {
      const res = await t.gateway.app.inject({ url: '/orders/42', headers: { 'api-version': v } })
      assert.equal(res.statusCode, 200)
      assert.equal(res.headers['api-version'], v)
      assert.match(String(res.headers.vary), /Api-Version/)
      assert.equal(up.hits.at(-1)?.url, `/v${v}/orders/42`)
    }
  })

  it('serves the oldest version without the header, with its deprecation headers', async () => {
    const res = await t.gateway.app.inject({ url: '/orders/42' })
    assert.equal(res.statusCode, 200)
    assert.equal(res.headers['api-version'], '1')
    assert.equal(res.headers.deprecation, 'true')
    assert.equal(res.headers.link, '</orders/:id>; rel="successor-version"')
    assert.equal(up.hits.at(-1)?.url, '/v1/orders/42')
  })

  it('refuses an unknown version with 400 listing the versions, forwarding nothing', async () => {
    const res = await t.gateway.app.inject({ url: '/orders/42', headers: { 'api-version': '9' } })
    assert.equal(res.statusCode, 400)
    assert.equal(res.headers['content-type'], 'application/problem+json')
    const body = res.json()
    assert.equal(body.code, 'SB_ERR_GATEWAY_VERSION_UNKNOWN')
    assert.deepEqual(body.versions, ['1', '2', '10'])
    assert.equal(res.headers.vary, 'Api-Version')
    assert.equal(up.hits.length, 0)
  })

  it('checks the header on a route alone on its path when it has a version', async () => {
    assert.equal((await t.gateway.app.inject({ url: '/solo' })).headers['api-version'], '3')
    assert.equal((await t.gateway.app.inject({ url: '/solo', headers: { 'api-version': '3' } })).statusCode, 200)
    const wrong = await t.gateway.app.inject({ url: '/solo', headers: { 'api-version': '2' } })
    assert.equal(wrong.statusCode, 400)
    assert.deepEqual(wrong.json().versions, ['3'])
    // An unversioned route ignores the header and does not echo it.
    const plain = await t.gateway.app.inject({ url: '/plain', headers: { 'api-version': '2' } })
    assert.equal(plain.statusCode, 200)
    assert.equal(plain.headers['api-version'], undefined)
    // /solo twice and /plain once; the refused request never reached the system.
    assert.equal(up.hits.length, 3)
  })

  it('keeps Vary on both the version header and Origin on CORS answers', async () => {
    const res = await t.gateway.app.inject({ url: '/orders/1', headers: { 'api-version': '2', origin: 'https://app.example.com' } })
    assert.equal(res.statusCode, 200)
    assert.equal(res.headers['access-control-allow-origin'], 'https://app.example.com')
    assert.equal(res.headers.vary, 'Api-Version, Origin')
    const preflight = await t.gateway.app.inject({
      method: 'OPTIONS',
      url: '/orders/1',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'GET' },
    })
    assert.equal(preflight.statusCode, 204)
  })

  it('serves the newest non-deprecated version by default when configured, and can require the header', async () => {
    const newest = await gatewayFor({ versioning: { default: 'newest' }, routes: [...routes, { id: 'v11-beta', get: '/orders/:id', version: '11', deprecated: true, proxy: { system: 'erp' } }] }, { systems: { erp: up.url } })
    try {
      const res = await newest.gateway.app.inject({ url: '/orders/1' })
      assert.equal(res.headers['api-version'], '10')
    } finally {
      await newest.close()
    }
    const required = await gatewayFor({ versioning: { header: 'X-Version', default: 'required' }, routes }, { systems: { erp: up.url } })
    try {
      const missing = await required.gateway.app.inject({ url: '/orders/1' })
      assert.equal(missing.statusCode, 400)
      assert.equal(missing.json().code, 'SB_ERR_GATEWAY_VERSION_REQUIRED')
      assert.deepEqual(missing.json().versions, ['1', '2', '10'])
      assert.equal(missing.headers.vary, 'X-Version')
      const named = await required.gateway.app.inject({ url: '/orders/1', headers: { 'x-version': '2' } })
      assert.equal(named.statusCode, 200)
      assert.equal(named.headers['x-version'], '2')
      // A lone version needs no header even then.
      assert.equal((await required.gateway.app.inject({ url: '/solo' })).statusCode, 200)
    } finally {
      await required.close()
    }
  })

  it('refuses at boot a repeated version or a route without one among versions', async () => {
    const bad = [
      [{ id: 'a', get: '/x', version: '1', proxy: { system: 'erp' } }, { id: 'b', get: '/x', version: '1', proxy: { system: 'erp' } }],
      [{ id: 'a', get: '/x', version: '1', proxy: { system: 'erp' } }, { id: 'b', get: '/x', proxy: { system: 'erp' } }],
      [{ id: 'a', get: '/x', proxy: { system: 'erp' } }, { id: 'b', get: '/x', proxy: { system: 'erp' } }],
    ]
    for (const r of bad) {
      await assert.rejects(gatewayFor({ routes: r }, { systems: { erp: up.url } }), (err: unknown) => err instanceof SwitchboardError && err.code === 'SB_ERR_CONFIG_INVALID' && /route "[ab]"/.test(err.message))
    }
  })
})

describe('compareVersions', () => {
  it('orders labels naturally', () => {
    const sorted = ['v10', 'v2', '2026-01-15', '1.10', '1.9', '2025-12-01', 'v1'].sort(compareVersions)
    assert.deepEqual(sorted, ['1.9', '1.10', '2025-12-01', '2026-01-15', 'v1', 'v2', 'v10'])
  })
})
