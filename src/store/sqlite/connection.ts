/**
 * The one better-sqlite3 connection of a SQLite store, with its durability settings and a
 * prepared-statement cache keyed by SQL text. Repositories keep their SQL in module constants,
 * so a hot call is a Map lookup and a bind, never a parse or a string allocation.
 */
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import { storeUnavailable } from '../errors.js'

type Statement = Database.Statement<unknown[], unknown>

export interface SqliteConnectionOptions {
  /** How long a write waits for another process's lock before SB_ERR_STORE_UNAVAILABLE. */
  busyTimeoutMs?: number
}

export class SqliteConnection {
  private readonly cache = new Map<string, Statement>()
  private readonly beginStmt: Statement
  private readonly commitStmt: Statement
  private readonly rollbackStmt: Statement

  private constructor(readonly db: Database.Database) {
    // IMMEDIATE takes the write lock up front: a transaction never fails half-way with
    // SQLITE_BUSY when another process wrote meanwhile, it waits (busy_timeout) at BEGIN.
    this.beginStmt = db.prepare('BEGIN IMMEDIATE')
    this.commitStmt = db.prepare('COMMIT')
    this.rollbackStmt = db.prepare('ROLLBACK')
  }

  /** Opens (creating the file and its parent directory if needed) and configures the database. */
  static open(path: string, description: string, opts: SqliteConnectionOptions = {}): SqliteConnection {
    let db: Database.Database | undefined
    try {
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
      const busyTimeoutMs = opts.busyTimeoutMs ?? 5000
      db = new Database(path, { timeout: busyTimeoutMs })
      // WAL: readers never block the writer. synchronous=FULL: a committed transaction is on
      // disk when COMMIT returns (NORMAL may lose the last commits on power loss in WAL mode),
      // which is what "accepted means durable" needs.
      db.pragma('journal_mode = WAL')
      db.pragma('synchronous = FULL')
      db.pragma('foreign_keys = ON')
      db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(busyTimeoutMs))}`)
      db.prepare('SELECT 1').get() // surfaces SQLITE_NOTADB and friends now, not on first use
      return new SqliteConnection(db)
    } catch (err) {
      db?.close()
      throw storeUnavailable(`cannot open ${description}: ${err instanceof Error ? err.message : String(err)}`, err)
    }
  }

  /** The prepared statement for `sql`, prepared on first use. */
  stmt(sql: string): Statement {
    let s = this.cache.get(sql)
    if (s === undefined) {
      s = this.db.prepare(sql)
      this.cache.set(sql, s)
    }
    return s
  }

  get inTransaction(): boolean {
    return this.db.inTransaction
  }

  begin(): void {
    this.beginStmt.run()
  }

  commit(): void {
    this.commitStmt.run()
  }

  /** Rolls back if a transaction is open (SQLite may already have rolled back on some errors). */
  rollback(): void {
    if (this.db.inTransaction) this.rollbackStmt.run()
  }

  /**
   * Runs several statements as one unit: inside an open transaction they simply join it (a
   * failure fails that whole transaction), otherwise they get their own.
   */
  atomic<T>(fn: () => T): T {
    if (this.db.inTransaction) return fn()
    this.begin()
    try {
      const result = fn()
      this.commit()
      return result
    } catch (err) {
      this.rollback()
      throw err
    }
  }

  close(): void {
    this.cache.clear()
    this.db.close()
  }
}
