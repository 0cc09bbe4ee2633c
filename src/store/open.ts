/**
 * Opens the store a URL names (see store-url.ts for the forms). Does not migrate: the runtime
 * calls `store.migrate()` once it is ready to, so tools that only read (e.g. `validate`) never
 * change a schema.
 */
import type { Clock } from '../core/clock.js'
import type { Store } from './contract.js'
import { PgStore } from './postgres/store.js'
import { SqliteStore } from './sqlite/store.js'
import { parseStoreUrl } from './store-url.js'

export interface OpenStoreOptions {
  /** Base for relative SQLite paths (default: process.cwd()). */
  cwd?: string
  /** Time source for created/updated timestamps the store sets itself (default: system clock). */
  clock?: Clock
  /** PostgreSQL pool size (default 10). */
  maxConnections?: number
  /** PostgreSQL connect timeout in ms (default 5000). */
  connectTimeoutMs?: number
  /** SQLite: how long a write waits for another process's lock (default 5000 ms). */
  busyTimeoutMs?: number
}

/**
 * Rejects with SB_ERR_CONFIG_INVALID for a URL that names no supported store, and with
 * SB_ERR_STORE_UNAVAILABLE (cause attached, password never in the message) when the store
 * cannot be opened or reached.
 */
export async function openStore(url: string, opts: OpenStoreOptions = {}): Promise<Store> {
  const loc = parseStoreUrl(url, opts.cwd)
  if (loc.kind === 'sqlite') {
    return SqliteStore.open(loc.path, loc.description, { clock: opts.clock, busyTimeoutMs: opts.busyTimeoutMs })
  }
  return PgStore.open(loc.connectionString, loc.description, {
    clock: opts.clock,
    max: opts.maxConnections,
    connectionTimeoutMillis: opts.connectTimeoutMs,
  })
}
