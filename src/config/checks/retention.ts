/**
 * Retention against dedupe: pruning deletes an event, and its source id with it, once the event
 * is older than `retention.events`, so a topic cannot remember ids longer than that.
 */
import { parseDuration } from '../../core/duration.js'
import { rec, type CheckContext } from './context.js'

/** The spec's defaults (retention.ts, topic.ts), for configs validated without defaults applied. */
const DEFAULT_EVENTS = '14d'
const DEFAULT_DEDUPE_WINDOW = '7d'

export function checkRetention(ctx: CheckContext): void {
  const written = rec(ctx.config.retention).events
  const events = ms(written ?? DEFAULT_EVENTS)
  if (events === undefined) return
  for (const [name, raw] of Object.entries(rec(ctx.config.topics))) {
    const window = rec(raw).dedupeWindow ?? DEFAULT_DEDUPE_WINDOW
    const windowMs = ms(window)
    if (windowMs === undefined || windowMs <= events) continue
    ctx.report({
      path: ['topics', name, 'dedupeWindow'],
      message: `${String(window)} is longer than retention.events (${String(written ?? DEFAULT_EVENTS)}): an event is deleted after retention.events, and its id with it; raise retention.events or shorten the window`,
    })
  }
}

function ms(value: unknown): number | undefined {
  return typeof value === 'string' || typeof value === 'number' ? parseDuration(value) : undefined
}
