/**
 * The base URLs of one system, each with its own keep-alive connection pool, chosen round-robin
 * with passive health: a URL that fails `failures` times in a row (network error, timeout, 5xx)
 * is skipped for `cooldownMs`, then tried again — one more failure takes it out again, one
 * success puts it back. When every URL is out, calls still go round-robin: a system is never
 * black-holed by its own health tracking (the circuit breaker is what fails fast).
 */
import { Pool } from 'undici'
import { systemClock, type Clock } from '../core/clock.js'
import type { BaseUrl } from './options.js'
import type { TargetHealth } from './types.js'

export interface PoolOptions {
  connections: number
  keepAliveMs: number
  connectTimeoutMs: number
  /** Default headers/body timeout of a call (each call passes its own as well). */
  timeoutMs: number
}

/** One base URL and its pool. */
export class Target {
  readonly baseUrl: string
  readonly origin: string
  /** Path prefix of the base URL, prepended to every call path. */
  readonly prefix: string
  readonly pool: Pool
  consecutiveFailures = 0
  /** Epoch ms until which this target is skipped (0 = in rotation). */
  downUntil = 0

  constructor(base: BaseUrl, options: PoolOptions) {
    this.baseUrl = base.url
    this.origin = base.origin
    this.prefix = base.prefix
    this.pool = new Pool(base.origin, {
      connections: options.connections,
      // One request per connection at a time: pipelining multiplies the damage of a slow or
      // misbehaving upstream and most APIs do not support it well.
      pipelining: 1,
      keepAliveTimeout: options.keepAliveMs,
      // Servers may shorten the idle time with a Keep-Alive hint, never extend it beyond ours.
      keepAliveMaxTimeout: options.keepAliveMs,
      connect: { timeout: options.connectTimeoutMs },
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    })
  }
}

export class TargetSet {
  readonly targets: readonly Target[]
  readonly #failures: number
  readonly #cooldownMs: number
  readonly #clock: Clock
  #next = 0

  constructor(bases: readonly BaseUrl[], pool: PoolOptions, health: { failures: number; cooldownMs: number }, clock: Clock = systemClock) {
    if (bases.length === 0) throw new RangeError('at least one base URL is required')
    this.targets = bases.map((b) => new Target(b, pool))
    this.#failures = health.failures
    this.#cooldownMs = health.cooldownMs
    this.#clock = clock
  }

  get size(): number {
    return this.targets.length
  }

  /** The next target in rotation that is not cooling down (or simply the next one if all are). */
  pick(): Target {
    const targets = this.targets
    const n = targets.length
    if (n === 1) return targets[0]!
    const now = this.#clock.now()
    for (let i = 0; i < n; i++) {
      const t = targets[this.#next++ % n]!
      if (this.#next >= n) this.#next = 0
      if (t.downUntil <= now) return t
    }
    const t = targets[this.#next++ % n]!
    if (this.#next >= n) this.#next = 0
    return t
  }

  onSuccess(t: Target): void {
    if (t.consecutiveFailures !== 0) {
      t.consecutiveFailures = 0
      t.downUntil = 0
    }
  }

  onFailure(t: Target): void {
    t.consecutiveFailures++
    // Only judged when there is an alternative: one URL has nowhere else to send the call.
    if (t.consecutiveFailures >= this.#failures && this.targets.length > 1) t.downUntil = this.#clock.now() + this.#cooldownMs
  }

  health(): TargetHealth[] {
    const now = this.#clock.now()
    return this.targets.map((t) => ({
      baseUrl: t.baseUrl,
      healthy: t.downUntil <= now,
      consecutiveFailures: t.consecutiveFailures,
      downUntil: t.downUntil > now ? t.downUntil : null,
    }))
  }

  async close(): Promise<void> {
    await Promise.all(this.targets.map((t) => t.pool.close()))
  }
}
