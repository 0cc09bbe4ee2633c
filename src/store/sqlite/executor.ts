/**
 * How a SQLite repository runs its statements. A repository is written once against
 * {@link SqliteExec}; the Store gives it an executor that queues behind open transactions,
 * and each transaction gives it one that runs inside that transaction.
 */
import type { Clock } from '../../core/clock.js'
import type { SqliteConnection } from './connection.js'

export interface SqliteExec {
  /** Run synchronous statement code against the connection; driver errors arrive mapped. */
  run<T>(body: (conn: SqliteConnection) => T): Promise<T>
  readonly clock: Clock
}
