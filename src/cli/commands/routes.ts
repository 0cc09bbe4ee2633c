/** `switchboard routes list`: the gateway routes of the running config. */
import type { Command } from 'commander'
import { adminAction, table } from '../admin-command.js'
import type { CliContext } from '../context.js'

interface RouteRow {
  id: string
  method: string
  path: string
  version: string | null
  auth: string[]
  scopes: string[]
  target: { type: 'proxy'; system: string; method: string; path: string } | { type: 'publish'; topic: string }
  deprecated: { since: string | null; sunset: string | null; successor: string | null } | null
}

function deprecation(d: RouteRow['deprecated']): string {
  if (d === null) return '-'
  const parts = [d.sunset ? `sunset ${d.sunset}` : '', d.successor ? `→ ${d.successor}` : ''].filter(Boolean)
  return parts.length ? parts.join(' ') : 'yes'
}

export function registerRoutes(program: Command, ctx: CliContext): void {
  const routes = program.command('routes').description('Gateway routes')
  adminAction(routes.command('list').description('List gateway routes: auth, scopes, target and deprecation'), ctx, async (client, opts) => {
    const res = await client.get<{ items: RouteRow[] }>('/v1/routes')
    if (opts.json) return ctx.io.out(JSON.stringify(res, null, 2) + '\n')
    ctx.io.out(
      table(
        ['ID', 'METHOD', 'PATH', 'VERSION', 'AUTH', 'SCOPES', 'TARGET', 'DEPRECATED'],
        res.items.map((r) => [
          r.id,
          r.method,
          r.path,
          r.version ?? '-',
          r.auth.join(','),
          r.scopes.join(',') || '-',
          r.target.type === 'proxy' ? `${r.target.system} ${r.target.method} ${r.target.path}` : `topic ${r.target.topic}`,
          deprecation(r.deprecated),
        ]),
      ),
    )
  })
}
