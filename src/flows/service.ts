/**
 * The event-flows service of a node: the one object the runtime starts and the gateway, admin
 * API and CLI talk to. It owns the publisher (group commit), the delivery worker (unless the
 * node's role does not deliver), the DLQ operations and retention.
 *
 * - `publish` satisfies the gateway's `EventPublisher` (resolve = committed).
 * - `dlq.list/show/replay/discard`, `deliveries.list/show`, `events.show`: the admin API and
 *   `switchboard dlq …` / `switchboard deliveries …` map onto these one to one.
 * - `pollers` (with the `pollers` option): the config's pollers, publishing through the same
 *   publisher; `pollers.list/get/runOnce/setCursor` for the admin API.
 */
import type { Bus } from '../bus/contract.js'
import { openBus } from '../bus/open.js'
import { isReservedName } from '../config/reserved.js'
import { systemClock, type Clock } from '../core/clock.js'
import { SwitchboardError } from '../core/errors.js'
import type { DeliveryQuery, DeliveryRecord, DeliveryStats, EventRecord, Store, StoreTx } from '../store/contract.js'
import { DeadLetters, type DeliveryDetail } from './dlq.js'
import type { ExpressionLimits } from './expressions.js'
import { compileFlowSet, type FlowConfigInput, type FlowSet } from './flow-set.js'
import { compilePollers } from './pollers/compile.js'
import { PollerService, type PollerServiceOptions } from './pollers/service.js'
import { Publisher, type PreparedEvent, type PublisherOptions, type PublishInput, type PublishResult } from './publisher.js'
import { Redactor } from './redact.js'
import { DEFAULT_RETENTION_MS, RetentionJob } from './retention.js'
import { Worker, type WorkerLogger, type WorkerOptions, type WorkerSystems } from './worker.js'

export interface FlowsServiceOptions {
  store: Store
  /** The config's topics, flows and systems, and the directory schema paths resolve against. */
  config: FlowConfigInput
  systems: WorkerSystems
  /** `bus:` from the config (default `store`); ignored when `bus` is given. */
  busSpec?: string
  /** A bus already opened (tests); otherwise one is opened from `busSpec`. */
  bus?: Bus
  /** The store's connection string (PostgreSQL LISTEN needs it). */
  storeUrl?: string
  clock?: Clock
  logger?: WorkerLogger
  /** Extra field names to redact in delivery records (`log.redact`). */
  redact?: readonly string[]
  /** Run the delivery worker on this node (default true; false for a gateway-only node). */
  deliver?: boolean
  worker?: Omit<WorkerOptions, 'clock' | 'logger' | 'publisher' | 'redactor'>
  publisher?: Omit<PublisherOptions, 'clock'>
  expressionLimits?: ExpressionLimits
  /** Delete finished events after this long (default 14 days). */
  retentionMs?: number
  /** How often retention runs (default 10 min; 0 disables it). */
  retentionIntervalMs?: number
  /**
   * Run the config's `pollers[]` on this node (default false): `true`, or their tuning. Every
   * node may run them; the store lets one node run each tick.
   */
  pollers?: boolean | Omit<PollerServiceOptions, 'config' | 'store' | 'systems' | 'publisher' | 'clock' | 'logger' | 'expressionLimits'>
}

export interface FlowsStats extends DeliveryStats {
  /** Deliveries being worked on this node. */
  inFlightHere: number
  /** Flows whose target answered 410 Gone (flow id → path). */
  goneTargets: Record<string, string>
}

/** One configured flow's queue, as the store sees it now (the shape health and metrics read). */
export interface FlowQueueFigures {
  flow: string
  /** Deliveries waiting or in flight. */
  pending: number
  /** How long the oldest due pending delivery has waited, in ms; null when none is due. */
  oldestPendingAgeMs: number | null
  /** Deliveries in the dead-letter queue. */
  dead: number
}

export class FlowsService {
  readonly dlq: DeadLetters
  readonly deliveries: {
    list(q?: DeliveryQuery): Promise<DeliveryRecord[]>
    show(id: string): Promise<DeliveryDetail | undefined>
  }
  readonly events: { show(id: string): Promise<EventRecord | undefined>; list: Store['events']['list'] }

  private retention: RetentionJob | undefined
  private pollerService: PollerService | undefined
  private makePollers: ((config: FlowConfigInput) => PollerService) | undefined
  private checkPollers: ((config: FlowConfigInput) => void) | undefined
  /** Poller services replaced by a reload, still finishing their ticks. */
  private readonly retiredPollers: Array<Promise<void>> = []

  private constructor(
    private readonly store: Store,
    readonly bus: Bus,
    private flows: FlowSet,
    private readonly publisher: Publisher,
    private readonly worker: Worker | undefined,
    private readonly ownsBus: boolean,
    private readonly clock: Clock,
    private readonly limits: ExpressionLimits,
  ) {
    this.dlq = new DeadLetters(store, bus, clock)
    this.deliveries = { list: (q) => store.deliveries.list(q), show: (id) => this.dlq.show(id) }
    this.events = { show: (id) => store.events.get(id), list: (q) => store.events.list(q) }
  }

