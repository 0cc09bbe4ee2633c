/**
 * Bearer JWT authentication with jose. Checked at boot: exactly one key source (JWKS URL or
 * static key), the algorithm allow-list (never `none`, no HS256 with a public key or JWKS),
 * durations. Checked per request: signature, `alg` in the allow-list, `iss`, `aud`, `exp`
 * (required), `nbf`/`iat` with `clockSkew`, all against the request's `now` so tests can move
 * the clock. The configured claim (`sub` by default) is mapped to a consumer through
 * consumers' `jwtSubjects`; scopes are the consumer's plus the token's `scope`/`scp`.
 *
 * jose errors are mapped by their `code`, never by message text. A token verified once is
 * trusted from memory for a short while (jwt-cache.ts), which keeps signature verification off
 * the hot path of a client that reuses its token.
 */
import { jwtVerify, type JWTPayload, type JWTVerifyGetKey, type JWTVerifyOptions } from 'jose'
import type { KeyObject } from 'node:crypto'
import { parseDuration } from '../../core/duration.js'
import type { JwtAuthConfig } from '../../config/spec/route.js'
import { ABSENT, invalid, optionError } from './errors.js'
import { DUPLICATE, bearerToken } from './input.js'
import { API_KEY_PREFIX } from './api-key.js'
import { VerifiedTokens } from './jwt-cache.js'
import { acquireJwks, checkAlgorithms, checkJwksUrl, staticKey, type SharedJwks } from './jwt-keys.js'
import type { AuthDeps, AuthInput, AuthPolicy, AuthResult, Principal } from './policy.js'

/** Tokens larger than this are refused before any parsing (header limits would catch most). */
const MAX_TOKEN_LENGTH = 16 * 1024

/** Marks a JWKS fetch failure so it maps to 503, not to a 401 blaming the token. */
class JwksUnavailable extends Error {
  override readonly name = 'JwksUnavailable'
}

/** jose codes that mean "the key set was fetched but nothing in it fits this token". */
const KEY_SELECTION_CODES = new Set(['ERR_JWKS_NO_MATCHING_KEY', 'ERR_JWKS_MULTIPLE_MATCHING_KEYS', 'ERR_JOSE_NOT_SUPPORTED'])

function durationOption(value: string | number | undefined, fallback: string, at: string): number {
  const ms = parseDuration(value ?? fallback)
  if (ms === undefined) throw optionError(at, `${JSON.stringify(value)} is not a duration`)
  return ms
}

function subjectIndex(deps: AuthDeps): Map<string, string> {
  const index = new Map<string, string>()
  for (const [name, c] of deps.consumers) {
    for (const s of c.jwtSubjects ?? []) {
      const other = index.get(s)
      if (other !== undefined && other !== name) throw optionError(`consumers.${name}.jwtSubjects`, `"${s}" is already a subject of consumer "${other}"`)
      index.set(s, name)
    }
  }
  return index
}

function tokenScopes(payload: JWTPayload): string[] {
  const out: string[] = []
  const add = (v: unknown) => {
    if (typeof v === 'string') for (const s of v.split(/\s+/)) if (s) out.push(s)
  }
  add(payload.scope)
  const scp = payload.scp
  if (Array.isArray(scp)) for (const s of scp) add(s)
  else add(scp)
  return out
}

function mapError(err: unknown): AuthResult {
  if (err instanceof JwksUnavailable) return invalid('SB_ERR_AUTH_JWKS_UNAVAILABLE', 'cannot fetch the key set to verify the token', err.cause)
  const e = err as { code?: unknown; claim?: unknown; reason?: unknown }
  switch (e.code) {
    case 'ERR_JWT_EXPIRED':
      return invalid('SB_ERR_AUTH_JWT_EXPIRED', 'token has expired', err)
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED': {
      const claim = typeof e.claim === 'string' ? e.claim : 'unspecified'
      const why =
        e.reason === 'missing' ? `required claim "${claim}" is missing`
        : claim === 'nbf' ? 'token is not yet valid (nbf)'
        : claim === 'iat' ? 'token is issued in the future (iat)'
        : claim === 'iss' ? 'token has an unexpected issuer (iss)'
        : claim === 'aud' ? 'token has an unexpected audience (aud)'
        : `claim "${claim}" is invalid`
      return invalid('SB_ERR_AUTH_JWT_CLAIM', why, err)
    }
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return invalid('SB_ERR_AUTH_JWT_INVALID', 'token signature is invalid', err)
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return invalid('SB_ERR_AUTH_JWT_INVALID', 'no published key matches the token (kid/alg)', err)
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return invalid('SB_ERR_AUTH_JWT_INVALID', 'several published keys match; the token must name its kid', err)
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return invalid('SB_ERR_AUTH_JWT_INVALID', 'token algorithm is not allowed', err)
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
      return invalid('SB_ERR_AUTH_JWT_INVALID', 'token is malformed', err)
    default:
      return invalid('SB_ERR_AUTH_JWT_INVALID', 'token cannot be verified', err)
  }
}

