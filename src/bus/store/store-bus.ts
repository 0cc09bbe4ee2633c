/**
 * The store bus: deliveries ride in the store's `sb_deliveries` table, so enqueueing is part of
 * the transaction that writes the event, and the queue is exactly as durable as the store.
 * Claims and settles are single atomic repository calls (SQLite: serialised writes;
 * PostgreSQL: `FOR UPDATE SKIP LOCKED`).
 *
 * Waking: {@link StoreBus.wake} resolves this process's waiters at once; an optional
 * {@link WakeSource} (PostgreSQL LISTEN/NOTIFY) brings wake-ups from other nodes; and
 * {@link StoreBus.waitForWork} never sleeps past the next due time or lease end it reads from
 * the table, nor past its `maxWaitMs` polling backstop.
 */
import { randomBytes } from 'node:crypto'
import { systemClock, type Clock } from '../../core/clock.js'
import { SwitchboardError } from '../../core/errors.js'
import type { DeliverySettle, NewDelivery, Store, StoreTx } from '../../store/contract.js'
import type { AckOutcome, Bus, Claim, ClaimRequest, DeadOutcome, NackOutcome } from '../contract.js'
import { GroupCommit, type GroupCommitOptions } from '../group-commit.js'

/** Something that calls `onWake` when another node may have made work due (e.g. NOTIFY). */
export interface WakeSource {
  start(onWake: () => void): Promise<void>
  close(): Promise<void>
}

export interface StoreBusOptions {
  clock?: Clock
  /** Cross-node wake-ups (PostgreSQL: {@link PgWakeSource}). */
  wakeSource?: WakeSource
  /**
   * Group commit of settles (acks, nacks, dead-letters): default 256 per commit, 4 ms wait. The
   * wait delays no delivery (the target already answered) and halves the commits under load;
   * a settle that unblocks an ordering key does not wait.
   */
  settleBatch?: GroupCommitOptions
}

type Settle =
  | { kind: 'ack'; claim: Claim; outcome: AckOutcome; now: number }
  | { kind: 'nack'; claim: Claim; outcome: NackOutcome; now: number }
  | { kind: 'dead'; claim: Claim; outcome: DeadOutcome; now: number }

export class StoreBus implements Bus {
  readonly kind = 'store' as const
  private readonly clock: Clock
  /** Prefix of this bus's lease tokens; a counter makes every claim's token unique. */
  private readonly owner = randomBytes(6).toString('hex')
  private claims = 0
  private readonly waiters = new Set<() => void>()
  /** A wake() that found nobody waiting: the next waitForWork returns at once instead of losing it. */
  private woken = false
  private started: Promise<void> | undefined
  private readonly settles: GroupCommit<Settle, boolean>

  constructor(
    private readonly store: Store,
    private readonly options: StoreBusOptions = {},
  ) {
    this.clock = options.clock ?? systemClock
    // Every delivery ends with a settle: committed together, they cost one fsync (and on
    // PostgreSQL one round trip) per batch.
    this.settles = new GroupCommit((batch) => this.store.deliveries.settle(batch.map(toDeliverySettle)), { maxWaitMs: 4, ...options.settleBatch })
  }

  /** Start the wake source, if any. Claims work without it; call once before relying on it. */
  start(): Promise<void> {
    this.started ??= this.options.wakeSource?.start(() => this.wake()) ?? Promise.resolve()
    return this.started
  }

  enqueue(tx: StoreTx, deliveries: readonly NewDelivery[]): Promise<void> {
    return tx.deliveries.enqueue(deliveries)
  }

  wake(): void {
    if (this.waiters.size === 0) {
      this.woken = true
      return
    }
    for (const w of [...this.waiters]) w()
  }

  async claim(request: ClaimRequest): Promise<Claim[]> {
    if (request.limit < 1) return []
    const token = `${this.owner}.${++this.claims}`
    const claimed = await this.store.deliveries.claim({
      token,
      now: this.clock.now(),
      leaseMs: request.leaseMs,
      limit: request.limit,
      excludeSystems: request.excludeSystems,
      excludeFlows: request.excludeFlows,
    })
    return claimed.map((c) => ({ ...c, token }))
  }

