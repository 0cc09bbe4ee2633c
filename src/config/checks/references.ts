/** Names that must refer to something declared: systems, topics, consumers, channels, ids. */
import { isRecord, type Segment } from '../paths.js'
import { alertChannelPath } from '../reserved.js'
import { closest, listNames } from '../suggest.js'
import { entries, list, rec, type CheckContext } from './context.js'

export function checkReferences(ctx: CheckContext): void {
  const refs: Array<{ kind: Kind; name: unknown; path: Segment[]; alertSubject?: true }> = []
  for (const [i, route] of entries(ctx, 'routes')) {
    refs.push({ kind: 'system', name: rec(route.proxy).system, path: ['routes', i, 'proxy', 'system'] })
    refs.push({ kind: 'topic', name: rec(route.publish).topic, path: ['routes', i, 'publish', 'topic'] })
    list(route.consumers).forEach((name, j) => refs.push({ kind: 'consumer', name, path: ['routes', i, 'consumers', j] }))
    const auth = route.auth
    const methods = Array.isArray(auth) ? auth.map((a, j): [unknown, Segment[]] => [a, ['routes', i, 'auth', j]]) : [[auth, ['routes', i, 'auth']] as [unknown, Segment[]]]
    for (const [method, at] of methods) {
      refs.push({ kind: 'consumer', name: rec(rec(method).webhook).consumer, path: [...at, 'webhook', 'consumer'] })
    }
  }
  for (const [i, flow] of entries(ctx, 'flows')) {
    refs.push({ kind: 'topic', name: flow.on, path: ['flows', i, 'on'] })
    refs.push({ kind: 'system', name: rec(flow.to).system, path: ['flows', i, 'to', 'system'] })
    refs.push({ kind: 'topic', name: rec(flow.publish).topic, path: ['flows', i, 'publish', 'topic'] })
  }
  for (const [i, poller] of entries(ctx, 'pollers')) {
    refs.push({ kind: 'system', name: poller.system, path: ['pollers', i, 'system'] })
    refs.push({ kind: 'topic', name: rec(poller.publish).topic, path: ['pollers', i, 'publish', 'topic'] })
  }

  for (const [i, alert] of entries(ctx, 'alerts')) {
    list(alert.channels).forEach((name, j) => refs.push({ kind: 'channel', name, path: ['alerts', i, 'channels', j] }))
    for (const [condition, body] of Object.entries(rec(alert.when))) {
      for (const kind of ['flow', 'system', 'route', 'poller'] as const) {
        refs.push({ kind, name: rec(body)[kind], path: ['alerts', i, 'when', condition, kind], alertSubject: true })
      }
    }
  }

  // An alert may watch the delivery path of a channel (its internal flow and system).
  const channelPaths = Object.keys(rec(ctx.config.channels)).map(alertChannelPath)
  for (const { kind, name, path, alertSubject } of refs) {
    const known = declared(ctx, kind)
    // A block that is itself malformed was reported by the schema; do not pile on.
    if (typeof name !== 'string' || known === undefined) continue
    if (known.includes(name) || (alertSubject && (kind === 'flow' || kind === 'system') && channelPaths.includes(name))) continue
    const guess = closest(name, known)
    const hint = guess ? `did you mean "${guess}"? ` : ''
    const message =
      known.length === 0
        ? `unknown ${kind} ${JSON.stringify(name)} (no ${kind}s are declared)`
        : `unknown ${kind} ${JSON.stringify(name)} (${hint}expected one of: ${listNames(known)})`
    ctx.report({ path, message })
  }
}

type Kind = 'system' | 'topic' | 'consumer' | 'channel' | 'flow' | 'route' | 'poller'

const MAPS = { system: 'systems', topic: 'topics', consumer: 'consumers', channel: 'channels' } as const
const LISTS = { flow: 'flows', route: 'routes', poller: 'pollers' } as const

/** The declared names of a kind; undefined when its block is malformed (the schema said so). */
function declared(ctx: CheckContext, kind: Kind): string[] | undefined {
  if (kind in MAPS) {
    const block = ctx.config[MAPS[kind as keyof typeof MAPS]]
    if (block === undefined) return []
    return isRecord(block) ? Object.keys(block) : undefined
  }
  const block = ctx.config[LISTS[kind as keyof typeof LISTS]]
  if (block === undefined) return []
  return Array.isArray(block) ? entries(ctx, LISTS[kind as keyof typeof LISTS]).flatMap(([, item]) => (typeof item.id === 'string' ? [item.id] : [])) : undefined
}
