/**
 * The in-process HTTP alert notifier against loopback receivers: signed webhook and Slack
 * requests, bounded retries of retryable answers, no retry of a refusal, and a re-offered
 * notification not sent again to the channels that already took it.
 */
import { describe, it, before, after, beforeEach } from 'node:test'
import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { isSwitchboardError } from '../../src/core/errors.js'
import type { AlertNotification } from '../../src/observe/index.js'
import { HttpAlertNotifier } from '../../src/runtime/alert-notifier.js'

interface Received {
  path: string
  headers: IncomingMessage['headers']
  body: string
}

const SECRET = 'whsec_' + Buffer.from('alert-signing-secret-0123456789').toString('base64')

const notification = (over: Partial<AlertNotification> = {}): AlertNotification => ({
  id: 'erp-down/system:erp@2026-01-01T00:00:00.000Z:firing',
  key: 'erp-down/system:erp',
  alert: 'erp-down',
  status: 'firing',
  severity: 'critical',
  condition: 'circuitOpen',
  subject: { kind: 'system', name: 'erp' },
  summary: 'system erp: circuit open for 1m <!channel>',
  description: null,
  value: 60_000,
  threshold: 0,
  activeSince: '2026-01-01T00:00:00.000Z',
  firingSince: '2026-01-01T00:01:00.000Z',
  resolvedAt: null,
  channels: ['hook', 'slack'],
  ...over,
})

describe('HttpAlertNotifier', () => {
  let server: Server
  let base = ''
  const received: Received[] = []
  /** Status to answer per path, consumed in order; 200 once empty. */
  const plan = new Map<string, number[]>()

  before(async () => {
    server = createServer((req, res) => {
      let body = ''
      req.on('data', (c: Buffer) => (body += c.toString()))
      req.on('end', () => {
        const path = req.url ?? ''
        received.push({ path, headers: req.headers, body })
        if (path === '/hang') return // never answers
        res.statusCode = plan.get(path)?.shift() ?? 200
        res.end('ok')
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  after(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })
  beforeEach(() => {
    received.length = 0
    plan.clear()
  })

  const notifier = (opts: { attempts?: number; timeoutMs?: number } = {}) =>
    new HttpAlertNotifier({
      channels: { hook: { webhook: { url: `${base}/hook`, secret: SECRET, headers: { 'x-team': 'ops' } } }, slack: { slack: { url: `${base}/slack` } }, hang: { webhook: { url: `${base}/hang` } } },
      backoffMs: 10,
      ...opts,
    })

  it('sends a Standard-Webhooks-signed JSON webhook and an escaped Slack message', async () => {
    await notifier().notify(notification())
    const hook = received.find((r) => r.path === '/hook')
    const slack = received.find((r) => r.path === '/slack')
    assert.ok(hook && slack)
    assert.equal(hook.headers['content-type'], 'application/json')
    assert.equal(hook.headers['x-team'], 'ops')
    assert.equal(hook.headers['webhook-id'], notification().id)
    const ts = String(hook.headers['webhook-timestamp'])
    const key = Buffer.from(SECRET.slice('whsec_'.length), 'base64')
    const expected = createHmac('sha256', key).update(`${notification().id}.${ts}.${hook.body}`).digest('base64')
    assert.equal(hook.headers['webhook-signature'], `v1,${expected}`)
    const body = JSON.parse(hook.body) as { type: string; data: AlertNotification }
    assert.equal(body.type, 'alert.firing')
    assert.equal(body.data.key, 'erp-down/system:erp')
    assert.ok(!slack.body.includes('<!channel>'), 'mentions are escaped')
  })

  it('retries a 503 and a 429 and succeeds within the attempts', async () => {
    plan.set('/hook', [503, 429])
    await notifier({ attempts: 3 }).notify(notification({ channels: ['hook'] }))
    assert.equal(received.filter((r) => r.path === '/hook').length, 3)
  })

  it('gives up after the attempts, naming the channel and status, not the URL', async () => {
    plan.set('/slack', [500, 500, 500])
    await assert.rejects(notifier({ attempts: 2 }).notify(notification({ channels: ['slack'] })), (e: unknown) => {
      assert.ok(isSwitchboardError(e) && e.code === 'SB_ERR_ALERT_NOTIFY_FAILED')
      assert.match(e.message, /slack: answered 500/)
      assert.ok(!e.message.includes(base))
      return true
    })
    assert.equal(received.length, 2)
  })

  it('does not retry a refusal (4xx other than 408/425/429)', async () => {
    plan.set('/hook', [400])
    await assert.rejects(notifier({ attempts: 3 }).notify(notification({ channels: ['hook'] })), /hook: answered 400/)
    assert.equal(received.length, 1)
  })

  it('on a re-offer, sends only to the channels that did not accept it', async () => {
    const n = notifier({ attempts: 1 })
    plan.set('/slack', [502])
    await assert.rejects(n.notify(notification()), /slack: answered 502/)
    assert.deepEqual(received.map((r) => r.path).sort(), ['/hook', '/slack'])
    received.length = 0
    await n.notify(notification())
    assert.deepEqual(received.map((r) => r.path), ['/slack'])
    received.length = 0
    await n.notify(notification({ id: notification().id.replace(':firing', ':resolved'), status: 'resolved' }))
    assert.deepEqual(received.map((r) => r.path).sort(), ['/hook', '/slack'], 'another transition is another notification')
  })

  it('times out a channel that does not answer, and close() stops waiting at once', async () => {
    await assert.rejects(notifier({ attempts: 1, timeoutMs: 200 }).notify(notification({ channels: ['hang'] })), /hang: request failed/)
    const n = notifier({ attempts: 5, timeoutMs: 60_000 })
    const pending = n.notify(notification({ channels: ['hang'] }))
    setTimeout(() => n.close(), 50)
    await assert.rejects(pending, /hang: request failed/)
    await assert.rejects(n.notify(notification({ channels: ['hook'] })), /hook: shutting down/)
  })

  it('refuses an unknown channel name', async () => {
    await assert.rejects(notifier().notify(notification({ channels: ['nope'] })), /nope: no such channel/)
  })
})
