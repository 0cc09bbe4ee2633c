/**
 * The API key lookup cache: key hash → key record, so the gateway's hot path is one synchronous
 * Map hit instead of a store query per request.
 *
 * - Positive and negative entries live in separate bounded LRUs, so a flood of random keys
 *   only churns the negative side and never evicts the keys of real consumers.
 * - Negative entries expire after ~1 s: a key created on another node works promptly.
 * - Revocation: a poller asks the store every ~500 ms for keys revoked since its last look and
 *   evicts them, so a revoked key stops working within a second on every running node. If the
 *   poller cannot reach the store for a while, positive entries are no longer trusted and every
 *   request goes to the store (failing closed when the store is down too).
 * - Key usage (`lastUsedAt`) is collected in memory and written in one batch a minute.
 * - One cache per store, shared by every API key policy of the process (refcounted), so routes
 *   do not each run a poller.
 */
import type { Clock } from '../../core/clock.js'
import type { Store } from '../../store/contract.js'

export interface ApiKeyCacheOptions {
  /** Entries per LRU (positive and negative each). */
  maxEntries?: number
  /** How long an unknown hash is remembered. */
  negativeTtlMs?: number
  /** How long a known key is trusted without asking the store again (revocations evict earlier). */
  positiveTtlMs?: number
  /** How often the store is asked for revocations. */
  pollIntervalMs?: number
  /** Positive entries are ignored when the last successful poll is older than this. */
  staleAfterMs?: number
  /** How long a revoked key is answered as "revoked" (rather than "invalid") from memory. */
  revokedTtlMs?: number
  /** Each poll looks back this much before its last look (clock skew between nodes). */
  pollOverlapMs?: number
  /** How often `lastUsedAt` of the keys used meanwhile is written to the store (batched). */
  usageFlushMs?: number
}

const DEFAULTS: Required<ApiKeyCacheOptions> = {
  maxEntries: 10_000,
  negativeTtlMs: 1_000,
  positiveTtlMs: 300_000,
  pollIntervalMs: 500,
  staleAfterMs: 5_000,
  revokedTtlMs: 60_000,
  pollOverlapMs: 5_000,
  usageFlushMs: 60_000,
}

/** A known, active key. `storeScopes` is null when the consumer is not in the store. */
export interface CachedKey {
  readonly id: string
  readonly consumer: string
  readonly storeScopes: readonly string[] | null
}

export type KeyFound = { readonly found: true; readonly key: CachedKey }
export type KeyLookup = KeyFound | { readonly found: false; readonly revoked: boolean }

interface Entry<T> {
  value: T
  expiresAt: number
  /** When a hit last moved the entry to the recent end (0: not yet). */
  touchedAt: number
}

/**
 * A hit moves its entry to the recent end at most this often. Moving it on every hit (a Map
 * delete + set, which makes V8 shrink and regrow the table) was the most expensive line of an
 * API-key request; eviction order only needs to be right to about a second.
 */
const RECENCY_REFRESH_MS = 1_000

const UNKNOWN: KeyLookup = Object.freeze({ found: false, revoked: false })
const REVOKED: KeyLookup = Object.freeze({ found: false, revoked: true })

/** A Map used as an LRU: a hit moves the entry to the end (at most once a second); inserts evict from the front. */
class Lru<T> {
  private readonly map = new Map<string, Entry<T>>()
  constructor(private readonly max: number) {}

  get(k: string, now: number): T | undefined {
    const e = this.map.get(k)
    if (e === undefined) return undefined
    if (e.expiresAt <= now) {
      this.map.delete(k)
      return undefined
    }
    if (now - e.touchedAt >= RECENCY_REFRESH_MS) {
      e.touchedAt = now
      this.map.delete(k)
      this.map.set(k, e)
    }
    return e.value
  }

  set(k: string, value: T, expiresAt: number): void {
    this.map.delete(k)
    this.map.set(k, { value, expiresAt, touchedAt: 0 })
    if (this.map.size > this.max) {
      const oldest = this.map.keys().next()
      if (!oldest.done) this.map.delete(oldest.value)
    }
  }

  delete(k: string): void {
    this.map.delete(k)
  }

  /** Remove every entry whose value matches; returns their keys. O(n): for rare events only. */
  deleteWhere(match: (v: T) => boolean): string[] {
    const gone: string[] = []
    for (const [k, e] of this.map) if (match(e.value)) gone.push(k)
    for (const k of gone) this.map.delete(k)
    return gone
  }

  get size(): number {
    return this.map.size
  }
}

export class ApiKeyCache {
  private readonly opts: Required<ApiKeyCacheOptions>
  private readonly positive: Lru<KeyFound>
  private readonly negative: Lru<KeyLookup>
  /** Ids seen revoked recently, so a lookup racing a revocation does not re-cache the key. */
  private readonly recentlyRevoked = new Map<string, number>()
  private readonly inflight = new Map<string, Promise<KeyLookup>>()
  private used = new Set<string>()
  private lastFlush: number
  private readonly timer: NodeJS.Timeout
  private lastLook: number
  private lastPollOk: number
  private polling = false
  private closed = false
  /** Set by the last failed poll (for health reporting); cleared by a successful one. */
  pollError: unknown = undefined

