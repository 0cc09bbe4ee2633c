/**
 * Header rewriting at the proxy boundary, both ways: hop-by-hop headers (RFC 9110 §7.6.1) belong
 * to one connection and are dropped — Connection, the headers it names, Keep-Alive, TE, Trailer,
 * Transfer-Encoding, Upgrade and every Proxy-* header. `Host` is the upstream's (the client
 * library sets it), and X-Forwarded-For/-Proto/-Host tell the upstream who really called.
 */
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http'
import type { TLSSocket } from 'node:tls'
import { util as undiciUtil } from 'undici'
import type { Exchange } from './exchange.js'

export type HeaderMap = Record<string, string | string[]>

// `expect` is dropped too: the gateway answers 100-continue itself, and undici refuses it.
const DROPPED = new Set(['connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'expect', 'http2-settings'])

function isHopByHop(name: string): boolean {
  return DROPPED.has(name) || name.startsWith('proxy-')
}

/** Extra header names listed in a Connection header (lower-case), or undefined when none. */
function connectionListed(value: string | string[] | undefined): Set<string> | undefined {
  // The usual values name no extra header: skip the split on the hot path.
  if (value === undefined || value === 'keep-alive' || value === 'close' || value === 'Keep-Alive') return undefined
  const joined = Array.isArray(value) ? value.join(',') : value
  let names: Set<string> | undefined
  for (const token of joined.split(',')) {
    const name = token.trim().toLowerCase()
    if (name === '' || name === 'close' || name === 'keep-alive') continue
    ;(names ??= new Set()).add(name)
  }
  return names
}

/** Request headers the route keeps from the upstream (gateway credentials), compiled per route. */
export interface HeaderDrop {
  /** Lower-case names never forwarded. */
  names: ReadonlySet<string>
  /** Drop `Authorization` when it carries a gateway API key (`Bearer sbk_…`). */
  bearerKeys: boolean
}

const BEARER_KEY_RE = /^bearer[ \t]+sbk_/i

/**
 * The headers sent upstream for `req`. `keepContentLength` is false when the gateway replaces
 * the body (the client library then computes the length of the new one). Headers are skipped
 * while copying rather than deleted afterwards (`delete` slows every later access to the object).
 */
export function upstreamRequestHeaders(req: IncomingMessage, requestId: string, keepContentLength: boolean, drop?: HeaderDrop): HeaderMap {
  const incoming = req.headers
  const listed = connectionListed(incoming.connection)
  const out: HeaderMap = {}
  for (const name in incoming) {
    if (isHopByHop(name) || listed?.has(name)) continue
    if (!keepContentLength && name === 'content-length') continue
    if (drop !== undefined && (drop.names.has(name) || (drop.bearerKeys && name === 'authorization' && BEARER_KEY_RE.test(String(incoming[name]))))) continue
    const value = incoming[name]
    if (value !== undefined) out[name] = value
  }
  const client = req.socket.remoteAddress
  const prior = incoming['x-forwarded-for']
  if (client !== undefined) out['x-forwarded-for'] = prior ? `${prior}, ${client}` : client
  out['x-forwarded-proto'] = (req.socket as TLSSocket).encrypted ? 'https' : 'http'
  if (incoming.host !== undefined) out['x-forwarded-host'] = incoming.host
  out['x-request-id'] = requestId
  return out
}

/** The upstream response headers minus hop-by-hop ones, ready for `writeHead`. */
export function downstreamResponseHeaders(upstream: IncomingHttpHeaders): OutgoingHttpHeaders {
  const listed = connectionListed(upstream.connection)
  const out: OutgoingHttpHeaders = {}
  for (const name in upstream) {
    if (isHopByHop(name) || listed?.has(name)) continue
    const value = upstream[name]
    if (value !== undefined) out[name] = value
  }
  return out
}

/**
 * The same as {@link downstreamResponseHeaders}, from the raw name/value pairs of a streamed
 * answer (Buffers, decoded as latin1 so every byte passes through unchanged). Repeated headers
 * become arrays, as Node and undici do.
 */
export function downstreamHeadersFromRaw(raw: readonly Buffer[]): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {}
  let listed: Set<string> | undefined
  for (let i = 0; i + 1 < raw.length; i += 2) {
    // Interned lower-case strings for the usual names, no allocation.
    const name = undiciUtil.headerNameToString(raw[i] as Buffer)
    if (isHopByHop(name) || name === '__proto__') {
      if (name === 'connection') {
        const named = connectionListed((raw[i + 1] as Buffer).toString('latin1'))
        if (named !== undefined) listed = listed === undefined ? named : new Set([...listed, ...named])
      }
      continue
    }
    const value = (raw[i + 1] as Buffer).toString('latin1')
    const prior = out[name]
    if (prior === undefined) out[name] = value
    else if (Array.isArray(prior)) prior.push(value)
    else out[name] = [String(prior), value]
  }
  // Rare (a Connection header naming other headers): drop what it named, wherever it came.
  if (listed !== undefined) for (const name of listed) delete out[name]
  return out
}

/** Merges the exchange's headers (request id, rate limit, CORS…) over the upstream's. */
export function mergeGatewayHeaders(headers: OutgoingHttpHeaders, x: Exchange): void {
  const own = x.headers
  for (const name in own) {
    const value = own[name]
    if (value === undefined) continue
    const prior = headers[name]
    headers[name] = name === 'vary' && prior !== undefined ? `${String(prior)}, ${String(value)}` : value
  }
}
