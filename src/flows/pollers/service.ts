/**
 * The pollers of a node: one loop per configured poller that sleeps until the poller's next
 * tick is due (as the store says), then tries to claim and run it. Every node runs the same
 * loops; the store's claim lets one node run each tick (see src/store/contract-pollers.ts), so
 * adding nodes adds standbys, not duplicate polls.
 *
 * Within a node, ticks of one poller never overlap: the loop and {@link PollerService.runOnce}
 * queue behind each other.
 */
import { setMaxListeners } from 'node:events'
import { hostname } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import type { PollerConfig } from '../../config/spec/poller.js'
import { systemClock, type Clock } from '../../core/clock.js'
import { SwitchboardError } from '../../core/errors.js'
import type { PollerStateRecord, Store } from '../../store/contract.js'
import type { ExpressionLimits } from '../expressions.js'
import { compilePollers, type CompiledPoller } from './compile.js'
import type { PollerSystems } from './fetch.js'
import { runTick, type PollerLogger, type PollerPublisher, type PollResult, type TickDeps } from './tick.js'

export interface PollerServiceOptions {
  /** The config's `pollers[]` (a `LoadedConfig` fits). */
  config: { config: { readonly pollers?: readonly PollerConfig[] | undefined } }
  store: Store
  systems: PollerSystems
  publisher: PollerPublisher
  clock?: Clock
  logger?: PollerLogger
  /** Names this node in the poller state's `owner` (default `<hostname>:<pid>`). */
  nodeId?: string
  /** Lease of a tick, renewed at every page (default 5 min): how long a dead node delays the next tick. */
  leaseMs?: number
  /** Largest response body read (default 8 MiB). */
  maxResponseBytes?: number
  expressionLimits?: ExpressionLimits
  /** Run ticks on their schedule (default true); false leaves only {@link PollerService.runOnce}. */
  schedule?: boolean
  /** Longest a loop sleeps before looking at the store again (default 60 s). */
  recheckMs?: number
}

/** A configured poller and its saved state, for the admin API. */
export interface PollerStatus {
  id: string
  system: string
  topic: string
  /** `every 30s` or `cron 0 2 * * *`. */
  schedule: string
  /** Undefined until the poller was first scheduled. */
  state: PollerStateRecord | undefined
  /** A tick of it is running on this node now. */
  runningHere: boolean
}

const DEFAULT_LEASE_MS = 5 * 60_000
const DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024
const MIN_SLEEP_MS = 5

export class PollerService {
  private readonly byId: ReadonlyMap<string, CompiledPoller>
  private readonly deps: TickDeps
  private readonly clock: Clock
  private readonly recheckMs: number
  /** Per poller: the tail of its queue of ticks on this node. */
  private readonly chains = new Map<string, Promise<unknown>>()
  private readonly running = new Set<string>()
  private readonly ensured = new Set<string>()
  private readonly loops: Array<Promise<void>> = []
  /** Aborts the loops' sleeps at stop. */
  private readonly sleeping = new AbortController()
  /** Aborts requests in flight when the grace period of stop runs out. */
  private readonly requests = new AbortController()
  private stopping = false

  /** Compiles the pollers (SB_ERR_CONFIG_INVALID) and starts their loops. */
  constructor(private readonly o: PollerServiceOptions) {
    const pollers = compilePollers(o.config.config.pollers ?? [], o.expressionLimits, (name) => o.systems.has(name))
    this.byId = new Map(pollers.map((p) => [p.id, p]))
    this.clock = o.clock ?? systemClock
    this.recheckMs = o.recheckMs ?? 60_000
    this.deps = {
      store: o.store,
      publisher: o.publisher,
      systems: o.systems,
      clock: this.clock,
      nodeId: o.nodeId ?? `${hostname()}:${process.pid}`,
      leaseMs: o.leaseMs ?? DEFAULT_LEASE_MS,
      maxResponseBytes: o.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
      logger: o.logger,
    }
    // One listener per poller loop or request in flight: many pollers are not a leak.
    setMaxListeners(0, this.sleeping.signal, this.requests.signal)
    if (o.schedule !== false) for (const p of pollers) this.loops.push(this.loop(p))
  }

  /** Configured poller ids, in config order. */
  get ids(): string[] {
    return [...this.byId.keys()]
  }

