/**
 * Inbound rate limits: the route's `rateLimit` (one bucket per consumer, per client IP, or for
 * the whole route, as `by` says) and the consumer's own `rateLimit` (one bucket per consumer
 * across every route). A request must pass both. Every answer reports the tighter of the two in
 * `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` (seconds until the bucket is
 * full); a refusal is 429 reporting the refusing limit, with `RateLimit-Reset` equal to
 * `Retry-After` (seconds until a request may pass).
 */
import type { Clock } from '../../core/clock.js'
import { RetryAfterError, SwitchboardError } from '../../core/errors.js'
import { durationMs } from '../../core/duration.js'
import type { InboundRateLimitConfig } from '../../config/spec/consumer.js'
import type { RouteRateLimitConfig } from '../../config/spec/route.js'
import type { Exchange, Step } from '../exchange.js'
import { retryAfterSeconds } from '../problem.js'
import type { RateLimitDecision, RateLimitStore, TokenBucketRule } from './rate-limit-store.js'

/** `perSecond`/`perMinute` (+ `burst` or `window`) as a token bucket; throws naming `where`. */
export function bucketRule(config: InboundRateLimitConfig, where: string): TokenBucketRule {
  const { perSecond, perMinute } = config
  if ((perSecond === undefined) === (perMinute === undefined)) {
    throw new SwitchboardError('SB_ERR_CONFIG_INVALID', `${where}: set exactly one of perSecond or perMinute`)
  }
  const perUnit = (perSecond ?? perMinute) as number
  const refillPerMs = perSecond !== undefined ? perSecond / 1000 : (perMinute as number) / 60_000
  // Default size: one unit's worth. `window` sizes the bucket as "this many per window";
  // `burst` sets it directly.
  let capacity = perUnit
  if (config.window !== undefined) capacity = refillPerMs * durationMs(config.window)
  if (config.burst !== undefined) capacity = config.burst
  capacity = Math.floor(capacity)
  if (capacity < 1) throw new SwitchboardError('SB_ERR_CONFIG_INVALID', `${where}: the bucket holds less than one request; raise burst or window`)
  return { capacity, refillPerMs }
}

export interface RateLimitDeps {
  store: RateLimitStore
  clock: Clock
  /** Consumer name → its own `rateLimit`, compiled. */
  consumerRules: ReadonlyMap<string, TokenBucketRule>
}

function isPromise<T>(v: T | Promise<T>): v is Promise<T> {
  return typeof (v as { then?: unknown }).then === 'function'
}

/** Reports an allowed take, unless an earlier limit of this request is tighter. */
function report(x: Exchange, d: RateLimitDecision): void {
  const prior = x.headers['ratelimit-remaining']
  if (prior !== undefined && Number(prior) <= d.remaining) return
  x.headers['ratelimit-limit'] = String(d.limit)
  x.headers['ratelimit-remaining'] = String(d.remaining)
  x.headers['ratelimit-reset'] = String(Math.ceil(d.resetMs / 1000))
}

function verdict(x: Exchange, d: RateLimitDecision, what: string): void {
  if (d.allowed) {
    report(x, d)
    return
  }
  // The refusing limit is the one reported, and RateLimit-Reset names the same moment as
  // Retry-After (both from retryAfterMs through one formatter): when a request may pass again,
  // not when the bucket is full.
  refuseWith(x, d.limit, d.retryAfterMs)
  throw new RetryAfterError('SB_ERR_GATEWAY_RATE_LIMITED', `${what} rate limit exceeded; retry in ${retryAfterSeconds(d.retryAfterMs)}s`, d.retryAfterMs)
}

/**
 * Sets the RateLimit-* headers of a refusal (rate limit or quota) that answers 429 with
 * `Retry-After: retryAfterSeconds(retryAfterMs)` — see problem.ts, which writes that header
 * from the same number.
 */
export function refuseWith(x: Exchange, limit: number, retryAfterMs: number): void {
  x.headers['ratelimit-limit'] = String(limit)
  x.headers['ratelimit-remaining'] = '0'
  x.headers['ratelimit-reset'] = retryAfterSeconds(retryAfterMs)
}

/**
 * The rate-limit step of a route, or undefined when neither the route nor any consumer has a
 * limit. Synchronous with the local store (no promise on the hot path).
 */
export function rateLimitStep(routeId: string, config: RouteRateLimitConfig | undefined, deps: RateLimitDeps, where: string): Step | undefined {
  const routeRule = config ? bucketRule(config, where) : undefined
  if (routeRule === undefined && deps.consumerRules.size === 0) return undefined
  const by = config?.by ?? 'consumer'
  const prefix = `r:${routeId}:`

  const consumerCheck = (x: Exchange): void | Promise<void> => {
    const consumer = x.principal?.consumer
    const rule = consumer == null ? undefined : deps.consumerRules.get(consumer)
    if (rule === undefined) return
    const d = deps.store.take(`c:${consumer}`, rule, deps.clock.now())
    if (isPromise(d)) return d.then((r) => verdict(x, r, 'consumer'))
    verdict(x, d, 'consumer')
  }

  if (routeRule === undefined) return consumerCheck

  return (x) => {
    const key = by === 'route' ? prefix : by === 'ip' ? prefix + x.clientIp : prefix + (x.principal?.consumer ?? `ip:${x.clientIp}`)
    const d = deps.store.take(key, routeRule, deps.clock.now())
    if (isPromise(d)) return d.then((r) => (verdict(x, r, 'route'), consumerCheck(x)))
    verdict(x, d, 'route')
    return consumerCheck(x)
  }
}
