/** SQLite: config revisions, numbered without gaps (writes are serialised, so MAX+1 is safe). */
import type { RevisionRecord, RevisionRepo } from '../contract.js'
import { pageLimit, toJson } from '../values.js'
import type { SqliteExec } from './executor.js'

const ADD = `INSERT INTO sb_config_revisions (id, hash, config, source, actor, created_at)
SELECT COALESCE(MAX(id), 0) + 1, ?, ?, ?, ?, ? FROM sb_config_revisions
RETURNING id, created_at`
const LATEST = 'SELECT id, hash, config, source, actor, created_at FROM sb_config_revisions ORDER BY id DESC LIMIT 1'
const GET = 'SELECT id, hash, config, source, actor, created_at FROM sb_config_revisions WHERE id = ?'
const LIST = 'SELECT id, hash, source, actor, created_at FROM sb_config_revisions ORDER BY id DESC LIMIT ?'

interface Row {
  id: number
  hash: string
  config: string
  source: string
  actor: string
  created_at: number
}

function toRecord(r: Row): RevisionRecord {
  return { id: r.id, hash: r.hash, config: JSON.parse(r.config) as unknown, source: r.source, actor: r.actor, createdAt: r.created_at }
}

export class SqliteRevisions implements RevisionRepo {
  constructor(private readonly x: SqliteExec) {}

  add(r: { hash: string; config: unknown; source: string; actor: string }): Promise<RevisionRecord> {
    return this.x.run((conn) => {
      const config = toJson(r.config, 'revision config')
      const row = conn.stmt(ADD).get(r.hash, config, r.source, r.actor, this.x.clock.now()) as { id: number; created_at: number }
      return { id: row.id, hash: r.hash, config: JSON.parse(config) as unknown, source: r.source, actor: r.actor, createdAt: row.created_at }
    })
  }

  latest(): Promise<RevisionRecord | undefined> {
    return this.x.run((conn) => {
      const row = conn.stmt(LATEST).get() as Row | undefined
      return row && toRecord(row)
    })
  }

  get(id: number): Promise<RevisionRecord | undefined> {
    return this.x.run((conn) => {
      if (!Number.isSafeInteger(id)) return undefined
      const row = conn.stmt(GET).get(id) as Row | undefined
      return row && toRecord(row)
    })
  }

  list(limit?: number): Promise<Array<Omit<RevisionRecord, 'config'>>> {
    return this.x.run((conn) => {
      const rows = conn.stmt(LIST).all(pageLimit(limit, 50, 'revisions.list')) as Array<Omit<Row, 'config'>>
      return rows.map((r) => ({ id: r.id, hash: r.hash, source: r.source, actor: r.actor, createdAt: r.created_at }))
    })
  }
}
