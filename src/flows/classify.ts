/**
 * What happens to a delivery after one attempt: delivered, retried later (spending an attempt),
 * left waiting (circuit open or outbound rate limit: no attempt spent), or dead-lettered.
 *
 * The rule (DESIGN.md "Delivery guarantees"): 2xx delivered; network errors, timeouts, 408, 425,
 * 429 and 5xx retried, honouring a capped `Retry-After`; other statuses dead at once; 410 Gone
 * dead and the flow's target flagged. A flow may replace the retryable statuses
 * (`retryOn.statuses`) and force some to dead (`retryOn.deadOn`). Decisions branch on error
 * `code`s and statuses, never on message text.
 */
import { isSwitchboardError, NonRetryableError, RetryAfterError, type ErrorCode } from '../core/errors.js'
import { backoffDelay, parseRetryAfter, type RetrySchedule } from './retry.js'

/** What one attempt produced. */
export type AttemptOutcome =
  | { kind: 'response'; status: number; headers: Readonly<Record<string, string | string[] | undefined>> }
  | { kind: 'error'; error: unknown }

/** A flow's override of the status classification (`flows[].retryOn`). */
export interface RetryRules {
  /** Retry exactly these statuses (replaces 408, 425, 429, 5xx). */
  statuses?: readonly number[] | undefined
  /** Dead-letter these at once (wins over `statuses`). */
  deadOn?: readonly number[] | undefined
}

export type DeadReason = 'non-retryable' | 'gone' | 'attempts' | 'max-age'

export type Verdict =
  | { kind: 'delivered' }
  /** Try again after `delayMs`; the attempt counts. */
  | { kind: 'retry'; delayMs: number; code: ErrorCode; message: string }
  /** The target could not be tried (open circuit, rate limit): try after `delayMs`, attempt not counted. */
  | { kind: 'wait'; delayMs: number; code: ErrorCode; message: string }
  | { kind: 'dead'; reason: DeadReason; code: ErrorCode; message: string }

export interface ClassifyContext {
  schedule: RetrySchedule
  rules?: RetryRules | undefined
  /** Number of this attempt, 1-based (attempts spent so far including this one). */
  attempt: number
  /** When the event was accepted: `maxAge` counts from here. */
  eventCreatedAt: number
  now: number
  random?: () => number
}

/** Statuses retried by default besides 5xx. */
const RETRYABLE = new Set([408, 425, 429])
/** Errors raised before the request left: the target was not tried, so no attempt is spent. */
const WAIT_CODES: ReadonlySet<string> = new Set(['SB_ERR_SYSTEM_CIRCUIT_OPEN', 'SB_ERR_SYSTEM_RATE_LIMITED'])
/** Failures that retrying cannot fix (the request itself cannot be sent, the flow is gone). */
const DEAD_CODES: ReadonlySet<string> = new Set(['SB_ERR_SYSTEM_REQUEST_INVALID', 'SB_ERR_FLOW_EXPRESSION', 'SB_ERR_FLOW_TARGET_PATH', 'SB_ERR_FLOW_UNKNOWN', 'SB_ERR_EVENT_INVALID', 'SB_ERR_EVENT_UNKNOWN_TOPIC'])
/** Shortest wait for an open circuit / rate limit whose error carries no hint. */
const DEFAULT_WAIT_MS = 1_000

export function classifyAttempt(outcome: AttemptOutcome, ctx: ClassifyContext): Verdict {
  return outcome.kind === 'response' ? classifyStatus(outcome.status, outcome.headers, ctx) : classifyError(outcome.error, ctx)
}

type Headers = Readonly<Record<string, string | string[] | undefined>>

function classifyStatus(status: number, headers: Headers, ctx: ClassifyContext): Verdict {
  if (status >= 200 && status < 300) return { kind: 'delivered' }
  const rules = ctx.rules ?? {}
  const message = `target answered ${status}`
  if (rules.deadOn?.includes(status)) return dead(status === 410 ? 'gone' : 'non-retryable', status === 410 ? 'SB_ERR_FLOW_TARGET_GONE' : 'SB_ERR_FLOW_TARGET_STATUS', message)
  const listed = rules.statuses?.includes(status) ?? false
  if (status === 410 && !listed) return dead('gone', 'SB_ERR_FLOW_TARGET_GONE', `${message} (Gone): the target endpoint was removed`)
  const retryable = rules.statuses ? listed : RETRYABLE.has(status) || (status >= 500 && status < 600)
  if (!retryable) return dead('non-retryable', 'SB_ERR_FLOW_TARGET_STATUS', message)
  const asked = parseRetryAfter(header(headers, 'retry-after'), ctx.now)
  const delayMs = asked === undefined ? undefined : Math.min(asked, ctx.schedule.retryAfterCapMs)
  return retry(ctx, 'SB_ERR_FLOW_TARGET_STATUS', message, delayMs)
}

function classifyError(error: unknown, ctx: ClassifyContext): Verdict {
  const message = error instanceof Error ? error.message : String(error)
  if (!isSwitchboardError(error)) return retry(ctx, 'SB_ERR_SYSTEM_UNREACHABLE', message)
  if (WAIT_CODES.has(error.code)) {
    const hint = (error as { retryAfterMs?: unknown }).retryAfterMs
    const delayMs = typeof hint === 'number' && Number.isFinite(hint) && hint > 0 ? hint : DEFAULT_WAIT_MS
    return bound(ctx, { kind: 'wait', delayMs, code: error.code, message })
  }
  if (error instanceof NonRetryableError || DEAD_CODES.has(error.code)) return dead('non-retryable', error.code, message)
  if (error instanceof RetryAfterError) return retry(ctx, error.code, message, Math.min(error.retryAfterMs, ctx.schedule.retryAfterCapMs))
  return retry(ctx, error.code, message)
}

function retry(ctx: ClassifyContext, code: ErrorCode, message: string, delayMs?: number): Verdict {
  if (ctx.attempt >= ctx.schedule.attempts) return dead('attempts', code, `${message} (gave up after ${ctx.attempt} attempts)`)
  const delay = delayMs ?? backoffDelay(ctx.schedule, ctx.attempt, ctx.random)
  return bound(ctx, { kind: 'retry', delayMs: delay, code, message })
}

/**
 * Apply `maxAge`: past the deadline the delivery is dead; otherwise the wait is shortened so a
 * last try happens at the deadline rather than never.
 */
function bound(ctx: ClassifyContext, v: Verdict & { kind: 'retry' | 'wait' }): Verdict {
  if (ctx.schedule.maxAgeMs <= 0) return v
  const deadline = ctx.eventCreatedAt + ctx.schedule.maxAgeMs
  if (ctx.now >= deadline) return dead('max-age', v.code, `${v.message} (gave up: the event is older than the retry maxAge)`)
  return { ...v, delayMs: Math.min(v.delayMs, deadline - ctx.now) }
}

function dead(reason: DeadReason, code: ErrorCode, message: string): Verdict {
  return { kind: 'dead', reason, code, message }
}

function header(headers: Headers, name: string): string | string[] | undefined {
  if (name in headers) return headers[name]
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) return v
  return undefined
}
