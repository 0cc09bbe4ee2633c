/**
 * When a poller's ticks fall due: a fixed interval (`every`) or a cron expression, and how far
 * the next tick moves out after consecutive failures (back-off).
 *
 * The schedule only computes times; the store keeps `nextAt`, so every node agrees on when
 * the next tick is due whatever node ran the last one.
 */
import { Cron } from 'croner'

/** Far future: a cron expression with no run left (a date in the past). Safe for the store. */
export const NEVER = Number.MAX_SAFE_INTEGER

export interface Schedule {
  /** `every 30s` or `cron 0 2 * * *` (for listings). */
  readonly description: string
  /** Due time of the first tick of a poller never run before. */
  first(now: number): number
  /** The latest a tick may be due once the schedule is (re)loaded: a shorter schedule applies at once. */
  latest(now: number): number
  /** Due time of the tick after one that started at `startedAt` and ended at `now`. */
  next(startedAt: number, now: number): number
  /** The usual gap between ticks around `now`: the unit of back-off. */
  periodMs(now: number): number
}

export function everySchedule(intervalMs: number, shown: string): Schedule {
  return {
    description: `every ${shown}`,
    // A new poller reads at once: users expect to see data after adding one, not after `every`.
    first: (now) => now,
    latest: (now) => now + intervalMs,
    // From the start of the tick (no drift), but never in the past: a tick slower than the
    // interval is followed by the next one at once, never by a burst of catch-up ticks.
    next: (startedAt, now) => Math.max(startedAt + intervalMs, now),
    periodMs: () => intervalMs,
  }
}

/** Throws croner's error for an invalid expression (the caller names the field). */
export function cronSchedule(expression: string): Schedule {
  const cron = new Cron(expression)
  const after = (t: number): number => cron.nextRun(new Date(t))?.getTime() ?? NEVER
  return {
    description: `cron ${expression}`,
    first: after,
    latest: after,
    next: (_startedAt, now) => after(now),
    periodMs(now) {
      const a = after(now)
      const b = a === NEVER ? NEVER : after(a)
      return b === NEVER ? 86_400_000 : Math.max(1000, b - a)
    },
  }
}

/**
 * Wait after the `failures`-th consecutive failure: one period, then doubling, capped at
 * `maxBackoffMs` — but never below one period (back-off must not poll faster than the
 * schedule) nor above ten periods.
 */
export function backoffDelay(failures: number, periodMs: number, maxBackoffMs: number): number {
  const cap = Math.max(periodMs, Math.min(10 * periodMs, maxBackoffMs))
  const exp = Math.min(Math.max(failures, 1) - 1, 30)
  return Math.min(cap, periodMs * 2 ** exp)
}
