/**
 * The PostgreSQL store: a pg Pool for single statements, a dedicated client per transaction
 * (BEGIN … COMMIT / ROLLBACK), bigint epoch-ms timestamps, jsonb for JSON.
 */
import type pg from 'pg'
import { systemClock, type Clock } from '../../core/clock.js'
import { isSwitchboardError } from '../../core/errors.js'
import type { MigrationReport, Store, StoreTx } from '../contract.js'
import { migrationFailed, reentrantCall, storeClosed, storeUnavailable, txFinished } from '../errors.js'
import { MIGRATIONS } from '../migrations/index.js'
import type { Migration } from '../migrations/migration.js'
import { insideOwnTransaction, newTxScope, runInScope, type TxScope } from '../tx-scope.js'
import { isServerError, mapPgError } from './errors.js'
import type { PgExec, PgQuery, PgResult } from './executor.js'
import { migratePostgres } from './migrate.js'
import { createPool, type PgPoolOptions } from './pool.js'
import { pgRepos } from './repos.js'

export interface PgStoreOptions extends PgPoolOptions {
  clock?: Clock
  /** Replaces the built-in migration list (tests only). */
  migrations?: readonly Migration[]
}

export class PgStore implements Store {
  readonly kind = 'postgres' as const
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

  private readonly clock: Clock
  private readonly migrations: readonly Migration[]
  private closing: Promise<void> | undefined
  /** Calls started and not yet settled; close() waits for them before ending the pool. */
  private inflight = 0
  private drained: (() => void) | undefined

