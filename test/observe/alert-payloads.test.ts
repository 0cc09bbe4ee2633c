import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { macEqual, standardWebhookKey, standardWebhookMac } from '../../src/core/webhook-signature.js'
import { renderChannelRequest } from '../../src/observe/alerts/render.js'
import { renderSlackRequest, slackEscape } from '../../src/observe/alerts/slack-payload.js'
import { renderWebhookRequest, type WebhookAlertBody } from '../../src/observe/alerts/webhook-payload.js'
import type { AlertNotification } from '../../src/observe/alerts/types.js'

const NOW = Date.parse('2026-03-01T12:00:00.000Z')
const SECRET = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`

const firing: AlertNotification = {
  id: 'dlq/flow:to-invoice@2026-03-01T11:55:00.000Z:firing',
  key: 'dlq/flow:to-invoice',
  alert: 'dlq',
  status: 'firing',
  severity: 'critical',
  condition: 'dlqDepth',
  subject: { kind: 'flow', name: 'to-invoice' },
  summary: 'flow to-invoice: 3 deliveries in the dead-letter queue, threshold 0',
  description: 'Invoices are not being created.',
  value: 3,
  threshold: 0,
  activeSince: '2026-03-01T11:55:00.000Z',
  firingSince: '2026-03-01T11:57:00.000Z',
  resolvedAt: null,
  channels: ['ops'],
}
const resolved: AlertNotification = { ...firing, id: firing.id.replace(':firing', ':resolved'), status: 'resolved', resolvedAt: '2026-03-01T12:10:00.000Z', value: 0 }

describe('webhook channel payload', () => {
  it('is a JSON POST of { type, timestamp, data } carrying the notification', () => {
    const req = renderWebhookRequest(firing, { url: 'https://ops.example/alerts' }, NOW)
    assert.equal(req.method, 'POST')
    assert.equal(req.url, 'https://ops.example/alerts')
    assert.equal(req.headers['content-type'], 'application/json')
    assert.equal(req.headers['webhook-id'], firing.id, 'the stable id lets receivers drop retries')
    assert.equal(req.headers['webhook-signature'], undefined)
    const body = JSON.parse(req.body) as WebhookAlertBody
    assert.deepEqual(body, { type: 'alert.firing', timestamp: '2026-03-01T12:00:00.000Z', data: firing })
    assert.equal((JSON.parse(renderWebhookRequest(resolved, { url: 'https://x.example' }, NOW).body) as WebhookAlertBody).type, 'alert.resolved')
  })

  it('is signed the Standard Webhooks way over the exact body when the channel has a secret', () => {
    const req = renderWebhookRequest(firing, { url: 'https://ops.example/alerts', secret: SECRET }, NOW)
    assert.equal(req.headers['webhook-id'], firing.id)
    assert.equal(req.headers['webhook-timestamp'], String(NOW / 1000))
    const sig = req.headers['webhook-signature'] ?? ''
    assert.match(sig, /^v1,[A-Za-z0-9+/]+=*$/)
    const expected = standardWebhookMac(standardWebhookKey(SECRET), firing.id, NOW / 1000, req.body)
    assert.ok(macEqual(expected, Buffer.from(sig.slice(3), 'base64')), 'a receiver verifying with the secret accepts it')
    const tampered = standardWebhookMac(standardWebhookKey(SECRET), firing.id, NOW / 1000, req.body.replace('"value":3', '"value":0'))
    assert.equal(macEqual(tampered, Buffer.from(sig.slice(3), 'base64')), false)
  })

  it('keeps configured headers but never lets them override content-type or the signature headers', () => {
    const req = renderWebhookRequest(firing, { url: 'https://x.example', secret: SECRET, headers: { Authorization: 'Bearer t', 'Content-Type': 'text/plain', 'Webhook-Signature': 'v1,forged' } }, NOW)
    assert.equal(req.headers.Authorization, 'Bearer t')
    assert.equal(req.headers['Content-Type'], undefined)
    assert.equal(req.headers['Webhook-Signature'], undefined)
    assert.equal(req.headers['content-type'], 'application/json')
    assert.notEqual(req.headers['webhook-signature'], 'v1,forged')
  })
})

describe('Slack channel payload', () => {
  it('has a fallback text and blocks naming the state, severity, alert and summary', () => {
    const req = renderSlackRequest(firing, { url: 'https://hooks.slack.com/services/T/B/X', channel: '#ops', username: 'switchboard' })
    assert.equal(req.method, 'POST')
    assert.equal(req.headers['content-type'], 'application/json')
    const msg = JSON.parse(req.body) as { text: string; blocks: Array<{ type: string; text?: { text: string }; elements?: Array<{ text: string }> }>; channel: string; username: string }
    assert.equal(msg.text, ':red_circle: [FIRING] dlq: flow to-invoice: 3 deliveries in the dead-letter queue, threshold 0')
    assert.equal(msg.blocks[0]?.type, 'section')
    assert.equal(msg.blocks[0]?.text?.text, ':red_circle: *FIRING · critical · dlq*\nflow to-invoice: 3 deliveries in the dead-letter queue, threshold 0\nInvoices are not being created.')
    assert.match(msg.blocks[1]?.elements?.[0]?.text ?? '', /firing since 2026-03-01T11:57:00.000Z/)
    assert.equal(msg.channel, '#ops')
    assert.equal(msg.username, 'switchboard')
  })

  it('says resolved in green', () => {
    const msg = JSON.parse(renderSlackRequest(resolved, { url: 'https://x.example' }).body) as { text: string; channel?: string }
    assert.match(msg.text, /^:large_green_circle: \[RESOLVED\] dlq: /)
    assert.equal('channel' in msg, false)
  })

  it('escapes mrkdwn so text cannot ping the channel or inject links', () => {
    const hostile = { ...firing, summary: 'flow x: <!channel> <https://evil.example|click> & more', description: '<@U123>' }
    const body = renderSlackRequest(hostile, { url: 'https://x.example' }).body
    assert.equal(body.includes('<!channel>'), false)
    assert.equal(body.includes('<https://evil'), false)
    assert.equal(body.includes('<@U123>'), false)
    assert.ok(body.includes('&lt;!channel&gt;'))
    assert.equal(slackEscape('a & b < c > d'), 'a &amp; b &lt; c &gt; d')
  })

  it('keeps each section within Slack’s 3000-character limit whatever the description', () => {
    const long = { ...firing, summary: '&'.repeat(5_000), description: '<'.repeat(5_000) }
    const msg = JSON.parse(renderSlackRequest(long, { url: 'https://x.example' }).body) as { text: string; blocks: Array<{ text?: { text: string } }> }
    assert.ok((msg.blocks[0]?.text?.text.length ?? 0) <= 3000)
    assert.ok(msg.text.length <= 3000)
    assert.doesNotMatch(msg.blocks[0]?.text?.text ?? '', /&(?!amp;|lt;|gt;)/, 'no entity cut in half')
  })
})

describe('renderChannelRequest', () => {
  it('picks the renderer from the channel kind', () => {
    assert.equal(renderChannelRequest(firing, { webhook: { url: 'https://a.example' } }, NOW).url, 'https://a.example')
    assert.match(renderChannelRequest(firing, { slack: { url: 'https://b.example' } }, NOW).body, /"blocks"/)
    assert.throws(() => renderChannelRequest(firing, {}, NOW), TypeError)
  })
})
