/**
 * The generic webhook channel's body: one JSON document per notification, shaped like a
 * Standard Webhooks event (`type`, `timestamp`, `data`). Headers and the Standard Webhooks
 * signature are added when the notification is sent, by the delivery machinery of the flows
 * (each attempt is signed afresh, since receivers refuse old timestamps). Pure: the caller
 * gives the time.
 */
import type { AlertNotification } from './types.js'

/** The JSON body of a webhook notification. */
export interface WebhookAlertBody {
  type: 'alert.firing' | 'alert.resolved'
  /** When the notification was accepted for delivery (ISO 8601). */
  timestamp: string
  data: AlertNotification
}

export function webhookAlertBody(n: AlertNotification, nowMs: number): WebhookAlertBody {
  return { type: n.status === 'firing' ? 'alert.firing' : 'alert.resolved', timestamp: new Date(nowMs).toISOString(), data: n }
}
