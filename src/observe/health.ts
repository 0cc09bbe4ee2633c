/**
 * The health summary: rolling 5-minute figures per system, route, flow and poller, fed from the
 * diagnostics channels, judged into ok / degraded / failing with reasons. Also the figure source
 * of the alert evaluator. Time comes from a Clock, so tests move it by hand.
 */
import { systemClock, type Clock } from '../core/clock.js'
import {
  subscribeChannels,
  type CircuitStateName,
  type CircuitTransitionEvent,
  type DeliveryAttemptEvent,
  type GatewayRequestEvent,
  type PollerRunEvent,
  type SystemCallEvent,
} from './channels.js'
import { judgeFlow, judgePoller, judgeRoute, judgeSystem, worst } from './health-judge.js'
import {
  DEFAULT_THRESHOLDS,
  type FlowFigures,
  type HealthStatus,
  type HealthSummary,
  type HealthThresholds,
  type LastError,
  type PollerFigures,
  type RouteFigures,
  type SystemFigures,
} from './health-types.js'
import { callCounts, callFailed, callOutcome, deliveryAttempted, DELIVERY_OUTCOME_LABEL } from './labels.js'
import { SharedQueueStats, type FlowQueueStats, type QueueStatsProvider } from './queue-stats.js'
import { RollingWindow } from './window.js'

export interface HealthOptions {
  clock?: Clock
  /** The window of the summary. Default 5 min. */
  windowMs?: number
  /** How far back figures are kept (alert rules may ask for longer windows). Default = windowMs. */
  retentionMs?: number
  /** Slot width of the rolling windows. Default 10 s. */
  slotMs?: number
  /** Names from the config, listed even before any traffic. */
  known?: { systems?: Iterable<string>; routes?: Iterable<string>; flows?: Iterable<string>; pollers?: Iterable<string> }
  queueStats?: QueueStatsProvider
  /**
   * The breakers' current states, read at summary time (authoritative when given: a breaker may
   * have changed before this tracker subscribed).
   */
  circuits?: () => Iterable<{ system: string; state: CircuitStateName; openedAt: number | null }>
  thresholds?: Partial<HealthThresholds>
  /** Most entities tracked per kind; more are ignored (a safety net against drifting publishers). Default 1000. */
  maxEntities?: number
}

const SYSTEM_FIELDS = ['calls', 'failures', 'refused'] as const
const ROUTE_FIELDS = ['requests', 'errors'] as const
const FLOW_FIELDS = ['delivered', 'retried', 'deferred', 'dead'] as const
const POLLER_FIELDS = ['runs', 'failures'] as const
/** Each field's position, for {@link RollingWindow.addAt}. */
const positions = <F extends string>(fields: readonly F[]): Readonly<Record<F, number>> => Object.fromEntries(fields.map((f, i) => [f, i])) as Record<F, number>
const SYSTEM_AT = positions(SYSTEM_FIELDS)
const ROUTE_AT = positions(ROUTE_FIELDS)

interface SystemState {
  w: RollingWindow<(typeof SYSTEM_FIELDS)[number]>
  circuit: CircuitStateName
  since: number | null
  /** Left `closed` at (null while closed). */
  openSince: number | null
  lastError: { code: string; at: number } | null
}
interface PollerState {
  w: RollingWindow<(typeof POLLER_FIELDS)[number]>
  consecutive: number
  lastRunAt: number | null
  lastOkAt: number | null
  lastError: { code: string; at: number } | null
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString())
const lastErr = (e: { code: string; at: number } | null): LastError | null => (e === null ? null : { code: e.code, at: new Date(e.at).toISOString() })
const ratio = (part: number, total: number): number | null => (total === 0 ? null : part / total)

