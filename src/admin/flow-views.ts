/**
 * How events, deliveries and attempts look in the admin API: JSON Schemas (for validation of
 * the answers and for /openapi.json) and the mappers from store records. Times are ISO 8601;
 * bodies, headers and requests are shown as stored (secrets were redacted before storing).
 */
import { Type, type TSchema } from '@sinclair/typebox'
import { SwitchboardError } from '../core/errors.js'
import type { DeliveryDetail } from '../flows/dlq.js'
import { DELIVERY_STATUSES, type AttemptRecord, type DeliveryRecord, type EventRecord } from '../store/contract.js'
import type { AdminDeps, AdminFlows } from './deps.js'
import { IsoTime, iso } from './schemas.js'

const Nullable = (t: TSchema, description?: string) => Type.Union([t, Type.Null()], description ? { description } : {})

export const DeliveryStatusSchema = Type.Union(
  DELIVERY_STATUSES.map((s) => Type.Literal(s)),
  { description: 'pending, in_flight, delivered, skipped, dead (in the DLQ) or discarded. See docs/reference/delivery.md.' },
)

export const EventView = Type.Object({
  id: Type.String(),
  topic: Type.String(),
  sourceId: Nullable(Type.String(), 'The id the source gave (dedupe key within the topic).'),
  key: Nullable(Type.String(), 'Ordering key.'),
  body: Type.Unknown(),
  headers: Type.Record(Type.String(), Type.String(), { description: 'Request headers kept with the event.' }),
  requestId: Nullable(Type.String()),
  traceparent: Nullable(Type.String()),
  createdAt: IsoTime('When the event was accepted.'),
})

export const DeliveryView = Type.Object({
  id: Type.String(),
  seq: Type.Integer({ description: 'Enqueue order; pass as `before` to page.' }),
  eventId: Type.String(),
  flowId: Type.String(),
  system: Nullable(Type.String(), 'Target system (null for a flow that publishes to another topic).'),
  status: DeliveryStatusSchema,
  attempts: Type.Integer({ minimum: 0, description: 'Attempts counted since acceptance or the last replay.' }),
  nextAt: IsoTime('When a pending delivery is next due (for one in flight: when its lease ends).'),
  orderingKey: Nullable(Type.String()),
  lastStatus: Nullable(Type.Integer(), 'HTTP status of the last attempt.'),
  lastErrorCode: Nullable(Type.String(), 'Stable code of the last failure (SB_ERR_…).'),
  lastError: Nullable(Type.String()),
  deadReason: Nullable(Type.String(), 'non-retryable, gone, attempts or max-age.'),
  request: Type.Unknown({ description: 'The outbound request (method, path, headers, body) of the last failed attempt, secrets redacted; null when none failed.' }),
  createdAt: IsoTime(),
  updatedAt: IsoTime('Last change (for a dead delivery: when it died).'),
})

export const AttemptView = Type.Object({
  attempt: Type.Integer({ description: '1-based; restarts after a replay.' }),
  startedAt: IsoTime(),
  latencyMs: Type.Integer({ minimum: 0 }),
  status: Nullable(Type.Integer(), 'HTTP status, or null when no answer arrived.'),
  errorCode: Nullable(Type.String()),
  error: Nullable(Type.String()),
  responseExcerpt: Nullable(Type.String(), 'At most 4 KB of the answer, secrets redacted.'),
  requestId: Nullable(Type.String(), 'X-Request-Id sent with this attempt.'),
})

export const DeliveryDetailView = Type.Object({
  delivery: DeliveryView,
  event: Nullable(EventView, 'Null only once the event was pruned.'),
  attempts: Type.Array(AttemptView, { description: 'Oldest first.' }),
})

export function eventView(e: EventRecord) {
  return { ...e, createdAt: iso(e.createdAt) }
}

export function deliveryView(d: DeliveryRecord) {
  return {
    id: d.id,
    seq: d.seq,
    eventId: d.eventId,
    flowId: d.flowId,
    system: d.system,
    status: d.status,
    attempts: d.attempts,
    nextAt: iso(d.nextAt),
    orderingKey: d.orderingKey,
    lastStatus: d.lastStatus,
    lastErrorCode: d.lastErrorCode,
    lastError: d.lastError,
    deadReason: d.deadReason,
    request: d.request ?? null,
    createdAt: iso(d.createdAt),
    updatedAt: iso(d.updatedAt),
  }
}

export function attemptView(a: AttemptRecord) {
  return {
    attempt: a.attempt,
    startedAt: iso(a.startedAt),
    latencyMs: a.latencyMs,
    status: a.status,
    errorCode: a.errorCode,
    error: a.error,
    responseExcerpt: a.responseExcerpt,
    requestId: a.requestId,
  }
}

export function detailView(d: DeliveryDetail) {
  return { delivery: deliveryView(d.delivery), event: d.event ? eventView(d.event) : null, attempts: d.attempts.map(attemptView) }
}

/** The flows service, or 503 when this node runs none. */
export function flowsOf(deps: AdminDeps): AdminFlows {
  if (deps.flows) return deps.flows
  throw new SwitchboardError('SB_ERR_ADMIN_NOT_READY', 'this node runs no event flows')
}

/** Epoch ms of an ISO 8601 query value (validated as date-time by the route schema). */
export function epochMs(value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const ms = Date.parse(value)
  if (Number.isNaN(ms)) throw new SwitchboardError('SB_ERR_ADMIN_BAD_REQUEST', `${JSON.stringify(value)} is not an ISO 8601 date-time`)
  return ms
}

/** `next` for a page of deliveries: the last seq when the page is full, else null. */
export function nextSeq(rows: readonly DeliveryRecord[], limit: number): number | null {
  const last = rows.at(-1)
  return rows.length === limit && last ? last.seq : null
}

export const DeliveryIdParam = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9-]+$', description: 'Delivery id.' }) })
