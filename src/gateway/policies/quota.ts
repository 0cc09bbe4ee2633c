/**
 * Consumer quotas (`consumers.<name>.quota`): N requests per UTC calendar hour, day or month,
 * counted in the store with one atomic `consume` per request — so the count survives restarts
 * and is shared by every gateway node on the same store. Anonymous callers have no quota.
 */
import type { Clock } from '../../core/clock.js'
import { RetryAfterError } from '../../core/errors.js'
import type { QuotaConfig } from '../../config/spec/consumer.js'
import type { QuotaRepo } from '../../store/contract.js'
import type { Step } from '../exchange.js'
import { refuseWith } from './rate-limit.js'

/** The period a quota counts in at `now`: its store key and when it ends (epoch ms). */
export function quotaPeriod(per: QuotaConfig['per'], now: number): { key: string; endsAt: number } {
  const d = new Date(now)
  const y = d.getUTCFullYear()
  const m = d.getUTCMonth()
  if (per === '1M') return { key: `M:${d.toISOString().slice(0, 7)}`, endsAt: Date.UTC(y, m + 1, 1) }
  const day = d.getUTCDate()
  if (per === '1d') return { key: `d:${d.toISOString().slice(0, 10)}`, endsAt: Date.UTC(y, m, day + 1) }
  const h = d.getUTCHours()
  return { key: `h:${d.toISOString().slice(0, 13)}`, endsAt: Date.UTC(y, m, day, h + 1) }
}

/** The quota step, or undefined when no consumer has a quota. */
export function quotaStep(quotas: QuotaRepo, consumerQuotas: ReadonlyMap<string, QuotaConfig>, clock: Clock): Step | undefined {
  if (consumerQuotas.size === 0) return undefined
  return async (x) => {
    const consumer = x.principal?.consumer
    const quota = consumer == null ? undefined : consumerQuotas.get(consumer)
    if (consumer == null || quota === undefined) return
    const now = clock.now()
    const period = quotaPeriod(quota.per, now)
    const { allowed, used } = await quotas.consume(`consumer:${consumer}`, period.key, 1, quota.limit)
    if (!allowed) {
      // A quota is a limit per period: report it like a rate limit, reset = Retry-After.
      refuseWith(x, quota.limit, period.endsAt - now)
      throw new RetryAfterError('SB_ERR_GATEWAY_QUOTA_EXCEEDED', `quota of ${quota.limit} requests per ${quota.per} used up (${used} used)`, period.endsAt - now, {
        details: { quota: { limit: quota.limit, used, period: period.key.slice(2) } },
      })
    }
  }
}
