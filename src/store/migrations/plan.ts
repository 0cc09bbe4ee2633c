/**
 * Compares the ledger with the migrations this build knows, identically for both backends:
 * what to apply, or why the database must not be touched.
 */
import { migrationFailed } from '../errors.js'
import { checksum, type Dialect, type LedgerRow, type Migration } from './migration.js'

export interface MigrationPlan {
  pending: Migration[]
  /** Highest id in the ledger before applying anything (0 for a fresh database). */
  current: number
}

/**
 * Rejects (SB_ERR_STORE_MIGRATION_FAILED) when the ledger holds a migration this build does not
 * know (the database was migrated by a newer Switchboard) or an applied migration's checksum
 * differs from this build's SQL (someone edited a released migration).
 */
export function planMigrations(ledger: readonly LedgerRow[], known: readonly Migration[], dialect: Dialect): MigrationPlan {
  const byId = new Map(known.map((m) => [m.id, m]))
  const applied = new Set<number>()
  let current = 0
  for (const row of ledger) {
    const m = byId.get(row.id)
    if (!m) {
      const newest = known.at(-1)?.id ?? 0
      throw migrationFailed(
        `the database has migration ${row.id} ("${row.name}"), which this build does not know (it knows up to ${newest}); ` +
          'it was migrated by a newer Switchboard — upgrade, or restore a backup taken before that upgrade',
      )
    }
    const expected = checksum(m, dialect)
    if (row.checksum !== expected) {
      throw migrationFailed(
        `migration ${row.id} ("${row.name}") was applied with checksum ${row.checksum}, but this build's SQL has ${expected}; ` +
          'released migrations must never be edited — restore the original file and add a new migration instead',
      )
    }
    applied.add(row.id)
    current = Math.max(current, row.id)
  }
  return { pending: known.filter((m) => !applied.has(m.id)), current }
}

/** Checks that a migration list is well-formed (ids 1..n in order, unique names). */
export function assertWellFormed(migrations: readonly Migration[]): void {
  const names = new Set<string>()
  migrations.forEach((m, i) => {
    if (m.id !== i + 1) throw migrationFailed(`migration list is malformed: position ${i + 1} holds id ${m.id}`)
    if (!/^[a-z][a-z0-9_]*$/.test(m.name) || names.has(m.name)) throw migrationFailed(`migration ${m.id}: bad or duplicate name "${m.name}"`)
    names.add(m.name)
  })
}
