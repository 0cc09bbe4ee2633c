/** Ids of routes, flows, pollers and alerts are unique within their block (metrics, logs and the admin API key on them). */
import { formatPath } from '../paths.js'
import { entries, type CheckContext } from './context.js'

const NOUN = { routes: 'route', flows: 'flow', pollers: 'poller', alerts: 'alert' } as const

export function checkDuplicateIds(ctx: CheckContext): void {
  for (const block of ['routes', 'flows', 'pollers', 'alerts'] as const) {
    const first = new Map<string, number>()
    for (const [i, item] of entries(ctx, block)) {
      if (typeof item.id !== 'string') continue
      const earlier = first.get(item.id)
      if (earlier === undefined) first.set(item.id, i)
      else ctx.report({ path: [block, i, 'id'], message: `duplicate ${NOUN[block]} id "${item.id}" (already used by ${formatPath([block, earlier])})` })
    }
  }
}
