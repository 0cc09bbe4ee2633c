/**
 * The Store contract: everything Switchboard persists goes through this interface, and every
 * implementation (sqlite/, postgres/) passes the same conformance suite
 * (test/conformance/store.ts). Domain code never imports a driver.
 *
 * Promised:
 * - Every method is atomic on its own.
 * - {@link Store.transaction} runs a function against a {@link StoreTx}; everything written
 *   through that tx commits together, or nothing does (the function threw). This is how the
 *   flows layer writes an event, its deliveries and its dedupe row in one commit.
 * - Once a write's promise resolves, the data is durable (SQLite: WAL with synchronous=NORMAL
 *   is *not* enough for that, so FULL is used; PostgreSQL: the commit returned).
 * - Timestamps are epoch milliseconds (numbers) at the interface, whatever the column type.
 *
 * Not promised:
 * - Isolation beyond "a transaction sees its own writes": do not read-modify-write across
 *   separate calls without a transaction or an atomic method (e.g. {@link QuotaRepo.consume}).
 * - Ordering of list results beyond what each method documents.
 * - Key order of JSON values read back (PostgreSQL stores `jsonb`, which reorders keys).
 * - NUL characters in text: SQLite keeps them, PostgreSQL rejects them with
 *   SB_ERR_STORE_INVALID_VALUE. Callers that accept untrusted text should reject NUL first.
 *
 * Errors: expected failures are SwitchboardErrors with these codes, decided from the driver's
 * error codes, never from message text (anything else — e.g. a SQL bug — surfaces as is):
 * - SB_ERR_STORE_CONFLICT: a unique key already exists.
 * - SB_ERR_STORE_NOT_FOUND: a parent row is missing (e.g. an API key for an unknown consumer).
 * - SB_ERR_STORE_INVALID_VALUE: an argument cannot be stored (negative amount, bad limit, NUL).
 * - SB_ERR_STORE_UNAVAILABLE: the database cannot be reached, a lock wait timed out, the store
 *   is closed, or PostgreSQL aborted a transaction for a deadlock (retry the whole call).
 * - SB_ERR_STORE_TX_MISUSE: the Store was called from inside its own transaction callback
 *   (this would deadlock on SQLite, so both backends refuse it), or a tx was used after its
 *   transaction ended.
 * - SB_ERR_STORE_MIGRATION_FAILED: from {@link Store.migrate} only.
 *
 * Transactions:
 * - SQLite serialises: while a transaction is open, every other call on the same Store waits
 *   for it (better-sqlite3 has one connection, so this is what keeps other async contexts'
 *   writes out of it). Keep transactions short and never wait inside one for I/O that is
 *   not the store.
 * - PostgreSQL runs the callback on a dedicated pooled connection at READ COMMITTED; other
 *   calls proceed concurrently and wait only on row locks.
 * - A statement that fails inside a transaction fails the whole transaction, on both
 *   backends, even when the callback catches the error: `transaction()` rolls back and rejects
 *   with that first error. (PostgreSQL cannot continue an aborted transaction; SQLite is made
 *   to behave the same.) Use the "…IfAbsent"/boolean-returning methods instead of catching
 *   conflicts.
 *
 * Growing the store (the event-flows work, not implemented yet) — the intended shape:
 * - New repositories are added as new members of {@link StoreTx} (e.g. `events`, `deliveries`,
 *   `attempts`, `queue`), one file per backend (`sqlite/events.ts`, `postgres/events.ts`) built
 *   on that backend's executor (`sqlite/executor.ts`, `postgres/executor.ts`), wired in each
 *   backend's `repos.ts`, with their tables in a new numbered migration
 *   (`migrations/00N_<name>.ts`, SQL per dialect). See docs/reference/store.md.
 * - The durable queue claims work with a lease: PostgreSQL `SELECT … FOR UPDATE SKIP LOCKED`
 *   then `UPDATE … SET lease_until`, so many workers claim disjoint rows; SQLite needs no
 *   SKIP LOCKED because writes are serialised (`UPDATE … WHERE id IN (SELECT … LIMIT n)
 *   RETURNING …` in one statement).
 * - Publishing batches many events into one {@link Store.transaction} (group commit): one
 *   fsync per batch instead of per event. Each publish awaits the batch's commit, so
 *   "accepted means durable" still holds. Dedupe uses an insert-if-absent that reports
 *   whether it inserted, never a caught conflict (see "Transactions" above).
 */

