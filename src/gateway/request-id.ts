/**
 * X-Request-Id: the client's value is kept when it is a short printable token (so a caller can
 * correlate across systems), replaced otherwise — an id goes into logs and upstream headers, so
 * it must not carry control characters or unbounded length.
 */
import { newRequestId } from '../core/ids.js'

const MAX_REQUEST_ID_LENGTH = 128
// Visible ASCII and space only: no CR/LF/NUL (header and log injection), no non-ASCII.
const PRINTABLE_RE = /^[\u0020-\u007e]+$/

/** The request id to use for a request whose `x-request-id` header is `incoming`. */
export function requestIdFor(incoming: string | string[] | undefined): string {
  if (typeof incoming === 'string' && incoming.length <= MAX_REQUEST_ID_LENGTH && PRINTABLE_RE.test(incoming)) return incoming
  return newRequestId()
}
