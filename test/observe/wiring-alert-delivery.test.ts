/**
 * Alert notifications through the flows' durable delivery, over a running hub (real SQLite
 * store, real loopback channel receivers): a channel that refuses connections or answers 5xx
 * when the alert fires still gets the notification once it recovers — exactly once, with one
 * `webhook-id` over every attempt, signed with the channel secret — also across a restart, and
 * from a gateway-only node whose notifications a worker node delivers; a Slack channel gets the
 * Slack payload; a notification the channel refuses lands in the DLQ, with the URL's path
 * redacted, and replays; nobody outside publishes into a channel's topic.
 */
import { describe, it, beforeEach, afterEach } from 'node:test'
import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import type { DeliveryRecord } from '../../src/store/contract.js'
import { startHub, type Hub, type Role } from '../../src/runtime/hub.js'
import { runCli } from '../cli/run.js'
import { memoryLogger, tempConfig, type TempConfig } from '../runtime/helpers.js'
import { flakyHubConfig, flakySystem, receiver, until, type FlakySystem, type Receiver, type Received } from './wiring-helpers.js'

const TOKEN = 'alert-delivery-admin-token-0123'
const SECRET = 'whsec_' + Buffer.from('alert-delivery-signing-secret!').toString('base64')
const OPS = 'switchboard.alerts.ops'
const CHAT = 'switchboard.alerts.chat'
/** Fast retries so a test waits milliseconds, not the default minutes. */
const RETRY = '{ initial: 100ms, max: 200ms, attempts: 100 }'

const config = (flaky: string, hook: string, slack: string) => `${flakyHubConfig({ store: 'sqlite:$DIR/hub.db', token: TOKEN, flaky })}channels:
  ops:
    webhook: { url: "${hook}/hooks/ops?team=a", secret: "${SECRET}", headers: { X-Team: ops, Content-Type: text/plain }, retry: ${RETRY} }
  chat:
    slack: { url: "${slack}/services/T0/B0/s3cr3t-token", channel: "#ops", username: switchboard, retry: ${RETRY} }
alerts:
  - { id: flaky-down, when: { circuitOpen: { system: flaky } }, for: 200ms, severity: critical, channels: [ops, chat] }
`

/** What a receiver holding the secret checks (Standard Webhooks). */
function verifies(r: Received): boolean {
  const signed = `${String(r.headers['webhook-id'])}.${String(r.headers['webhook-timestamp'])}.${r.text}`
  const mac = createHmac('sha256', Buffer.from(SECRET.slice('whsec_'.length), 'base64')).update(signed).digest('base64')
  return r.headers['webhook-signature'] === `v1,${mac}`
}

