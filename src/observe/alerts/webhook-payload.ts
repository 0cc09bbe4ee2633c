/**
 * The generic webhook channel: one JSON POST per notification, shaped like a Standard Webhooks
 * event (`type`, `timestamp`, `data`) and signed the Standard Webhooks way when the channel has
 * a secret. Pure: the caller gives the time, so the same notification renders the same bytes.
 */
import { signStandardWebhook } from '../../core/webhook-signature.js'
import type { AlertNotification } from './types.js'

/** An HTTP request ready to send (the delivery machinery sends it, with retries). */
export interface ChannelRequest {
  method: 'POST'
  url: string
  headers: Record<string, string>
  body: string
}

export interface WebhookChannel {
  url: string
  /** Standard Webhooks secret (`whsec_…`); when set the request is signed. */
  secret?: string | undefined
  headers?: Readonly<Record<string, string>> | undefined
}

/** The JSON body of a webhook notification. */
export interface WebhookAlertBody {
  type: 'alert.firing' | 'alert.resolved'
  /** When the notification was rendered (ISO 8601). */
  timestamp: string
  data: AlertNotification
}

/** Content headers last, so configured headers cannot corrupt the body's framing. */
const FIXED_HEADERS = ['content-type', 'webhook-id', 'webhook-timestamp', 'webhook-signature']

/**
 * Renders the request for a webhook channel. `nowMs` is the signing time: sign at (re)send time,
 * since receivers refuse old timestamps — a retried notification must be rendered again.
 */
export function renderWebhookRequest(n: AlertNotification, channel: WebhookChannel, nowMs: number): ChannelRequest {
  const body: WebhookAlertBody = { type: n.status === 'firing' ? 'alert.firing' : 'alert.resolved', timestamp: new Date(nowMs).toISOString(), data: n }
  const text = JSON.stringify(body)
  const headers: Record<string, string> = {}
  for (const [k, v] of Object.entries(channel.headers ?? {})) {
    if (!FIXED_HEADERS.includes(k.toLowerCase())) headers[k] = v
  }
  headers['content-type'] = 'application/json'
  if (channel.secret !== undefined) Object.assign(headers, signStandardWebhook(channel.secret, n.id, Math.floor(nowMs / 1000), text))
  else headers['webhook-id'] = n.id
  return { method: 'POST', url: channel.url, headers, body: text }
}
