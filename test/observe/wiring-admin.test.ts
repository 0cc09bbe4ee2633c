/**
 * The observability endpoints of the admin API, in process (inject): `/metrics` (token unless
 * `observe.metrics.public`), `/v1/health`, `/v1/alerts` and `/v1/alerts/history`, their
 * OpenAPI entries, and 503 on a node without observability.
 */
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import { buildAdminServer } from '../../src/admin/server.js'
import { resolveAdminToken } from '../../src/admin/token.js'
import { loadConfig } from '../../src/config/load.js'
import { ManualClock } from '../../src/core/clock.js'
import type { AlertNotification } from '../../src/observe/index.js'
import { startObservability, type Observability } from '../../src/runtime/observe.js'
import type { Store } from '../../src/store/contract.js'
import { openStore } from '../../src/store/open.js'
import { Systems } from '../../src/systems/index.js'
import { memoryLogger } from '../runtime/helpers.js'

const TOKEN = 'wiring-admin-token-0123456789'
const auth = { authorization: `Bearer ${TOKEN}` }

const CONFIG = (observe: string) => `
version: 1
admin: { token: "${TOKEN}" }
systems:
  erp: { baseUrl: http://127.0.0.1:9 }
routes:
  - { id: get-order, get: /v1/orders/:id, proxy: { system: erp, path: /orders/:id } }
channels:
  ops: { webhook: { url: http://127.0.0.1:9/hook } }
alerts:
  - { id: erp-down, description: ERP unreachable, when: { circuitOpen: { system: erp } }, for: 1m, severity: critical, channels: [ops] }
  - { id: api-5xx, when: { routeErrorRate: { above: 0.1, window: 1m } }, channels: [ops] }
${observe}
`

interface Node {
  app: FastifyInstance
  store: Store
  obs: Observability | undefined
  clock: ManualClock
  close(): Promise<void>
}

async function node(observe = '', withObservability = true, breakers = true): Promise<Node> {
  const clock = new ManualClock()
  const loaded = await loadConfig('/virtual/switchboard.yaml', { text: CONFIG(observe), env: {} })
  const store = await openStore('sqlite::memory:', { clock })
  await store.migrate()
  const systems = Systems.fromConfig(loaded.config.systems ?? {}, {})
  const token = await resolveAdminToken({ configured: loaded.config.admin?.token, env: {}, mode: 'development', settings: store.settings })
  // Without `breakers` the tracker takes circuit states from the transitions it is fed (tests drive them).
  const obs = withObservability ? startObservability({ config: loaded.config, store, ...(breakers ? { systems } : {}), clock, logger: memoryLogger().logger }) : undefined
  const app = await buildAdminServer({ store, config: () => loaded, effectiveBaseUrls: new Map(), mocks: new Map(), systems, verifyToken: token.verify, ...(obs ? { observe: obs } : {}) })
  await app.ready()
  return {
    app,
    store,
    obs,
    clock,
    close: async () => {
      await app.close()
      await obs?.stop()
      await systems.close()
      await store.close()
    },
  }
}

