/**
 * The dead-letter queue: dead deliveries with their event, the last request and every attempt.
 * Inspect them, replay them (one, or many by flow / system / error code / time range) or discard
 * them. A replay puts a delivery back to pending with a fresh retry schedule (attempts from 0,
 * `maxAge` counted from the replay) and keeps its history; it is paced (`ratePerSecond`) so a
 * large replay does not crowd out live traffic — replayed deliveries join the queue at "now",
 * behind what is already due.
 */
import type { Bus } from '../bus/contract.js'
import { systemClock, type Clock } from '../core/clock.js'
import { SwitchboardError } from '../core/errors.js'
import type { AttemptRecord, DeliveryQuery, DeliveryRecord, EventRecord, Store } from '../store/contract.js'

/** Which dead deliveries an operation applies to (all filters combine with AND). */
export interface DlqFilter {
  flowId?: string | undefined
  system?: string | undefined
  errorCode?: string | undefined
  /** Died at or after / before (epoch ms). */
  from?: number | undefined
  to?: number | undefined
}

export type DlqSelection = { ids: readonly string[] } | { filter: DlqFilter }

export interface DeliveryDetail {
  delivery: DeliveryRecord
  /** Undefined only if the event was pruned (never for pending, in-flight or dead deliveries). */
  event: EventRecord | undefined
  attempts: AttemptRecord[]
}

export interface ReplayOptions {
  /** Deliveries put back per second (default 50). */
  ratePerSecond?: number
  /** Stop after this many (default: all that match). */
  limit?: number
  signal?: AbortSignal
  onProgress?: (replayed: number) => void
}

export interface BulkReport {
  /** Dead deliveries the selection matched. */
  matched: number
  /** Of those, how many this call changed (others changed state meanwhile). */
  changed: number
}

const PAGE = 100

export class DeadLetters {
  private readonly clock: Clock

  constructor(
    private readonly store: Store,
    private readonly bus: Pick<Bus, 'wake'>,
    clock?: Clock,
  ) {
    this.clock = clock ?? systemClock
  }

  /** Dead deliveries, newest first. */
  list(q: DlqFilter & { beforeSeq?: number; limit?: number } = {}): Promise<DeliveryRecord[]> {
    return this.store.deliveries.list({ ...query(q), beforeSeq: q.beforeSeq, limit: q.limit })
  }

  /** Any delivery (dead or not) with its event and attempts; undefined when unknown. */
  async show(id: string): Promise<DeliveryDetail | undefined> {
    const delivery = await this.store.deliveries.get(id)
    if (!delivery) return undefined
    const [event, attempts] = await Promise.all([this.store.events.get(delivery.eventId), this.store.deliveries.attempts(id)])
    return { delivery, event, attempts }
  }

  /**
   * Put dead deliveries back in the queue. With `{ ids }`, an id that is not dead fails the call
   * with SB_ERR_FLOW_DELIVERY_STATE (unknown: SB_ERR_STORE_NOT_FOUND) before anything changes.
   */
  async replay(selection: DlqSelection, options: ReplayOptions = {}): Promise<BulkReport> {
    const rate = Math.max(1, options.ratePerSecond ?? 50)
    const chunk = Math.min(PAGE, rate)
    let changed = 0
    const matched = await this.forEachChunk(selection, chunk, options.limit, async (ids) => {
      const started = this.clock.now()
      changed += (await this.store.deliveries.replay(ids, this.clock.now())).length
      this.bus.wake()
      options.onProgress?.(changed)
      // Pace: n deliveries take n/rate seconds.
      const pause = (ids.length / rate) * 1000 - (this.clock.now() - started)
      if (pause > 0) await sleep(pause, options.signal)
      return !options.signal?.aborted
    })
    return { matched, changed }
  }

  /** Mark dead deliveries discarded (kept for history until retention prunes their event). */
  async discard(selection: DlqSelection, options: { limit?: number } = {}): Promise<BulkReport> {
    let changed = 0
    const matched = await this.forEachChunk(selection, PAGE, options.limit, async (ids) => {
      changed += (await this.store.deliveries.discard(ids, this.clock.now())).length
      return true
    })
    return { matched, changed }
  }

  /** Walk the selection in chunks of dead delivery ids; returns how many matched. */
  private async forEachChunk(selection: DlqSelection, size: number, limit: number | undefined, fn: (ids: string[]) => Promise<boolean>): Promise<number> {
    const max = limit ?? Number.POSITIVE_INFINITY
    if ('ids' in selection) {
      const ids = [...new Set(selection.ids)].slice(0, Number.isFinite(max) ? max : undefined)
      for (const id of ids) {
        const d = await this.store.deliveries.get(id)
        if (!d) throw new SwitchboardError('SB_ERR_STORE_NOT_FOUND', `no delivery ${JSON.stringify(id)}`)
        if (d.status !== 'dead') throw new SwitchboardError('SB_ERR_FLOW_DELIVERY_STATE', `delivery ${id} is ${d.status}, not dead`)
      }
      for (let i = 0; i < ids.length; i += size) if (!(await fn(ids.slice(i, i + size)))) break
      return ids.length
    }
    let matched = 0
    let beforeSeq: number | undefined
    while (matched < max) {
      const page = await this.store.deliveries.list({ ...query(selection.filter), beforeSeq, limit: Math.min(size, max - matched) })
      if (page.length === 0) break
      matched += page.length
      beforeSeq = page[page.length - 1]?.seq
      if (!(await fn(page.map((d) => d.id)))) break
    }
    return matched
  }
}

function query(f: DlqFilter): DeliveryQuery {
  return { status: 'dead', flowId: f.flowId, system: f.system, errorCode: f.errorCode, from: f.from, to: f.to }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms)
    function done() {
      clearTimeout(t)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    signal?.addEventListener('abort', done, { once: true })
  })
}
