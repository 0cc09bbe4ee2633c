/**
 * Store URLs: which backend, where, and a description that is safe to log (no password).
 *
 * - `sqlite:./data/switchboard.db` — relative to the working directory (or `cwd` given)
 * - `sqlite:/abs/path.db`, `sqlite:///abs/path.db` — absolute
 * - `sqlite::memory:` — a private in-memory database (gone on close; tests)
 * - `postgres://user:pass@host:5432/db`, `postgresql://…` — handed to `pg` as is
 */
import { isAbsolute, resolve } from 'node:path'
import { SwitchboardError } from '../core/errors.js'

export type StoreLocation =
  | { kind: 'sqlite'; /** Absolute file path, or `:memory:`. */ path: string; description: string }
  | { kind: 'postgres'; connectionString: string; description: string }

export function parseStoreUrl(url: string, cwd: string = process.cwd()): StoreLocation {
  if (url.startsWith('sqlite:')) {
    let rest = url.slice('sqlite:'.length)
    if (rest.startsWith('//')) rest = rest.slice(2)
    if (rest === '') throw badUrl(url, 'the SQLite path is empty')
    if (rest.includes('\0')) throw badUrl(url, 'the SQLite path contains a NUL character')
    if (rest === ':memory:') return { kind: 'sqlite', path: ':memory:', description: 'sqlite::memory:' }
    const path = isAbsolute(rest) ? rest : resolve(cwd, rest)
    return { kind: 'sqlite', path, description: `sqlite:${path}` }
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    let parsed: URL
    try {
      parsed = new URL(url)
    } catch {
      // No cause attached: Node's URL error carries the input, password included.
      throw badUrl(url, 'it is not a valid URL')
    }
    return { kind: 'postgres', connectionString: url, description: describePostgres(parsed) }
  }
  throw badUrl(url, 'use sqlite:PATH, sqlite::memory: or postgres://…')
}

/** `postgres://user@host:port/db` — password and query parameters that could hold one removed. */
function describePostgres(u: URL): string {
  const user = u.username ? `${decodeSafe(u.username)}@` : ''
  const db = u.pathname.length > 1 ? u.pathname : ''
  const host = u.host || u.searchParams.get('host') || 'localhost'
  return `${u.protocol}//${user}${host}${db}`
}

function decodeSafe(s: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}

/** A URL with any `user:password@` credentials removed, for error messages about bad URLs. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/[^/\s]*@/, '//***@').replace(/([?&]password=)[^&]*/gi, '$1***')
}

function badUrl(url: string, why: string): SwitchboardError {
  return new SwitchboardError('SB_ERR_CONFIG_INVALID', `store: cannot use "${redactUrl(url)}": ${why}`)
}
