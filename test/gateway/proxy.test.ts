import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, request as httpRequest } from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import { once } from 'node:events'
import { rm } from 'node:fs/promises'
import { gatewayFor, startUpstream, type TestGateway, type Upstream } from './helpers.js'

const PROBLEM = 'application/problem+json'

describe('proxy routes', () => {
  let up: Upstream
  let t: TestGateway
  before(async () => {
    up = await startUpstream((hit, res) => {
      if (hit.url.startsWith('/hop')) {
        res.setHeader('connection', 'x-upstream-private')
        res.setHeader('x-upstream-private', 'secret')
        res.setHeader('keep-alive', 'timeout=5')
        res.setHeader('proxy-authenticate', 'Basic')
        res.setHeader('x-kept', 'yes')
        res.end('hop')
        return
      }
      if (hit.url.startsWith('/status/')) {
        res.writeHead(Number(hit.url.slice(8)), { 'content-type': 'text/plain', 'x-upstream': '1' })
        res.end('as-is')
        return
      }
      const body = JSON.stringify({ url: hit.url, method: hit.method, body: hit.body.toString('utf8') })
      res.writeHead(200, { 'content-type': 'application/json', 'set-cookie': ['a=1', 'b=2'] })
      res.end(body)
    })
    t = await gatewayFor(
      {
        routes: [
          { id: 'get-order', get: '/v1/orders/:id', proxy: { system: 'erp', path: '/orders/:id' } },
          { id: 'renamed', get: '/v1/customers/:cid/orders/:oid', proxy: { system: 'erp', path: '/c/:cid/o/:oid/detail' } },
          { id: 'files', get: '/files/*', proxy: { system: 'erp', path: '/blob/*' } },
          { id: 'create', post: '/v1/orders', proxy: { system: 'erp', path: '/orders' } },
          { id: 'as-route', put: '/same/:x', proxy: { system: 'erp' } },
          { id: 'hop', get: '/hop', proxy: { system: 'erp' } },
          { id: 'status', get: '/status/:code', proxy: { system: 'erp' } },
          { id: 'method', get: '/rewrite', proxy: { system: 'erp', method: 'POST', path: '/orders' } },
          { id: 'host-a', get: '/hosted', host: 'api.example.com', proxy: { system: 'erp', path: '/a' } },
          { id: 'host-b', get: '/hosted', host: '*.example.org', proxy: { system: 'erp', path: '/b' } },
          { id: 'down', get: '/down', proxy: { system: 'dead' } },
        ],
      },
      { systems: { erp: up.url, dead: 'http://127.0.0.1:1' } },
    )
  })
  after(async () => {
    await t.close()
    await up.close()
  })

  it('substitutes params URL-encoded and passes the query string through untouched', async () => {
    const res = await t.gateway.app.inject({ url: '/v1/orders/A%20B%C3%A9?x=1&y=%2F&x=2' })
    assert.equal(res.statusCode, 200)
    assert.equal(res.json().url, '/orders/A%20B%C3%A9?x=1&y=%2F&x=2')
  })

  it('maps params by name into a different upstream template', async () => {
    const res = await t.gateway.app.inject({ url: '/v1/customers/c1/orders/o%3A2' })
    assert.equal(res.json().url, '/c/c1/o/o%3A2/detail')
  })

  it('forwards a wildcard tail segment by segment', async () => {
    const res = await t.gateway.app.inject({ url: '/files/a/b%20c/d.txt?v=3' })
    assert.equal(res.json().url, '/blob/a/b%20c/d.txt?v=3')
  })

  it('defaults the upstream path to the route path', async () => {
    const res = await t.gateway.app.inject({ method: 'PUT', url: '/same/k1', payload: 'x' })
    assert.equal(res.json().url, '/same/k1')
  })

  it('passes status, headers (multi-valued too) and body through', async () => {
    const res = await t.gateway.app.inject({ url: '/status/418' })
    assert.equal(res.statusCode, 418)
    assert.equal(res.headers['x-upstream'], '1')
    assert.equal(res.body, 'as-is')
    const ok = await t.gateway.app.inject({ url: '/v1/orders/1' })
    assert.deepEqual(ok.headers['set-cookie'], ['a=1', 'b=2'])
  })

  it('streams a request body upstream, with a length or chunked', async () => {
    const sized = await t.gateway.app.inject({ method: 'POST', url: '/v1/orders', payload: 'hello', headers: { 'content-type': 'text/plain' } })
    assert.equal(sized.json().body, 'hello')
    const port = await listenOnce(t)
    const chunked = await new Promise<string>((resolve, reject) => {
      const req = httpRequest({ port, method: 'POST', path: '/v1/orders', headers: { 'content-type': 'application/octet-stream' } }, (res) => {
        let s = ''
        res.setEncoding('utf8')
        res.on('data', (c: string) => (s += c))
        res.on('end', () => resolve(s))
      })
      req.on('error', reject)
      req.write('part1-')
      setTimeout(() => req.end('part2'), 20)
    })
    assert.equal((JSON.parse(chunked) as { body: string }).body, 'part1-part2')
  })

  it('uses the configured upstream method', async () => {
    const res = await t.gateway.app.inject({ url: '/rewrite' })
    assert.equal(res.json().method, 'POST')
  })

  it('strips hop-by-hop headers both ways and adds forwarding headers', async () => {
    const res = await t.gateway.app.inject({
      url: '/hop',
      headers: {
        connection: 'keep-alive, x-client-private',
        'x-client-private': 'secret',
        'keep-alive': 'timeout=5',
        te: 'trailers',
        'proxy-authorization': 'Basic eA==',
        'x-forwarded-for': '203.0.113.9',
        host: 'gw.example.com',
        traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      },
    })
    const hit = up.hits.at(-1)
    assert.ok(hit)
    for (const h of ['x-client-private', 'keep-alive', 'te', 'proxy-authorization']) assert.equal(hit.headers[h], undefined, h)
    assert.notEqual(hit.headers.host, 'gw.example.com')
    assert.equal(hit.headers['x-forwarded-host'], 'gw.example.com')
    assert.equal(hit.headers['x-forwarded-proto'], 'http')
    assert.match(String(hit.headers['x-forwarded-for']), /^203\.0\.113\.9, /)
    assert.equal(hit.headers.traceparent, '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')
    assert.equal(res.headers['x-upstream-private'], undefined)
    assert.equal(res.headers['proxy-authenticate'], undefined)
    assert.equal(res.headers['keep-alive'], undefined)
    assert.equal(res.headers['x-kept'], 'yes')
  })

  it('generates an X-Request-Id, sends it upstream and echoes it', async () => {
    const res = await t.gateway.app.inject({ url: '/v1/orders/1' })
    const id = res.headers['x-request-id']
    assert.match(String(id), /^[0-9a-f-]{36}$/)
    assert.equal(up.hits.at(-1)?.headers['x-request-id'], id)
  })

  it('keeps a valid incoming X-Request-Id and replaces an invalid one', async () => {
    const kept = await t.gateway.app.inject({ url: '/v1/orders/1', headers: { 'x-request-id': 'abc-123' } })
    assert.equal(kept.headers['x-request-id'], 'abc-123')
    const long = await t.gateway.app.inject({ url: '/v1/orders/1', headers: { 'x-request-id': 'x'.repeat(129) } })
    assert.notEqual(long.headers['x-request-id'], 'x'.repeat(129))
    assert.match(String(long.headers['x-request-id']), /^[0-9a-f-]{36}$/)
    const weird = await t.gateway.app.inject({ url: '/v1/orders/1', headers: { 'x-request-id': 'ü-id' } })
    assert.match(String(weird.headers['x-request-id']), /^[0-9a-f-]{36}$/)
  })

  it('matches the host constraint, with any port and one-level wildcards', async () => {
    const a = await t.gateway.app.inject({ url: '/hosted', headers: { host: 'api.example.com:8080' } })
    assert.equal(a.json().url, '/a')
    const b = await t.gateway.app.inject({ url: '/hosted', headers: { host: 'eu.example.org' } })
    assert.equal(b.json().url, '/b')
    const none = await t.gateway.app.inject({ url: '/hosted', headers: { host: 'evil.com' } })
    assert.equal(none.statusCode, 404)
    const deep = await t.gateway.app.inject({ url: '/hosted', headers: { host: 'a.b.example.org' } })
    assert.equal(deep.statusCode, 404)
  })

  it('answers an unknown route 404 problem+json with a stable code', async () => {
    const res = await t.gateway.app.inject({ url: '/nope?secret=1' })
    assert.equal(res.statusCode, 404)
    assert.equal(res.headers['content-type'], PROBLEM)
    const p = res.json()
    assert.equal(p.code, 'SB_ERR_GATEWAY_NO_ROUTE')
    assert.equal(p.status, 404)
    assert.equal(p.requestId, res.headers['x-request-id'])
    assert.doesNotMatch(p.detail, /secret/)
  })

  it('answers 502 problem when the system refuses connections', async () => {
    const res = await t.gateway.app.inject({ url: '/down' })
    assert.equal(res.statusCode, 502)
    assert.equal(res.headers['content-type'], PROBLEM)
    assert.equal(res.json().code, 'SB_ERR_SYSTEM_UNREACHABLE')
  })
})

