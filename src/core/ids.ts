/**
 * Identifiers. Event and delivery ids are UUIDv7-shaped: time-ordered (so indexes stay
 * append-mostly) and random enough to be unguessable.
 */
import { randomBytes, randomUUID } from 'node:crypto'

export function newId(now = Date.now()): string {
  const b = randomBytes(16)
  b.writeUIntBE(now, 0, 6)
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x70 // version 7
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80 // RFC 4122 variant
  const h = b.toString('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

/** A request id for X-Request-Id when the client sent none. */
export function newRequestId(): string {
  return randomUUID()
}

/** A random secret token (API keys, admin tokens): prefix + 32 bytes base64url. */
export function newSecretToken(prefix: string): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`
}
