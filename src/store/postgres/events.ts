/**
 * PostgreSQL: accepted events, deduplicated by (topic, source_id). A batch is one multi-row
 * INSERT … ON CONFLICT DO NOTHING (one round trip for a whole group commit); a concurrent
 * transaction inserting the same source id waits on the unique index and then does nothing.
 */
import type { EventQuery, EventRecord, EventRepo, NewEvent } from '../contract.js'
import { invalidValue } from '../errors.js'
import { count, pageLimit, toJson } from '../values.js'
import { eventFromRow, type EventRow } from '../event-rows.js'
import { sql, type PgExec } from './executor.js'

const COLUMNS = 'id, topic, source_id, key, body, headers, request_id, traceparent, created_at'
const INSERT_MANY = sql(
  'events_insert_many',
  `INSERT INTO sb_events (${COLUMNS})
SELECT t.id, t.topic, t.source_id, t.key, t.body::jsonb, t.headers::jsonb, t.request_id, t.traceparent, t.created_at
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bigint[])
  WITH ORDINALITY AS t(id, topic, source_id, key, body, headers, request_id, traceparent, created_at, ord)
ORDER BY t.ord
ON CONFLICT (topic, source_id) DO NOTHING
RETURNING id`,
)
const EXISTING = sql(
  'events_existing',
  `SELECT e.id, e.topic, e.source_id FROM sb_events e
JOIN unnest($1::text[], $2::text[]) AS t(topic, source_id) ON e.topic = t.topic AND e.source_id = t.source_id`,
)
const GET = sql('events_get', `SELECT ${COLUMNS} FROM sb_events WHERE id = $1`)
const LIST = sql(
  'events_list',
  `SELECT ${COLUMNS} FROM sb_events
WHERE ($1::text IS NULL OR topic = $1) AND id < $2 AND created_at >= $3 AND created_at < $4
ORDER BY id DESC LIMIT $5`,
)
const FORGET = sql(
  'events_forget',
  `UPDATE sb_events SET source_id = NULL WHERE id IN (
  SELECT id FROM sb_events WHERE topic = $1 AND created_at < $2 AND source_id IS NOT NULL LIMIT $3)`,
)
const PRUNE = sql(
  'events_prune',
  `DELETE FROM sb_events WHERE id IN (
  SELECT e.id FROM sb_events e WHERE e.created_at < $1
    AND NOT EXISTS (SELECT 1 FROM sb_deliveries d WHERE d.event_id = e.id AND d.status IN ('pending', 'in_flight', 'dead'))
  ORDER BY e.created_at LIMIT $2)`,
)

export class PgEvents implements EventRepo {
  constructor(private readonly x: PgExec) {}

  async insert(e: NewEvent): Promise<{ id: string; duplicate: boolean }> {
    return (await this.insertMany([e]))[0] as { id: string; duplicate: boolean }
  }

  async insertMany(es: readonly NewEvent[]): Promise<Array<{ id: string; duplicate: boolean }>> {
    if (es.length === 0) return []
    const cols: unknown[][] = [[], [], [], [], [], [], [], [], []]
    for (const e of es) {
      const row = [e.id, e.topic, e.sourceId ?? null, e.key ?? null, toJson(e.body, 'event body'), toJson(e.headers, 'event headers'), e.requestId ?? null, e.traceparent ?? null, count(e.createdAt, 'event createdAt')]
      row.forEach((v, i) => (cols[i] as unknown[]).push(v))
    }
    const inserted = new Set((await this.x.query<{ id: string }>(INSERT_MANY, cols)).rows.map((r) => r.id))
    const missing = es.filter((e) => !inserted.has(e.id))
    const existing = new Map<string, string>()
    if (missing.length > 0) {
      const { rows } = await this.x.query<{ id: string; topic: string; source_id: string }>(EXISTING, [missing.map((e) => e.topic), missing.map((e) => e.sourceId ?? null)])
      for (const r of rows) existing.set(`${r.topic}\u0000${r.source_id}`, r.id)
    }
    return es.map((e) => {
      if (inserted.has(e.id)) return { id: e.id, duplicate: false }
      const id = existing.get(`${e.topic}\u0000${e.sourceId ?? ''}`)
      // Not inserted and no row with its source id: only possible if the row vanished in between.
      if (id === undefined) throw invalidValue(`event ${e.id} was neither inserted nor found as a duplicate`)
      return { id, duplicate: true }
    })
  }

  async get(id: string): Promise<EventRecord | undefined> {
    const row = (await this.x.query<EventRow>(GET, [id])).rows[0]
    return row && eventFromRow(row)
  }

  async list(q: EventQuery = {}): Promise<EventRecord[]> {
    const limit = pageLimit(q.limit, 100, 'events.list')
    const values = [q.topic ?? null, q.before ?? '\uffff', q.from ?? 0, q.to ?? Number.MAX_SAFE_INTEGER, limit]
    return (await this.x.query<EventRow>(LIST, values)).rows.map(eventFromRow)
  }

  async forgetSourceIds(topic: string, before: number, limit: number): Promise<number> {
    return (await this.x.query(FORGET, [topic, count(before, 'before'), positive(limit)])).rowCount
  }

  async prune(before: number, limit: number): Promise<number> {
    return (await this.x.query(PRUNE, [count(before, 'before'), positive(limit)])).rowCount
  }
}

function positive(limit: number): number {
  if (!Number.isSafeInteger(limit) || limit < 1) throw invalidValue(`limit must be an integer ≥ 1, got ${String(limit)}`)
  return limit
}
