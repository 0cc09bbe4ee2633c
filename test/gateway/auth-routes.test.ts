/**
 * Authentication and access as the gateway applies them to routes (the policies themselves are
 * tested in test/gateway/auth/): 401 vs 403, WWW-Authenticate, nothing forwarded on refusal,
 * and the API key never forwarded upstream.
 */
import { describe, it, before, after, beforeEach } from 'node:test'
import assert from 'node:assert/strict'
import { createApiKey } from '../../src/gateway/auth/keys.js'
import { gatewayFor, startUpstream, type TestGateway, type Upstream } from './helpers.js'

describe('route authentication and access', () => {
  let up: Upstream
  let t: TestGateway
  let readerKey: string
  let writerKey: string
  before(async () => {
    up = await startUpstream()
    t = await gatewayFor(
      {
        consumers: { reader: { scopes: ['orders:read'] }, writer: { scopes: ['orders:read', 'orders:write'] } },
        routes: [
          { id: 'read', get: '/orders/:id', auth: 'apiKey', scopes: ['orders:read'], proxy: { system: 'erp' } },
          { id: 'write', post: '/orders', auth: ['apiKey'], scopes: ['orders:write'], proxy: { system: 'erp' } },
          { id: 'only-writer', get: '/private', auth: { apiKey: { header: 'X-Key', query: 'key' } }, consumers: ['writer'], proxy: { system: 'erp' } },
          { id: 'optional', get: '/optional', auth: ['apiKey', 'none'], proxy: { system: 'erp' } },
          { id: 'public', get: '/public', proxy: { system: 'erp' } },
          { id: 'ip-deny', get: '/ip-deny', ip: { deny: ['127.0.0.0/8', '::1/128'] }, proxy: { system: 'erp' } },
          { id: 'ip-allow', get: '/ip-allow', ip: { allow: ['10.0.0.0/8'] }, proxy: { system: 'erp' } },
          { id: 'ip-ok', get: '/ip-ok', ip: { allow: ['127.0.0.1/32', '::1/128'] }, proxy: { system: 'erp' } },
        ],
      },
      { systems: { erp: up.url } },
    )
    for (const name of ['reader', 'writer']) await t.store.consumers.upsert({ name, source: 'config', scopes: [] })
    readerKey = (await createApiKey(t.store, 'reader')).key
    writerKey = (await createApiKey(t.store, 'writer')).key
  })
  beforeEach(() => {
    up.hits.length = 0
  })
  after(async () => {
    await t.close()
    await up.close()
  })

  it('answers 401 with WWW-Authenticate when no credentials are sent, forwarding nothing', async () => {
    const res = await t.gateway.app.inject({ url: '/orders/1' })
    assert.equal(res.statusCode, 401)
    assert.equal(res.headers['content-type'], 'application/problem+json')
    assert.equal(res.json().code, 'SB_ERR_AUTH_MISSING')
    assert.match(String(res.headers['www-authenticate']), /^ApiKey/)
    assert.equal(up.hits.length, 0)
  })

  it('answers 401 for an unknown key', async () => {
    const res = await t.gateway.app.inject({ url: '/orders/1', headers: { 'x-api-key': `sbk_${'A'.repeat(43)}` } })
    assert.equal(res.statusCode, 401)
    assert.equal(res.json().code, 'SB_ERR_AUTH_INVALID_KEY')
    assert.equal(up.hits.length, 0)
  })

  it('answers 403 (not 401) for a valid key lacking the scope', async () => {
    const res = await t.gateway.app.inject({ method: 'POST', url: '/orders', headers: { 'x-api-key': readerKey }, payload: '{}' })
    assert.equal(res.statusCode, 403)
    assert.equal(res.json().code, 'SB_ERR_AUTH_FORBIDDEN_SCOPE')
    assert.equal(res.headers['www-authenticate'], undefined)
    assert.equal(up.hits.length, 0)
  })

  it('forwards an authorised request without the API key', async () => {
    const res = await t.gateway.app.inject({ url: '/orders/1', headers: { 'x-api-key': readerKey } })
    assert.equal(res.statusCode, 200)
    assert.equal(up.hits[0]?.headers['x-api-key'], undefined)
    const bearer = await t.gateway.app.inject({ url: '/orders/1', headers: { authorization: `Bearer ${readerKey}` } })
    assert.equal(bearer.statusCode, 200)
    assert.equal(up.hits[1]?.headers.authorization, undefined)
  })

  it('restricts a route to listed consumers and strips a query-parameter key', async () => {
    const denied = await t.gateway.app.inject({ url: '/private', headers: { 'x-key': readerKey } })
    assert.equal(denied.statusCode, 403)
    assert.equal(denied.json().code, 'SB_ERR_AUTH_FORBIDDEN_CONSUMER')
    const ok = await t.gateway.app.inject({ url: `/private?a=1&key=${writerKey}&b=2` })
    assert.equal(ok.statusCode, 200)
    assert.equal(up.hits.at(-1)?.url, '/private?a=1&b=2')
  })

  it('lets anonymous callers through optional auth, but refuses bad credentials', async () => {
    assert.equal((await t.gateway.app.inject({ url: '/optional' })).statusCode, 200)
    const bad = await t.gateway.app.inject({ url: '/optional', headers: { 'x-api-key': 'sbk_nope' } })
    assert.equal(bad.statusCode, 401)
  })

  it('keeps routes without auth public', async () => {
    assert.equal((await t.gateway.app.inject({ url: '/public' })).statusCode, 200)
  })

  it('applies IP deny and allow lists (403 problem, nothing forwarded)', async () => {
    const denied = await t.gateway.app.inject({ url: '/ip-deny' })
    assert.equal(denied.statusCode, 403)
    assert.equal(denied.json().code, 'SB_ERR_AUTH_IP_DENIED')
    const notAllowed = await t.gateway.app.inject({ url: '/ip-allow' })
    assert.equal(notAllowed.statusCode, 403)
    assert.equal(up.hits.length, 0)
    assert.equal((await t.gateway.app.inject({ url: '/ip-ok' })).statusCode, 200)
  })
})
