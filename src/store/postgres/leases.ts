/** PostgreSQL: named leases, taken or renewed with one conditional upsert. */
import type { LeaseRecord, LeaseRepo } from '../contract.js'
import { leaseUntil } from '../alert-values.js'
import { sql, type PgExec } from './executor.js'

// Inserts a new lease, or takes over one that expired, or renews one this owner holds. Two
// nodes racing serialise on the row lock, and the loser's WHERE is re-checked against the
// winner's row: a live lease of another owner is left alone (rowCount 0). Inside a transaction
// the row stays locked until commit, which is what fences the writes made under the lease.
const ACQUIRE = sql(
  'leases_acquire',
  `INSERT INTO sb_leases AS l (name, owner, until) VALUES ($1, $2, $3)
ON CONFLICT (name) DO UPDATE SET owner = EXCLUDED.owner, until = EXCLUDED.until
WHERE l.owner = EXCLUDED.owner OR l.until <= $4`,
)
const RELEASE = sql('leases_release', 'DELETE FROM sb_leases WHERE name = $1 AND owner = $2')
const GET = sql('leases_get', 'SELECT name, owner, until FROM sb_leases WHERE name = $1')

export class PgLeases implements LeaseRepo {
  constructor(private readonly x: PgExec) {}

  async acquire(name: string, owner: string, ttlMs: number, now: number): Promise<boolean> {
    const until = leaseUntil(name, owner, ttlMs, now)
    return (await this.x.query(ACQUIRE, [name, owner, until, now])).rowCount === 1
  }

  async release(name: string, owner: string): Promise<boolean> {
    return (await this.x.query(RELEASE, [name, owner])).rowCount === 1
  }

  async get(name: string): Promise<LeaseRecord | undefined> {
    return (await this.x.query<LeaseRecord>(GET, [name])).rows[0]
  }
}
