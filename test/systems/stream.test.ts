import { describe, it, before, after, beforeEach } from 'node:test'
import assert from 'node:assert/strict'
import diagnostics from 'node:diagnostics_channel'
import { Readable } from 'node:stream'
import { RetryAfterError, SwitchboardError, CircuitOpenError } from '../../src/core/errors.js'
import type { SystemConfig } from '../../src/config/spec/system.js'
import { Systems } from '../../src/systems/registry.js'
import type { SystemClient } from '../../src/systems/client.js'
import { SYSTEM_CALL_CHANNEL, type SystemCallMessage } from '../../src/systems/diagnostics.js'
import type { ResponseSink, StreamControl } from '../../src/systems/stream-call.js'
import type { SystemCallOptions } from '../../src/systems/types.js'
import { deadPort, json, startServer, type TestServer } from './servers.js'

const open: Systems[] = []
function client(config: SystemConfig, name = 'sys'): SystemClient {
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

/** A sink that records what it is given, in order. */
class Collector implements ResponseSink {
  events: string[] = []
  status = 0
  headers: Array<[string, string]> = []
  chunks: Buffer[] = []
  control: StreamControl | undefined
  /** onData answers this (false pauses the body). */
  accept = true
  onHead(statusCode: number, rawHeaders: readonly Buffer[], control: StreamControl): void {
    this.events.push('head')
    this.status = statusCode
    for (let i = 0; i < rawHeaders.length; i += 2) this.headers.push([rawHeaders[i]!.toString('latin1'), rawHeaders[i + 1]!.toString('latin1')])
    this.control = control
  }
  onData(chunk: Buffer): boolean {
    this.events.push('data')
    this.chunks.push(chunk)
    return this.accept
  }
  onEnd(): void {
    this.events.push('end')
  }
  get body(): string {
    return Buffer.concat(this.chunks).toString('utf8')
  }
  header(name: string): string[] {
    return this.headers.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v)
  }
}

async function stream(c: SystemClient, o: SystemCallOptions): Promise<Collector> {
  const sink = new Collector()
  await c.stream(o, sink)
  return sink
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r))

