/**
 * Where rate-limit counters live. The gateway talks to {@link RateLimitStore} only, so a shared
 * (Redis) store can replace {@link LocalRateLimitStore} for several nodes without touching the
 * policy. The local store may answer synchronously, which keeps the hot path free of promises.
 *
 * The algorithm is a token bucket: a bucket holds up to `capacity` tokens, refills continuously
 * at `refillPerMs`, and each request takes one. A bucket that would be full is the same as no
 * bucket, so idle buckets are swept and memory stays bounded by the active callers.
 */

/** One limit: bucket size and refill speed. */
export interface TokenBucketRule {
  capacity: number
  refillPerMs: number
}

/** The outcome of one take, with what the RateLimit-* headers report. */
export interface RateLimitDecision {
  allowed: boolean
  limit: number
  /** Whole tokens left after this request. */
  remaining: number
  /** Milliseconds until the bucket is full again. */
  resetMs: number
  /** When refused: milliseconds until one token is available. */
  retryAfterMs: number
}

export interface RateLimitStore {
  /** Takes one token from bucket `key` under `rule` at time `now` (epoch ms). */
  take(key: string, rule: TokenBucketRule, now: number): RateLimitDecision | Promise<RateLimitDecision>
  /** Stops background work (sweep timers). */
  close(): void
}

interface Bucket {
  tokens: number
  at: number
  rule: TokenBucketRule
}

export interface LocalRateLimitStoreOptions {
  /** Most buckets kept; past it the oldest are dropped (their callers start with a full bucket). */
  maxKeys?: number
  /** How often idle (full) buckets are swept. */
  sweepIntervalMs?: number
  /** Clock for the sweep (tests pass a manual one). */
  now?: () => number
}

/** In-process buckets: exact for one node; each node of a cluster limits on its own. */
export class LocalRateLimitStore implements RateLimitStore {
  readonly #buckets = new Map<string, Bucket>()
  readonly #maxKeys: number
  readonly #now: () => number
  readonly #timer: NodeJS.Timeout

  constructor(options: LocalRateLimitStoreOptions = {}) {
    this.#maxKeys = options.maxKeys ?? 100_000
    this.#now = options.now ?? Date.now
    this.#timer = setInterval(() => this.sweep(this.#now()), options.sweepIntervalMs ?? 60_000)
    this.#timer.unref()
  }

  take(key: string, rule: TokenBucketRule, now: number): RateLimitDecision {
    let b = this.#buckets.get(key)
    if (b === undefined) {
      if (this.#buckets.size >= this.#maxKeys) this.#evict(now)
      b = { tokens: rule.capacity, at: now, rule }
      this.#buckets.set(key, b)
    } else if (now > b.at) {
      b.tokens = Math.min(rule.capacity, b.tokens + (now - b.at) * rule.refillPerMs)
      b.at = now
    }
    const allowed = b.tokens >= 1
    if (allowed) b.tokens -= 1
    return {
      allowed,
      limit: rule.capacity,
      remaining: Math.floor(b.tokens),
      resetMs: Math.ceil((rule.capacity - b.tokens) / rule.refillPerMs),
      retryAfterMs: allowed ? 0 : Math.ceil((1 - b.tokens) / rule.refillPerMs),
    }
  }

  /** Drops buckets that have refilled completely (equivalent to absent ones). */
  sweep(now: number): void {
    for (const [key, b] of this.#buckets) {
      if (b.tokens + (now - b.at) * b.rule.refillPerMs >= b.rule.capacity) this.#buckets.delete(key)
    }
  }

  /** Number of buckets held (for tests and metrics). */
  get size(): number {
    return this.#buckets.size
  }

  close(): void {
    clearInterval(this.#timer)
    this.#buckets.clear()
  }

  #evict(now: number): void {
    this.sweep(now)
    // Still full: drop the oldest tenth (Map iterates in insertion order).
    let drop = this.#buckets.size - this.#maxKeys + Math.ceil(this.#maxKeys / 10)
    for (const key of this.#buckets.keys()) {
      if (drop-- <= 0) break
      this.#buckets.delete(key)
    }
  }
}
