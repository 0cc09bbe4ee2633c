/**
 * Retention: events whose deliveries all ended (delivered, skipped or discarded) are deleted
 * after `retentionMs` (default 14 days) together with their deliveries and attempts; events
 * with a pending, in-flight or dead delivery are kept whatever their age. Source ids are
 * forgotten after each topic's `dedupeWindow`, so the same id is accepted as new again.
 * Work is done in bounded chunks so a large backlog never holds the store for long.
 */
import { systemClock, type Clock } from '../core/clock.js'
import type { Store } from '../store/contract.js'
import type { FlowSet } from './flow-set.js'

export const DEFAULT_RETENTION_MS = 14 * 86_400_000
const CHUNK = 500

export interface RetentionReport {
  pruned: number
  forgotten: number
}

/** One pruning pass. */
export async function pruneOnce(store: Store, flows: FlowSet, now: number, retentionMs = DEFAULT_RETENTION_MS): Promise<RetentionReport> {
  let forgotten = 0
  for (const t of flows.topics.values()) forgotten += await chunked(() => store.events.forgetSourceIds(t.name, now - t.dedupeWindowMs, CHUNK))
  const pruned = await chunked(() => store.events.prune(now - retentionMs, CHUNK))
  return { pruned, forgotten }
}

/** Repeat a chunked operation until it does less than a full chunk; total rows affected. */
async function chunked(step: () => Promise<number>): Promise<number> {
  let total = 0
  let n: number
  do {
    n = await step()
    total += n
  } while (n === CHUNK)
  return total
}

/** Runs {@link pruneOnce} every `intervalMs` (default 10 min) until stopped. */
export class RetentionJob {
  private timer: NodeJS.Timeout | undefined
  private running: Promise<unknown> | undefined

  constructor(
    private readonly store: Store,
    private flows: () => FlowSet,
    private readonly options: { retentionMs?: number; intervalMs?: number; clock?: Clock; onError?: (err: unknown) => void } = {},
  ) {}

  start(): void {
    const tick = () => {
      this.running = pruneOnce(this.store, this.flows(), (this.options.clock ?? systemClock).now(), this.options.retentionMs).catch((err: unknown) => this.options.onError?.(err))
    }
    this.timer = setInterval(tick, this.options.intervalMs ?? 600_000)
    this.timer.unref()
  }

  async stop(): Promise<void> {
    clearInterval(this.timer)
    await this.running
  }
}