describe('SystemClient.stream: the answer, as it arrives', () => {
  let server: TestServer
  before(async () => {
    server = await startServer((req, res) => {
      if (req.url === '/multi') {
        res.setHeader('set-cookie', ['a=1', 'b=2'])
        res.setHeader('X-Raw-Case', 'ü-bytes')
        res.statusCode = 201
        res.end('made')
        return
      }
      if (req.url === '/fail') {
        res.statusCode = 503
        res.end('down')
        return
      }
      if (req.url === '/big') {
        // Enough chunks that a paused reader must hold the rest back.
        let n = 0
        const push = (): void => {
          if (n++ === 20) return void res.end()
          res.write(Buffer.alloc(64 * 1024, 'x'), () => setImmediate(push))
        }
        push()
        return
      }
      json(res, 200, { url: req.url, body: req.body })
    })
  })
  after(() => server.close())

  it('hands status, raw headers (repeated ones too) and body to the sink, in order', async () => {
    const c = client({ baseUrl: server.url })
    const sink = await stream(c, { method: 'GET', path: '/multi' })
    assert.equal(sink.status, 201)
    assert.deepEqual(sink.header('set-cookie'), ['a=1', 'b=2'])
    // Node sent the value as UTF-8; latin1 decoding keeps one char per byte, so the bytes pass on unchanged.
    assert.deepEqual(sink.header('x-raw-case'), [Buffer.from('ü-bytes', 'utf8').toString('latin1')])
    assert.equal(sink.body, 'made')
    assert.deepEqual(sink.events, ['head', 'data', 'end'])
  })

  it('reuses one keep-alive connection and prefixes the base URL path', async () => {
    const before = server.connections
    const c = client({ baseUrl: `${server.url}/api/` })
    for (let i = 0; i < 5; i++) {
      const sink = await stream(c, { method: 'GET', path: `/n/${i}?q=%20` })
      assert.deepEqual(JSON.parse(sink.body), { url: `/api/n/${i}?q=%20`, body: '' })
      await tick()
    }
    assert.equal(server.connections - before, 1)
  })

  it('sends string, Buffer and stream bodies', async () => {
    const c = client({ baseUrl: server.url })
    for (const body of ['{"a":1}', Buffer.from('{"b":2}'), Readable.from([Buffer.from('ab'), Buffer.from('cd')])]) {
      await stream(c, { method: 'POST', path: '/in', headers: { 'content-type': 'application/json' }, body })
      assert.equal(server.received.at(-1)!.body, body instanceof Readable ? 'abcd' : String(body))
    }
  })

  it('drops hop-by-hop and host headers; static headers win over the caller’s', async () => {
    const c = client({ baseUrl: server.url, headers: { 'X-Tenant': 'acme' } })
    await stream(c, { method: 'GET', path: '/h', headers: { host: 'evil', Connection: 'close, x-hop', 'x-hop': '1', 'x-tenant': 'attacker', 'proxy-authorization': 'x' } })
    const h = server.received.at(-1)!.headers
    assert.equal(h.host, `127.0.0.1:${server.port}`)
    assert.equal(h['x-hop'], undefined)
    assert.equal(h['proxy-authorization'], undefined)
    assert.equal(h['x-tenant'], 'acme')
  })

  it('counts a 5xx head as one failure and a 2xx head as one success', async () => {
    const c = client({ baseUrl: server.url })
    assert.equal((await stream(c, { method: 'GET', path: '/fail' })).body, 'down')
    await stream(c, { method: 'GET', path: '/ok' })
    assert.deepEqual(c.breaker.windowStats(), { requests: 2, failures: 1 })
  })

  it('pauses the body while the sink asks to, and resumes on request', async () => {
    const c = client({ baseUrl: server.url })
    const sink = new Collector()
    sink.accept = false
    const done = c.stream({ method: 'GET', path: '/big' }, sink)
    while (sink.chunks.length === 0) await tick()
    for (let i = 0; i < 20; i++) await tick()
    assert.equal(sink.chunks.length, 1, 'no chunk is delivered while paused')
    sink.accept = true
    sink.control!.resume()
    await done
    assert.equal(Buffer.concat(sink.chunks).length, 20 * 64 * 1024)
  })

  it('refuses a bad path, method or header value without calling, and without blaming the system', async () => {
    const c = client({ baseUrl: server.url })
    const hits = server.received.length
    await assert.rejects(stream(c, { method: 'GET', path: 'orders' }), hasCode('SB_ERR_SYSTEM_REQUEST_INVALID'))
    await assert.rejects(stream(c, { method: 'GET', path: '/a\r\nX: 1' }), hasCode('SB_ERR_SYSTEM_REQUEST_INVALID'))
    await assert.rejects(stream(c, { method: 'GET', path: '/a', headers: { 'x-bad': 'v\r\nX: 1' } }), hasCode('SB_ERR_SYSTEM_REQUEST_INVALID'))
    await assert.rejects(stream(c, { method: 'GET /evil HTTP/1.1\r\n', path: '/a' }), hasCode('SB_ERR_SYSTEM_REQUEST_INVALID'))
    assert.equal(server.received.length, hits)
    assert.deepEqual(c.breaker.windowStats(), { requests: 0, failures: 0 })
  })

  it('publishes each call on switchboard:system:call, as request() does', async () => {
    const seen: SystemCallMessage[] = []
    const listener = (m: unknown): void => {
      if ((m as SystemCallMessage).system === 'sdiag') seen.push(m as SystemCallMessage)
    }
    diagnostics.subscribe(SYSTEM_CALL_CHANNEL, listener)
    try {
      const c = client({ baseUrl: server.url }, 'sdiag')
      await stream(c, { method: 'GET', path: '/ok' })
      await stream(c, { method: 'DELETE', path: '/fail' })
      await assert.rejects(stream(c, { method: 'GET', path: 'bad' }))
    } finally {
      diagnostics.unsubscribe(SYSTEM_CALL_CHANNEL, listener)
    }
    assert.deepEqual(
      seen.map((m) => [m.method, m.statusCode, m.errorCode, m.baseUrl]),
      [
        ['GET', 200, null, server.url],
        ['DELETE', 503, null, server.url],
        ['GET', null, 'SB_ERR_SYSTEM_REQUEST_INVALID', null],
      ],
    )
  })

  it('fails fast on an open circuit or an empty outbound bucket, calling nothing', async () => {
    const limited = client({ baseUrl: server.url, rateLimit: { perSecond: 0.5, burst: 1 } })
    await stream(limited, { method: 'GET', path: '/1' })
    await assert.rejects(stream(limited, { method: 'GET', path: '/2' }), (err: unknown) => err instanceof RetryAfterError && err.code === 'SB_ERR_SYSTEM_RATE_LIMITED')

    const c = client({ baseUrl: server.url, circuitBreaker: { minRequests: 1, failureRate: 0.5, window: '30s', cooldown: '30s' } })
    await stream(c, { method: 'GET', path: '/fail' })
    const hits = server.received.length
    await assert.rejects(stream(c, { method: 'GET', path: '/ok' }), (err: unknown) => err instanceof CircuitOpenError)
    assert.equal(server.received.length, hits)
  })
})

