/**
 * The `node:diagnostics_channel` names the observability layer listens on, the shape of each
 * message, and one subscription helper. Publishers live in lower-level or higher-level areas
 * (systems, gateway, flows) and publish only when `channel.hasSubscribers`; nothing here adds
 * work to their hot paths.
 *
 * The names are declared again here on purpose instead of imported: channels are global by
 * name, and observe must not import the gateway or flows (they sit above it in the layering).
 * Messages are checked before use, because a channel is an untyped boundary: a publisher that
 * drifts from this contract produces a counted "malformed" message, never a crash or a
 * mislabelled series.
 */
import diagnostics from 'node:diagnostics_channel'

/** One message per completed gateway request (published by `src/gateway/diagnostics.ts`). */
export const GATEWAY_REQUEST_CHANNEL = 'switchboard:gateway:request'
/** One message per finished outbound call (published by `src/systems/diagnostics.ts`). */
export const SYSTEM_CALL_CHANNEL = 'switchboard:system:call'
/** One message per circuit breaker state change (published by `src/systems/diagnostics.ts`). */
export const CIRCUIT_TRANSITION_CHANNEL = 'switchboard:circuit:transition'
/** One message per group commit of events (published by `src/flows/publisher.ts`). */
export const EVENT_PUBLISHED_CHANNEL = 'switchboard:flows:publish'
/** One message per settled delivery claim (published by `src/flows/deliver.ts`). */
export const DELIVERY_ATTEMPT_CHANNEL = 'switchboard:flows:delivery'
/**
 * One message per poller run. Not published yet: the flows layer's pollers are to publish
 * {@link PollerRunEvent} on this name.
 */
export const POLLER_RUN_CHANNEL = 'switchboard:poller:run'

export const OBSERVED_CHANNELS = [
  GATEWAY_REQUEST_CHANNEL,
  SYSTEM_CALL_CHANNEL,
  CIRCUIT_TRANSITION_CHANNEL,
  EVENT_PUBLISHED_CHANNEL,
  DELIVERY_ATTEMPT_CHANNEL,
  POLLER_RUN_CHANNEL,
] as const
export type ObservedChannel = (typeof OBSERVED_CHANNELS)[number]

export type StatusClass = '1xx' | '2xx' | '3xx' | '4xx' | '5xx'
export type CircuitStateName = 'closed' | 'open' | 'half-open'
/**
 * What processing a delivery claim led to: `retry` an attempt failed and another is scheduled;
 * `wait` no request went out (circuit open, outbound rate limit) and it is tried later;
 * `skipped` the flow's filter said no; `dead` it went to the dead-letter queue.
 */
export type DeliveryOutcome = 'delivered' | 'skipped' | 'retry' | 'wait' | 'dead'

export interface GatewayRequestEvent {
  /** Route id from the config, or `(none)` when no route matched. */
  route: string
  method: string
  statusClass: StatusClass
  /** Consumer name, or `anonymous`. */
  consumer: string
  durationMs: number
  /**
   * Stable code of the error that produced the answer, when there was one. The rate-limit and
   * quota codes feed `switchboard_gateway_rejections_total`. Optional: publishers that do not
   * send it simply produce no rejection counts.
   */
  errorCode?: string | null
}

export interface SystemCallEvent {
  system: string
  method: string
  /** `null` when no response was received. */
  statusCode: number | null
  /** Stable error code of a failed call (`ABORT_ERR` for a caller abort), else `null`. */
  errorCode: string | null
  durationMs: number
}

export interface CircuitTransitionEvent {
  system: string
  from: CircuitStateName
  to: CircuitStateName
  /** Epoch ms. */
  at: number
}

export interface EventPublishedEvent {
  /** Events committed by the group commit. */
  events: number
  /** Of those, events whose id was already seen: accepted again, not delivered again. */
  duplicates: number
  /**
   * The topic, when the batch holds one topic. Publishers should send one message per topic of a
   * batch; without it the events count under topic `(unknown)`.
   */
  topic?: string
}

export interface DeliveryAttemptEvent {
  flowId: string
  /** Target system (`null` for a flow that republishes to a topic). */
  system: string | null
  outcome: DeliveryOutcome
  /** HTTP status of the attempt, if one was made and answered. */
  status: number | null
  errorCode: string | null
  /** Attempt latency in ms (0 when no request was made). */
  latencyMs: number
  /** Time from the event's acceptance to this outcome, in ms. */
  ageMs: number
  /** The delivery's attempt count. */
  attempt: number
}

export interface PollerRunEvent {
  poller: string
  ok: boolean
  /** New items published by the run (0 on failure). */
  items: number
  durationMs?: number
  errorCode?: string | null
}

/** Handlers for the channels; each one is optional. */
export interface ChannelHandlers {
  gatewayRequest?(e: GatewayRequestEvent): void
  systemCall?(e: SystemCallEvent): void
  circuitTransition?(e: CircuitTransitionEvent): void
  eventPublished?(e: EventPublishedEvent): void
  deliveryAttempt?(e: DeliveryAttemptEvent): void
  pollerRun?(e: PollerRunEvent): void
  /** A message that does not match its channel's contract (it is dropped). */
  malformed?(channel: ObservedChannel): void
  /** A handler threw (a bug in the subscriber; it is contained, never thrown at the publisher). */
  handlerError?(channel: ObservedChannel, err: unknown): void
}

