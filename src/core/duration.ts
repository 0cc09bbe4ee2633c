/**
 * Durations in config are strings (`250ms`, `30s`, `5m`, `2h`, `1d`) or non-negative integers of
 * milliseconds. Parsing is strict: no spaces, no negatives, no unknown units.
 */
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const
export const DURATION_PATTERN = '^[0-9]+(\\.[0-9]+)?(ms|s|m|h|d|w)$'
const DURATION_RE = new RegExp(DURATION_PATTERN)

/** Milliseconds for a duration string or number; `undefined` when it is not a valid duration. */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined
  const m = DURATION_RE.exec(value)
  if (!m) return undefined
  const unit = m[2] as keyof typeof UNIT_MS
  return Math.round(Number.parseFloat(value) * UNIT_MS[unit])
}

/** Like {@link parseDuration} but throws; for values already validated by the config schema. */
export function durationMs(value: string | number): number {
  const ms = parseDuration(value)
  if (ms === undefined) throw new TypeError(`invalid duration ${JSON.stringify(value)}`)
  return ms
}

/** A short human form: 1500 → "1.5s", 90000 → "1.5m". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`
  if (ms < 60_000) return `${+(ms / 1000).toFixed(2)}s`
  if (ms < 3_600_000) return `${+(ms / 60_000).toFixed(2)}m`
  if (ms < 86_400_000) return `${+(ms / 3_600_000).toFixed(2)}h`
  return `${+(ms / 86_400_000).toFixed(2)}d`
}
