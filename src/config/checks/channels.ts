/**
 * Alert channels: what would otherwise fail only when the channel's delivery path is built at
 * start (naming an internal flow or system the user never wrote): a signing secret that is not
 * a usable Standard Webhooks secret, a header value with a line break.
 */
import { standardWebhookKey } from '../../core/webhook-signature.js'
import { rec, str, type CheckContext } from './context.js'

// eslint-disable-next-line no-control-regex -- the point is to find control characters
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/

export function checkChannels(ctx: CheckContext): void {
  for (const [name, raw] of Object.entries(rec(ctx.config.channels))) {
    const webhook = rec(rec(raw).webhook)
    const secret = str(webhook.secret)
    if (secret !== undefined) {
      try {
        standardWebhookKey(secret)
      } catch {
        ctx.report({ path: ['channels', name, 'webhook', 'secret'], message: 'a "whsec_" secret must be followed by its base64 key' })
      }
    }
    for (const [header, value] of Object.entries(rec(webhook.headers))) {
      if (typeof value === 'string' && CONTROL.test(value)) {
        ctx.report({ path: ['channels', name, 'webhook', 'headers', header], message: 'contains a control character (CR, LF, NUL…), which is not allowed in a header' })
      }
    }
  }
}
