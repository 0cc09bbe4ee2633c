/**
 * A real failure drill over a running hub (real HTTP everywhere): an upstream system that
 * returns 500s and then recovers, a gateway route in front of it, a circuit-open alert with a
 * short `for`, and a loopback webhook channel. The breaker metric moves, `/v1/health` turns
 * failing and back to ok, the channel gets exactly one firing and one resolved notification,
 * and a restart on the same store sends nothing again — also when the restart happens while
 * the alert fires. Windows are shortened by config; waits have deadlines, no timing is asserted.
 * (A channel that is down: wiring-alert-delivery.test.ts.)
 */
import { describe, it, beforeEach, afterEach } from 'node:test'
import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { startHub, type Hub } from '../../src/runtime/hub.js'
import { memoryLogger, tempConfig, type TempConfig } from '../runtime/helpers.js'
import { parseSamples, sampleValue } from './prom-text.js'
import { flakyHubConfig, flakySystem, receiver, until, type FlakySystem, type Receiver } from './wiring-helpers.js'

const TOKEN = 'drill-admin-token-0123456789'
const SECRET = 'whsec_' + Buffer.from('drill-channel-signing-secret!!').toString('base64')

const config = (flaky: string, hook: string, alerts?: string) => `${flakyHubConfig({ store: 'sqlite:$DIR/hub.db', token: TOKEN, flaky, alerts })}channels:
  ops: { webhook: { url: "${hook}/hook", secret: "${SECRET}" } }
alerts:
  - { id: flaky-down, when: { circuitOpen: { system: flaky } }, for: 500ms, severity: critical, channels: [ops] }
`

interface Health {
  status: string
  reasons: string[]
  systems: Array<{ system: string; circuit: string }>
}