  /**
   * Run a tick of `id` now (after any tick of it already running here). `force` (default true)
   * runs it even when not due; a tick leased on another node still wins (`ran: false, reason:
   * 'busy'`). Rejects with SB_ERR_POLLER_UNKNOWN, or a store error.
   */
  runOnce(id: string, options: { force?: boolean } = {}): Promise<PollResult> {
    const p = this.byId.get(id)
    if (p === undefined) return Promise.reject(unknown(id))
    return this.exclusive(p, () => this.tick(p, options.force ?? true))
  }

  /** Every configured poller with its saved state, in config order. */
  async list(): Promise<PollerStatus[]> {
    const states = new Map((await this.o.store.pollers.list()).map((s) => [s.id, s]))
    return [...this.byId.values()].map((p) => this.status(p, states.get(p.id)))
  }

  /** One poller's status; undefined when no such poller is configured. */
  async get(id: string): Promise<PollerStatus | undefined> {
    const p = this.byId.get(id)
    return p === undefined ? undefined : this.status(p, await this.o.store.pollers.get(id))
  }

  /**
   * Replace a poller's cursor (null: start over from `initialCursor`); the next tick reads from
   * there. Items read again are deduplicated within their topic's dedupe window.
   */
  async setCursor(id: string, cursor: unknown): Promise<void> {
    const p = this.byId.get(id)
    if (p === undefined) throw unknown(id)
    await this.ensure(p)
    await this.o.store.pollers.setCursor(id, cursor, this.clock.now())
  }

  /**
   * Stop the loops; let ticks in progress finish within `graceMs`, then abort their requests
   * (an aborted tick gives its lease back without counting a failure).
   */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true
    this.sleeping.abort()
    const timer = setTimeout(() => this.requests.abort(), graceMs)
    try {
      await Promise.allSettled([...this.loops, ...this.chains.values()])
    } finally {
      clearTimeout(timer)
    }
  }

  private status(p: CompiledPoller, state: PollerStateRecord | undefined): PollerStatus {
    return { id: p.id, system: p.system, topic: p.topic, schedule: p.schedule.description, state, runningHere: this.running.has(p.id) }
  }

  private async loop(p: CompiledPoller): Promise<void> {
    while (!this.stopping) {
      let wakeAt: number
      try {
        const r = await this.exclusive(p, () => this.tick(p, false))
        wakeAt = r.nextAt
      } catch (err) {
        // The store is unreachable (or a bug): nothing was committed; look again shortly.
        this.o.logger?.warn({ err, poller: p.id }, `poller ${p.id}: cannot reach the store; retrying`)
        wakeAt = this.clock.now() + Math.min(this.recheckMs, Math.max(1000, p.schedule.periodMs(this.clock.now())))
      }
      const delay = Math.min(Math.max(wakeAt - this.clock.now(), MIN_SLEEP_MS), this.recheckMs)
      await sleep(delay, undefined, { signal: this.sleeping.signal, ref: false }).catch(() => undefined)
    }
  }

  private async tick(p: CompiledPoller, force: boolean): Promise<PollResult> {
    if (this.stopping) return stopped(p, this.clock.now())
    await this.ensure(p)
    this.running.add(p.id)
    try {
      const r = await runTick(p, this.deps, { force, signal: this.requests.signal })
      // "Not due, due now" only happens when the row is gone (removed behind our back): recreate it.
      if (!r.ran && r.reason === 'not-due' && r.nextAt <= this.clock.now()) this.ensured.delete(p.id)
      return r
    } finally {
      this.running.delete(p.id)
    }
  }

  /** Create the poller's row (first tick due per its schedule), or bring a later due time forward. */
  private async ensure(p: CompiledPoller): Promise<void> {
    if (this.ensured.has(p.id)) return
    const now = this.clock.now()
    await this.o.store.pollers.ensure(p.id, { firstAt: p.schedule.first(now), latestAt: p.schedule.latest(now), now })
    this.ensured.add(p.id)
  }

  private exclusive<T>(p: CompiledPoller, fn: () => Promise<T>): Promise<T> {
    const next = (this.chains.get(p.id) ?? Promise.resolve()).catch(() => undefined).then(fn)
    const tail = next.catch(() => undefined)
    this.chains.set(p.id, tail)
    void tail.then(() => {
      if (this.chains.get(p.id) === tail) this.chains.delete(p.id)
    })
    return next
  }
}

function stopped(p: CompiledPoller, now: number): PollResult {
  return { poller: p.id, ran: false, reason: 'stopped', ok: false, items: 0, duplicates: 0, skipped: 0, pages: 0, cursor: null, nextAt: now, durationMs: 0 }
}

function unknown(id: string): SwitchboardError {
  return new SwitchboardError('SB_ERR_POLLER_UNKNOWN', `no poller "${id}" is configured`)
}