describe('upstream failures', () => {
  let slow: ReturnType<typeof createServer>
  let port = 0
  let failing: Upstream
  let delayed: Upstream
  let t: TestGateway
  before(async () => {
    delayed = await startUpstream((hit, res) => {
      if (hit.url === '/late') {
        setTimeout(() => res.end('late'), 150)
        return
      }
      // Streams for a while: the client leaves half-way.
      res.writeHead(200, { 'content-type': 'text/plain' })
      res.write('first ')
      setTimeout(() => res.end('second'), 300)
    })
    slow = createServer(() => undefined) // never answers
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve))
    port = (slow.address() as AddressInfo).port
    failing = await startUpstream((_hit, res) => {
      res.writeHead(500)
      res.end()
    })
    t = await gatewayFor(
      {
        routes: [
          { id: 'slow', get: '/slow', proxy: { system: 'slow', timeout: '200ms' } },
          { id: 'deadline', get: '/deadline', limits: { timeout: '150ms' }, proxy: { system: 'slow' } },
          { id: 'flaky', get: '/flaky', proxy: { system: 'flaky' } },
          { id: 'late', get: '/late', proxy: { system: 'delayed' } },
          { id: 'stream', get: '/stream', proxy: { system: 'delayed' } },
        ],
      },
      {
        systems: {
          slow: `http://127.0.0.1:${port}`,
          delayed: delayed.url,
          flaky: { baseUrl: failing.url, circuitBreaker: { minRequests: 2, failureRate: 0.5, cooldown: '30s', window: '30s' } },
        },
      },
    )
  })
  after(async () => {
    await t.close()
    slow.closeAllConnections()
    await new Promise<void>((resolve) => slow.close(() => resolve()))
    await failing.close()
    await delayed.close()
  })

  it('survives clients that leave before or during the answer', async () => {
    const gwPort = (await t.gateway.listen(0)).port
    for (const path of ['/late', '/stream']) {
      const socket = connect({ host: '127.0.0.1', port: gwPort })
      await once(socket, 'connect')
      socket.write(`GET ${path} HTTP/1.1\r\nHost: gw\r\n\r\n`)
      await new Promise((r) => setTimeout(r, path === '/late' ? 50 : 150))
      socket.destroy()
    }
    await new Promise((r) => setTimeout(r, 400))
    const res = await fetch(`http://127.0.0.1:${gwPort}/late`)
    assert.equal(res.status, 200)
    assert.equal(await res.text(), 'late')
  })

  it('answers 504 when the system does not answer in time', async () => {
    const res = await t.gateway.app.inject({ url: '/slow' })
    assert.equal(res.statusCode, 504)
    assert.equal(res.json().code, 'SB_ERR_SYSTEM_TIMEOUT')
  })

  it('answers 504 when the route deadline passes first', async () => {
    const res = await t.gateway.app.inject({ url: '/deadline' })
    assert.equal(res.statusCode, 504)
    assert.equal(res.json().code, 'SB_ERR_SYSTEM_TIMEOUT')
  })

  it('fails fast with 503 and Retry-After once the circuit opens, without calling the system', async () => {
    for (let i = 0; i < 2; i++) assert.equal((await t.gateway.app.inject({ url: '/flaky' })).statusCode, 500)
    const before = failing.hits.length
    const res = await t.gateway.app.inject({ url: '/flaky' })
    assert.equal(res.statusCode, 503)
    assert.equal(res.headers['content-type'], PROBLEM)
    assert.equal(res.json().code, 'SB_ERR_SYSTEM_CIRCUIT_OPEN')
    assert.equal(res.headers['retry-after'], '30')
    assert.equal(failing.hits.length, before)
  })
})

