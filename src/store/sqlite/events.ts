/** SQLite: accepted events, deduplicated by (topic, source_id). */
import type { EventQuery, EventRecord, EventRepo, NewEvent } from '../contract.js'
import { eventFromRow, type EventRow } from '../event-rows.js'
import { invalidValue } from '../errors.js'
import { count, pageLimit, toJson } from '../values.js'
import type { SqliteConnection } from './connection.js'
import type { SqliteExec } from './executor.js'

const COLUMNS = 'id, topic, source_id, key, body, headers, request_id, traceparent, created_at'
const INSERT = `INSERT INTO sb_events (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (topic, source_id) DO NOTHING`
const EXISTING = 'SELECT id FROM sb_events WHERE topic = ? AND source_id = ?'
const GET = `SELECT ${COLUMNS} FROM sb_events WHERE id = ?`
const LIST_ALL = `SELECT ${COLUMNS} FROM sb_events WHERE id < ? AND created_at >= ? AND created_at < ? ORDER BY id DESC LIMIT ?`
const LIST_TOPIC = `SELECT ${COLUMNS} FROM sb_events WHERE topic = ? AND id < ? AND created_at >= ? AND created_at < ? ORDER BY id DESC LIMIT ?`
const FORGET = `UPDATE sb_events SET source_id = NULL WHERE rowid IN (
  SELECT rowid FROM sb_events WHERE topic = ? AND created_at < ? AND source_id IS NOT NULL LIMIT ?)`
const PRUNE = `DELETE FROM sb_events WHERE id IN (
  SELECT e.id FROM sb_events e WHERE e.created_at < ?
    AND NOT EXISTS (SELECT 1 FROM sb_deliveries d WHERE d.event_id = e.id AND d.status IN ('pending', 'in_flight', 'dead'))
  ORDER BY e.created_at LIMIT ?)`

export class SqliteEvents implements EventRepo {
  constructor(private readonly x: SqliteExec) {}

  insert(e: NewEvent): Promise<{ id: string; duplicate: boolean }> {
    return this.x.run((conn) => insertOne(conn, e))
  }

  insertMany(es: readonly NewEvent[]): Promise<Array<{ id: string; duplicate: boolean }>> {
    return this.x.run((conn) => conn.atomic(() => es.map((e) => insertOne(conn, e))))
  }

  get(id: string): Promise<EventRecord | undefined> {
    return this.x.run((conn) => {
      const row = conn.stmt(GET).get(id) as EventRow | undefined
      return row && eventFromRow(row)
    })
  }

  list(q: EventQuery = {}): Promise<EventRecord[]> {
    return this.x.run((conn) => {
      const limit = pageLimit(q.limit, 100, 'events.list')
      const range = [q.before ?? '\uffff', q.from ?? 0, q.to ?? Number.MAX_SAFE_INTEGER, limit]
      const rows = (q.topic === undefined ? conn.stmt(LIST_ALL).all(...range) : conn.stmt(LIST_TOPIC).all(q.topic, ...range)) as EventRow[]
      return rows.map(eventFromRow)
    })
  }

  forgetSourceIds(topic: string, before: number, limit: number): Promise<number> {
    return this.x.run((conn) => conn.stmt(FORGET).run(topic, count(before, 'before'), positive(limit)).changes)
  }

  prune(before: number, limit: number): Promise<number> {
    return this.x.run((conn) => conn.stmt(PRUNE).run(count(before, 'before'), positive(limit)).changes)
  }
}

function insertOne(conn: SqliteConnection, e: NewEvent): { id: string; duplicate: boolean } {
  const sourceId = e.sourceId ?? null
  const info = conn
    .stmt(INSERT)
    .run(e.id, e.topic, sourceId, e.key ?? null, toJson(e.body, 'event body'), toJson(e.headers, 'event headers'), e.requestId ?? null, e.traceparent ?? null, count(e.createdAt, 'event createdAt'))
  if (info.changes === 1 || sourceId === null) return { id: e.id, duplicate: false }
  const row = conn.stmt(EXISTING).get(e.topic, sourceId) as { id: string }
  return { id: row.id, duplicate: true }
}

function positive(limit: number): number {
  if (!Number.isSafeInteger(limit) || limit < 1) throw invalidValue(`limit must be an integer ≥ 1, got ${String(limit)}`)
  return limit
}

