import { describe, it, before, after, beforeEach } from 'node:test'
import assert from 'node:assert/strict'
import type { ServerResponse } from 'node:http'
import { Readable } from 'node:stream'
import { ManualClock } from '../../src/core/clock.js'
import { SwitchboardError } from '../../src/core/errors.js'
import type { SystemAuthConfig } from '../../src/config/spec/system.js'
import { Systems } from '../../src/systems/registry.js'
import { deadPort, json, startServer, type Received, type TestServer } from './servers.js'

type TokenReply = (req: Received, res: ServerResponse, n: number) => void

describe('OAuth2 client credentials', () => {
  let idp: TestServer
  let api: TestServer
  let tokenReply: TokenReply
  let tokenDelayMs = 0
  let revoked = new Set<string>()
  const open: Systems[] = []

  before(async () => {
    idp = await startServer((req, res) => {
      const n = idp.received.length
      setTimeout(() => tokenReply(req, res, n), tokenDelayMs)
    })
    api = await startServer((req, res) => {
      const auth = req.headers.authorization ?? ''
      if (revoked.has(auth)) {
        res.statusCode = 401
        res.end('revoked')
        return
      }
      res.end(auth)
    })
  })
  after(async () => {
    await Promise.all(open.map((s) => s.close()))
    await idp.close()
    await api.close()
  })
  beforeEach(() => {
    idp.received.length = 0
    api.received.length = 0
    tokenDelayMs = 0
    revoked = new Set()
    tokenReply = (_req, res, n) => json(res, 200, { access_token: `t${n}`, token_type: 'Bearer', expires_in: 3600 })
  })

  function system(auth: Partial<Extract<SystemAuthConfig, { type: 'oauth2-client-credentials' }>> = {}, clock?: ManualClock, timeout = '5s') {
    const systems = Systems.fromConfig(
      {
        inv: {
          baseUrl: api.url,
          timeout,
          auth: { type: 'oauth2-client-credentials', tokenUrl: `${idp.url}/oauth/token`, clientId: 'my client', clientSecret: 's3cr:et', ...auth },
        },
      },
      { clock },
    )
    open.push(systems)
    return systems.get('inv')
  }

  async function call(c: ReturnType<typeof system>, body?: string | Readable): Promise<{ status: number; text: string }> {
    const res = await c.request({ method: body === undefined ? 'GET' : 'POST', path: '/invoices', body })
    return { status: res.statusCode, text: await res.body.text() }
  }

  it('fetches a token with HTTP Basic client authentication, scope and audience, and uses it', async () => {
    const c = system({ scope: 'invoices:write read', audience: 'https://api.example' })
    assert.deepEqual(await call(c), { status: 200, text: 'Bearer t1' })
    const tokenRequest = idp.received[0]!
    assert.equal(tokenRequest.method, 'POST')
    assert.equal(tokenRequest.url, '/oauth/token')
    assert.equal(tokenRequest.headers['content-type'], 'application/x-www-form-urlencoded')
    // RFC 6749 §2.3.1: id and secret are form-encoded, then used as Basic user and password.
    assert.equal(tokenRequest.headers.authorization, `Basic ${Buffer.from('my+client:s3cr%3Aet').toString('base64')}`)
    const form = new URLSearchParams(tokenRequest.body)
    assert.equal(form.get('grant_type'), 'client_credentials')
    assert.equal(form.get('scope'), 'invoices:write read')
    assert.equal(form.get('audience'), 'https://api.example')
    assert.equal(form.get('client_secret'), null, 'the secret is not repeated in the body')
  })

  it('clientAuth: body sends client_id and client_secret as form fields instead', async () => {
    const c = system({ clientAuth: 'body' })
    await call(c)
    const tokenRequest = idp.received[0]!
    assert.equal(tokenRequest.headers.authorization, undefined)
    const form = new URLSearchParams(tokenRequest.body)
    assert.equal(form.get('client_id'), 'my client')
    assert.equal(form.get('client_secret'), 's3cr:et')
  })

  it('caches the token across calls', async () => {
    const c = system()
    for (let i = 0; i < 5; i++) assert.equal((await call(c)).text, 'Bearer t1')
    assert.equal(idp.received.length, 1)
  })

  it('makes exactly one token request for 20 concurrent calls', async () => {
    tokenDelayMs = 50
    const c = system()
    const results = await Promise.all(Array.from({ length: 20 }, () => call(c)))
    assert.ok(results.every((r) => r.status === 200 && r.text === 'Bearer t1'))
    assert.equal(idp.received.length, 1)
  })

  it('refreshes shortly before expiry (min(30s, 10% of the lifetime))', async () => {
    const clock = new ManualClock()
    tokenReply = (_req, res, n) => json(res, 200, { access_token: `t${n}`, token_type: 'bearer', expires_in: 100 })
    const c = system({}, clock)
    assert.equal((await call(c)).text, 'Bearer t1')
    clock.advance(89_000)
    assert.equal((await call(c)).text, 'Bearer t1')
    assert.equal(idp.received.length, 1)
    clock.advance(2_000) // 91 s: inside the 10 s margin
    assert.equal((await call(c)).text, 'Bearer t2')
    assert.equal(idp.received.length, 2)
  })

  it('keeps using a still-valid token when a refresh fails', async () => {
    const clock = new ManualClock()
    tokenReply = (_req, res, n) => (n === 1 ? json(res, 200, { access_token: 't1', expires_in: 100 }) : json(res, 503, { error: 'temporarily_unavailable' }))
    const c = system({}, clock)
    await call(c)
    clock.advance(95_000)
    assert.deepEqual(await call(c), { status: 200, text: 'Bearer t1' })
    assert.equal(idp.received.length, 2)
    await call(c)
    assert.equal(idp.received.length, 2, 'no new attempt within the back-off')
    clock.advance(10_000) // expired now
    await assert.rejects(call(c), (err: unknown) => err instanceof SwitchboardError && err.code === 'SB_ERR_SYSTEM_AUTH_FAILED')
  })

  it('on a 401 invalidates the token, refreshes once and retries the call once', async () => {
    revoked.add('Bearer t1')
    const c = system()
    assert.deepEqual(await call(c, '{"amount":1}'), { status: 200, text: 'Bearer t2' })
    assert.equal(idp.received.length, 2)
    assert.deepEqual(
      api.received.map((r) => [r.headers.authorization, r.body]),
      [
        ['Bearer t1', '{"amount":1}'],
        ['Bearer t2', '{"amount":1}'],
      ],
    )
  })

  it('retries at most once: a second 401 is returned to the caller', async () => {
    tokenReply = (_req, res) => json(res, 200, { access_token: 'same', expires_in: 3600 })
    revoked.add('Bearer same')
    const c = system()
    assert.equal((await call(c)).status, 401)
    assert.equal(api.received.length, 2)
    assert.equal(idp.received.length, 2)
  })

  it('does not retry a 401 when the body is a stream (not replayable)', async () => {
    revoked.add('Bearer t1')
    const c = system()
    assert.equal((await call(c, Readable.from(['x']))).status, 401)
    assert.equal(api.received.length, 1)
    assert.equal(idp.received.length, 1)
  })

  it('maps a token endpoint that is down to SB_ERR_SYSTEM_AUTH_FAILED (502) without calling the system', async () => {
    const port = await deadPort()
    const c = system({ tokenUrl: `http://127.0.0.1:${port}/token` })
    await assert.rejects(call(c), (err: unknown) => {
      assert.ok(err instanceof SwitchboardError)
      assert.equal(err.code, 'SB_ERR_SYSTEM_AUTH_FAILED')
      assert.equal(err.status, 502)
      return true
    })
    assert.equal(api.received.length, 0)
    assert.deepEqual(c.breaker.windowStats(), { requests: 0, failures: 0 }, 'the identity provider is not the system')
  })

  it('maps token endpoint errors to SB_ERR_SYSTEM_AUTH_FAILED, naming the OAuth error but never the secret', async () => {
    const cases: Array<[TokenReply, RegExp]> = [
      [(_q, res) => json(res, 401, { error: 'invalid_client', error_description: 'bad secret s3cr:et' }), /answered 401: invalid_client/],
      [(_q, res) => res.end('not json'), /no valid access_token/],
      [(_q, res) => json(res, 200, { token_type: 'bearer' }), /no valid access_token/],
      [(_q, res) => json(res, 200, { access_token: 'a\r\nX-Injected: 1' }), /no valid access_token/],
      [(_q, res) => json(res, 200, { access_token: 'a', token_type: 'mac' }), /unsupported token_type/],
      [(_q, res) => json(res, 200, { access_token: 'x'.repeat(70_000) }), /larger than/],
    ]
    for (const [reply, message] of cases) {
      tokenReply = reply
      const c = system()
      await assert.rejects(call(c), (err: unknown) => {
        assert.ok(err instanceof SwitchboardError)
        assert.equal(err.code, 'SB_ERR_SYSTEM_AUTH_FAILED')
        assert.match(err.message, message)
        assert.doesNotMatch(err.message, /s3cr/)
        return true
      })
    }
    assert.equal(api.received.length, 0)
  })

  it('a slow token endpoint counts against the call’s total timeout', async () => {
    tokenDelayMs = 2_000
    const c = system({}, undefined, '150ms')
    await assert.rejects(call(c), (err: unknown) => err instanceof SwitchboardError && err.code === 'SB_ERR_SYSTEM_TIMEOUT')
    assert.equal(api.received.length, 0)
    assert.deepEqual(c.breaker.windowStats(), { requests: 0, failures: 0 }, 'the system was never called')
  })
})
