/**
 * The Prometheus metrics of a Switchboard process: a private prom-client registry (never the
 * global one, so two hubs in one process — tests — do not mix), filled by subscribing to the
 * diagnostics channels, plus queue gauges read from the store at scrape time. See
 * docs/reference/metrics.md (generated from metric-defs.ts).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import { subscribeChannels, type ChannelHandlers, type CircuitStateName } from './channels.js'
import { BoundedLabel, ByLabel, CALL_OUTCOMES, callOutcome, callOutcomeIndex, deliveryAttempted, DELIVERY_OUTCOME_LABEL, METHOD_LABELS, methodIndex, rejectionReason } from './labels.js'
import { METRIC_DEFS, REMOVED_DEFAULT_METRICS, type MetricDef } from './metric-defs.js'
import { SharedQueueStats, type FlowQueueStats, type QueueStatsProvider } from './queue-stats.js'
import { CounterHandle, HistogramSeries, type HistogramHandle } from './series.js'

/** Names known from the config: their series exist from the start and always pass the caps. */
export interface KnownNames {
  routes?: Iterable<string>
  consumers?: Iterable<string>
  systems?: Iterable<string>
  flows?: Iterable<string>
  topics?: Iterable<string>
  pollers?: Iterable<string>
}

export interface MetricsOptions {
  known?: KnownNames
  /** Distinct consumer label values beyond the configured ones; the rest count as `other`. Default 100. */
  maxConsumers?: number
  /** Cap for every other name label (route, system, flow, topic, poller). Default 1000. */
  maxNamesPerLabel?: number
  /** Queue figures for the flow gauges; settable later with `setQueueStatsProvider`. */
  queueStats?: QueueStatsProvider
  /** prom-client's process and Node.js metrics. Default true. */
  defaultMetrics?: boolean
}

export interface InstalledMetrics {
  readonly registry: Registry
  /** `text/plain; version=0.0.4; charset=utf-8`. */
  readonly contentType: string
  /** The exposition text of every metric (runs the scrape-time collectors). */
  metricsText(): Promise<string>
  setQueueStatsProvider(provider: QueueStatsProvider | undefined): void
  /** Unsubscribes from the channels. The registry keeps its last values. */
  close(): void
}

const seconds = (ms: number): number => Math.max(0, ms) / 1000

const UNKNOWN_TOPIC = '(unknown)'

const CIRCUIT_VALUE: Record<CircuitStateName, number> = { closed: 0, 'half-open': 1, open: 2 }

function counter(registry: Registry, d: MetricDef, collect?: () => void): Counter<string> {
  return new Counter({ name: d.name, help: d.help, labelNames: d.labelNames, registers: [registry], ...(collect ? { collect } : {}) })
}

function gauge(registry: Registry, d: MetricDef, collect?: (this: Gauge<string>) => void | Promise<void>): Gauge<string> {
  return new Gauge({ name: d.name, help: d.help, labelNames: d.labelNames, registers: [registry], ...(collect ? { collect } : {}) })
}

function histogram(registry: Registry, d: MetricDef, collect?: () => void): Histogram<string> {
  return new Histogram({ name: d.name, help: d.help, labelNames: d.labelNames, buckets: [...(d.buckets ?? [])], registers: [registry], ...(collect ? { collect } : {}) })
}

/** A histogram fed per request through {@link HistogramSeries} handles, synced when it is read. */
function handledHistogram(registry: Registry, d: MetricDef): HistogramSeries {
  return new HistogramSeries(d.buckets ?? [], (collect) => histogram(registry, d, collect))
}

/**
 * Builds the registry with every metric of {@link METRIC_DEFS} and no subscription (docs and
 * tests of the table use it; {@link installMetrics} adds the feeds).
 */
