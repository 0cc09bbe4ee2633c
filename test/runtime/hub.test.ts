import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:net'
import { startHub, type Hub } from '../../src/runtime/hub.js'
import { isSwitchboardError } from '../../src/core/errors.js'
import { captureStderr, memoryLogger, tempConfig, tokenFromBanner, type TempConfig } from './helpers.js'

const CONFIG = `
version: 1
store: sqlite:$DIR/data/hub.db
listen: { admin: 0, gateway: 0 }
systems:
  crm:
    owner: sales
    mock:
      responses:
        - { method: POST, path: /contacts, status: 201, template: '{ "email": body.email }' }
        - { method: GET, path: /health, body: { up: true } }
  erp:
    baseUrl: https://erp.example.com
consumers:
  partner-acme: { scopes: [orders:read] }
  old-partner: { scopes: [] }
routes:
  - { id: status, get: /status, proxy: { system: crm, path: /health } }
`

async function getJson(url: string, token?: string): Promise<{ status: number; body: Record<string, unknown>; type: string }> {
  const res = await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {})
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: (await res.json()) as Record<string, unknown> }
}

describe('startHub', () => {
  let cfg: TempConfig
  let hub: Hub | undefined
  let token: string
  before(async () => {
    cfg = await tempConfig(CONFIG)
  })
  after(async () => {
    await hub?.stop()
    await cfg.cleanup()
  })

  it('starts on a fresh store, prints a generated admin token once, and serves the admin API over HTTP', async () => {
    const err = captureStderr()
    const { logger, lines } = memoryLogger()
    hub = await startHub({ configFile: cfg.file, env: {}, stderr: err.stderr, logger })
    token = tokenFromBanner(err.text()) ?? ''
    assert.ok(token, 'the banner shows the token')
    assert.equal(err.text().split(token).length - 1 >= 1, true)
    assert.equal(hub.adminTokenSource, 'generated')

    assert.deepEqual((await getJson(`${hub.adminUrl}/healthz`)).body, { status: 'ok' })
    assert.equal((await getJson(`${hub.adminUrl}/v1/config`)).status, 401)
    const config = await getJson(`${hub.adminUrl}/v1/config`, token)
    assert.equal(config.status, 200)
    assert.ok(!JSON.stringify(lines()).includes(token), 'the token is never logged')
    const summary = lines().find((l) => String(l.msg).startsWith('switchboard started'))
    assert.ok(summary, 'a start-up summary is logged')
    assert.equal(summary.admin, hub.adminUrl)
    assert.equal(summary.systems, 2)
    assert.equal(summary.consumers, 2)
    assert.equal(summary.routes, 1)
    assert.equal(summary.servedRoutes, 1)
    assert.equal(summary.gateway, hub.gatewayUrl)
    assert.match(String(summary.msg), /1 route,/)
  })

  it('starts mocks and exposes their URLs as effective base URLs', async () => {
    assert.ok(hub)
    const crmUrl = hub.effectiveBaseUrls.get('crm')?.[0]
    assert.match(crmUrl ?? '', /^http:\/\/127\.0\.0\.1:\d+$/)
    assert.deepEqual(hub.effectiveBaseUrls.get('erp'), ['https://erp.example.com'])
    const res = await fetch(`${crmUrl}/contacts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'a@b.c' }) })
    assert.equal(res.status, 201)
    const systems = await getJson(`${hub.adminUrl}/v1/systems`, token)
    assert.deepEqual((systems.body.items as Array<{ name: string; baseUrls: string[] }>).find((s) => s.name === 'crm')?.baseUrls, [crmUrl])
    const seen = await getJson(`${hub.adminUrl}/v1/systems/crm/mock/requests`, token)
    assert.deepEqual((seen.body.items as Array<{ body: unknown }>)[0]?.body, { email: 'a@b.c' })
  })

  it('the gateway serves the configured routes; anything else is a 404 problem', async () => {
    assert.ok(hub?.gatewayUrl)
    assert.deepEqual(hub.gateway?.routes.map((r) => r.id), ['status'])
    const ok = await getJson(`${hub.gatewayUrl}/status`)
    assert.equal(ok.status, 200)
    assert.deepEqual(ok.body, { up: true })
    const res = await getJson(`${hub.gatewayUrl}/v1/orders/1`)
    assert.equal(res.status, 404)
    assert.match(res.type, /^application\/problem\+json/)
    assert.equal(res.body.code, 'SB_ERR_GATEWAY_NO_ROUTE')
  })

  it('syncs consumers and records the first revision with a config.applied audit entry', async () => {
    assert.ok(hub)
    assert.deepEqual((await hub.store.consumers.list()).map((c) => [c.name, c.source, c.scopes]), [
      ['old-partner', 'config', []],
      ['partner-acme', 'config', ['orders:read']],
    ])
    const revs = await hub.store.revisions.list()
    assert.equal(revs.length, 1)
    assert.equal(revs[0]?.hash, hub.config.hash)
    const applied = await hub.store.audit.list({ action: 'config.applied' })
    assert.equal(applied.length, 1)
    assert.equal(applied[0]?.details?.revision, revs[0]?.id)
  })

  it('stop() resolves, closes the listeners, and closes the store', async () => {
    assert.ok(hub)
    const { adminUrl, gatewayUrl, store } = hub
    const crmUrl = hub.effectiveBaseUrls.get('crm')?.[0]
    await hub.stop()
    await hub.stop() // idempotent
    hub = undefined
    await assert.rejects(store.ping())
    await assert.rejects(fetch(`${adminUrl}/healthz`))
    await assert.rejects(fetch(`${gatewayUrl}/status`))
    await assert.rejects(fetch(`${crmUrl}/contacts`))
  })

  it('on a later start: no new token is printed, the old one still works, an unchanged config adds no revision', async () => {
    const err = captureStderr()
    hub = await startHub({ configFile: cfg.file, env: {}, stderr: err.stderr, logger: memoryLogger().logger })
    assert.equal(err.text(), '', 'nothing printed')
    assert.equal(hub.adminTokenSource, 'stored')
    assert.equal((await getJson(`${hub.adminUrl}/v1/config`, token)).status, 200)
    assert.equal((await hub.store.revisions.list()).length, 1)
    await hub.stop()
    hub = undefined
  })

  it('records a new revision and removes consumers dropped from the config', async () => {
    await cfg.write(CONFIG.replace('  old-partner: { scopes: [] }\n', '').replace('[orders:read]', '[orders:read, orders:write]'))
    hub = await startHub({ configFile: cfg.file, env: {}, stderr: captureStderr().stderr, logger: memoryLogger().logger })
    const revs = await hub.store.revisions.list()
    assert.equal(revs.length, 2)
    assert.equal(revs[0]?.hash, hub.config.hash)
    assert.deepEqual((await hub.store.consumers.list()).map((c) => [c.name, c.scopes]), [['partner-acme', ['orders:read', 'orders:write']]])
    assert.equal((await hub.store.audit.list({ action: 'consumer.removed', target: 'old-partner' })).length, 1)
    assert.equal((await hub.store.audit.list({ action: 'consumer.updated', target: 'partner-acme' })).length, 1)
    assert.equal((await hub.store.audit.list({ action: 'config.applied' })).length, 2)
    await hub.stop()
    hub = undefined
  })
})

describe('startHub refusals', () => {
  let cfg: TempConfig
  before(async () => {
    cfg = await tempConfig(CONFIG)
  })
  after(() => cfg.cleanup())

  it('refuses production mode without an admin token', async () => {
    await cfg.write(CONFIG.replace('version: 1', 'version: 1\nmode: production'))
    const err = captureStderr()
    await assert.rejects(
      startHub({ configFile: cfg.file, env: {}, stderr: err.stderr, logger: memoryLogger().logger }),
      (e: unknown) => isSwitchboardError(e) && e.code === 'SB_ERR_ADMIN_TOKEN_REQUIRED',
    )
    assert.equal(err.text(), '', 'no token generated or printed')
    // With one from the environment it starts.
    const hub = await startHub({ configFile: cfg.file, env: { SWITCHBOARD_ADMIN_TOKEN: 'prod-token-0123456789abcdef' }, logger: memoryLogger().logger })
    assert.equal(hub.adminTokenSource, 'env')
    assert.equal((await fetch(`${hub.adminUrl}/v1/config`, { headers: { authorization: 'Bearer prod-token-0123456789abcdef' } })).status, 200)
    await hub.stop()
  })

  it('refuses an invalid config with the same issues validate prints', async () => {
    await cfg.write(CONFIG.replace('owner: sales', 'owner: sales\n    timout: 5s'))
    await assert.rejects(startHub({ configFile: cfg.file, env: {}, logger: memoryLogger().logger }), (e: unknown) => {
      assert.ok(isSwitchboardError(e))
      assert.equal(e.code, 'SB_ERR_CONFIG_INVALID')
      assert.match(e.message, /switchboard\.yaml:\d+:\d+ systems\.crm/)
      return true
    })
  })

  it('fails with SB_ERR_HTTP_LISTEN_FAILED when the admin port is taken, and releases what it started', async () => {
    await cfg.write(CONFIG)
    const blocker: Server = createServer()
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
    const port = (blocker.address() as { port: number }).port
    try {
      await assert.rejects(
        startHub({ configFile: cfg.file, env: {}, listen: { admin: port }, stderr: captureStderr().stderr, logger: memoryLogger().logger }),
        (e: unknown) => isSwitchboardError(e) && e.code === 'SB_ERR_HTTP_LISTEN_FAILED' && e.message.includes(String(port)),
      )
    } finally {
      blocker.close()
    }
    // The store was closed: a new hub can open it and start.
    const hub = await startHub({ configFile: cfg.file, env: {}, stderr: captureStderr().stderr, logger: memoryLogger().logger })
    await hub.stop()
  })

  it('fails with SB_ERR_HTTP_LISTEN_FAILED when the gateway port is taken, and releases the admin port and the store', async () => {
    await cfg.write(CONFIG)
    const blocker: Server = createServer()
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
    const port = (blocker.address() as { port: number }).port
    try {
      await assert.rejects(
        startHub({ configFile: cfg.file, env: {}, listen: { gateway: port }, stderr: captureStderr().stderr, logger: memoryLogger().logger }),
        (e: unknown) => isSwitchboardError(e) && e.code === 'SB_ERR_HTTP_LISTEN_FAILED' && e.message.includes(`gateway cannot listen on 127.0.0.1:${port}`),
      )
    } finally {
      blocker.close()
    }
    const hub = await startHub({ configFile: cfg.file, env: {}, stderr: captureStderr().stderr, logger: memoryLogger().logger })
    await hub.stop()
  })

  it('the worker role has no gateway listener, but its systems layer and admin API run', async () => {
    const { logger, lines } = memoryLogger()
    const hub = await startHub({ configFile: cfg.file, role: 'worker', env: {}, stderr: captureStderr().stderr, logger })
    try {
      assert.equal(hub.gatewayUrl, undefined)
      assert.equal(hub.gateway, undefined)
      assert.deepEqual(hub.systems.names(), ['crm', 'erp'])
      assert.equal((await fetch(`${hub.adminUrl}/healthz`)).status, 200)
      const summary = lines().find((l) => String(l.msg).startsWith('switchboard started'))
      assert.equal(summary?.servedRoutes, 0)
      assert.match(String(summary?.msg), /not served: no gateway on this node/)
    } finally {
      await hub.stop()
    }
  })
})
