/**
 * From a notification and a configured channel to the JSON body the channel is sent. The
 * runtime publishes it as an event on the channel's internal topic; the channel's internal flow
 * delivers it like any delivery (retries, signature, dead-letter queue), so an alert is not lost
 * because the channel was down.
 */
import type { AlertChannelConfig } from '../../config/spec/alert.js'
import { slackMessage } from './slack-payload.js'
import type { AlertNotification } from './types.js'
import { webhookAlertBody } from './webhook-payload.js'

/** The body notifying `channel` of `n`; `nowMs` is the time the notification is accepted. */
export function channelPayload(n: AlertNotification, channel: Readonly<AlertChannelConfig>, nowMs: number): unknown {
  if (channel.webhook) return webhookAlertBody(n, nowMs)
  if (channel.slack) return slackMessage(n, { channel: channel.slack.channel, username: channel.slack.username })
  throw new TypeError('an alert channel needs exactly one of `webhook`, `slack`')
}
