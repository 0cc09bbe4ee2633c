/**
 * What the admin API reads from the node's observability (built by the runtime, see
 * src/runtime/observe.ts): the metrics registry, the health tracker and the alert loop's status.
 * Alert state and history themselves are read from the store, so every node answers the same.
 */
import type { HealthSummary, InstalledMetrics } from '../observe/index.js'

/** The alert evaluation on this node. */
export interface AlertLoopStatus {
  /** `single`: this node always evaluates (SQLite store); `lease`: the holder of the store lease does (PostgreSQL). */
  election: 'single' | 'lease'
  /** Whether this node evaluated at its last turn (false before the first one). */
  evaluating: boolean
  intervalMs: number
  /** Epoch ms of this node's last evaluation (null before the first). */
  lastEvaluatedAt: number | null
  /** Evaluations this node ran since it started. */
  evaluations: number
  /** The last evaluation or persistence failure, if the last turn failed. */
  lastError: string | null
}

export interface ObserveDeps {
  metrics: Pick<InstalledMetrics, 'contentType' | 'metricsText'>
  health: { summary(): Promise<HealthSummary> }
  alerts?: { status(): AlertLoopStatus }
}
