/**
 * The hub end to end over real HTTP: keys created through the admin API authenticate gateway
 * calls to a mock system; a revoked key stops working on the running gateway; a quota spent
 * before a restart stays spent after it (same SQLite file).
 */
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { startHub, type Hub } from '../../src/runtime/hub.js'
import { isSwitchboardError } from '../../src/core/errors.js'
import { captureStderr, memoryLogger, tempConfig, tokenFromBanner, type TempConfig } from './helpers.js'

const CONFIG = `
version: 1
store: sqlite:$DIR/data/hub.db
listen: { admin: 0, gateway: 0 }
systems:
  erp:
    mock:
      responses:
        - { method: GET, path: /orders/:id, template: '{ "id": params.id, "status": "open", "internalNotes": "not for partners" }' }
consumers:
  acme: { scopes: [orders:read] }
  nosy: { scopes: [] }
  metered: { scopes: [orders:read], quota: { limit: 2, per: 1d } }
routes:
  - id: get-order
    get: /v1/orders/:id
    auth: apiKey
    scopes: [orders:read]
    proxy: { system: erp, path: /orders/:id }
    response: { allow: [id, status] }
`

interface Answer {
  status: number
  type: string
  headers: Headers
  body: Record<string, unknown>
}

async function call(url: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(url, init)
  const text = await res.text()
  return { status: res.status, type: res.headers.get('content-type') ?? '', headers: res.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} }
}

