/** SQLite: consumers. Removal is a tombstone so revoked keys keep a valid parent row. */
import type { ConsumerRecord, ConsumerRepo } from '../contract.js'
import { toJson } from '../values.js'
import type { SqliteExec } from './executor.js'

const COLUMNS = 'name, source, scopes, created_at, updated_at'

const UPSERT = `INSERT INTO sb_consumers (name, source, scopes, created_at, updated_at, removed_at)
VALUES (?, ?, ?, ?, ?, NULL)
ON CONFLICT (name) DO UPDATE SET
  source = excluded.source,
  scopes = excluded.scopes,
  updated_at = excluded.updated_at,
  created_at = CASE WHEN sb_consumers.removed_at IS NULL THEN sb_consumers.created_at ELSE excluded.created_at END,
  removed_at = NULL
RETURNING ${COLUMNS}`
const GET = `SELECT ${COLUMNS} FROM sb_consumers WHERE name = ? AND removed_at IS NULL`
const LIST = `SELECT ${COLUMNS} FROM sb_consumers WHERE removed_at IS NULL ORDER BY name`
const TOMBSTONE = 'UPDATE sb_consumers SET removed_at = ?, updated_at = ? WHERE name = ? AND removed_at IS NULL'
const REVOKE_KEYS = 'UPDATE sb_api_keys SET revoked_at = ? WHERE consumer = ? AND revoked_at IS NULL'

interface Row {
  name: string
  source: 'config' | 'api'
  scopes: string
  created_at: number
  updated_at: number
}

function toRecord(r: Row): ConsumerRecord {
  return { name: r.name, source: r.source, scopes: JSON.parse(r.scopes) as string[], createdAt: r.created_at, updatedAt: r.updated_at }
}

export class SqliteConsumers implements ConsumerRepo {
  constructor(private readonly x: SqliteExec) {}

  upsert(c: { name: string; source: 'config' | 'api'; scopes: string[] }): Promise<ConsumerRecord> {
    return this.x.run((conn) => {
      const now = this.x.clock.now()
      return toRecord(conn.stmt(UPSERT).get(c.name, c.source, toJson(c.scopes, 'consumer scopes'), now, now) as Row)
    })
  }

  get(name: string): Promise<ConsumerRecord | undefined> {
    return this.x.run((conn) => {
      const row = conn.stmt(GET).get(name) as Row | undefined
      return row && toRecord(row)
    })
  }

  list(): Promise<ConsumerRecord[]> {
    return this.x.run((conn) => (conn.stmt(LIST).all() as Row[]).map(toRecord))
  }

  remove(name: string): Promise<boolean> {
    return this.x.run((conn) =>
      conn.atomic(() => {
        const now = this.x.clock.now()
        if (conn.stmt(TOMBSTONE).run(now, now, name).changes === 0) return false
        conn.stmt(REVOKE_KEYS).run(now, name)
        return true
      }),
    )
  }
}