type Rec = Record<string, unknown>

const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null
const isStr = (v: unknown): v is string => typeof v === 'string'
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v)
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0
const isStrOrNull = (v: unknown): v is string | null => v === null || isStr(v)
const isOptStrOrNull = (v: unknown): boolean => v === undefined || isStrOrNull(v)
const STATUS_CLASSES = new Set(['1xx', '2xx', '3xx', '4xx', '5xx'])
const CIRCUIT_STATES = new Set(['closed', 'open', 'half-open'])
const OUTCOMES = new Set(['delivered', 'skipped', 'retry', 'wait', 'dead'])

/** Shape checks, one per channel (the message is an untrusted `unknown`). */
const GUARDS: Record<ObservedChannel, (m: Rec) => boolean> = {
  [GATEWAY_REQUEST_CHANNEL]: (m) =>
    isStr(m.route) && isStr(m.method) && STATUS_CLASSES.has(m.statusClass as string) && isStr(m.consumer) && isNum(m.durationMs) && isOptStrOrNull(m.errorCode),
  [SYSTEM_CALL_CHANNEL]: (m) =>
    isStr(m.system) && isStr(m.method) && (m.statusCode === null || isNum(m.statusCode)) && isStrOrNull(m.errorCode) && isNum(m.durationMs),
  [CIRCUIT_TRANSITION_CHANNEL]: (m) => isStr(m.system) && CIRCUIT_STATES.has(m.from as string) && CIRCUIT_STATES.has(m.to as string) && isNum(m.at),
  [EVENT_PUBLISHED_CHANNEL]: (m) => isCount(m.events) && isCount(m.duplicates) && (m.duplicates as number) <= (m.events as number) && (m.topic === undefined || isStr(m.topic)),
  [DELIVERY_ATTEMPT_CHANNEL]: (m) =>
    isStr(m.flowId) &&
    isStrOrNull(m.system) &&
    OUTCOMES.has(m.outcome as string) &&
    (m.status === null || isNum(m.status)) &&
    isStrOrNull(m.errorCode) &&
    isNum(m.latencyMs) &&
    isNum(m.ageMs) &&
    isNum(m.attempt),
  [POLLER_RUN_CHANNEL]: (m) => isStr(m.poller) && typeof m.ok === 'boolean' && isCount(m.items) && (m.durationMs === undefined || isNum(m.durationMs)) && isOptStrOrNull(m.errorCode),
}

const HANDLER_OF: Record<ObservedChannel, keyof Omit<ChannelHandlers, 'malformed' | 'handlerError'>> = {
  [GATEWAY_REQUEST_CHANNEL]: 'gatewayRequest',
  [SYSTEM_CALL_CHANNEL]: 'systemCall',
  [CIRCUIT_TRANSITION_CHANNEL]: 'circuitTransition',
  [EVENT_PUBLISHED_CHANNEL]: 'eventPublished',
  [DELIVERY_ATTEMPT_CHANNEL]: 'deliveryAttempt',
  [POLLER_RUN_CHANNEL]: 'pollerRun',
}

interface Subscriber {
  handle: (e: unknown) => void
  handlers: ChannelHandlers
}

/**
 * One diagnostics listener per channel, shared by every handler set (metrics, health, …): a
 * message is checked once, then handed to each. The list is replaced, never changed in place, so
 * a handler that (un)subscribes during a dispatch does not disturb it.
 */
interface Fanout {
  subscribers: readonly Subscriber[]
  listener: (message: unknown) => void
}
const fanouts = new Map<ObservedChannel, Fanout>()

function fanout(name: ObservedChannel): Fanout {
  let f = fanouts.get(name)
  if (f !== undefined) return f
  const guard = GUARDS[name]
  const entry: Fanout = {
    subscribers: [],
    listener: (message) => {
      const subs = entry.subscribers
      if (!isRec(message) || !guard(message)) {
        for (const s of subs) s.handlers.malformed?.(name)
        return
      }
      for (let i = 0; i < subs.length; i++) {
        const s = subs[i] as Subscriber
        try {
          s.handle(message)
        } catch (err) {
          s.handlers.handlerError?.(name, err)
        }
      }
    },
  }
  fanouts.set(name, (f = entry))
  return f
}

/**
 * Subscribes `handlers` to the channels they handle (and only those, so a channel nobody here
 * needs keeps `hasSubscribers === false`). Returns the function that unsubscribes them all.
 * A handler that throws is isolated: diagnostics_channel would otherwise rethrow the error
 * asynchronously as an uncaught exception in the publisher's process.
 */
export function subscribeChannels(handlers: ChannelHandlers): () => void {
  const mine: Array<[ObservedChannel, Fanout, Subscriber]> = []
  for (const name of OBSERVED_CHANNELS) {
    const handle = handlers[HANDLER_OF[name]] as ((e: unknown) => void) | undefined
    if (handle === undefined) continue
    const f = fanout(name)
    const sub: Subscriber = { handle, handlers }
    if (f.subscribers.length === 0) diagnostics.subscribe(name, f.listener)
    f.subscribers = [...f.subscribers, sub]
    mine.push([name, f, sub])
  }
  return () => {
    for (const [name, f, sub] of mine.splice(0)) {
      f.subscribers = f.subscribers.filter((s) => s !== sub)
      if (f.subscribers.length === 0) diagnostics.unsubscribe(name, f.listener)
    }
  }
}
