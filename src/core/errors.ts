/**
 * Errors with stable codes. Users, the CLI and the retry logic branch on `code`, never on
 * message text. Every code is declared once in {@link ERROR_CODES} with its HTTP status, a
 * title, the usual cause and the fix; `docs/errors.md` is generated from that table and a
 * test fails when the two drift apart.
 */
import { ERROR_CODES, type ErrorCode } from './error-codes.js'

export { ERROR_CODES, type ErrorCode }

export interface SwitchboardErrorOptions {
  cause?: unknown
  /** Overrides the status declared for the code (rare: e.g. 422 vs 400 for the same family). */
  status?: number
  /** Extra machine-readable members for the problem+json body (violations, retry hints). */
  details?: Record<string, unknown>
}

export class SwitchboardError extends Error {
  readonly code: ErrorCode
  readonly status: number
  readonly details: Record<string, unknown> | undefined

  constructor(code: ErrorCode, message: string, options: SwitchboardErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'SwitchboardError'
    this.code = code
    this.status = options.status ?? ERROR_CODES[code].status
    this.details = options.details
  }

  /** The RFC 9457 problem document for this error (`type` is a stable URN per code). */
  toProblem(instance?: string): Problem {
    const problem: Problem = {
      type: `urn:switchboard:error:${this.code}`,
      title: ERROR_CODES[this.code].title,
      status: this.status,
      code: this.code,
      detail: this.message,
    }
    if (instance !== undefined) problem.instance = instance
    if (this.details) Object.assign(problem, this.details)
    return problem
  }
}

/** RFC 9457 problem details, with Switchboard's stable `code` member. */
export interface Problem {
  type: string
  title: string
  status: number
  code: ErrorCode
  detail?: string
  instance?: string
  [member: string]: unknown
}

/** The delivery outcome an error asks for, read by the retry logic (never the message text). */
export type RetryDirective =
  | { kind: 'retry'; afterMs?: number }
  | { kind: 'dead' }
  | { kind: 'wait-circuit'; untilMs: number }

/** A failure that must not be retried (bad request to a target, expression error, 4xx). */
export class NonRetryableError extends SwitchboardError {
  override readonly name = 'NonRetryableError'
}

/** A failure that asks to be retried no sooner than `retryAfterMs` (429/503 with Retry-After). */
export class RetryAfterError extends SwitchboardError {
  override readonly name = 'RetryAfterError'
  constructor(code: ErrorCode, message: string, readonly retryAfterMs: number, options: SwitchboardErrorOptions = {}) {
    super(code, message, options)
  }
}

/** The target system's circuit is open: wait, do not spend an attempt. */
export class CircuitOpenError extends SwitchboardError {
  override readonly name = 'CircuitOpenError'
  constructor(readonly system: string, readonly retryAfterMs: number) {
    super('SB_ERR_SYSTEM_CIRCUIT_OPEN', `circuit for system "${system}" is open; retry in ${Math.ceil(retryAfterMs / 1000)}s`)
  }
}

export function isSwitchboardError(err: unknown): err is SwitchboardError {
  return err instanceof SwitchboardError
}