  constructor(private readonly store: Store, private readonly clock: Clock, options: ApiKeyCacheOptions = {}) {
    this.opts = { ...DEFAULTS, ...options }
    this.positive = new Lru(this.opts.maxEntries)
    this.negative = new Lru(this.opts.maxEntries)
    this.lastLook = this.lastPollOk = this.lastFlush = clock.now()
    this.timer = setInterval(() => void this.tick(), this.opts.pollIntervalMs)
    this.timer.unref()
  }

  /** The cached answer for a key hash, or undefined when the store must be asked. Never async. */
  lookupSync(hash: string): KeyLookup | undefined {
    const now = this.clock.now()
    const neg = this.negative.get(hash, now)
    if (neg !== undefined) return neg
    if (now - this.lastPollOk > this.opts.staleAfterMs) return undefined
    return this.positive.get(hash, now)
  }

  /** Ask the store (concurrent lookups of one hash share a query) and cache the answer. */
  lookup(hash: string): Promise<KeyLookup> {
    let p = this.inflight.get(hash)
    if (p === undefined) {
      p = this.fetch(hash).finally(() => this.inflight.delete(hash))
      this.inflight.set(hash, p)
    }
    return p
  }

  private async fetch(hash: string): Promise<KeyLookup> {
    const rec = await this.store.apiKeys.findActiveByHash(hash)
    const now = this.clock.now()
    if (rec === undefined || this.recentlyRevoked.has(rec.id)) {
      const answer = rec === undefined ? UNKNOWN : REVOKED
      this.negative.set(hash, answer, now + (rec === undefined ? this.opts.negativeTtlMs : this.opts.revokedTtlMs))
      return answer
    }
    const consumer = await this.store.consumers.get(rec.consumer)
    const key: CachedKey = Object.freeze({ id: rec.id, consumer: rec.consumer, storeScopes: consumer ? Object.freeze([...consumer.scopes]) : null })
    const found: KeyFound = Object.freeze({ found: true, key })
    // A revocation seen while this lookup was in flight wins over the (older) read.
    if (this.recentlyRevoked.has(rec.id)) return REVOKED
    if (!this.closed) {
      this.negative.delete(hash)
      this.positive.set(hash, found, now + this.opts.positiveTtlMs)
    }
    return found
  }

  /** Remember that a key authenticated a request (written to the store in the next batch). */
  noteUsed(id: string): void {
    this.used.add(id)
  }

  private async tick(): Promise<void> {
    await this.poll()
    if (this.clock.now() - this.lastFlush >= this.opts.usageFlushMs) await this.flushUsage()
  }

  /** Write `lastUsedAt` for the keys used since the last flush. Failures drop the batch (it is advisory). */
  async flushUsage(): Promise<void> {
    this.lastFlush = this.clock.now()
    if (this.used.size === 0) return
    const ids = [...this.used]
    this.used = new Set()
    try {
      await this.store.apiKeys.markUsed(ids, this.lastFlush)
    } catch {
      // lastUsedAt is informational; the next batch carries on.
    }
  }

  /** One revocation poll (exposed for tests and for an immediate check after a local revoke). */
  async poll(): Promise<void> {
    if (this.polling || this.closed) return
    this.polling = true
    const startedAt = this.clock.now()
    try {
      const revoked = await this.store.apiKeys.revokedSince(this.lastLook - this.opts.pollOverlapMs)
      const now = this.clock.now()
      for (const { id } of revoked) this.evict(id, now)
      for (const [id, at] of this.recentlyRevoked) if (now - at > this.opts.revokedTtlMs) this.recentlyRevoked.delete(id)
      this.lastLook = startedAt
      this.lastPollOk = now
      this.pollError = undefined
    } catch (err) {
      // Keep lastLook: the next successful poll covers the gap. After staleAfterMs without a
      // successful poll, lookupSync stops trusting positive entries.
      this.pollError = err
    } finally {
      this.polling = false
    }
  }

  private evict(id: string, now: number): void {
    // The poll looks back over an overlap window, so most ids repeat: only new ones scan.
    if (this.recentlyRevoked.has(id)) return
    this.recentlyRevoked.set(id, now)
    for (const hash of this.positive.deleteWhere((v) => v.key.id === id)) this.negative.set(hash, REVOKED, now + this.opts.revokedTtlMs)
  }

  /** Number of cached entries (positive, negative), for metrics and tests. */
  get size(): { positive: number; negative: number } {
    return { positive: this.positive.size, negative: this.negative.size }
  }

  /** Stop the poller; the pending usage batch is written in the background. */
  close(): void {
    if (this.closed) return
    this.closed = true
    clearInterval(this.timer)
    void this.flushUsage()
  }
}

const shared = new WeakMap<Store, { cache: ApiKeyCache; refs: number }>()

/**
 * The process-wide cache for `store` (created on first use; `options` apply only then).
 * Pair every acquire with {@link releaseApiKeyCache}.
 */
export function acquireApiKeyCache(store: Store, clock: Clock, options?: ApiKeyCacheOptions): ApiKeyCache {
  let s = shared.get(store)
  if (s === undefined) {
    s = { cache: new ApiKeyCache(store, clock, options), refs: 0 }
    shared.set(store, s)
  }
  s.refs++
  return s.cache
}

/** Drop one reference; the last one stops the poller. */
export function releaseApiKeyCache(store: Store, cache: ApiKeyCache): void {
  const s = shared.get(store)
  if (s === undefined || s.cache !== cache) return
  if (--s.refs === 0) {
    shared.delete(store)
    cache.close()
  }
}