/** Build a JWT policy. `at` is the option path used in boot errors (`routes[2].auth.jwt`). */
export function jwtPolicy(options: JwtAuthConfig, deps: AuthDeps, at = 'jwt'): AuthPolicy {
  const algorithms = checkAlgorithms(options.algorithms, `${at}.algorithms`)
  const skewMs = durationOption(options.clockSkew, '30s', `${at}.clockSkew`)
  const claim = options.consumerClaim ?? 'sub'
  if (claim.trim() === '') throw optionError(`${at}.consumerClaim`, 'must be a claim name')
  const subjects = subjectIndex(deps)

  let key: KeyObject | Uint8Array | JWTVerifyGetKey
  let jwks: SharedJwks | undefined
  if (options.jwksUrl !== undefined && options.key !== undefined) throw optionError(at, 'give either `jwksUrl` or `key`, not both')
  if (options.jwksUrl !== undefined) {
    const url = checkJwksUrl(options.jwksUrl, `${at}.jwksUrl`)
    if (algorithms.includes('HS256')) {
      throw optionError(`${at}.algorithms`, 'HS256 cannot be used with a JWKS (a published public key would be accepted as an HMAC secret)')
    }
    const cooldownMs = durationOption(options.jwksCooldown, '30s', `${at}.jwksCooldown`)
    const maxAgeMs = durationOption(options.jwksMaxAge, '10m', `${at}.jwksMaxAge`)
    const shared = acquireJwks(url, { cooldownMs, maxAgeMs })
    jwks = shared
    key = async (header, token) => {
      try {
        return await shared.getKey(header, token)
      } catch (err) {
        const code = (err as { code?: unknown }).code
        if (typeof code === 'string' && KEY_SELECTION_CODES.has(code)) throw err
        throw new JwksUnavailable('JWKS fetch failed', { cause: err })
      }
    }
  } else if (options.key !== undefined) {
    key = staticKey(options.key, algorithms, at)
  } else {
    throw optionError(at, 'needs `jwksUrl` or `key` to verify tokens')
  }

  const base: JWTVerifyOptions = { algorithms, clockTolerance: skewMs / 1000, requiredClaims: ['exp'] }
  if (options.issuer !== undefined) base.issuer = options.issuer
  if (options.audience !== undefined) base.audience = options.audience

  function principalOf(payload: JWTPayload): Principal {
    const id = payload[claim]
    const consumer = typeof id === 'string' ? (subjects.get(id) ?? null) : null
    const own = consumer === null ? [] : (deps.consumers.get(consumer)?.scopes ?? [])
    const scopes = [...new Set([...own, ...tokenScopes(payload)])]
    const subject = typeof payload.sub === 'string' ? payload.sub : typeof id === 'string' ? id : undefined
    const p: Principal = { consumer, scopes: Object.freeze(scopes), method: 'jwt', claims: Object.freeze(payload) }
    if (subject !== undefined) p.subject = subject
    // Shared by every request that presents this token while it is cached.
    return Object.freeze(p)
  }

  const verified = new VerifiedTokens()

  async function verify(token: string, now: number): Promise<AuthResult> {
    try {
      const opts: JWTVerifyOptions = { ...base, currentDate: new Date(now) }
      // Overloads differ only by key kind; both branches call the same function.
      const { payload } = key instanceof Function ? await jwtVerify(token, key, opts) : await jwtVerify(token, key, opts)
      const principal = principalOf(payload)
      verified.set(token, principal, now, payload.exp)
      return { ok: true, principal }
    } catch (err) {
      return mapError(err)
    }
  }

  return {
    scheme: 'Bearer',
    needsRawBody: false,
    authenticate(input: AuthInput): AuthResult | Promise<AuthResult> {
      const token = bearerToken(input)
      if (token === DUPLICATE) return invalid('SB_ERR_AUTH_JWT_INVALID', 'header Authorization was sent more than once')
      // An API key in the Bearer slot is the API key policy's business.
      if (token === undefined || token.startsWith(API_KEY_PREFIX)) return ABSENT
      if (token.length > MAX_TOKEN_LENGTH) return invalid('SB_ERR_AUTH_JWT_INVALID', 'token is too large')
      const known = verified.get(token, input.now)
      if (known !== undefined) return { ok: true, principal: known }
      return verify(token, input.now)
    },
    close(): void {
      verified.clear()
      jwks?.release()
    },
  }
}
