/** SQLite: quota counters, consumed with one conditional upsert. */
import type { QuotaRepo } from '../contract.js'
import { count } from '../values.js'
import type { SqliteExec } from './executor.js'

// Inserts the first use or adds to the counter, in both cases only when the result stays within
// the limit; no row comes back when the call is refused. (The WHERE on the SELECT also keeps
// SQLite's parser from reading ON CONFLICT as a join constraint.)
const CONSUME = `INSERT INTO sb_quota_counters (subject, period, used)
SELECT ?, ?, ? WHERE ? <= ?
ON CONFLICT (subject, period) DO UPDATE SET used = used + excluded.used
WHERE used + excluded.used <= ?
RETURNING used`
const USED = 'SELECT used FROM sb_quota_counters WHERE subject = ? AND period = ?'

export class SqliteQuotas implements QuotaRepo {
  constructor(private readonly x: SqliteExec) {}

  consume(subject: string, period: string, amount: number, limit: number): Promise<{ allowed: boolean; used: number }> {
    return this.x.run((conn) => {
      count(amount, 'quota amount')
      count(limit, 'quota limit')
      const row = conn.stmt(CONSUME).get(subject, period, amount, amount, limit, limit) as { used: number } | undefined
      if (row) return { allowed: true, used: row.used }
      const cur = conn.stmt(USED).get(subject, period) as { used: number } | undefined
      return { allowed: false, used: cur?.used ?? 0 }
    })
  }

  used(subject: string, period: string): Promise<number> {
    return this.x.run((conn) => (conn.stmt(USED).get(subject, period) as { used: number } | undefined)?.used ?? 0)
  }
}
