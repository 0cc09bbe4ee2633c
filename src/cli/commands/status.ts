/**
 * `switchboard status`: the node's health summary (`GET /v1/health`) for people, with an exit
 * code for scripts: 0 ok, 3 degraded, 4 failing — and, as for every command, 1 when the status
 * could not be read (API error, node unreachable) and 2 for a usage error.
 */
import type { Command } from 'commander'
import { formatDuration } from '../../core/duration.js'
import type { HealthStatus, HealthSummary } from '../../observe/health-types.js'
import { adminAction, table } from '../admin-command.js'
import type { CliContext } from '../context.js'

/** Exit codes of `status`, beyond the CLI's 0 / 1 / 2. */
export const STATUS_EXIT: Readonly<Record<HealthStatus, number>> = { ok: 0, degraded: 3, failing: 4 }

const pct = (r: number | null): string => (r === null ? '-' : `${+(r * 100).toFixed(1)}%`)
const ms = (v: number | null): string => (v === null ? '-' : formatDuration(Math.round(v)))
const n = (v: number | null): string => (v === null ? '-' : String(v))

/** The summary as text: the verdict and its reasons, then one table per kind of entity. */
export function renderStatus(h: HealthSummary): string {
  const out: string[] = [`status: ${h.status.toUpperCase()} (last ${formatDuration(h.windowMs)}, at ${h.at})\n`]
  if (h.reasons.length > 0) out.push(h.reasons.map((r) => `  - ${r}\n`).join(''))
  const section = (title: string, headers: readonly string[], rows: string[][]) => {
    if (rows.length > 0) out.push(`\n${title}\n${table(headers, rows)}`)
  }
  section(
    'SYSTEMS',
    ['NAME', 'STATUS', 'CIRCUIT', 'CALLS', 'FAILURES', 'SUCCESS', 'P95', 'LAST ERROR'],
    h.systems.map((s) => [s.system, s.status, s.circuit, String(s.calls), String(s.failures), pct(s.successRate), ms(s.p95Ms), s.lastError ? `${s.lastError.code} at ${s.lastError.at}` : '-']),
  )
  section(
    'ROUTES',
    ['NAME', 'STATUS', 'REQUESTS', '5XX', 'ERROR RATE', 'P95'],
    h.routes.map((r) => [r.route, r.status, String(r.requests), String(r.errors), pct(r.errorRate), ms(r.p95Ms)]),
  )
  section(
    'FLOWS',
    ['NAME', 'STATUS', 'DELIVERED', 'FAILED', 'DEAD', 'PENDING', 'OLDEST', 'DLQ'],
    h.flows.map((f) => [f.flow, f.status, String(f.delivered), String(f.failed), String(f.dead), n(f.pending), ms(f.oldestPendingAgeMs), n(f.dlqDepth)]),
  )
  section(
    'POLLERS',
    ['NAME', 'STATUS', 'RUNS', 'FAILURES', 'IN A ROW', 'LAST OK', 'LAST ERROR'],
    h.pollers.map((p) => [p.poller, p.status, String(p.runs), String(p.failures), String(p.consecutiveFailures), p.lastOkAt ?? '-', p.lastError ? p.lastError.code : '-']),
  )
  return out.join('')
}

export function registerStatus(program: Command, ctx: CliContext): void {
  adminAction(
    program
      .command('status')
      .description(
        'Health of a running node: systems, routes, flows and pollers, judged ok / degraded / failing, with the reasons. ' +
          'Exit code: 0 ok, 3 degraded, 4 failing (1 when the status cannot be read)',
      ),
    ctx,
    async (client, opts) => {
      const h = await client.get<HealthSummary>('/v1/health')
      ctx.io.out(opts.json ? JSON.stringify(h, null, 2) + '\n' : renderStatus(h))
      return STATUS_EXIT[h.status] ?? STATUS_EXIT.failing
    },
  )
}
