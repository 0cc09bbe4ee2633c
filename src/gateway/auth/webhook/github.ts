/**
 * GitHub: `X-Hub-Signature-256: sha256=<hex>`, an HMAC-SHA256 of the body alone. The scheme
 * carries no timestamp, so `tolerance` does not apply and a captured request can be replayed
 * with a valid signature: replay protection relies on deduplicating the `X-GitHub-Delivery` id
 * (use it as the publish step's event id: `publish.id: "headers.'x-github-delivery'"`).
 * The legacy SHA-1 `X-Hub-Signature` is refused.
 */
import { githubWebhookMac, macEqual } from '../../../core/webhook-signature.js'
import type { WebhookAuthConfig } from '../../../config/spec/route.js'
import { ABSENT, invalid } from '../errors.js'
import { DUPLICATE, headerValue } from '../input.js'
import type { AuthDeps, AuthInput, AuthPolicy, AuthResult } from '../policy.js'
import { webhookPrincipal, webhookSecrets } from './common.js'

const SIGNATURE_RE = /^sha256=([0-9a-fA-F]{64})$/

export function githubPolicy(options: WebhookAuthConfig, deps: AuthDeps, at = 'webhook'): AuthPolicy {
  const secrets = webhookSecrets(options, at)
  const principal = webhookPrincipal(options, deps, at)

  function authenticate(input: AuthInput): AuthResult {
    const header = headerValue(input, 'x-hub-signature-256')
    if (header === undefined) {
      return headerValue(input, 'x-hub-signature') === undefined ? ABSENT : invalid('SB_ERR_AUTH_WEBHOOK_MALFORMED', 'only X-Hub-Signature-256 (sha256) signatures are accepted')
    }
    if (header === DUPLICATE) return invalid('SB_ERR_AUTH_WEBHOOK_MALFORMED', 'X-Hub-Signature-256 was sent more than once')
    const m = SIGNATURE_RE.exec(header.trim())
    if (!m?.[1]) return invalid('SB_ERR_AUTH_WEBHOOK_MALFORMED', 'X-Hub-Signature-256 must be "sha256=<64 hex digits>"')
    const candidate = Buffer.from(m[1], 'hex')

    const body = input.rawBody ?? Buffer.alloc(0)
    let match = false
    for (const secret of secrets) if (macEqual(githubWebhookMac(secret, body), candidate)) match = true
    if (!match) return invalid('SB_ERR_AUTH_WEBHOOK_SIGNATURE', 'X-Hub-Signature-256 does not match the body')

    const delivery = headerValue(input, 'x-github-delivery')
    return { ok: true, principal: principal(typeof delivery === 'string' ? delivery : undefined) }
  }

  return { scheme: 'Signature', needsRawBody: true, authenticate }
}
