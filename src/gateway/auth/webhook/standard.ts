/**
 * Standard Webhooks (https://www.standardwebhooks.com): headers `webhook-id`,
 * `webhook-timestamp` (seconds) and `webhook-signature`, a space-separated list of
 * `v1,<base64 HMAC-SHA256>` over `${id}.${timestamp}.${body}`. Any listed signature verified by
 * any configured secret passes (rotation on either side); unknown versions are ignored.
 *
 * Outcomes: no webhook header at all → absent; some but not all, or unparseable → malformed;
 * no match → signature; match but timestamp outside tolerance → timestamp.
 */
import { macEqual, standardWebhookKey, standardWebhookMac } from '../../../core/webhook-signature.js'
import type { WebhookAuthConfig } from '../../../config/spec/route.js'
import { ABSENT, invalid, optionError } from '../errors.js'
import { DUPLICATE, headerValue } from '../input.js'
import type { AuthDeps, AuthInput, AuthPolicy, AuthResult } from '../policy.js'
import { TIMESTAMP_RE, webhookPrincipal, webhookSecrets, webhookTolerance, withinTolerance } from './common.js'

const HEADERS = ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const
/** A v1 signature is 32 bytes: 44 base64 characters with one `=` of padding. */
const V1_RE = /^[A-Za-z0-9+/]{43}=$/
const MAX_ID_LENGTH = 256

export function standardWebhooksPolicy(options: WebhookAuthConfig, deps: AuthDeps, at = 'webhook'): AuthPolicy {
  const secrets = webhookSecrets(options, at)
  const keys = secrets.map((s, i) => {
    try {
      return standardWebhookKey(s)
    } catch (err) {
      throw optionError(typeof options.secret === 'string' ? `${at}.secret` : `${at}.secret[${i}]`, 'a "whsec_" secret must be followed by its base64 key', err)
    }
  })
  const toleranceMs = webhookTolerance(options, at)
  const principal = webhookPrincipal(options, deps, at)

  function authenticate(input: AuthInput): AuthResult {
    const [id, ts, sig] = HEADERS.map((h) => headerValue(input, h))
    if (id === undefined && ts === undefined && sig === undefined) return ABSENT
    if (id === DUPLICATE || ts === DUPLICATE || sig === DUPLICATE) return invalid('SB_ERR_AUTH_WEBHOOK_MALFORMED', 'a webhook header was sent more than once')
    if (id === undefined || ts === undefined || sig === undefined) {
      const missing = HEADERS.filter((_, i) => [id, ts, sig][i] === undefined)
      return invalid('SB_ERR_AUTH_WEBHOOK_MALFORMED', `missing header ${missing.join(', ')}`)
    }
    if (id === '' || id.length > MAX_ID_LENGTH) return invalid('SB_ERR_AUTH_WEBHOOK_MALFORMED', 'webhook-id is empty or too long')
    if (!TIMESTAMP_RE.test(ts)) return invalid('SB_ERR_AUTH_WEBHOOK_MALFORMED', 'webhook-timestamp must be integer seconds')

    const candidates: Buffer[] = []
    let versioned = 0
    for (const entry of sig.split(' ')) {
      if (entry === '') continue
      const comma = entry.indexOf(',')
      if (comma <= 0) return invalid('SB_ERR_AUTH_WEBHOOK_MALFORMED', 'webhook-signature entries must be "<version>,<signature>"')
      versioned++
      const value = entry.slice(comma + 1)
      if (entry.slice(0, comma) === 'v1' && V1_RE.test(value)) candidates.push(Buffer.from(value, 'base64'))
    }
    if (versioned === 0) return invalid('SB_ERR_AUTH_WEBHOOK_MALFORMED', 'webhook-signature is empty')
    if (candidates.length === 0) return invalid('SB_ERR_AUTH_WEBHOOK_SIGNATURE', 'no v1 signature to verify')

    const body = input.rawBody ?? Buffer.alloc(0)
    let match = false
    for (const key of keys) {
      const expected = standardWebhookMac(key, id, ts, body)
      // No early exit: the work done does not depend on which secret or signature matched.
      for (const c of candidates) if (macEqual(expected, c)) match = true
    }
    if (!match) return invalid('SB_ERR_AUTH_WEBHOOK_SIGNATURE', 'no signature matches the body')
    if (!withinTolerance(Number(ts), input.now, toleranceMs)) return invalid('SB_ERR_AUTH_WEBHOOK_TIMESTAMP', 'webhook-timestamp is outside the allowed tolerance')
    return { ok: true, principal: principal(id) }
  }

  return { scheme: 'Signature', needsRawBody: true, authenticate }
}
