/** SQLite: API keys, stored by hash. */
import type { ApiKeyRecord, ApiKeyRepo } from '../contract.js'
import { storeNotFound } from '../errors.js'
import { count, lowerBound } from '../values.js'
import type { SqliteExec } from './executor.js'

const COLUMNS = 'id, consumer, prefix, label, created_at, revoked_at, last_used_at'

// Inserting through a SELECT of the live consumer makes "consumer exists" and "insert" one
// statement: no window where a removed consumer gets a new key.
const CREATE = `INSERT INTO sb_api_keys (id, consumer, hash, prefix, label, created_at)
SELECT ?, name, ?, ?, ?, ? FROM sb_consumers WHERE name = ? AND removed_at IS NULL
RETURNING ${COLUMNS}`
const FIND_ACTIVE = `SELECT ${COLUMNS} FROM sb_api_keys WHERE hash = ? AND revoked_at IS NULL`
const LIST_ALL = `SELECT ${COLUMNS} FROM sb_api_keys ORDER BY created_at DESC, id DESC`
const LIST_OF = `SELECT ${COLUMNS} FROM sb_api_keys WHERE consumer = ? ORDER BY created_at DESC, id DESC`
const REVOKE = 'UPDATE sb_api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'
const REVOKED_SINCE = 'SELECT id, revoked_at FROM sb_api_keys WHERE revoked_at >= ? ORDER BY revoked_at, id'
const MARK_USED = 'UPDATE sb_api_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)'

interface Row {
  id: string
  consumer: string
  prefix: string
  label: string | null
  created_at: number
  revoked_at: number | null
  last_used_at: number | null
}

function toRecord(r: Row): ApiKeyRecord {
  return {
    id: r.id,
    consumer: r.consumer,
    prefix: r.prefix,
    label: r.label,
    createdAt: r.created_at,
    revokedAt: r.revoked_at,
    lastUsedAt: r.last_used_at,
  }
}

export class SqliteApiKeys implements ApiKeyRepo {
  constructor(private readonly x: SqliteExec) {}

  create(k: { id: string; consumer: string; hash: string; prefix: string; label?: string | null }): Promise<ApiKeyRecord> {
    return this.x.run((conn) => {
      const row = conn.stmt(CREATE).get(k.id, k.hash, k.prefix, k.label ?? null, this.x.clock.now(), k.consumer) as Row | undefined
      if (!row) throw storeNotFound(`consumer "${k.consumer}" does not exist`)
      return toRecord(row)
    })
  }

  findActiveByHash(hash: string): Promise<ApiKeyRecord | undefined> {
    return this.x.run((conn) => {
      const row = conn.stmt(FIND_ACTIVE).get(hash) as Row | undefined
      return row && toRecord(row)
    })
  }

  list(consumer?: string): Promise<ApiKeyRecord[]> {
    return this.x.run((conn) => {
      const rows = (consumer === undefined ? conn.stmt(LIST_ALL).all() : conn.stmt(LIST_OF).all(consumer)) as Row[]
      return rows.map(toRecord)
    })
  }

  revoke(id: string, at: number): Promise<boolean> {
    return this.x.run((conn) => conn.stmt(REVOKE).run(count(at, 'revoke: at'), id).changes > 0)
  }

  revokedSince(since: number): Promise<Array<{ id: string; revokedAt: number }>> {
    return this.x.run((conn) => {
      const rows = conn.stmt(REVOKED_SINCE).all(lowerBound(since, 'revokedSince: since')) as Array<{ id: string; revoked_at: number }>
      return rows.map((r) => ({ id: r.id, revokedAt: r.revoked_at }))
    })
  }

  markUsed(ids: readonly string[], at: number): Promise<void> {
    return this.x.run((conn) => {
      count(at, 'markUsed: at')
      if (ids.length === 0) return
      const stmt = conn.stmt(MARK_USED)
      conn.atomic(() => {
        for (const id of ids) stmt.run(at, id, at)
      })
    })
  }
}
