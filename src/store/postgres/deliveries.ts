/**
 * PostgreSQL: deliveries, their attempts, and the store bus's queue operations on them.
 * Claims use `FOR UPDATE SKIP LOCKED`, so any number of workers on any number of nodes claim
 * disjoint rows without waiting on each other. Enqueue, replay and release `pg_notify` the
 * `sb_deliveries` channel in the same statement: listeners wake when the transaction commits.
 * A settle — of one delivery or a whole group-committed batch — is one statement (data-modifying
 * CTEs over unnest()ed arrays), so it is atomic without a transaction and costs one round trip.
 */
import type {
  AttemptRecord,
  ClaimedDelivery,
  ClaimOptions,
  DeadReason,
  DeliveryQuery,
  DeliveryRecord,
  DeliveryRepo,
  DeliverySettle,
  DeliveryStats,
  DeliveryStatus,
  FlowDeliveryStats,
  NewDelivery,
  SettleBase,
} from '../contract.js'
import { count, pageLimit, toJsonOrNull } from '../values.js'
import { attemptFromRow, deliveryFromRow, eventFromRow, foldFlowStats, type AttemptRow, type DeliveryRow, type EventRow, type FlowStatsRow } from '../event-rows.js'
import { sql, type PgExec, type PgQuery } from './executor.js'

/** The NOTIFY channel store-bus listeners wait on (src/bus/store/pg-wake-source.ts). */
const DELIVERIES_CHANNEL = 'sb_deliveries'

const DCOLS = `seq, id, event_id, flow_id, system, status, attempts, next_at, lease_until, ordering_key, last_status,
  last_error_code, last_error, dead_reason, request, age_from, created_at, updated_at`
const ECOLS = 'id, topic, source_id, key, body, headers, request_id, traceparent, created_at'

const ENQUEUE = sql(
  'deliveries_enqueue',
  `WITH ins AS (
  INSERT INTO sb_deliveries (id, event_id, flow_id, system, status, attempts, next_at, ordering_key, age_from, created_at, updated_at)
  SELECT t.id, t.event_id, t.flow_id, t.system, 'pending', 0, t.next_at, t.ordering_key, t.created_at, t.created_at, t.created_at
  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::bigint[])
    WITH ORDINALITY AS t(id, event_id, flow_id, system, next_at, ordering_key, created_at, ord)
  ORDER BY t.ord
  RETURNING 1)
SELECT pg_notify('${DELIVERIES_CHANNEL}', '') FROM (SELECT count(*) FROM ins) AS c`,
)

const CLAIM = sql(
  'deliveries_claim',
  `WITH c AS (
  SELECT d.seq FROM sb_deliveries d
  WHERE d.status IN ('pending', 'in_flight') AND d.next_at <= $3
    AND (d.system IS NULL OR NOT (d.system = ANY ($4::text[])))
    AND NOT (d.flow_id = ANY ($6::text[]))
    AND (d.ordering_key IS NULL OR NOT EXISTS (
      SELECT 1 FROM sb_deliveries p
      WHERE p.flow_id = d.flow_id AND p.ordering_key = d.ordering_key
        AND p.status IN ('pending', 'in_flight') AND p.seq < d.seq))
  ORDER BY d.next_at, d.seq
  LIMIT $5
  FOR UPDATE SKIP LOCKED
), u AS (
  UPDATE sb_deliveries d
  SET status = 'in_flight', attempts = d.attempts + 1, lease_owner = $1, lease_until = $2, next_at = $2, updated_at = $3
  FROM c WHERE d.seq = c.seq
  RETURNING d.*
)
SELECT ${DCOLS.replace(/(\w+)/g, 'u.$1')}, row_to_json(e) AS event
FROM u JOIN (SELECT ${ECOLS} FROM sb_events) e ON e.id = u.event_id
ORDER BY u.seq`,
)

