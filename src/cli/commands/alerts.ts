/**
 * `switchboard alerts` (= `alerts list`): every alert rule with its state and firing instances;
 * `switchboard alerts history`: the firing/resolved transitions, newest first.
 */
import { InvalidArgumentError, type Command } from 'commander'
import { formatDuration } from '../../core/duration.js'
import { adminAction, table } from '../admin-command.js'
import type { CliContext } from '../context.js'

interface Instance {
  key: string
  subject: { kind: string; name: string }
  state: string
  activeSince: string
  firingSince: string | null
  summary: string
}

interface Rule {
  id: string
  severity: string
  condition: string
  forMs: number
  channels: string[]
  state: string
  instances: Instance[]
}

interface Evaluation {
  election: 'single' | 'lease'
  evaluating: boolean
  intervalMs: number
  lastEvaluatedAt: string | null
  lastError: string | null
}

interface HistoryEntry {
  id: number
  at: string
  alert: string
  subject: { kind: string; name: string }
  status: string
  summary: string
}

function count(value: string): number {
  const v = Number(value)
  if (!Number.isInteger(v) || v < 1 || v > 1000) throw new InvalidArgumentError('expected an integer from 1 to 1000')
  return v
}

function positive(value: string): number {
  const v = Number(value)
  if (!Number.isSafeInteger(v) || v < 1) throw new InvalidArgumentError('expected a positive integer')
  return v
}

function evaluationLine(e: Evaluation | null): string {
  if (e === null) return 'alert evaluation: not running on this node\n'
  const who = e.election === 'single' ? 'this node' : e.evaluating ? 'this node (holds the lease)' : 'another node (this one does not hold the lease)'
  const last = e.lastEvaluatedAt === null ? 'not yet' : e.lastEvaluatedAt
  return `alert evaluation: every ${formatDuration(e.intervalMs)} by ${who}; last ${last}${e.lastError ? `; last error: ${e.lastError}` : ''}\n`
}

function instancesText(r: Rule): string {
  const firing = r.instances.filter((i) => i.state !== 'pending').length
  const pending = r.instances.length - firing
  return [firing ? `${firing} firing` : '', pending ? `${pending} pending` : ''].filter(Boolean).join(', ') || '-'
}

export function registerAlerts(program: Command, ctx: CliContext): void {
  const print = (text: string) => ctx.io.out(text)
  const alerts = program.command('alerts').description('Alert rules, their state and history')

  adminAction(alerts.command('list', { isDefault: true }).description('List alert rules with their state; firing and pending instances below (the default)'), ctx, async (client, opts) => {
    const res = await client.get<{ evaluation: Evaluation | null; items: Rule[] }>('/v1/alerts')
    if (opts.json) return print(JSON.stringify(res, null, 2) + '\n')
    print(evaluationLine(res.evaluation))
    if (res.items.length === 0) return print('no alert rules in the config\n')
    print(table(['ID', 'STATE', 'SEVERITY', 'CONDITION', 'FOR', 'INSTANCES', 'CHANNELS'], res.items.map((r) => [r.id, r.state, r.severity, r.condition, r.forMs === 0 ? '-' : formatDuration(r.forMs), instancesText(r), r.channels.join(',')])))
    const active = res.items.flatMap((r) => r.instances)
    if (active.length > 0) {
      print('\n' + table(['INSTANCE', 'STATE', 'SINCE', 'SUMMARY'], active.map((i) => [i.key, i.state, i.firingSince ?? i.activeSince, i.summary])))
    }
  })

  adminAction(
    alerts
      .command('history')
      .description('List alert transitions (firing, resolved), newest first')
      .option('--alert <id>', 'only this alert')
      .option('--before <id>', 'only entries older than this id (paging)', positive)
      .option('--limit <n>', 'how many', count, 50),
    ctx,
    async (client, opts) => {
      const res = await client.get<{ items: HistoryEntry[]; next: number | null }>('/v1/alerts/history', {
        alert: opts.alert as string | undefined,
        before: opts.before as number | undefined,
        limit: opts.limit as number,
      })
      if (opts.json) return print(JSON.stringify(res, null, 2) + '\n')
      print(table(['ID', 'AT', 'ALERT', 'SUBJECT', 'STATUS', 'SUMMARY'], res.items.map((e) => [String(e.id), e.at, e.alert, `${e.subject.kind} ${e.subject.name}`, e.status, e.summary])))
      if (res.next !== null) print(`more: --before ${res.next}\n`)
    },
  )
}