export class HealthTracker {
  readonly clock: Clock
  readonly windowMs: number
  readonly thresholds: Readonly<HealthThresholds>
  readonly #retentionMs: number
  readonly #slotMs: number
  readonly #max: number
  readonly #systems = new Map<string, SystemState>()
  readonly #routes = new Map<string, RollingWindow<(typeof ROUTE_FIELDS)[number]>>()
  readonly #flows = new Map<string, RollingWindow<(typeof FLOW_FIELDS)[number]>>()
  readonly #pollers = new Map<string, PollerState>()
  readonly #stats: SharedQueueStats
  readonly #circuits: HealthOptions['circuits']

  constructor(options: HealthOptions = {}) {
    this.clock = options.clock ?? systemClock
    this.windowMs = options.windowMs ?? 300_000
    this.#retentionMs = Math.max(this.windowMs, options.retentionMs ?? 0)
    this.#slotMs = options.slotMs ?? 10_000
    this.#max = options.maxEntities ?? 1000
    this.thresholds = Object.freeze({ ...DEFAULT_THRESHOLDS, ...options.thresholds })
    this.#stats = new SharedQueueStats(options.queueStats)
    this.#circuits = options.circuits
    const k = options.known ?? {}
    for (const s of k.systems ?? []) this.#system(s)
    for (const r of k.routes ?? []) this.#route(r)
    for (const f of k.flows ?? []) this.#flow(f)
    for (const p of k.pollers ?? []) this.#poller(p)
  }

