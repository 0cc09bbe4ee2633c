/** SQLite: named leases, taken or renewed with one conditional upsert. */
import type { LeaseRecord, LeaseRepo } from '../contract.js'
import { leaseUntil } from '../alert-values.js'
import type { SqliteExec } from './executor.js'

// Inserts a new lease, or takes over one that expired, or renews one this owner holds; the
// WHERE leaves a live lease of another owner alone (no change, no row returned).
const ACQUIRE = `INSERT INTO sb_leases (name, owner, until) VALUES (?, ?, ?)
ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, until = excluded.until
WHERE sb_leases.owner = excluded.owner OR sb_leases.until <= ?`
const RELEASE = 'DELETE FROM sb_leases WHERE name = ? AND owner = ?'
const GET = 'SELECT name, owner, until FROM sb_leases WHERE name = ?'

export class SqliteLeases implements LeaseRepo {
  constructor(private readonly x: SqliteExec) {}

  acquire(name: string, owner: string, ttlMs: number, now: number): Promise<boolean> {
    return this.x.run((conn) => conn.stmt(ACQUIRE).run(name, owner, leaseUntil(name, owner, ttlMs, now), now).changes === 1)
  }

  release(name: string, owner: string): Promise<boolean> {
    return this.x.run((conn) => conn.stmt(RELEASE).run(name, owner).changes === 1)
  }

  get(name: string): Promise<LeaseRecord | undefined> {
    return this.x.run((conn) => conn.stmt(GET).get(name) as LeaseRecord | undefined)
  }
}
