/**
 * Builds the header object of one outbound call. Headers are connection-scoped or
 * caller-controlled in ways that must not reach the system as-is:
 * - hop-by-hop headers (RFC 9110 §7.6.1) and any header named in `Connection` are dropped —
 *   undici would also refuse several of them outright;
 * - `host` is dropped: the system gets its own host, never the gateway client's;
 * - the system's static headers then overwrite what the caller sent, and outbound auth is
 *   applied last, so a client cannot override either.
 * Names are lower-cased so those overrides also catch `Authorization` vs `authorization`.
 */

/** What undici accepts (undefined values already removed). */
export type OutboundHeaders = Record<string, string | string[]>

const DROPPED = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'proxy-authenticate',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'http2-settings',
  'host',
  // undici refuses `expect` (no 100-continue support); the caller never needs it here.
  'expect',
])

function connectionTokens(value: string | string[] | undefined): Set<string> | null {
  if (value === undefined) return null
  const tokens = new Set<string>()
  for (const part of Array.isArray(value) ? value : [value]) {
    for (const token of part.split(',')) {
      const t = token.trim().toLowerCase()
      if (t !== '' && t !== 'close' && t !== 'keep-alive') tokens.add(t)
    }
  }
  return tokens.size > 0 ? tokens : null
}

/**
 * @param dropContentLength true when the body is a Buffer/string (undici computes the length;
 *   a stale caller value would make it refuse the request).
 */
export function buildOutboundHeaders(
  caller: Readonly<Record<string, string | string[] | undefined>> | undefined,
  staticHeaders: ReadonlyArray<readonly [string, string]>,
  dropContentLength: boolean,
): OutboundHeaders {
  const out: OutboundHeaders = {}
  if (caller !== undefined) {
    // One pass; a Connection header naming further headers (rare) is applied at the end.
    let connection: string | string[] | undefined
    for (const key in caller) {
      const value = caller[key]
      if (value === undefined) continue
      const name = key.toLowerCase()
      if (DROPPED.has(name)) {
        if (name === 'connection') connection = value
        continue
      }
      if (dropContentLength && name === 'content-length') continue
      const prev = out[name]
      out[name] = prev === undefined ? value : ([] as string[]).concat(prev, value)
    }
    const listed = connectionTokens(connection)
    if (listed !== null) for (const name of listed) delete out[name]
  }
  for (const [name, value] of staticHeaders) out[name] = value
  return out
}
