/**
 * PostgreSQL migrations: one transaction that first takes a transaction-scoped advisory lock,
 * so processes migrating the same database at once run one after the other; the later ones
 * find the ledger up to date. The lock is released by COMMIT/ROLLBACK, even if the process dies.
 */
import type pg from 'pg'
import type { MigrationReport } from '../contract.js'
import { migrationFailed } from '../errors.js'
import { checksum, type LedgerRow, type Migration } from '../migrations/migration.js'
import { planMigrations } from '../migrations/plan.js'

/** Arbitrary constant identifying "Switchboard migrations" among advisory locks. */
const LOCK_KEY = '5349382741562013'

const LEDGER = `CREATE TABLE IF NOT EXISTS sb_migrations (
  id          integer PRIMARY KEY,
  name        text NOT NULL,
  applied_at  bigint NOT NULL,
  checksum    text NOT NULL
)`
const READ = 'SELECT id, name, checksum FROM sb_migrations ORDER BY id'
const RECORD = 'INSERT INTO sb_migrations (id, name, applied_at, checksum) VALUES ($1, $2, $3, $4)'

/** Runs on a dedicated client; the caller connects, maps connection errors and releases. */
export async function migratePostgres(client: pg.PoolClient, migrations: readonly Migration[], now: number): Promise<MigrationReport> {
  await client.query('BEGIN')
  try {
    await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [LOCK_KEY])
    await client.query(LEDGER)
    const plan = planMigrations((await client.query<LedgerRow>(READ)).rows, migrations, 'postgres')
    const applied: number[] = []
    for (const m of plan.pending) {
      try {
        await client.query(m.sql.postgres) // no parameters: the simple protocol runs the whole script
      } catch (err) {
        throw migrationFailed(`migration ${m.id} ("${m.name}") failed: ${err instanceof Error ? err.message : String(err)}`, err)
      }
      await client.query(RECORD, [m.id, m.name, now, checksum(m, 'postgres')])
      applied.push(m.id)
    }
    await client.query('COMMIT')
    return { applied, current: Math.max(plan.current, ...applied) }
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined)
    throw err
  }
}
