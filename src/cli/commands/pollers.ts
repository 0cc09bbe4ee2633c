/**
 * `switchboard pollers` (= `pollers list`): every poller with its schedule, next run, last run,
 * consecutive failures and last error; `switchboard pollers show <id>`: one poller in full,
 * cursor included. Read through the admin API (`GET /v1/pollers`).
 */
import type { Command } from 'commander'
import { adminAction, pathSegment, table } from '../admin-command.js'
import type { CliContext } from '../context.js'

interface PollerView {
  id: string
  system: string
  topic: string
  schedule: string
  cursor: unknown
  nextRunAt: string | null
  lastRunAt: string | null
  lastSuccessAt: string | null
  lastItems: number
  runs: number
  consecutiveFailures: number
  lastError: { at: string; code: string | null; message: string | null } | null
  tick: { owner: string; leaseUntil: string } | null
  runningHere: boolean
}

function state(p: PollerView): string {
  if (p.tick !== null) return 'running'
  if (p.runs === 0) return 'never run'
  return p.consecutiveFailures > 0 ? `failing (${p.consecutiveFailures})` : 'ok'
}

function detail(p: PollerView): string {
  const rows: Array<[string, string]> = [
    ['poller', p.id],
    ['reads', `${p.system} (${p.schedule})`],
    ['publishes to', p.topic],
    ['state', state(p)],
    ['cursor', p.cursor === null ? '-' : JSON.stringify(p.cursor)],
    ['next run', p.nextRunAt ?? '-'],
    ['last run', p.lastRunAt === null ? '-' : `${p.lastRunAt} (${p.lastItems} new events)`],
    ['last success', p.lastSuccessAt ?? '-'],
    ['runs', String(p.runs)],
    ['last error', p.lastError === null ? '-' : `${p.lastError.at} ${p.lastError.code ?? ''} ${p.lastError.message ?? ''}`.trimEnd()],
    ['tick in progress', p.tick === null ? '-' : `${p.tick.owner} until ${p.tick.leaseUntil}${p.runningHere ? ' (this node)' : ''}`],
  ]
  const width = Math.max(...rows.map(([k]) => k.length))
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n') + '\n'
}

export function registerPollers(program: Command, ctx: CliContext): void {
  const print = (text: string) => ctx.io.out(text)
  const pollers = program.command('pollers').description('Pollers: cursor, last run, last error and next run')

  adminAction(pollers.command('list', { isDefault: true }).description('List pollers with their state (the default)'), ctx, async (client, opts) => {
    const res = await client.get<{ items: PollerView[] }>('/v1/pollers')
    if (opts.json) return print(JSON.stringify(res, null, 2) + '\n')
    if (res.items.length === 0) return print('no pollers in the config\n')
    print(
      table(
        ['ID', 'SYSTEM', 'SCHEDULE', 'STATE', 'NEXT RUN', 'LAST RUN', 'LAST ERROR'],
        res.items.map((p) => [p.id, p.system, p.schedule, state(p), p.nextRunAt ?? '-', p.lastRunAt ?? '-', p.lastError === null ? '-' : (p.lastError.code ?? 'error')]),
      ),
    )
  })

  adminAction(pollers.command('show').description('Show one poller in full, its cursor included').argument('<id>', 'poller id'), ctx, async (client, opts, id: string) => {
    const res = await client.get<PollerView>(`/v1/pollers/${pathSegment(id, 'poller id')}`)
    print(opts.json ? JSON.stringify(res, null, 2) + '\n' : detail(res))
  })
}
