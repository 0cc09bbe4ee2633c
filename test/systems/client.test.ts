import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import diagnostics from 'node:diagnostics_channel'
import { createServer as createTcpServer, type Server as TcpServer, type AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import { RetryAfterError, SwitchboardError } from '../../src/core/errors.js'
import type { SystemConfig } from '../../src/config/spec/system.js'
import { Systems } from '../../src/systems/registry.js'
import { SYSTEM_CALL_CHANNEL, type SystemCallMessage } from '../../src/systems/diagnostics.js'
import { deadPort, startServer, type TestServer } from './servers.js'

const open: Systems[] = []
function client(config: SystemConfig, name = 'sys') {
  const systems = Systems.fromConfig({ [name]: config })
  open.push(systems)
  return systems.get(name)
}
after(async () => {
  await Promise.all(open.map((s) => s.close()))
})

function hasCode(code: string) {
  return (err: unknown) => {
    assert.ok(err instanceof SwitchboardError, `expected a SwitchboardError, got ${String(err)}`)
    assert.equal(err.code, code)
    return true
  }
}

describe('SystemClient: pools and requests', () => {
  let server: TestServer
  before(async () => {
    server = await startServer((req, res) => {
      if (req.url.startsWith('/slow')) {
        setTimeout(() => res.end('slow'), 30)
        return
      }
      if (req.url.startsWith('/fail')) {
        res.statusCode = 503
        res.end('down')
        return
      }
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ url: req.url }))
    })
  })
  after(() => server.close())

  it('reuses one keep-alive connection for sequential calls', async () => {
    const before = server.connections
    const c = client({ baseUrl: server.url })
    for (let i = 0; i < 10; i++) {
      const res = await c.request({ method: 'GET', path: `/n/${i}` })
      assert.equal(res.statusCode, 200)
      assert.deepEqual(await res.body.json(), { url: `/n/${i}` })
      // undici hands the connection back to the pool just after the body ends; a call made in
      // that same tick would open a second connection (see the next test).
      await new Promise((r) => setImmediate(r))
    }
    assert.equal(server.connections - before, 1)
  })

  it('back-to-back calls share at most two keep-alive connections', async () => {
    const before = server.connections
    const c = client({ baseUrl: server.url })
    for (let i = 0; i < 20; i++) await (await c.request({ method: 'GET', path: '/b2b' })).body.dump()
    assert.ok(server.connections - before <= 2, `20 calls opened ${server.connections - before} connections`)
  })

  it('opens at most pool.connections connections under concurrency', async () => {
    const before = server.connections
    const c = client({ baseUrl: server.url, pool: { connections: 2 } })
    const results = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const res = await c.request({ method: 'GET', path: '/slow' })
        return res.body.text()
      }),
    )
    assert.deepEqual(results, Array(10).fill('slow'))
    assert.equal(server.connections - before, 2)
  })

  it('prefixes the call path with the base URL path and passes the query through untouched', async () => {
    const c = client({ baseUrl: `${server.url}/api/v2/` })
    const res = await c.request({ method: 'GET', path: '/orders/a%2Fb?x=1&y=%20z&x=2' })
    assert.deepEqual(await res.body.json(), { url: '/api/v2/orders/a%2Fb?x=1&y=%20z&x=2' })
  })

  it('sends string and Buffer bodies with their length', async () => {
    const c = client({ baseUrl: server.url })
    for (const body of ['{"a":1}', Buffer.from('{"b":2}')]) {
      const res = await c.request({ method: 'POST', path: '/in', headers: { 'content-type': 'application/json', 'content-length': '999' }, body })
      await res.body.dump()
      const got = server.received.at(-1)!
      assert.equal(got.body, String(body))
      assert.equal(got.headers['content-length'], String(Buffer.byteLength(String(body))), 'a stale content-length is replaced')
    }
  })

  it('streams a stream body', async () => {
    const c = client({ baseUrl: server.url })
    const res = await c.request({ method: 'PUT', path: '/stream', body: Readable.from([Buffer.from('ab'), Buffer.from('cd')]) })
    await res.body.dump()
    assert.equal(server.received.at(-1)!.body, 'abcd')
  })

  it('drops hop-by-hop and host headers; static headers win over the caller’s', async () => {
    const c = client({ baseUrl: server.url, headers: { 'X-Tenant': 'acme' } })
    const res = await c.request({
      method: 'GET',
      path: '/h',
      headers: {
        host: 'evil.example',
        Connection: 'close, x-hop',
        'x-hop': 'secret',
        'keep-alive': 'timeout=5',
        'proxy-authorization': 'Basic eA==',
        'x-tenant': 'attacker',
        'X-Forwarded-For': '10.0.0.1',
        'x-undefined': undefined,
        accept: ['application/json', 'text/plain'],
      },
    })
    await res.body.dump()
    const h = server.received.at(-1)!.headers
    assert.equal(h.host, `127.0.0.1:${server.port}`)
    assert.equal(h['x-hop'], undefined)
    assert.equal(h['proxy-authorization'], undefined)
    assert.equal(h['x-tenant'], 'acme')
    assert.equal(h['x-forwarded-for'], '10.0.0.1')
    assert.equal(h['x-undefined'], undefined)
    assert.equal(h.accept, 'application/json, text/plain')
  })

  it('returns 5xx responses normally (the caller decides) but counts them as failures', async () => {
    const c = client({ baseUrl: server.url })
    const res = await c.request({ method: 'GET', path: '/fail' })
    assert.equal(res.statusCode, 503)
    assert.equal(await res.body.text(), 'down')
    assert.deepEqual(c.breaker.windowStats(), { requests: 1, failures: 1 })
  })

  it('refuses a path that does not start with "/" or holds control characters, without calling', async () => {
    const c = client({ baseUrl: server.url })
    const hits = server.received.length
    await assert.rejects(c.request({ method: 'GET', path: 'orders' }), hasCode('SB_ERR_SYSTEM_REQUEST_INVALID'))
    await assert.rejects(c.request({ method: 'GET', path: '/a\r\nX-Injected: 1' }), hasCode('SB_ERR_SYSTEM_REQUEST_INVALID'))
    await assert.rejects(c.request({ method: 'GET', path: '/a', headers: { 'x-bad': 'v\r\nX-Injected: 1' } }), hasCode('SB_ERR_SYSTEM_REQUEST_INVALID'))
    await assert.rejects(c.request({ method: 'GET /evil HTTP/1.1\r\n', path: '/a' }), hasCode('SB_ERR_SYSTEM_REQUEST_INVALID'))
    assert.equal(server.received.length, hits)
    assert.deepEqual(c.breaker.windowStats(), { requests: 0, failures: 0 }, 'our own bad request says nothing about the system')
  })

  it('publishes each call on switchboard:system:call', async () => {
    const seen: SystemCallMessage[] = []
    const listener = (m: unknown) => {
      const msg = m as SystemCallMessage
      if (msg.system === 'diag') seen.push(msg)
    }
    diagnostics.subscribe(SYSTEM_CALL_CHANNEL, listener)
    try {
      const c = client({ baseUrl: server.url }, 'diag')
      await (await c.request({ method: 'GET', path: '/ok' })).body.dump()
      await (await c.request({ method: 'DELETE', path: '/fail' })).body.dump()
      await assert.rejects(c.request({ method: 'GET', path: 'bad' }))
    } finally {
      diagnostics.unsubscribe(SYSTEM_CALL_CHANNEL, listener)
    }
    assert.deepEqual(
      seen.map((m) => [m.method, m.statusCode, m.errorCode]),
      [
        ['GET', 200, null],
        ['DELETE', 503, null],
        ['GET', null, 'SB_ERR_SYSTEM_REQUEST_INVALID'],
      ],
    )
    assert.ok(seen.every((m) => typeof m.durationMs === 'number' && m.durationMs >= 0))
    assert.equal(seen[0]!.baseUrl, server.url)
  })
})

