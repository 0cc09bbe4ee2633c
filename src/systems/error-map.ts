/**
 * Maps whatever a call threw (undici errors, socket errors, our own timeout reason) to the
 * stable error the caller gets, and says what it means for the system's health:
 * - `failure`: counts against the circuit breaker and the base URL's passive health
 *   (the system is unreachable, slow or broken);
 * - `notSent`: the request never reached the system (connection refused, DNS, connect
 *   timeout), so a replayable call may safely go to the next base URL.
 * Messages name the system and origin only — never the path or query (an API key may be there).
 */
import { SwitchboardError } from '../core/errors.js'

export interface ClassifiedError {
  error: unknown
  /** The stable code for diagnostics (`ABORT_ERR` for a caller abort). */
  code: string
  failure: boolean
  notSent: boolean
}

const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'UND_ERR_CONNECT_TIMEOUT'])
const TIMEOUTS = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT'])
/** The request itself was refused by undici before reaching the wire: a bug upstream of us, not the system's fault. */
const INVALID = new Set(['UND_ERR_INVALID_ARG', 'UND_ERR_NOT_SUPPORTED', 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH', 'UND_ERR_INVALID_RETURN_VALUE'])
/** Our own pool was closed (shutdown): says nothing about the system. */
const CLOSED = new Set(['UND_ERR_CLOSED', 'UND_ERR_DESTROYED'])

function codeOf(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined
  const code = (err as { code?: unknown }).code
  if (typeof code === 'string') return code
  // undici's HTTPParserError carries the llhttp code only sometimes; its name is stable.
  if ((err as { name?: unknown }).name === 'HTTPParserError') return 'HPE_INVALID'
  // Happy-eyeballs connects (autoSelectFamily) fail with an AggregateError of per-address errors.
  const errors = (err as { errors?: unknown }).errors
  if (Array.isArray(errors) && errors.length > 0) return codeOf(errors[0])
  return undefined
}

const TEXT: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found (DNS)',
  EAI_AGAIN: 'DNS lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EPIPE: 'connection closed while sending',
  UND_ERR_SOCKET: 'connection closed by the other side',
  UND_ERR_CONNECT_TIMEOUT: 'connect timeout',
  UND_ERR_HEADERS_TIMEOUT: 'no response headers in time',
  UND_ERR_BODY_TIMEOUT: 'response body stalled',
}

export function classifyError(system: string, origin: string | null, err: unknown, callerAborted: boolean): ClassifiedError {
  // The caller gave up: whatever was thrown, it says nothing about the system.
  if (callerAborted) return { error: err, code: 'ABORT_ERR', failure: false, notSent: false }
  if (err instanceof SwitchboardError) {
    // Our own timeout reason, or an error raised before the wire (auth, invalid request).
    return { error: err, code: err.code, failure: err.code === 'SB_ERR_SYSTEM_TIMEOUT', notSent: false }
  }
  const code = codeOf(err) ?? 'UNKNOWN'
  const where = origin === null ? `system "${system}"` : `system "${system}" (${origin})`
  const text = TEXT[code] ?? (code.startsWith('HPE_') ? 'malformed HTTP response' : code)
  if (INVALID.has(code)) {
    const message = err instanceof Error ? err.message : String(err)
    return { error: new SwitchboardError('SB_ERR_SYSTEM_REQUEST_INVALID', `invalid request to ${where}: ${message}`, { cause: err }), code: 'SB_ERR_SYSTEM_REQUEST_INVALID', failure: false, notSent: false }
  }
  if (CLOSED.has(code)) {
    return { error: new SwitchboardError('SB_ERR_SYSTEM_UNREACHABLE', `${where}: client is closed`, { cause: err }), code: 'SB_ERR_SYSTEM_UNREACHABLE', failure: false, notSent: false }
  }
  if (TIMEOUTS.has(code)) {
    return { error: new SwitchboardError('SB_ERR_SYSTEM_TIMEOUT', `${where}: ${text}`, { cause: err }), code: 'SB_ERR_SYSTEM_TIMEOUT', failure: true, notSent: NOT_SENT.has(code) }
  }
  return { error: new SwitchboardError('SB_ERR_SYSTEM_UNREACHABLE', `${where}: ${text}`, { cause: err }), code: 'SB_ERR_SYSTEM_UNREACHABLE', failure: true, notSent: NOT_SENT.has(code) }
}
