/** Builds a system's outbound auth from its `auth` config block (checked at boot by options.ts). */
import type { Clock } from '../../core/clock.js'
import type { SystemAuthConfig } from '../../config/spec/system.js'
import type { OutboundAuth } from './contract.js'
import { OAuth2ClientCredentials } from './oauth2.js'
import { basicAuth, bearerAuth, headerAuth, queryKeyAuth } from './static.js'

export type { OutboundAuth, OutboundCall } from './contract.js'

/** `null` for no auth (`type: none` or absent): the call path then skips auth entirely. */
export function createOutboundAuth(
  system: string,
  auth: SystemAuthConfig | undefined,
  options: { timeoutMs: number; connectTimeoutMs: number; clock?: Clock },
): OutboundAuth | null {
  if (auth === undefined) return null
  switch (auth.type) {
    case 'none':
      return null
    case 'apiKey':
      return auth.query !== undefined ? queryKeyAuth(auth.query, auth.value) : headerAuth('apiKey', auth.header ?? 'X-Api-Key', auth.value)
    case 'bearer':
      return bearerAuth(auth.token)
    case 'basic':
      return basicAuth(auth.username, auth.password)
    case 'oauth2-client-credentials':
      return new OAuth2ClientCredentials({
        system,
        tokenUrl: auth.tokenUrl,
        clientId: auth.clientId,
        clientSecret: auth.clientSecret,
        scope: auth.scope,
        audience: auth.audience,
        clientAuth: auth.clientAuth,
        timeoutMs: options.timeoutMs,
        connectTimeoutMs: options.connectTimeoutMs,
        clock: options.clock,
      })
  }
}
