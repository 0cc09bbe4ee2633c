/** The webhook policy: one verifier per scheme, chosen by `scheme`. */
import type { WebhookAuthConfig } from '../../../config/spec/route.js'
import { optionError } from '../errors.js'
import type { AuthDeps, AuthPolicy } from '../policy.js'
import { githubPolicy } from './github.js'
import { standardWebhooksPolicy } from './standard.js'
import { stripePolicy } from './stripe.js'

export function webhookPolicy(options: WebhookAuthConfig, deps: AuthDeps, at = 'webhook'): AuthPolicy {
  switch (options.scheme) {
    case 'standard-webhooks':
      return standardWebhooksPolicy(options, deps, at)
    case 'stripe':
      return stripePolicy(options, deps, at)
    case 'github':
      return githubPolicy(options, deps, at)
    default:
      throw optionError(`${at}.scheme`, `unknown scheme ${JSON.stringify((options as { scheme?: unknown }).scheme)} (use standard-webhooks, stripe or github)`)
  }
}
