/**
 * The retry schedule of deliveries: exponential backoff with full jitter between `initial` and
 * `max`, bounded by `attempts` and/or `maxAge`. Defaults follow the spirit of Standard
 * Webhooks' schedule (5 s, 5 min, 30 min, 2 h, 5 h, 10 h…): a target that is down for an
 * afternoon still receives its events, spread over hours rather than hammered for seconds.
 *
 * Pure functions of their inputs (the random source is a parameter), so bounds are testable.
 */
import { durationMs } from '../core/duration.js'
import type { RetryConfig } from '../config/spec/system.js'

/** A resolved retry policy, every duration in milliseconds. */
export interface RetrySchedule {
  /** Total attempts including the first. */
  attempts: number
  initialMs: number
  maxMs: number
  /** Growth of the delay between consecutive retries. */
  factor: number
  /** Give up once the event is this old (0 = no age limit). */
  maxAgeMs: number
  jitter: 'full' | 'none'
  /** Largest wait a target may ask for with `Retry-After`. */
  retryAfterCapMs: number
}

/**
 * Defaults: 10 attempts, 5 s × 4ⁿ capped at 6 h → retries after ~5 s, 20 s, 80 s, 5 min, 21 min,
 * 1.4 h, 5.7 h, 6 h, 6 h (about a day in all, like Standard Webhooks), and never past 3 days.
 */
export const DEFAULT_RETRY: Readonly<RetrySchedule> = Object.freeze({
  attempts: 10,
  initialMs: 5_000,
  maxMs: 6 * 3_600_000,
  factor: 4,
  maxAgeMs: 3 * 86_400_000,
  jitter: 'full',
  retryAfterCapMs: 6 * 3_600_000,
})

/**
 * The schedule of a flow: the flow's `retry` wins field by field over its target system's
 * `retry`, which wins over {@link DEFAULT_RETRY}.
 */
export function resolveRetrySchedule(flow?: RetryConfig, system?: RetryConfig): RetrySchedule {
  const pick = <K extends keyof RetryConfig>(k: K): RetryConfig[K] | undefined => flow?.[k] ?? system?.[k]
  const ms = (v: string | number | undefined, d: number) => (v === undefined ? d : durationMs(v))
  const initialMs = ms(pick('initial'), DEFAULT_RETRY.initialMs)
  const maxMs = Math.max(initialMs, ms(pick('max'), DEFAULT_RETRY.maxMs))
  return {
    attempts: pick('attempts') ?? DEFAULT_RETRY.attempts,
    initialMs,
    maxMs,
    factor: pick('factor') ?? DEFAULT_RETRY.factor,
    maxAgeMs: ms(pick('maxAge'), DEFAULT_RETRY.maxAgeMs),
    jitter: pick('jitter') ?? DEFAULT_RETRY.jitter,
    retryAfterCapMs: maxMs,
  }
}

/**
 * The delay before retry number `retry` (1 = the retry after the first failed attempt).
 * Without jitter it is `initial × factorⁿ⁻¹` capped at `max`. With full jitter it is drawn
 * uniformly between that value and the next step (still capped), so the first retry lands in
 * [initial, initial × factor] and no delay is ever below `initial` or above `max`: spreading
 * retries keeps a recovering target from being hit by every failed delivery at once.
 */
export function backoffDelay(schedule: RetrySchedule, retry: number, random: () => number = Math.random): number {
  const n = Math.max(1, Math.floor(retry))
  const step = (k: number) => Math.min(schedule.maxMs, schedule.initialMs * schedule.factor ** (k - 1))
  const low = step(n)
  if (schedule.jitter === 'none') return low
  const high = step(n + 1)
  return Math.round(low + random() * (high - low))
}

/**
 * Milliseconds a `Retry-After` value asks to wait: delay-seconds (`120`) or an HTTP-date
 * (`Wed, 21 Oct 2026 07:28:00 GMT`). `undefined` when absent or malformed; a date in the past
 * is 0. The caller caps it.
 */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | undefined {
  const v = (Array.isArray(value) ? value[0] : value)?.trim()
  if (!v) return undefined
  if (/^\d+$/.test(v)) return Number.parseInt(v, 10) * 1000
  // Only the HTTP-date form (RFC 9110 IMF-fixdate, and the obsolete forms Date.parse accepts
  // that name a weekday/month): rejects numbers with signs, fractions or units.
  if (!/^[A-Za-z]{3},? /.test(v)) return undefined
  const at = Date.parse(v)
  if (Number.isNaN(at)) return undefined
  return Math.max(0, at - now)
}
