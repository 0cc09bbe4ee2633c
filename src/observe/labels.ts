/**
 * Label values with a bounded set. Every series a label value creates lives until the process
 * exits, so a value that comes from a client (an HTTP method, a consumer name) or from a drifting
 * publisher must never create series without limit. Values are mapped to a closed vocabulary, or
 * kept up to a cap and then folded into `other`.
 */
import type { DeliveryAttemptEvent, DeliveryOutcome, SystemCallEvent } from './channels.js'

/** The label value for everything past a {@link BoundedLabel}'s cap. */
export const OVERFLOW_LABEL = 'other'

const MAX_LABEL_CHARS = 64

/**
 * A label whose distinct values are capped: the values listed up front (from the config) always
 * pass, others are admitted first come, first served until `max` distinct values are known, then
 * map to `other`. Values are truncated to 64 characters.
 */
export class BoundedLabel {
  readonly #seen = new Set<string>()
  readonly #max: number

  constructor(max: number, known: Iterable<string> = []) {
    for (const k of known) this.#seen.add(k.slice(0, MAX_LABEL_CHARS))
    this.#max = Math.max(max, this.#seen.size)
  }

  value(v: string): string {
    const s = v.length > MAX_LABEL_CHARS ? v.slice(0, MAX_LABEL_CHARS) : v
    if (this.#seen.has(s)) return s
    if (this.#seen.size >= this.#max) return OVERFLOW_LABEL
    this.#seen.add(s)
    return s
  }
}

/**
 * Values kept per bounded label value, found from the raw name: a name already admitted is its
 * own label, so it is found in one lookup without asking the {@link BoundedLabel} again (the
 * per-request path); only new, truncated or folded names go through it.
 */
export class ByLabel<V> {
  readonly #label: BoundedLabel
  readonly #make: (label: string) => V
  readonly #values = new Map<string, V>()

  constructor(label: BoundedLabel, make: (label: string) => V) {
    this.#label = label
    this.#make = make
  }

  get(name: string): V {
    const hit = this.#values.get(name)
    if (hit !== undefined) return hit
    const label = this.#label.value(name)
    let v = this.#values.get(label)
    if (v === undefined) this.#values.set(label, (v = this.#make(label)))
    return v
  }
}

/** The method labels: the standard methods, then `OTHER` for any method a client makes up. */
export const METHOD_LABELS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT', 'OTHER'] as const
const METHOD_INDEX = new Map<string, number>(METHOD_LABELS.map((m, i) => [m, i]))
const OTHER_METHOD = METHOD_LABELS.length - 1

/** Index of the method's label in {@link METHOD_LABELS} (per-request series live in arrays indexed by it). */
export function methodIndex(method: string): number {
  // Node hands out its own constant for a method it knows: GET, most requests, is one comparison.
  if (method === 'GET') return 0
  // Methods arrive upper case nearly always: look up before allocating an upper-cased copy.
  return METHOD_INDEX.get(method) ?? METHOD_INDEX.get(method.toUpperCase()) ?? OTHER_METHOD
}

/** Why the gateway refused a request before it reached its action, when that is a limit. */
export type RejectionReason = 'rate_limited' | 'quota_exceeded'

const REJECTIONS: Readonly<Record<string, RejectionReason>> = {
  SB_ERR_GATEWAY_RATE_LIMITED: 'rate_limited',
  SB_ERR_GATEWAY_QUOTA_EXCEEDED: 'quota_exceeded',
}

export function rejectionReason(errorCode: string | null | undefined): RejectionReason | undefined {
  return errorCode == null ? undefined : REJECTIONS[errorCode]
}

/** Outcome of an outbound call, a closed set usable as a label. */
export type CallOutcome =
  | 'success'
  | 'client_error'
  | 'server_error'
  | 'timeout'
  | 'unreachable'
  | 'circuit_open'
  | 'rate_limited'
  | 'aborted'
  | 'error'

export const CALL_OUTCOMES: readonly CallOutcome[] = [
  'success',
  'client_error',
  'server_error',
  'timeout',
  'unreachable',
  'circuit_open',
  'rate_limited',
  'aborted',
  'error',
]

const CALL_OUTCOME_INDEX = new Map<string, number>(CALL_OUTCOMES.map((o, i) => [o, i]))

/** Index of an outcome in {@link CALL_OUTCOMES}. */
export const callOutcomeIndex = (o: CallOutcome): number => (o === 'success' ? 0 : (CALL_OUTCOME_INDEX.get(o) as number))

const CALL_ERRORS: Readonly<Record<string, CallOutcome>> = {
  ABORT_ERR: 'aborted',
  SB_ERR_SYSTEM_CIRCUIT_OPEN: 'circuit_open',
  SB_ERR_SYSTEM_RATE_LIMITED: 'rate_limited',
  SB_ERR_SYSTEM_TIMEOUT: 'timeout',
  SB_ERR_SYSTEM_UNREACHABLE: 'unreachable',
}

/**
 * The outcome of a call: the error code wins when it names one of the known failures (a timeout
 * after the headers still has a status), otherwise the status decides.
 */
export function callOutcome(e: Pick<SystemCallEvent, 'statusCode' | 'errorCode'>): CallOutcome {
  if (e.errorCode !== null) {
    const known = CALL_ERRORS[e.errorCode]
    if (known !== undefined) return known
    if (e.statusCode === null) return 'error'
  }
  if (e.statusCode === null) return 'error'
  if (e.statusCode >= 500) return 'server_error'
  if (e.statusCode >= 400) return 'client_error'
  return 'success'
}

/**
 * Whether the call counts against the system's health: the system failed to answer, answered
 * 5xx, or said it was overloaded (429). Refusals made on our side (circuit open, our own
 * outbound rate limit, a caller abort) say nothing new about the system and are not counted.
 */
export function callCounts(outcome: CallOutcome): boolean {
  return outcome !== 'circuit_open' && outcome !== 'rate_limited' && outcome !== 'aborted'
}

export function callFailed(outcome: CallOutcome, statusCode: number | null): boolean {
  return outcome === 'server_error' || outcome === 'timeout' || outcome === 'unreachable' || outcome === 'error' || statusCode === 429
}

/** The flows layer's outcomes as past-tense labels. */
export const DELIVERY_OUTCOME_LABEL = {
  delivered: 'delivered',
  retry: 'retried',
  wait: 'deferred',
  skipped: 'skipped',
  dead: 'dead',
} as const satisfies Record<DeliveryOutcome, string>

/**
 * Whether processing the delivery sent a request (so its latency is an attempt's): a skip or a
 * wait sends none, nor does a dead-letter for a failing expression.
 */
export function deliveryAttempted(e: Pick<DeliveryAttemptEvent, 'outcome' | 'status' | 'latencyMs'>): boolean {
  return (e.outcome === 'delivered' || e.outcome === 'retry' || e.outcome === 'dead') && (e.status !== null || e.latencyMs > 0)
}
