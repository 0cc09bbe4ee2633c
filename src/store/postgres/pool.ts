/**
 * The pg Pool a PostgreSQL store uses: bigint columns (epoch-ms timestamps, ids) parsed to
 * numbers for this pool only (no global type-parser change), and a bounded connect timeout so
 * an unreachable server fails fast with SB_ERR_STORE_UNAVAILABLE.
 */
import pg from 'pg'

export interface PgPoolOptions {
  /** Maximum connections (default 10). */
  max?: number
  /** How long to wait for a connection before failing (default 5000 ms). */
  connectionTimeoutMillis?: number
}

const INT8_OID = 20

// Epoch milliseconds and row ids stay far below 2^53, so Number is exact.
const parseInt8 = (v: string): number => Number(v)

const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? parseInt8 : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
}

export function createPool(connectionString: string, opts: PgPoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    types,
    max: opts.max ?? 10,
    connectionTimeoutMillis: opts.connectionTimeoutMillis ?? 5000,
    idleTimeoutMillis: 30_000,
    application_name: 'switchboard',
  })
  // An idle client whose connection drops emits 'error' on the pool; unhandled, that would
  // crash the process. The pool discards that client and the next query reconnects (or fails
  // with SB_ERR_STORE_UNAVAILABLE), so there is nothing else to do here.
  pool.on('error', () => undefined)
  return pool
}
