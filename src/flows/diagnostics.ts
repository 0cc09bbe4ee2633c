/**
 * Event-flow instrumentation on `node:diagnostics_channel`. Metrics, logs and traces subscribe
 * (src/observe); publishers check `hasSubscribers` first, so with nobody listening nothing is
 * allocated. Labels are bounded: flow ids and systems come from the config.
 */
import diagnostics from 'node:diagnostics_channel'

/** One group commit: how many events it stored and how many of them were duplicates. */
export const FLOWS_PUBLISH_CHANNEL = 'switchboard:flows:publish'
export interface FlowsPublishMessage {
  events: number
  duplicates: number
}

/** One settled delivery claim (after an attempt, a filter skip, or an error before the request). */
export const FLOWS_DELIVERY_CHANNEL = 'switchboard:flows:delivery'
export interface FlowsDeliveryMessage {
  flowId: string
  system: string | null
  /** What happened to the delivery. */
  outcome: 'delivered' | 'skipped' | 'retry' | 'wait' | 'dead'
  /** HTTP status of the attempt, if one was made and answered. */
  status: number | null
  errorCode: string | null
  /** Attempt latency (0 when no request was made). */
  latencyMs: number
  /** Time from event acceptance to this outcome. */
  ageMs: number
  /** Attempt number (the delivery's attempt count). */
  attempt: number
}

/** A target answered 410 Gone: the flow's target is flagged until the config changes. */
export const FLOWS_TARGET_GONE_CHANNEL = 'switchboard:flows:target-gone'
export interface FlowsTargetGoneMessage {
  flowId: string
  system: string
  path: string
}

/**
 * One poller tick that ran on this node (ticks another node ran, or that were not due, publish
 * nothing). Same name as `POLLER_RUN_CHANNEL` in src/observe/channels.ts (declared twice on
 * purpose: observe must not import flows).
 */
export const POLLER_RUN_CHANNEL = 'switchboard:poller:run'
export interface PollerRunMessage {
  poller: string
  /** The tick ended without error (items it skipped as invalid do not make it fail). */
  ok: boolean
  /** New events the tick published (duplicates excluded; pages committed before a failure count). */
  items: number
  durationMs: number
  /** Stable code of the tick's error, or null. */
  errorCode: string | null
}

export const publishBatchChannel = diagnostics.channel(FLOWS_PUBLISH_CHANNEL)
export const deliveryChannel = diagnostics.channel(FLOWS_DELIVERY_CHANNEL)
export const targetGoneChannel = diagnostics.channel(FLOWS_TARGET_GONE_CHANNEL)
export const pollerRunChannel = diagnostics.channel(POLLER_RUN_CHANNEL)

/**
 * Tracing hooks (`TracingChannel`s) around a publish and a delivery attempt, one context object
 * each. A tracer (src/observe/trace-subscriber.ts) starts a span on `start` and writes its
 * `traceparent` into the context — the event stores the publish span's, the target receives the
 * attempt span's — and ends it on `asyncEnd` (or `error`). With nobody subscribed no context is
 * built and the trace context flows as before: the caller's `traceparent` is stored, and each
 * attempt sends a fresh child of it.
 */
export const FLOWS_PUBLISH_TRACE_CHANNEL = 'switchboard:flows:publish'
export interface PublishTraceContext {
  topic: string
  /** The context to continue: the gateway span's, the caller's, or undefined (a poller: new trace). */
  parent: string | undefined
  /** Written by a tracer at `start`: the publish span's `traceparent`, stored with the event. */
  traceparent: string | undefined
  /** The tracer's own handle on its span, from `start` to the end (publishers leave it undefined). */
  span: unknown
  /** Set by the tracing channel when the publish resolves. */
  result?: { id: string; duplicate: boolean }
  /** Set by the tracing channel when it rejects. */
  error?: unknown
}

export const FLOWS_DELIVERY_TRACE_CHANNEL = 'switchboard:flows:delivery'
export interface DeliveryTraceContext {
  flowId: string
  system: string | null
  eventId: string
  deliveryId: string
  /** This attempt's number (1 for the first). */
  attempt: number
  /** The `traceparent` stored with the event (its publish span's), if any. */
  parent: string | null
  /** Written by a tracer at `start`: the attempt span's `traceparent`, sent to the target. */
  traceparent: string | undefined
  /** The tracer's own handle on its span, from `start` to the end (publishers leave it undefined). */
  span: unknown
  /** Set when the claim is settled, before `asyncEnd`. */
  status: number | null
  errorCode: string | null
  /** The outcome (set by the tracing channel when the delivery resolves). */
  result?: FlowsDeliveryMessage['outcome']
  error?: unknown
}

export const publishTracing = diagnostics.tracingChannel<unknown, PublishTraceContext>(FLOWS_PUBLISH_TRACE_CHANNEL)
export const deliveryTracing = diagnostics.tracingChannel<unknown, DeliveryTraceContext>(FLOWS_DELIVERY_TRACE_CHANNEL)
