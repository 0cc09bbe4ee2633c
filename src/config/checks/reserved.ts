/**
 * Topics, flows and systems may not be named under the reserved prefix (`switchboard.`): those
 * names belong to Switchboard's own delivery paths (alert channels), which would otherwise
 * collide with, or be hijacked by, a user's declaration.
 */
import { isReservedName, RESERVED_PREFIX } from '../reserved.js'
import { entries, rec, type CheckContext } from './context.js'

const why = (kind: string, name: string) =>
  `${kind} name "${name}" is reserved: names starting with "${RESERVED_PREFIX}" belong to Switchboard's own topics, flows and systems (alert channel delivery); choose another name`

export function checkReservedNames(ctx: CheckContext): void {
  for (const [block, kind] of [['topics', 'topic'], ['systems', 'system']] as const) {
    for (const name of Object.keys(rec(ctx.config[block]))) {
      if (isReservedName(name)) ctx.report({ path: [block, name], at: 'key', message: why(kind, name) })
    }
  }
  for (const [i, flow] of entries(ctx, 'flows')) {
    if (typeof flow.id === 'string' && isReservedName(flow.id)) ctx.report({ path: ['flows', i, 'id'], message: why('flow', flow.id) })
  }
}