describe('failure drill: a system fails and recovers', () => {
  let flaky: FlakySystem
  let hook: Receiver
  let cfg: TempConfig
  let hub: Hub | undefined

  const admin = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${hub?.adminUrl}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } })
    assert.equal(res.status, 200, path)
    return (path === '/metrics' ? await res.text() : await res.json()) as T
  }
  const health = () => admin<Health>('/v1/health')
  const circuit = async () => (await health()).systems.find((s) => s.system === 'flaky')?.circuit
  const metric = async (name: string, labels: Record<string, string>) => sampleValue(parseSamples(await admin<string>('/metrics')), name, labels) ?? 0
  const call = async () => (await fetch(`${hub?.gatewayUrl}/things/42`)).status
  const evaluations = async () => (await admin<{ evaluation: { evaluations: number } }>('/v1/alerts')).evaluation.evaluations
  const start = async () => {
    hub = await startHub({ configFile: cfg.file, env: {}, logger: memoryLogger().logger })
  }
  /** Calls the route until the breaker reads `state` on the node. */
  const driveUntil = (state: 'open' | 'closed') =>
    until(`circuit ${state}`, async () => {
      await call()
      return (await circuit()) === state
    })
  const statuses = () => hook.received.map((r) => r.body.data.status)

  beforeEach(async () => {
    flaky = await flakySystem()
    hook = await receiver()
    cfg = await tempConfig(config(flaky.url, hook.url))
    await start()
  })
  afterEach(async () => {
    await hub?.stop()
    hub = undefined
    await flaky.close()
    await hook.close()
    await cfg.cleanup()
  })

  it('fires once after `for`, resolves once, health goes failing → ok, and a restart sends nothing again', async () => {
    assert.equal(await call(), 200)
    assert.equal((await health()).status, 'ok')
    assert.equal(await metric('switchboard_circuit_state', { system: 'flaky' }), 0)

    flaky.failing = true
    await driveUntil('open')
    assert.ok((await metric('switchboard_circuit_state', { system: 'flaky' })) > 0, 'the breaker gauge left closed')
    assert.ok((await metric('switchboard_circuit_transitions_total', { system: 'flaky', from: 'closed', to: 'open' })) >= 1)
    assert.ok((await metric('switchboard_gateway_requests_total', { route: 'get-thing', method: 'GET', status_class: '5xx', consumer: 'anonymous' })) >= 1)
    const failing = await health()
    // failing while open, degraded once the cooldown let it half-open: either way not ok.
    assert.notEqual(failing.status, 'ok')
    assert.ok(failing.reasons.some((r) => r.startsWith('system flaky: circuit')), failing.reasons.join('; '))

    await until('the firing notification', () => hook.received.length > 0)
    // More evaluations while it keeps firing: still one notification.
    const seen = await evaluations()
    await until('more evaluations', async () => (await evaluations()) >= seen + 5)
    assert.deepEqual(statuses(), ['firing'])
    const firing = hook.received[0] as Receiver['received'][number]
    assert.equal(firing.body.type, 'alert.firing')
    assert.equal(firing.body.data.key, 'flaky-down/system:flaky')
    const signed = `${String(firing.headers['webhook-id'])}.${String(firing.headers['webhook-timestamp'])}.${JSON.stringify(firing.body)}`
    const mac = createHmac('sha256', Buffer.from(SECRET.slice(6), 'base64')).update(signed).digest('base64')
    assert.equal(firing.headers['webhook-signature'], `v1,${mac}`, 'signed with the channel secret')
    const alerts = await admin<{ items: Array<{ id: string; state: string }> }>('/v1/alerts')
    assert.deepEqual(alerts.items.map((r) => [r.id, r.state]), [['flaky-down', 'firing']])

    flaky.failing = false
    await driveUntil('closed')
    await until('the resolved notification', () => hook.received.length > 1)
    await until('health back to ok', async () => (await health()).status === 'ok')
    assert.equal(await metric('switchboard_circuit_state', { system: 'flaky' }), 0)
    assert.ok((await metric('switchboard_circuit_transitions_total', { system: 'flaky', from: 'half-open', to: 'closed' })) >= 1)
    assert.deepEqual(statuses(), ['firing', 'resolved'])
    assert.notEqual(hook.received[0]?.headers['webhook-id'], hook.received[1]?.headers['webhook-id'])

    await hub?.stop()
    await start()
    await until('evaluations after the restart', async () => (await evaluations()) >= 5)
    assert.deepEqual(statuses(), ['firing', 'resolved'], 'nothing sent again after the restart')
    const after = await admin<{ items: Array<{ state: string }>; recent: Array<{ status: string }> }>('/v1/alerts')
    assert.deepEqual(after.items.map((r) => r.state), ['inactive'])
    assert.deepEqual(after.recent.map((e) => e.status), ['resolved', 'firing'], 'the history survived the restart')
  })

  it('a restart while the alert fires does not notify it again; the recovery resolves it once', async () => {
    flaky.failing = true
    await driveUntil('open')
    await until('the firing notification', () => hook.received.length > 0)
    // Stopped right away: the running evaluation records the notification as sent before the
    // node goes (graceful stop), so the state in the store says so.
    await hub?.stop()

    // Evaluated by hand after the restart, so the breaker has reopened before the first look.
    await cfg.write(config(flaky.url, hook.url, '{ interval: 1h, startDelay: 1h }'))
    await start()
    await driveUntil('open')
    assert.deepEqual(await hub?.observability.alerts.tick(), [])
    assert.deepEqual(statuses(), ['firing'])
    const state = await admin<{ items: Array<{ state: string; instances: Array<{ notified: string }> }> }>('/v1/alerts')
    assert.equal(state.items[0]?.state, 'firing')
    assert.equal(state.items[0]?.instances[0]?.notified, 'firing')

    flaky.failing = false
    await driveUntil('closed')
    await hub?.observability.alerts.tick()
    await hub?.observability.alerts.tick()
    // Queued by the evaluation; the worker delivers it.
    await until('the resolved notification', () => hook.received.length > 1)
    assert.deepEqual(statuses(), ['firing', 'resolved'])
    await until('health back to ok', async () => (await health()).status === 'ok')
  })
})
