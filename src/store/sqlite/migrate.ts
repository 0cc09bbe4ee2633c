/**
 * SQLite migrations: one IMMEDIATE transaction takes the database's write lock, so another
 * process migrating the same file waits (busy_timeout) and then finds nothing left to do.
 */
import type { MigrationReport } from '../contract.js'
import { migrationFailed } from '../errors.js'
import { checksum, type LedgerRow, type Migration } from '../migrations/migration.js'
import { planMigrations } from '../migrations/plan.js'
import type { SqliteConnection } from './connection.js'

const LEDGER = `CREATE TABLE IF NOT EXISTS sb_migrations (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL,
  applied_at  INTEGER NOT NULL,
  checksum    TEXT NOT NULL
) STRICT`
const READ = 'SELECT id, name, checksum FROM sb_migrations ORDER BY id'
const RECORD = 'INSERT INTO sb_migrations (id, name, applied_at, checksum) VALUES (?, ?, ?, ?)'

export function migrateSqlite(conn: SqliteConnection, migrations: readonly Migration[], now: number): MigrationReport {
  try {
    conn.begin()
  } catch (err) {
    throw migrationFailed('cannot take the write lock to migrate (another process holds it?)', err)
  }
  try {
    conn.db.exec(LEDGER)
    const plan = planMigrations(conn.db.prepare(READ).all() as LedgerRow[], migrations, 'sqlite')
    const applied: number[] = []
    for (const m of plan.pending) {
      try {
        conn.db.exec(m.sql.sqlite)
      } catch (err) {
        throw migrationFailed(`migration ${m.id} ("${m.name}") failed: ${err instanceof Error ? err.message : String(err)}`, err)
      }
      conn.db.prepare(RECORD).run(m.id, m.name, now, checksum(m, 'sqlite'))
      applied.push(m.id)
    }
    conn.commit()
    return { applied, current: Math.max(plan.current, ...applied) }
  } catch (err) {
    conn.rollback()
    throw err
  }
}
