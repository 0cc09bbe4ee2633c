/**
 * The embedded store: one better-sqlite3 connection, WAL, synchronous=FULL.
 *
 * better-sqlite3 is synchronous, but {@link Store.transaction} awaits an async callback
 * between BEGIN and COMMIT. A {@link SerialGate} therefore admits one task at a time: while a
 * transaction is open every other call on this store queues behind it, so nothing from another
 * async context runs inside the transaction (and gets rolled back with it) and nothing outside
 * sees its uncommitted rows.
 */
import { systemClock, type Clock } from '../../core/clock.js'
import { isSwitchboardError } from '../../core/errors.js'
import type { MigrationReport, Store, StoreTx } from '../contract.js'
import { migrationFailed, reentrantCall, storeClosed, storeUnavailable, txFinished } from '../errors.js'
import { MIGRATIONS } from '../migrations/index.js'
import type { Migration } from '../migrations/migration.js'
import { insideOwnTransaction, newTxScope, runInScope, type TxScope } from '../tx-scope.js'
import { SqliteConnection, type SqliteConnectionOptions } from './connection.js'
import { isSqliteError, mapSqliteError } from './errors.js'
import type { SqliteExec } from './executor.js'
import { SerialGate } from './gate.js'
import { migrateSqlite } from './migrate.js'
import { sqliteRepos } from './repos.js'

export interface SqliteStoreOptions extends SqliteConnectionOptions {
  clock?: Clock
  /** Replaces the built-in migration list (tests only). */
  migrations?: readonly Migration[]
}

export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const
  readonly consumers: StoreTx['consumers']
  readonly apiKeys: StoreTx['apiKeys']
  readonly revisions: StoreTx['revisions']
  readonly audit: StoreTx['audit']
  readonly settings: StoreTx['settings']
  readonly quotas: StoreTx['quotas']
  readonly events: StoreTx['events']
  readonly deliveries: StoreTx['deliveries']
  readonly alerts: StoreTx['alerts']
  readonly leases: StoreTx['leases']
  readonly pollers: StoreTx['pollers']

  private readonly gate = new SerialGate()
  private readonly clock: Clock
  private readonly migrations: readonly Migration[]
  private closing: Promise<void> | undefined

  private constructor(
    private readonly conn: SqliteConnection,
    readonly description: string,
    opts: SqliteStoreOptions,
  ) {
    this.clock = opts.clock ?? systemClock
    this.migrations = opts.migrations ?? MIGRATIONS
    const repos = sqliteRepos({ clock: this.clock, run: (body) => this.run(() => body(this.conn)) })
    this.consumers = repos.consumers
    this.apiKeys = repos.apiKeys
    this.revisions = repos.revisions
    this.audit = repos.audit
    this.settings = repos.settings
    this.quotas = repos.quotas
    this.events = repos.events
    this.deliveries = repos.deliveries
    this.alerts = repos.alerts
    this.leases = repos.leases
    this.pollers = repos.pollers
  }

  /** Opens `path` (absolute, or `:memory:`); rejects with SB_ERR_STORE_UNAVAILABLE. */
  static open(path: string, description: string, opts: SqliteStoreOptions = {}): SqliteStore {
    return new SqliteStore(SqliteConnection.open(path, description, opts), description, opts)
  }

  migrate(): Promise<MigrationReport> {
    return this.run(() => migrateSqlite(this.conn, this.migrations, this.clock.now())).catch((err: unknown) => {
      throw isSwitchboardError(err) ? err : migrationFailed(`migrating ${this.description} failed`, err)
    })
  }

  ping(): Promise<void> {
    return this.run(() => {
      this.conn.stmt('SELECT 1').get()
    }).catch((err: unknown) => {
      throw isSwitchboardError(err) && err.code === 'SB_ERR_STORE_UNAVAILABLE' ? err : storeUnavailable(`store ${this.description} did not answer`, err)
    })
  }

  transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    const refused = this.refuse()
    if (refused) return Promise.reject(refused)
    return this.gate.runAsync(async () => {
      try {
        this.conn.begin()
      } catch (err) {
        throw mapSqliteError(err, this.description)
      }
      const scope = newTxScope(this)
      try {
        const result = await runInScope(scope, () => fn(sqliteRepos(this.txExec(scope))))
        scope.active = false
        if (scope.failure !== undefined) throw scope.failure
        this.conn.commit()
        return result
      } catch (err) {
        scope.active = false
        try {
          this.conn.rollback()
        } catch {
          // The original error is the one worth reporting; SQLite rolls back on close anyway.
        }
        throw mapSqliteError(err, this.description)
      }
    })
  }

  close(): Promise<void> {
    this.closing ??= this.gate.run(() => this.conn.close())
    return this.closing
  }

  /** Store-level calls: refused once closing, queued behind any open transaction. */
  private run<T>(body: () => T): Promise<T> {
    const refused = this.refuse()
    if (refused) return Promise.reject(refused)
    return this.gate.run(() => {
      try {
        return body()
      } catch (err) {
        throw mapSqliteError(err, this.description)
      }
    })
  }

  private refuse(): Error | undefined {
    if (this.closing) return storeClosed(this.description)
    // Only an open transaction holds the gate across awaits, so the (cheap) context lookup
    // is needed only when the gate is busy.
    if (this.gate.busy && insideOwnTransaction(this)) return reentrantCall()
    return undefined
  }

  /** Calls through a transaction's tx: run at once inside it; a driver error fails the whole transaction. */
  private txExec(scope: TxScope): SqliteExec {
    return {
      clock: this.clock,
      run: (body) => {
        if (!scope.active) return Promise.reject(txFinished())
        try {
          return Promise.resolve(body(this.conn))
        } catch (err) {
          const mapped = mapSqliteError(err, this.description)
          if (isSqliteError(err) && scope.failure === undefined) scope.failure = mapped
          return Promise.reject(mapped)
        }
      },
    }
  }
}
