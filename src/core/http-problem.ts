/**
 * problem+json for every rejection an HTTP server makes, including those it makes before any
 * route runs: framework errors (bad JSON, body too large, unsupported media type, schema
 * validation) and HTTP parser errors (malformed head, oversized headers, slow clients). Shared
 * by the admin API, the gateway and mock systems so they answer alike. Framework-agnostic: it
 * reads fastify's error shape structurally and writes raw HTTP to sockets.
 */
import { STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'
import { SwitchboardError, type ErrorCode, type Problem } from './errors.js'

export const PROBLEM_CONTENT_TYPE = 'application/problem+json'

/** The parts of a framework error that matter for mapping (fastify's FST_ERR_* shape). */
interface FrameworkErrorLike {
  code?: unknown
  statusCode?: unknown
  message?: unknown
  validation?: unknown
  validationContext?: unknown
}

const FRAMEWORK_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'SB_ERR_HTTP_BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'SB_ERR_HTTP_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'SB_ERR_HTTP_BAD_REQUEST',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'SB_ERR_HTTP_BAD_REQUEST',
  FST_ERR_CTP_INVALID_JSON_BODY: 'SB_ERR_HTTP_BAD_REQUEST',
  FST_ERR_BAD_URL: 'SB_ERR_HTTP_BAD_REQUEST',
  FST_ERR_ASYNC_CONSTRAINT: 'SB_ERR_HTTP_BAD_REQUEST',
}

export interface ToProblemErrorOptions {
  /** Code for request-schema violations (each surface has its own, e.g. SB_ERR_ADMIN_BAD_REQUEST). */
  validationCode?: ErrorCode
}

/**
 * Any thrown value as a SwitchboardError: ours pass through; framework errors map by their code;
 * JSON parse errors (SyntaxError with a 400 status) are malformed requests; anything else is an
 * internal error whose message is NOT exposed (it may contain internals).
 */
export function toSwitchboardError(err: unknown, options: ToProblemErrorOptions = {}): SwitchboardError {
  if (err instanceof SwitchboardError) return err
  const e = (typeof err === 'object' && err !== null ? err : {}) as FrameworkErrorLike
  const message = typeof e.message === 'string' ? e.message : 'request failed'
  if (Array.isArray(e.validation)) {
    const where = typeof e.validationContext === 'string' ? e.validationContext : 'request'
    const violations = (e.validation as Array<{ instancePath?: string; message?: string; params?: unknown }>).map((v) => ({
      in: where,
      path: v.instancePath || '/',
      message: v.message ?? 'is invalid',
    }))
    return new SwitchboardError(options.validationCode ?? 'SB_ERR_HTTP_BAD_REQUEST', message, { cause: err, details: { violations } })
  }
  const mapped = typeof e.code === 'string' ? FRAMEWORK_CODES[e.code] : undefined
  if (mapped) return new SwitchboardError(mapped, message, { cause: err })
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500
  if (status === 413) return new SwitchboardError('SB_ERR_HTTP_BODY_TOO_LARGE', message, { cause: err })
  if (status === 415) return new SwitchboardError('SB_ERR_HTTP_UNSUPPORTED_MEDIA_TYPE', message, { cause: err })
  if (status >= 400 && status < 500) return new SwitchboardError('SB_ERR_HTTP_BAD_REQUEST', message, { cause: err, status })
  return new SwitchboardError('SB_ERR_HTTP_INTERNAL', 'internal error', { cause: err })
}

/**
 * The raw HTTP/1.1 response for an HTTP parser error (node's `clientError` event), or
 * `undefined` when nothing should be written (the peer reset the connection).
 */
export function clientErrorResponse(err: { code?: string }): { status: number; raw: string } | undefined {
  if (err.code === 'ECONNRESET' || err.code === 'EPIPE') return undefined
  let sbErr: SwitchboardError
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    sbErr = new SwitchboardError('SB_ERR_HTTP_TIMEOUT', 'the request was not received in time')
  } else if (err.code === 'HPE_HEADER_OVERFLOW') {
    sbErr = new SwitchboardError('SB_ERR_HTTP_HEADERS_TOO_LARGE', 'the request head exceeds the maximum header size')
  } else {
    // The parser's reason (e.g. HPE_INVALID_HEADER_TOKEN) names the problem without echoing input.
    const reason = typeof err.code === 'string' && err.code.startsWith('HPE_') ? ` (${err.code})` : ''
    sbErr = new SwitchboardError('SB_ERR_HTTP_BAD_REQUEST', `malformed HTTP request${reason}`)
  }
  const body = JSON.stringify(sbErr.toProblem())
  const raw =
    `HTTP/1.1 ${sbErr.status} ${STATUS_CODES[sbErr.status] ?? 'Error'}\r\n` +
    `Content-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    'Connection: close\r\n\r\n' +
    body
  return { status: sbErr.status, raw }
}

/**
 * A `clientError` listener: answers with problem+json when the socket can still be written,
 * then destroys it (the connection state is unknown after a parser error).
 */
export function handleClientError(err: Error & { code?: string }, socket: Duplex): void {
  const response = clientErrorResponse(err)
  // Like node's default handler: never write a second response over one already started.
  const inProgress = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage
  if (response && socket.writable && !socket.destroyed && inProgress?.headersSent !== true) {
    socket.end(response.raw)
    // end() flushes; destroy soon after in case the peer never reads.
    setTimeout(() => socket.destroy(), 1000).unref()
    return
  }
  socket.destroy()
}

export type { Problem }
