/**
 * CORS per route. The gateway answers preflights (`OPTIONS` with `Access-Control-Request-Method`)
 * itself — they never reach the upstream — and decorates actual responses, problems included,
 * so a page can read the error. An origin outside the allow-list gets no CORS headers (the
 * browser then refuses the response); a preflight from it is answered 403.
 */
import type { OutgoingHttpHeaders } from 'node:http'
import { SwitchboardError } from '../../core/errors.js'
import { durationMs } from '../../core/duration.js'
import type { RouteCorsConfig } from '../../config/spec/route.js'
import type { Exchange, Step } from '../exchange.js'

export interface CorsPolicy {
  /** Adds CORS headers to an actual (non-preflight) request's answer. */
  readonly step: Step
  /** Whether `origin` may call. */
  allows(origin: string): boolean
  /** Preflight answer headers for an allowed origin asking for `method`, or undefined to refuse. */
  preflight(origin: string, method: string, requestedHeaders: string | undefined): OutgoingHttpHeaders | undefined
}

/** Adds `Origin` to the answer's `Vary` (which may already name the version header). */
function varyOrigin(x: Exchange): void {
  const prior = x.headers.vary
  x.headers.vary = prior === undefined ? 'Origin' : `${String(prior)}, Origin`
}

/** Compiles a route's `cors`; `routeMethods` are the methods of the route(s) it covers. */
export function corsPolicy(config: RouteCorsConfig, routeMethods: readonly string[], where: string): CorsPolicy {
  const any = config.origins.includes('*')
  const credentials = config.credentials === true
  if (any && credentials) {
    throw new SwitchboardError('SB_ERR_CONFIG_INVALID', `${where}.credentials: cannot be true with origins ["*"] (browsers refuse it); list the origins`)
  }
  for (const o of config.origins) {
    if (o !== '*' && !/^https?:\/\/[^/\s]+$/.test(o)) {
      throw new SwitchboardError('SB_ERR_CONFIG_INVALID', `${where}.origins: "${o}" is not an origin (scheme://host[:port], no path)`)
    }
  }
  const origins = new Set(config.origins.map((o) => o.toLowerCase()))
  const methods = (config.methods ?? routeMethods).map((m) => m.toUpperCase())
  const allowMethods = methods.join(', ')
  const allowHeaders = config.headers?.join(', ')
  const expose = config.exposeHeaders?.join(', ')
  const maxAge = String(Math.floor(durationMs(config.maxAge ?? '10m') / 1000))

  const allows = (origin: string): boolean => any || origins.has(origin.toLowerCase())
  // With a fixed `*` answer the response does not vary by origin; otherwise caches must key on it.
  const originValue = (origin: string): string => (any ? '*' : origin)

  return {
    allows,
    step(x: Exchange) {
      const origin = x.req.headers.origin
      if (origin === undefined || !allows(origin)) {
        if (!any) varyOrigin(x)
        return
      }
      x.headers['access-control-allow-origin'] = originValue(origin)
      if (!any) varyOrigin(x)
      if (credentials) x.headers['access-control-allow-credentials'] = 'true'
      if (expose !== undefined) x.headers['access-control-expose-headers'] = expose
    },
    preflight(origin, method, requestedHeaders) {
      if (!allows(origin) || !methods.includes(method.toUpperCase())) return undefined
      const out: OutgoingHttpHeaders = {
        'access-control-allow-origin': originValue(origin),
        'access-control-allow-methods': allowMethods,
        'access-control-max-age': maxAge,
      }
      const headers = allowHeaders ?? requestedHeaders
      if (headers !== undefined && headers !== '') out['access-control-allow-headers'] = headers
      if (credentials) out['access-control-allow-credentials'] = 'true'
      out.vary = any ? 'Access-Control-Request-Method, Access-Control-Request-Headers' : 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers'
      return out
    },
  }
}

/** The 403 for a refused preflight. */
export function corsRejected(): SwitchboardError {
  return new SwitchboardError('SB_ERR_GATEWAY_CORS_REJECTED', 'CORS preflight refused: origin or method not allowed on this route')
}