describe('SystemClient: failures', () => {
  let hanging: TestServer
  let garbage: TcpServer
  let garbageUrl: string
  before(async () => {
    hanging = await startServer((req, res) => {
      if (req.url === '/stall-body') {
        res.writeHead(200, { 'content-length': '100' })
        res.write('partial')
      }
      // otherwise never answer
    })
    garbage = createTcpServer((s) => {
      s.on('error', () => {})
      s.resume() // read the request, so the client's close is seen and the server can shut down
      s.end('NOT-HTTP garbage\r\n\r\n')
    })
    await new Promise<void>((r) => garbage.listen(0, '127.0.0.1', () => r()))
    garbageUrl = `http://127.0.0.1:${(garbage.address() as AddressInfo).port}`
  })
  after(async () => {
    await hanging.close()
    await new Promise<void>((r) => garbage.close(() => r()))
  })

  it('maps a server that never answers to SB_ERR_SYSTEM_TIMEOUT (504) and counts it', async () => {
    const c = client({ baseUrl: hanging.url, timeout: '150ms' })
    await assert.rejects(c.request({ method: 'GET', path: '/never' }), (err: unknown) => {
      hasCode('SB_ERR_SYSTEM_TIMEOUT')(err)
      assert.equal((err as SwitchboardError).status, 504)
      return true
    })
    assert.deepEqual(c.breaker.windowStats(), { requests: 1, failures: 1 })
  })

  it('a per-call timeoutMs overrides the system timeout', async () => {
    const c = client({ baseUrl: hanging.url, timeout: '60s' })
    await assert.rejects(c.request({ method: 'GET', path: '/never', timeoutMs: 100 }), hasCode('SB_ERR_SYSTEM_TIMEOUT'))
  })

  it('the total timeout also covers reading the body', async () => {
    const c = client({ baseUrl: hanging.url, timeout: '200ms' })
    const res = await c.request({ method: 'GET', path: '/stall-body' })
    assert.equal(res.statusCode, 200)
    await assert.rejects(res.body.text(), hasCode('SB_ERR_SYSTEM_TIMEOUT'))
  })

  it('maps a refused connection to SB_ERR_SYSTEM_UNREACHABLE (502) without leaking the path or query', async () => {
    const port = await deadPort()
    const c = client({ baseUrl: `http://127.0.0.1:${port}` })
    await assert.rejects(c.request({ method: 'GET', path: '/x?api_key=SECRET123' }), (err: unknown) => {
      hasCode('SB_ERR_SYSTEM_UNREACHABLE')(err)
      const e = err as SwitchboardError
      assert.equal(e.status, 502)
      assert.match(e.message, /connection refused/)
      assert.doesNotMatch(e.message, /SECRET123/)
      return true
    })
    assert.deepEqual(c.breaker.windowStats(), { requests: 1, failures: 1 })
  })

  it('maps a malformed response to SB_ERR_SYSTEM_UNREACHABLE', async () => {
    const c = client({ baseUrl: garbageUrl })
    await assert.rejects(c.request({ method: 'GET', path: '/' }), (err: unknown) => hasCode('SB_ERR_SYSTEM_UNREACHABLE')(err) && /malformed HTTP response/.test((err as Error).message))
  })

  it('a caller abort rejects with the caller’s reason and does not count against the system', async () => {
    const c = client({ baseUrl: hanging.url })
    const ac = new AbortController()
    const pending = c.request({ method: 'GET', path: '/never', signal: ac.signal })
    setTimeout(() => ac.abort(new Error('client went away')), 20)
    await assert.rejects(pending, /client went away/)
    assert.deepEqual(c.breaker.windowStats(), { requests: 0, failures: 0 })
    await assert.rejects(c.request({ method: 'GET', path: '/never', signal: AbortSignal.abort(new Error('already')) }), /already/)
  })
})

