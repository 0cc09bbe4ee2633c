/**
 * Spans from the tracing channels of the gateway and the flows. Each hot path publishes on a
 * `node:diagnostics_channel` TracingChannel's channels, but only when someone subscribed — so with
 * tracing off nothing here runs and the hot paths build no context at all. Subscribed, this
 * starts a span on `start` and writes its `traceparent` into the context, which the publisher
 * then uses: the gateway sends it upstream or stores it with the event, the publisher stores the
 * publish span's, a delivery sends the attempt span's to its target. `asyncEnd` (or `end` after
 * a synchronous throw) ends the span.
 *
 * The channel names and context shapes are declared again here, as in channels.ts: observe must
 * not import the gateway or the flows. Contexts are checked before use and a handler never
 * throws at the publisher (diagnostics_channel would rethrow it as an uncaught exception).
 */
import diagnostics from 'node:diagnostics_channel'
import type { Span, Tracer } from '@opentelemetry/api'
import { isSwitchboardError } from '../core/errors.js'
import { DeferredGatewaySpans, TracerSpanSink, type DeferralOptions, type GatewaySpanRecord, type GatewaySpanSink, type PresetIdGenerator } from './deferred-spans.js'
import { contextFromCarrier, parseTraceparent, randomUnsampledTraceparent, unsampledChildTraceparent } from './traceparent.js'
import { endDeliverySpan, endGatewaySpan, endPublishSpan, failSpan, startDeliverySpan, startGatewaySpan, startPublishSpan } from './tracing.js'

/** `TracingChannel` of a routed gateway request (src/gateway/diagnostics.ts). */
export const GATEWAY_TRACE_CHANNEL = 'switchboard:gateway:request'
/** `TracingChannel` of a publish, one context per event (src/flows/diagnostics.ts). */
export const PUBLISH_TRACE_CHANNEL = 'switchboard:flows:publish'
/** `TracingChannel` of a delivery attempt (src/flows/diagnostics.ts). */
export const DELIVERY_TRACE_CHANNEL = 'switchboard:flows:delivery'

interface GatewayTrace {
  route: string
  /** The path template; optional for publishers that do not know it (the route id stands in). */
  path?: string
  method: string
  requestId: string
  headers: Readonly<Record<string, string | string[] | undefined>>
  traceparent: string | undefined
  span: unknown
  status: number
  errorCode: string | null
}

interface PublishTrace {
  topic: string
  parent: string | undefined
  traceparent: string | undefined
  span: unknown
  result?: { id: string; duplicate: boolean }
  error?: unknown
}

type Outcome = 'delivered' | 'skipped' | 'retry' | 'wait' | 'dead'

interface DeliveryTrace {
  flowId: string
  system: string | null
  eventId: string
  deliveryId: string
  attempt: number
  parent: string | null
  traceparent: string | undefined
  span: unknown
  status: number | null
  errorCode: string | null
  result?: Outcome
  error?: unknown
}

type Rec = Record<string, unknown>
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null
const isStr = (v: unknown): v is string => typeof v === 'string'
const OUTCOMES = new Set(['delivered', 'skipped', 'retry', 'wait', 'dead'])

const isGatewayTrace = (m: unknown): m is GatewayTrace =>
  isRec(m) && isStr(m.route) && (m.path === undefined || isStr(m.path)) && isStr(m.method) && isStr(m.requestId) && isRec(m.headers)
const isPublishTrace = (m: unknown): m is PublishTrace => isRec(m) && isStr(m.topic) && (m.parent === undefined || isStr(m.parent))
const isDeliveryTrace = (m: unknown): m is DeliveryTrace =>
  isRec(m) && isStr(m.flowId) && isStr(m.eventId) && isStr(m.deliveryId) && typeof m.attempt === 'number' && (m.parent === null || isStr(m.parent))

function codeOf(err: unknown): string {
  return isSwitchboardError(err) ? err.code : 'SB_ERR_HTTP_INTERNAL'
}

type Handlers = Partial<Record<'start' | 'end' | 'asyncEnd', (message: unknown) => void>>

export interface TracingSubscriberOptions {
  /** Hears about a handler that threw (a bug here: it is contained). */
  onError?: ((err: unknown) => void) | undefined
  /**
   * Parent-based sampling decided here, before the tracer is asked: a span whose parent is not
   * sampled, or a new trace that loses the draw against `ratio`, never reaches the SDK — the
   * context only gets an unsampled `traceparent` (same trace id, a new span id) to pass on. Most
   * requests at a low ratio are such, and the SDK's `startSpan` (ids, attribute sanitising, the
   * sampler, a context copy) is most of what tracing costs them. The tracer should then record
   * whatever reaches it (`ParentBased(AlwaysOn)`). Unset: every decision is the tracer's.
   */
  sampling?: { ratio: number } | undefined
  /**
   * The tracer provider's id generator. With it (and `sampling`), a sampled gateway request gets
   * its ids and `traceparent` here and its span is handed to the SDK after the request, in a
   * batch (deferred-spans.ts); without it the span is the SDK's from start to end.
   */
  ids?: PresetIdGenerator | undefined
  /**
   * Where sampled gateway requests' records go instead (with `sampling`): the span worker's
   * sink, batched as `maxBatch` / `delayMs` say (deferred-spans.ts). Takes precedence over `ids`.
   */
  gatewaySpans?: ({ sink: GatewaySpanSink } & DeferralOptions) | undefined
}

