/**
 * Rows of the event-flows tables → records, shared by both backends. JSON columns arrive as text
 * from SQLite and already parsed (jsonb) from PostgreSQL; both shapes are accepted.
 */
import type { AttemptRecord, DeadReason, DeliveryRecord, DeliveryStatus, EventRecord, FlowDeliveryStats } from './contract.js'

export interface EventRow {
  id: string
  topic: string
  source_id: string | null
  key: string | null
  body: unknown
  headers: unknown
  request_id: string | null
  traceparent: string | null
  created_at: number | string
}

export interface DeliveryRow {
  seq: number
  id: string
  event_id: string
  flow_id: string
  system: string | null
  status: DeliveryStatus
  attempts: number
  next_at: number
  lease_until: number | null
  ordering_key: string | null
  last_status: number | null
  last_error_code: string | null
  last_error: string | null
  dead_reason: DeadReason | null
  request: unknown
  age_from: number
  created_at: number
  updated_at: number
}

export interface AttemptRow {
  id: number
  delivery_id: string
  attempt: number
  started_at: number
  latency_ms: number
  status: number | null
  error_code: string | null
  error: string | null
  response_excerpt: string | null
  request_id: string | null
}

/** JSON text (SQLite) or an already-parsed value (PostgreSQL jsonb). */
function json(v: unknown): unknown {
  return typeof v === 'string' ? (JSON.parse(v) as unknown) : v
}

export function eventFromRow(r: EventRow): EventRecord {
  return {
    id: r.id,
    topic: r.topic,
    sourceId: r.source_id,
    key: r.key,
    body: json(r.body),
    headers: json(r.headers) as Record<string, string>,
    requestId: r.request_id,
    traceparent: r.traceparent,
    createdAt: Number(r.created_at),
  }
}

export function deliveryFromRow(r: DeliveryRow): DeliveryRecord {
  return {
    id: r.id,
    seq: r.seq,
    eventId: r.event_id,
    flowId: r.flow_id,
    system: r.system,
    status: r.status,
    attempts: r.attempts,
    nextAt: r.next_at,
    leaseUntil: r.lease_until,
    orderingKey: r.ordering_key,
    lastStatus: r.last_status,
    lastErrorCode: r.last_error_code,
    lastError: r.last_error,
    deadReason: r.dead_reason,
    request: r.request === null || r.request === undefined ? null : json(r.request),
    ageFrom: r.age_from,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }
}

export function attemptFromRow(r: AttemptRow): AttemptRecord {
  return {
    id: r.id,
    deliveryId: r.delivery_id,
    attempt: r.attempt,
    startedAt: r.started_at,
    latencyMs: r.latency_ms,
    status: r.status,
    errorCode: r.error_code,
    error: r.error,
    responseExcerpt: r.response_excerpt,
    requestId: r.request_id,
  }
}

/** One (flow, status) group of the per-flow stats query. */
export interface FlowStatsRow {
  flow_id: string
  status: DeliveryStatus
  n: number | string
  oldest: number | string | null
}

/** Folds (flow, status) groups, ordered by flow, into one record per flow. */
export function foldFlowStats(rows: readonly FlowStatsRow[]): FlowDeliveryStats[] {
  const out: FlowDeliveryStats[] = []
  for (const r of rows) {
    let last = out.at(-1)
    if (last?.flowId !== r.flow_id) out.push((last = { flowId: r.flow_id, pending: 0, inFlight: 0, dead: 0, oldestDueAt: null }))
    const n = Number(r.n)
    if (r.status === 'pending') {
      last.pending = n
      last.oldestDueAt = r.oldest === null ? null : Number(r.oldest)
    } else if (r.status === 'in_flight') last.inFlight = n
    else if (r.status === 'dead') last.dead = n
  }
  return out
}
