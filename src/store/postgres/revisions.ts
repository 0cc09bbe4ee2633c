/**
 * PostgreSQL: config revisions, numbered without gaps. A sequence would leave holes on
 * rollback, so `add` locks the table (revisions are rare) and takes MAX + 1.
 */
import type { RevisionRecord, RevisionRepo } from '../contract.js'
import { pageLimit, toJson } from '../values.js'
import { sql, type PgExec } from './executor.js'

const LOCK = sql('revisions_lock', 'LOCK TABLE sb_config_revisions IN SHARE ROW EXCLUSIVE MODE')
const ADD = sql(
  'revisions_add',
  `INSERT INTO sb_config_revisions (id, hash, config, source, actor, created_at)
SELECT COALESCE(MAX(id), 0) + 1, $1, $2::jsonb, $3, $4, $5 FROM sb_config_revisions
RETURNING id, config, created_at`,
)
const LATEST = sql('revisions_latest', 'SELECT id, hash, config, source, actor, created_at FROM sb_config_revisions ORDER BY id DESC LIMIT 1')
const GET = sql('revisions_get', 'SELECT id, hash, config, source, actor, created_at FROM sb_config_revisions WHERE id = $1')
const LIST = sql('revisions_list', 'SELECT id, hash, source, actor, created_at FROM sb_config_revisions ORDER BY id DESC LIMIT $1')

interface Row {
  id: number
  hash: string
  config: unknown
  source: string
  actor: string
  created_at: number
}

function toRecord(r: Row): RevisionRecord {
  return { id: r.id, hash: r.hash, config: r.config, source: r.source, actor: r.actor, createdAt: r.created_at }
}

export class PgRevisions implements RevisionRepo {
  constructor(private readonly x: PgExec) {}

  async add(r: { hash: string; config: unknown; source: string; actor: string }): Promise<RevisionRecord> {
    const config = toJson(r.config, 'revision config')
    return this.x.atomic(async (x) => {
      await x.query(LOCK, [])
      const { rows } = await x.query<{ id: number; config: unknown; created_at: number }>(ADD, [r.hash, config, r.source, r.actor, x.clock.now()])
      const row = rows[0] as { id: number; config: unknown; created_at: number }
      return { id: row.id, hash: r.hash, config: row.config, source: r.source, actor: r.actor, createdAt: row.created_at }
    })
  }

  async latest(): Promise<RevisionRecord | undefined> {
    const { rows } = await this.x.query<Row>(LATEST, [])
    return rows[0] && toRecord(rows[0])
  }

  async get(id: number): Promise<RevisionRecord | undefined> {
    if (!Number.isSafeInteger(id)) return undefined
    const { rows } = await this.x.query<Row>(GET, [id])
    return rows[0] && toRecord(rows[0])
  }

  async list(limit?: number): Promise<Array<Omit<RevisionRecord, 'config'>>> {
    const { rows } = await this.x.query<Omit<Row, 'config'>>(LIST, [pageLimit(limit, 50, 'revisions.list')])
    return rows.map((r) => ({ id: r.id, hash: r.hash, source: r.source, actor: r.actor, createdAt: r.created_at }))
  }
}
