import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { channelPayload } from '../../src/observe/alerts/render.js'
import { slackEscape, slackMessage } from '../../src/observe/alerts/slack-payload.js'
import { webhookAlertBody } from '../../src/observe/alerts/webhook-payload.js'
import type { AlertNotification } from '../../src/observe/alerts/types.js'

const NOW = Date.parse('2026-03-01T12:00:00.000Z')

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
  it('is { type, timestamp, data } carrying the notification', () => {
    assert.deepEqual(webhookAlertBody(firing, NOW), { type: 'alert.firing', timestamp: '2026-03-01T12:00:00.000Z', data: firing })
    assert.equal(webhookAlertBody(resolved, NOW).type, 'alert.resolved')
  })
})

describe('Slack channel payload', () => {
  it('has a fallback text and blocks naming the state, severity, alert and summary', () => {
    const msg = JSON.parse(JSON.stringify(slackMessage(firing, { channel: '#ops', username: 'switchboard' }))) as { text: string; blocks: Array<{ type: string; text?: { text: string }; elements?: Array<{ text: string }> }>; channel: string; username: string }
    assert.equal(msg.text, ':red_circle: [FIRING] dlq: flow to-invoice: 3 deliveries in the dead-letter queue, threshold 0')
    assert.equal(msg.blocks[0]?.type, 'section')
    assert.equal(msg.blocks[0]?.text?.text, ':red_circle: *FIRING · critical · dlq*\nflow to-invoice: 3 deliveries in the dead-letter queue, threshold 0\nInvoices are not being created.')
    assert.match(msg.blocks[1]?.elements?.[0]?.text ?? '', /firing since 2026-03-01T11:57:00.000Z/)
    assert.equal(msg.channel, '#ops')
    assert.equal(msg.username, 'switchboard')
  })

  it('says resolved in green', () => {
    const msg = JSON.parse(JSON.stringify(slackMessage(resolved))) as { text: string; channel?: string }
    assert.match(msg.text, /^:large_green_circle: \[RESOLVED\] dlq: /)
    assert.equal('channel' in msg, false)
  })

  it('escapes mrkdwn so text cannot ping the channel or inject links', () => {
    const hostile = { ...firing, summary: 'flow x: <!channel> <https://evil.example|click> & more', description: '<@U123>' }
    const body = JSON.stringify(slackMessage(hostile))
    assert.equal(body.includes('<!channel>'), false)
    assert.equal(body.includes('<https://evil'), false)
    assert.equal(body.includes('<@U123>'), false)
    assert.ok(body.includes('&lt;!channel&gt;'))
    assert.equal(slackEscape('a & b < c > d'), 'a &amp; b &lt; c &gt; d')
  })

  it('keeps each section within Slack’s 3000-character limit whatever the description', () => {
    const long = { ...firing, summary: '&'.repeat(5_000), description: '<'.repeat(5_000) }
    const msg = JSON.parse(JSON.stringify(slackMessage(long))) as { text: string; blocks: Array<{ text?: { text: string } }> }
    assert.ok((msg.blocks[0]?.text?.text.length ?? 0) <= 3000)
    assert.ok(msg.text.length <= 3000)
    assert.doesNotMatch(msg.blocks[0]?.text?.text ?? '', /&(?!amp;|lt;|gt;)/, 'no entity cut in half')
  })
})

describe('channelPayload', () => {
  it('picks the body from the channel kind', () => {
    assert.deepEqual(channelPayload(firing, { webhook: { url: 'https://a.example' } }, NOW), webhookAlertBody(firing, NOW))
    assert.deepEqual(channelPayload(firing, { slack: { url: 'https://b.example', channel: '#ops' } }, NOW), slackMessage(firing, { channel: '#ops' }))
    assert.throws(() => channelPayload(firing, {}, NOW), TypeError)
  })
})
