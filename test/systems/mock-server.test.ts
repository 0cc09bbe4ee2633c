import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startMockSystem, type MockSystem } from '../../src/systems/mock/server.js'
import type { SystemConfig } from '../../src/config/spec/system.js'
import { isSwitchboardError } from '../../src/core/errors.js'

const ERP_OPENAPI = `
openapi: 3.0.3
info: { title: ERP, version: '1' }
paths:
  /orders:
    get:
      responses:
        '200':
          description: ok
          content:
            application/json:
              example: [{ id: '1001' }, { id: '1002' }]
  /orders/{id}:
    get:
      responses:
        '404': { description: missing }
        '200':
          $ref: '#/components/responses/Order'
  /health:
    get:
      responses:
        '204': { description: up }
components:
  responses:
    Order:
      description: an order
      content:
        application/json:
          examples:
            '1001': { value: { id: '1001', total: 10 } }
            '1002': { $ref: '#/components/examples/Big' }
  examples:
    Big: { value: { id: '1002', total: 5000 } }
`

let dir: string
const started: MockSystem[] = []

async function start(system: SystemConfig, name = 'sys'): Promise<MockSystem> {
  const m = await startMockSystem({ name, system, configDir: dir, port: 0 })
  started.push(m)
  return m
}

async function call(m: MockSystem, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const init: RequestInit = { method, headers: { ...headers } }
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body)
    ;(init.headers as Record<string, string>)['content-type'] ??= 'application/json'
  }
  const res = await fetch(m.url + path, init)
  const text = await res.text()
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: res.status, type: res.headers.get('content-type') ?? '', text, json: json as Record<string, unknown> }
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sb-mock-'))
  await writeFile(join(dir, 'erp.yaml'), ERP_OPENAPI)
})
after(async () => {
  await Promise.all(started.map((m) => m.close()))
  await rm(dir, { recursive: true, force: true })
})

describe('mock system responses', () => {
  let crm: MockSystem
  before(async () => {
    crm = await start(
      {
        mock: {
          responses: [
            { method: 'POST', path: '/contacts', when: 'body.total > 1000', status: 500, body: { error: 'too big' } },
            { method: 'POST', path: '/contacts', status: 200, template: '{ "id": "c-" & body.email, "seen": $count($keys(headers)) > 0 }' },
            { method: 'GET', path: '/contacts/:id', template: '{ "id": params.id, "q": query.verbose }', headers: { 'X-Mock': 'yes' } },
            { path: '/files/*', body: 'plain text' },
            { method: 'DELETE', path: '/contacts/:id', status: 204 },
            { method: 'GET', path: '/boom', template: '$error("exploded")' },
          ],
        },
      },
      'crm',
    )
  })

  it('answers the first response whose method, path and `when` match', async () => {
    const small = await call(crm, 'POST', '/contacts', { email: 'a@x', total: 10 })
    assert.equal(small.status, 200)
    assert.deepEqual(small.json, { id: 'c-a@x', seen: true })
    const big = await call(crm, 'POST', '/contacts', { email: 'b@x', total: 5000 })
    assert.equal(big.status, 500)
    assert.deepEqual(big.json, { error: 'too big' })
  })

  it('captures :params (decoded) and the query for templates, and sets configured headers', async () => {
    const res = await fetch(`${crm.url}/contacts/a%20b?verbose=yes`)
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('x-mock'), 'yes')
    assert.deepEqual(await res.json(), { id: 'a b', q: 'yes' })
  })

  it('matches a trailing * against the rest of the path and sends string bodies as text', async () => {
    const res = await call(crm, 'GET', '/files/a/b/c.txt')
    assert.equal(res.status, 200)
    assert.match(res.type, /^text\/plain/)
    assert.equal(res.text, 'plain text')
  })

  it('answers an empty body for 204', async () => {
    const res = await call(crm, 'DELETE', '/contacts/7')
    assert.equal(res.status, 204)
    assert.equal(res.text, '')
  })

  it('answers 404 problem+json SB_ERR_SYSTEM_MOCK_NO_MATCH when nothing matches', async () => {
    for (const [method, path] of [['GET', '/nope'], ['PUT', '/contacts'], ['GET', '/contacts'], ['GET', '/contacts/1/extra']] as const) {
      const res = await call(crm, method, path)
      assert.equal(res.status, 404, `${method} ${path}`)
      assert.match(res.type, /^application\/problem\+json/)
      assert.equal(res.json.code, 'SB_ERR_SYSTEM_MOCK_NO_MATCH')
    }
  })

  it('answers malformed JSON with a 400 problem', async () => {
    const res = await call(crm, 'POST', '/contacts', '{"email":', { 'content-type': 'application/json' })
    assert.equal(res.status, 400)
    assert.match(res.type, /^application\/problem\+json/)
    assert.equal(res.json.code, 'SB_ERR_HTTP_BAD_REQUEST')
  })

  it('reports a failing template as a 500 problem naming the expression', async () => {
    const res = await call(crm, 'GET', '/boom')
    assert.equal(res.status, 500)
    assert.equal(res.json.code, 'SB_ERR_HTTP_INTERNAL')
    assert.match(String(res.json.detail), /systems\.crm\.mock\.responses\[5\]\.template failed: exploded/)
  })

  it('records received requests newest first, with credentials redacted', async () => {
    crm.clearRequests()
    await call(crm, 'POST', '/contacts', { email: 'r@x', total: 1 }, { authorization: 'Bearer s3cret', 'x-trace': 't1' })
    await call(crm, 'GET', '/nope')
    const [last, first] = crm.requests()
    assert.equal(last?.path, '/nope')
    assert.equal(last?.matched, null)
    assert.equal(last?.status, 404)
    assert.equal(first?.method, 'POST')
    assert.deepEqual(first?.body, { email: 'r@x', total: 1 })
    assert.equal(first?.matched, 1)
    assert.equal(first?.headers.authorization, '[redacted]')
    assert.equal(first?.headers['x-trace'], 't1')
    assert.ok(!JSON.stringify(crm.requests()).includes('s3cret'))
  })
})

