/**
 * The health figures of systems, routes, flows and pollers, and the summary built from them
 * (`GET /v1/health`, `switchboard status`). Times are ISO 8601 strings, durations milliseconds.
 */
import type { CircuitStateName } from './channels.js'

export type HealthStatus = 'ok' | 'degraded' | 'failing'

export interface LastError {
  /** Stable error code, or `HTTP <status>` for an answer without one. */
  code: string
  at: string
}

export interface SystemFigures {
  system: string
  circuit: CircuitStateName
  /** When the circuit entered its current state (null when it never changed here). */
  circuitSince: string | null
  /**
   * When the circuit last left `closed` while it is open or half-open (probing does not reset
   * it); null when closed. "Open for longer than N" is measured from here.
   */
  circuitOpenSince: string | null
  /** Calls that reached (or tried to reach) the system in the window. */
  calls: number
  /** Of those, the failures: no answer, 5xx or 429. */
  failures: number
  /** Calls refused on this side (circuit open, own outbound rate limit) or aborted by the caller. */
  refused: number
  /** (calls − failures) / calls; null without calls. */
  successRate: number | null
  p95Ms: number | null
  lastError: LastError | null
}

export interface RouteFigures {
  route: string
  requests: number
  /** Answers with a 5xx status. */
  errors: number
  /** errors / requests; null without requests. */
  errorRate: number | null
  p95Ms: number | null
}

export interface FlowFigures {
  flow: string
  delivered: number
  /** Attempts that failed and will be retried. */
  failed: number
  /** Deliveries put back without a request (circuit open, outbound rate limit); not errors of the flow. */
  deferred: number
  /** Deliveries moved to the dead-letter queue. */
  dead: number
  /** (failed + dead) / attempts; null without attempts. */
  errorRate: number | null
  p95Ms: number | null
  /** From the queue stats provider; null when it is not wired or failed. */
  pending: number | null
  oldestPendingAgeMs: number | null
  dlqDepth: number | null
}

export interface PollerFigures {
  poller: string
  runs: number
  failures: number
  /** Failed runs since the last successful one (not bounded by the window). */
  consecutiveFailures: number
  lastRunAt: string | null
  lastOkAt: string | null
  lastError: LastError | null
}

export type Judged<T> = T & { status: HealthStatus; reasons: string[] }

export interface HealthSummary {
  status: HealthStatus
  /** Every reason for a status other than ok, prefixed with the entity (`system erp: circuit open`). */
  reasons: string[]
  at: string
  windowMs: number
  systems: Array<Judged<SystemFigures>>
  routes: Array<Judged<RouteFigures>>
  flows: Array<Judged<FlowFigures>>
  pollers: Array<Judged<PollerFigures>>
}

/** When figures turn a status degraded or failing. */
export interface HealthThresholds {
  /** Below this many calls / requests / attempts in the window, rates do not judge. Default 5. */
  minSamples: number
  /** Error rate (failure rate for systems) at which the entity is degraded. Default 0.05. */
  degradedErrorRate: number
  /** Error rate at which it is failing. Default 0.5. */
  failingErrorRate: number
  /** Oldest pending delivery older than this: degraded. Default 5 min. */
  oldestPendingAgeMs: number
  /** Consecutive failed poller runs at which the poller is failing (one makes it degraded). Default 3. */
  pollerFailingAfter: number
}

export const DEFAULT_THRESHOLDS: Readonly<HealthThresholds> = Object.freeze({
  minSamples: 5,
  degradedErrorRate: 0.05,
  failingErrorRate: 0.5,
  oldestPendingAgeMs: 5 * 60_000,
  pollerFailingAfter: 3,
})
