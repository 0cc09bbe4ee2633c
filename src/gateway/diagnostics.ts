/**
 * Gateway instrumentation on `node:diagnostics_channel`: one message per completed request.
 * Metrics (request counts by route, status class and consumer; a duration histogram), logs and
 * traces subscribe; the hot path only checks `hasSubscribers`, so with nobody listening it does
 * not even read the clock. Labels are bounded: route ids come from the config, consumers from
 * the config or the store, status classes are five.
 */
import diagnostics from 'node:diagnostics_channel'
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import { performance } from 'node:perf_hooks'

export const GATEWAY_REQUEST_CHANNEL = 'switchboard:gateway:request'

/** Route label for requests no route matched (404) or the HTTP layer refused. */
export const NO_ROUTE = '(none)'

export interface GatewayRequestMessage {
  /** Route id, or {@link NO_ROUTE}. */
  route: string
  method: string
  statusClass: '1xx' | '2xx' | '3xx' | '4xx' | '5xx'
  /** Consumer name, or `anonymous`. */
  consumer: string
  /** From arrival to the end of the response, in milliseconds. */
  durationMs: number
  /** Stable code of the error that produced the answer (`SB_ERR_GATEWAY_RATE_LIMITED`…), else null. */
  errorCode: string | null
}

export const gatewayRequestChannel = diagnostics.channel(GATEWAY_REQUEST_CHANNEL)

const CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const

/** `performance.now()` when someone listens, else 0 (the marker for "not measured"). */
export function startTimer(): number {
  return gatewayRequestChannel.hasSubscribers ? performance.now() : 0
}

/** Publishes a completed request; a no-op when nobody listens or the request was not timed. */
export function publishRequest(route: string, method: string, status: number, consumer: string, startedAt: number, errorCode: string | null = null): void {
  if (startedAt === 0 || !gatewayRequestChannel.hasSubscribers) return
  const message: GatewayRequestMessage = {
    route,
    method,
    statusClass: CLASSES[Math.min(4, Math.max(0, Math.floor(status / 100) - 1))] ?? '5xx',
    consumer,
    durationMs: performance.now() - startedAt,
    errorCode,
  }
  gatewayRequestChannel.publish(message)
}

/**
 * The tracing hooks of a routed request, on a `TracingChannel`'s channels with one
 * {@link GatewayTraceContext} per request: `tracing:switchboard:gateway:request:start` when the
 * route starts, `…:asyncEnd` once the answer is written — only when a tracer left a handle in
 * the context's `span` at `start`: a request it does not record (unsampled) needs no end, and
 * skipping it saves most unsampled requests a publish (the request's work is async, so `end`,
 * `asyncStart` and `error` are not published: an error is an answer too, with its status). A
 * tracer (src/observe/trace-subscriber.ts) starts the request's span on `start` and writes its
 * `traceparent` into the context; proxy routes send that upstream and publish routes store it
 * with the event. With nobody subscribed the handler builds no context at all.
 */
export const GATEWAY_TRACE_CHANNEL = 'switchboard:gateway:request'

export interface GatewayTraceContext {
  route: string
  /** The route's path template (`/orders/:id`), never the raw path. */
  path: string
  method: string
  requestId: string
  /** The request's headers: a valid `traceparent` among them continues the caller's trace. */
  headers: IncomingHttpHeaders
  /** Written by a tracer at `start`: the request span's `traceparent` (undefined: keep the caller's). */
  traceparent: string | undefined
  /**
   * The tracer's own handle on its span, from `start` to the end (publishers leave it undefined);
   * left undefined by the tracer, no `asyncEnd` is published.
   */
  span: unknown
  /** Set when the answer is written, before `asyncEnd`. */
  status: number
  errorCode: string | null
}

export const gatewayTracing = diagnostics.tracingChannel<unknown, GatewayTraceContext>(GATEWAY_TRACE_CHANNEL)

/** A fresh trace context for a request (only built when a tracer listens). */
export function gatewayTraceContext(route: string, path: string, req: IncomingMessage, requestId: string): GatewayTraceContext {
  return { route, path, method: req.method ?? '', requestId, headers: req.headers, traceparent: undefined, span: undefined, status: 0, errorCode: null }
}