  private constructor(
    private readonly pool: pg.Pool,
    readonly description: string,
    opts: PgStoreOptions,
  ) {
    this.clock = opts.clock ?? systemClock
    this.migrations = opts.migrations ?? MIGRATIONS
    const poolExec: PgExec = {
      clock: this.clock,
      query: <R>(q: PgQuery, values: readonly unknown[]) => this.track(() => this.poolQuery<R>(q, values)),
      atomic: (body) => this.track(() => this.withClientTx(newTxScope(this), body)),
    }
    const repos = pgRepos(poolExec)
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

  /** Connects and checks the server answers; rejects with SB_ERR_STORE_UNAVAILABLE. */
  static async open(connectionString: string, description: string, opts: PgStoreOptions = {}): Promise<PgStore> {
    const pool = createPool(connectionString, opts)
    try {
      await pool.query('SELECT 1')
    } catch (err) {
      await pool.end().catch(() => undefined)
      throw storeUnavailable(`cannot connect to PostgreSQL ${description}: ${reason(err)}`, err)
    }
    return new PgStore(pool, description, opts)
  }

  migrate(): Promise<MigrationReport> {
    return this.track(async () => {
      const { client, release } = await this.connect()
      let failed = false
      try {
        return await migratePostgres(client, this.migrations, this.clock.now())
      } catch (err) {
        if (isSwitchboardError(err)) throw err
        const mapped = mapPgError(err, this.description)
        failed = true
        throw isSwitchboardError(mapped) && mapped.code === 'SB_ERR_STORE_UNAVAILABLE' ? mapped : migrationFailed(`migrating ${this.description} failed: ${reason(err)}`, err)
      } finally {
        release(failed)
      }
    })
  }

  ping(): Promise<void> {
    return this.track(async () => {
      try {
        await this.pool.query('SELECT 1')
      } catch (err) {
        throw storeUnavailable(`PostgreSQL ${this.description} did not answer: ${reason(err)}`, err)
      }
    })
  }

  transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    return this.track(() => {
      const scope = newTxScope(this)
      return this.withClientTx(scope, (x) => runInScope(scope, () => fn(pgRepos(x))))
    })
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.inflight > 0) await new Promise<void>((resolve) => (this.drained = resolve))
      await this.pool.end()
    })()
    return this.closing
  }

  /** Refuses calls after close() and from inside this store's own transaction; counts the rest. */
  private track<T>(call: () => Promise<T>): Promise<T> {
    if (this.closing) return Promise.reject(storeClosed(this.description))
    if (insideOwnTransaction(this)) return Promise.reject(reentrantCall())
    this.inflight++
    return call().finally(() => {
      if (--this.inflight === 0) this.drained?.()
    })
  }

  private async poolQuery<R>(q: PgQuery, values: readonly unknown[]): Promise<PgResult<R>> {
    try {
      const res = await this.pool.query({ name: q.name, text: q.text, values: values as unknown[] })
      return { rows: res.rows as R[], rowCount: res.rowCount ?? 0 }
    } catch (err) {
      throw mapPgError(err, this.description)
    }
  }

  /**
   * A dedicated client. pg-pool listens for a client's 'error' event only while it is idle; a
   * checked-out client whose connection the server kills would emit an unhandled 'error' and
   * crash the process. The query in flight rejects anyway, so the listener only absorbs it.
   */
  private async connect(): Promise<{ client: pg.PoolClient; release(destroy: boolean): void }> {
    let client: pg.PoolClient
    try {
      client = await this.pool.connect()
    } catch (err) {
      throw storeUnavailable(`cannot connect to PostgreSQL ${this.description}: ${reason(err)}`, err)
    }
    let broken = false
    const onError = (): void => {
      broken = true
    }
    client.on('error', onError)
    return {
      client,
      release(destroy) {
        client.removeListener('error', onError)
        client.release(destroy || broken)
      },
    }
  }

  /**
   * BEGIN on a dedicated client, run `body` with an executor bound to it, COMMIT; ROLLBACK when
   * `body` throws or any statement in it failed (PostgreSQL aborts the transaction at the first
   * failed statement, so committing is impossible anyway; reporting that first error is clearer
   * than the "transaction is aborted" errors that follow it).
   */
  private async withClientTx<T>(scope: TxScope, body: (x: PgExec) => Promise<T>): Promise<T> {
    const { client, release } = await this.connect()
    let broken = false
    try {
      await this.control(client, 'BEGIN')
      const result = await body(this.clientExec(client, scope))
      scope.active = false
      if (scope.failure !== undefined) throw scope.failure
      const done = await this.control(client, 'COMMIT')
      // A statement issued but not awaited by `body` may have failed after the check above.
      if (done.command === 'ROLLBACK') throw scope.failure ?? storeUnavailable('PostgreSQL rolled the transaction back')
      return result
    } catch (err) {
      // The callback's own errors pass through untouched; driver errors arrive mapped already.
      scope.active = false
      await client.query('ROLLBACK').catch(() => {
        broken = true
      })
      throw err
    } finally {
      scope.active = false
      release(broken)
    }
  }

  /** BEGIN / COMMIT, with driver errors mapped. */
  private async control(client: pg.PoolClient, statement: 'BEGIN' | 'COMMIT'): Promise<pg.QueryResult> {
    try {
      return await client.query(statement)
    } catch (err) {
      throw mapPgError(err, this.description)
    }
  }

  private clientExec(client: pg.PoolClient, scope: TxScope): PgExec {
    const x: PgExec = {
      clock: this.clock,
      query: async <R>(q: PgQuery, values: readonly unknown[]): Promise<PgResult<R>> => {
        if (!scope.active) throw txFinished()
        try {
          const res = await client.query({ name: q.name, text: q.text, values: values as unknown[] })
          return { rows: res.rows as R[], rowCount: res.rowCount ?? 0 }
        } catch (err) {
          const mapped = mapPgError(err, this.description)
          if (isServerError(err) && scope.failure === undefined) scope.failure = mapped
          throw mapped
        }
      },
      // Already inside a transaction: the statements simply join it.
      atomic: (inner) => {
        if (!scope.active) return Promise.reject(txFinished())
        return inner(x)
      },
    }
    return x
  }
}

function reason(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return reason(err.errors[0])
  if (err instanceof Error) return err.message || (err as { code?: string }).code || err.name
  return String(err)
}
