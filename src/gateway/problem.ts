/**
 * Every rejection the gateway makes is RFC 9457 `application/problem+json` with a stable `code`
 * and the request id. Errors that ask the client to come back later carry `Retry-After`: a
 * circuit open (503), a rate limit or quota (429), a publish that could not commit (503).
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http'
import { CircuitOpenError, RetryAfterError, type SwitchboardError } from '../core/errors.js'
import { PROBLEM_CONTENT_TYPE, toSwitchboardError } from '../core/http-problem.js'

/** Seconds for Retry-After (at least 1: `0` would invite an immediate retry storm). */
export function retryAfterSeconds(ms: number): string {
  return String(Math.max(1, Math.ceil(ms / 1000)))
}

/** The Retry-After an error asks for, in ms, or undefined. */
function retryAfterMsOf(err: SwitchboardError): number | undefined {
  if (err instanceof CircuitOpenError || err instanceof RetryAfterError) return err.retryAfterMs
  const hinted = err.details?.retryAfterMs
  return typeof hinted === 'number' ? hinted : undefined
}

/**
 * Answers `res` with the problem for `thrown` plus `headers` (request id, CORS, rate-limit
 * state…). When the response has already started, the only honest signal left is to cut the
 * connection. Returns the error answered (its status and code feed the metrics).
 */
export function writeProblem(res: ServerResponse, thrown: unknown, headers: OutgoingHttpHeaders, requestId: string): SwitchboardError {
  const err = toSwitchboardError(thrown)
  if (res.headersSent) {
    res.destroy()
    return err
  }
  const problem = err.toProblem()
  // Internal hints (retryAfterMs) are conveyed by the header, not the body.
  delete problem.retryAfterMs
  problem.requestId = requestId
  const body = JSON.stringify(problem)
  const out: OutgoingHttpHeaders = { ...headers }
  out['content-type'] = PROBLEM_CONTENT_TYPE
  out['content-length'] = Buffer.byteLength(body)
  out['cache-control'] = 'no-store'
  const retryMs = retryAfterMsOf(err)
  if (retryMs !== undefined) out['retry-after'] = retryAfterSeconds(retryMs)
  res.writeHead(err.status, out)
  res.end(body)
  return err
}
