/**
 * What the three webhook schemes share: secret lists, the timestamp tolerance (both directions),
 * the principal, and the shape of a scheme's verifier.
 */
import { parseDuration } from '../../../core/duration.js'
import type { WebhookAuthConfig } from '../../../config/spec/route.js'
import { optionError } from '../errors.js'
import type { AuthDeps, Principal } from '../policy.js'

/** The configured secrets as a non-empty list (several = rotation: any one verifies). */
export function webhookSecrets(options: WebhookAuthConfig, at: string): string[] {
  const list = typeof options.secret === 'string' ? [options.secret] : options.secret
  if (list.length === 0) throw optionError(`${at}.secret`, 'needs at least one secret')
  list.forEach((s, i) => {
    if (typeof s !== 'string' || s.length === 0) throw optionError(typeof options.secret === 'string' ? `${at}.secret` : `${at}.secret[${i}]`, 'must be a non-empty string')
  })
  return list
}

/** Milliseconds a signed timestamp may differ from now, in either direction (default 5 min). */
export function webhookTolerance(options: WebhookAuthConfig, at: string): number {
  const ms = parseDuration(options.tolerance ?? '5m')
  if (ms === undefined) throw optionError(`${at}.tolerance`, `${JSON.stringify(options.tolerance)} is not a duration`)
  return ms
}

/**
 * True when `timestampSec` is within `toleranceMs` of `now` — rejecting stale messages
 * (replays) and ones from too far in the future (a sender's clock, or a pre-signed replay).
 */
export function withinTolerance(timestampSec: number, now: number, toleranceMs: number): boolean {
  return Math.abs(now - timestampSec * 1000) <= toleranceMs
}

/** Signed timestamps are decimal seconds; bounded so the product with 1000 stays exact. */
export const TIMESTAMP_RE = /^[0-9]{1,12}$/

/** Builds principals for a webhook route: the configured consumer (checked at boot) and its scopes. */
export function webhookPrincipal(options: WebhookAuthConfig, deps: AuthDeps, at: string): (subject: string | undefined) => Principal {
  const consumer = options.consumer ?? null
  if (consumer !== null && !deps.consumers.has(consumer)) throw optionError(`${at}.consumer`, `unknown consumer "${consumer}"`)
  return (subject) => {
    const scopes = consumer === null ? [] : (deps.consumers.get(consumer)?.scopes ?? [])
    const p: Principal = { consumer, scopes, method: 'webhook' }
    if (subject !== undefined) p.subject = subject
    return p
  }
}
