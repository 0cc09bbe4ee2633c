/**
 * The spans of an event's life, through `@opentelemetry/api` only:
 *
 *     gateway request (SERVER) ─┬─ publish (PRODUCER) ┄┄ stored with the event ┄┄┐
 *                               │                                              ▼
 *                               └─ proxy call …          delivery attempt 1..n (CLIENT)
 *
 * A delivery attempt is a child of the stored publish context *and* links to it: the child
 * relation keeps one webhook and all its attempts in one trace (even after a restart, since the
 * context is stored with the event), and the link marks the hop across the durable queue for
 * backends that draw messaging links.
 *
 * Without an SDK every tracer is the API's no-op: spans cost almost nothing and record nothing,
 * but the trace context still flows (the no-op span carries its parent's context). A running node
 * does not even get that far with tracing off: these helpers are called only by the tracing
 * subscriber (trace-subscriber.ts), which the runtime subscribes to the hot paths' tracing
 * channels with an SDK tracer when `telemetry:` turns tracing on.
 */
import { SpanKind, SpanStatusCode, isSpanContextValid, trace, type Attributes, type Context, type Span, type TimeInput, type Tracer } from '@opentelemetry/api'
import { carrierOf, contextFromCarrier, extractTraceparent, formatTraceparent, injectTraceparent, type TraceCarrier } from './traceparent.js'

export const TRACER_NAME = 'switchboard'

/** The tracer the helpers use by default (the global provider's; no-op until an SDK registers). */
export function defaultTracer(): Tracer {
  return trace.getTracer(TRACER_NAME)
}

export interface StartedSpan {
  span: Span
  /** The context with `span` active: pass it on (publish, outbound calls, log fields). */
  context: Context
}

export interface GatewaySpanInput {
  /** Route id (bounded; the raw path is not recorded). */
  route: string
  /** The route's path template (`/orders/:id`): `http.route` and the span name. Default: the route id. */
  path?: string | undefined
  method: string
  requestId: string
  /** Incoming headers (lower-case names): a valid `traceparent` continues the caller's trace. */
  headers: Readonly<Record<string, string | string[] | undefined>>
}

export interface GatewaySpan {
  span: Span
  /** The span's `traceparent`, for the upstream and the publish (undefined: no valid trace, no SDK and no caller context). */
  traceparent: string | undefined
}

/**
 * Starts the span of one gateway request, continuing the caller's trace when it sent one. The
 * request is the server boundary: its only parent is the caller's `traceparent`, never an
 * ambient context. No context object is built for the span (the runtime passes it on as its
 * `traceparent` string), which a recorded request would otherwise pay for.
 */
export function startGatewaySpan(input: GatewaySpanInput, tracer: Tracer = defaultTracer(), startTime?: TimeInput): GatewaySpan {
  // As OpenTelemetry's HTTP conventions name a server span: method and route template.
  const template = input.path ?? input.route
  const span = tracer.startSpan(
    `${input.method} ${template}`,
    {
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': input.method, 'http.route': template, 'switchboard.route': input.route, 'switchboard.request_id': input.requestId },
      ...(startTime !== undefined ? { startTime } : {}),
    },
    extractTraceparent(input.headers),
  )
  const sc = span.spanContext()
  return { span, traceparent: isSpanContextValid(sc) ? formatTraceparent(sc) : undefined }
}

/** Ends a gateway span with its status (5xx marks it an error; 4xx is the client's fault, not the server's). */
export function endGatewaySpan(span: Span, statusCode: number, errorCode?: string | null, endTime?: TimeInput): void {
  // Most spans are not sampled: skip the attribute calls on those.
  if (span.isRecording()) {
    span.setAttribute('http.response.status_code', statusCode)
    if (errorCode) span.setAttribute('switchboard.error_code', errorCode)
    if (statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR, ...(errorCode ? { message: errorCode } : {}) })
  }
  span.end(endTime)
}

export interface PublishSpanInput {
  topic: string
  /** The event's id, when known before the publish (else set by {@link endPublishSpan}). */
  eventId?: string
  /** Route id when published by a gateway route, poller id when by a poller. */
  source?: string
}

/**
 * Starts the span of one publish under `parent` (the gateway span's context, or ROOT_CONTEXT for
 * a poller). Store `carrier` with the event: deliveries continue from it. `carrier` is null only
 * when there is no trace at all (no SDK and no incoming `traceparent`).
 */