describe('SystemClient.stream: failures', () => {
  let hanging: TestServer
  before(async () => {
    hanging = await startServer((req, res) => {
      if (req.url === '/stall-body') {
        res.writeHead(200, { 'content-length': '100' })
        res.write('partial')
      }
      // otherwise never answer
    })
  })
  after(() => hanging.close())

  it('times out before the head with SB_ERR_SYSTEM_TIMEOUT (504), counted once, sink untouched', async () => {
    const c = client({ baseUrl: hanging.url, timeout: '150ms' })
    const sink = new Collector()
    await assert.rejects(c.stream({ method: 'GET', path: '/never' }, sink), (err: unknown) => hasCode('SB_ERR_SYSTEM_TIMEOUT')(err) && (err as SwitchboardError).status === 504)
    assert.deepEqual(sink.events, [])
    assert.deepEqual(c.breaker.windowStats(), { requests: 1, failures: 1 })
  })

  it('a per-call timeoutMs overrides the system timeout', async () => {
    const c = client({ baseUrl: hanging.url, timeout: '60s' })
    await assert.rejects(stream(c, { method: 'GET', path: '/never', timeoutMs: 100 }), hasCode('SB_ERR_SYSTEM_TIMEOUT'))
  })

  it('the total timeout also covers the body; the head already counted as a success', async () => {
    const c = client({ baseUrl: hanging.url, timeout: '200ms' })
    const sink = new Collector()
    await assert.rejects(c.stream({ method: 'GET', path: '/stall-body' }, sink), hasCode('SB_ERR_SYSTEM_TIMEOUT'))
    assert.deepEqual(sink.events, ['head', 'data'])
    assert.deepEqual(c.breaker.windowStats(), { requests: 1, failures: 0 })
  })

  it('a caller abort rejects with the caller’s reason and does not count against the system', async () => {
    const c = client({ baseUrl: hanging.url })
    const ac = new AbortController()
    const pending = stream(c, { method: 'GET', path: '/never', signal: ac.signal })
    setTimeout(() => ac.abort(new Error('client went away')), 20)
    await assert.rejects(pending, /client went away/)
    await assert.rejects(stream(c, { method: 'GET', path: '/never', signal: AbortSignal.abort(new Error('already')) }), /already/)
    assert.deepEqual(c.breaker.windowStats(), { requests: 0, failures: 0 })
  })

  it('a sink abort mid-body rejects with the sink’s reason and closes the upstream connection', async () => {
    const c = client({ baseUrl: hanging.url })
    const sink = new Collector()
    const closed = new Promise<void>((resolve) => hanging.server.once('request', (req) => req.socket.once('close', () => resolve())))
    const pending = c.stream({ method: 'GET', path: '/stall-body' }, sink)
    while (sink.chunks.length === 0) await tick()
    const reason = new Error('reader left')
    sink.control!.abort(reason)
    await assert.rejects(pending, (err: unknown) => err === reason)
    await closed
    assert.deepEqual(c.breaker.windowStats(), { requests: 1, failures: 0 })
  })

  it('a sink that throws rejects the call with its own error, never as the system’s fault', async () => {
    const server = await startServer((_req, res) => res.end('fine'))
    try {
      const c = client({ baseUrl: server.url })
      const bug = new Error('sink bug')
      const sink = new Collector()
      sink.onHead = () => {
        throw bug
      }
      await assert.rejects(c.stream({ method: 'GET', path: '/' }, sink), (err: unknown) => err === bug)
      const late = new Collector()
      late.onEnd = () => {
        throw bug
      }
      await assert.rejects(c.stream({ method: 'GET', path: '/' }, late), (err: unknown) => err === bug)
      assert.deepEqual(c.breaker.windowStats(), { requests: 2, failures: 0 })
    } finally {
      await server.close()
    }
  })
})

