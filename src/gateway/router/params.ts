/**
 * Path-parameter safety. A value substituted into an upstream path must stay one path segment:
 * encoding alone is not enough (an upstream or an intermediary may decode `%2F` or `%2e%2e`
 * again and walk to another endpoint), so anything that could change the path is rejected, not
 * just encoded (DESIGN.md, security rules).
 */
import { SwitchboardError } from '../../core/errors.js'

// Control characters (C0, DEL), the two path separators, and percent-encoded forms of those,
// of `.` and of `%` itself — the last catches double encoding such as `%252e%252e`.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE_CHAR_RE = /[\u0000-\u001f\u007f/\\]/
const UNSAFE_ENCODED_RE = /%(?:2e|2f|5c|25|[01][0-9a-f]|7f)/i

/** Why a decoded segment value is unsafe, or undefined when it is a plain segment. */
export function unsafeSegmentReason(value: string): string | undefined {
  if (value === '') return 'is empty'
  if (value === '.' || value === '..') return 'is a dot segment'
  if (UNSAFE_CHAR_RE.test(value)) return 'contains a path separator or a control character'
  if (UNSAFE_ENCODED_RE.test(value)) return 'contains a percent-encoded separator, dot or control character'
  return undefined
}

/** The 400 answered for an unsafe parameter (the value itself is not echoed: it may be hostile). */
export function badParam(name: string, reason: string): SwitchboardError {
  return new SwitchboardError('SB_ERR_GATEWAY_BAD_PARAM', `path parameter "${name}" ${reason}`)
}

/** `value` checked and URL-encoded for use as one upstream path segment; throws SB_ERR_GATEWAY_BAD_PARAM. */
export function encodeSegment(name: string, value: string): string {
  const reason = unsafeSegmentReason(value)
  if (reason !== undefined) throw badParam(name, reason)
  return encodeURIComponent(value)
}

/**
 * A wildcard tail in its raw (still percent-encoded) form, checked segment by segment and
 * re-encoded. The raw form is used because the router has already decoded `%2F` into `/`,
 * which would make `a%2Fb` indistinguishable from `a/b`. Empty segments (`a//b`) are kept:
 * they cannot climb out of the tail.
 */
export function encodeTail(rawTail: string): string {
  if (rawTail === '') return ''
  const parts = rawTail.split('/')
  for (let i = 0; i < parts.length; i++) {
    const raw = parts[i] as string
    if (raw === '') continue
    let decoded: string
    try {
      decoded = decodeURIComponent(raw)
    } catch {
      throw badParam('*', 'is not valid percent-encoding')
    }
    parts[i] = encodeSegment('*', decoded)
  }
  return parts.join('/')
}
