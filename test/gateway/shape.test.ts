/** Transforms, field allow/deny lists and header ops on proxy routes. */
import { describe, it, before, after, beforeEach } from 'node:test'
import assert from 'node:assert/strict'
import { gzipSync } from 'node:zlib'
import { gatewayFor, startUpstream, type TestGateway, type Upstream } from './helpers.js'

const ORDER = {
  id: 'o1',
  status: 'paid',
  total: 1250,
  internal: { margin: 0.3, supplier: 'acme' },
  customer: { name: 'Ann', email: 'ann@example.com' },
  items: [
    { sku: 'A', price: 1, cost: 0.5 },
    { sku: 'B', price: 2, cost: 1.5 },
  ],
}

describe('response and request shaping', () => {
  let up: Upstream
  let t: TestGateway
  before(async () => {
    up = await startUpstream((hit, res) => {
      const send = (status: number, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) => {
        res.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(body)), etag: '"v1"', 'x-internal': 'secret' })
        res.end(body)
      }
      if (hit.url === '/order') return send(200, JSON.stringify(ORDER))
      if (hit.url === '/list') return send(200, JSON.stringify([ORDER, ORDER]))
      if (hit.url === '/text') return send(200, 'id,status', { 'content-type': 'text/csv' })
      if (hit.url === '/gzip') {
        const z = gzipSync(JSON.stringify(ORDER))
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': z.length })
        return res.end(z)
      }
      if (hit.url === '/error') return send(404, JSON.stringify({ error: 'not found', trace: 'at Db.query' }))
      if (hit.url === '/broken') return send(200, '{"id": ')
      if (hit.url === '/big') return send(200, JSON.stringify({ id: 'x', pad: 'y'.repeat(5000) }))
      send(200, JSON.stringify({ url: hit.url, headers: hit.headers, body: hit.body.toString('utf8') }))
    })
    t = await gatewayFor(
      {
        routes: [
          { id: 'allow', get: '/allow', response: { allow: ['id', 'status', 'customer.name', 'items.sku'] }, proxy: { system: 'erp', path: '/order' } },
          { id: 'allow-list', get: '/allow-list', response: { allow: ['id'] }, proxy: { system: 'erp', path: '/list' } },
          { id: 'deny', get: '/deny', response: { deny: ['internal', 'customer.email', 'items.cost'] }, proxy: { system: 'erp', path: '/order' } },
          { id: 'allow-text', get: '/allow-text', response: { allow: ['id'] }, proxy: { system: 'erp', path: '/text' } },
          { id: 'allow-gzip', get: '/allow-gzip', response: { allow: ['id'] }, proxy: { system: 'erp', path: '/gzip' } },
          { id: 'allow-error', get: '/allow-error', response: { allow: ['error'] }, proxy: { system: 'erp', path: '/error' } },
          { id: 'allow-broken', get: '/allow-broken', response: { allow: ['id'] }, proxy: { system: 'erp', path: '/broken' } },
          { id: 'allow-big', get: '/allow-big', limits: { responseBody: 1000 }, response: { allow: ['id'] }, proxy: { system: 'erp', path: '/big' } },
          {
            id: 'rtransform',
            get: '/rtransform',
            response: { transform: '{ "ref": id, "amount": total / 100, "lines": $count(items), "code": $status }' },
            proxy: { system: 'erp', path: '/order' },
          },
          { id: 'rtransform-error', get: '/rtransform-error', response: { transform: '{ "x": $error("boom") }' }, proxy: { system: 'erp', path: '/error' } },
          { id: 'rtransform-fail', get: '/rtransform-fail', response: { transform: '$error("boom")' }, proxy: { system: 'erp', path: '/order' } },
          {
            id: 'qtransform',
            post: '/qtransform/:shop',
            request: { transform: '{ "sku": item.code, "qty": quantity, "shop": $params.shop, "who": $headers."x-who" }' },
            proxy: { system: 'erp', path: '/echo' },
          },
          { id: 'qtransform-fail', post: '/qtransform-fail', request: { transform: '$number(quantity)' }, proxy: { system: 'erp', path: '/echo' } },
          {
            id: 'headers',
            get: '/headers',
            request: { headers: { set: { 'X-Tenant': 'acme' }, remove: ['Cookie'] } },
            response: { headers: { set: { 'Cache-Control': 'no-store' }, remove: ['X-Internal'] } },
            proxy: { system: 'erp', path: '/echo' },
          },
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

  it('keeps only allowed fields, nested and inside arrays, with a recomputed Content-Length', async () => {
    const res = await t.gateway.app.inject({ url: '/allow' })
    assert.equal(res.statusCode, 200)
    assert.deepEqual(res.json(), { id: 'o1', status: 'paid', customer: { name: 'Ann' }, items: [{ sku: 'A' }, { sku: 'B' }] })
    assert.equal(Number(res.headers['content-length']), Buffer.byteLength(res.body))
    assert.equal(res.headers.etag, undefined)
    assert.equal(res.headers['content-type'], 'application/json')
  })

  it('filters every element of a top-level array', async () => {
    const res = await t.gateway.app.inject({ url: '/allow-list' })
    assert.deepEqual(res.json(), [{ id: 'o1' }, { id: 'o1' }])
  })

  it('removes denied fields, nested and inside arrays', async () => {
    const res = await t.gateway.app.inject({ url: '/deny' })
    const body = res.json()
    assert.equal(body.internal, undefined)
    assert.deepEqual(body.customer, { name: 'Ann' })
    assert.deepEqual(body.items, [
      { sku: 'A', price: 1 },
      { sku: 'B', price: 2 },
    ])
    assert.equal(body.total, 1250)
  })

  it('fails closed with 502 for bodies it cannot filter: not JSON, compressed, malformed, too large', async () => {
    for (const url of ['/allow-text', '/allow-gzip', '/allow-broken', '/allow-big']) {
      const res = await t.gateway.app.inject({ url })
      assert.equal(res.statusCode, 502, url)
      assert.equal(res.headers['content-type'], 'application/problem+json')
      assert.equal(res.json().code, 'SB_ERR_GATEWAY_UPSTREAM_RESPONSE', url)
      assert.doesNotMatch(res.body, /id,status|pad|yyyy/)
    }
  })

  it('asks the upstream for an uncompressed body when it must filter', async () => {
    await t.gateway.app.inject({ url: '/allow', headers: { 'accept-encoding': 'gzip' } })
    assert.equal(up.hits[0]?.headers['accept-encoding'], 'identity')
  })

  it('filters error bodies too, keeping the status', async () => {
    const res = await t.gateway.app.inject({ url: '/allow-error' })
    assert.equal(res.statusCode, 404)
    assert.deepEqual(res.json(), { error: 'not found' })
  })

  it('transforms 2xx response bodies with $status bound, and leaves errors alone', async () => {
    const res = await t.gateway.app.inject({ url: '/rtransform' })
    assert.deepEqual(res.json(), { ref: 'o1', amount: 12.5, lines: 2, code: 200 })
    const err = await t.gateway.app.inject({ url: '/rtransform-error' })
    assert.equal(err.statusCode, 404)
    assert.equal(err.json().error, 'not found')
  })

  it('answers 502 when a response transform fails', async () => {
    const res = await t.gateway.app.inject({ url: '/rtransform-fail' })
    assert.equal(res.statusCode, 502)
    assert.equal(res.json().code, 'SB_ERR_GATEWAY_TRANSFORM_FAILED')
  })

  it('transforms the request body with $params and $headers bound', async () => {
    const res = await t.gateway.app.inject({ method: 'POST', url: '/qtransform/s1', headers: { 'x-who': 'me' }, payload: { item: { code: 'A7' }, quantity: 3 } })
    assert.equal(res.statusCode, 200)
    const sent = JSON.parse(res.json().body as string)
    assert.deepEqual(sent, { sku: 'A7', qty: 3, shop: 's1', who: 'me' })
    assert.equal(up.hits[0]?.headers['content-length'], String(Buffer.byteLength(res.json().body as string)))
  })

  it('answers 500 when a request transform fails, forwarding nothing', async () => {
    const res = await t.gateway.app.inject({ method: 'POST', url: '/qtransform-fail', payload: { quantity: { not: 'a number' } } })
    assert.equal(res.statusCode, 500)
    assert.equal(res.json().code, 'SB_ERR_GATEWAY_TRANSFORM_FAILED')
    assert.equal(up.hits.length, 0)
  })

  it('sets and removes headers on the request and the response', async () => {
    const res = await t.gateway.app.inject({ url: '/headers', headers: { cookie: 'session=1', 'x-tenant': 'spoofed' } })
    const seen = res.json().headers
    assert.equal(seen['x-tenant'], 'acme')
    assert.equal(seen.cookie, undefined)
    assert.equal(res.headers['cache-control'], 'no-store')
    assert.equal(res.headers['x-internal'], undefined)
  })
})
