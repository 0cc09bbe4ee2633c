/**
 * Gateway credentials stay at the gateway: an API key authenticates the caller to Switchboard,
 * and no upstream should ever see it (a backend log would otherwise collect every partner's
 * key). So a proxy route accepting API keys drops the key header, an `Authorization: Bearer
 * sbk_…` header and the opted-in query parameter before forwarding. Bearer JWTs and webhook
 * signatures are left alone: upstreams legitimately read claims and signatures.
 */
import type { AuthDefaultsConfig } from '../../config/spec/root.js'
import type { ApiKeyAuthConfig, AuthMethodConfig, RouteConfig } from '../../config/spec/route.js'
import type { HeaderDrop } from '../proxy-headers.js'

/** What a route strips from forwarded requests: header names, `Bearer sbk_…`, query parameters. */
export interface CredentialHider {
  headers: HeaderDrop
  /** Returns the query string to forward (the raw one minus API key parameters). */
  query(rawQuery: string): string
}

function apiKeyOptions(auth: RouteConfig['auth'], defaults: AuthDefaultsConfig | undefined): ApiKeyAuthConfig[] {
  const list: readonly AuthMethodConfig[] = auth === undefined ? [] : Array.isArray(auth) ? auth : [auth as AuthMethodConfig]
  const out: ApiKeyAuthConfig[] = []
  for (const m of list) {
    if (m === 'apiKey') out.push(defaults?.apiKey ?? {})
    else if (typeof m === 'object' && m !== null && 'apiKey' in m) out.push(m.apiKey)
  }
  return out
}

/** `?a=1&key=s&b=2` minus every `name` parameter (compared after decoding the name). */
export function dropQueryParam(rawQuery: string, name: string): string {
  if (rawQuery === '') return rawQuery
  const kept = rawQuery
    .slice(1)
    .split('&')
    .filter((pair) => {
      const eq = pair.indexOf('=')
      const rawName = eq === -1 ? pair : pair.slice(0, eq)
      let decoded: string
      try {
        decoded = decodeURIComponent(rawName.replace(/\+/g, ' '))
      } catch {
        return true
      }
      return decoded !== name
    })
  return kept.length === 0 ? '' : `?${kept.join('&')}`
}

/** The hider of a route, or undefined when it accepts no API keys. */
export function credentialHider(auth: RouteConfig['auth'], defaults: AuthDefaultsConfig | undefined): CredentialHider | undefined {
  const options = apiKeyOptions(auth, defaults)
  if (options.length === 0) return undefined
  const names = new Set(options.map((o) => (o.header ?? 'X-Api-Key').toLowerCase()))
  const params = [...new Set(options.flatMap((o) => (o.query === undefined ? [] : [o.query])))]
  return {
    headers: { names, bearerKeys: true },
    query: params.length === 0 ? (q) => q : (q) => params.reduce(dropQueryParam, q),
  }
}