export function startPublishSpan(parent: Context, input: PublishSpanInput, tracer: Tracer = defaultTracer()): StartedSpan & { carrier: TraceCarrier | null } {
  const attributes: Attributes = {
    'messaging.system': 'switchboard',
    'messaging.operation.type': 'publish',
    'messaging.destination.name': input.topic,
  }
  if (input.eventId !== undefined) attributes['messaging.message.id'] = input.eventId
  if (input.source !== undefined) attributes['switchboard.source'] = input.source
  const span = tracer.startSpan(`publish ${input.topic}`, { kind: SpanKind.PRODUCER, attributes }, parent)
  const ctx = trace.setSpan(parent, span)
  return { span, context: ctx, carrier: carrierOf(ctx) }
}

/** Ends a publish span: with the stored event's id, or as an error with the refusal's code. */
export function endPublishSpan(span: Span, r: { eventId: string; duplicate: boolean } | { errorCode: string }): void {
  if (span.isRecording()) {
    if ('eventId' in r) {
      span.setAttribute('messaging.message.id', r.eventId)
      span.setAttribute('switchboard.event.duplicate', r.duplicate)
    } else {
      span.setAttribute('switchboard.error_code', r.errorCode)
      span.setStatus({ code: SpanStatusCode.ERROR, message: r.errorCode })
    }
  }
  span.end()
}

export interface DeliverySpanInput {
  /**
   * The carrier stored with the event at publish time, or its bare `traceparent` string
   * (null/undefined: a new trace starts).
   */
  carrier: TraceCarrier | string | null | undefined
  flow: string
  /** Target system (absent for a flow that republishes). */
  system?: string | undefined
  eventId: string
  deliveryId: string
  /** 1 for the first attempt. */
  attempt: number
}

/**
 * Starts the span of one delivery attempt, child of and linked to the publish context. Send
 * `headers` (`traceparent`, `tracestate`) with the outbound request so the target joins the trace.
 */
export function startDeliverySpan(input: DeliverySpanInput, tracer: Tracer = defaultTracer()): StartedSpan & { headers: Record<string, string> } {
  const parent = contextFromCarrier(input.carrier)
  const published = trace.getSpanContext(parent)
  const attributes: Attributes = {
    'messaging.system': 'switchboard',
    'messaging.operation.type': 'process',
    'messaging.message.id': input.eventId,
    'switchboard.flow': input.flow,
    'switchboard.delivery.id': input.deliveryId,
    'switchboard.delivery.attempt': input.attempt,
  }
  if (input.system !== undefined) attributes['switchboard.system'] = input.system
  const span = tracer.startSpan(
    `deliver ${input.flow}`,
    { kind: SpanKind.CLIENT, attributes, links: published === undefined ? [] : [{ context: published, attributes: { 'switchboard.link': 'publish' } }] },
    parent,
  )
  const ctx = trace.setSpan(parent, span)
  return { span, context: ctx, headers: injectTraceparent(ctx) }
}

export interface DeliveryAttemptResult {
  /**
   * What the attempt led to (the `DeliveryOutcome` of channels.ts): `retry` and `dead` mark the
   * span an error; `wait` (no request went out) and `skipped` (filtered) do not.
   */
  outcome: 'delivered' | 'skipped' | 'retry' | 'wait' | 'dead'
  statusCode: number | null
  errorCode: string | null
}

/** Ends a span as failed with a stable error code (work that threw, a settle that failed). */
export function failSpan(span: Span, errorCode: string): void {
  if (span.isRecording()) {
    span.setAttribute('switchboard.error_code', errorCode)
    span.setStatus({ code: SpanStatusCode.ERROR, message: errorCode })
  }
  span.end()
}

/** Ends a delivery-attempt span. */
export function endDeliverySpan(span: Span, r: DeliveryAttemptResult): void {
  if (span.isRecording()) {
    span.setAttribute('switchboard.delivery.outcome', r.outcome)
    if (r.statusCode !== null) span.setAttribute('http.response.status_code', r.statusCode)
    if (r.errorCode !== null) span.setAttribute('switchboard.error_code', r.errorCode)
    if (r.outcome === 'retry' || r.outcome === 'dead') span.setStatus({ code: SpanStatusCode.ERROR, message: r.errorCode ?? r.outcome })
  }
  span.end()
}
