import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import type { SystemConfig } from '../../src/config/spec/system.js'
import { Systems } from '../../src/systems/registry.js'
import { startServer, type Received, type TestServer } from './servers.js'

describe('static outbound auth', () => {
  let server: TestServer
  const open: Systems[] = []
  before(async () => {
    server = await startServer()
  })
  after(async () => {
    await Promise.all(open.map((s) => s.close()))
    await server.close()
  })

  async function send(config: Omit<SystemConfig, 'baseUrl'>, path = '/r', headers?: Record<string, string>): Promise<Received> {
    const systems = Systems.fromConfig({ s: { baseUrl: server.url, ...config } })
    open.push(systems)
    const res = await systems.get('s').request({ method: 'GET', path, headers })
    await res.body.dump()
    return server.received.at(-1)!
  }

  it('apiKey: sends the key in X-Api-Key by default', async () => {
    const got = await send({ auth: { type: 'apiKey', value: 'k-123' } })
    assert.equal(got.headers['x-api-key'], 'k-123')
  })

  it('apiKey: in a named header, overriding one the caller sent', async () => {
    const got = await send({ auth: { type: 'apiKey', value: 'k-123', header: 'X-Partner-Key' } }, '/r', { 'x-partner-key': 'forged' })
    assert.equal(got.headers['x-partner-key'], 'k-123')
  })

  it('apiKey: in the query, appended to an existing query, replacing a smuggled one', async () => {
    let got = await send({ auth: { type: 'apiKey', value: 'k 1&x', query: 'api_key' } })
    assert.equal(got.url, '/r?api_key=k%201%26x')
    got = await send({ auth: { type: 'apiKey', value: 'k1', query: 'api_key' } }, '/r?a=1&api_key=forged&b=2&api%5Fkey=forged2')
    assert.equal(got.url, '/r?a=1&b=2&api_key=k1')
    assert.equal(got.headers['x-api-key'], undefined)
  })

  it('bearer: sends Authorization: Bearer, overriding the caller’s', async () => {
    const got = await send({ auth: { type: 'bearer', token: 'tok-abc' } }, '/r', { Authorization: 'Bearer client-token' })
    assert.equal(got.headers.authorization, 'Bearer tok-abc')
  })

  it('basic: sends RFC 7617 credentials', async () => {
    const got = await send({ auth: { type: 'basic', username: 'svc', password: 'p:ss wörd' } })
    assert.equal(got.headers.authorization, `Basic ${Buffer.from('svc:p:ss wörd', 'utf8').toString('base64')}`)
  })

  it('none: passes the caller’s Authorization through untouched', async () => {
    const got = await send({ auth: { type: 'none' } }, '/r', { authorization: 'Bearer end-user' })
    assert.equal(got.headers.authorization, 'Bearer end-user')
  })

  it('static headers are added to every call, alongside auth', async () => {
    const got = await send({ auth: { type: 'bearer', token: 't' }, headers: { 'X-Tenant': 'acme', 'User-Agent': 'switchboard' } })
    assert.equal(got.headers['x-tenant'], 'acme')
    assert.equal(got.headers['user-agent'], 'switchboard')
    assert.equal(got.headers.authorization, 'Bearer t')
  })
})
