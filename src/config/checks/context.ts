/**
 * What every semantic check receives. Checks also run when schema validation failed (so all
 * problems are reported at once), so they read the config defensively through these helpers.
 */
import type { SecretLookup } from '../explain.js'
import type { Finding } from '../issues.js'
import { describeFound, describeSecret } from '../messages.js'
import { isRecord, type Segment } from '../paths.js'

export interface CheckContext {
  /** The resolved config (defaults applied where validation got that far). */
  config: Record<string, unknown>
  /** Directory of the config file; relative file references resolve against it. */
  dir: string
  /** The as-written text of a value that came from a secret reference (never echo the value). */
  secret: SecretLookup
  report(finding: Finding): void
}

export type Check = (ctx: CheckContext) => void

export function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : []
}

export function rec(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {}
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined
}

/** Each element of a top-level array block with its index (`routes`, `flows`, `pollers`). */
export function entries(ctx: CheckContext, block: string): Array<[number, Record<string, unknown>]> {
  return list(ctx.config[block]).flatMap((item, i): Array<[number, Record<string, unknown>]> => (isRecord(item) ? [[i, item]] : []))
}

/** A value as it may appear in a message: quoted, or the reference it came from if secret. */
export function shown(ctx: CheckContext, path: Segment[], value: unknown): string {
  const written = ctx.secret(path)
  return written === undefined ? describeFound(value) : describeSecret(written)
}
