/**
 * Gateway request spans recorded after the fact, in batches — group commit for spans.
 *
 * A sampled request needs only two things while it runs: its span's `traceparent` (sent upstream,
 * stored with a published event) and the times it started and ended. Creating the SDK span at
 * the start and ending it with the answer puts the SDK's code and allocations in the middle of
 * every sampled request, where they run cold — in a busy gateway the request path evicts them
 * between two sampled requests, and they evict the request path in turn. Measured in place on
 * the 2-core bench machine, a span started and ended inside its request cost several times what
 * the same calls cost back to back.
 *
 * So the subscriber draws the span's ids itself, sends the `traceparent` at once, keeps a small
 * record, and hands the records to a {@link GatewaySpanSink} a batch at a time — once the event
 * loop is free (`setImmediate`), after a set delay, or at once when a batch is full — with the
 * recorded start and end times. The sink is the SDK in this thread ({@link TracerSpanSink}) or,
 * when spans are only exported over OTLP, the span worker (src/runtime/span-worker.ts), which
 * keeps the SDK's span objects, their batching and the export off the gateway's thread and heap.
 * The SDK must give each span the ids already sent: {@link PresetIdGenerator} is the provider's
 * id generator (`idGenerator`), and hands out the preset ids for exactly one `startSpan`.
 */
import type { Tracer } from '@opentelemetry/api'
import { performance } from 'node:perf_hooks'
import { randomSpanId, randomTraceId } from './traceparent.js'
import { endGatewaySpan, startGatewaySpan, type GatewaySpanInput } from './tracing.js'

/**
 * An `IdGenerator` for the SDK's tracer provider: random ids (from the same pool as the
 * subscriber's), unless ids were preset for the next span.
 */
export class PresetIdGenerator {
  #traceId: string | undefined = undefined
  #spanId: string | undefined = undefined

  /** The next `startSpan` gets these ids (the trace id only if it starts a new trace). */
  preset(traceId: string, spanId: string): void {
    this.#traceId = traceId
    this.#spanId = spanId
  }

  /** Forgets what the last span did not use (a child span takes its parent's trace id). */
  clear(): void {
    this.#traceId = undefined
    this.#spanId = undefined
  }

  generateTraceId(): string {
    const id = this.#traceId
    if (id === undefined) return randomTraceId()
    this.#traceId = undefined
    return id
  }

  generateSpanId(): string {
    const id = this.#spanId
    if (id === undefined) return randomSpanId()
    this.#spanId = undefined
    return id
  }
}

/**
 * What a sampled gateway request leaves for its span: plain data only, so a batch can also cross
 * to the span worker (src/runtime/span-worker.ts) by `postMessage`.
 */
export interface GatewaySpanRecord {
  /** Route id (bounded; the raw path is not recorded). */
  route: string
  /** The route's path template (`/orders/:id`). */
  path: string | undefined
  method: string
  requestId: string
  /** The caller's `traceparent` and `tracestate`: the span's parent when valid. */
  parent: string | undefined
  tracestate: string | undefined
  traceId: string
  spanId: string
  /**
   * Epoch milliseconds (`performance.timeOrigin + performance.now()`): every thread reads them
   * alike, where a bare `performance.now()` counts from its own thread's start.
   */
  startTime: number
  endTime: number
  status: number
  errorCode: string | null
}

/** Where batches of finished records go: the SDK in this thread, or the span worker. */
export interface GatewaySpanSink {
  record(batch: readonly GatewaySpanRecord[]): void
}

/** Records become SDK spans with the ids their `traceparent` already carried. */
export class TracerSpanSink implements GatewaySpanSink {
  readonly #tracer: Tracer
  readonly #ids: PresetIdGenerator
  readonly #onError: (err: unknown) => void

  constructor(tracer: Tracer, ids: PresetIdGenerator, onError: (err: unknown) => void) {
    this.#tracer = tracer
    this.#ids = ids
    this.#onError = onError
  }

  record(batch: readonly GatewaySpanRecord[]): void {
    for (const r of batch) {
      try {
        this.#ids.preset(r.traceId, r.spanId)
        const headers = { traceparent: r.parent, tracestate: r.tracestate }
        const { span } = startGatewaySpan({ route: r.route, path: r.path, method: r.method, requestId: r.requestId, headers }, this.#tracer, r.startTime)
        endGatewaySpan(span, r.status, r.errorCode, r.endTime)
      } catch (err) {
        this.#onError(err)
      } finally {
        this.#ids.clear()
      }
    }
  }
}

export interface DeferralOptions {
  /** Records per batch; a full batch goes at once instead of waiting. Default 128. */
  maxBatch?: number
  /** How long a batch may wait (ms); 0 (the default): until the event loop is next free (`setImmediate`). */
  delayMs?: number
}

/** The clock of the records: epoch milliseconds, sub-millisecond precise. */
const now = (): number => performance.timeOrigin + performance.now()

export class DeferredGatewaySpans {
  readonly #sink: GatewaySpanSink
  readonly #onError: (err: unknown) => void
  readonly #maxBatch: number
  readonly #delayMs: number
  #pending: GatewaySpanRecord[] = []
  #scheduled = false

  constructor(sink: GatewaySpanSink, onError: (err: unknown) => void, options: DeferralOptions = {}) {
    this.#sink = sink
    this.#onError = onError
    this.#maxBatch = options.maxBatch ?? 128
    this.#delayMs = options.delayMs ?? 0
  }

  /** A sampled request starts: its record, whose ids its `traceparent` must carry. */
  start(input: GatewaySpanInput, traceId: string | undefined): GatewaySpanRecord {
    const { headers } = input
    const parent = typeof headers.traceparent === 'string' ? headers.traceparent : undefined
    const tracestate = parent !== undefined && typeof headers.tracestate === 'string' ? headers.tracestate : undefined
    return {
      route: input.route,
      path: input.path,
      method: input.method,
      requestId: input.requestId,
      parent,
      tracestate,
      traceId: traceId ?? randomTraceId(),
      spanId: randomSpanId(),
      startTime: now(),
      endTime: 0,
      status: 0,
      errorCode: null,
    }
  }

  /** The request is answered: its span is recorded with the next batch. */
  end(r: GatewaySpanRecord, status: number, errorCode: string | null): void {
    r.endTime = now()
    r.status = status
    r.errorCode = errorCode
    const n = this.#pending.push(r)
    if (n >= this.#maxBatch) this.flush()
    else if (!this.#scheduled) {
      this.#scheduled = true
      if (this.#delayMs > 0) setTimeout(this.#flushScheduled, this.#delayMs).unref()
      else setImmediate(this.#flushScheduled)
    }
  }

  readonly #flushScheduled = (): void => {
    this.#scheduled = false
    this.flush()
  }

  /** Hands every pending record to the sink now (also before the provider shuts down). */
  flush(): void {
    const batch = this.#pending
    if (batch.length === 0) return
    this.#pending = []
    try {
      this.#sink.record(batch)
    } catch (err) {
      this.#onError(err)
    }
  }
}
