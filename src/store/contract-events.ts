/**
 * The Store contract's event and delivery repositories (re-exported by contract.ts and part of
 * {@link StoreTx}): the system of record behind "an accepted event is never lost". The store
 * bus (src/bus/store/) claims and settles deliveries through {@link DeliveryRepo}; the DLQ,
 * replay and delivery history read it whatever bus carries the messages.
 *
 * Promised, besides the Store contract's general promises:
 * - {@link EventRepo.insert} dedupes on (topic, sourceId) with a unique constraint, inside the
 *   caller's transaction: two publishers racing with the same source id store one event.
 * - The claim/settle methods implement the Bus contract's semantics (leases, delays, per-key
 *   order, attempt accounting) atomically; see src/bus/contract.ts.
 * - A delivery is never deleted while it is pending, in flight or dead; its attempts live as
 *   long as it does.
 */

/** An accepted event. */
export interface EventRecord {
  id: string
  topic: string
  /** The id the source gave (e.g. a `webhook-id`); the dedupe key within the topic. */
  sourceId: string | null
  /** Partition/ordering key (e.g. the customer id). */
  key: string | null
  body: unknown
  /** Selected inbound headers kept with the event. */
  headers: Record<string, string>
  /** X-Request-Id of the request that published it. */
  requestId: string | null
  /** W3C trace context of the publishing request. */
  traceparent: string | null
  createdAt: number
}

export type NewEvent = Omit<EventRecord, 'sourceId' | 'key' | 'requestId' | 'traceparent'> &
  Partial<Pick<EventRecord, 'sourceId' | 'key' | 'requestId' | 'traceparent'>>

export interface EventQuery {
  topic?: string
  /** Events created at or after / before these times. */
  from?: number
  to?: number
  /** Page: events with an id lower than this (newest first). */
  before?: string
  limit?: number
}

export interface EventRepo {
  /**
   * Store the event unless an event with the same `sourceId` exists on its topic (then nothing
   * is written). Returns the stored event's id — the existing one for a duplicate.
   */
  insert(e: NewEvent): Promise<{ id: string; duplicate: boolean }>
  /**
   * {@link EventRepo.insert} for many events in one round trip (group commit), results in the
   * order given. Two events of one batch with the same topic and source id store one event.
   */
  insertMany(es: readonly NewEvent[]): Promise<Array<{ id: string; duplicate: boolean }>>
  get(id: string): Promise<EventRecord | undefined>
  /** Newest first. */
  list(q?: EventQuery): Promise<EventRecord[]>
  /**
   * Forget source ids of `topic` accepted before `before` (their dedupe window passed), so the
   * same id is accepted as a new event again. Returns how many were forgotten (≤ `limit`).
   */
  forgetSourceIds(topic: string, before: number, limit: number): Promise<number>
  /**
   * Delete events created before `before` whose deliveries are all delivered, skipped or
   * discarded (never one with a pending, in-flight or dead delivery), with those deliveries and
   * their attempts. Returns how many events were deleted (≤ `limit`).
   */
  prune(before: number, limit: number): Promise<number>
}

/**
 * - `pending`: waiting to be claimed (now, or at `nextAt`).
 * - `in_flight`: leased to a worker until `leaseUntil`.
 * - `delivered`: the target answered 2xx (or the event was published onward).
 * - `skipped`: the flow's filter did not select the event.
 * - `dead`: in the dead-letter queue (replayable).
 * - `discarded`: removed from the DLQ by an operator.
 */
export type DeliveryStatus = 'pending' | 'in_flight' | 'delivered' | 'skipped' | 'dead' | 'discarded'
export const DELIVERY_STATUSES: readonly DeliveryStatus[] = ['pending', 'in_flight', 'delivered', 'skipped', 'dead', 'discarded']

/** Why a delivery is dead. */
export type DeadReason = 'non-retryable' | 'gone' | 'attempts' | 'max-age'

export interface DeliveryRecord {
  id: string
  /** Enqueue order (per-key ordering follows it). */
  seq: number
  eventId: string
  flowId: string
  /** Target system, or null for a flow that publishes to another topic. */
  system: string | null
  status: DeliveryStatus
  /** Attempts counted so far (claims, minus those given back). */
  attempts: number
  /** When it is next due (pending) — for an in-flight delivery, when its lease ends. */
  nextAt: number
  leaseUntil: number | null
  orderingKey: string | null
  lastStatus: number | null
  lastErrorCode: string | null
  lastError: string | null
  deadReason: DeadReason | null
  /** The last outbound request (method, path, redacted headers, body). */
  request: unknown
  /** Retry age (`maxAge`) counts from here: the event's acceptance, or the last replay. */
  ageFrom: number
  createdAt: number
  updatedAt: number
}

export interface NewDelivery {
  id: string
  eventId: string
  flowId: string
  system: string | null
  orderingKey: string | null
  /** Due time (usually the event's createdAt). */
  nextAt: number
  createdAt: number
}

export interface NewAttempt {
  startedAt: number
  latencyMs: number
  status: number | null
  errorCode: string | null
  error: string | null
  responseExcerpt: string | null
  requestId: string | null
}

export interface AttemptRecord extends NewAttempt {
  id: number
  deliveryId: string
  /** The delivery's attempt count when this attempt was made (1-based; restarts after a replay). */
  attempt: number
}