const listening = new WeakMap<TestGateway, number>()
async function listenOnce(t: TestGateway): Promise<number> {
  let port = listening.get(t)
  if (port === undefined) {
    port = (await t.gateway.listen(0)).port
    listening.set(t, port)
  }
  return port
}

describe('shutdown', () => {
  it('finishes in-flight requests and answers new ones with a 503 problem while draining', async () => {
    const up = await startUpstream((hit, res) => setTimeout(() => res.end(hit.url), 200))
    const t = await gatewayFor({ routes: [{ id: 'slow', get: '/slow/:n', proxy: { system: 'erp' } }] }, { systems: { erp: up.url } })
    const port = (await t.gateway.listen(0)).port
    const socket = connect({ host: '127.0.0.1', port })
    await once(socket, 'connect')
    let received = ''
    socket.setEncoding('utf8')
    socket.on('data', (c: string) => (received += c))
    socket.write('GET /slow/1 HTTP/1.1\r\nHost: gw\r\n\r\n')
    await new Promise((r) => setTimeout(r, 50))
    const closing = t.gateway.close()
    socket.write('GET /slow/2 HTTP/1.1\r\nHost: gw\r\n\r\n')
    await once(socket, 'close')
    await closing
    await t.systems.close()
    await t.store.close()
    await rm(t.dir, { recursive: true, force: true })
    await up.close()
    assert.match(received, /^HTTP\/1\.1 200 /)
    assert.match(received, /\/slow\/1/)
    assert.match(received, /HTTP\/1\.1 503 /)
    assert.match(received, /SB_ERR_GATEWAY_SHUTTING_DOWN/)
    assert.equal(up.hits.length, 1)
  })
})
