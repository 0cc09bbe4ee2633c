import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { Type } from '@sinclair/typebox'
import { adminFixture, auth, SECRET, TOKEN, type Fixture } from './fixture.js'
import type { AdminRouteModule } from '../../src/admin/route-module.js'
import { ADMIN_ROUTE_MODULES } from '../../src/admin/routes/index.js'

// A feature module as later areas will add them: proves the extension point and gives the
// tests a route with a JSON body.
const echoModule: AdminRouteModule = (app) => {
  app.post(
    '/v1/test/echo',
    { schema: { summary: 'echo', tags: ['test'], body: Type.Object({ name: Type.String({ maxLength: 5 }) }, { additionalProperties: false }) } },
    async (req) => req.body,
  )
}

function assertProblem(res: { statusCode: number; headers: Record<string, unknown>; json(): unknown }, status: number, code: string) {
  assert.equal(res.statusCode, status)
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/)
  const body = res.json() as Record<string, unknown>
  assert.equal(body.status, status)
  assert.equal(body.code, code)
  assert.equal(body.type, `urn:switchboard:error:${code}`)
  assert.equal(typeof body.title, 'string')
  return body
}

describe('admin API', () => {
  let f: Fixture
  before(async () => {
    f = await adminFixture({ modules: [...ADMIN_ROUTE_MODULES, echoModule], limits: { headersTimeoutMs: 5000, requestTimeoutMs: 10000, maxHeaderSize: 16384, keepAliveTimeoutMs: 5000, connectionsCheckingIntervalMs: 1000, bodyLimit: 1024 } })
  })
  after(() => f.close())

  describe('authentication', () => {
    it('answers 401 problem+json with WWW-Authenticate when the token is missing', async () => {
      const res = await f.app.inject({ method: 'GET', url: '/v1/config' })
      assertProblem(res, 401, 'SB_ERR_ADMIN_UNAUTHORIZED')
      assert.match(String(res.headers['www-authenticate']), /^Bearer /)
    })

    it('answers 401 for a wrong token, a token with a suffix, or another scheme', async () => {
      for (const authorization of ['Bearer nope', `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, `Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}`, TOKEN, 'Bearer ']) {
        const res = await f.app.inject({ method: 'GET', url: '/v1/config', headers: { authorization } })
        assertProblem(res, 401, 'SB_ERR_ADMIN_UNAUTHORIZED')
        assert.match(String(res.headers['www-authenticate']), /^Bearer /)
      }
    })

    it('accepts the right token (scheme case-insensitive)', async () => {
      assert.equal((await f.app.inject({ method: 'GET', url: '/v1/config', headers: auth })).statusCode, 200)
      assert.equal((await f.app.inject({ method: 'GET', url: '/v1/config', headers: { authorization: `bearer ${TOKEN}` } })).statusCode, 200)
    })

    it('does not reveal which endpoints exist without a token', async () => {
      assertProblem(await f.app.inject({ method: 'GET', url: '/v1/nothing-here' }), 401, 'SB_ERR_ADMIN_UNAUTHORIZED')
    })
  })

  describe('health probes and the OpenAPI document are public', () => {
    it('GET /healthz', async () => {
      const res = await f.app.inject({ method: 'GET', url: '/healthz' })
      assert.equal(res.statusCode, 200)
      assert.deepEqual(res.json(), { status: 'ok' })
    })

    it('GET /readyz pings the store', async () => {
      const res = await f.app.inject({ method: 'GET', url: '/readyz' })
      assert.equal(res.statusCode, 200)
      assert.equal(res.json().status, 'ready')
    })
  })

  describe('errors are problem+json', () => {
    it('404 for an unknown route (with a token)', async () => {
      const body = assertProblem(await f.app.inject({ method: 'GET', url: '/v1/nothing-here?x=1', headers: auth }), 404, 'SB_ERR_ADMIN_NOT_FOUND')
      assert.equal(body.instance, '/v1/nothing-here')
    })

    it('400 for malformed JSON', async () => {
      const res = await f.app.inject({ method: 'POST', url: '/v1/test/echo', headers: { ...auth, 'content-type': 'application/json' }, payload: '{"name":' })
      assertProblem(res, 400, 'SB_ERR_HTTP_BAD_REQUEST')
    })

    it('400 with violations when the body fails its schema', async () => {
      const res = await f.app.inject({ method: 'POST', url: '/v1/test/echo', headers: auth, payload: { name: 'much too long', extra: 1 } })
      const body = assertProblem(res, 400, 'SB_ERR_ADMIN_BAD_REQUEST')
      assert.ok(Array.isArray(body.violations) && body.violations.length >= 1)
    })

    it('400 when a query parameter is invalid', async () => {
      assertProblem(await f.app.inject({ method: 'GET', url: '/v1/audit?limit=0', headers: auth }), 400, 'SB_ERR_ADMIN_BAD_REQUEST')
      assertProblem(await f.app.inject({ method: 'GET', url: '/v1/audit?limit=abc', headers: auth }), 400, 'SB_ERR_ADMIN_BAD_REQUEST')
    })

    it('413 when the body exceeds the limit', async () => {
      const res = await f.app.inject({ method: 'POST', url: '/v1/test/echo', headers: { ...auth, 'content-type': 'application/json' }, payload: JSON.stringify({ name: 'x'.repeat(5000) }) })
      assertProblem(res, 413, 'SB_ERR_HTTP_BODY_TOO_LARGE')
    })

    it('415 for an unsupported content type', async () => {
      const res = await f.app.inject({ method: 'POST', url: '/v1/test/echo', headers: { ...auth, 'content-type': 'application/xml' }, payload: '<a/>' })
      assertProblem(res, 415, 'SB_ERR_HTTP_UNSUPPORTED_MEDIA_TYPE')
    })

    it('a successful request through a feature module still works', async () => {
      const res = await f.app.inject({ method: 'POST', url: '/v1/test/echo', headers: auth, payload: { name: 'ok' } })
      assert.equal(res.statusCode, 200)
      assert.deepEqual(res.json(), { name: 'ok' })
    })

    it('echoes a plain X-Request-Id and replaces a hostile one', async () => {
      const mine = await f.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'abc-123' } })
      assert.equal(mine.headers['x-request-id'], 'abc-123')
      const hostile = await f.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'a b\tc<script>' } })
      assert.notEqual(hostile.headers['x-request-id'], 'a b\tc<script>')
      assert.match(String(hostile.headers['x-request-id']), /^[0-9a-f-]{36}$/)
    })
  })

  describe('GET /v1/config', () => {
    it('returns the running config with every secret redacted', async () => {
      const res = await f.app.inject({ method: 'GET', url: '/v1/config', headers: auth })
      assert.equal(res.statusCode, 200)
      assert.ok(!res.body.includes(SECRET), 'the resolved secret must not be served')
      assert.ok(!res.body.includes(TOKEN), 'the admin token must not be served')
      const body = res.json()
      assert.equal(body.hash, f.loaded.hash)
      assert.equal(body.config.systems.crm.baseUrl, 'https://crm.example.com')
      assert.equal(body.config.version, 1)
    })
  })

  describe('revisions, audit, consumers, systems', () => {
    before(async () => {
      await f.store.revisions.add({ hash: 'h1', config: { version: 1 }, source: 'a.yaml', actor: 'config' })
      await f.store.revisions.add({ hash: 'h2', config: { version: 1, systems: {} }, source: 'a.yaml', actor: 'config' })
      for (let i = 0; i < 5; i++) await f.store.audit.append({ at: 1_700_000_000_000 + i, actor: 'test', action: i % 2 ? 'odd' : 'even', target: `t${i}`, details: { i } })
    })

    it('lists revisions newest first, and one revision with its config', async () => {
      const list = await f.app.inject({ method: 'GET', url: '/v1/config/revisions', headers: auth })
      assert.deepEqual(list.json().items.map((r: { hash: string }) => r.hash), ['h2', 'h1'])
      assert.match(list.json().items[0].createdAt, /^\d{4}-\d\d-\d\dT/)
      const id = list.json().items[0].id
      const one = await f.app.inject({ method: 'GET', url: `/v1/config/revisions/${id}`, headers: auth })
      assert.deepEqual(one.json().config, { version: 1, systems: {} })
      assertProblem(await f.app.inject({ method: 'GET', url: '/v1/config/revisions/999', headers: auth }), 404, 'SB_ERR_ADMIN_NOT_FOUND')
      assertProblem(await f.app.inject({ method: 'GET', url: '/v1/config/revisions/x', headers: auth }), 400, 'SB_ERR_ADMIN_BAD_REQUEST')
    })

    it('pages the audit log and filters by action', async () => {
      const first = (await f.app.inject({ method: 'GET', url: '/v1/audit?limit=2', headers: auth })).json()
      assert.deepEqual(first.items.map((e: { target: string }) => e.target), ['t4', 't3'])
      assert.equal(typeof first.next, 'number')
      const second = (await f.app.inject({ method: 'GET', url: `/v1/audit?limit=2&before=${first.next}`, headers: auth })).json()
      assert.deepEqual(second.items.map((e: { target: string }) => e.target), ['t2', 't1'])
      const odd = (await f.app.inject({ method: 'GET', url: '/v1/audit?action=odd', headers: auth })).json()
      assert.deepEqual(odd.items.map((e: { target: string }) => e.target), ['t3', 't1'])
      assert.equal(odd.next, null)
      assert.deepEqual(odd.items[0].details, { i: 3 })
    })

    it('lists consumers with their config details', async () => {
      const body = (await f.app.inject({ method: 'GET', url: '/v1/consumers', headers: auth })).json()
      assert.equal(body.items.length, 1)
      assert.deepEqual({ ...body.items[0], createdAt: undefined, updatedAt: undefined }, {
        name: 'partner-acme',
        source: 'config',
        scopes: ['orders:read'],
        owner: 'partnerships',
        description: null,
        quota: { limit: 10, per: '1d' },
        keys: { active: 0, revoked: 0 },
        createdAt: undefined,
        updatedAt: undefined,
      })
    })

    it('lists systems with effective base URLs, and 404s mock requests of a non-mock system', async () => {
      const body = (await f.app.inject({ method: 'GET', url: '/v1/systems', headers: auth })).json()
      assert.deepEqual(body.items.map((s: { name: string; baseUrls: string[]; mock: boolean; owner: string | null }) => [s.name, s.baseUrls, s.mock, s.owner]), [
        ['billing', ['https://b1.example.com', 'https://b2.example.com'], false, null],
        ['crm', ['https://crm.example.com'], false, 'sales'],
      ])
      assert.ok(!JSON.stringify(body).includes(SECRET))
      const notMock = assertProblem(await f.app.inject({ method: 'GET', url: '/v1/systems/crm/mock/requests', headers: auth }), 404, 'SB_ERR_ADMIN_NOT_FOUND')
      assert.match(String(notMock.detail), /not a mock/)
      assertProblem(await f.app.inject({ method: 'GET', url: '/v1/systems/nope/mock/requests', headers: auth }), 404, 'SB_ERR_ADMIN_NOT_FOUND')
    })
  })

  describe('readiness after the store closes', () => {
    it('turns /readyz into a 503 problem', async () => {
      const g = await adminFixture()
      try {
        await g.store.close()
        assertProblem(await g.app.inject({ method: 'GET', url: '/readyz' }), 503, 'SB_ERR_ADMIN_NOT_READY')
        // Liveness is unaffected: the process still serves.
        assert.equal((await g.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200)
      } finally {
        await g.close()
      }
    })

    it('turns /readyz into a 503 problem while shutting down', async () => {
      const g = await adminFixture({ shuttingDown: () => true })
      try {
        assertProblem(await g.app.inject({ method: 'GET', url: '/readyz' }), 503, 'SB_ERR_ADMIN_NOT_READY')
      } finally {
        await g.close()
      }
    })
  })
})
