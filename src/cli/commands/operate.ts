/**
 * Operational commands that read a running node through its admin API:
 * `config show`, `revisions list`, `audit list`, `systems list` (with circuit state),
 * `systems requests NAME`.
 */
import { InvalidArgumentError, type Command } from 'commander'
import { stringify } from 'yaml'
import { adminAction, pathSegment, table } from '../admin-command.js'
import type { CliContext } from '../context.js'

interface Page<T> {
  items: T[]
  next?: number | null
}

interface SystemRow {
  name: string
  owner: string | null
  baseUrls: string[]
  mock: boolean
  circuit: { state: string; retryAfterMs: number; windowRequests: number; windowFailures: number } | null
  targets: Array<{ baseUrl: string; healthy: boolean }>
}

function circuitText(s: SystemRow): string {
  const c = s.circuit
  if (!c) return '-'
  return c.state === 'open' ? `open (retry in ${Math.ceil(c.retryAfterMs / 1000)}s)` : c.state
}

/** Base URLs; one skipped after consecutive failures is marked `(down)`. */
function targetsText(s: SystemRow): string {
  const down = new Set(s.targets.filter((t) => !t.healthy).map((t) => t.baseUrl))
  return s.baseUrls.map((u) => (down.has(u) ? `${u} (down)` : u)).join(', ')
}

function positiveInt(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new InvalidArgumentError('expected an integer from 1 to 1000')
  return n
}

export function registerOperate(program: Command, ctx: CliContext): void {
  const print = (text: string) => ctx.io.out(text)
  const json = (value: unknown) => print(JSON.stringify(value, null, 2) + '\n')

  const config = program.command('config').description('The running configuration')
  adminAction(config.command('show').description('Print the running config (secrets redacted) as YAML'), ctx, async (client, opts) => {
    const res = await client.get<{ file: string; hash: string; config: unknown }>('/v1/config')
    if (opts.json) json(res)
    else print(`# ${res.file} (sha256 ${res.hash.slice(0, 12)})\n` + stringify(res.config))
  })

  const revisions = program.command('revisions').description('Config revisions recorded when a changed config is applied')
  adminAction(
    revisions.command('list').description('List config revisions, newest first').option('--limit <n>', 'how many', positiveInt, 20),
    ctx,
    async (client, opts) => {
      const res = await client.get<Page<{ id: number; hash: string; source: string; actor: string; createdAt: string }>>('/v1/config/revisions', { limit: opts.limit as number })
      if (opts.json) return json(res)
      print(table(['ID', 'CREATED', 'ACTOR', 'HASH', 'SOURCE'], res.items.map((r) => [String(r.id), r.createdAt, r.actor, r.hash.slice(0, 12), r.source])))
    },
  )

  const audit = program.command('audit').description('The audit log')
  adminAction(
    audit
      .command('list')
      .description('List audit entries, newest first')
      .option('--action <action>', 'only this action (e.g. config.applied)')
      .option('--target <target>', 'only this target')
      .option('--before <id>', 'only entries older than this id (paging)', positiveIntAny)
      .option('--limit <n>', 'how many', positiveInt, 50),
    ctx,
    async (client, opts) => {
      const res = await client.get<Page<{ id: number; at: string; actor: string; action: string; target: string | null; details: unknown }>>('/v1/audit', {
        action: opts.action as string | undefined,
        target: opts.target as string | undefined,
        before: opts.before as number | undefined,
        limit: opts.limit as number,
      })
      if (opts.json) return json(res)
      print(table(['ID', 'AT', 'ACTOR', 'ACTION', 'TARGET', 'DETAILS'], res.items.map((e) => [String(e.id), e.at, e.actor, e.action, e.target ?? '-', e.details ? JSON.stringify(e.details) : ''])))
      if (res.next) print(`more: --before ${res.next}\n`)
    },
  )

  const systems = program.command('systems').description('Systems and mock systems')
  adminAction(systems.command('list').description('List systems with their effective base URLs and circuit breaker state'), ctx, async (client, opts) => {
    const res = await client.get<Page<SystemRow>>('/v1/systems')
    if (opts.json) return json(res)
    print(table(['NAME', 'OWNER', 'MOCK', 'CIRCUIT', 'BASE URL'], res.items.map((s) => [s.name, s.owner ?? '-', s.mock ? 'yes' : 'no', circuitText(s), targetsText(s)])))
  })
  adminAction(
    systems.command('requests').description('Show the requests a mock system received, newest first').argument('<system>', 'system name'),
    ctx,
    async (client, opts, name: string) => {
      const res = await client.get<Page<{ at: string; method: string; path: string; status: number; body: unknown }>>(`/v1/systems/${pathSegment(name, 'system')}/mock/requests`)
      if (opts.json) return json(res)
      print(table(['AT', 'METHOD', 'PATH', 'STATUS', 'BODY'], res.items.map((r) => [r.at, r.method, r.path, String(r.status), r.body === null || r.body === undefined ? '' : JSON.stringify(r.body)])))
    },
  )
}

function positiveIntAny(value: string): number {
  const n = Number(value)
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer')
  return n
}