// Settle a batch in one statement: update each delivery while its lease is held, record its
// attempt with the number it had (the claim's count, whatever the update gave back), and
// report which (delivery, token) updates happened. `complete` items carry no error (clearing
// the last one).
const SETTLE = sql(
  'deliveries_settle',
  `WITH t AS (
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::int[], $7::bigint[], $8::text[], $9::text[], $10::text[],
    $11::int[], $12::bigint[], $13::int[], $14::text[], $15::text[], $16::text[], $17::text[])
    AS t(id, token, status, now, request, give_back, next_at, error_code, error, dead_reason,
      a_status, a_started_at, a_latency_ms, a_error_code, a_error, a_excerpt, a_request_id)
), d AS (
  UPDATE sb_deliveries x SET status = t.status, next_at = coalesce(t.next_at, x.next_at), attempts = greatest(x.attempts - t.give_back, 0),
    last_error_code = t.error_code, last_error = t.error, dead_reason = coalesce(t.dead_reason, x.dead_reason),
    lease_owner = NULL, lease_until = NULL, updated_at = t.now, request = coalesce(t.request::jsonb, x.request), last_status = coalesce(t.a_status, x.last_status)
  FROM t WHERE x.id = t.id AND x.status = 'in_flight' AND x.lease_owner = t.token
  RETURNING x.id, t.token, x.attempts + t.give_back AS attempt
), a AS (
  INSERT INTO sb_attempts (delivery_id, attempt, started_at, latency_ms, status, error_code, error, response_excerpt, request_id)
  SELECT d.id, d.attempt, t.a_started_at, t.a_latency_ms, t.a_status, t.a_error_code, t.a_error, t.a_excerpt, t.a_request_id
  FROM d JOIN t ON t.id = d.id AND t.token = d.token WHERE t.a_started_at IS NOT NULL
  RETURNING 1
)
SELECT id, token FROM d`,
)
const SETTLE_COLUMNS = 17

const EXTEND = sql(
  'deliveries_extend',
  `UPDATE sb_deliveries SET lease_until = $1, next_at = $1
WHERE id = ANY ($2::text[]) AND status = 'in_flight' AND lease_owner = $3 RETURNING id`,
)
const RELEASE = sql(
  'deliveries_release',
  `WITH r AS (
  UPDATE sb_deliveries SET status = 'pending', next_at = $1, attempts = greatest(attempts - 1, 0), lease_owner = NULL, lease_until = NULL, updated_at = $1
  WHERE id = ANY ($2::text[]) AND status = 'in_flight' AND lease_owner = $3 RETURNING 1)
SELECT count(*)::int AS n, pg_notify('${DELIVERIES_CHANNEL}', '') FROM r`,
)
const GET = sql('deliveries_get', `SELECT ${DCOLS} FROM sb_deliveries WHERE id = $1`)
const NEXT_DUE = sql('deliveries_next_due', `SELECT min(next_at) AS at FROM sb_deliveries WHERE status IN ('pending', 'in_flight')`)
const ATTEMPTS = sql(
  'deliveries_attempts',
  `SELECT id, delivery_id, attempt, started_at, latency_ms, status, error_code, error, response_excerpt, request_id
FROM sb_attempts WHERE delivery_id = $1 ORDER BY id`,
)
const REPLAY = sql(
  'deliveries_replay',
  `WITH r AS (
  UPDATE sb_deliveries SET status = 'pending', attempts = 0, next_at = $1, age_from = $1, dead_reason = NULL, updated_at = $1
  WHERE id = ANY ($2::text[]) AND status = 'dead' RETURNING id),
n AS (SELECT pg_notify('${DELIVERIES_CHANNEL}', '') WHERE EXISTS (SELECT 1 FROM r))
SELECT r.id FROM r LEFT JOIN n ON true`,
)
const DISCARD = sql(
  'deliveries_discard',
  `UPDATE sb_deliveries SET status = 'discarded', updated_at = $1 WHERE id = ANY ($2::text[]) AND status = 'dead' RETURNING id`,
)
const STATS = sql(
  'deliveries_stats',
  `SELECT status, count(*)::int AS n, min(CASE WHEN status = 'pending' AND next_at <= $1 THEN next_at END) AS oldest
FROM sb_deliveries WHERE status IN ('pending', 'in_flight', 'dead') GROUP BY status`,
)

