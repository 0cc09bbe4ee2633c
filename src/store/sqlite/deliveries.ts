/**
 * SQLite: deliveries, their attempts, and the store bus's queue operations on them. Writes are
 * serialised on the one connection, so a claim is a single UPDATE … WHERE seq IN (SELECT …
 * LIMIT n) RETURNING: no two claims can ever see the same row as free.
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
  NewAttempt,
  NewDelivery,
  SettleBase,
} from '../contract.js'
import { count, pageLimit, toJsonOrNull } from '../values.js'
import type { SqliteConnection } from './connection.js'
import { attemptFromRow, deliveryFromRow, eventFromRow, foldFlowStats, type AttemptRow, type DeliveryRow, type EventRow, type FlowStatsRow } from '../event-rows.js'
import type { SqliteExec } from './executor.js'

const DCOLS = `seq, id, event_id, flow_id, system, status, attempts, next_at, lease_until, ordering_key, last_status,
  last_error_code, last_error, dead_reason, request, age_from, created_at, updated_at`

const ENQUEUE = `INSERT INTO sb_deliveries (id, event_id, flow_id, system, status, attempts, next_at, ordering_key, age_from, created_at, updated_at)
  VALUES (?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?, ?)`

// Due: pending and due, or in flight with an expired lease (next_at holds lease_until then).
// Per-key order: skip a delivery while an earlier one of its (flow, key) is not final.
// INDEXED BY: with a large backlog the planner would otherwise pick the status index and sort
// every pending row on each claim; the due index yields rows already in claim order.
const CLAIM = `UPDATE sb_deliveries
  SET status = 'in_flight', attempts = attempts + 1, lease_owner = @token, lease_until = @until, next_at = @until, updated_at = @now
  WHERE seq IN (
    SELECT d.seq FROM sb_deliveries AS d INDEXED BY sb_deliveries_due
    WHERE d.status IN ('pending', 'in_flight') AND d.next_at <= @now
      AND (d.system IS NULL OR d.system NOT IN (SELECT value FROM json_each(@excluded)))
      AND d.flow_id NOT IN (SELECT value FROM json_each(@excludedFlows))
      AND (d.ordering_key IS NULL OR NOT EXISTS (
        SELECT 1 FROM sb_deliveries p
        WHERE p.flow_id = d.flow_id AND p.ordering_key = d.ordering_key
          AND p.status IN ('pending', 'in_flight') AND p.seq < d.seq))
    ORDER BY d.next_at, d.seq
    LIMIT @limit)
  RETURNING ${DCOLS}`
const EVENTS_OF = `SELECT id, topic, source_id, key, body, headers, request_id, traceparent, created_at
  FROM sb_events WHERE id IN (SELECT value FROM json_each(?))`

const HELD = `WHERE id = ? AND status = 'in_flight' AND lease_owner = ?`
const COMPLETE = `UPDATE sb_deliveries SET status = ?, lease_owner = NULL, lease_until = NULL, last_status = ?,
  last_error_code = NULL, last_error = NULL, request = coalesce(?, request), updated_at = ? ${HELD}`
const RETRY = `UPDATE sb_deliveries SET status = 'pending', next_at = ?, attempts = max(attempts - ?, 0), lease_owner = NULL, lease_until = NULL,
  last_status = coalesce(?, last_status), last_error_code = ?, last_error = ?, request = coalesce(?, request), updated_at = ? ${HELD}`
const KILL = `UPDATE sb_deliveries SET status = 'dead', dead_reason = ?, lease_owner = NULL, lease_until = NULL,
  last_status = coalesce(?, last_status), last_error_code = ?, last_error = ?, request = coalesce(?, request), updated_at = ? ${HELD}`
const ATTEMPT = `INSERT INTO sb_attempts (delivery_id, attempt, started_at, latency_ms, status, error_code, error, response_excerpt, request_id)
  SELECT id, attempts, ?, ?, ?, ?, ?, ?, ? FROM sb_deliveries ${HELD}`
const EXTEND = `UPDATE sb_deliveries SET lease_until = @until, next_at = @until
  WHERE id IN (SELECT value FROM json_each(@ids)) AND status = 'in_flight' AND lease_owner = @token RETURNING id`
const RELEASE = `UPDATE sb_deliveries SET status = 'pending', next_at = @now, attempts = max(attempts - 1, 0), lease_owner = NULL, lease_until = NULL, updated_at = @now
  WHERE id IN (SELECT value FROM json_each(@ids)) AND status = 'in_flight' AND lease_owner = @token`
const GET = `SELECT ${DCOLS} FROM sb_deliveries WHERE id = ?`
// INDEXED BY: left to itself the planner walks the status index over every queued row (a few
// ms per call with a backlog of 20,000, on every idle turn of every worker); the partial due
// index answers min(next_at) from its first entry.
const NEXT_DUE = `SELECT min(next_at) AS at FROM sb_deliveries INDEXED BY sb_deliveries_due WHERE status IN ('pending', 'in_flight')`
const ATTEMPTS = `SELECT id, delivery_id, attempt, started_at, latency_ms, status, error_code, error, response_excerpt, request_id
  FROM sb_attempts WHERE delivery_id = ? ORDER BY id`
const REPLAY = `UPDATE sb_deliveries SET status = 'pending', attempts = 0, next_at = @now, age_from = @now, dead_reason = NULL, updated_at = @now
  WHERE id IN (SELECT value FROM json_each(@ids)) AND status = 'dead' RETURNING id`
const DISCARD = `UPDATE sb_deliveries SET status = 'discarded', updated_at = @now
  WHERE id IN (SELECT value FROM json_each(@ids)) AND status = 'dead' RETURNING id`
const STATS = `SELECT status, count(*) AS n, min(CASE WHEN status = 'pending' AND next_at <= ? THEN next_at END) AS oldest
  FROM sb_deliveries WHERE status IN ('pending', 'in_flight', 'dead') GROUP BY status`
const FLOW_STATS = `SELECT flow_id, status, count(*) AS n, min(CASE WHEN status = 'pending' AND next_at <= ? THEN next_at END) AS oldest
  FROM sb_deliveries WHERE status IN ('pending', 'in_flight', 'dead') GROUP BY flow_id, status ORDER BY flow_id`

export class SqliteDeliveries implements DeliveryRepo {
  constructor(private readonly x: SqliteExec) {}

  enqueue(ds: readonly NewDelivery[]): Promise<void> {
    return this.x.run((conn) => {
      if (ds.length === 0) return
      const stmt = conn.stmt(ENQUEUE)
      conn.atomic(() => {
        for (const d of ds) {
          const at = count(d.createdAt, 'delivery createdAt')
          stmt.run(d.id, d.eventId, d.flowId, d.system, count(d.nextAt, 'delivery nextAt'), d.orderingKey, at, at, at)
        }
      })
    })
  }

  claim(o: ClaimOptions): Promise<ClaimedDelivery[]> {
    return this.x.run((conn) =>
      conn.atomic(() => {
        const limit = pageLimit(o.limit, 1, 'deliveries.claim')
        const leaseUntil = count(o.now, 'now') + count(o.leaseMs, 'leaseMs')
        const rows = conn.stmt(CLAIM).all({ token: o.token, until: leaseUntil, now: o.now, excluded: JSON.stringify(o.excludeSystems ?? []), excludedFlows: JSON.stringify(o.excludeFlows ?? []), limit }) as DeliveryRow[]
        if (rows.length === 0) return []
        const events = new Map(
          (conn.stmt(EVENTS_OF).all(JSON.stringify([...new Set(rows.map((r) => r.event_id))])) as EventRow[]).map((e) => [e.id, eventFromRow(e)]),
        )
        return rows
          .sort((a, b) => a.seq - b.seq)
          .map((r) => ({ delivery: deliveryFromRow(r), event: events.get(r.event_id) as NonNullable<ReturnType<typeof events.get>> }))
      }),
    )
  }

  complete(id: string, o: SettleBase & { status: 'delivered' | 'skipped' }): Promise<boolean> {
    return this.settleOne({ ...o, id, kind: 'complete' })
  }

  retry(id: string, o: SettleBase & { nextAt: number; consumeAttempt: boolean; errorCode: string; error: string }): Promise<boolean> {
    return this.settleOne({ ...o, id, kind: 'retry' })
  }

  kill(id: string, o: SettleBase & { reason: DeadReason; errorCode: string; error: string }): Promise<boolean> {
    return this.settleOne({ ...o, id, kind: 'kill' })
  }

  settle(items: readonly DeliverySettle[]): Promise<boolean[]> {
    return this.x.run((conn) => (items.length === 0 ? [] : conn.atomic(() => items.map((item) => settleHeld(conn, item)))))
  }

  extend(ids: readonly string[], token: string, leaseUntil: number): Promise<string[]> {
    return this.x.run((conn) => (conn.stmt(EXTEND).all({ until: count(leaseUntil, 'leaseUntil'), ids: JSON.stringify(ids), token }) as Array<{ id: string }>).map((r) => r.id))
  }

  release(ids: readonly string[], token: string, now: number): Promise<number> {
    return this.x.run((conn) => conn.stmt(RELEASE).run({ now: count(now, 'now'), ids: JSON.stringify(ids), token }).changes)
  }

  nextDueAt(): Promise<number | null> {
    return this.x.run((conn) => (conn.stmt(NEXT_DUE).get() as { at: number | null }).at)
  }

  get(id: string): Promise<DeliveryRecord | undefined> {
    return this.x.run((conn) => {
      const row = conn.stmt(GET).get(id) as DeliveryRow | undefined
      return row && deliveryFromRow(row)
    })
  }

  attempts(deliveryId: string): Promise<AttemptRecord[]> {
    return this.x.run((conn) => (conn.stmt(ATTEMPTS).all(deliveryId) as AttemptRow[]).map(attemptFromRow))
  }

  list(q: DeliveryQuery = {}): Promise<DeliveryRecord[]> {
    return this.x.run((conn) => {
      const { where, args } = listFilter(q)
      const sql = `SELECT ${DCOLS} FROM sb_deliveries WHERE ${where} ORDER BY seq DESC LIMIT ?`
      return (conn.stmt(sql).all(...args, pageLimit(q.limit, 100, 'deliveries.list')) as DeliveryRow[]).map(deliveryFromRow)
    })
  }

  replay(ids: readonly string[], now: number): Promise<string[]> {
    return this.x.run((conn) => (conn.stmt(REPLAY).all({ now: count(now, 'now'), ids: JSON.stringify(ids) }) as Array<{ id: string }>).map((r) => r.id))
  }

  discard(ids: readonly string[], now: number): Promise<string[]> {
    return this.x.run((conn) => (conn.stmt(DISCARD).all({ now: count(now, 'now'), ids: JSON.stringify(ids) }) as Array<{ id: string }>).map((r) => r.id))
  }

  stats(now: number): Promise<DeliveryStats> {
    return this.x.run((conn) => {
      const out: DeliveryStats = { pending: 0, inFlight: 0, dead: 0, oldestDueAt: null }
      for (const r of conn.stmt(STATS).all(count(now, 'now')) as Array<{ status: DeliveryStatus; n: number; oldest: number | null }>) {
        if (r.status === 'pending') {
          out.pending = r.n
          out.oldestDueAt = r.oldest
        } else if (r.status === 'in_flight') out.inFlight = r.n
        else if (r.status === 'dead') out.dead = r.n
      }
      return out
    })
  }

  flowStats(now: number): Promise<FlowDeliveryStats[]> {
    return this.x.run((conn) => foldFlowStats(conn.stmt(FLOW_STATS).all(count(now, 'now')) as FlowStatsRow[]))
  }

  private async settleOne(item: DeliverySettle): Promise<boolean> {
    return (await this.settle([item]))[0] === true
  }
}

/** Record the attempt (while the lease is still held, so its number is right), then settle. */
function settleHeld(conn: SqliteConnection, s: DeliverySettle): boolean {
  const a: NewAttempt | undefined = s.attempt
  if (a) {
    conn.stmt(ATTEMPT).run(count(a.startedAt, 'attempt startedAt'), Math.max(0, Math.round(a.latencyMs)), a.status, a.errorCode, a.error, a.responseExcerpt, a.requestId, s.id, s.token)
  }
  const request = toJsonOrNull(s.request, 'delivery request')
  const status = a?.status ?? null
  switch (s.kind) {
    case 'complete':
      return conn.stmt(COMPLETE).run(s.status, status, request, s.now, s.id, s.token).changes === 1
    case 'retry':
      return conn.stmt(RETRY).run(count(s.nextAt, 'nextAt'), s.consumeAttempt ? 0 : 1, status, s.errorCode, s.error, request, s.now, s.id, s.token).changes === 1
    case 'kill':
      return conn.stmt(KILL).run(s.reason, status, s.errorCode, s.error, request, s.now, s.id, s.token).changes === 1
  }
}

/** WHERE clause and arguments for a delivery listing (SQL text per filter shape, so prepared once each). */
function listFilter(q: DeliveryQuery): { where: string; args: Array<string | number> } {
  const parts: string[] = []
  const args: Array<string | number> = []
  if (q.status !== undefined) {
    const statuses = typeof q.status === 'string' ? [q.status] : [...q.status]
    parts.push(`status IN (SELECT value FROM json_each(?))`)
    args.push(JSON.stringify(statuses))
  }
  const eq = (column: string, v: string | undefined) => {
    if (v === undefined) return
    parts.push(`${column} = ?`)
    args.push(v)
  }
  eq('flow_id', q.flowId)
  eq('system', q.system)
  eq('last_error_code', q.errorCode)
  eq('event_id', q.eventId)
  if (q.from !== undefined) {
    parts.push('updated_at >= ?')
    args.push(count(q.from, 'from'))
  }
  if (q.to !== undefined) {
    parts.push('updated_at < ?')
    args.push(count(q.to, 'to'))
  }
  parts.push('seq < ?')
  args.push(q.beforeSeq ?? Number.MAX_SAFE_INTEGER)
  return { where: parts.join(' AND '), args }
}