import type { AlertRepo, LeaseRepo } from './contract-alerts.js'
import type { DeliveryRepo, EventRepo } from './contract-events.js'
import type { PollerRepo } from './contract-pollers.js'

// Events, deliveries and attempts (the event-flows repositories) are declared in their own file.
export type * from './contract-events.js'
export { DELIVERY_STATUSES } from './contract-events.js'
// Alert state and history, and leases (singleton jobs across nodes), in their own file too.
export type * from './contract-alerts.js'
// Poller cursors, schedules and tick leases, in their own file too.
export type * from './contract-pollers.js'

export interface Store extends StoreTx {
  /** `sqlite` or `postgres`. */
  readonly kind: StoreKind
  /** Where the store lives, with any password removed (safe to log). */
  readonly description: string
  /**
   * Apply pending migrations (append-only, numbered, recorded in a ledger). Safe to call from
   * several processes at once (PostgreSQL takes an advisory lock, SQLite its write lock). All
   * pending migrations run in one transaction. Fails with SB_ERR_STORE_MIGRATION_FAILED, touching
   * nothing, when a migration fails, when the database has migrations this build does not know,
   * or when an applied migration's recorded checksum differs from this build's SQL.
   */
  migrate(): Promise<MigrationReport>
  /** Resolves when the store answers a trivial query; rejects with SB_ERR_STORE_UNAVAILABLE. */
  ping(): Promise<void>
  /**
   * Run `fn` in one transaction and resolve with its result once committed; reject with `fn`'s
   * error (or the first failed statement's) after rolling back. Inside `fn` use only `tx`:
   * calling this Store (including a nested `transaction()`) rejects with SB_ERR_STORE_TX_MISUSE.
   */
  transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T>
  /** Close connections. In-flight calls finish first; later calls reject. */
  close(): Promise<void>
}

export type StoreKind = 'sqlite' | 'postgres'

export interface MigrationReport {
  /** Migration numbers applied by this call (empty when already up to date). */
  applied: number[]
  /** Highest migration number now in the ledger. */
  current: number
}

/** The repositories, usable directly on the Store or inside a transaction. */
export interface StoreTx {
  readonly consumers: ConsumerRepo
  readonly apiKeys: ApiKeyRepo
  readonly revisions: RevisionRepo
  readonly audit: AuditRepo
  readonly settings: SettingsRepo
  readonly quotas: QuotaRepo
  readonly events: EventRepo
  readonly deliveries: DeliveryRepo
  readonly alerts: AlertRepo
  readonly leases: LeaseRepo
  readonly pollers: PollerRepo
}

// ---------------------------------------------------------------- consumers & keys

export interface ConsumerRecord {
  name: string
  /** `config` when declared in switchboard.yaml, `api` when created through the admin API. */
  source: 'config' | 'api'
  scopes: string[]
  createdAt: number
  updatedAt: number
}

export interface ConsumerRepo {
  /**
   * Insert or update by name (config sync and admin API). Updating keeps `createdAt`; upserting
   * a removed name creates it afresh (its old keys stay revoked).
   */
  upsert(c: { name: string; source: 'config' | 'api'; scopes: string[] }): Promise<ConsumerRecord>
  get(name: string): Promise<ConsumerRecord | undefined>
  /** All consumers, ordered by name. */
  list(): Promise<ConsumerRecord[]>
  /**
   * Remove a consumer and revoke its active keys, atomically. Returns false when it did not
   * exist. Revoked keys are kept (they show in `apiKeys.list()` and `revokedSince`).
   */
  remove(name: string): Promise<boolean>
}

export interface ApiKeyRecord {
  id: string
  consumer: string
  /** First characters of the key, shown in listings so a key can be recognised. Never the key. */
  prefix: string
  label: string | null
  createdAt: number
  revokedAt: number | null
  lastUsedAt: number | null
}

