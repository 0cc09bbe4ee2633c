/** Names that must refer to something declared: systems, topics, consumers. */
import { isRecord, type Segment } from '../paths.js'
import { closest, listNames } from '../suggest.js'
import { entries, list, rec, type CheckContext } from './context.js'

export function checkReferences(ctx: CheckContext): void {
  const refs: Array<{ kind: 'system' | 'topic' | 'consumer'; name: unknown; path: Segment[] }> = []
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

  const declared = { system: ctx.config.systems, topic: ctx.config.topics, consumer: ctx.config.consumers }
  for (const { kind, name, path } of refs) {
    const names = declared[kind]
    // A block that is itself malformed was reported by the schema; do not pile on.
    if (typeof name !== 'string' || (names !== undefined && !isRecord(names))) continue
    const known = Object.keys(names ?? {})
    if (known.includes(name)) continue
    const guess = closest(name, known)
    const hint = guess ? `did you mean "${guess}"? ` : ''
    const message =
      known.length === 0
        ? `unknown ${kind} ${JSON.stringify(name)} (no ${kind}s are declared)`
        : `unknown ${kind} ${JSON.stringify(name)} (${hint}expected one of: ${listNames(known)})`
    ctx.report({ path, message })
  }
}