describe('admin API: /metrics', () => {
  let n: Node
  before(async () => {
    n = await node()
  })
  after(() => n.close())

  it('needs the admin token by default (401 problem, WWW-Authenticate)', async () => {
    const res = await n.app.inject({ method: 'GET', url: '/metrics' })
    assert.equal(res.statusCode, 401)
    assert.match(String(res.headers['content-type']), /^application\/problem\+json/)
    assert.equal(res.json().code, 'SB_ERR_ADMIN_UNAUTHORIZED')
    assert.match(String(res.headers['www-authenticate']), /Bearer/)
    assert.equal((await n.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer wrong-token-0000000000' } })).statusCode, 401)
  })

  it('answers the Prometheus text format, not JSON, with the configured names present from the start', async () => {
    const res = await n.app.inject({ method: 'GET', url: '/metrics', headers: auth })
    assert.equal(res.statusCode, 200)
    assert.equal(res.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8')
    assert.ok(!res.body.startsWith('"'), 'not a JSON string')
    assert.match(res.body, /^# TYPE switchboard_gateway_requests_total counter$/m)
    assert.match(res.body, /^switchboard_circuit_state\{system="erp"\} 0$/m)
  })

  it('is documented as text/plain and token-protected in /openapi.json', async () => {
    const doc = (await n.app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, { get: { responses: Record<string, { content?: Record<string, unknown> }>; security?: unknown[] } }> }
    const op = doc.paths['/metrics']?.get
    assert.ok(op?.responses['200']?.content?.['text/plain'])
    assert.ok(op.responses['401'], 'documents 401')
    assert.equal(op.security, undefined, 'global security applies')
  })

  it('is public with observe.metrics.public: true (and documented so)', async () => {
    const open = await node('observe: { metrics: { public: true } }')
    try {
      const res = await open.app.inject({ method: 'GET', url: '/metrics' })
      assert.equal(res.statusCode, 200)
      assert.match(res.body, /switchboard_gateway_requests_total/)
      const doc = (await open.app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, { get: { security?: unknown[]; responses: Record<string, unknown> } }> }
      assert.deepEqual(doc.paths['/metrics']?.get.security, [])
      assert.equal(doc.paths['/metrics']?.get.responses['401'], undefined)
      // Only /metrics opens: the rest still needs the token.
      assert.equal((await open.app.inject({ method: 'GET', url: '/v1/health' })).statusCode, 401)
      assert.equal((await open.app.inject({ method: 'GET', url: '/v1/alerts' })).statusCode, 401)
    } finally {
      await open.close()
    }
  })

  it('answers 503 SB_ERR_ADMIN_NOT_READY on a node without observability', async () => {
    const bare = await node('', false)
    try {
      for (const url of ['/metrics', '/v1/health']) {
        const res = await bare.app.inject({ method: 'GET', url, headers: auth })
        assert.equal(res.statusCode, 503, url)
        assert.equal(res.json().code, 'SB_ERR_ADMIN_NOT_READY')
      }
      const alerts = await bare.app.inject({ method: 'GET', url: '/v1/alerts', headers: auth })
      assert.equal(alerts.statusCode, 200)
      assert.equal(alerts.json().evaluation, null)
    } finally {
      await bare.close()
    }
  })
})

describe('admin API: /v1/health', () => {
  let n: Node
  before(async () => {
    n = await node()
  })
  after(() => n.close())

  it('needs the token', async () => {
    assert.equal((await n.app.inject({ method: 'GET', url: '/v1/health' })).statusCode, 401)
  })

  it('summarises configured entities with no traffic as ok', async () => {
    const res = await n.app.inject({ method: 'GET', url: '/v1/health', headers: auth })
    assert.equal(res.statusCode, 200)
    const h = res.json()
    assert.equal(h.status, 'ok')
    assert.deepEqual(h.reasons, [])
    assert.equal(h.windowMs, 300_000)
    assert.deepEqual(h.systems.map((s: { system: string; circuit: string }) => [s.system, s.circuit]), [['erp', 'closed']])
    assert.deepEqual(h.routes.map((r: { route: string }) => r.route), ['get-order'])
  })

  it('turns failing with a reason when figures say so', async () => {
    for (let i = 0; i < 10; i++) n.obs?.health.recordGatewayRequest({ route: 'get-order', method: 'GET', statusClass: '5xx', consumer: 'anonymous', durationMs: 3 })
    const h = (await n.app.inject({ method: 'GET', url: '/v1/health', headers: auth })).json()
    assert.equal(h.status, 'failing')
    assert.ok(h.reasons.some((r: string) => /^route get-order: 5xx rate 100%/.test(r)), h.reasons.join('; '))
  })
})

describe('admin API: /v1/alerts', () => {
  let n: Node
  const sent: AlertNotification[] = []
  before(async () => {
    n = await node('observe: { alerts: { startDelay: 1h } }', true, false)
    n.obs?.setAlertOutbox({
      commit: async (notifications, alongside) => {
        await n.store.transaction(alongside)
        sent.push(...notifications)
      },
    })
  })
  after(() => n.close())

  it('lists every rule, inactive before anything happened, and this node’s evaluation', async () => {
    const res = await n.app.inject({ method: 'GET', url: '/v1/alerts', headers: auth })
    assert.equal(res.statusCode, 200)
    const body = res.json()
    assert.deepEqual(body.items.map((r: { id: string; state: string; condition: string; forMs: number; severity: string }) => [r.id, r.state, r.condition, r.forMs, r.severity]), [
      ['erp-down', 'inactive', 'circuitOpen', 60_000, 'critical'],
      ['api-5xx', 'inactive', 'routeErrorRate', 0, 'warning'],
    ])
    assert.deepEqual(body.recent, [])
    assert.equal(body.evaluation.election, 'single')
    assert.equal(body.evaluation.evaluations, 0)
    assert.equal(body.evaluation.lastEvaluatedAt, null)
  })

  it('shows pending then firing instances and the history, paged', async () => {
    const obs = n.obs as Observability
    obs.health.recordCircuitTransition({ system: 'erp', from: 'closed', to: 'open', at: n.clock.now() })
    await obs.alerts.tick()
    let body = (await n.app.inject({ method: 'GET', url: '/v1/alerts', headers: auth })).json()
    assert.equal(body.items[0].state, 'pending')
    assert.equal(body.items[0].instances[0].key, 'erp-down/system:erp')
    n.clock.advance(60_000)
    await obs.alerts.tick()
    body = (await n.app.inject({ method: 'GET', url: '/v1/alerts', headers: auth })).json()
    assert.equal(body.items[0].state, 'firing')
    assert.equal(body.items[0].instances[0].notified, 'firing')
    assert.equal(body.evaluation.evaluating, true)
    assert.deepEqual(body.recent.map((e: { alert: string; status: string }) => [e.alert, e.status]), [['erp-down', 'firing']])
    assert.equal(sent.length, 1)

    obs.health.recordCircuitTransition({ system: 'erp', from: 'open', to: 'closed', at: n.clock.now() })
    await obs.alerts.tick()
    const page1 = (await n.app.inject({ method: 'GET', url: '/v1/alerts/history?limit=1', headers: auth })).json()
    assert.deepEqual(page1.items.map((e: { status: string }) => e.status), ['resolved'])
    assert.equal(typeof page1.next, 'number')
    const page2 = (await n.app.inject({ method: 'GET', url: `/v1/alerts/history?limit=1&before=${page1.next}`, headers: auth })).json()
    assert.deepEqual(page2.items.map((e: { status: string; subject: { kind: string; name: string } }) => [e.status, e.subject.kind, e.subject.name]), [['firing', 'system', 'erp']])
    const other = (await n.app.inject({ method: 'GET', url: '/v1/alerts/history?alert=api-5xx', headers: auth })).json()
    assert.deepEqual(other, { items: [], next: null })
  })

  it('refuses bad history queries with a 400 problem', async () => {
    for (const q of ['limit=0', 'limit=5000', 'before=abc', 'before=0', `alert=${'x'.repeat(200)}`]) {
      const res = await n.app.inject({ method: 'GET', url: `/v1/alerts/history?${q}`, headers: auth })
      assert.equal(res.statusCode, 400, q)
      assert.equal(res.json().code, 'SB_ERR_ADMIN_BAD_REQUEST')
    }
  })
})