describe('SystemClient: outbound rate limit', () => {
  let server: TestServer
  before(async () => {
    server = await startServer()
  })
  after(() => server.close())

  it('fails fast with RetryAfterError SB_ERR_SYSTEM_RATE_LIMITED (429) once the burst is spent', async () => {
    const c = client({ baseUrl: server.url, rateLimit: { perSecond: 0.5, burst: 2 } })
    const hits = server.received.length
    await (await c.request({ method: 'GET', path: '/1' })).body.dump()
    await (await c.request({ method: 'GET', path: '/2' })).body.dump()
    await assert.rejects(c.request({ method: 'GET', path: '/3' }), (err: unknown) => {
      assert.ok(err instanceof RetryAfterError)
      assert.equal(err.code, 'SB_ERR_SYSTEM_RATE_LIMITED')
      assert.equal(err.status, 429)
      assert.ok(err.retryAfterMs > 0 && err.retryAfterMs <= 2000)
      return true
    })
    assert.equal(server.received.length - hits, 2)
  })

  it('waits for a token when waitForRateLimit is set', async () => {
    const c = client({ baseUrl: server.url, rateLimit: { perSecond: 40, burst: 1 } })
    await (await c.request({ method: 'GET', path: '/a' })).body.dump()
    const res = await c.request({ method: 'GET', path: '/b', waitForRateLimit: true })
    assert.equal(res.statusCode, 200)
    await res.body.dump()
  })
})
