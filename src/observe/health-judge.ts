/**
 * Turns figures into a status and the reasons for it. Pure: figures and thresholds in, verdict
 * out, so the rules can be read (and tested) in one place.
 */
import { formatDuration } from '../core/duration.js'
import type { FlowFigures, HealthStatus, HealthThresholds, Judged, PollerFigures, RouteFigures, SystemFigures } from './health-types.js'

const RANK: Record<HealthStatus, number> = { ok: 0, degraded: 1, failing: 2 }

export function worst(a: HealthStatus, b: HealthStatus): HealthStatus {
  return RANK[b] > RANK[a] ? b : a
}

class Verdict {
  status: HealthStatus = 'ok'
  readonly reasons: string[] = []
  add(status: HealthStatus, reason: string): void {
    this.status = worst(this.status, status)
    this.reasons.push(reason)
  }
}

const pct = (r: number): string => `${(r * 100).toFixed(r < 0.1 ? 1 : 0)}%`

/** Judges a rate of bad outcomes; silent below `minSamples`. */
function rate(v: Verdict, t: HealthThresholds, bad: number, total: number, what: string): void {
  if (total < t.minSamples || total === 0) return
  const r = bad / total
  if (r >= t.failingErrorRate) v.add('failing', `${what} ${pct(r)} (${bad} of ${total})`)
  else if (r >= t.degradedErrorRate) v.add('degraded', `${what} ${pct(r)} (${bad} of ${total})`)
}

export function judgeSystem(f: SystemFigures, t: HealthThresholds, now: number): Judged<SystemFigures> {
  const v = new Verdict()
  if (f.circuit === 'open') {
    const since = f.circuitOpenSince === null ? '' : ` for ${formatDuration(Math.max(0, Math.round(now - Date.parse(f.circuitOpenSince))))}`
    v.add('failing', `circuit open${since}`)
  } else if (f.circuit === 'half-open') v.add('degraded', 'circuit half-open (probing)')
  rate(v, t, f.failures, f.calls, 'failure rate')
  return { ...f, status: v.status, reasons: v.reasons }
}

export function judgeRoute(f: RouteFigures, t: HealthThresholds): Judged<RouteFigures> {
  const v = new Verdict()
  rate(v, t, f.errors, f.requests, '5xx rate')
  return { ...f, status: v.status, reasons: v.reasons }
}

export function judgeFlow(f: FlowFigures, t: HealthThresholds): Judged<FlowFigures> {
  const v = new Verdict()
  const attempts = f.delivered + f.failed + f.dead
  rate(v, t, f.failed + f.dead, attempts, 'attempt error rate')
  if (f.dead > 0) v.add('degraded', `${f.dead} dead-lettered in the window`)
  if (f.dlqDepth !== null && f.dlqDepth > 0) v.add('degraded', `${f.dlqDepth} in the dead-letter queue`)
  if (f.oldestPendingAgeMs !== null && f.oldestPendingAgeMs > t.oldestPendingAgeMs) {
    v.add('degraded', `oldest pending delivery is ${formatDuration(Math.round(f.oldestPendingAgeMs))} old`)
  }
  return { ...f, status: v.status, reasons: v.reasons }
}

export function judgePoller(f: PollerFigures, t: HealthThresholds): Judged<PollerFigures> {
  const v = new Verdict()
  if (f.consecutiveFailures >= t.pollerFailingAfter) v.add('failing', `${f.consecutiveFailures} runs failed in a row`)
  else if (f.consecutiveFailures > 0) v.add('degraded', `last run failed${f.lastError ? ` (${f.lastError.code})` : ''}`)
  return { ...f, status: v.status, reasons: v.reasons }
}