  async ack(claim: Claim, outcome: AckOutcome): Promise<void> {
    this.settled(claim, await this.settles.submit({ kind: 'ack', claim, outcome, now: this.clock.now() }, claim.delivery.orderingKey !== null))
  }

  async nack(claim: Claim, outcome: NackOutcome): Promise<void> {
    this.settled(claim, await this.settles.submit({ kind: 'nack', claim, outcome, now: this.clock.now() }, claim.delivery.orderingKey !== null))
  }

  async deadLetter(claim: Claim, outcome: DeadOutcome): Promise<void> {
    this.settled(claim, await this.settles.submit({ kind: 'dead', claim, outcome, now: this.clock.now() }, claim.delivery.orderingKey !== null))
  }

  async extend(claims: readonly Claim[], leaseMs: number): Promise<Claim[]> {
    const byToken = new Map<string, Claim[]>()
    for (const c of claims) byToken.set(c.token, [...(byToken.get(c.token) ?? []), c])
    const lost: Claim[] = []
    const until = this.clock.now() + leaseMs
    for (const [token, group] of byToken) {
      const held = new Set(await this.store.deliveries.extend(group.map((c) => c.delivery.id), token, until))
      for (const c of group) if (!held.has(c.delivery.id)) lost.push(c)
    }
    return lost
  }

  async release(claims: readonly Claim[]): Promise<void> {
    const byToken = new Map<string, string[]>()
    for (const c of claims) byToken.set(c.token, [...(byToken.get(c.token) ?? []), c.delivery.id])
    for (const [token, ids] of byToken) await this.store.deliveries.release(ids, token, this.clock.now())
    if (claims.length > 0) this.wake()
  }

  async waitForWork(maxWaitMs: number, signal?: AbortSignal): Promise<void> {
    if (this.woken || signal?.aborted) {
      this.woken = false
      return
    }
    let waitMs = maxWaitMs
    const next = await this.store.deliveries.nextDueAt()
    if (next !== null) {
      const until = next - this.clock.now()
      // Due already (but not claimable: excluded, or blocked behind its key) → the backstop decides.
      if (until > 0) waitMs = Math.min(waitMs, until)
    }
    if (this.woken) {
      this.woken = false
      return
    }
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer)
        this.waiters.delete(done)
        signal?.removeEventListener('abort', done)
        resolve()
      }
      const timer = setTimeout(done, Math.max(0, waitMs))
      this.waiters.add(done)
      signal?.addEventListener('abort', done, { once: true })
      // It may have aborted while nextDueAt() was in flight: no 'abort' event would come.
      if (signal?.aborted) done()
    })
    this.woken = false
  }

  async close(): Promise<void> {
    await this.settles.flush()
    for (const w of [...this.waiters]) w()
    await this.options.wakeSource?.close()
  }

  /** A settle that changed nothing lost its lease; a settle that did may unblock a key or free capacity. */
  private settled(claim: Claim, ok: boolean): void {
    if (!ok) {
      throw new SwitchboardError('SB_ERR_BUS_LEASE_LOST', `delivery ${claim.delivery.id}: the lease expired and was taken over; this outcome was not recorded`)
    }
    if (claim.delivery.orderingKey !== null) this.wake()
  }
}

/** A bus settle as the store's delivery repository takes it (built field by field: this runs once per delivery). */
function toDeliverySettle(s: Settle): DeliverySettle {
  const { claim, now } = s
  const id = claim.delivery.id
  const token = claim.token
  if (s.kind === 'ack') {
    const o = s.outcome
    return { kind: 'complete', id, token, now, status: o.status, attempt: o.attempt, request: o.request }
  }
  if (s.kind === 'nack') {
    const o = s.outcome
    const nextAt = now + Math.max(0, Math.round(o.delayMs))
    return { kind: 'retry', id, token, now, nextAt, consumeAttempt: o.consumeAttempt, errorCode: o.errorCode, error: o.error, attempt: o.attempt, request: o.request }
  }
  const o = s.outcome
  return { kind: 'kill', id, token, now, reason: o.reason, errorCode: o.errorCode, error: o.error, attempt: o.attempt, request: o.request }
}
