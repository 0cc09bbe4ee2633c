/** PostgreSQL: consumers. Removal is a tombstone so revoked keys keep a valid parent row. */
import type { ConsumerRecord, ConsumerRepo } from '../contract.js'
import { sql, type PgExec } from './executor.js'

const COLUMNS = 'name, source, scopes, created_at, updated_at'

const UPSERT = sql(
  'consumers_upsert',
  `INSERT INTO sb_consumers AS c (name, source, scopes, created_at, updated_at, removed_at)
VALUES ($1, $2, $3::text[], $4, $4, NULL)
ON CONFLICT (name) DO UPDATE SET
  source = EXCLUDED.source,
  scopes = EXCLUDED.scopes,
  updated_at = EXCLUDED.updated_at,
  created_at = CASE WHEN c.removed_at IS NULL THEN c.created_at ELSE EXCLUDED.created_at END,
  removed_at = NULL
RETURNING ${COLUMNS}`,
)
const GET = sql('consumers_get', `SELECT ${COLUMNS} FROM sb_consumers WHERE name = $1 AND removed_at IS NULL`)
const LIST = sql('consumers_list', `SELECT ${COLUMNS} FROM sb_consumers WHERE removed_at IS NULL ORDER BY name`)
const TOMBSTONE = sql('consumers_tombstone', 'UPDATE sb_consumers SET removed_at = $1, updated_at = $1 WHERE name = $2 AND removed_at IS NULL')
const REVOKE_KEYS = sql('consumers_revoke_keys', 'UPDATE sb_api_keys SET revoked_at = $1 WHERE consumer = $2 AND revoked_at IS NULL')

interface Row {
  name: string
  source: 'config' | 'api'
  scopes: string[]
  created_at: number
  updated_at: number
}

function toRecord(r: Row): ConsumerRecord {
  return { name: r.name, source: r.source, scopes: r.scopes, createdAt: r.created_at, updatedAt: r.updated_at }
}

export class PgConsumers implements ConsumerRepo {
  constructor(private readonly x: PgExec) {}

  async upsert(c: { name: string; source: 'config' | 'api'; scopes: string[] }): Promise<ConsumerRecord> {
    const { rows } = await this.x.query<Row>(UPSERT, [c.name, c.source, c.scopes, this.x.clock.now()])
    return toRecord(rows[0] as Row)
  }

  async get(name: string): Promise<ConsumerRecord | undefined> {
    const { rows } = await this.x.query<Row>(GET, [name])
    return rows[0] && toRecord(rows[0])
  }

  async list(): Promise<ConsumerRecord[]> {
    return (await this.x.query<Row>(LIST, [])).rows.map(toRecord)
  }

  remove(name: string): Promise<boolean> {
    return this.x.atomic(async (x) => {
      const now = x.clock.now()
      // Marking the consumer first takes its row lock, so a concurrent apiKeys.create (which
      // reads the consumer FOR SHARE) either commits before and is revoked here, or waits and
      // then sees the consumer gone.
      if ((await x.query(TOMBSTONE, [now, name])).rowCount === 0) return false
      await x.query(REVOKE_KEYS, [now, name])
      return true
    })
  }
}
