/**
 * The delivery worker of one node: claims due deliveries from the bus and works them
 * concurrently — up to `maxInFlight` on the node and each flow's `concurrency` — while keeping
 * their leases alive.
 *
 * Circuit breakers: deliveries to a system whose circuit is open are not claimed at all (no
 * attempt spent, no head-of-line blocking: other systems' deliveries keep flowing); the worker
 * waits on the breaker and wakes itself when a probe may go through. A delivery that still
 * meets an open circuit waits without spending its attempt.
 *
 * Graceful stop: stop claiming, let in-flight deliveries finish within the grace period, then
 * abort the rest and release their leases (claimable at once elsewhere, attempt not counted).
 */
import type { Bus, Claim } from '../bus/contract.js'
import { systemClock, type Clock } from '../core/clock.js'
import { isSwitchboardError } from '../core/errors.js'
import type { DeliveryClient } from './attempt.js'
import { deliver, type DeliverDeps } from './deliver.js'
import type { FlowSet } from './flow-set.js'
import type { PublishInput, PublishResult } from './publisher.js'
import { Redactor } from './redact.js'

/** The circuit breaker surface the worker uses (the systems layer's `CircuitBreaker` fits). */
export interface BreakerLike {
  /** 0 when a call may be admitted now. */
  retryAfterMs(): number
  waitUntilClosedOrProbe(signal?: AbortSignal): Promise<void>
}

/** The systems registry surface the worker uses (`Systems` fits). */
export interface WorkerSystems {
  get(name: string): DeliveryClient & { readonly breaker: BreakerLike }
  has(name: string): boolean
}

/** What the worker logs through (pino fits). */
export interface WorkerLogger {
  warn(obj: object, msg: string): void
  error(obj: object, msg: string): void
}

export interface WorkerOptions {
  clock?: Clock
  redactor?: Redactor
  logger?: WorkerLogger
  publisher?: { publish(e: PublishInput): Promise<PublishResult> }
  /** Lease per claim, renewed every third of it while the delivery runs (default 30 s). */
  leaseMs?: number
  /** Deliveries in flight on this node (default 64). */
  maxInFlight?: number
  /** Most deliveries claimed per round trip (default 32). */
  batch?: number
  /** Polling backstop when nothing wakes the worker (default 1 s). */
  pollMs?: number
}

const quiet: WorkerLogger = { warn: () => undefined, error: () => undefined }

interface Running {
  claim: Claim
  abort: AbortController
  /** Settles when the delivery is over (or was released unstarted). */
  done: Promise<void>
  finish: () => void
  /** Released at shutdown: whatever the delivery ends with, it must not settle. */
  released: boolean
}

export class Worker {
  private readonly clock: Clock
  private readonly logger: WorkerLogger
  private readonly leaseMs: number
  private readonly maxInFlight: number
  private readonly batch: number
  private readonly pollMs: number
  private readonly deps: DeliverDeps
  private readonly running = new Map<string, Running>()
  /** Deliveries running per flow. */
  private readonly perFlow = new Map<string, number>()
  /** Claimed deliveries waiting for a slot of their flow, in claim order. */
  private readonly waiting = new Map<string, Running[]>()
  private readonly watched = new Set<string>()
  private readonly flagged = new Map<string, string>()
  private readonly stopping = new AbortController()
  private loop: Promise<void> | undefined
  private heartbeat: NodeJS.Timeout | undefined

  constructor(
    private readonly bus: Bus,
    private flows: FlowSet,
    private readonly systems: WorkerSystems,
    options: WorkerOptions = {},
  ) {
    this.clock = options.clock ?? systemClock
    this.logger = options.logger ?? quiet
    this.leaseMs = options.leaseMs ?? 30_000
    this.maxInFlight = options.maxInFlight ?? 64
    this.batch = options.batch ?? 32
    this.pollMs = options.pollMs ?? 1000
    this.deps = {
      bus,
      systems,
      publisher: options.publisher,
      clock: this.clock,
      redactor: options.redactor ?? new Redactor(),
      onGone: (flow, path) => this.flagged.set(flow.id, path),
    }
  }

  /** Flows whose target answered 410 Gone (flow id → path), until the config changes. */
  get goneTargets(): ReadonlyMap<string, string> {
    return this.flagged
  }

  /** Deliveries in flight on this node. */
  get inFlight(): number {
    return this.running.size
  }

  /** Swap in a new config's flows: deliveries claimed from now on use them. */
  setFlows(flows: FlowSet): void {
    this.flows = flows
    this.flagged.clear()
  }

  start(): void {
    if (this.loop) return
    this.loop = this.run()
    this.heartbeat = setInterval(() => void this.renewLeases(), Math.max(50, Math.floor(this.leaseMs / 3)))
    this.heartbeat.unref()
  }

