/**
 * pg errors → store errors. Server errors are decided by SQLSTATE (`err.code`), never by
 * message text; anything else pg throws from a query (socket closed, connection terminated,
 * connect timeout) means the server cannot be used right now.
 */
import pg from 'pg'
import { SwitchboardError } from '../../core/errors.js'
import { invalidValue, storeConflict, storeNotFound, storeUnavailable } from '../errors.js'

/** SQLSTATEs meaning "the server or this connection is not usable", not "your statement is wrong". */
const UNAVAILABLE = new Set(['57P01', '57P02', '57P03', '57014', '53300', '3D000', '28000', '28P01'])
/** Deadlock / serialization failure: the transaction was aborted and can be retried as a whole. */
const RETRYABLE = new Set(['40001', '40P01'])

export function isServerError(err: unknown): err is pg.DatabaseError {
  return err instanceof pg.DatabaseError
}

export function mapPgError(err: unknown, description: string): unknown {
  if (err instanceof SwitchboardError) return err
  if (isServerError(err)) {
    const code = err.code ?? ''
    if (code === '23505') return storeConflict(`already exists (constraint ${err.constraint ?? 'unknown'})`, err)
    if (code === '23503') return storeNotFound(`a referenced row does not exist (constraint ${err.constraint ?? 'unknown'})`, err)
    // 22021: bad byte (NUL) in text; 22P05: NUL in jsonb; 22003: number out of range;
    // 23514/23502: CHECK / NOT NULL.
    if (code === '22021' || code === '22P05' || code === '22003' || code === '23514' || code === '23502') {
      return invalidValue(`value rejected by the database: ${err.message}`, err)
    }
    if (code.startsWith('08') || UNAVAILABLE.has(code)) return storeUnavailable(`PostgreSQL ${description} is unavailable (${code})`, err)
    if (RETRYABLE.has(code)) return storeUnavailable(`PostgreSQL aborted the transaction (${code}); retry it`, err)
    return err
  }
  // Programming errors stay visible as themselves.
  if (err instanceof TypeError || err instanceof RangeError || !(err instanceof Error)) return err
  return storeUnavailable(`PostgreSQL ${description} is unavailable: ${err.message}`, err)
}
