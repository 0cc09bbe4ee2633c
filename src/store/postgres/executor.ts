/**
 * How a PostgreSQL repository runs its statements. A repository is written once against
 * {@link PgExec}; the Store gives it one backed by the pool, each transaction one backed by
 * its dedicated client.
 */
import type { Clock } from '../../core/clock.js'

/**
 * A named statement: pg prepares it once per connection and reuses the plan. Declare each as a
 * module constant with {@link sql}; names must be unique (checked when the module loads).
 */
export interface PgQuery {
  readonly name: string
  readonly text: string
}

const names = new Set<string>()

export function sql(name: string, text: string): PgQuery {
  if (names.has(name)) throw new Error(`duplicate prepared statement name "${name}"`)
  names.add(name)
  return Object.freeze({ name: `sb_${name}`, text })
}

export interface PgResult<R> {
  rows: R[]
  rowCount: number
}

export interface PgExec {
  /** Run one statement; driver errors arrive mapped. */
  query<R>(q: PgQuery, values: readonly unknown[]): Promise<PgResult<R>>
  /**
   * Run several statements as one unit: on the pool this opens a transaction on one client;
   * inside a transaction it simply joins it.
   */
  atomic<T>(body: (x: PgExec) => Promise<T>): Promise<T>
  readonly clock: Clock
}