  #window<F extends string>(fields: readonly F[], latency: boolean): RollingWindow<F> {
    return new RollingWindow(fields, { slotMs: this.#slotMs, retentionMs: this.#retentionMs, latency, latencyRetentionMs: this.windowMs })
  }

  /**
   * Get-or-create with the entity cap; undefined past the cap. `make` is one of the factories
   * below, made once: the per-request feeds must not build a closure per call.
   */
  #entry<V>(map: Map<string, V>, key: string, make: () => V): V | undefined {
    const have = map.get(key)
    if (have !== undefined || map.size >= this.#max) return have
    const v = make()
    map.set(key, v)
    return v
  }
  readonly #newSystem = (): SystemState => ({ w: this.#window(SYSTEM_FIELDS, true), circuit: 'closed', since: null, openSince: null, lastError: null })
  readonly #newRoute = (): RollingWindow<(typeof ROUTE_FIELDS)[number]> => this.#window(ROUTE_FIELDS, true)
  readonly #newFlow = (): RollingWindow<(typeof FLOW_FIELDS)[number]> => this.#window(FLOW_FIELDS, true)
  readonly #newPoller = (): PollerState => ({ w: this.#window(POLLER_FIELDS, false), consecutive: 0, lastRunAt: null, lastOkAt: null, lastError: null })
  #system(name: string) {
    return this.#entry(this.#systems, name, this.#newSystem)
  }
  #route(name: string) {
    return this.#entry(this.#routes, name, this.#newRoute)
  }
  #flow(name: string) {
    return this.#entry(this.#flows, name, this.#newFlow)
  }
  #poller(name: string) {
    return this.#entry(this.#pollers, name, this.#newPoller)
  }

  /** How far back figures are kept: alert rules may not ask for longer windows. */
  get retentionMs(): number {
    return this.#retentionMs
  }

  setQueueStatsProvider(provider: QueueStatsProvider | undefined): void {
    this.#stats.set(provider)
  }

  // ---- feeds (one per channel) ----

  recordGatewayRequest(e: GatewayRequestEvent): void {
    const w = this.#route(e.route)
    if (w === undefined) return
    const now = this.clock.now()
    w.addAt(now, ROUTE_AT.requests)
    if (e.statusClass === '5xx') w.addAt(now, ROUTE_AT.errors)
    w.observe(now, e.durationMs)
  }

  recordSystemCall(e: SystemCallEvent): void {
    const s = this.#system(e.system)
    if (s === undefined) return
    const now = this.clock.now()
    const outcome = callOutcome(e)
    if (!callCounts(outcome)) {
      s.w.addAt(now, SYSTEM_AT.refused)
      return
    }
    s.w.addAt(now, SYSTEM_AT.calls)
    s.w.observe(now, e.durationMs)
    if (callFailed(outcome, e.statusCode)) {
      s.w.addAt(now, SYSTEM_AT.failures)
      s.lastError = { code: e.errorCode ?? `HTTP ${e.statusCode ?? '?'}`, at: now }
    }
  }

  recordCircuitTransition(e: CircuitTransitionEvent): void {
    const s = this.#system(e.system)
    if (s === undefined) return
    if (e.to === 'closed') s.openSince = null
    else if (s.circuit === 'closed' || s.openSince === null) s.openSince = e.at
    s.circuit = e.to
    s.since = e.at
  }

  recordDeliveryAttempt(e: DeliveryAttemptEvent): void {
    // A filter skip is the flow working as configured: not a figure of its health.
    if (e.outcome === 'skipped') return
    const w = this.#flow(e.flowId)
    if (w === undefined) return
    const now = this.clock.now()
    w.add(now, DELIVERY_OUTCOME_LABEL[e.outcome])
    if (deliveryAttempted(e)) w.observe(now, e.latencyMs)
  }

  recordPollerRun(e: PollerRunEvent): void {
    const p = this.#poller(e.poller)
    if (p === undefined) return
    const now = this.clock.now()
    p.w.add(now, 'runs')
    p.lastRunAt = now
    if (e.ok) {
      p.consecutive = 0
      p.lastOkAt = now
    } else {
      p.w.add(now, 'failures')
      p.consecutive++
      p.lastError = { code: e.errorCode ?? 'unknown', at: now }
    }
  }

  /** Feeds the tracker from the diagnostics channels; returns the unsubscribe function. */
  subscribe(): () => void {
    return subscribeChannels({
      gatewayRequest: (e) => this.recordGatewayRequest(e),
      systemCall: (e) => this.recordSystemCall(e),
      circuitTransition: (e) => this.recordCircuitTransition(e),
      deliveryAttempt: (e) => this.recordDeliveryAttempt(e),
      pollerRun: (e) => this.recordPollerRun(e),
    })
  }

  // ---- figures ----

  systemNames(): string[] {
    return [...this.#systems.keys()].sort()
  }
  routeNames(): string[] {
    return [...this.#routes.keys()].sort()
  }
  flowNames(): string[] {
    return [...this.#flows.keys()].sort()
  }
  pollerNames(): string[] {
    return [...this.#pollers.keys()].sort()
  }

  /** Current breaker state of a system: the provider's when wired, else the last transition seen. */
  circuitOf(system: string): { state: CircuitStateName; since: number | null; openSince: number | null } {
    const tracked = this.#systems.get(system)
    if (this.#circuits !== undefined) {
      for (const c of this.#circuits()) {
        if (c.system !== system) continue
        if (c.state === 'closed') return { state: 'closed', since: tracked?.circuit === 'closed' ? tracked.since : null, openSince: null }
        const since = tracked?.circuit === c.state ? tracked.since : c.state === 'open' ? c.openedAt : null
        return { state: c.state, since, openSince: tracked?.openSince ?? c.openedAt }
      }
    }
    return { state: tracked?.circuit ?? 'closed', since: tracked?.since ?? null, openSince: tracked?.openSince ?? null }
  }

  systemFigures(system: string, windowMs = this.windowMs): SystemFigures {
    const now = this.clock.now()
    const s = this.#systems.get(system)
    const t = s?.w.totals(now, windowMs) ?? { calls: 0, failures: 0, refused: 0 }
    const c = this.circuitOf(system)
    return {
      system,
      circuit: c.state,
      circuitSince: iso(c.since),
      circuitOpenSince: iso(c.openSince),
      calls: t.calls,
      failures: t.failures,
      refused: t.refused,
      successRate: ratio(t.calls - t.failures, t.calls),
      p95Ms: s?.w.quantile(now, 0.95, windowMs) ?? null,
      lastError: lastErr(s?.lastError ?? null),
    }
  }

  routeFigures(route: string, windowMs = this.windowMs): RouteFigures {
    const now = this.clock.now()
    const w = this.#routes.get(route)
    const t = w?.totals(now, windowMs) ?? { requests: 0, errors: 0 }
    return { route, requests: t.requests, errors: t.errors, errorRate: ratio(t.errors, t.requests), p95Ms: w?.quantile(now, 0.95, windowMs) ?? null }
  }

  /** A flow's figures; `stats` are its queue figures (from {@link queueStats}) when known. */
  flowFigures(flow: string, stats?: FlowQueueStats, windowMs = this.windowMs): FlowFigures {
    const now = this.clock.now()
    const w = this.#flows.get(flow)
    const t = w?.totals(now, windowMs) ?? { delivered: 0, retried: 0, deferred: 0, dead: 0 }
    return {
      flow,
      delivered: t.delivered,
      failed: t.retried,
      deferred: t.deferred,
      dead: t.dead,
      errorRate: ratio(t.retried + t.dead, t.delivered + t.retried + t.dead),
      p95Ms: w?.quantile(now, 0.95, windowMs) ?? null,
      pending: stats?.pending ?? null,
      oldestPendingAgeMs: stats === undefined ? null : (stats.oldestPendingAgeMs ?? 0),
      dlqDepth: stats?.dead ?? null,
    }
  }

  pollerFigures(poller: string, windowMs = this.windowMs): PollerFigures {
    const p = this.#pollers.get(poller)
    const t = p?.w.totals(this.clock.now(), windowMs) ?? { runs: 0, failures: 0 }
    return {
      poller,
      runs: t.runs,
      failures: t.failures,
      consecutiveFailures: p?.consecutive ?? 0,
      lastRunAt: iso(p?.lastRunAt ?? null),
      lastOkAt: iso(p?.lastOkAt ?? null),
      lastError: lastErr(p?.lastError ?? null),
    }
  }

  /** Queue figures by flow; `undefined` when no provider is wired or it failed. */
  async queueStats(): Promise<Map<string, FlowQueueStats> | undefined> {
    if (!this.#stats.configured) return undefined
    try {
      return new Map((await this.#stats.read()).map((s) => [s.flow, s]))
    } catch {
      return undefined
    }
  }

  /** The judged summary of everything tracked. */
  async summary(): Promise<HealthSummary> {
    const now = this.clock.now()
    const t = this.thresholds
    const stats = await this.queueStats()
    const flowNames = new Set(this.flowNames())
    for (const f of stats?.keys() ?? []) flowNames.add(f)
    const systems = this.systemNames().map((s) => judgeSystem(this.systemFigures(s), t, now))
    const routes = this.routeNames().map((r) => judgeRoute(this.routeFigures(r), t))
    const flows = [...flowNames].sort().map((f) => judgeFlow(this.flowFigures(f, stats?.get(f)), t))
    const pollers = this.pollerNames().map((p) => judgePoller(this.pollerFigures(p), t))
    let status: HealthStatus = 'ok'
    const reasons: string[] = []
    const add = (kind: string, name: string, item: { status: HealthStatus; reasons: string[] }): void => {
      status = worst(status, item.status)
      for (const r of item.reasons) reasons.push(`${kind} ${name}: ${r}`)
    }
    for (const x of systems) add('system', x.system, x)
    for (const x of routes) add('route', x.route, x)
    for (const x of flows) add('flow', x.flow, x)
    for (const x of pollers) add('poller', x.poller, x)
    if (this.#stats.configured && stats === undefined) {
      status = worst(status, 'degraded')
      reasons.push('queue figures could not be read from the store')
    }
    return { status, reasons, at: new Date(now).toISOString(), windowMs: this.windowMs, systems, routes, flows, pollers }
  }
}