describe('mock system record limit', () => {
  it('keeps only the last `record` requests', async () => {
    const m = await start({ mock: { record: 2, responses: [{ path: '/*', body: {} }] } })
    for (const p of ['/a', '/b', '/c']) await call(m, 'GET', p)
    assert.deepEqual(m.requests().map((r) => r.path), ['/c', '/b'])
  })
})

describe('mock system OpenAPI examples', () => {
  let erp: MockSystem
  before(async () => {
    erp = await start({ openapi: 'erp.yaml', mock: { responses: [{ method: 'GET', path: '/orders/override', body: { overridden: true } }] } }, 'erp')
  })

  it('answers with the example of the lowest 2xx response', async () => {
    const res = await call(erp, 'GET', '/orders')
    assert.equal(res.status, 200)
    assert.deepEqual(res.json, [{ id: '1001' }, { id: '1002' }])
  })

  it('prefers the named example equal to a path parameter, following $refs', async () => {
    assert.deepEqual((await call(erp, 'GET', '/orders/1002')).json, { id: '1002', total: 5000 })
    assert.deepEqual((await call(erp, 'GET', '/orders/1001')).json, { id: '1001', total: 10 })
    // No example of that name: the first one.
    assert.deepEqual((await call(erp, 'GET', '/orders/9999')).json, { id: '1001', total: 10 })
  })

  it('lets configured responses win over examples', async () => {
    assert.deepEqual((await call(erp, 'GET', '/orders/override')).json, { overridden: true })
  })

  it('answers a documented 2xx without content with an empty body', async () => {
    const res = await call(erp, 'GET', '/health')
    assert.equal(res.status, 204)
  })

  it('does not answer operations the document does not have', async () => {
    const res = await call(erp, 'POST', '/orders')
    assert.equal(res.status, 404)
    assert.equal(res.json.code, 'SB_ERR_SYSTEM_MOCK_NO_MATCH')
  })

  it('can be switched off with openapiExamples: false', async () => {
    const m = await start({ openapi: 'erp.yaml', mock: { openapiExamples: false } })
    assert.equal((await call(m, 'GET', '/orders')).status, 404)
  })
})

describe('mock system config errors', () => {
  it('rejects an expression that does not compile, naming the field', async () => {
    await assert.rejects(
      startMockSystem({ name: 'bad', system: { mock: { responses: [{ path: '/x', when: 'body.(' }] } }, configDir: dir, port: 0 }),
      (err: unknown) => isSwitchboardError(err) && err.code === 'SB_ERR_CONFIG_INVALID' && /systems\.bad\.mock\.responses\[0\]\.when/.test(err.message),
    )
  })

  it('rejects a missing or non-OpenAPI document', async () => {
    await assert.rejects(startMockSystem({ name: 'x', system: { openapi: 'missing.yaml', mock: {} }, configDir: dir, port: 0 }), /systems\.x\.openapi: cannot read/)
    await writeFile(join(dir, 'not-openapi.yaml'), 'hello: world\n')
    await assert.rejects(startMockSystem({ name: 'x', system: { openapi: 'not-openapi.yaml', mock: {} }, configDir: dir, port: 0 }), /not an OpenAPI document/)
  })
})
