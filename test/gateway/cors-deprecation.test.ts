import { describe, it, before, after, beforeEach } from 'node:test'
import assert from 'node:assert/strict'
import { gatewayFor, startUpstream, type TestGateway, type Upstream } from './helpers.js'

describe('CORS and deprecation', () => {
  let up: Upstream
  let t: TestGateway
  before(async () => {
    up = await startUpstream()
    t = await gatewayFor(
      {
        routes: [
          {
            id: 'cors-get',
            get: '/items/:id',
            cors: { origins: ['https://app.example.com'], credentials: true, maxAge: '1h', exposeHeaders: ['X-Request-Id'] },
            auth: 'apiKey',
            proxy: { system: 'erp' },
          },
          { id: 'cors-put', put: '/items/:id', cors: { origins: ['https://app.example.com'], headers: ['Content-Type'] }, proxy: { system: 'erp' } },
          { id: 'cors-any', get: '/open', cors: { origins: ['*'] }, proxy: { system: 'erp' } },
          { id: 'old', get: '/v1/orders/:id', deprecated: { since: '2026-01-01', sunset: '2026-06-30', successor: '/v2/orders/:id' }, proxy: { system: 'erp' } },
          { id: 'old-plain', get: '/v0', deprecated: true, auth: 'apiKey', proxy: { system: 'erp' } },
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

  it('answers an allowed preflight itself with 204 and the CORS headers', async () => {
    const res = await t.gateway.app.inject({
      method: 'OPTIONS',
      url: '/items/1',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'GET', 'access-control-request-headers': 'x-api-key' },
    })
    assert.equal(res.statusCode, 204)
    assert.equal(res.headers['access-control-allow-origin'], 'https://app.example.com')
    assert.equal(res.headers['access-control-allow-credentials'], 'true')
    assert.equal(res.headers['access-control-allow-methods'], 'GET')
    assert.equal(res.headers['access-control-allow-headers'], 'x-api-key')
    assert.equal(res.headers['access-control-max-age'], '3600')
    assert.match(String(res.headers.vary), /Origin/)
    assert.equal(up.hits.length, 0)
  })

  it('uses the policy of the route for the requested method', async () => {
    const res = await t.gateway.app.inject({
      method: 'OPTIONS',
      url: '/items/1',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'x-other' },
    })
    assert.equal(res.statusCode, 204)
    assert.equal(res.headers['access-control-allow-methods'], 'PUT')
    assert.equal(res.headers['access-control-allow-headers'], 'Content-Type')
    assert.equal(res.headers['access-control-allow-credentials'], undefined)
  })

  it('refuses a preflight from another origin or for another method with 403 problem', async () => {
    for (const [origin, method] of [
      ['https://evil.example', 'GET'],
      ['https://app.example.com', 'DELETE'],
    ] as const) {
      const res = await t.gateway.app.inject({ method: 'OPTIONS', url: '/items/1', headers: { origin, 'access-control-request-method': method } })
      assert.equal(res.statusCode, 403)
      assert.equal(res.json().code, 'SB_ERR_GATEWAY_CORS_REJECTED')
      assert.equal(res.headers['access-control-allow-origin'], undefined)
    }
    assert.equal(up.hits.length, 0)
  })

  it('does not treat a plain OPTIONS request as a preflight', async () => {
    const res = await t.gateway.app.inject({ method: 'OPTIONS', url: '/items/1' })
    assert.equal(res.statusCode, 405)
    assert.equal(res.json().code, 'SB_ERR_GATEWAY_METHOD_NOT_ALLOWED')
    assert.equal(res.headers.allow, 'GET, PUT')
  })

  it('decorates actual responses, problems included, for an allowed origin only', async () => {
    const refused = await t.gateway.app.inject({ url: '/items/1', headers: { origin: 'https://app.example.com' } })
    assert.equal(refused.statusCode, 401)
    assert.equal(refused.headers['access-control-allow-origin'], 'https://app.example.com')
    assert.equal(refused.headers['access-control-expose-headers'], 'X-Request-Id')
    const other = await t.gateway.app.inject({ url: '/items/1', method: 'PUT', payload: 'x', headers: { origin: 'https://evil.example' } })
    assert.equal(other.statusCode, 200)
    assert.equal(other.headers['access-control-allow-origin'], undefined)
    assert.equal(other.headers.vary, 'Origin')
    const any = await t.gateway.app.inject({ url: '/open', headers: { origin: 'https://whoever.example' } })
    assert.equal(any.headers['access-control-allow-origin'], '*')
  })

  it('sends Deprecation, Sunset and a successor Link on a deprecated route', async () => {
    const res = await t.gateway.app.inject({ url: '/v1/orders/1' })
    assert.equal(res.statusCode, 200)
    assert.equal(res.headers.deprecation, `@${Date.UTC(2026, 0, 1) / 1000}`)
    assert.equal(res.headers.sunset, 'Tue, 30 Jun 2026 00:00:00 GMT')
    assert.equal(res.headers.link, '</v2/orders/:id>; rel="successor-version"')
  })

  it('marks problems from a deprecated route too', async () => {
    const res = await t.gateway.app.inject({ url: '/v0' })
    assert.equal(res.statusCode, 401)
    assert.equal(res.headers.deprecation, 'true')
  })
})
