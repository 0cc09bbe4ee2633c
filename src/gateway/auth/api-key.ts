/**
 * API key authentication. The key is read from a header (`X-Api-Key` by default), from
 * `Authorization: Bearer sbk_…` (only when the token looks like one of our keys, so a JWT on
 * the same route is left to the JWT policy), or from a query parameter when the route opts in.
 *
 * Keys are looked up by their SHA-256 hash through the shared {@link ApiKeyCache}: a cache hit
 * answers synchronously (no promise on the hot path); a miss asks the store.
 */
import { hashSecret } from '../../core/secrets.js'
import type { ApiKeyAuthConfig } from '../../config/spec/route.js'
import { acquireApiKeyCache, releaseApiKeyCache, type ApiKeyCacheOptions, type KeyLookup } from './api-key-cache.js'
import { ABSENT, invalid, optionError } from './errors.js'
import { DUPLICATE, HEADER_NAME_RE, bearerToken, headerValue, queryValue } from './input.js'
import type { AuthDeps, AuthInput, AuthPolicy, AuthResult } from './policy.js'

/** Prefix of every key Switchboard issues (see keys.ts). */
export const API_KEY_PREFIX = 'sbk_'
/** `sbk_` + 32 random bytes in base64url: anything else cannot be a key and never reaches the store. */
const KEY_RE = /^sbk_[A-Za-z0-9_-]{43}$/

/** Most keys whose hash is remembered (the keys of active consumers; oldest out first). */
const MAX_REMEMBERED_HASHES = 1024

/**
 * Raw key → SHA-256 for keys that were found, so a client's repeated requests skip the hash.
 * Only a memo of a pure function: every request still looks the hash up in the key cache, so
 * revocation works exactly as without it. Unknown keys are not remembered (a flood of random
 * keys cannot churn it). Shared by every API key policy of the process.
 */
const knownHashes = new Map<string, string>()

function hashOf(key: string): string {
  return knownHashes.get(key) ?? hashSecret(key)
}

function rememberHash(key: string, hash: string): void {
  if (knownHashes.has(key)) return
  if (knownHashes.size >= MAX_REMEMBERED_HASHES) {
    const oldest = knownHashes.keys().next()
    if (!oldest.done) knownHashes.delete(oldest.value)
  }
  knownHashes.set(key, hash)
}

/**
 * Build an API key policy. `at` is the option path used in boot errors; `cache` tunes the
 * process-wide key cache when this is the first policy to use it (tests shorten its timers).
 */
export function apiKeyPolicy(options: ApiKeyAuthConfig, deps: AuthDeps, at = 'apiKey', cache?: ApiKeyCacheOptions): AuthPolicy {
  const header = (options.header ?? 'X-Api-Key').toLowerCase()
  if (!HEADER_NAME_RE.test(header)) throw optionError(`${at}.header`, `"${options.header}" is not a valid header name`)
  if (header === 'authorization') {
    throw optionError(`${at}.header`, '"Authorization" is always read for `Bearer sbk_…` keys; choose another header or leave the default')
  }
  const query = options.query
  if (query !== undefined && query.trim() === '') throw optionError(`${at}.query`, 'must be a non-empty parameter name')

  const keys = acquireApiKeyCache(deps.store, deps.clock, cache)
  let closed = false

  /** The key string, ABSENT, or an invalid result for an ambiguous credential. */
  function extract(input: AuthInput): string | AuthResult {
    const h = headerValue(input, header)
    if (h === DUPLICATE) return invalid('SB_ERR_AUTH_INVALID_KEY', `header ${options.header ?? 'X-Api-Key'} was sent more than once`)
    if (h !== undefined) return h.trim()
    const b = bearerToken(input)
    if (b === DUPLICATE) return invalid('SB_ERR_AUTH_INVALID_KEY', 'header Authorization was sent more than once')
    if (b !== undefined && b.startsWith(API_KEY_PREFIX)) return b
    if (query !== undefined) {
      const q = queryValue(input, query)
      if (q === DUPLICATE) return invalid('SB_ERR_AUTH_INVALID_KEY', `query parameter ${query} must be given once`)
      if (q !== undefined) return q
    }
    return ABSENT
  }

  function toResult(found: KeyLookup, raw: string, hash: string): AuthResult {
    if (!found.found) {
      return found.revoked ? invalid('SB_ERR_AUTH_REVOKED_KEY', 'API key has been revoked') : invalid('SB_ERR_AUTH_INVALID_KEY', 'API key is not valid')
    }
    const { key } = found
    // Config consumers are the live source of scopes (reloads); API-created ones come from the store.
    const configured = deps.consumers.get(key.consumer)
    const scopes = configured ? (configured.scopes ?? []) : key.storeScopes
    if (scopes === null) return invalid('SB_ERR_AUTH_INVALID_KEY', 'API key belongs to a consumer that no longer exists')
    keys.noteUsed(key.id)
    rememberHash(raw, hash)
    return { ok: true, principal: { consumer: key.consumer, scopes, method: 'apiKey', subject: key.id } }
  }

  return {
    scheme: 'ApiKey',
    needsRawBody: false,
    authenticate(input: AuthInput): AuthResult | Promise<AuthResult> {
      const key = extract(input)
      if (typeof key !== 'string') return key
      if (!KEY_RE.test(key)) return invalid('SB_ERR_AUTH_INVALID_KEY', 'API key is malformed')
      const hash = hashOf(key)
      const hit = keys.lookupSync(hash)
      if (hit !== undefined) return toResult(hit, key, hash)
      return keys.lookup(hash).then(
        (found) => toResult(found, key, hash),
        (err: unknown) => invalid('SB_ERR_STORE_UNAVAILABLE', 'cannot check the API key: the store is unavailable', err),
      )
    },
    close(): void {
      if (closed) return
      closed = true
      releaseApiKeyCache(deps.store, keys)
    },
  }
}