  /**
   * Stop claiming; wait up to `graceMs` for in-flight deliveries; abort and release the rest.
   * Resolves with how many finished and how many were released.
   */
  async stop(graceMs = 10_000): Promise<{ finished: number; released: number }> {
    this.stopping.abort()
    await this.loop
    const before = this.running.size
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      Promise.allSettled([...this.running.values()].map((r) => r.done)),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs))),
    ])
    clearTimeout(timer)
    const left = [...this.running.values()]
    for (const r of left) {
      r.released = true
      r.abort.abort(new Error('worker stopping'))
    }
    for (const queue of this.waiting.values()) for (const r of queue) r.finish()
    this.waiting.clear()
    if (left.length > 0) await this.bus.release(left.map((r) => r.claim)).catch((err: unknown) => this.logger.error({ err }, 'releasing deliveries at shutdown failed; their leases will expire'))
    await Promise.allSettled(left.map((r) => r.done))
    clearInterval(this.heartbeat)
    return { finished: before - left.length, released: left.length }
  }

  private async run(): Promise<void> {
    const signal = this.stopping.signal
    let failures = 0
    while (!signal.aborted) {
      try {
        const free = this.maxInFlight - this.running.size
        const want = Math.min(this.batch, free)
        // Refill in batches (when half the slots or a whole batch are free), not one claim per
        // finished delivery: each claim is a write, so claim round trips stay few and full.
        if (want > 0 && (free >= this.batch || this.running.size <= this.maxInFlight / 2)) {
          const claims = await this.bus.claim({ limit: want, leaseMs: this.leaseMs, excludeSystems: this.openCircuits(), excludeFlows: this.fullFlows() })
          for (const c of claims) this.spawn(c)
          failures = 0
          if (claims.length === want) continue // probably more due right now
        }
        await this.bus.waitForWork(this.pollMs, signal)
      } catch (err) {
        failures++
        this.logger.error({ err }, 'claiming deliveries failed; retrying')
        await sleep(Math.min(30_000, 100 * 2 ** Math.min(failures, 9)), signal)
      }
    }
  }

  /**
   * Track a claim; start it now if its flow has a free slot, else queue it behind the flow's
   * running deliveries (its lease is renewed meanwhile). A claim holds at most a batch more
   * than a flow's concurrency, because full flows are excluded from the next claims.
   */
  private spawn(claim: Claim): void {
    let finish: () => void = () => undefined
    const done = new Promise<void>((resolve) => (finish = resolve))
    const r: Running = { claim, abort: new AbortController(), done, finish, released: false }
    this.running.set(claim.delivery.id, r)
    const flowId = claim.delivery.flowId
    const flow = this.flows.flows.get(flowId)
    const active = this.perFlow.get(flowId) ?? 0
    if (active < (flow?.concurrency ?? 1)) this.begin(r)
    else {
      const queue = this.waiting.get(flowId)
      if (queue) queue.push(r)
      else this.waiting.set(flowId, [r])
    }
  }

  private begin(r: Running): void {
    const { claim } = r
    const flowId = claim.delivery.flowId
    this.perFlow.set(flowId, (this.perFlow.get(flowId) ?? 0) + 1)
    const deps: DeliverDeps = { ...this.deps, bus: this.guardedBus(r) }
    const work = r.released ? Promise.resolve() : deliver(claim, this.flows.flows.get(flowId), deps, r.abort.signal).then(() => undefined)
    void work
      .catch((err: unknown) => {
        if (isSwitchboardError(err) && err.code === 'SB_ERR_BUS_LEASE_LOST') return
        if (r.released) return
        this.logger.warn({ err, delivery: claim.delivery.id }, 'settling a delivery failed; it is retried when its lease expires')
      })
      .finally(() => {
        this.running.delete(claim.delivery.id)
        const n = (this.perFlow.get(flowId) ?? 1) - 1
        if (n > 0) this.perFlow.set(flowId, n)
        else this.perFlow.delete(flowId)
        const queue = this.waiting.get(flowId)
        const next = queue?.shift()
        if (queue?.length === 0) this.waiting.delete(flowId)
        if (next) this.begin(next)
        r.finish()
        // Slots are free: wake the claim loop once it is worth a claim.
        if (this.running.size <= this.maxInFlight / 2 || this.maxInFlight - this.running.size >= this.batch) this.bus.wake()
      })
  }

  /** The bus as seen by one delivery: once released at shutdown, its settles are dropped. */
  private guardedBus(r: Running): DeliverDeps['bus'] {
    const bus = this.bus
    return {
      ack: (c, o) => (r.released ? Promise.resolve() : bus.ack(c, o)),
      nack: (c, o) => (r.released ? Promise.resolve() : bus.nack(c, o)),
      deadLetter: (c, o) => (r.released ? Promise.resolve() : bus.deadLetter(c, o)),
    }
  }

  /** Systems whose breaker refuses calls now; the worker wakes itself when each may take a probe. */
  private openCircuits(): string[] {
    const open: string[] = []
    for (const f of this.flows.flows.values()) {
      const name = f.target?.system
      if (name === undefined || open.includes(name) || !this.systems.has(name)) continue
      const breaker = this.systems.get(name).breaker
      if (breaker.retryAfterMs() <= 0) continue
      open.push(name)
      if (!this.watched.has(name)) {
        this.watched.add(name)
        breaker.waitUntilClosedOrProbe(this.stopping.signal).then(
          () => {
            this.watched.delete(name)
            this.bus.wake()
          },
          () => this.watched.delete(name),
        )
      }
    }
    return open
  }

  /** Flows at their concurrency on this node (running plus waiting for a slot). */
  private fullFlows(): string[] {
    const full: string[] = []
    for (const [id, f] of this.flows.flows) {
      const held = (this.perFlow.get(id) ?? 0) + (this.waiting.get(id)?.length ?? 0)
      if (held >= f.concurrency) full.push(id)
    }
    return full
  }

  /** Extend every running lease; abort the deliveries whose lease was lost (another worker has them). */
  private async renewLeases(): Promise<void> {
    const running = [...this.running.values()].filter((r) => !r.released)
    if (running.length === 0) return
    try {
      const lost = new Set((await this.bus.extend(running.map((r) => r.claim), this.leaseMs)).map((c) => c.delivery.id))
      for (const r of running) if (lost.has(r.claim.delivery.id)) r.abort.abort(new Error('lease lost'))
    } catch (err) {
      this.logger.warn({ err }, 'renewing delivery leases failed')
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms)
    function done() {
      clearTimeout(t)
      signal.removeEventListener('abort', done)
      resolve()
    }
    signal.addEventListener('abort', done, { once: true })
  })
}
