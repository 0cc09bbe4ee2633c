/**
 * The outbound rate limit of one system: a token bucket refilled at `perSecond`, holding at most
 * `burst` tokens. In-process only — each Switchboard node limits its own calls.
 *
 * Callers that wait ({@link TokenBucket.take}) reserve their token at once by driving the bucket
 * below zero, then sleep exactly until the debt is paid back. So waiters are served in order,
 * fail-fast callers ({@link TokenBucket.tryTake}, the gateway) cannot starve them, and nothing
 * polls: one timer per waiting call.
 */
import { systemClock, type Clock } from '../core/clock.js'

export class TokenBucket {
  readonly perSecond: number
  readonly burst: number
  readonly #clock: Clock
  #tokens: number
  #last: number

  /** @param burst bucket size; defaults to `perSecond` (at least 1). */
  constructor(perSecond: number, burst?: number, clock: Clock = systemClock) {
    if (!(perSecond > 0) || !Number.isFinite(perSecond)) throw new RangeError('perSecond must be a positive number')
    const size = burst ?? Math.max(1, Math.ceil(perSecond))
    if (!(size >= 1) || !Number.isFinite(size)) throw new RangeError('burst must be ≥ 1')
    this.perSecond = perSecond
    this.burst = size
    this.#clock = clock
    this.#tokens = size
    this.#last = clock.now()
  }

  /** Takes a token if one is available now; never waits. */
  tryTake(): boolean {
    this.#refill()
    if (this.#tokens < 1) return false
    this.#tokens -= 1
    return true
  }

  /** Milliseconds until {@link tryTake} can succeed (0 when a token is available). */
  retryAfterMs(): number {
    this.#refill()
    return this.#tokens >= 1 ? 0 : Math.ceil(((1 - this.#tokens) * 1000) / this.perSecond)
  }

  /** Tokens available now (may be negative while waiters hold reservations). */
  available(): number {
    this.#refill()
    return this.#tokens
  }

  /**
   * Takes a token, waiting for it if needed. Rejects with `signal.reason` if the signal aborts
   * first (and gives the reserved token back).
   */
  take(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason)
    this.#refill()
    this.#tokens -= 1
    if (this.#tokens >= 0) return Promise.resolve()
    const waitMs = Math.ceil((-this.#tokens * 1000) / this.perSecond)
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        clearTimeout(timer)
        this.#tokens += 1
        reject(signal?.reason)
      }
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      }, waitMs)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  #refill(): void {
    const now = this.#clock.now()
    const elapsed = now - this.#last
    if (elapsed <= 0) return
    this.#last = now
    this.#tokens = Math.min(this.burst, this.#tokens + (elapsed * this.perSecond) / 1000)
  }
}
