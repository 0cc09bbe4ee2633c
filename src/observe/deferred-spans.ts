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
 * record, and hands the records to the SDK a batch at a time once the event loop is free
 * (`setImmediate`, or at once when a batch is full), with the recorded start and end times. The
 * SDK must then give each span the ids already sent: {@link PresetIdGenerator} is the provider's
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

/** What a sampled gateway request leaves for its span. */
export interface GatewaySpanRecord {
  /** Route id, path template, method, request id and headers (a caller's `traceparent` / `tracestate` make it the parent). */
  input: GatewaySpanInput
  traceId: string
  spanId: string
  /** `performance.now()` at the start and at the end. */
  startTime: number
  endTime: number
  status: number
  errorCode: string | null
}

/** Records per batch handed to the SDK; a full batch goes at once instead of waiting for the loop. */
const MAX_BATCH = 128

export class DeferredGatewaySpans {
  readonly #tracer: Tracer
  readonly #ids: PresetIdGenerator
  readonly #onError: (err: unknown) => void
  #pending: GatewaySpanRecord[] = []
  #scheduled = false

  constructor(tracer: Tracer, ids: PresetIdGenerator, onError: (err: unknown) => void) {
    this.#tracer = tracer
    this.#ids = ids
    this.#onError = onError
  }

  /** A sampled request starts: its record, whose ids its `traceparent` must carry. */
  start(input: GatewaySpanInput, traceId: string | undefined): GatewaySpanRecord {
    const { route, path, method, requestId, headers } = input
    return { input: { route, path, method, requestId, headers }, traceId: traceId ?? randomTraceId(), spanId: randomSpanId(), startTime: performance.now(), endTime: 0, status: 0, errorCode: null }
  }

  /** The request is answered: its span is recorded with the next batch. */
  end(r: GatewaySpanRecord, status: number, errorCode: string | null): void {
    r.endTime = performance.now()
    r.status = status
    r.errorCode = errorCode
    const n = this.#pending.push(r)
    if (n >= MAX_BATCH) this.flush()
    else if (!this.#scheduled) {
      this.#scheduled = true
      setImmediate(this.#flushScheduled)
    }
  }

  readonly #flushScheduled = (): void => {
    this.#scheduled = false
    this.flush()
  }

  /** Hands every pending record to the SDK now (also before the provider shuts down). */
  flush(): void {
    const batch = this.#pending
    if (batch.length === 0) return
    this.#pending = []
    for (const r of batch) {
      try {
        this.#ids.preset(r.traceId, r.spanId)
        const { span } = startGatewaySpan(r.input, this.#tracer, r.startTime)
        endGatewaySpan(span, r.status, r.errorCode, r.endTime)
      } catch (err) {
        this.#onError(err)
      } finally {
        this.#ids.clear()
      }
    }
  }
}
