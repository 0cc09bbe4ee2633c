/**
 * A schema migration: numbered, append-only, with SQL per dialect. Once released, a migration's
 * SQL never changes (its checksum is recorded in the `sb_migrations` ledger and checked on
 * every `migrate()`); fix mistakes with a new migration.
 */
import { createHash } from 'node:crypto'

export type Dialect = 'sqlite' | 'postgres'

export interface Migration {
  /** 1, 2, 3… — contiguous, in file-name order (`001_foundation.ts`). */
  readonly id: number
  /** Short snake_case name, recorded in the ledger. */
  readonly name: string
  /**
   * The SQL script per dialect. It runs inside the migration transaction, so it must be
   * transactional DDL/DML (no `CREATE INDEX CONCURRENTLY`, no `VACUUM`).
   */
  readonly sql: Readonly<Record<Dialect, string>>
}

/** A row of the ledger table `sb_migrations`. */
export interface LedgerRow {
  id: number
  name: string
  checksum: string
}

/** SHA-256 (hex) of the SQL a dialect applies; what the ledger records. */
export function checksum(m: Migration, dialect: Dialect): string {
  return createHash('sha256').update(m.sql[dialect]).digest('hex')
}
