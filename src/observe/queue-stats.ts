/**
 * Queue figures are state, not events: they are read from the store when someone asks (a scrape,
 * a health summary, an alert tick) through a provider the runtime injects. Nothing is computed
 * while nobody looks.
 */

/** One flow's queue, as the store sees it now. */
export interface FlowQueueStats {
  flow: string
  /** Deliveries waiting or in flight. */
  pending: number
  /** Age of the oldest pending delivery in ms; `null` (or 0) when nothing is pending. */
  oldestPendingAgeMs: number | null
  /** Deliveries in the dead-letter queue. */
  dead: number
}

/** Reads the queue figures of every flow (one store query, ideally). */
export type QueueStatsProvider = () => Promise<readonly FlowQueueStats[]>

/**
 * Shares one in-flight provider call among concurrent readers: a scrape reads four gauges, and
 * they must all see the same snapshot and cost the store one query.
 */
export class SharedQueueStats {
  #provider: QueueStatsProvider | undefined
  #inflight: Promise<readonly FlowQueueStats[]> | undefined

  constructor(provider?: QueueStatsProvider) {
    this.#provider = provider
  }

  get configured(): boolean {
    return this.#provider !== undefined
  }

  set(provider: QueueStatsProvider | undefined): void {
    this.#provider = provider
    this.#inflight = undefined
  }

  /** The current figures; `[]` without a provider. Rejects when the provider fails. */
  read(): Promise<readonly FlowQueueStats[]> {
    const provider = this.#provider
    if (provider === undefined) return Promise.resolve([])
    if (this.#inflight !== undefined) return this.#inflight
    const p = Promise.resolve()
      .then(provider)
      .finally(() => {
        if (this.#inflight === p) this.#inflight = undefined
      })
    this.#inflight = p
    return p
  }
}
