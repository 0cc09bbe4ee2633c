/**
 * `switchboard keys create|list|revoke` and `switchboard consumers list`: consumer API keys
 * through the admin API. A created key is printed once, alone on stdout (so
 * `KEY=$(switchboard keys create acme)` works); everything else about it goes to stderr.
 */
import type { Command } from 'commander'
import { adminAction, pathSegment, table } from '../admin-command.js'
import type { CliContext } from '../context.js'

interface Created {
  id: string
  key: string
  prefix: string
  consumer: string
}

interface KeyRow {
  id: string
  consumer: string
  prefix: string
  label: string | null
  status: 'active' | 'revoked'
  createdAt: string
  revokedAt: string | null
  lastUsedAt: string | null
}

interface ConsumerRow {
  name: string
  source: string
  scopes: string[]
  owner: string | null
  quota: { limit: number; per: string } | null
  keys: { active: number; revoked: number }
}

export function registerKeys(program: Command, ctx: CliContext): void {
  const out = (text: string) => ctx.io.out(text)
  const json = (value: unknown) => out(JSON.stringify(value, null, 2) + '\n')

  const keys = program.command('keys').description('Consumer API keys (stored hashed; a key is shown only when it is created)')
  adminAction(
    keys
      .command('create')
      .description('Create an API key for a consumer and print it (the only time it can be seen)')
      .argument('<consumer>', 'consumer name (see `consumers list`)')
      .option('--label <label>', 'what the key is for, shown in listings'),
    ctx,
    async (client, opts, consumer: string) => {
      const label = opts.label as string | undefined
      const created = await client.post<Created>(`/v1/consumers/${pathSegment(consumer, 'consumer')}/keys`, label === undefined ? {} : { label })
      if (opts.json) json(created)
      else out(`${created.key}\n`)
      ctx.io.err(
        `created API key ${created.id} (prefix ${created.prefix}) for consumer ${created.consumer}\n` +
          'warning: this is the only time the key is shown: it cannot be shown again (only its hash is stored). Store it now.\n' +
          `revoke it with: switchboard keys revoke ${created.id}\n`,
      )
    },
  )

  adminAction(
    keys.command('list').description('List API keys (prefixes, never the keys), newest first').option('--consumer <name>', 'only the keys of this consumer'),
    ctx,
    async (client, opts) => {
      const res = await client.get<{ items: KeyRow[] }>('/v1/keys', { consumer: opts.consumer as string | undefined })
      if (opts.json) return json(res)
      out(
        table(
          ['ID', 'CONSUMER', 'PREFIX', 'LABEL', 'STATUS', 'CREATED', 'LAST USED'],
          res.items.map((k) => [k.id, k.consumer, k.prefix, k.label ?? '-', k.status, k.createdAt, k.lastUsedAt ?? '-']),
        ),
      )
    },
  )

  adminAction(
    keys.command('revoke').description('Revoke an API key; running gateways refuse it within about a second').argument('<id>', 'key id (see `keys list`)'),
    ctx,
    async (client, opts, id: string) => {
      await client.delete(`/v1/keys/${pathSegment(id, 'key id')}`)
      if (opts.json) json({ id, revoked: true })
      else out(`revoked API key ${id}\n`)
    },
  )

  const consumers = program.command('consumers').description('Gateway consumers')
  adminAction(consumers.command('list').description('List consumers with their scopes, quota and key counts'), ctx, async (client, opts) => {
    const res = await client.get<{ items: ConsumerRow[] }>('/v1/consumers')
    if (opts.json) return json(res)
    out(
      table(
        ['NAME', 'SOURCE', 'SCOPES', 'QUOTA', 'KEYS', 'OWNER'],
        res.items.map((c) => [
          c.name,
          c.source,
          c.scopes.join(',') || '-',
          c.quota ? `${c.quota.limit}/${c.quota.per}` : '-',
          `${c.keys.active} active${c.keys.revoked ? `, ${c.keys.revoked} revoked` : ''}`,
          c.owner ?? '-',
        ]),
      ),
    )
  })
}
