/**
 * Per-route request limits (`limits`): body bytes (default 1 MB, 413 above), JSON nesting depth
 * (default 32, 400 above), buffered response bytes (default 10 MB, 502 above) and an optional
 * deadline for the whole request. Header size and slow-client timeouts are server-wide
 * (`server:`), enforced by Node's HTTP parser (see server.ts).
 */
import type { IncomingMessage } from 'node:http'
import { SwitchboardError } from '../../core/errors.js'
import { durationMs } from '../../core/duration.js'
import type { RouteLimitsConfig } from '../../config/spec/route.js'
import { bodyTooLarge, declaredLengthExceeds, isJsonContentType, parseJsonBody, readBody } from '../body.js'
import type { Exchange, Step } from '../exchange.js'

export const LIMIT_DEFAULTS = { bodyBytes: 1_048_576, depth: 32, responseBytes: 10_485_760 } as const

export interface ResolvedLimits {
  bodyBytes: number
  depth: number
  responseBytes: number
  /** Whole-request deadline, when configured. */
  timeoutMs: number | undefined
}

export function resolveLimits(config: RouteLimitsConfig | undefined): ResolvedLimits {
  return {
    bodyBytes: config?.body ?? LIMIT_DEFAULTS.bodyBytes,
    depth: config?.depth ?? LIMIT_DEFAULTS.depth,
    responseBytes: config?.responseBody ?? LIMIT_DEFAULTS.responseBytes,
    timeoutMs: config?.timeout === undefined ? undefined : durationMs(config.timeout),
  }
}

/** Whether the request carries a body at all (a length, or chunked framing). */
export function hasRequestBody(req: IncomingMessage): boolean {
  const te = req.headers['transfer-encoding']
  if (te !== undefined) return true
  const cl = req.headers['content-length']
  return cl !== undefined && cl !== '0'
}

/** 413, closing the connection: the rest of the body is not read. */
function refuseLarge(x: Exchange, limit: number): SwitchboardError {
  x.headers.connection = 'close'
  return bodyTooLarge(limit)
}

/** Refuses a declared Content-Length over the limit before anything else happens. */
export function declaredLengthStep(limit: number): Step {
  return (x) => {
    if (declaredLengthExceeds(x.req.headers['content-length'], limit)) throw refuseLarge(x, limit)
  }
}

/**
 * Buffers the body into `x.rawBody` (routes whose policies need the bytes). With `json`, a
 * non-empty body must be JSON (415 otherwise).
 */
export function readBodyStep(limit: number, json: boolean): Step {
  return async (x) => {
    if (!hasRequestBody(x.req)) return
    if (json && !isJsonContentType(x.req.headers['content-type'])) {
      throw new SwitchboardError('SB_ERR_HTTP_UNSUPPORTED_MEDIA_TYPE', 'this route accepts application/json bodies only')
    }
    try {
      x.rawBody = await readBody(x.req, limit, x.signal)
    } catch (err) {
      if (err instanceof SwitchboardError && err.code === 'SB_ERR_HTTP_BODY_TOO_LARGE') throw refuseLarge(x, limit)
      // Unread body bytes may still be in flight: the connection cannot be reused.
      x.headers.connection = 'close'
      throw err
    }
  }
}

/** Parses `x.rawBody` as JSON into `x.body`, enforcing the nesting depth. */
export function parseBodyStep(depth: number): Step {
  return (x) => {
    if (x.rawBody !== undefined) x.body = parseJsonBody(x.rawBody, depth)
  }
}
