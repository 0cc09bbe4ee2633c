/**
 * Hashing and comparing secrets (API keys, admin token). Keys are high-entropy random tokens, so
 * a fast keyed hash (SHA-256) is right: slow password hashes buy nothing and would put a
 * KDF on the gateway's hot path. Comparison is constant-time.
 */
import { createHash, hash, timingSafeEqual } from 'node:crypto'

/** SHA-256, hex. The one-shot `crypto.hash` (no Hash object per call): it runs per API request. */
export function hashSecret(secret: string): string {
  return hash('sha256', secret, 'hex')
}

/** Constant-time string equality (the lengths of the digests are always equal). */
export function safeEqual(a: string, b: string): boolean {
  const da = createHash('sha256').update(a).digest()
  const db = createHash('sha256').update(b).digest()
  return timingSafeEqual(da, db)
}
