/**
 * `switchboard status` and `switchboard alerts` against a running hub: readable output, exit
 * codes for scripts (0 ok, 3 degraded, 4 failing, 1 when the status cannot be read), JSON output,
 * and the alert list and history.
 */
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startHub, type Hub } from '../../src/runtime/hub.js'
import { runCli } from '../cli/run.js'
import { memoryLogger, tempConfig, type TempConfig } from '../runtime/helpers.js'

const TOKEN = 'cli-admin-token-0123456789'

const CONFIG = `
version: 1
store: sqlite:$DIR/hub.db
listen: { admin: 0, gateway: 0 }
admin: { token: "${TOKEN}" }
observe:
  alerts: { startDelay: 1h }
systems:
  erp:
    mock:
      responses:
        - { method: GET, path: /orders/:id, template: '{ "id": params.id }' }
routes:
  - { id: get-order, get: /v1/orders/:id, proxy: { system: erp, path: /orders/:id } }
channels:
  ops: { webhook: { url: http://127.0.0.1:9/hook } }
alerts:
  - { id: orders-5xx, description: Orders answer errors, when: { routeErrorRate: { route: get-order, above: 0.4, window: 1m } }, severity: critical, channels: [ops] }
`

describe('switchboard status and alerts', () => {
  let cfg: TempConfig
  let hub: Hub
  let env: Record<string, string>
  /** The notifications queued on channel `ops`'s internal topic, as [alert, status]. */
  const queued = async () =>
    (await hub.store.events.list({ topic: 'switchboard.alerts.ops' })).map((e) => {
      const data = (e.body as { data: { alert: string; status: string } }).data
      return [data.alert, data.status]
    })
  const requests = (statusClass: '2xx' | '5xx', n: number) => {
    for (let i = 0; i < n; i++) hub.observability.health.recordGatewayRequest({ route: 'get-order', method: 'GET', statusClass, consumer: 'anonymous', durationMs: 4 })
  }

  before(async () => {
    cfg = await tempConfig(CONFIG)
    hub = await startHub({ configFile: cfg.file, env: {}, logger: memoryLogger().logger })
    env = { SWITCHBOARD_URL: hub.adminUrl, SWITCHBOARD_ADMIN_TOKEN: TOKEN }
    assert.equal((await fetch(`${hub.gatewayUrl}/v1/orders/1`)).status, 200)
  })
  after(async () => {
    await hub.stop()
    await cfg.cleanup()
  })

  it('status: exit 0 and a readable summary when everything is ok', async () => {
    const r = await runCli(['status'], env)
    assert.equal(r.code, 0, r.err)
    assert.match(r.out, /^status: OK \(last 5m, at \S+\)\n/)
    assert.match(r.out, /^SYSTEMS\nNAME +STATUS +CIRCUIT/m)
    assert.match(r.out, /^erp +ok +closed +1 +0 +100%/m)
    assert.match(r.out, /^get-order +ok +1 +0 +0%/m)
  })

  it('status: exit 3 when degraded, 4 when failing, with the reasons', async () => {
    requests('2xx', 9)
    requests('5xx', 1)
    const degraded = await runCli(['status'], env)
    assert.equal(degraded.code, 3, degraded.out)
    assert.match(degraded.out, /^status: DEGRADED/)
    assert.match(degraded.out, /^ {2}- route get-order: 5xx rate 9\.1% \(1 of 11\)$/m)
    requests('5xx', 10)
    const failing = await runCli(['status', '--json'], env)
    assert.equal(failing.code, 4)
    const body = JSON.parse(failing.out) as { status: string; reasons: string[] }
    assert.equal(body.status, 'failing')
    assert.ok(body.reasons.some((x) => x.startsWith('route get-order: 5xx rate')))
  })

  it('status: exit 1 with the documented fix when the status cannot be read', async () => {
    const bad = await runCli(['status'], { ...env, SWITCHBOARD_ADMIN_TOKEN: 'wrong-token-0000000000' })
    assert.equal(bad.code, 1)
    assert.match(bad.err, /SB_ERR_ADMIN_UNAUTHORIZED/)
    const down = await runCli(['status', '--url', 'http://127.0.0.1:9'], env)
    assert.equal(down.code, 1)
    assert.match(down.err, /cannot reach the admin API/)
  })

  it('alerts: lists rules with their state and firing instances; history lists the transitions', async () => {
    const before = await runCli(['alerts'], env)
    assert.equal(before.code, 0, before.err)
    assert.match(before.out, /^alert evaluation: every 15s by this node; last not yet\n/)
    assert.match(before.out, /^orders-5xx +inactive +critical +routeErrorRate +- +- +ops$/m)

    await hub.observability.alerts.tick()
    assert.deepEqual(await queued(), [['orders-5xx', 'firing']])
    const list = await runCli(['alerts', 'list'], env)
    assert.equal(list.code, 0, list.err)
    assert.match(list.out, /^orders-5xx +firing +critical +routeErrorRate +- +1 firing +ops$/m)
    assert.match(list.out, /^orders-5xx\/route:get-order +firing +\S+ +route get-order: 5xx rate/m)

    const history = await runCli(['alerts', 'history', '--limit', '5'], env)
    assert.equal(history.code, 0, history.err)
    assert.match(history.out, /^ID +AT +ALERT +SUBJECT +STATUS +SUMMARY\n\d+ +\S+ +orders-5xx +route get-order +firing +route get-order/m)
    const json = JSON.parse((await runCli(['alerts', 'history', '--json', '--alert', 'orders-5xx'], env)).out) as { items: unknown[]; next: null }
    assert.equal(json.items.length, 1)
    assert.equal((await runCli(['alerts', 'history', '--limit', '0'], env)).code, 2, 'usage error')
  })
})
