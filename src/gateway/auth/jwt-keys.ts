/**
 * Where JWT verification keys come from, checked at boot:
 * - a static key: a PEM public key (SPKI, PKCS#1 RSA or an X.509 certificate) for RS/PS/ES/EdDSA,
 *   or the shared secret for HS256;
 * - a JWKS URL, through jose's remote key set (cached, refetched on an unknown `kid` at most once
 *   per cooldown). Routes with the same URL and timings share one key set (refcounted).
 *
 * The algorithm-confusion guard lives here: HS256 is refused with a JWKS, with a PEM key, and
 * mixed with asymmetric algorithms, so a public key can never be used as an HMAC secret.
 */
import { createPublicKey, type KeyObject } from 'node:crypto'
import { isIP } from 'node:net'
import { createRemoteJWKSet, type JWTVerifyGetKey } from 'jose'
import { optionError } from './errors.js'

export const JWT_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA', 'HS256'] as const
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number]

/** HS256 keys shorter than the hash output are brute-forceable (RFC 7518 §3.2). */
const MIN_HMAC_SECRET_BYTES = 32
const MIN_RSA_BITS = 2048

/** The allow-list, validated: known algorithms only, never `none`, no duplicates. */
export function checkAlgorithms(algorithms: readonly string[] | undefined, at: string): JwtAlgorithm[] {
  const list = algorithms ?? ['RS256']
  if (list.length === 0) throw optionError(at, 'must list at least one algorithm')
  const out: JwtAlgorithm[] = []
  for (const [i, a] of list.entries()) {
    if (!(JWT_ALGORITHMS as readonly string[]).includes(a)) {
      throw optionError(`${at}[${i}]`, `"${a}" is not an accepted algorithm (use ${JWT_ALGORITHMS.join(', ')}; "none" is never accepted)`)
    }
    if (!out.includes(a as JwtAlgorithm)) out.push(a as JwtAlgorithm)
  }
  return out
}

/** A static key for `algorithms`: a Uint8Array secret (HS256) or a public KeyObject. */
export function staticKey(key: string, algorithms: readonly JwtAlgorithm[], at: string): KeyObject | Uint8Array {
  const isPem = /-----BEGIN [A-Z0-9 ]+-----/.test(key)
  if (algorithms.includes('HS256')) {
    if (algorithms.length > 1) {
      throw optionError(`${at}.algorithms`, 'HS256 cannot be combined with asymmetric algorithms (a public key would be accepted as an HMAC secret)')
    }
    if (isPem) throw optionError(`${at}.key`, 'is a PEM key but HS256 needs a shared secret (using a public key as an HMAC secret is the algorithm-confusion attack)')
    const secret = new TextEncoder().encode(key)
    if (secret.length < MIN_HMAC_SECRET_BYTES) throw optionError(`${at}.key`, `an HS256 secret must be at least ${MIN_HMAC_SECRET_BYTES} bytes`)
    return secret
  }
  if (!isPem) throw optionError(`${at}.key`, `${algorithms.join(', ')} need a PEM public key ("-----BEGIN PUBLIC KEY-----"); a shared secret only works with HS256`)
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key)) throw optionError(`${at}.key`, 'is a private key; give the public key (the gateway only verifies)')
  let pub: KeyObject
  try {
    pub = createPublicKey(key)
  } catch (err) {
    throw optionError(`${at}.key`, 'is not a readable PEM public key or certificate', err)
  }
  for (const alg of algorithms) checkKeyFits(pub, alg, at)
  return pub
}

function checkKeyFits(key: KeyObject, alg: JwtAlgorithm, at: string): void {
  const type = key.asymmetricKeyType
  const d = key.asymmetricKeyDetails
  const fits =
    alg === 'RS256' ? type === 'rsa'
    : alg === 'PS256' ? type === 'rsa' || type === 'rsa-pss'
    : alg === 'ES256' ? type === 'ec' && d?.namedCurve === 'prime256v1'
    : alg === 'EdDSA' ? type === 'ed25519' || type === 'ed448'
    : false
  if (!fits) throw optionError(`${at}.key`, `a ${type ?? 'non-asymmetric'}${d?.namedCurve ? ` (${d.namedCurve})` : ''} key cannot verify ${alg}`)
  if ((type === 'rsa' || type === 'rsa-pss') && (d?.modulusLength ?? 0) < MIN_RSA_BITS) {
    throw optionError(`${at}.key`, `RSA keys must be at least ${MIN_RSA_BITS} bits`)
  }
}

/** The JWKS URL, parsed. Plain http is allowed only to a loopback host (a spoofed key set is a full bypass). */
export function checkJwksUrl(url: string, at: string): URL {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    throw optionError(at, `"${url}" is not a URL`)
  }
  const host = u.hostname.replace(/^\[|\]$/g, '')
  const loopback = host === 'localhost' || (isIP(host) === 4 && host.startsWith('127.')) || host === '::1'
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && loopback)) {
    throw optionError(at, 'must be an https:// URL (plain http is only accepted for a loopback address)')
  }
  if (u.username || u.password) throw optionError(at, 'must not contain credentials')
  return u
}

export interface JwksTimings {
  cooldownMs: number
  maxAgeMs: number
  timeoutMs?: number
}

export interface SharedJwks {
  readonly getKey: JWTVerifyGetKey
  release(): void
}

const registry = new Map<string, { getKey: JWTVerifyGetKey; refs: number }>()

/** A JWKS resolver shared by every policy with the same URL and timings. */
export function acquireJwks(url: URL, t: JwksTimings): SharedJwks {
  const id = `${url.href}|${t.cooldownMs}|${t.maxAgeMs}|${t.timeoutMs ?? ''}`
  let entry = registry.get(id)
  if (entry === undefined) {
    const getKey = createRemoteJWKSet(url, { cooldownDuration: t.cooldownMs, cacheMaxAge: t.maxAgeMs, timeoutDuration: t.timeoutMs ?? 5_000 })
    entry = { getKey, refs: 0 }
    registry.set(id, entry)
  }
  entry.refs++
  let released = false
  const e = entry
  return {
    getKey: e.getKey,
    release(): void {
      if (released) return
      released = true
      if (--e.refs === 0 && registry.get(id) === e) registry.delete(id)
    },
  }
}