describe('SystemClient.stream: several base URLs', () => {
  let up: TestServer
  let dead: string
  before(async () => {
    up = await startServer((req, res) => res.end(`up:${req.body}`))
    dead = `http://127.0.0.1:${await deadPort()}`
  })
  after(() => up.close())

  it('sends a replayable call to the next base URL when a connection is refused', async () => {
    const c = client({ baseUrl: [dead, up.url] })
    for (let i = 0; i < 4; i++) assert.equal((await stream(c, { method: 'POST', path: '/x', body: 'b' })).body, 'up:b')
    assert.equal(c.health().targets[0]!.consecutiveFailures > 0, true)
  })

  it('does not replay a stream body on another base URL', async () => {
    const c = client({ baseUrl: [dead, up.url] })
    const sent: Array<Promise<unknown>> = []
    // Round-robin: one of two calls starts at the dead URL and must fail there.
    for (let i = 0; i < 2; i++) sent.push(stream(c, { method: 'POST', path: '/x', body: Readable.from(['s']) }).then((s) => s.body, (err: unknown) => err))
    const results = await Promise.all(sent)
    assert.equal(results.filter((r) => r === 'up:s').length, 1)
    assert.equal(results.filter((r) => r instanceof SwitchboardError && r.code === 'SB_ERR_SYSTEM_UNREACHABLE').length, 1)
  })

  it('reports unreachable (502) when every base URL refuses', async () => {
    const c = client({ baseUrl: [dead] })
    await assert.rejects(stream(c, { method: 'GET', path: '/x?api_key=SECRET' }), (err: unknown) => hasCode('SB_ERR_SYSTEM_UNREACHABLE')(err) && !/SECRET/.test((err as Error).message))
    assert.deepEqual(c.breaker.windowStats(), { requests: 1, failures: 1 })
  })
})

describe('SystemClient.stream: OAuth2', () => {
  let idp: TestServer
  let api: TestServer
  let revoked = new Set<string>()
  before(async () => {
    idp = await startServer((_req, res) => json(res, 200, { access_token: `t${idp.received.length}`, token_type: 'Bearer', expires_in: 3600 }))
    api = await startServer((req, res) => {
      const auth = req.headers.authorization ?? ''
      res.statusCode = revoked.has(auth) ? 401 : 200
      res.end(revoked.has(auth) ? 'revoked' : `${auth}|${req.body}`)
    })
  })
  after(async () => {
    await idp.close()
    await api.close()
  })
  beforeEach(() => {
    idp.received.length = 0
    api.received.length = 0
    revoked = new Set()
  })
  const oauth = (): SystemClient =>
    client({ baseUrl: api.url, auth: { type: 'oauth2-client-credentials', tokenUrl: `${idp.url}/token`, clientId: 'id', clientSecret: 'secret' } }, 'oauth')

  it('on a 401 refreshes the token and retries once; the sink sees only the final answer', async () => {
    revoked.add('Bearer t1')
    const c = oauth()
    const sink = await stream(c, { method: 'POST', path: '/inv', body: '{"n":1}' })
    assert.equal(sink.status, 200)
    assert.equal(sink.body, 'Bearer t2|{"n":1}')
    assert.deepEqual(sink.events, ['head', 'data', 'end'])
    assert.equal(api.received.length, 2)
    assert.deepEqual(c.breaker.windowStats(), { requests: 1, failures: 0 }, 'one call, one outcome')
  })

  it('hands a 401 to the sink when the body is a stream (not replayable)', async () => {
    revoked.add('Bearer t1')
    const c = oauth()
    const sink = await stream(c, { method: 'POST', path: '/inv', body: Readable.from(['x']) })
    assert.equal(sink.status, 401)
    assert.equal(api.received.length, 1)
  })
})

describe('SystemClient.stream: a queued call', () => {
  it('times out while waiting for a pool connection, and is never sent afterwards', async () => {
    const waiting: Array<() => void> = []
    const server = await startServer((_req, res) => {
      waiting.push(() => res.end('late'))
    })
    try {
      const c = client({ baseUrl: server.url, pool: { connections: 1 }, timeout: '5s' })
      const first = stream(c, { method: 'GET', path: '/1' })
      while (waiting.length === 0) await tick()
      await assert.rejects(stream(c, { method: 'GET', path: '/2', timeoutMs: 100 }), hasCode('SB_ERR_SYSTEM_TIMEOUT'))
      waiting.shift()!()
      assert.equal((await first).body, 'late')
      const third = stream(c, { method: 'GET', path: '/3' })
      while (waiting.length === 0) await tick()
      waiting.shift()!()
      await third
      assert.deepEqual(
        server.received.map((r) => r.url),
        ['/1', '/3'],
        'the timed-out call was never sent',
      )
    } finally {
      await server.close()
    }
  })
})