export function createMetricsRegistry(stats: SharedQueueStats = new SharedQueueStats()) {
  const registry = new Registry()
  const D = METRIC_DEFS
  // Every queue gauge reads the same in-flight snapshot (one store query per scrape).
  const statsUp = gauge(registry, D.queueStatsUp, async function () {
    try {
      await stats.read()
      this.set(1)
    } catch {
      this.set(0)
    }
  })
  const fromStats = (pick: (s: FlowQueueStats) => number) =>
    async function (this: Gauge<string>): Promise<void> {
      this.reset()
      let rows: readonly FlowQueueStats[]
      try {
        rows = await stats.read()
      } catch {
        return // reported by switchboard_flow_stats_up; stale figures would mislead
      }
      for (const s of rows) this.set({ flow: s.flow }, pick(s))
    }
  const m = {
    gatewayRequests: counter(registry, D.gatewayRequests),
    gatewayDuration: handledHistogram(registry, D.gatewayDuration),
    gatewayRejections: counter(registry, D.gatewayRejections),
    systemCalls: counter(registry, D.systemCalls),
    systemDuration: handledHistogram(registry, D.systemDuration),
    circuitState: gauge(registry, D.circuitState),
    circuitTransitions: counter(registry, D.circuitTransitions),
    eventsPublished: counter(registry, D.eventsPublished),
    eventsDuplicate: counter(registry, D.eventsDuplicate),
    deliveryOutcomes: counter(registry, D.deliveryOutcomes),
    deliveryDuration: histogram(registry, D.deliveryDuration),
    deliveryAge: histogram(registry, D.deliveryAge),
    queueDepth: gauge(registry, D.queueDepth, fromStats((s) => s.pending)),
    oldestPendingAge: gauge(registry, D.oldestPendingAge, fromStats((s) => Math.max(0, s.oldestPendingAgeMs ?? 0) / 1000)),
    dlqDepth: gauge(registry, D.dlqDepth, fromStats((s) => s.dead)),
    statsUp,
    pollerRuns: counter(registry, D.pollerRuns),
    pollerItems: counter(registry, D.pollerItems),
    malformed: counter(registry, D.malformed),
  }
  return { registry, metrics: m }
}