describe('hub: admin-created keys on the gateway', () => {
  let cfg: TempConfig
  let hub: Hub | undefined
  let token = ''
  const admin = (path: string, init: RequestInit = {}) =>
    call(`${hub?.adminUrl}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) } })
  const order = (key: string | undefined, id = '42') => call(`${hub?.gatewayUrl}/v1/orders/${id}`, key ? { headers: { 'x-api-key': key } } : {})
  const createKey = async (consumer: string): Promise<{ id: string; key: string }> => {
    const res = await admin(`/v1/consumers/${consumer}/keys`, { method: 'POST', body: JSON.stringify({ label: 'test' }) })
    assert.equal(res.status, 201)
    return res.body as { id: string; key: string }
  }
  const start = async () => {
    const err = captureStderr()
    hub = await startHub({ configFile: cfg.file, env: {}, stderr: err.stderr, logger: memoryLogger().logger })
    token ||= tokenFromBanner(err.text()) ?? ''
    assert.ok(token)
  }

  before(async () => {
    cfg = await tempConfig(CONFIG)
    await start()
  })
  after(async () => {
    await hub?.stop()
    await cfg.cleanup()
  })

  it('serves the configured route: a key created through the admin API gets the mock’s answer, allow-listed', async () => {
    const { key } = await createKey('acme')
    const res = await order(key)
    assert.equal(res.status, 200)
    assert.deepEqual(res.body, { id: '42', status: 'open' })
    const seen = await admin('/v1/systems/erp/mock/requests')
    const hit = (seen.body.items as Array<{ path: string; headers: Record<string, string> }>)[0]
    assert.equal(hit?.path, '/orders/42')
    assert.ok(!JSON.stringify(hit).includes(key), 'the consumer’s key is not forwarded upstream')
  })

  it('refuses without a key (401), with an unknown key (401) and without the scope (403), as problem+json', async () => {
    const none = await order(undefined)
    assert.equal(none.status, 401)
    assert.match(none.type, /^application\/problem\+json/)
    assert.equal(none.body.code, 'SB_ERR_AUTH_MISSING')
    assert.equal((await order(`sbk_${'A'.repeat(43)}`)).body.code, 'SB_ERR_AUTH_INVALID_KEY')
    const nosy = await order((await createKey('nosy')).key)
    assert.equal(nosy.status, 403)
    assert.equal(nosy.body.code, 'SB_ERR_AUTH_FORBIDDEN_SCOPE')
  })

  it('an unknown path is a 404 problem from the gateway', async () => {
    const res = await call(`${hub?.gatewayUrl}/nothing/here`)
    assert.equal(res.status, 404)
    assert.equal(res.body.code, 'SB_ERR_GATEWAY_NO_ROUTE')
  })

  it('lists the route and the mock system’s closed circuit through the admin API', async () => {
    const routes = await admin('/v1/routes')
    assert.deepEqual(
      (routes.body.items as Array<Record<string, unknown>>).map((r) => [r.id, r.method, r.path, r.auth]),
      [['get-order', 'GET', '/v1/orders/:id', ['apiKey']]],
    )
    const circuit = await admin('/v1/systems/erp/circuit')
    assert.equal(circuit.status, 200)
    assert.equal(circuit.body.state, 'closed')
    assert.ok(Number(circuit.body.windowRequests) >= 1, 'the gateway’s calls went through the shared systems layer')
  })

  it('a key revoked in the store by another node is refused by the running gateway shortly after', { timeout: 20_000 }, async () => {
    const { id, key } = await createKey('acme')
    assert.equal((await order(key)).status, 200, 'the key is in the gateway’s cache')
    // Straight in the store, as another node's admin API would: only the revocation poll sees it.
    assert.equal(await hub?.store.apiKeys.revoke(id, Date.now()), true)
    let last: Answer | undefined
    for (let i = 0; i < 100; i++) {
      last = await order(key)
      if (last.status !== 200) break
      await sleep(100)
    }
    assert.equal(last?.status, 401)
    assert.equal(last?.body.code, 'SB_ERR_AUTH_REVOKED_KEY')
  })

  it('a key revoked through this node’s admin API is refused by its gateway on the very next request', async () => {
    const { id, key } = await createKey('acme')
    for (let i = 0; i < 3; i++) assert.equal((await order(key)).status, 200, 'cached as valid')
    assert.equal((await admin(`/v1/keys/${id}`, { method: 'DELETE' })).status, 204)
    const next = await order(key)
    assert.equal(next.status, 401)
    assert.equal(next.body.code, 'SB_ERR_AUTH_REVOKED_KEY')
  })

  it('a spent quota stays spent across a restart on the same store (429)', { timeout: 20_000 }, async () => {
    const { key } = await createKey('metered')
    assert.equal((await order(key)).status, 200)
    assert.equal((await order(key)).status, 200)
    const refused = await order(key)
    assert.equal(refused.status, 429)
    assert.equal(refused.body.code, 'SB_ERR_GATEWAY_QUOTA_EXCEEDED')

    await hub?.stop()
    hub = undefined
    await start()
    const after = await order(key)
    assert.equal(after.status, 429, 'the key survived the restart and the quota is still spent')
    assert.equal(after.body.code, 'SB_ERR_GATEWAY_QUOTA_EXCEEDED')
    // Other consumers are unaffected.
    assert.equal((await order((await createKey('acme')).key)).status, 200)
  })

  it('stop() closes the gateway listener too', async () => {
    assert.ok(hub?.gatewayUrl)
    const { gatewayUrl } = hub
    await hub.stop()
    hub = undefined
    await assert.rejects(fetch(`${gatewayUrl}/v1/orders/1`))
  })
})

describe('hub: gateway start-up failures', () => {
  let cfg: TempConfig
  before(async () => {
    cfg = await tempConfig(CONFIG)
  })
  after(() => cfg.cleanup())

  it('a route the gateway cannot compile fails the start naming the route, and releases everything', async () => {
    await cfg.write(CONFIG.replace("response: { allow: [id, status] }", 'request: { validate: { openapi: true } }'))
    await assert.rejects(startHub({ configFile: cfg.file, env: {}, stderr: captureStderr().stderr, logger: memoryLogger().logger }), (e: unknown) => {
      assert.ok(isSwitchboardError(e))
      assert.equal(e.code, 'SB_ERR_CONFIG_INVALID')
      assert.match(e.message, /route "get-order"/)
      return true
    })
    // The store and the mock ports were released: the fixed config starts on the same files.
    await cfg.write(CONFIG)
    const hub = await startHub({ configFile: cfg.file, env: {}, stderr: captureStderr().stderr, logger: memoryLogger().logger })
    await hub.stop()
  })
})