/** Subscribes a tracer to the three tracing channels; returns the function that unsubscribes. */
export function subscribeTracing(tracer: Tracer, options: TracingSubscriberOptions = {}): () => void {
  const onError = options.onError ?? ((): void => undefined)
  const ratio = options.sampling?.ratio
  /**
   * The `traceparent` of a span that is not sampled, or undefined when the tracer should start
   * one. `parent` is the caller's or the stored `traceparent` (an invalid one starts a new trace).
   */
  const notSampled =
    ratio === undefined
      ? (): undefined => undefined
      : (parent: string | undefined): string | undefined => {
          const sc = parent === undefined ? undefined : parseTraceparent(parent)
          if (sc !== undefined) return (sc.traceFlags & 1) === 0 ? unsampledChildTraceparent(sc.traceId) : undefined
          return Math.random() < ratio ? undefined : randomUnsampledTraceparent()
        }
  // A context carries its span from start to end in its `span` slot (not a WeakMap: ephemerons
  // cost the garbage collector on every request); taking it makes a second end a no-op.
  const take = <S = Span>(m: { span?: unknown }): S | undefined => {
    const span = m.span as S | undefined
    m.span = undefined
    return span
  }
  const safe =
    (fn: (m: unknown) => void) =>
    (m: unknown): void => {
      try {
        fn(m)
      } catch (err) {
        onError(err)
      }
    }
  /** `end` carries an error only when the work threw synchronously: then no `asyncEnd` follows. */
  const endOnThrow = safe((m) => {
    if (isRec(m) && m.error !== undefined) {
      const span = take(m)
      if (span !== undefined) failSpan(span, codeOf(m.error))
    }
  })

  const sink = options.gatewaySpans?.sink ?? (options.ids !== undefined ? new TracerSpanSink(tracer, options.ids, onError) : undefined)
  const deferred = ratio !== undefined && sink !== undefined ? new DeferredGatewaySpans(sink, onError, options.gatewaySpans) : undefined
  const gateway: Handlers = {
    start: safe((m) => {
      if (!isGatewayTrace(m)) return
      const tp = m.headers.traceparent
      // Several traceparent headers are ambiguous: the spec says to ignore them all.
      const caller = typeof tp === 'string' ? tp : undefined
      const skip = notSampled(caller)
      if (skip !== undefined) {
        m.traceparent = skip
        return
      }
      if (deferred !== undefined) {
        // Sampled: a valid caller context is sampled, so its trace continues; else a new trace.
        const r = deferred.start(m, caller === undefined ? undefined : parseTraceparent(caller)?.traceId)
        m.span = r
        m.traceparent = `00-${r.traceId}-${r.spanId}-01`
        return
      }
      const s = startGatewaySpan(m, tracer)
      m.span = s.span
      m.traceparent = s.traceparent
    }),
    // The gateway publishes only start and asyncEnd (its work never throws synchronously).
    asyncEnd: safe((m) => {
      if (!isGatewayTrace(m)) return
      if (deferred !== undefined) {
        const r = take<GatewaySpanRecord>(m)
        if (r !== undefined) deferred.end(r, m.status, m.errorCode)
        return
      }
      const span = take(m)
      if (span !== undefined) endGatewaySpan(span, m.status, m.errorCode)
    }),
  }

  const publish: Handlers = {
    start: safe((m) => {
      if (!isPublishTrace(m)) return
      if ((m.traceparent = notSampled(m.parent)) !== undefined) return
      const s = startPublishSpan(contextFromCarrier(m.parent), { topic: m.topic }, tracer)
      m.span = s.span
      m.traceparent = s.carrier?.traceparent
    }),
    end: endOnThrow,
    asyncEnd: safe((m) => {
      if (!isPublishTrace(m)) return
      const span = take(m)
      if (span === undefined) return
      const r = m.result
      endPublishSpan(span, r !== undefined && m.error === undefined ? { eventId: r.id, duplicate: r.duplicate } : { errorCode: codeOf(m.error) })
    }),
  }

  const delivery: Handlers = {
    start: safe((m) => {
      if (!isDeliveryTrace(m)) return
      if ((m.traceparent = notSampled(m.parent ?? undefined)) !== undefined) return
      const s = startDeliverySpan(
        { carrier: m.parent, flow: m.flowId, system: m.system ?? undefined, eventId: m.eventId, deliveryId: m.deliveryId, attempt: m.attempt },
        tracer,
      )
      m.span = s.span
      m.traceparent = s.headers.traceparent
    }),
    end: endOnThrow,
    asyncEnd: safe((m) => {
      if (!isDeliveryTrace(m)) return
      const span = take(m)
      if (span === undefined) return
      // No outcome: settling failed (lease lost, store down); the delivery is tried again later.
      if (m.error !== undefined || !OUTCOMES.has(m.result as string)) failSpan(span, codeOf(m.error))
      else endDeliverySpan(span, { outcome: m.result as Outcome, statusCode: m.status, errorCode: m.errorCode })
    }),
  }

  const subscriptions: Array<[string, (m: unknown) => void]> = []
  for (const [base, handlers] of [
    [GATEWAY_TRACE_CHANNEL, gateway],
    [PUBLISH_TRACE_CHANNEL, publish],
    [DELIVERY_TRACE_CHANNEL, delivery],
  ] as const) {
    for (const [event, fn] of Object.entries(handlers)) {
      // The names a TracingChannel publishes on (`tracing:<name>:start` …).
      const name = `tracing:${base}:${event}`
      diagnostics.subscribe(name, fn)
      subscriptions.push([name, fn])
    }
  }
  return () => {
    for (const [name, fn] of subscriptions.splice(0)) diagnostics.unsubscribe(name, fn)
    // Spans of requests already answered go to the SDK before its provider shuts down.
    deferred?.flush()
  }
}
