/**
 * Publishing: validate an event against its topic's schema, then commit it with one delivery
 * per flow subscribed to the topic — event and deliveries in the same transaction — and only
 * then resolve. "Accepted means durable": a resolved publish survives a crash.
 *
 * Group commit ({@link GroupCommit}): publishes arriving together share one transaction, so
 * durability costs one fsync per batch, not per event; if a batch fails, its events are retried
 * one transaction each, so one bad event (say, a value the database refuses) fails alone.
 *
 * Dedupe: an event whose source id was already accepted on its topic (within the topic's
 * `dedupeWindow`) resolves `{ duplicate: true }` with the original event's id and creates no
 * deliveries — decided by the store's unique constraint inside the same transaction.
 *
 * Batches with side writes ({@link Publisher.commitWith}): a poller commits one page of items
 * together with its new cursor, so the cursor moves exactly when the items are accepted. Such a
 * batch has its own transaction (never shared with unrelated publishes: a failing side write
 * must not fail them) but the same validation, fan-out and dedupe.
 *
 * Filters are evaluated at delivery time, not here: ingest stays cheap and constant-cost, a
 * fixed filter applies to everything still queued, and an expression error surfaces as a
 * visible dead delivery rather than a refused publish. A delivery the filter rejects ends
 * `skipped`.
 */
import type { Bus } from '../bus/contract.js'
import { GroupCommit } from '../bus/group-commit.js'
import { systemClock, type Clock } from '../core/clock.js'
import { SwitchboardError } from '../core/errors.js'
import { newId } from '../core/ids.js'
import type { NewDelivery, NewEvent, Store, StoreTx } from '../store/contract.js'
import { publishBatchChannel, publishTracing, type PublishTraceContext } from './diagnostics.js'
import type { FlowSet } from './flow-set.js'

/** One event to publish (structurally the gateway's `PublishRequest`). */
export interface PublishInput {
  topic: string
  /** The source's id (e.g. `webhook-id`): dedupe key within the topic. */
  id?: string | undefined
  /** Ordering key (flows with `ordering: key` keep one in flight per key). */
  key?: string | undefined
  body: unknown
  headers?: Record<string, string> | undefined
  requestId?: string | undefined
  traceparent?: string | undefined
}

export interface PublishResult {
  /** The stored event's id (the original one for a duplicate). */
  id: string
  duplicate: boolean
}

/** An event validated by {@link Publisher.prepare}, ready for {@link Publisher.commitWith}. */
export type PreparedEvent = Readonly<NewEvent>

export interface PublisherOptions {
  clock?: Clock
  /** Most events per transaction (default 256). */
  maxBatch?: number
  /** How long the first event of a batch waits for others (default 1 ms). */
  maxWaitMs?: number
  /** Largest violations list returned for an invalid event (default 20). */
  maxViolations?: number
}

const MAX_ID_LENGTH = 200

export class Publisher {
  private readonly clock: Clock
  private readonly maxViolations: number
  private readonly batches: GroupCommit<NewEvent, PublishResult>
  private closed = false

  constructor(
    private readonly store: Store,
    private readonly bus: Bus,
    private flows: FlowSet,
    options: PublisherOptions = {},
  ) {
    this.clock = options.clock ?? systemClock
    this.maxViolations = options.maxViolations ?? 20
    this.batches = new GroupCommit((events) => this.write(events), { maxBatch: options.maxBatch ?? 256, maxWaitMs: options.maxWaitMs ?? 1 })
  }

  /** Swap in a new config's flows (publishes already queued use the new set at commit). */
  setFlows(flows: FlowSet): void {
    this.flows = flows
  }

  /**
   * Resolves once the event and its deliveries are committed. Rejects with
   * SB_ERR_EVENT_UNKNOWN_TOPIC (404), SB_ERR_EVENT_INVALID (422, `details.violations`) — nothing
   * stored — or a store error (5xx: nothing accepted, the caller may retry with the same id).
   */
  publish(input: PublishInput): Promise<PublishResult> {
    if (this.closed) return Promise.reject(new SwitchboardError('SB_ERR_EVENT_PUBLISHER_CLOSED', 'the publisher is stopping; the event was not accepted'))
    if (publishTracing.hasSubscribers) {
      const t: PublishTraceContext = { topic: input.topic, parent: input.traceparent, traceparent: undefined, span: undefined }
      return publishTracing.tracePromise(this.acceptTraced, t, this, input, t)
    }
    return this.accept(input)
  }

  private accept(input: PublishInput): Promise<PublishResult> {
    let event: NewEvent
    try {
      event = this.prepare(input)
    } catch (err) {
      return Promise.reject(err)
    }
    return this.batches.submit(event)
  }

  /** {@link accept}, the event continuing the publish span the tracer wrote into `t`. */
  private acceptTraced(input: PublishInput, t: PublishTraceContext): Promise<PublishResult> {
    return this.accept(t.traceparent === undefined ? input : { ...input, traceparent: t.traceparent })
  }

  /** Refuse new events, commit the queued ones, wait for the commit in flight. */
  async close(): Promise<void> {
    this.closed = true
    await this.batches.flush()
  }

