/**
 * Wires the observability layer (src/observe) into a running node: the Prometheus registry and
 * the health tracker subscribed to the diagnostics channels, the breakers' states read from the
 * systems layer, and the alert loop over the config's `alerts[]` and `channels`.
 *
 * Two seams for the flows runtime: {@link Observability.setQueueStatsProvider} (per-flow queue
 * figures: pending, oldest pending age, dead) feeds the queue gauges, the health summary and the
 * queue alerts; {@link Observability.setAlertNotifier} replaces the in-process HTTP notifier
 * with durable delivery.
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
  type AlertNotification,
  type AlertNotifier,
  type InstalledMetrics,
  type QueueStatsProvider,
} from '../observe/index.js'
import type { Store } from '../store/contract.js'
import type { Systems } from '../systems/index.js'
import { AlertLoop } from './alert-loop.js'
import { HttpAlertNotifier } from './alert-notifier.js'

export interface ObservabilityOptions {
  config: Readonly<RawConfig>
  store: Store
  /** The node's systems layer: the health summary reads each breaker's current state from it. */
  systems?: Pick<Systems, 'health'> | undefined
  logger: Logger
  clock?: Clock
  /** This node's name in the alert lease (default: a fresh id per start). */
  nodeId?: string
  /** Default: {@link HttpAlertNotifier} over the config's channels. */
  notifier?: AlertNotifier
  /**
   * Elect the evaluating node through a store lease. Default: with a PostgreSQL store (several
   * nodes may share it); a SQLite store has one node, which always evaluates.
   */
  useLease?: boolean
  /** At stop, how long a running evaluation may finish its notifications before they are aborted. Default 5 s. */
  stopGraceMs?: number
}

export interface Observability {
  readonly metrics: InstalledMetrics
  readonly health: HealthTracker
  readonly alerts: AlertLoop
  /** Per-flow queue figures for the gauges, the health summary and the queue alerts (flows wiring). */
  setQueueStatsProvider(provider: QueueStatsProvider | undefined): void
  /** Replaces where notifications go (flows wiring: durable delivery). */
  setAlertNotifier(notifier: AlertNotifier): void
  /** Stops the alert loop (waiting for a running evaluation), unsubscribes, closes the notifier. */
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

  const http = options.notifier === undefined ? new HttpAlertNotifier({ channels: config.channels ?? {}, clock }) : undefined
  let notifier: AlertNotifier = options.notifier ?? (http as HttpAlertNotifier)
  // The evaluator keeps the notifier it was built with: hand it one that forwards to the current.
  const forwarding: AlertNotifier = { notify: (n: AlertNotification) => notifier.notify(n) }
  const alerts = new AlertLoop({
    rules,
    source: health,
    store,
    notifier: forwarding,
    clock,
    logger: logger.child({ component: 'alerts' }),
    intervalMs,
    startDelayMs: durationMs(o.alerts?.startDelay ?? '1m'),
    historyMs: durationMs(o.alerts?.history ?? '30d'),
    ...(useLease ? { lease: { name: ALERT_LEASE, owner: options.nodeId ?? newId(), ttlMs: leaseTtlMs } } : {}),
  })
  alerts.start()
  if (rules.length > 0) logger.debug({ rules: rules.length, intervalMs, lease: useLease }, 'alert evaluation scheduled')

  let stopping: Promise<void> | undefined
  return {
    metrics,
    health,
    alerts,
    setQueueStatsProvider(provider) {
      metrics.setQueueStatsProvider(provider)
      health.setQueueStatsProvider(provider)
    },
    setAlertNotifier(next) {
      notifier = next
    },
    stop: () =>
      (stopping ??= (async () => {
        // A running evaluation may finish (a notification being answered gets recorded as
        // sent, so the next start does not send it again); a channel that is down does not
        // hold the shutdown past the grace period: its sends and retries are aborted then.
        const abort = setTimeout(() => http?.close(), options.stopGraceMs ?? 5_000)
        try {
          await alerts.stop()
        } finally {
          clearTimeout(abort)
          http?.close()
        }
        unsubscribe()
        metrics.close()
      })()),
  }
}