const FLOW_STATS = sql(
  'deliveries_flow_stats',
  `SELECT flow_id, status, count(*)::int AS n, min(CASE WHEN status = 'pending' AND next_at <= $1 THEN next_at END) AS oldest
FROM sb_deliveries WHERE status IN ('pending', 'in_flight', 'dead') GROUP BY flow_id, status ORDER BY flow_id`,
)

/** Listing statements by filter shape, named and prepared once each. */
const listStatements = new Map<string, PgQuery>()

export class PgDeliveries implements DeliveryRepo {
  constructor(private readonly x: PgExec) {}

  async enqueue(ds: readonly NewDelivery[]): Promise<void> {
    if (ds.length === 0) return
    const cols: unknown[][] = [[], [], [], [], [], [], []]
    for (const d of ds) {
      const row = [d.id, d.eventId, d.flowId, d.system, count(d.nextAt, 'delivery nextAt'), d.orderingKey, count(d.createdAt, 'delivery createdAt')]
      row.forEach((v, i) => (cols[i] as unknown[]).push(v))
    }
    await this.x.query(ENQUEUE, cols)
  }

  async claim(o: ClaimOptions): Promise<ClaimedDelivery[]> {
    const limit = pageLimit(o.limit, 1, 'deliveries.claim')
    const leaseUntil = count(o.now, 'now') + count(o.leaseMs, 'leaseMs')
    const { rows } = await this.x.query<DeliveryRow & { event: EventRow }>(CLAIM, [o.token, leaseUntil, o.now, [...(o.excludeSystems ?? [])], limit, [...(o.excludeFlows ?? [])]])
    return rows.map((r) => ({ delivery: deliveryFromRow(r), event: eventFromRow(r.event) }))
  }

  async complete(id: string, o: SettleBase & { status: 'delivered' | 'skipped' }): Promise<boolean> {
    return (await this.settle([{ ...o, id, kind: 'complete' }]))[0] === true
  }

  async retry(id: string, o: SettleBase & { nextAt: number; consumeAttempt: boolean; errorCode: string; error: string }): Promise<boolean> {
    return (await this.settle([{ ...o, id, kind: 'retry' }]))[0] === true
  }

  async kill(id: string, o: SettleBase & { reason: DeadReason; errorCode: string; error: string }): Promise<boolean> {
    return (await this.settle([{ ...o, id, kind: 'kill' }]))[0] === true
  }

  async settle(items: readonly DeliverySettle[]): Promise<boolean[]> {
    if (items.length === 0) return []
    const cols: unknown[][] = Array.from({ length: SETTLE_COLUMNS }, () => [])
    for (const s of items) {
      const a = s.attempt
      const row = [
        s.id,
        s.token,
        s.kind === 'complete' ? s.status : s.kind === 'retry' ? 'pending' : 'dead',
        count(s.now, 'now'),
        toJsonOrNull(s.request, 'delivery request'),
        s.kind === 'retry' && !s.consumeAttempt ? 1 : 0,
        s.kind === 'retry' ? count(s.nextAt, 'nextAt') : null,
        s.kind === 'complete' ? null : s.errorCode,
        s.kind === 'complete' ? null : s.error,
        s.kind === 'kill' ? s.reason : null,
        a?.status ?? null,
        a ? count(a.startedAt, 'attempt startedAt') : null,
        a ? Math.max(0, Math.round(a.latencyMs)) : null,
        a?.errorCode ?? null,
        a?.error ?? null,
        a?.responseExcerpt ?? null,
        a?.requestId ?? null,
      ]
      row.forEach((v, i) => (cols[i] as unknown[]).push(v))
    }
    // By id and token: a batch may hold a delivery settled by a lost claim and by its new holder.
    const held = new Set((await this.x.query<{ id: string; token: string }>(SETTLE, cols)).rows.map((r) => `${r.id}\u0000${r.token}`))
    return items.map((s) => held.has(`${s.id}\u0000${s.token}`))
  }

  async extend(ids: readonly string[], token: string, leaseUntil: number): Promise<string[]> {
    if (ids.length === 0) return []
    return (await this.x.query<{ id: string }>(EXTEND, [count(leaseUntil, 'leaseUntil'), [...ids], token])).rows.map((r) => r.id)
  }

