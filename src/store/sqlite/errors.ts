/**
 * better-sqlite3 errors → store errors, decided by SQLite's extended result code
 * (`err.code`), never by message text. Errors that are not SQLite's pass through unchanged.
 */
import Database from 'better-sqlite3'
import { SwitchboardError } from '../../core/errors.js'
import { invalidValue, storeConflict, storeNotFound, storeUnavailable } from '../errors.js'

const UNAVAILABLE_PREFIXES = ['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_CANTOPEN', 'SQLITE_IOERR', 'SQLITE_READONLY', 'SQLITE_CORRUPT']
const UNAVAILABLE_CODES = new Set(['SQLITE_FULL', 'SQLITE_NOTADB', 'SQLITE_PROTOCOL', 'SQLITE_PERM', 'SQLITE_AUTH'])

export function isSqliteError(err: unknown): err is InstanceType<typeof Database.SqliteError> {
  return err instanceof Database.SqliteError
}

export function mapSqliteError(err: unknown, description: string): unknown {
  if (err instanceof SwitchboardError || !isSqliteError(err)) return err
  const code = err.code
  switch (code) {
    case 'SQLITE_CONSTRAINT_UNIQUE':
    case 'SQLITE_CONSTRAINT_PRIMARYKEY':
      return storeConflict(`already exists (${err.message})`, err)
    case 'SQLITE_CONSTRAINT_FOREIGNKEY':
      return storeNotFound(`a referenced row does not exist (${err.message})`, err)
    case 'SQLITE_CONSTRAINT_CHECK':
    case 'SQLITE_CONSTRAINT_NOTNULL':
    case 'SQLITE_CONSTRAINT_DATATYPE':
    case 'SQLITE_TOOBIG':
    case 'SQLITE_MISMATCH':
      return invalidValue(`value rejected by the database (${err.message})`, err)
  }
  if (UNAVAILABLE_CODES.has(code) || UNAVAILABLE_PREFIXES.some((p) => code.startsWith(p))) {
    return storeUnavailable(`store ${description} is unavailable (${code})`, err)
  }
  return err
}
