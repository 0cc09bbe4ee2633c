/**
 * Stripe: `Stripe-Signature: t=<seconds>,v1=<hex>[,v1=<hex>…]`, each v1 an HMAC-SHA256 of
 * `${t}.${body}` keyed by the endpoint secret as given (`whsec_…` is used verbatim). Stripe sends
 * several v1 values while a secret is being rolled; any match passes. Other schemes (`v0`) are
 * ignored. The timestamp is checked in both directions, unlike Stripe's SDKs.
 */
import { macEqual, stripeWebhookMac } from '../../../core/webhook-signature.js'
import type { WebhookAuthConfig } from '../../../config/spec/route.js'
import { ABSENT, invalid } from '../errors.js'
import { DUPLICATE, headerValue } from '../input.js'
import type { AuthDeps, AuthInput, AuthPolicy, AuthResult } from '../policy.js'
import { TIMESTAMP_RE, webhookPrincipal, webhookSecrets, webhookTolerance, withinTolerance } from './common.js'

const HEX_SHA256_RE = /^[0-9a-f]{64}$/

export function stripePolicy(options: WebhookAuthConfig, deps: AuthDeps, at = 'webhook'): AuthPolicy {
  const secrets = webhookSecrets(options, at)
  const toleranceMs = webhookTolerance(options, at)
  const principal = webhookPrincipal(options, deps, at)

  function authenticate(input: AuthInput): AuthResult {
    const header = headerValue(input, 'stripe-signature')
    if (header === undefined) return ABSENT
    if (header === DUPLICATE) return invalid('SB_ERR_AUTH_WEBHOOK_MALFORMED', 'Stripe-Signature was sent more than once')

    let t: string | undefined
    const candidates: Buffer[] = []
    let v1 = 0
    for (const item of header.split(',')) {
      const eq = item.indexOf('=')
      if (eq <= 0) return invalid('SB_ERR_AUTH_WEBHOOK_MALFORMED', 'Stripe-Signature items must be "<key>=<value>"')
      const k = item.slice(0, eq).trim()
      const v = item.slice(eq + 1).trim()
      if (k === 't') {
        if (t !== undefined) return invalid('SB_ERR_AUTH_WEBHOOK_MALFORMED', 'Stripe-Signature has more than one timestamp')
        t = v
      } else if (k === 'v1') {
        v1++
        if (HEX_SHA256_RE.test(v)) candidates.push(Buffer.from(v, 'hex'))
      }
    }
    if (t === undefined || !TIMESTAMP_RE.test(t)) return invalid('SB_ERR_AUTH_WEBHOOK_MALFORMED', 'Stripe-Signature needs a t=<seconds> timestamp')
    if (v1 === 0) return invalid('SB_ERR_AUTH_WEBHOOK_MALFORMED', 'Stripe-Signature has no v1 signature')

    const body = input.rawBody ?? Buffer.alloc(0)
    let match = false
    for (const secret of secrets) {
      const expected = stripeWebhookMac(secret, t, body)
      for (const c of candidates) if (macEqual(expected, c)) match = true
    }
    if (!match) return invalid('SB_ERR_AUTH_WEBHOOK_SIGNATURE', 'no signature matches the body')
    if (!withinTolerance(Number(t), input.now, toleranceMs)) return invalid('SB_ERR_AUTH_WEBHOOK_TIMESTAMP', 'Stripe-Signature timestamp is outside the allowed tolerance')
    return { ok: true, principal: principal(undefined) }
  }

  return { scheme: 'Signature', needsRawBody: true, authenticate }
}
