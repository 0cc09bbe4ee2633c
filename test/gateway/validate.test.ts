import { describe, it, before, after, beforeEach } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gatewayFor, startUpstream, type TestGateway, type Upstream } from './helpers.js'

const OPENAPI = `
openapi: 3.0.3
info: { title: ERP, version: '1' }
paths:
  /orders/{orderId}/lines:
    parameters:
      - { name: orderId, in: path, required: true, schema: { type: string, pattern: '^[0-9]+$' } }
    post:
      parameters:
        - { $ref: '#/components/parameters/DryRun' }
        - { name: X-Tenant, in: header, required: true, schema: { type: string } }
      requestBody:
        required: true
        content:
          application/json:
            schema: { $ref: '#/components/schemas/Line' }
      responses: { '201': { description: created } }
components:
  parameters:
    DryRun: { name: dryRun, in: query, schema: { type: boolean } }
  schemas:
    Line:
      type: object
      required: [sku, qty]
      additionalProperties: false
      properties:
        sku: { type: string, minLength: 3 }
        qty: { type: integer, minimum: 1 }
        note: { type: string, nullable: true }
`

const ORDER_SCHEMA = `
type: object
required: [customer, items]
properties:
  customer: { type: string, format: email }
  items:
    type: array
    minItems: 1
    items:
      type: object
      required: [sku]
      properties: { sku: { type: string }, qty: { type: integer, minimum: 1 } }
`

describe('request validation', () => {
  let up: Upstream
  let t: TestGateway
  let dir: string
  before(async () => {
    up = await startUpstream()
    dir = await mkdtemp(join(tmpdir(), 'sb-gw-validate-'))
    await writeFile(join(dir, 'erp.yaml'), OPENAPI)
    await writeFile(join(dir, 'order.schema.yaml'), ORDER_SCHEMA)
    t = await gatewayFor(
      {
        routes: [
          {
            id: 'create-order',
            post: '/orders/:region',
            request: {
              validate: {
                body: './order.schema.yaml',
                query: { type: 'object', properties: { limit: { type: 'integer', maximum: 100 } } },
                params: { type: 'object', properties: { region: { enum: ['eu', 'us'] } } },
                headers: { type: 'object', required: ['X-Client'], properties: { 'X-Client': { type: 'string', minLength: 2 } } },
              },
            },
            proxy: { system: 'erp', path: '/orders' },
          },
          { id: 'add-line', post: '/v1/orders/:id/lines', request: { validate: { openapi: true } }, proxy: { system: 'erp', path: '/orders/:id/lines' } },
        ],
      },
      { systems: { erp: { baseUrl: up.url, openapi: 'erp.yaml' } }, configDir: dir },
    )
  })
  beforeEach(() => {
    up.hits.length = 0
  })
  after(async () => {
    await t.close()
    await up.close()
    await rm(dir, { recursive: true, force: true })
  })

  const valid = { customer: 'a@example.com', items: [{ sku: 'X1', qty: 2 }] }

  it('forwards a valid request unchanged (query types coerced only for the check)', async () => {
    const res = await t.gateway.app.inject({ method: 'POST', url: '/orders/eu?limit=5', headers: { 'x-client': 'web' }, payload: valid })
    assert.equal(res.statusCode, 200)
    assert.equal(up.hits[0]?.url, '/orders?limit=5')
    assert.deepEqual(JSON.parse(up.hits[0]?.body.toString() ?? ''), valid)
  })

  it('lists every violation across body, query, params and headers with path and message', async () => {
    const res = await t.gateway.app.inject({
      method: 'POST',
      url: '/orders/mars?limit=500',
      headers: { 'x-client': 'w' },
      payload: { customer: 'not-an-email', items: [{ qty: 0 }] },
    })
    assert.equal(res.statusCode, 400)
    assert.equal(res.headers['content-type'], 'application/problem+json')
    const p = res.json()
    assert.equal(p.code, 'SB_ERR_GATEWAY_VALIDATION_FAILED')
    const got = (p.violations as Array<{ in: string; path: string; message: string }>).map((v) => `${v.in} ${v.path}`).sort()
    assert.deepEqual(got, ['body /customer', 'body /items/0/qty', 'body /items/0/sku', 'headers /x-client', 'params /region', 'query /limit'])
    for (const v of p.violations) assert.equal(typeof v.message, 'string')
    assert.equal(up.hits.length, 0)
  })

  it('requires the body when a schema is given', async () => {
    const res = await t.gateway.app.inject({ method: 'POST', url: '/orders/eu', headers: { 'x-client': 'web' } })
    assert.equal(res.statusCode, 400)
    assert.deepEqual(res.json().violations, [{ in: 'body', path: '/', message: 'is required' }])
  })

  it('validates with the OpenAPI operation: params by position, $refs, nullable, headers', async () => {
    const ok = await t.gateway.app.inject({
      method: 'POST',
      url: '/v1/orders/42/lines?dryRun=true',
      headers: { 'x-tenant': 'acme' },
      payload: { sku: 'ABC', qty: 1, note: null },
    })
    assert.equal(ok.statusCode, 200)
    assert.equal(up.hits[0]?.url, '/orders/42/lines?dryRun=true')

    const bad = await t.gateway.app.inject({ method: 'POST', url: '/v1/orders/x1/lines?dryRun=maybe', payload: { sku: 'A', qty: 'one', extra: 1 } })
    assert.equal(bad.statusCode, 400)
    const got = (bad.json().violations as Array<{ in: string; path: string }>).map((v) => `${v.in} ${v.path}`).sort()
    assert.deepEqual(got, ['body /extra', 'body /qty', 'body /sku', 'headers /x-tenant', 'params /id', 'query /dryRun'])
    assert.equal(up.hits.length, 1)
  })

  it('requires the OpenAPI request body when the operation says so', async () => {
    const res = await t.gateway.app.inject({ method: 'POST', url: '/v1/orders/42/lines', headers: { 'x-tenant': 'acme' } })
    assert.equal(res.statusCode, 400)
    assert.deepEqual(res.json().violations, [{ in: 'body', path: '/', message: 'is required' }])
  })
})