/** A delivery leased by a claim, with its event. */
export interface ClaimedDelivery {
  readonly delivery: DeliveryRecord
  readonly event: EventRecord
}

export interface ClaimOptions {
  /** Lease token: only this token can settle or extend what this call claims. */
  token: string
  now: number
  leaseMs: number
  limit: number
  /** Leave deliveries to these systems alone (their circuit is open). */
  excludeSystems?: readonly string[] | undefined
  /** Leave deliveries of these flows alone (their concurrency is used up). */
  excludeFlows?: readonly string[] | undefined
}

/** Settling a claimed delivery (only the holder of `token` can). */
export interface SettleBase {
  token: string
  now: number
  attempt?: NewAttempt | undefined
  request?: unknown
}

/** One item of {@link DeliveryRepo.settle}: what {@link DeliveryRepo.complete}, `retry` or `kill` take, with the id. */
export type DeliverySettle = SettleBase & { id: string } & (
    | { kind: 'complete'; status: 'delivered' | 'skipped' }
    | { kind: 'retry'; nextAt: number; consumeAttempt: boolean; errorCode: string; error: string }
    | { kind: 'kill'; reason: DeadReason; errorCode: string; error: string }
  )

export interface DeliveryQuery {
  status?: DeliveryStatus | readonly DeliveryStatus[]
  flowId?: string
  system?: string
  errorCode?: string
  eventId?: string
  /** Last change at or after / before these times. */
  from?: number
  to?: number
  /** Page: deliveries with a lower seq (newest first). */
  beforeSeq?: number
  limit?: number
}

/** Queue figures for health and metrics (counts of the non-final and dead deliveries). */
export interface DeliveryStats {
  pending: number
  inFlight: number
  dead: number
  /** Due time of the oldest due-or-overdue pending delivery (queue age), or null. */
  oldestDueAt: number | null
}

/** One flow's queue figures (see {@link DeliveryRepo.flowStats}). */
export interface FlowDeliveryStats {
  flowId: string
  pending: number
  inFlight: number
  dead: number
  /** Due time of the flow's oldest due-or-overdue pending delivery, or null. */
  oldestDueAt: number | null
}

export interface DeliveryRepo {
  /** Add deliveries (status pending). Use inside the transaction that inserts their event. */
  enqueue(ds: readonly NewDelivery[]): Promise<void>
  /**
   * Atomically lease up to `limit` due deliveries (pending with `nextAt <= now`, or in flight
   * with an expired lease), oldest due first, skipping `excludeSystems` and any delivery whose
   * (flow, orderingKey) has an earlier non-final delivery. Each claimed delivery gets
   * `attempts + 1`, status in_flight, `leaseUntil = now + leaseMs`. Results in enqueue order.
   */
  claim(o: ClaimOptions): Promise<ClaimedDelivery[]>
  /** delivered / skipped. False (nothing changed) when `token` no longer holds the lease. */
  complete(id: string, o: SettleBase & { status: 'delivered' | 'skipped' }): Promise<boolean>
  /**
   * Back to pending at `nextAt` with the failure recorded. `consumeAttempt: false` gives back
   * the attempt the claim counted. False when `token` no longer holds the lease.
   */
  retry(id: string, o: SettleBase & { nextAt: number; consumeAttempt: boolean; errorCode: string; error: string }): Promise<boolean>
  /** Dead (DLQ). False when `token` no longer holds the lease. */
  kill(id: string, o: SettleBase & { reason: DeadReason; errorCode: string; error: string }): Promise<boolean>
  /**
   * {@link DeliveryRepo.complete}, `retry` and `kill` for many claims at once, atomically and in
   * one round trip: the store bus's group commit settles a whole batch with it. One result per
   * item, in order; an item whose token no longer holds the lease changes nothing (false) and
   * records no attempt, without affecting the others — even the same delivery settled in the
   * same batch by its new holder. At most one item per (delivery, token).
   */
  settle(items: readonly DeliverySettle[]): Promise<boolean[]>
  /** Move leases of `ids` held by `token` to `leaseUntil`; returns the ids still held. */
  extend(ids: readonly string[], token: string, leaseUntil: number): Promise<string[]>
  /** Give leases back: pending, due at `now`, attempt not counted. Returns how many were released. */
  release(ids: readonly string[], token: string, now: number): Promise<number>
  /** When the next pending delivery falls due or the next lease ends (null: queue empty). */
  nextDueAt(): Promise<number | null>
  get(id: string): Promise<DeliveryRecord | undefined>
  /** Oldest first. */
  attempts(deliveryId: string): Promise<AttemptRecord[]>
  /** Newest first. */
  list(q?: DeliveryQuery): Promise<DeliveryRecord[]>
  /** dead → pending (attempts 0, due now, age counted from now). Returns the ids replayed. */
  replay(ids: readonly string[], now: number): Promise<string[]>
  /** dead → discarded. Returns the ids discarded. */
  discard(ids: readonly string[], now: number): Promise<string[]>
  /** Queue figures; `now` decides which pending deliveries are due. */
  stats(now: number): Promise<DeliveryStats>
  /**
   * {@link DeliveryRepo.stats} per flow, for flows that have pending, in-flight or dead
   * deliveries (a flow with none is absent), in flow id order.
   */
  flowStats(now: number): Promise<FlowDeliveryStats[]>
}
