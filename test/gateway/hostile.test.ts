/**
 * Hostile input, over real sockets (a well-behaved client library would refuse to send most of
 * it). Each case must get the right status and stable code as problem+json, and nothing may
 * reach the upstream.
 */
import { describe, it, before, after, beforeEach } from 'node:test'
import assert from 'node:assert/strict'
import { gatewayFor, parseRaw, rawRequest, startUpstream, type TestGateway, type Upstream } from './helpers.js'

const PROBLEM = 'application/problem+json'

describe('hostile input', () => {
  let up: Upstream
  let t: TestGateway
  let port: number
  before(async () => {
    up = await startUpstream()
    t = await gatewayFor(
      {
        server: { maxHeaderSize: 2048, headersTimeout: '1s', requestTimeout: '2s' },
        routes: [
          { id: 'order', get: '/v1/orders/:id', proxy: { system: 'erp', path: '/orders/:id' } },
          { id: 'files', get: '/files/*', proxy: { system: 'erp', path: '/blob/*' } },
          { id: 'upload', post: '/upload', limits: { body: 1024 }, proxy: { system: 'erp' } },
          { id: 'json', post: '/json', limits: { body: 2_000_000, depth: 32 }, request: { validate: { body: { type: 'array' } } }, proxy: { system: 'erp' } },
          { id: 'json-small', post: '/json-small', limits: { body: 100 }, request: { transform: '$' }, proxy: { system: 'erp' } },
        ],
      },
      { systems: { erp: up.url } },
    )
    port = (await t.gateway.listen(0)).port
  })
  beforeEach(() => {
    up.hits.length = 0
  })
  after(async () => {
    await t.close()
    await up.close()
  })

  async function get(path: string): Promise<ReturnType<typeof parseRaw>> {
    return parseRaw(await rawRequest(port, `GET ${path} HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n`))
  }

  const traversal = [
    '/v1/orders/..',
    '/v1/orders/.',
    '/v1/orders/%2e%2e',
    '/v1/orders/%2E%2e',
    '/v1/orders/.%2e',
    '/v1/orders/a%2Fb',
    '/v1/orders/..%2Fadmin',
    '/v1/orders/a%5Cb',
    '/v1/orders/a%5cb',
    '/v1/orders/%00',
    '/v1/orders/a%0D%0AX-Injected:%201',
    '/v1/orders/%0a',
    '/v1/orders/%7f',
    '/v1/orders/%252e%252e',
    '/v1/orders/%252F',
    '/files/a/../secret',
    '/files/a/%2e%2e/secret',
    '/files/a%2Fb',
    '/files/a/%5C/b',
    '/files/%00',
    '/files/x/.',
  ]
  for (const path of traversal) {
    it(`rejects ${path} with 400 SB_ERR_GATEWAY_BAD_PARAM and forwards nothing`, async () => {
      const r = await get(path)
      assert.equal(r.status, 400)
      assert.equal(r.headers['content-type'], PROBLEM)
      assert.equal(r.body?.code, 'SB_ERR_GATEWAY_BAD_PARAM')
      assert.equal(up.hits.length, 0)
    })
  }

  it('still forwards ordinary values next to the hostile ones', async () => {
    const r = await get('/v1/orders/A-1_b.c~d')
    assert.equal(r.status, 200)
    assert.equal(up.hits[0]?.url, '/orders/A-1_b.c~d')
  })

  it('rejects invalid percent-encoding with 400 problem', async () => {
    const r = await get('/v1/orders/%zz')
    assert.equal(r.status, 400)
    assert.equal(r.headers['content-type'], PROBLEM)
    assert.equal(r.body?.code, 'SB_ERR_HTTP_BAD_REQUEST')
    assert.equal(up.hits.length, 0)
  })

  it('rejects CR/LF inside a header value (parser error) with 400 problem', async () => {
    const raw = await rawRequest(port, 'GET /v1/orders/1 HTTP/1.1\r\nHost: gw\r\nX-A: a\rInjected: 1\r\n\r\n')
    const r = parseRaw(raw)
    assert.equal(r.status, 400)
    assert.equal(r.headers['content-type'], PROBLEM)
    assert.equal(r.body?.code, 'SB_ERR_HTTP_BAD_REQUEST')
    assert.equal(up.hits.length, 0)
  })

  it('rejects a header name with a space or control character', async () => {
    const r = parseRaw(await rawRequest(port, 'GET /v1/orders/1 HTTP/1.1\r\nHost: gw\r\nBad Header: 1\r\n\r\n'))
    assert.equal(r.status, 400)
    assert.equal(r.body?.code, 'SB_ERR_HTTP_BAD_REQUEST')
    assert.equal(up.hits.length, 0)
  })

  it('rejects Content-Length together with Transfer-Encoding (smuggling)', async () => {
    const raw = await rawRequest(
      port,
      'POST /upload HTTP/1.1\r\nHost: gw\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /v1/orders/smuggled HTTP/1.1\r\nHost: gw\r\n\r\n',
    )
    const r = parseRaw(raw)
    assert.equal(r.status, 400)
    assert.equal(r.headers['content-type'], PROBLEM)
    assert.equal(r.body?.code, 'SB_ERR_HTTP_BAD_REQUEST')
    assert.equal(up.hits.length, 0)
  })

  it('rejects two different Content-Length headers', async () => {
    const r = parseRaw(await rawRequest(port, 'POST /upload HTTP/1.1\r\nHost: gw\r\nContent-Length: 1\r\nContent-Length: 5\r\n\r\nhello'))
    assert.equal(r.status, 400)
    assert.equal(up.hits.length, 0)
  })

  it('answers oversized headers with 431 problem', async () => {
    const r = parseRaw(await rawRequest(port, `GET /v1/orders/1 HTTP/1.1\r\nHost: gw\r\nX-Big: ${'a'.repeat(4096)}\r\n\r\n`))
    assert.equal(r.status, 431)
    assert.equal(r.headers['content-type'], PROBLEM)
    assert.equal(r.body?.code, 'SB_ERR_HTTP_HEADERS_TOO_LARGE')
    assert.equal(up.hits.length, 0)
  })

  it('answers a declared oversized body with 413 before reading it, forwarding nothing', async () => {
    const r = parseRaw(await rawRequest(port, `POST /upload HTTP/1.1\r\nHost: gw\r\nContent-Type: text/plain\r\nContent-Length: 5000\r\n\r\n${'x'.repeat(5000)}`))
    assert.equal(r.status, 413)
    assert.equal(r.headers['content-type'], PROBLEM)
    assert.equal(r.body?.code, 'SB_ERR_HTTP_BODY_TOO_LARGE')
    assert.equal(up.hits.length, 0)
  })

  it('answers an oversized chunked body on a buffering route with 413, forwarding nothing', async () => {
    const chunk = 'x'.repeat(80)
    const r = parseRaw(
      await rawRequest(port, `POST /json-small HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n50\r\n${chunk}\r\n50\r\n${chunk}\r\n0\r\n\r\n`),
    )
    assert.equal(r.status, 413)
    assert.equal(r.body?.code, 'SB_ERR_HTTP_BODY_TOO_LARGE')
    assert.equal(up.hits.length, 0)
  })

  it('refuses a 100k-deep JSON body with 400 and keeps serving', async () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000)
    const res = await t.gateway.app.inject({ method: 'POST', url: '/json', headers: { 'content-type': 'application/json' }, payload: deep })
    assert.equal(res.statusCode, 400)
    assert.equal(res.headers['content-type'], PROBLEM)
    assert.equal(res.json().code, 'SB_ERR_GATEWAY_JSON_TOO_DEEP')
    assert.equal(up.hits.length, 0)
    const ok = await t.gateway.app.inject({ method: 'POST', url: '/json', headers: { 'content-type': 'application/json' }, payload: '[[1],[2]]' })
    assert.equal(ok.statusCode, 200)
  })

  it('does not count brackets inside strings as nesting', async () => {
    const res = await t.gateway.app.inject({ method: 'POST', url: '/json', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(['['.repeat(100) + '\\"[']) })
    assert.equal(res.statusCode, 200)
  })

  it('refuses malformed JSON with 400 without echoing it', async () => {
    const res = await t.gateway.app.inject({ method: 'POST', url: '/json', headers: { 'content-type': 'application/json' }, payload: '[1, SECRET' })
    assert.equal(res.statusCode, 400)
    assert.equal(res.json().code, 'SB_ERR_HTTP_BAD_REQUEST')
    assert.doesNotMatch(res.body, /SECRET/)
    assert.equal(up.hits.length, 0)
  })

  it('refuses a __proto__ key (prototype poisoning), even escaped', async () => {
    for (const payload of ['[{"__proto__":{"admin":true}}]', '[{"\\u005f_proto__":{"admin":true}}]']) {
      const res = await t.gateway.app.inject({ method: 'POST', url: '/json', headers: { 'content-type': 'application/json' }, payload })
      assert.equal(res.statusCode, 400, payload)
      assert.equal(res.json().code, 'SB_ERR_HTTP_BAD_REQUEST')
    }
    assert.equal(up.hits.length, 0)
  })

  it('refuses a non-JSON body on a JSON route with 415', async () => {
    const res = await t.gateway.app.inject({ method: 'POST', url: '/json', headers: { 'content-type': 'text/plain' }, payload: '[]' })
    assert.equal(res.statusCode, 415)
    assert.equal(res.json().code, 'SB_ERR_HTTP_UNSUPPORTED_MEDIA_TYPE')
    assert.equal(up.hits.length, 0)
  })

  it('cuts off a client that never finishes its headers, with 408 problem', async () => {
    const r = parseRaw(await rawRequest(port, 'GET /v1/orders/1 HTTP/1.1\r\nHost: gw\r\nX-Slow: ', 8000))
    assert.equal(r.status, 408)
    assert.equal(r.headers['content-type'], PROBLEM)
    assert.equal(r.body?.code, 'SB_ERR_HTTP_TIMEOUT')
    assert.equal(up.hits.length, 0)
  })
})
