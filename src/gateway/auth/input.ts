/**
 * Reading credentials out of an {@link AuthInput}. Header names are looked up lower-case (as
 * Node delivers them). A credential sent twice is ambiguous and reported as such rather than
 * silently picking one: proxies and clients disagree on which copy wins.
 */
import type { AuthInput } from './policy.js'

/** Marker for a header or query parameter that occurs more than once. */
export const DUPLICATE = Symbol('duplicate')

/** The single value of a header (`lowerName` must be lower-case), or undefined, or DUPLICATE. */
export function headerValue(input: AuthInput, lowerName: string): string | undefined | typeof DUPLICATE {
  const v = input.headers[lowerName]
  if (v === undefined || typeof v === 'string') return v
  if (v.length === 1) return v[0]
  return v.length === 0 ? undefined : DUPLICATE
}

/** The single string value of a query parameter, or undefined, or DUPLICATE (array/object). */
export function queryValue(input: AuthInput, name: string): string | undefined | typeof DUPLICATE {
  if (!Object.hasOwn(input.query, name)) return undefined
  const v = input.query[name]
  if (v === undefined) return undefined
  return typeof v === 'string' ? v : DUPLICATE
}

const BEARER_RE = /^Bearer[ \t]+/i

/**
 * What follows `Authorization: Bearer `, trimmed (not checked: each policy validates its own
 * token shape), or undefined when the header is absent, empty or another scheme.
 */
export function bearerToken(input: AuthInput): string | undefined | typeof DUPLICATE {
  const v = headerValue(input, 'authorization')
  if (typeof v !== 'string') return v
  const m = BEARER_RE.exec(v)
  if (!m) return undefined
  const token = v.slice(m[0].length).trim()
  return token === '' ? undefined : token
}

/** HTTP header field-name syntax (RFC 9110 token). */
export const HEADER_NAME_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