  async release(ids: readonly string[], token: string, now: number): Promise<number> {
    if (ids.length === 0) return 0
    return (await this.x.query<{ n: number }>(RELEASE, [count(now, 'now'), [...ids], token])).rows[0]?.n ?? 0
  }

  async nextDueAt(): Promise<number | null> {
    return (await this.x.query<{ at: number | null }>(NEXT_DUE, [])).rows[0]?.at ?? null
  }

  async get(id: string): Promise<DeliveryRecord | undefined> {
    const row = (await this.x.query<DeliveryRow>(GET, [id])).rows[0]
    return row && deliveryFromRow(row)
  }

  async attempts(deliveryId: string): Promise<AttemptRecord[]> {
    return (await this.x.query<AttemptRow>(ATTEMPTS, [deliveryId])).rows.map(attemptFromRow)
  }

  async list(q: DeliveryQuery = {}): Promise<DeliveryRecord[]> {
    const { where, values } = listFilter(q)
    values.push(pageLimit(q.limit, 100, 'deliveries.list'))
    const text = `SELECT ${DCOLS} FROM sb_deliveries WHERE ${where} ORDER BY seq DESC LIMIT $${values.length}`
    let stmt = listStatements.get(text)
    if (stmt === undefined) {
      stmt = sql(`deliveries_list_${listStatements.size}`, text)
      listStatements.set(text, stmt)
    }
    return (await this.x.query<DeliveryRow>(stmt, values)).rows.map(deliveryFromRow)
  }

  async replay(ids: readonly string[], now: number): Promise<string[]> {
    if (ids.length === 0) return []
    return (await this.x.query<{ id: string }>(REPLAY, [count(now, 'now'), [...ids]])).rows.map((r) => r.id)
  }

  async discard(ids: readonly string[], now: number): Promise<string[]> {
    if (ids.length === 0) return []
    return (await this.x.query<{ id: string }>(DISCARD, [count(now, 'now'), [...ids]])).rows.map((r) => r.id)
  }

  async stats(now: number): Promise<DeliveryStats> {
    const out: DeliveryStats = { pending: 0, inFlight: 0, dead: 0, oldestDueAt: null }
    for (const r of (await this.x.query<{ status: DeliveryStatus; n: number; oldest: number | null }>(STATS, [count(now, 'now')])).rows) {
      if (r.status === 'pending') {
        out.pending = r.n
        out.oldestDueAt = r.oldest
      } else if (r.status === 'in_flight') out.inFlight = r.n
      else if (r.status === 'dead') out.dead = r.n
    }
    return out
  }

  async flowStats(now: number): Promise<FlowDeliveryStats[]> {
    return foldFlowStats((await this.x.query<FlowStatsRow>(FLOW_STATS, [count(now, 'now')])).rows)
  }
}

function listFilter(q: DeliveryQuery): { where: string; values: unknown[] } {
  const parts: string[] = []
  const values: unknown[] = []
  const add = (clause: (n: string) => string, v: unknown) => {
    values.push(v)
    parts.push(clause(`$${values.length}`))
  }
  if (q.status !== undefined) add((n) => `status = ANY (${n}::text[])`, typeof q.status === 'string' ? [q.status] : [...q.status])
  if (q.flowId !== undefined) add((n) => `flow_id = ${n}`, q.flowId)
  if (q.system !== undefined) add((n) => `system = ${n}`, q.system)
  if (q.errorCode !== undefined) add((n) => `last_error_code = ${n}`, q.errorCode)
  if (q.eventId !== undefined) add((n) => `event_id = ${n}`, q.eventId)
  if (q.from !== undefined) add((n) => `updated_at >= ${n}`, count(q.from, 'from'))
  if (q.to !== undefined) add((n) => `updated_at < ${n}`, count(q.to, 'to'))
  add((n) => `seq < ${n}`, q.beforeSeq ?? Number.MAX_SAFE_INTEGER)
  return { where: parts.join(' AND '), values }
}
