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
 */

export interface Store extends StoreTx {
  /** `sqlite` or `postgres`. */
  readonly kind: StoreKind
  /** Where the store lives, with any password removed (safe to log). */
  readonly description: string
  /**
   * Apply pending migrations (append-only, numbered, recorded in a ledger). Safe to call from
   * several processes at once (PostgreSQL takes an advisory lock). Fails with
   * SB_ERR_STORE_MIGRATION_FAILED when the database has migrations this build does not know.
   */
  migrate(): Promise<MigrationReport>
  /** Resolves when the store answers a trivial query; rejects with SB_ERR_STORE_UNAVAILABLE. */
  ping(): Promise<void>
  /** Run `fn` in one transaction. Nested calls are not supported (use the tx you were given). */
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
  /** Insert or update by name (config sync and admin API). */
  upsert(c: { name: string; source: 'config' | 'api'; scopes: string[] }): Promise<ConsumerRecord>
  get(name: string): Promise<ConsumerRecord | undefined>
  /** All consumers, ordered by name. */
  list(): Promise<ConsumerRecord[]>
  /** Remove a consumer and revoke its keys. Returns false when it did not exist. */
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
   * Rejects with SB_ERR_STORE_NOT_FOUND when the consumer does not exist.
   */
  create(k: { id: string; consumer: string; hash: string; prefix: string; label?: string | null }): Promise<ApiKeyRecord>
  /** The active (not revoked) key with this hash, if any. */
  findActiveByHash(hash: string): Promise<ApiKeyRecord | undefined>
  /** Keys of one consumer, or all; newest first. Revoked keys included. */
  list(consumer?: string): Promise<ApiKeyRecord[]>
  /** Mark revoked. Returns false when the id does not exist or was already revoked. */
  revoke(id: string, at: number): Promise<boolean>
  /** Keys revoked at or after `since` (lets gateways drop cached keys within a second). */
  revokedSince(since: number): Promise<Array<{ id: string; revokedAt: number }>>
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
  /** Append a revision; returns it with its new id. */
  add(r: { hash: string; config: unknown; source: string; actor: string }): Promise<RevisionRecord>
  latest(): Promise<RevisionRecord | undefined>
  get(id: number): Promise<RevisionRecord | undefined>
  /** Newest first. */
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
  /** Newest first, optionally filtered; `before` pages by id. */
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
   * not change the counter.
   */
  consume(subject: string, period: string, amount: number, limit: number): Promise<{ allowed: boolean; used: number }>
  used(subject: string, period: string): Promise<number>
}
