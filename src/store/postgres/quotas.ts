/** PostgreSQL: quota counters, consumed with one conditional upsert (row lock serialises callers). */
import type { QuotaRepo } from '../contract.js'
import { count } from '../values.js'
import { sql, type PgExec } from './executor.js'

// Inserts the first use or adds to the counter, in both cases only when the result stays within
// the limit; no row comes back when the call is refused. Concurrent callers queue on the row
// lock and re-check the WHERE against the committed count.
const CONSUME = sql(
  'quotas_consume',
  `INSERT INTO sb_quota_counters AS q (subject, period, used)
SELECT $1::text, $2::text, $3::bigint WHERE $3::bigint <= $4::bigint
ON CONFLICT (subject, period) DO UPDATE SET used = q.used + EXCLUDED.used
WHERE q.used + EXCLUDED.used <= $4::bigint
RETURNING used`,
)
const USED = sql('quotas_used', 'SELECT used FROM sb_quota_counters WHERE subject = $1 AND period = $2')

export class PgQuotas implements QuotaRepo {
  constructor(private readonly x: PgExec) {}

  async consume(subject: string, period: string, amount: number, limit: number): Promise<{ allowed: boolean; used: number }> {
    const values = [subject, period, count(amount, 'quota amount'), count(limit, 'quota limit')]
    const row = (await this.x.query<{ used: number }>(CONSUME, values)).rows[0]
    if (row) return { allowed: true, used: row.used }
    return { allowed: false, used: await this.used(subject, period) }
  }

  async used(subject: string, period: string): Promise<number> {
    return (await this.x.query<{ used: number }>(USED, [subject, period])).rows[0]?.used ?? 0
  }
}