  /**
   * Compile the flows (SB_ERR_CONFIG_INVALID on a bad expression, target or schema), open the
   * bus, start the worker and retention. The store must be migrated already.
   */
  static async start(o: FlowsServiceOptions): Promise<FlowsService> {
    const clock = o.clock ?? systemClock
    const limits = o.expressionLimits ?? {}
    const flows = compileFlowSet(o.config, limits)
    // Checked before anything starts, so a bad poller leaves nothing running.
    const checkPollers = (config: FlowConfigInput) => void compilePollers(config.config.pollers ?? [], limits, (name) => o.systems.has(name))
    if (o.pollers) checkPollers(o.config)
    const bus = o.bus ?? (await openBus(o.busSpec, o.store, { clock, storeUrl: o.storeUrl, onError: (err) => o.logger?.warn({ err }, 'bus wake-up connection failed; polling meanwhile') }))
    const publisher = new Publisher(o.store, bus, flows, { ...o.publisher, clock })
    const worker = o.deliver === false ? undefined : new Worker(bus, flows, o.systems, { ...o.worker, clock, logger: o.logger, publisher, redactor: new Redactor(o.redact) })
    const service = new FlowsService(o.store, bus, flows, publisher, worker, o.bus === undefined, clock, limits)
    worker?.start()
    if ((o.retentionIntervalMs ?? 600_000) > 0) {
      service.retention = new RetentionJob(o.store, () => service.flows, {
        retentionMs: o.retentionMs ?? DEFAULT_RETENTION_MS,
        intervalMs: o.retentionIntervalMs,
        clock,
        onError: (err) => o.logger?.warn({ err }, 'pruning old events failed; retrying at the next interval'),
      })
      service.retention.start()
    }
    if (o.pollers) {
      const tuning = typeof o.pollers === 'object' ? o.pollers : {}
      service.checkPollers = checkPollers
      service.makePollers = (config) => new PollerService({ ...tuning, config, store: o.store, systems: o.systems, publisher, clock, logger: o.logger, expressionLimits: limits })
      service.pollerService = service.makePollers(o.config)
    }
    return service
  }

  /** The pollers of this node (undefined unless started with the `pollers` option). */
  get pollers(): PollerService | undefined {
    return this.pollerService
  }

  /**
   * Accept an event: resolves once it and its deliveries are committed (see {@link Publisher.publish}).
   * Switchboard's own topics (reserved prefix) take no events from outside: SB_ERR_EVENT_UNKNOWN_TOPIC.
   */
  publish(e: PublishInput): Promise<PublishResult> {
    if (isReservedName(e.topic)) return Promise.reject(new SwitchboardError('SB_ERR_EVENT_UNKNOWN_TOPIC', `unknown topic ${JSON.stringify(e.topic)}`))
    return this.publisher.publish(e)
  }

  /**
   * Accept `events` together with what `alongside` writes, in one transaction of their own
   * (see {@link Publisher.commitWith}); the alert loop commits its notifications with the alert
   * state this way. Any topic may be used, reserved ones included. Rejects as `publish` does
   * for an invalid event (nothing stored).
   */
  commitWith<T>(events: readonly PublishInput[], alongside: (tx: StoreTx, results: readonly PublishResult[]) => Promise<T>): Promise<{ results: PublishResult[]; value: T }> {
    let prepared: PreparedEvent[]
    try {
      prepared = events.map((e) => this.publisher.prepare(e))
    } catch (err) {
      return Promise.reject(err)
    }
    return this.publisher.commitWith(prepared, alongside)
  }

  /** Apply a new config's topics and flows (throws SB_ERR_CONFIG_INVALID and keeps the old ones). */
  reload(config: FlowConfigInput): void {
    const flows = compileFlowSet(config, this.limits)
    this.checkPollers?.(config)
    this.flows = flows
    this.publisher.setFlows(flows)
    this.worker?.setFlows(flows)
    if (this.makePollers && this.pollerService) {
      // The old service's tick in progress and the new one's cannot overlap: the store's lease decides.
      this.retiredPollers.push(this.pollerService.stop())
      this.pollerService = this.makePollers(config)
    }
  }

  /** The compiled topics and flows in use. */
  get flowSet(): FlowSet {
    return this.flows
  }

  async stats(): Promise<FlowsStats> {
    const s = await this.store.deliveries.stats(this.clock.now())
    return { ...s, inFlightHere: this.worker?.inFlight ?? 0, goneTargets: Object.fromEntries(this.worker?.goneTargets ?? []) }
  }

  /**
   * Queue figures of every configured flow (zeros for a flow with nothing queued), plus any flow
   * no longer configured that still has deliveries queued or dead. One store query.
   */
  async flowStats(): Promise<FlowQueueFigures[]> {
    const now = this.clock.now()
    const rows = new Map((await this.store.deliveries.flowStats(now)).map((r) => [r.flowId, r]))
    const ids = [...new Set([...this.flows.flows.keys(), ...rows.keys()])]
    return ids.map((flow) => {
      const r = rows.get(flow)
      return {
        flow,
        pending: (r?.pending ?? 0) + (r?.inFlight ?? 0),
        oldestPendingAgeMs: r?.oldestDueAt == null ? null : Math.max(0, now - r.oldestDueAt),
        dead: r?.dead ?? 0,
      }
    })
  }

  /**
   * Graceful stop: stop claiming, let in-flight deliveries finish within `graceMs` and release
   * the rest; then refuse new events and commit the queued ones; stop retention and the bus.
   */
  async stop(graceMs = 10_000): Promise<void> {
    // Pollers first (they publish), then the worker: flows that publish onward still have a
    // publisher while they finish.
    await Promise.allSettled([this.pollerService?.stop(graceMs), ...this.retiredPollers])
    await this.worker?.stop(graceMs)
    await this.publisher.close()
    await this.retention?.stop()
    if (this.ownsBus) await this.bus.close()
  }
}
