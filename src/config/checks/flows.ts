/**
 * Flow and poller rules: one destination per flow, one method per delivery target, no publish
 * loops, and pollers with exactly one valid schedule.
 */
import { Cron } from 'croner'
import { entries, rec, shown, str, type CheckContext } from './context.js'

const TARGET_METHODS = ['post', 'put', 'patch', 'delete'] as const

export function checkFlows(ctx: CheckContext): void {
  const edges: Array<{ from: string; to: string; index: number; id: string }> = []
  for (const [i, flow] of entries(ctx, 'flows')) {
    if (flow.to === undefined && flow.publish === undefined) ctx.report({ path: ['flows', i], message: 'flow needs a destination: add `to` (a system) or `publish` (a topic)' })
    if (flow.to !== undefined && flow.publish !== undefined) {
      ctx.report({ path: ['flows', i, 'publish'], at: 'key', message: 'a flow delivers `to` a system or `publish`es to a topic, not both' })
    }
    if (flow.to !== undefined) {
      const to = rec(flow.to)
      const methods = TARGET_METHODS.filter((m) => to[m] !== undefined)
      if (methods.length === 0) ctx.report({ path: ['flows', i, 'to'], message: `delivery target has no method: add one of ${TARGET_METHODS.join(', ')} with its path` })
      const [, second] = methods
      if (second) ctx.report({ path: ['flows', i, 'to', second], at: 'key', message: `a delivery target has exactly one method, found ${methods.join(' and ')}` })
    }
    const from = str(flow.on)
    const to = str(rec(flow.publish).topic)
    if (from === undefined || to === undefined) continue
    if (from === to) ctx.report({ path: ['flows', i, 'publish', 'topic'], message: `flow publishes to the topic it consumes ("${from}"): every event would loop forever` })
    else edges.push({ from, to, index: i, id: str(flow.id) ?? `#${i}` })
  }
  reportCycles(ctx, edges)
}

/** Longer loops (a → b → a): one finding per cycle, at the flow that closes it. */
function reportCycles(ctx: CheckContext, edges: Array<{ from: string; to: string; index: number; id: string }>): void {
  const reported = new Set<string>()
  for (const start of edges) {
    // Depth-first search from the edge's target back to its source.
    const stack: Array<{ topic: string; trail: typeof edges }> = [{ topic: start.to, trail: [start] }]
    const visited = new Set<string>()
    while (stack.length > 0) {
      const { topic, trail } = stack.pop() as { topic: string; trail: typeof edges }
      if (topic === start.from) {
        const key = trail.map((e) => e.index).sort((a, b) => a - b).join(',')
        if (!reported.has(key)) {
          reported.add(key)
          const closing = trail.reduce((a, b) => (b.index > a.index ? b : a))
          const topics = [...trail.map((e) => e.from), start.from].join(' → ')
          ctx.report({ path: ['flows', closing.index, 'publish', 'topic'], message: `flows publish in a loop: ${topics} (flows ${trail.map((e) => e.id).join(', ')})` })
        }
        break
      }
      if (visited.has(topic)) continue
      visited.add(topic)
      for (const e of edges) if (e.from === topic) stack.push({ topic: e.to, trail: [...trail, e] })
    }
  }
}

export function checkPollers(ctx: CheckContext): void {
  for (const [i, poller] of entries(ctx, 'pollers')) {
    const hasEvery = poller.every !== undefined
    const cron = poller.cron
    if (!hasEvery && cron === undefined) ctx.report({ path: ['pollers', i], message: 'poller needs a schedule: add `every` (a duration) or `cron`' })
    if (hasEvery && cron !== undefined) ctx.report({ path: ['pollers', i, 'cron'], at: 'key', message: 'use `every` or `cron`, not both' })
    if (typeof cron !== 'string') continue
    try {
      // Without a callback croner only parses; nothing is scheduled.
      new Cron(cron).stop()
    } catch (err) {
      ctx.report({ path: ['pollers', i, 'cron'], message: `invalid cron expression ${shown(ctx, ['pollers', i, 'cron'], cron)}: ${(err as Error).message}` })
    }
  }
}
