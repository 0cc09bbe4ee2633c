/**
 * `/metrics` on a running hub, over real HTTP: after gateway traffic to a mock system it holds
 * the request counter by route and status class, it refuses a scrape without the token, and the
 * live text passes `promtool check metrics` (Debian package `prometheus`; skipped with a reason
 * only when promtool is absent and CI is not set).
 */
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { startHub, type Hub } from '../../src/runtime/hub.js'
import { memoryLogger, tempConfig, type TempConfig } from '../runtime/helpers.js'
import { parseSamples, sampleValue } from './prom-text.js'

const TOKEN = 'metrics-admin-token-0123456789'

const CONFIG = `
version: 1
store: sqlite:$DIR/hub.db
listen: { admin: 0, gateway: 0 }
admin: { token: "${TOKEN}" }
systems:
  erp:
    mock:
      responses:
        - { method: GET, path: /orders/:id, template: '{ "id": params.id }' }
        - { method: GET, path: /broken, status: 503, body: { down: true } }
routes:
  - { id: get-order, get: /v1/orders/:id, proxy: { system: erp, path: /orders/:id } }
  - { id: broken, get: /v1/broken, proxy: { system: erp, path: /broken } }
`

const promtool = spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0
const skipPromtool = promtool || process.env.CI === 'true' ? false : 'promtool is not on PATH (Debian package `prometheus`); required when CI=true'

describe('/metrics on a running hub', () => {
  let cfg: TempConfig
  let hub: Hub
  let text = ''

  before(async () => {
    cfg = await tempConfig(CONFIG)
    hub = await startHub({ configFile: cfg.file, env: {}, logger: memoryLogger().logger })
    for (let i = 0; i < 3; i++) assert.equal((await fetch(`${hub.gatewayUrl}/v1/orders/${i}`)).status, 200)
    assert.equal((await fetch(`${hub.gatewayUrl}/v1/broken`)).status, 503)
    assert.equal((await fetch(`${hub.gatewayUrl}/no/such/route`)).status, 404)
    const res = await fetch(`${hub.adminUrl}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8')
    text = await res.text()
  })
  after(async () => {
    await hub.stop()
    await cfg.cleanup()
  })

  it('counts gateway requests by route, method, status class and consumer', () => {
    const samples = parseSamples(text)
    const req = (route: string, status_class: string) => sampleValue(samples, 'switchboard_gateway_requests_total', { route, method: 'GET', status_class, consumer: 'anonymous' })
    assert.equal(req('get-order', '2xx'), 3)
    assert.equal(req('broken', '5xx'), 1)
    assert.equal(req('(none)', '4xx'), 1, 'unrouted requests count under (none), not their path')
    assert.ok(!text.includes('/no/such/route'), 'no raw path in any label')
    assert.equal(sampleValue(samples, 'switchboard_system_calls_total', { system: 'erp', method: 'GET', outcome: 'success' }), 3)
    assert.equal(sampleValue(samples, 'switchboard_gateway_request_duration_seconds_count', { route: 'get-order', method: 'GET', status_class: '2xx' }), 3)
    assert.match(text, /^process_cpu_seconds_total /m)
  })

  it('refuses a scrape without the admin token', async () => {
    const res = await fetch(`${hub.adminUrl}/metrics`)
    assert.equal(res.status, 401)
    assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/)
    assert.ok(!(await res.text()).includes('switchboard_'), 'no metrics leak in the refusal')
  })

  it('passes promtool check metrics', { skip: skipPromtool }, () => {
    assert.ok(promtool, 'promtool must be on PATH on CI')
    const res = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 15_000 })
    assert.equal(`${res.stdout ?? ''}${res.stderr ?? ''}`.trim(), '', 'promtool reports nothing')
    assert.equal(res.status, 0)
  })
})