  /**
   * Commit `events` (from {@link Publisher.prepare}) with their deliveries in one transaction of
   * their own, together with what `alongside` writes through the same `tx` — it sees each
   * event's result (duplicate or not) and may throw to roll everything back. Resolves once
   * committed. Rejects with SB_ERR_EVENT_PUBLISHER_CLOSED once {@link Publisher.close} was
   * called, or with the store's or `alongside`'s error (nothing stored).
   */
  async commitWith<T>(
    events: readonly PreparedEvent[],
    alongside: (tx: StoreTx, results: readonly PublishResult[]) => Promise<T>,
  ): Promise<{ results: PublishResult[]; value: T }> {
    if (this.closed) throw new SwitchboardError('SB_ERR_EVENT_PUBLISHER_CLOSED', 'the publisher is stopping; the events were not accepted')
    if (publishTracing.hasSubscribers && events.length > 0) return this.commitTraced(events, alongside)
    return this.commit(events, alongside)
  }

  /**
   * {@link commit} with one publish span per event (each of a poller's events starts its own
   * trace). One commit settles several traced publishes, so the tracing channel's events are
   * published by hand, in the order `tracePromise` would.
   */
  private async commitTraced<T>(
    events: readonly PreparedEvent[],
    alongside: (tx: StoreTx, results: readonly PublishResult[]) => Promise<T>,
  ): Promise<{ results: PublishResult[]; value: T }> {
    const { start, end, asyncStart, asyncEnd, error } = publishTracing
    const traces = events.map((e): PublishTraceContext => ({ topic: e.topic, parent: e.traceparent ?? undefined, traceparent: undefined, span: undefined }))
    for (const t of traces) {
      start.publish(t)
      end.publish(t)
    }
    const traced = events.map((e, i) => {
      const tp = traces[i]?.traceparent
      return tp === undefined ? e : { ...e, traceparent: tp }
    })
    try {
      const out = await this.commit(traced, alongside)
      traces.forEach((t, i) => {
        t.result = out.results[i]
        asyncStart.publish(t)
        asyncEnd.publish(t)
      })
      return out
    } catch (err) {
      for (const t of traces) {
        t.error = err
        error.publish(t)
        asyncStart.publish(t)
        asyncEnd.publish(t)
      }
      throw err
    }
  }

  /**
   * Validate `input` against its topic and build the event to store (new id, acceptance time);
   * nothing is stored. Throws SB_ERR_EVENT_UNKNOWN_TOPIC or SB_ERR_EVENT_INVALID (422,
   * `details.violations`), as {@link Publisher.publish} rejects.
   */
  prepare(input: PublishInput): PreparedEvent {
    const topic = this.flows.topics.get(input.topic)
    if (topic === undefined) throw new SwitchboardError('SB_ERR_EVENT_UNKNOWN_TOPIC', `unknown topic ${JSON.stringify(input.topic)}`)
    const violations: Array<{ path: string; message: string }> = []
    for (const [what, v] of [['id', input.id], ['key', input.key]] as const) {
      if (v !== undefined && (typeof v !== 'string' || v.length === 0 || v.length > MAX_ID_LENGTH)) {
        violations.push({ path: `(${what})`, message: `the event ${what} must be a string of 1 to ${MAX_ID_LENGTH} characters` })
      }
    }
    if (input.body === undefined) violations.push({ path: '/', message: 'the event has no body' })
    else if (topic.validate && !topic.validate(input.body)) {
      for (const e of topic.validate.errors ?? []) violations.push({ path: e.instancePath || '/', message: e.message ?? 'is invalid' })
    }
    if (violations.length > 0) {
      throw new SwitchboardError('SB_ERR_EVENT_INVALID', `the event does not match topic "${input.topic}": ${violations[0]?.path} ${violations[0]?.message}`, {
        details: { violations: violations.slice(0, this.maxViolations) },
      })
    }
    const now = this.clock.now()
    return {
      id: newId(now),
      topic: input.topic,
      sourceId: input.id ?? null,
      key: input.key ?? null,
      body: input.body,
      headers: input.headers ?? {},
      requestId: input.requestId ?? null,
      traceparent: input.traceparent ?? null,
      createdAt: now,
    }
  }

  private async write(events: NewEvent[]): Promise<PublishResult[]> {
    return (await this.commit(events, async () => undefined)).results
  }

  private async commit<T>(
    events: readonly NewEvent[],
    alongside: (tx: StoreTx, results: readonly PublishResult[]) => Promise<T>,
  ): Promise<{ results: PublishResult[]; value: T }> {
    const flows = this.flows
    const out = await this.store.transaction(async (tx) => {
      const stored = events.length === 0 ? [] : await tx.events.insertMany(events)
      const deliveries: NewDelivery[] = []
      stored.forEach((r, i) => {
        if (r.duplicate) return
        const e = events[i] as NewEvent
        for (const f of flows.subscribers(e.topic)) {
          deliveries.push({
            id: newId(e.createdAt),
            eventId: e.id,
            flowId: f.id,
            system: f.target?.system ?? null,
            orderingKey: f.ordering === 'key' ? (e.key ?? null) : null,
            nextAt: e.createdAt,
            createdAt: e.createdAt,
          })
        }
      })
      if (deliveries.length > 0) await this.bus.enqueue(tx, deliveries)
      return { results: stored, value: await alongside(tx, stored) }
    })
    if (events.length === 0) return out
    this.bus.wake()
    if (publishBatchChannel.hasSubscribers) publishBatchChannel.publish({ events: events.length, duplicates: out.results.filter((r) => r.duplicate).length })
    return out
  }
}
