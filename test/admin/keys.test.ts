/**
 * API keys through the admin API (inject): the plaintext key is answered once, listings show
 * only the prefix, the store holds only the hash, revocation is audited and not repeatable.
 */
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { hashSecret } from '../../src/core/secrets.js'
import { adminFixture, auth, type Fixture } from './fixture.js'

interface Created {
  id: string
  key: string
  prefix: string
  consumer: string
}

function assertProblem(res: { statusCode: number; headers: Record<string, unknown>; json(): unknown }, status: number, code: string): Record<string, unknown> {
  assert.equal(res.statusCode, status)
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/)
  const body = res.json() as Record<string, unknown>
  assert.equal(body.code, code)
  return body
}

describe('admin API: API keys', () => {
  let f: Fixture
  let created: Created
  before(async () => {
    f = await adminFixture()
  })
  after(() => f.close())

  const create = (consumer: string, payload?: unknown, headers: Record<string, string> = auth) =>
    f.app.inject({ method: 'POST', url: `/v1/consumers/${consumer}/keys`, headers, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) })

  it('POST /v1/consumers/:name/keys answers 201 with the plaintext key, once', async () => {
    const res = await create('partner-acme', { label: 'ci pipeline' })
    assert.equal(res.statusCode, 201)
    created = res.json()
    assert.deepEqual(Object.keys(created).sort(), ['consumer', 'id', 'key', 'prefix'])
    assert.equal(created.consumer, 'partner-acme')
    assert.match(created.key, /^sbk_[A-Za-z0-9_-]{43}$/)
    assert.ok(created.key.startsWith(created.prefix))
    assert.ok(created.prefix.length < created.key.length / 2, 'the prefix is a small part of the key')
    assert.equal(res.headers['cache-control'], 'no-store')
  })

  it('accepts a request without a body (no label)', async () => {
    const res = await create('partner-acme')
    assert.equal(res.statusCode, 201, res.body)
    const again = await f.app.inject({ method: 'POST', url: '/v1/consumers/partner-acme/keys', headers: { ...auth, 'content-type': 'application/json' }, payload: '{}' })
    assert.equal(again.statusCode, 201, again.body)
    assert.notEqual(res.json().key, again.json().key)
  })

  it('stores only the hash: the plaintext is nowhere in the store, the hash finds the key', async () => {
    const found = await f.store.apiKeys.findActiveByHash(hashSecret(created.key))
    assert.equal(found?.id, created.id)
    assert.equal(found?.label, 'ci pipeline')
    const everything = JSON.stringify([await f.store.apiKeys.list(), await f.store.audit.list({ limit: 1000 })])
    assert.ok(!everything.includes(created.key), 'no plaintext key in keys or audit')
    assert.ok(!everything.includes(created.key.slice(created.prefix.length)), 'not even the secret part')
  })

  it('audits the creation with the admin actor', async () => {
    const entries = await f.store.audit.list({ action: 'apikey.create', target: 'partner-acme' })
    const mine = entries.find((e) => e.details?.id === created.id)
    assert.ok(mine)
    assert.equal(mine.actor, 'admin-api')
    assert.equal(mine.details?.prefix, created.prefix)
  })

  it('GET /v1/keys lists prefixes, never keys; ?consumer filters', async () => {
    const res = await f.app.inject({ method: 'GET', url: '/v1/keys?consumer=partner-acme', headers: auth })
    assert.equal(res.statusCode, 200)
    assert.ok(!res.body.includes(created.key))
    const items = res.json().items as Array<Record<string, unknown>>
    assert.equal(items.length, 3)
    const mine = items.find((k) => k.id === created.id)
    assert.deepEqual(Object.keys(mine ?? {}).sort(), ['consumer', 'createdAt', 'id', 'label', 'lastUsedAt', 'prefix', 'revokedAt', 'status'])
    assert.equal(mine?.prefix, created.prefix)
    assert.equal(mine?.status, 'active')
    assert.equal(mine?.revokedAt, null)
    assert.match(String(mine?.createdAt), /^\d{4}-\d\d-\d\dT/)
    const all = await f.app.inject({ method: 'GET', url: '/v1/keys', headers: auth })
    assert.equal(all.json().items.length, 3)
  })

  it('GET /v1/consumers counts the keys', async () => {
    const body = (await f.app.inject({ method: 'GET', url: '/v1/consumers', headers: auth })).json()
    assert.deepEqual(body.items[0].keys, { active: 3, revoked: 0 })
  })

  it('DELETE /v1/keys/:id revokes (204), audits, and a second revoke is a 404 problem', async () => {
    const res = await f.app.inject({ method: 'DELETE', url: `/v1/keys/${created.id}`, headers: auth })
    assert.equal(res.statusCode, 204)
    assert.equal(res.body, '')
    assert.equal(await f.store.apiKeys.findActiveByHash(hashSecret(created.key)), undefined)
    const listed = (await f.app.inject({ method: 'GET', url: '/v1/keys?consumer=partner-acme', headers: auth })).json().items as Array<Record<string, unknown>>
    const mine = listed.find((k) => k.id === created.id)
    assert.equal(mine?.status, 'revoked')
    assert.match(String(mine?.revokedAt), /^\d{4}-/)
    const audit = await f.store.audit.list({ action: 'apikey.revoke', target: created.id })
    assert.equal(audit.length, 1)
    assert.equal(audit[0]?.actor, 'admin-api')

    const again = assertProblem(await f.app.inject({ method: 'DELETE', url: `/v1/keys/${created.id}`, headers: auth }), 404, 'SB_ERR_ADMIN_NOT_FOUND')
    assert.match(String(again.detail), /already revoked/)
    assert.equal((await f.store.audit.list({ action: 'apikey.revoke', target: created.id })).length, 1, 'nothing audited for a refused revoke')
    const counts = (await f.app.inject({ method: 'GET', url: '/v1/consumers', headers: auth })).json().items[0].keys
    assert.deepEqual(counts, { active: 2, revoked: 1 })
  })

  it('404 problem for an unknown key id', async () => {
    assertProblem(await f.app.inject({ method: 'DELETE', url: '/v1/keys/0190a1b2-0000-7000-8000-000000000000', headers: auth }), 404, 'SB_ERR_ADMIN_NOT_FOUND')
  })

  it('404 problem for an unknown consumer, and nothing is created or audited', async () => {
    const before = (await f.store.apiKeys.list()).length
    const auditBefore = (await f.store.audit.list({ action: 'apikey.create' })).length
    const body = assertProblem(await create('nobody', { label: 'x' }), 404, 'SB_ERR_ADMIN_NOT_FOUND')
    assert.match(String(body.detail), /consumer "nobody" does not exist/)
    assert.equal((await f.store.apiKeys.list()).length, before)
    assert.equal((await f.store.audit.list({ action: 'apikey.create' })).length, auditBefore)
    assertProblem(await f.app.inject({ method: 'GET', url: '/v1/keys?consumer=nobody', headers: auth }), 404, 'SB_ERR_ADMIN_NOT_FOUND')
  })

  it('401 without the admin token, for every key endpoint, and nothing is created', async () => {
    const before = (await f.store.apiKeys.list()).length
    assertProblem(await create('partner-acme', { label: 'x' }, {}), 401, 'SB_ERR_ADMIN_UNAUTHORIZED')
    assertProblem(await create('partner-acme', { label: 'x' }, { authorization: 'Bearer wrong-token-0000000000' }), 401, 'SB_ERR_ADMIN_UNAUTHORIZED')
    assertProblem(await f.app.inject({ method: 'GET', url: '/v1/keys' }), 401, 'SB_ERR_ADMIN_UNAUTHORIZED')
    const [k] = await f.store.apiKeys.list()
    assertProblem(await f.app.inject({ method: 'DELETE', url: `/v1/keys/${k?.id}` }), 401, 'SB_ERR_ADMIN_UNAUTHORIZED')
    assert.equal((await f.store.apiKeys.list()).length, before)
    assert.equal((await f.store.apiKeys.list()).filter((x) => x.revokedAt !== null).length, 1, 'no revocation happened')
  })

  it('rejects hostile input with 400 problems: bad labels, extra fields, bad ids and names', async () => {
    for (const payload of [{ label: '' }, { label: 'a\u0000b' }, { label: 'line\nbreak' }, { label: 'x'.repeat(201) }, { label: { nested: true } }, { label: 'ok', key: 'sbk_chosen' }, []]) {
      const res = await create('partner-acme', payload)
      assert.equal(res.statusCode, 400, JSON.stringify(payload))
      assertProblem(res, 400, 'SB_ERR_ADMIN_BAD_REQUEST')
    }
    for (const id of ['..%2F..%2Fetc', 'a%00b', 'x'.repeat(65), "1'%20OR%20'1'='1"]) {
      assertProblem(await f.app.inject({ method: 'DELETE', url: `/v1/keys/${id}`, headers: auth }), 400, 'SB_ERR_ADMIN_BAD_REQUEST')
    }
    assertProblem(await create('x'.repeat(129), {}), 400, 'SB_ERR_ADMIN_BAD_REQUEST')
    // Past the router's parameter length limit: still a problem, with the URI-too-long status.
    assertProblem(await create('x'.repeat(5000), {}), 414, 'SB_ERR_HTTP_BAD_REQUEST')
    assertProblem(await f.app.inject({ method: 'DELETE', url: `/v1/keys/${'a'.repeat(5000)}`, headers: auth }), 414, 'SB_ERR_HTTP_BAD_REQUEST')
    assertProblem(await f.app.inject({ method: 'GET', url: `/v1/keys?consumer=${'x'.repeat(129)}`, headers: auth }), 400, 'SB_ERR_ADMIN_BAD_REQUEST')
  })
})

