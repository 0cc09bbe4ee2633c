import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import diagnostics from 'node:diagnostics_channel'
import { createApiKey } from '../../src/gateway/auth/keys.js'
import { GATEWAY_REQUEST_CHANNEL, type GatewayRequestMessage } from '../../src/gateway/index.js'
import { gatewayFor, startUpstream, type TestGateway, type Upstream } from './helpers.js'

describe('gateway diagnostics channel', () => {
  let up: Upstream
  let t: TestGateway
  let key = ''
  const seen: GatewayRequestMessage[] = []
  const listener = (m: unknown) => seen.push(m as GatewayRequestMessage)
  before(async () => {
    up = await startUpstream()
    t = await gatewayFor(
      {
        consumers: { acme: {} },
        routes: [
          { id: 'orders', get: '/orders/:id', auth: ['apiKey', 'none'], proxy: { system: 'erp' } },
          { id: 'secured', get: '/secured', auth: 'apiKey', proxy: { system: 'erp' } },
        ],
      },
      { systems: { erp: up.url } },
    )
    await t.store.consumers.upsert({ name: 'acme', source: 'config', scopes: [] })
    key = (await createApiKey(t.store, 'acme')).key
  })
  after(async () => {
    diagnostics.unsubscribe(GATEWAY_REQUEST_CHANNEL, listener)
    await t.close()
    await up.close()
  })

  it('publishes nothing (and measures nothing) without subscribers', async () => {
    await t.gateway.app.inject({ url: '/orders/1' })
    assert.equal(seen.length, 0)
  })

  it('publishes one message per completed request with bounded labels', async () => {
    diagnostics.subscribe(GATEWAY_REQUEST_CHANNEL, listener)
    await t.gateway.app.inject({ url: '/orders/1', headers: { 'x-api-key': key } })
    await t.gateway.app.inject({ url: '/orders/2' })
    await t.gateway.app.inject({ url: '/secured' })
    await t.gateway.app.inject({ url: '/no/such/route' })
    assert.equal(seen.length, 4)
    const [a, b, c, d] = seen
    assert.deepEqual({ ...a, durationMs: 0 }, { route: 'orders', method: 'GET', statusClass: '2xx', consumer: 'acme', durationMs: 0, errorCode: null })
    assert.equal(b?.consumer, 'anonymous')
    assert.deepEqual([c?.route, c?.statusClass, c?.consumer, c?.errorCode], ['secured', '4xx', 'anonymous', 'SB_ERR_AUTH_MISSING'])
    assert.deepEqual([d?.route, d?.statusClass, d?.errorCode], ['(none)', '4xx', 'SB_ERR_GATEWAY_NO_ROUTE'])
    for (const m of seen) assert.ok(typeof m.durationMs === 'number' && m.durationMs >= 0)
  })
})
