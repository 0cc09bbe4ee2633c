/**
 * Redaction of what delivery records keep: response excerpts and request snapshots are shown in
 * the DLQ, the admin API and the console, so secrets in them (tokens a target echoes back,
 * Authorization headers of the transformed request) are replaced by `[redacted]` before they
 * are stored. Field names are matched case-insensitively at any depth.
 */
import { SECRET_FIELD_NAMES } from '../observe/logger.js'

export const REDACTED = '[redacted]'
/** Largest response excerpt kept per attempt, in UTF-8 bytes. */
export const EXCERPT_MAX_BYTES = 4096

const EXTRA_SECRET_HEADERS = ['webhook-signature', 'stripe-signature', 'x-hub-signature-256', 'proxy-authorization', 'set-cookie']

/** A redactor for the built-in secret names plus `extra` (the config's `log.redact`). */
export class Redactor {
  private readonly names: ReadonlySet<string>
  private readonly textPattern: RegExp

  constructor(extra: readonly string[] = []) {
    this.names = new Set([...SECRET_FIELD_NAMES, ...EXTRA_SECRET_HEADERS, ...extra].map((n) => n.toLowerCase()))
    const alternatives = [...this.names].map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')
    // `name": "value"`, `name=value`, `name: value` in text that is not JSON (form bodies, HTML, logs).
    this.textPattern = new RegExp(`((?:${alternatives})["']?\\s*[:=]\\s*["']?)((?:(?:Bearer|Basic|Token)\\s+)?[^"'&,;\\s}<]+)`, 'gi')
  }

  isSecretName(name: string): boolean {
    return this.names.has(name.toLowerCase())
  }

  /** Headers with secret values replaced. */
  headers(headers: Readonly<Record<string, string>>): Record<string, string> {
    const out: Record<string, string> = {}
    for (const [k, v] of Object.entries(headers)) out[k] = this.isSecretName(k) ? REDACTED : v
    return out
  }

  /** A JSON value with the values of secret-named fields replaced, at any depth. */
  value(value: unknown, depth = 0): unknown {
    if (depth > 64) return REDACTED
    if (Array.isArray(value)) return value.map((v) => this.value(v, depth + 1))
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {}
      for (const [k, v] of Object.entries(value)) out[k] = this.isSecretName(k) ? REDACTED : this.value(v, depth + 1)
      return out
    }
    return value
  }

  /**
   * An excerpt of a response body for the attempt record: JSON is redacted structurally, other
   * text by pattern (and bearer tokens anywhere); the result is cut to {@link EXCERPT_MAX_BYTES}.
   */
  excerpt(text: string): string {
    let out: string
    try {
      out = JSON.stringify(this.value(JSON.parse(text)))
    } catch {
      out = text.replace(this.textPattern, `$1${REDACTED}`)
    }
    out = out.replace(/\b(Bearer|Basic)\s+[A-Za-z0-9\-._~+/]+=*/gi, `$1 ${REDACTED}`)
    return truncateUtf8(out, EXCERPT_MAX_BYTES)
  }
}

/** At most `maxBytes` of UTF-8, never splitting a character; a cut is marked with `…`. */
export function truncateUtf8(text: string, maxBytes: number): string {
  const buf = Buffer.from(text, 'utf8')
  if (buf.length <= maxBytes) return text
  let end = maxBytes - 3 // room for the ellipsis (3 bytes in UTF-8)
  while (end > 0 && ((buf[end] ?? 0) & 0xc0) === 0x80) end--
  return `${buf.subarray(0, end).toString('utf8')}…`
}