/** Creates the registry and subscribes it to the diagnostics channels. */
export function installMetrics(options: MetricsOptions = {}): InstalledMetrics {
  const stats = new SharedQueueStats(options.queueStats)
  const { registry, metrics: m } = createMetricsRegistry(stats)
  if (options.defaultMetrics !== false) {
    collectDefaultMetrics({ register: registry })
    for (const name of REMOVED_DEFAULT_METRICS) registry.removeSingleMetric(name)
  }
  const known = options.known ?? {}
  const cap = options.maxNamesPerLabel ?? 1000
  const route = new BoundedLabel(cap, known.routes)
  const consumer = new BoundedLabel(options.maxConsumers ?? 100, known.consumers)
  const system = new BoundedLabel(cap, known.systems)
  const flow = new BoundedLabel(cap, known.flows)
  const topic = new BoundedLabel(cap, known.topics)
  const poller = new BoundedLabel(cap, known.pollers)

  // Series for configured names exist before the first event, so `rate()` and alerts on
  // "no traffic yet" behave, and a dashboard lists every system from the start.
  for (const s of known.systems ?? []) m.circuitState.set({ system: system.value(s) }, 0)
  for (const t of known.topics ?? []) m.eventsPublished.inc({ topic: topic.value(t) }, 0)
  for (const f of known.flows ?? []) for (const outcome of ['delivered', 'retried', 'dead']) m.deliveryOutcomes.inc({ flow: flow.value(f), outcome }, 0)

  // One message per gateway request and per system call: their series are resolved once per
  // label tuple (series.ts) instead of prom-client hashing the labels on every inc/observe, and
  // found again by name (ByLabel) and in arrays indexed by method and status class / outcome —
  // no key string is built per request.
  type GatewaySeries = { requests: CounterHandle; duration: HistogramHandle }
  type SystemSeries = { calls: CounterHandle; duration: HistogramHandle }
  type Slots<S> = { label: string; slots: Array<S | undefined> }
  const gatewaySeries = new ByLabel(route, (label) => ({ label, consumers: new ByLabel(consumer, (c): Slots<GatewaySeries> => ({ label: c, slots: [] })) }))
  const systemSeries = new ByLabel(system, (label): Slots<SystemSeries> => ({ label, slots: [] }))

  const handlers: ChannelHandlers = {
    gatewayRequest(e) {
      const byRoute = gatewaySeries.get(e.route)
      const byConsumer = byRoute.consumers.get(e.consumer)
      const mi = methodIndex(e.method)
      // '1xx'…'5xx' → 0…4 (the channel guard admits only those five).
      const slot = mi * 5 + e.statusClass.charCodeAt(0) - 49
      let series = byConsumer.slots[slot]
      if (series === undefined) {
        const method = METHOD_LABELS[mi] as string
        const r = byRoute.label
        byConsumer.slots[slot] = series = {
          requests: new CounterHandle(m.gatewayRequests, { route: r, method, status_class: e.statusClass, consumer: byConsumer.label }),
          duration: m.gatewayDuration.handle({ route: r, method, status_class: e.statusClass }),
        }
      }
      series.requests.add(1)
      series.duration.observe(seconds(e.durationMs))
      const reason = rejectionReason(e.errorCode)
      if (reason !== undefined) m.gatewayRejections.inc({ route: byRoute.label, consumer: byConsumer.label, reason })
    },
    systemCall(e) {
      const bySystem = systemSeries.get(e.system)
      const outcome = callOutcome(e)
      const mi = methodIndex(e.method)
      const slot = mi * CALL_OUTCOMES.length + callOutcomeIndex(outcome)
      let series = bySystem.slots[slot]
      if (series === undefined) {
        const s = bySystem.label
        bySystem.slots[slot] = series = {
          calls: new CounterHandle(m.systemCalls, { system: s, method: METHOD_LABELS[mi] as string, outcome }),
          duration: m.systemDuration.handle({ system: s, outcome }),
        }
      }
      series.calls.add(1)
      series.duration.observe(seconds(e.durationMs))
    },
    circuitTransition(e) {
      const s = system.value(e.system)
      m.circuitState.set({ system: s }, CIRCUIT_VALUE[e.to])
      m.circuitTransitions.inc({ system: s, from: e.from, to: e.to })
    },
    eventPublished(e) {
      const t = topic.value(e.topic ?? UNKNOWN_TOPIC)
      if (e.events > 0) m.eventsPublished.inc({ topic: t }, e.events)
      if (e.duplicates > 0) m.eventsDuplicate.inc({ topic: t }, e.duplicates)
    },
    deliveryAttempt(e) {
      const f = flow.value(e.flowId)
      const outcome = DELIVERY_OUTCOME_LABEL[e.outcome]
      m.deliveryOutcomes.inc({ flow: f, outcome })
      if (deliveryAttempted(e)) m.deliveryDuration.observe({ flow: f, outcome }, seconds(e.latencyMs))
      if (e.outcome === 'delivered') m.deliveryAge.observe({ flow: f }, seconds(e.ageMs))
    },
    pollerRun(e) {
      const p = poller.value(e.poller)
      m.pollerRuns.inc({ poller: p, outcome: e.ok ? 'ok' : 'error' })
      if (e.ok && e.items > 0) m.pollerItems.inc({ poller: p }, e.items)
    },
    malformed(channel) {
      m.malformed.inc({ channel })
    },
    handlerError(channel) {
      m.malformed.inc({ channel })
    },
  }
  const unsubscribe = subscribeChannels(handlers)
  return {
    registry,
    contentType: registry.contentType,
    metricsText: () => registry.metrics(),
    setQueueStatsProvider: (p) => stats.set(p),
    close: unsubscribe,
  }
}
