/**
 * The Bus contract: the durable queue that carries deliveries from the publisher to the
 * workers. One message is one delivery (one event on its way through one flow). Every
 * implementation passes the same conformance suite (test/conformance/bus.ts); flows code never
 * imports an implementation.
 *
 * The store remains the system of record for events, deliveries and attempts (the DLQ, replay
 * and history read it whatever the bus); the bus decides *who works on what, when*.
 *
 * ## Promised
 * - **Enqueue is transactional with the event.** {@link Bus.enqueue} writes through the caller's
 *   {@link StoreTx}: the deliveries exist iff the transaction that wrote their event commits.
 * - **At-least-once.** A claimed message is leased to one claimer until `leaseUntil`. If it is
 *   neither acked, nacked nor dead-lettered by then (the worker died, hung, or lost its
 *   connection), it becomes claimable again: *redelivery after lease expiry*. A lease can be
 *   extended while work is in progress ({@link Bus.extend}).
 * - **No double claim.** While a lease is valid no other claim returns that message, however many
 *   workers claim concurrently, on however many nodes.
 * - **Delays.** A nacked message is not claimable before `now + delayMs`.
 * - **Attempt accounting.** Claiming counts an attempt (`attempts + 1`), so an attempt that
 *   crashed its worker still counts and a poison message cannot loop forever. A nack with
 *   `consumeAttempt: false` (open circuit, outbound rate limit, graceful release) gives it back.
 * - **Per-key order.** A message with an `orderingKey` is never claimed while an earlier message
 *   (enqueued before it) of the same flow and key is not final: one in flight per key, in
 *   enqueue order. A dead message is final, so a dead head unblocks its key (it waits in the DLQ).
 * - **Only the lease holder settles.** ack / nack / dead-letter / extend from a claim whose lease
 *   expired and was taken by another claim fail with SB_ERR_BUS_LEASE_LOST and change nothing.
 * - **Durability.** Once a settle call resolves, its outcome survives a crash and a restart.
 *
 * ## Not promised
 * - Exactly-once: a delivery may be attempted again after a crash or an expired lease. Targets
 *   deduplicate with the stable `Idempotency-Key` (event id + flow id).
 * - Order across keys, across flows, or for messages without an ordering key; nor an order
 *   between events of one key published concurrently (their acceptance order is undefined).
 * - Delay precision: a message becomes claimable *no sooner* than asked; how much later depends
 *   on wake-ups (in-process signal, PostgreSQL NOTIFY) and the polling backstop.
 * - Fairness between flows or systems beyond "due first, oldest first".
 * - Clock-skew tolerance: due times and lease ends are the nodes' clocks (epoch ms passed by
 *   the claimer), never the database's `now()`. Nodes sharing a store need synchronised clocks;
 *   a node running ahead by `d` takes over expired-looking leases `d` early (a duplicate
 *   attempt, never a loss).
 *
 * ## NATS JetStream mapping (for a `nats://` bus)
 * - enqueue → transactional outbox: the delivery row is written in the store transaction; a
 *   relay publishes it to the stream (`sb.deliveries.<flow>`) with `Nats-Msg-Id: <deliveryId>`,
 *   so JetStream's duplicate window drops the relay's own retries, then marks the row relayed.
 * - claim → pull consumer `fetch({ max_messages: limit })`; the lease is the consumer's
 *   `ack_wait`; the message's delivery id points at the store row holding attempts and history.
 * - ack → `msg.ack()` after the outcome is committed in the store (an ack lost in a crash only
 *   causes a redelivery the worker recognises as already final).
 * - nack(delayMs) → `msg.nak(delayMs)`. `consumeAttempt` is accounted in the store row, not by
 *   JetStream, whose `num_delivered` counts every redelivery: the consumer uses
 *   `max_deliver: -1` and the worker dead-letters on the store's attempt count.
 * - extend → `msg.working()` (the in-progress ack resets `ack_wait`).
 * - deadLetter → the store row becomes dead, then `msg.term()`.
 * - release → `msg.nak()` without delay.
 * - per-key order → subjects partitioned by key hash (`sb.deliveries.<flow>.<n>`), one consumer
 *   per partition with `max_ack_pending: 1`: one in flight per partition (so per key, at the
 *   cost of keys sharing a partition waiting on each other).
 * - redelivery after lease expiry → JetStream redelivers when `ack_wait` passes without ack.
 */
import type { ClaimedDelivery, DeadReason, NewAttempt, NewDelivery, StoreTx } from '../store/contract.js'

export interface Bus {
  /** `store` (deliveries ride in the store's tables) or `nats`. */
  readonly kind: 'store' | 'nats'

  /**
   * Add deliveries inside the transaction `tx` that writes their event. Nothing is visible to
   * claimers before that transaction commits; call {@link Bus.wake} after it does.
   */
  enqueue(tx: StoreTx, deliveries: readonly NewDelivery[]): Promise<void>

  /** Nudge claimers (in this process, and on other nodes where the backend can) that work is due. */
  wake(): void

  /**
   * Lease up to `limit` due messages for `leaseMs`. Due: pending with `nextAt <= now`, or in
   * flight with an expired lease. Messages to `excludeSystems` (open circuits) are left for
   * later without being touched. Returns at once (possibly empty); use {@link Bus.waitForWork}
   * to sleep until something may be due.
   */
  claim(request: ClaimRequest): Promise<Claim[]>

  /** Settle as done (`delivered`, or `skipped` when the flow's filter let it pass by). */
  ack(claim: Claim, outcome: AckOutcome): Promise<void>

  /** Settle for another try after `delayMs`, recording the failure (and the attempt, if one was made). */
  nack(claim: Claim, outcome: NackOutcome): Promise<void>

  /** Settle as dead: kept with its event and every attempt until replayed or discarded. */
  deadLetter(claim: Claim, outcome: DeadOutcome): Promise<void>

  /** Extend the leases of claims still being worked on. Resolves with the claims whose lease was lost. */
  extend(claims: readonly Claim[], leaseMs: number): Promise<Claim[]>

  /** Give claims back unworked (graceful shutdown): claimable now, attempt not counted. */
  release(claims: readonly Claim[]): Promise<void>

  /**
   * Resolve when work may be due: after {@link Bus.wake} (here or, where supported, on another
   * node), when the earliest delayed message falls due, after `maxWaitMs` (polling backstop),
   * or when `signal` aborts. Spurious wake-ups are allowed.
   */
  waitForWork(maxWaitMs: number, signal?: AbortSignal): Promise<void>

  /** Stop background listeners. Does not close the store. */
  close(): Promise<void>
}

export interface ClaimRequest {
  limit: number
  leaseMs: number
  /** Systems whose messages must not be claimed now (their circuit is open). */
  excludeSystems?: readonly string[]
  /** Flows whose messages must not be claimed now (their concurrency is used up on this node). */
  excludeFlows?: readonly string[]
}

/** A leased message: the delivery, its event, and the lease token that settles it. */
export interface Claim extends ClaimedDelivery {
  readonly token: string
}

export interface AckOutcome {
  status: 'delivered' | 'skipped'
  attempt?: NewAttempt | undefined
  /** The outbound request as sent (secrets redacted), kept for the delivery's history. */
  request?: unknown
}

export interface NackOutcome {
  delayMs: number
  /** False when no attempt was really made (open circuit, rate limit): the claim's count is given back. */
  consumeAttempt: boolean
  errorCode: string
  error: string
  attempt?: NewAttempt | undefined
  request?: unknown
}

export interface DeadOutcome {
  reason: DeadReason
  errorCode: string
  error: string
  attempt?: NewAttempt | undefined
  request?: unknown
}
