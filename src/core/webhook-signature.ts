/**
 * The crypto of the three webhook signature schemes Switchboard speaks, with no dependencies:
 * the gateway verifies inbound webhooks with it and the flows layer signs outbound deliveries
 * with it. Everything is HMAC-SHA256 over the exact raw body bytes (never a re-serialised
 * object), and comparisons are constant-time on equal-length buffers.
 *
 * Header parsing, timestamp tolerance and error mapping live in the gateway's policies; this
 * module only computes and compares MACs.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'

export type WebhookBody = Buffer | Uint8Array | string

const WHSEC_PREFIX = 'whsec_'
const BASE64_RE = /^[A-Za-z0-9+/]+={0,2}$/

/**
 * The key bytes of a Standard Webhooks secret: `whsec_<base64>` decodes the base64 part; any
 * other string is used as its UTF-8 bytes. Throws a TypeError on a `whsec_` secret whose
 * payload is not base64 (a truncated or mangled secret should fail at boot, not at request).
 */
export function standardWebhookKey(secret: string): Buffer {
  if (!secret.startsWith(WHSEC_PREFIX)) return Buffer.from(secret, 'utf8')
  const b64 = secret.slice(WHSEC_PREFIX.length)
  if (b64.length === 0 || b64.length % 4 !== 0 || !BASE64_RE.test(b64)) {
    throw new TypeError('a "whsec_" secret must be followed by base64')
  }
  return Buffer.from(b64, 'base64')
}

function hmac(key: Buffer | string, parts: readonly WebhookBody[]): Buffer {
  const mac = createHmac('sha256', key)
  for (const p of parts) mac.update(p)
  return mac.digest()
}

/** Raw HMAC of a Standard Webhooks message: `${id}.${timestampSec}.${body}`. */
export function standardWebhookMac(key: Buffer, id: string, timestampSec: string | number, body: WebhookBody): Buffer {
  return hmac(key, [`${id}.${timestampSec}.`, body])
}

/** Raw HMAC of a Stripe message: `${t}.${body}` keyed by the secret's UTF-8 bytes. */
export function stripeWebhookMac(secret: string, timestampSec: string | number, body: WebhookBody): Buffer {
  return hmac(secret, [`${timestampSec}.`, body])
}

/** Raw HMAC of a GitHub message: the body alone keyed by the secret's UTF-8 bytes. */
export function githubWebhookMac(secret: string, body: WebhookBody): Buffer {
  return hmac(secret, [body])
}

/**
 * Constant-time equality of two MACs. Different lengths are simply unequal (timingSafeEqual
 * would throw; the length of a well-formed MAC is public anyway).
 */
export function macEqual(expected: Buffer, candidate: Buffer): boolean {
  return expected.length === candidate.length && timingSafeEqual(expected, candidate)
}

/** Headers of a Standard Webhooks message, signed with the first secret (the current one). */
export type StandardWebhookHeaders = {
  'webhook-id': string
  'webhook-timestamp': string
  'webhook-signature': string
}

/**
 * Sign an outbound message the Standard Webhooks way. With several secrets (rotation), one
 * `v1,` signature per secret is sent, space-separated, so receivers holding either verify.
 */
export function signStandardWebhook(
  secret: string | readonly string[],
  id: string,
  timestampSec: number,
  body: WebhookBody,
): StandardWebhookHeaders {
  const secrets = typeof secret === 'string' ? [secret] : secret
  const ts = String(Math.floor(timestampSec))
  const sigs = secrets.map((s) => `v1,${standardWebhookMac(standardWebhookKey(s), id, ts, body).toString('base64')}`)
  return { 'webhook-id': id, 'webhook-timestamp': ts, 'webhook-signature': sigs.join(' ') }
}

/** `Stripe-Signature: t=<ts>,v1=<hex>[,v1=<hex>…]` (one `v1` per secret). */
export function signStripeWebhook(secret: string | readonly string[], timestampSec: number, body: WebhookBody): { 'stripe-signature': string } {
  const secrets = typeof secret === 'string' ? [secret] : secret
  const ts = String(Math.floor(timestampSec))
  const sigs = secrets.map((s) => `v1=${stripeWebhookMac(s, ts, body).toString('hex')}`)
  return { 'stripe-signature': [`t=${ts}`, ...sigs].join(',') }
}

/** `X-Hub-Signature-256: sha256=<hex>`. */
export function signGithubWebhook(secret: string, body: WebhookBody): { 'x-hub-signature-256': string } {
  return { 'x-hub-signature-256': `sha256=${githubWebhookMac(secret, body).toString('hex')}` }
}