export interface ApiKeyRepo {
  /**
   * Store a new key by its hash (the plaintext never reaches the store).
   * Rejects with SB_ERR_STORE_NOT_FOUND when the consumer does not exist (or is being removed
   * concurrently), SB_ERR_STORE_CONFLICT when the id or the hash is already stored.
   */
  create(k: { id: string; consumer: string; hash: string; prefix: string; label?: string | null }): Promise<ApiKeyRecord>
  /** The active (not revoked) key with this hash, if any. */
  findActiveByHash(hash: string): Promise<ApiKeyRecord | undefined>
  /** Keys of one consumer, or all; newest first. Revoked keys included. */
  list(consumer?: string): Promise<ApiKeyRecord[]>
  /** Mark revoked. Returns false when the id does not exist or was already revoked. */
  revoke(id: string, at: number): Promise<boolean>
  /**
   * Keys revoked at or after `since` (lets gateways drop cached keys within a second),
   * oldest revocation first. Includes keys revoked by {@link ConsumerRepo.remove}. A negative
   * `since` means from the beginning; a non-finite one is SB_ERR_STORE_INVALID_VALUE.
   */
  revokedSince(since: number): Promise<Array<{ id: string; revokedAt: number }>>
  /**
   * Record that these keys were used at `at` (gateways batch this, e.g. once a minute).
   * Never moves `lastUsedAt` backwards; unknown ids are ignored.
   */
  markUsed(ids: readonly string[], at: number): Promise<void>
}

// ---------------------------------------------------------------- config revisions & audit

export interface RevisionRecord {
  /** Monotonic revision number, starting at 1. */
  id: number
  /** SHA-256 of the canonical (secret-free) config JSON. */
  hash: string
  /** The config as JSON with secrets left as references (never resolved values). */
  config: unknown
  source: string
  actor: string
  createdAt: number
}

export interface RevisionRepo {
  /**
   * Append a revision; returns it with its new id (the previous highest + 1, no gaps even when
   * two processes add at once). `config` must be JSON-serialisable.
   */
  add(r: { hash: string; config: unknown; source: string; actor: string }): Promise<RevisionRecord>
  latest(): Promise<RevisionRecord | undefined>
  get(id: number): Promise<RevisionRecord | undefined>
  /** Newest first. `limit` defaults to 50, is capped at 1000; below 1 is SB_ERR_STORE_INVALID_VALUE. */
  list(limit?: number): Promise<Array<Omit<RevisionRecord, 'config'>>>
}

export interface AuditRecord {
  id: number
  at: number
  actor: string
  action: string
  target: string | null
  details: Record<string, unknown> | null
}

export interface AuditRepo {
  /** Append-only: there is no update or delete. */
  append(e: { at: number; actor: string; action: string; target?: string | null; details?: Record<string, unknown> | null }): Promise<AuditRecord>
  /**
   * Newest first (by id), optionally filtered by exact action and/or target; `before` returns
   * ids strictly below it (pass the last id of the previous page). `limit` defaults to 100, is
   * capped at 1000; below 1 is SB_ERR_STORE_INVALID_VALUE.
   */
  list(q?: { action?: string; target?: string; before?: number; limit?: number }): Promise<AuditRecord[]>
}

// ---------------------------------------------------------------- settings & quotas

export interface SettingsRepo {
  get(key: string): Promise<string | undefined>
  set(key: string, value: string): Promise<void>
  /** Set only when absent; returns true when this call set it. */
  setIfAbsent(key: string, value: string): Promise<boolean>
}

export interface QuotaRepo {
  /**
   * Atomically add `amount` to the counter of (`subject`, `period`) unless that would exceed
   * `limit`. Returns the count after the call and whether it was allowed. A refused call does
   * not change the counter. `amount` and `limit` are non-negative safe integers (otherwise
   * SB_ERR_STORE_INVALID_VALUE). `period` is an opaque label chosen by the caller (e.g.
   * `2025-06-01` for a daily quota); old periods are not pruned yet.
   */
  consume(subject: string, period: string, amount: number, limit: number): Promise<{ allowed: boolean; used: number }>
  /** The counter of (`subject`, `period`); 0 when never consumed. */
  used(subject: string, period: string): Promise<number>
}
