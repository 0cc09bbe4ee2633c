/**
 * Wires the observability layer (src/observe) into a running node: the Prometheus registry and
 * the health tracker subscribed to the diagnostics channels, the breakers' states read from the
 * systems layer, and the alert loop over the config's `alerts[]` and `channels`.
 *
 * Two seams for the flows runtime: {@link Observability.setQueueStatsProvider} (per-flow queue
 * figures: pending, oldest pending age, dead) feeds the queue gauges, the health summary and the
 * queue alerts; {@link Observability.setAlertOutbox} gives the alert loop the durable delivery
 * of notifications, and only then is the loop scheduled.
 */
import type { Logger } from 'pino'
import type { RawConfig } from '../config/spec/root.js'
import { systemClock, type Clock } from '../core/clock.js'
import { durationMs, formatDuration } from '../core/duration.js'
import { SwitchboardError } from '../core/errors.js'
import { newId } from '../core/ids.js'
import {
  compileAlerts,
  HealthTracker,
  installMetrics,
  longestWindowMs,
  MAX_ALERT_WINDOW_MS,
  namesFromConfig,
  type InstalledMetrics,
  type QueueStatsProvider,
} from '../observe/index.js'
import type { Store } from '../store/contract.js'
import type { Systems } from '../systems/index.js'
import { AlertLoop, type AlertOutbox } from './alert-loop.js'

export interface ObservabilityOptions {
  config: Readonly<RawConfig>
  store: Store
  /** The node's systems layer: the health summary reads each breaker's current state from it. */
  systems?: Pick<Systems, 'health'> | undefined
  logger: Logger
  clock?: Clock
  /** This node's name in the alert lease (default: a fresh id per start). */
  nodeId?: string
  /** Where notifications go. Without it the alert loop is scheduled at {@link Observability.setAlertOutbox}. */
  outbox?: AlertOutbox
  /**
   * Elect the evaluating node through a store lease. Default: with a PostgreSQL store (several
   * nodes may share it); a SQLite store has one node, which always evaluates.
   */
  useLease?: boolean
}

export interface Observability {
  readonly metrics: InstalledMetrics
  readonly health: HealthTracker
  readonly alerts: AlertLoop
  /** Per-flow queue figures for the gauges, the health summary and the queue alerts (flows wiring). */
  setQueueStatsProvider(provider: QueueStatsProvider | undefined): void
  /** Where notifications go (flows wiring: events on the channels' internal topics); the first call schedules the alert loop. */
  setAlertOutbox(outbox: AlertOutbox): void
  /** Stops the alert loop (waiting for a running evaluation) and unsubscribes. */
  stop(): Promise<void>
}

/** The lease electing the node that evaluates alerts (see {@link AlertLoop}). */
export const ALERT_LEASE = 'alerts'

const MAX_SLOTS = 3600

function invalid(path: string, message: string): SwitchboardError {
  return new SwitchboardError('SB_ERR_CONFIG_INVALID', `${path}: ${message}`)
}

/**
 * The rolling windows' slot width: 1/30 of the health window (10 s for 5 min) so short windows
 * (tests) still slide smoothly, but never so narrow that the longest alert window needs more
 * than 3600 slots per entity.
 */
function slotWidth(windowMs: number, retentionMs: number): number {
  return Math.max(100, Math.min(10_000, Math.round(windowMs / 30)), Math.ceil(retentionMs / MAX_SLOTS))
}

/**
 * Builds and starts the observability of a node. Throws SB_ERR_CONFIG_INVALID for rules that do
 * not compile (unknown names, windows over 1h) and for `observe:` values out of range.
 */
export function startObservability(options: ObservabilityOptions): Observability {
  const { config, store, logger } = options
  const clock = options.clock ?? systemClock
  const o = config.observe ?? {}
  const windowMs = durationMs(o.health?.window ?? '5m')
  if (windowMs > MAX_ALERT_WINDOW_MS) throw invalid('observe.health.window', `${formatDuration(windowMs)} is longer than the maximum of 1h`)
  const intervalMs = durationMs(o.alerts?.interval ?? '15s')
  const leaseTtlMs = durationMs(o.alerts?.leaseTtl ?? '1m')
  const useLease = options.useLease ?? store.kind === 'postgres'
  if (useLease && leaseTtlMs <= intervalMs) {
    throw invalid('observe.alerts.leaseTtl', `${formatDuration(leaseTtlMs)} must be longer than observe.alerts.interval (${formatDuration(intervalMs)}), or the lease lapses between evaluations`)
  }

  const rules = compileAlerts(config)
  const names = namesFromConfig(config)
  const retentionMs = Math.max(windowMs, longestWindowMs(rules))
  const systems = options.systems
  const metrics = installMetrics({ known: names })
  const health = new HealthTracker({
    clock,
    windowMs,
    retentionMs,
    slotMs: slotWidth(windowMs, retentionMs),
    known: names,
    ...(systems ? { circuits: () => systems.health().map((h) => ({ system: h.system, state: h.state, openedAt: h.openedAt })) } : {}),
  })
  const unsubscribe = health.subscribe()

  // The loop's timer starts once notifications have somewhere to go; a turn run by hand before
  // that fails if it has notifications (they are offered again), and saves state otherwise.
  const unwired: AlertOutbox = {
    async commit(notifications, alongside) {
      if (notifications.length > 0) throw new SwitchboardError('SB_ERR_ALERT_NOTIFY_FAILED', 'alert notifications cannot be queued yet: the event flows of this node are not running')
      await store.transaction(alongside)
    },
  }
  let outbox: AlertOutbox = options.outbox ?? unwired
  const alerts = new AlertLoop({
    rules,
    source: health,
    store,
    outbox: { commit: (notifications, alongside) => outbox.commit(notifications, alongside) },
    clock,
    logger: logger.child({ component: 'alerts' }),
    intervalMs,
    startDelayMs: durationMs(o.alerts?.startDelay ?? '1m'),
    historyMs: durationMs(o.alerts?.history ?? '30d'),
    ...(useLease ? { lease: { name: ALERT_LEASE, owner: options.nodeId ?? newId(), ttlMs: leaseTtlMs } } : {}),
  })
  const schedule = () => {
    alerts.start()
    if (rules.length > 0) logger.debug({ rules: rules.length, intervalMs, lease: useLease }, 'alert evaluation scheduled')
  }
  if (options.outbox) schedule()

  let stopping: Promise<void> | undefined
  return {
    metrics,
    health,
    alerts,
    setQueueStatsProvider(provider) {
      metrics.setQueueStatsProvider(provider)
      health.setQueueStatsProvider(provider)
    },
    setAlertOutbox(next) {
      const first = outbox === unwired
      outbox = next
      if (first) schedule()
    },
    stop: () =>
      (stopping ??= (async () => {
        await alerts.stop()
        unsubscribe()
        metrics.close()
      })()),
  }
}
