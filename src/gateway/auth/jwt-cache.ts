/**
 * Tokens a JWT policy has verified, so a client sending the same token again costs one Map
 * lookup instead of a signature verification (an ES256 or RS256 verify is most of a JWT
 * route's CPU). Only successful verifications are remembered, and only until the earliest of
 * the token's `exp` and {@link VERIFIED_TTL_MS} after the check — a key withdrawn from the
 * JWKS stops being trusted through this cache within that time (jose itself keeps fetched keys
 * for `jwksMaxAge`). Rejections are never cached: every reject path runs the full checks.
 *
 * One cache per policy (a token valid for one route's issuer and audience says nothing about
 * another's), bounded in entries and in token size; the oldest entry goes first.
 */
import type { Principal } from './policy.js'

/** How long a verified token is trusted without verifying it again. */
export const VERIFIED_TTL_MS = 30_000
/** Entries per policy. */
const MAX_ENTRIES = 1024
/** Longer tokens are verified every time (they would make the bound on memory meaningless). */
const MAX_TOKEN_LENGTH = 4096

interface Entry {
  principal: Principal
  /** When it was verified: a clock set back before that re-verifies (`nbf`, `iat`). */
  verifiedAt: number
  expiresAt: number
}

export class VerifiedTokens {
  readonly #entries = new Map<string, Entry>()

  /** The principal of `token` when it was verified and is still trusted at `now`. */
  get(token: string, now: number): Principal | undefined {
    const e = this.#entries.get(token)
    if (e === undefined) return undefined
    if (now >= e.expiresAt || now < e.verifiedAt) {
      this.#entries.delete(token)
      return undefined
    }
    return e.principal
  }

  /** Remembers a token verified at `now` whose `exp` (epoch seconds) is `exp`. */
  set(token: string, principal: Principal, now: number, exp: number | undefined): void {
    if (token.length > MAX_TOKEN_LENGTH || exp === undefined) return
    const expiresAt = Math.min(exp * 1000, now + VERIFIED_TTL_MS)
    if (expiresAt <= now) return
    if (this.#entries.size >= MAX_ENTRIES) {
      const oldest = this.#entries.keys().next()
      if (!oldest.done) this.#entries.delete(oldest.value)
    }
    this.#entries.set(token, { principal, verifiedAt: now, expiresAt })
  }

  get size(): number {
    return this.#entries.size
  }

  clear(): void {
    this.#entries.clear()
  }
}