describe('admin API: JSON bodies', () => {
  let f: Fixture
  before(async () => {
    f = await adminFixture()
  })
  after(() => f.close())

  it('an empty body with a JSON content type is no body (DELETE and optional-body POST work)', async () => {
    const headers = { ...auth, 'content-type': 'application/json' }
    const created = await f.app.inject({ method: 'POST', url: '/v1/consumers/partner-acme/keys', headers, payload: '' })
    assert.equal(created.statusCode, 201, created.body)
    const revoked = await f.app.inject({ method: 'DELETE', url: `/v1/keys/${created.json().id}`, headers, payload: '' })
    assert.equal(revoked.statusCode, 204, revoked.body)
  })

  it('still refuses malformed JSON and prototype poisoning with 400 problems', async () => {
    const headers = { ...auth, 'content-type': 'application/json' }
    for (const payload of ['{"label":', '{"__proto__":{"label":"x"}}', '{"constructor":{"prototype":{"x":1}}}']) {
      const res = await f.app.inject({ method: 'POST', url: '/v1/consumers/partner-acme/keys', headers, payload })
      assert.equal(res.statusCode, 400, payload)
      assert.match(String(res.headers['content-type']), /^application\/problem\+json/)
    }
    assert.equal(({} as Record<string, unknown>).label, undefined)
  })
})
