/** PostgreSQL: API keys, stored by hash. */
import type { ApiKeyRecord, ApiKeyRepo } from '../contract.js'
import { storeNotFound } from '../errors.js'
import { count, lowerBound } from '../values.js'
import { sql, type PgExec } from './executor.js'

const COLUMNS = 'id, consumer, prefix, label, created_at, revoked_at, last_used_at'

// The live consumer is read FOR SHARE in the same statement: a concurrent consumers.remove
// either finishes first (then no row, NOT_FOUND) or waits for this insert (then revokes it).
const CREATE = sql(
  'keys_create',
  `INSERT INTO sb_api_keys (id, consumer, hash, prefix, label, created_at)
SELECT $1::text, name, $3::text, $4::text, $5::text, $6::bigint FROM sb_consumers WHERE name = $2 AND removed_at IS NULL FOR SHARE
RETURNING ${COLUMNS}`,
)
const FIND_ACTIVE = sql('keys_find_active', `SELECT ${COLUMNS} FROM sb_api_keys WHERE hash = $1 AND revoked_at IS NULL`)
const LIST_ALL = sql('keys_list_all', `SELECT ${COLUMNS} FROM sb_api_keys ORDER BY created_at DESC, id DESC`)
const LIST_OF = sql('keys_list_of', `SELECT ${COLUMNS} FROM sb_api_keys WHERE consumer = $1 ORDER BY created_at DESC, id DESC`)
const REVOKE = sql('keys_revoke', 'UPDATE sb_api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL')
const REVOKED_SINCE = sql('keys_revoked_since', 'SELECT id, revoked_at FROM sb_api_keys WHERE revoked_at >= $1 ORDER BY revoked_at, id')
const MARK_USED = sql(
  'keys_mark_used',
  'UPDATE sb_api_keys SET last_used_at = $1 WHERE id = ANY($2::text[]) AND (last_used_at IS NULL OR last_used_at < $1)',
)

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

export class PgApiKeys implements ApiKeyRepo {
  constructor(private readonly x: PgExec) {}

  async create(k: { id: string; consumer: string; hash: string; prefix: string; label?: string | null }): Promise<ApiKeyRecord> {
    const { rows } = await this.x.query<Row>(CREATE, [k.id, k.consumer, k.hash, k.prefix, k.label ?? null, this.x.clock.now()])
    if (!rows[0]) throw storeNotFound(`consumer "${k.consumer}" does not exist`)
    return toRecord(rows[0])
  }

  async findActiveByHash(hash: string): Promise<ApiKeyRecord | undefined> {
    const { rows } = await this.x.query<Row>(FIND_ACTIVE, [hash])
    return rows[0] && toRecord(rows[0])
  }

  async list(consumer?: string): Promise<ApiKeyRecord[]> {
    const res = consumer === undefined ? await this.x.query<Row>(LIST_ALL, []) : await this.x.query<Row>(LIST_OF, [consumer])
    return res.rows.map(toRecord)
  }

  async revoke(id: string, at: number): Promise<boolean> {
    return (await this.x.query(REVOKE, [count(at, 'revoke: at'), id])).rowCount > 0
  }

  async revokedSince(since: number): Promise<Array<{ id: string; revokedAt: number }>> {
    const { rows } = await this.x.query<{ id: string; revoked_at: number }>(REVOKED_SINCE, [lowerBound(since, 'revokedSince: since')])
    return rows.map((r) => ({ id: r.id, revokedAt: r.revoked_at }))
  }

  async markUsed(ids: readonly string[], at: number): Promise<void> {
    count(at, 'markUsed: at')
    if (ids.length > 0) await this.x.query(MARK_USED, [at, ids])
  }
}