describe('alert notifications are delivered by the flows', () => {
  let flaky: FlakySystem
  let hook: Receiver
  let slack: Receiver
  let cfg: TempConfig
  let hub: Hub | undefined

  const h = () => hub as Hub
  const start = async (role: Role = 'all') => {
    hub = await startHub({ configFile: cfg.file, env: {}, role, logger: memoryLogger().logger })
  }
  const admin = async <T>(path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${h().adminUrl}${path}`, { ...init, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...init.headers } })
    return { status: res.status, body: (await res.json()) as T }
  }
  /** Opens the flaky system's circuit through the gateway, so the alert fires. */
  const fire = async () => {
    flaky.failing = true
    await until('the circuit to open', async () => {
      await fetch(`${h().gatewayUrl}/things/1`)
      return h().systems.health().find((s) => s.system === 'flaky')?.state === 'open'
    })
  }
  const deliveries = (flowId: string) => h().flows.deliveries.list({ flowId })
  const only = async (flowId: string, ok: (d: DeliveryRecord) => boolean): Promise<DeliveryRecord> =>
    until(`a delivery of ${flowId} as expected`, async () => {
      const [d, more] = await deliveries(flowId)
      return d !== undefined && more === undefined && ok(d) ? d : undefined
    })
  const events = async (topic: string) => (await h().store.events.list({ topic })).length

  beforeEach(async () => {
    flaky = await flakySystem()
    hook = await receiver()
    slack = await receiver()
    cfg = await tempConfig(config(flaky.url, hook.url, slack.url))
    await start()
  })
  afterEach(async () => {
    await hub?.stop()
    hub = undefined
    await flaky.close()
    await hook.close()
    await slack.close()
    await cfg.cleanup()
  })

  it('a channel refusing connections gets the notification once it is back: once, signed, with the Slack shape on Slack', async () => {
    await hook.down()
    await slack.down()
    await fire()
    // Accepted (durably queued) although no channel is reachable.
    await until('the notification accepted', async () => {
      const a = await admin<{ items: Array<{ instances: Array<{ notified: string }> }> }>('/v1/alerts')
      return a.body.items[0]?.instances[0]?.notified === 'firing'
    })
    const failing = await only(OPS, (d) => d.attempts >= 2)
    assert.ok(['pending', 'in_flight'].includes(failing.status), failing.status)
    assert.equal(failing.lastErrorCode, 'SB_ERR_SYSTEM_UNREACHABLE')

    await hook.up()
    await slack.up()
    await only(OPS, (d) => d.status === 'delivered')
    await only(CHAT, (d) => d.status === 'delivered')
    assert.equal(hook.received.length, 1, 'exactly once')
    assert.equal(await events(OPS), 1)

    const [r] = hook.received as [Received]
    assert.equal(r.path, '/hooks/ops?team=a')
    assert.ok(verifies(r), 'the Standard Webhooks signature verifies with the channel secret')
    assert.equal(r.headers['content-type'], 'application/json', 'a configured Content-Type does not corrupt the body framing')
    assert.equal(r.headers['x-team'], 'ops')
    assert.equal(r.headers['idempotency-key'], r.headers['webhook-id'])
    assert.equal(r.body.type, 'alert.firing')
    assert.equal(r.body.data.key, 'flaky-down/system:flaky')
    assert.match(r.body.data.id, /^flaky-down\/system:flaky@.+:firing$/)

    assert.equal(slack.received.length, 1)
    const s = slack.received[0] as Received
    const msg = s.body as unknown as { text: string; blocks: Array<{ type: string }>; channel: string; username: string }
    assert.equal(s.path, '/services/T0/B0/s3cr3t-token')
    assert.match(msg.text, /^:red_circle: \[FIRING\] flaky-down: system flaky: circuit/)
    assert.deepEqual(msg.blocks.map((b) => b.type), ['section', 'context'])
    assert.equal(msg.channel, '#ops')
    assert.equal(msg.username, 'switchboard')
    assert.equal(s.headers['webhook-signature'], undefined, 'Slack channels are not signed')
  })

  it('a channel answering 5xx is retried with the same webhook-id, each attempt signed, until it takes it once', async () => {
    hook.status = 500
    await fire()
    await until('three refused attempts', () => hook.received.length >= 3)
    hook.status = 204
    await only(OPS, (d) => d.status === 'delivered')
    assert.equal(hook.accepted().length, 1)
    assert.equal(new Set(hook.received.map((r) => r.headers['webhook-id'])).size, 1, 'one webhook-id over every attempt')
    assert.ok(hook.received.every(verifies), 'every attempt is signed afresh')
    assert.equal(await events(OPS), 1)
  })

  it('a restart between the firing and the channel’s recovery still delivers it, once, before its resolution', async () => {
    hook.status = 503
    await fire()
    await until('a refused attempt', () => hook.received.length >= 1)
    await h().stop()
    hook.status = 204
    // The new node's breaker is closed: the restored alert resolves, after the firing is delivered.
    await start()
    await until('the firing and the resolved notification', () => hook.accepted().length >= 2)
    await until('both delivered', async () => (await deliveries(OPS)).every((d) => d.status === 'delivered'))
    assert.deepEqual(hook.accepted().map((r) => r.body.data.status), ['firing', 'resolved'])
    const firing = hook.received.filter((r) => r.body.data.status === 'firing')
    assert.equal(new Set(firing.map((r) => r.headers['webhook-id'])).size, 1, 'the same delivery before and after the restart')
    assert.equal(await events(OPS), 2)
  })

  it('a gateway-only node queues the notification; a worker node on the same store delivers it', async () => {
    await h().stop()
    await start('gateway')
    await fire()
    const queued = await only(OPS, (d) => d.status === 'pending')
    assert.equal(queued.attempts, 0, 'a gateway node delivers nothing')
    assert.equal(hook.received.length, 0)
    await h().stop()
    await start('worker')
    await until('the firing notification', () => hook.accepted().some((r) => r.body.data.status === 'firing'))
    assert.equal(hook.accepted().filter((r) => r.body.data.status === 'firing').length, 1)
  })

  it('a notification the channel refuses is dead-lettered (path redacted), listed by `switchboard dlq list`, and replayed', async () => {
    slack.status = 404
    await fire()
    const dead = await only(CHAT, (d) => d.status === 'dead')
    assert.equal(dead.deadReason, 'non-retryable')
    const detail = await admin<{ delivery: { request: { path: string } } }>(`/v1/dlq/${dead.id}`)
    assert.equal(detail.status, 200)
    assert.equal(detail.body.delivery.request.path, '[redacted]')
    assert.equal(JSON.stringify(detail.body).includes('s3cr3t-token'), false, 'the Slack URL token is not kept')
    const health = await admin<{ flows: Array<{ flow: string; dlqDepth: number }> }>('/v1/health')
    assert.equal(health.body.flows.find((f) => f.flow === CHAT)?.dlqDepth, 1, 'the channel’s path shows in the health summary')

    const env = { SWITCHBOARD_URL: h().adminUrl, SWITCHBOARD_ADMIN_TOKEN: TOKEN }
    const list = await runCli(['dlq', 'list', '--flow', CHAT], env)
    assert.equal(list.code, 0, list.err)
    assert.ok(list.out.includes(dead.id), list.out)
    slack.status = 200
    const replay = await runCli(['dlq', 'replay', dead.id], env)
    assert.equal(replay.code, 0, replay.err)
    await only(CHAT, (d) => d.status === 'delivered')
    assert.equal(slack.accepted().length, 1)
  })

  it('refuses events published from outside into a channel’s topic', async () => {
    const res = await admin<{ code: string }>(`/v1/topics/${OPS}/events`, { method: 'POST', body: JSON.stringify({ text: 'spoofed alert' }) })
    assert.equal(res.status, 404)
    assert.equal(res.body.code, 'SB_ERR_EVENT_UNKNOWN_TOPIC')
    assert.equal(await events(OPS), 0)
  })
})
