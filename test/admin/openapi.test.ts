import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { Ajv2020 } from 'ajv/dist/2020.js'
import { adminFixture, type Fixture } from './fixture.js'

type Doc = {
  openapi: string
  info: { title: string; version: string }
  paths: Record<string, Record<string, { operationId: string; responses: Record<string, unknown>; parameters?: Array<{ name: string; in: string; required: boolean; schema: unknown }>; security?: unknown[] }>>
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> }
  security: unknown[]
}

/** Every route the admin API registers today (later features add theirs to this list). */
const EXPECTED = [
  'get /healthz',
  'get /readyz',
  'get /openapi.json',
  'get /metrics',
  'get /v1/health',
  'get /v1/alerts',
  'get /v1/alerts/history',
  'get /v1/config',
  'get /v1/config/revisions',
  'get /v1/config/revisions/{id}',
  'get /v1/audit',
  'get /v1/consumers',
  'post /v1/consumers/{name}/keys',
  'get /v1/keys',
  'delete /v1/keys/{id}',
  'get /v1/routes',
  'get /v1/systems',
  'get /v1/systems/{name}/circuit',
  'get /v1/systems/{name}/mock/requests',
  'delete /v1/systems/{name}/mock/requests',
  'post /v1/topics/{topic}/events',
  'get /v1/events',
  'get /v1/events/{id}',
  'get /v1/deliveries',
  'get /v1/deliveries/{id}',
  'get /v1/dlq',
  'get /v1/dlq/{id}',
  'post /v1/dlq/replay',
  'post /v1/dlq/discard',
  'get /v1/pollers',
  'get /v1/pollers/{id}',
]
const PUBLIC = ['get /healthz', 'get /readyz', 'get /openapi.json']
const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'])

describe('GET /openapi.json', () => {
  let f: Fixture
  let doc: Doc
  before(async () => {
    f = await adminFixture()
    const res = await f.app.inject({ method: 'GET', url: '/openapi.json' })
    assert.equal(res.statusCode, 200, 'served without a token')
    doc = res.json()
  })
  after(() => f.close())

  it('is an OpenAPI 3.1 document', () => {
    assert.equal(doc.openapi, '3.1.0')
    assert.equal(typeof doc.info.title, 'string')
    assert.equal(typeof doc.info.version, 'string')
    assert.deepEqual(doc.security, [{ adminToken: [] }])
    assert.deepEqual(doc.components.securitySchemes.adminToken, { type: 'http', scheme: 'bearer', description: (doc.components.securitySchemes.adminToken as { description: string }).description })
  })

  it('lists exactly the registered routes, each of which the server really has', () => {
    const listed = Object.entries(doc.paths).flatMap(([p, item]) => Object.keys(item).map((m) => `${m} ${p}`))
    assert.deepEqual([...listed].sort(), [...EXPECTED].sort())
    for (const entry of listed) {
      const [method = '', path = ''] = entry.split(' ')
      assert.ok(f.app.hasRoute({ method: method.toUpperCase() as 'GET', url: path.replace(/\{(\w+)\}/g, ':$1') }), `${entry} is routed`)
    }
  })

  it('is well-formed: paths, unique operation ids, declared path parameters, responses', () => {
    const ids = new Set<string>()
    for (const [path, item] of Object.entries(doc.paths)) {
      assert.match(path, /^\//)
      for (const [method, op] of Object.entries(item)) {
        assert.ok(METHODS.has(method), method)
        assert.match(op.operationId, /^[A-Za-z][A-Za-z0-9]*$/)
        assert.ok(!ids.has(op.operationId), `duplicate operationId ${op.operationId}`)
        ids.add(op.operationId)
        assert.ok(Object.keys(op.responses).length > 0)
        for (const code of Object.keys(op.responses)) assert.match(code, /^([1-5]\d\d|[1-5]XX|default)$/)
        const templated = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1])
        const declared = (op.parameters ?? []).filter((p) => p.in === 'path')
        assert.deepEqual(declared.map((p) => p.name).sort(), templated.sort(), `${method} ${path} path parameters`)
        for (const p of declared) assert.equal(p.required, true)
        const isPublic = PUBLIC.includes(`${method} ${path}`)
        assert.equal(Array.isArray(op.security) && op.security.length === 0, isPublic, `${method} ${path} security`)
        if (!isPublic) assert.ok(op.responses['401'], `${method} ${path} documents 401`)
      }
    }
  })

  it('documents key creation: optional body, 201 with the key, 404 problem', () => {
    const op = doc.paths['/v1/consumers/{name}/keys']?.post as unknown as {
      requestBody: { required: boolean; content: Record<string, { schema: { properties: Record<string, unknown> } }> }
      responses: Record<string, { content: Record<string, { schema: { properties?: Record<string, unknown> } }> }>
    }
    assert.equal(op.requestBody.required, false)
    assert.ok(op.requestBody.content['application/json']?.schema.properties.label)
    assert.ok(op.responses['201']?.content['application/json']?.schema.properties?.key)
    assert.ok(op.responses['404']?.content['application/problem+json'])
  })

  it('contains only schemas that compile as JSON Schema 2020-12', () => {
    const ajv = new Ajv2020({ strict: false, validateFormats: false })
    const schemas: unknown[] = [...Object.values(doc.components.schemas)]
    const walk = (v: unknown, key?: string): void => {
      if (key === 'schema' && typeof v === 'object' && v !== null && !('$ref' in v)) schemas.push(v)
      if (typeof v === 'object' && v !== null) for (const [k, c] of Object.entries(v)) walk(c, k)
    }
    walk(doc.paths)
    assert.ok(schemas.length > 10)
    for (const s of schemas) ajv.compile(s as object)
  })
})
