/**
 * From a notification and a configured channel to the HTTP request to send. The runtime hands
 * these requests to the durable delivery machinery, which retries them like any delivery, so an
 * alert is not lost because the channel was down.
 */
import type { AlertChannelConfig } from '../../config/spec/alert.js'
import { renderSlackRequest } from './slack-payload.js'
import type { AlertNotification } from './types.js'
import { renderWebhookRequest, type ChannelRequest } from './webhook-payload.js'

/**
 * The request notifying `channel` (config resolved: secrets already substituted). `nowMs` is the
 * send time (it goes into the signature of a signed webhook).
 */
export function renderChannelRequest(n: AlertNotification, channel: Readonly<AlertChannelConfig>, nowMs: number): ChannelRequest {
  if (channel.webhook) return renderWebhookRequest(n, channel.webhook, nowMs)
  if (channel.slack) return renderSlackRequest(n, channel.slack)
  throw new TypeError('an alert channel needs exactly one of `webhook`, `slack`')
}
