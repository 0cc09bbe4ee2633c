/**
 * `switchboard dlq list|show|replay|discard`: the dead-letter queue of a running node, through
 * the admin API. Replay and discard take delivery ids, or a filter (`--flow`, `--system`,
 * `--error`, `--since`), or `--all`; never an empty selection by accident.
 */
import { InvalidArgumentError, type Command } from 'commander'
import { parseDuration } from '../../core/duration.js'
import { adminAction, pathSegment } from '../admin-command.js'
import type { CliContext } from '../context.js'
import { deliveryDetail, deliveryTable, type DeliveryDetail, type DeliveryPage } from '../delivery-format.js'
import { UsageError } from '../io.js'
import { beforeSeq, pageSize } from './deliveries.js'

interface Report {
  matched: number
  changed: number
}

const DEFAULT_RATE = 50
const DEFAULT_LIMIT = 1000

function duration(value: string): number {
  const ms = parseDuration(value)
  if (ms === undefined || ms === 0) throw new InvalidArgumentError('expected a duration like 30m, 2h or 1d')
  return ms
}

function bounded(max: number) {
  return (value: string): number => {
    const n = Number(value)
    if (!Number.isInteger(n) || n < 1 || n > max) throw new InvalidArgumentError(`expected an integer from 1 to ${max}`)
    return n
  }
}

/** Adds the filter options shared by list, replay and discard. */
function withFilters(cmd: Command): Command {
  return cmd
    .option('--flow <id>', 'only dead deliveries of this flow')
    .option('--system <name>', 'only dead deliveries to this system')
    .option('--error <code>', 'only those whose last error has this code (e.g. SB_ERR_FLOW_TARGET_STATUS)')
    .option('--since <duration>', 'only those that died within this long (e.g. 1h)', duration)
}

/** The admin API's filter from the options (undefined fields left out). */
function filterOf(opts: Record<string, unknown>): Record<string, string> {
  const f: Record<string, string> = {}
  if (typeof opts.flow === 'string') f.flow = opts.flow
  if (typeof opts.system === 'string') f.system = opts.system
  if (typeof opts.error === 'string') f.error = opts.error
  if (typeof opts.since === 'number') f.from = new Date(Date.now() - opts.since).toISOString()
  return f
}

/** `{ ids }` or `{ filter }`, refusing an ambiguous or empty selection. */
function selectionOf(ids: string[], opts: Record<string, unknown>): { ids: string[] } | { filter: Record<string, string> } {
  const filter = filterOf(opts)
  const filtered = Object.keys(filter).length > 0
  if (ids.length > 0) {
    if (filtered || opts.all) throw new UsageError('give delivery ids or a filter (--flow, --system, --error, --since, --all), not both')
    for (const id of ids) pathSegment(id, 'delivery id')
    return { ids }
  }
  if (!filtered && !opts.all) throw new UsageError('give delivery ids, a filter (--flow, --system, --error, --since), or --all for every dead delivery')
  return { filter }
}

export function registerDlq(program: Command, ctx: CliContext): void {
  const print = (text: string) => ctx.io.out(text)
  const json = (value: unknown) => print(JSON.stringify(value, null, 2) + '\n')

  const dlq = program.command('dlq').description('The dead-letter queue: deliveries that failed for good, to inspect, replay or discard')
  adminAction(
    withFilters(dlq.command('list').description('List dead deliveries, newest first'))
      .option('--before <seq>', 'only older ones (paging: the value printed as `more:`)', beforeSeq)
      .option('--limit <n>', 'how many', pageSize, 20),
    ctx,
    async (client, opts) => {
      const res = await client.get<DeliveryPage>('/v1/dlq', { ...filterOf(opts), before: opts.before as number | undefined, limit: opts.limit as number })
      if (opts.json) return json(res)
      print(deliveryTable(res))
    },
  )
  adminAction(
    dlq.command('show').description('Show a dead delivery: why it died, the request sent, every attempt and the event').argument('<id>', 'delivery id (see `dlq list`)'),
    ctx,
    async (client, opts, id: string) => {
      const res = await client.get<DeliveryDetail>(`/v1/dlq/${pathSegment(id, 'delivery id')}`)
      if (opts.json) return json(res)
      print(deliveryDetail(res))
    },
  )
  adminAction(
    withFilters(dlq.command('replay').description('Put dead deliveries back in the queue with a fresh retry schedule (paced, so live traffic keeps flowing)'))
      .argument('[ids...]', 'delivery ids (or use a filter)')
      .option('--all', 'every dead delivery')
      .option('--rate <n>', 'deliveries put back per second', bounded(1000), DEFAULT_RATE)
      .option('--limit <n>', 'at most this many', bounded(10_000), DEFAULT_LIMIT),
    ctx,
    async (client, opts, ids: string[]) => {
      const rate = opts.rate as number
      const limit = opts.limit as number
      // The call answers when the paced replay is done: wait as long as it may take, plus margin.
      const timeoutMs = Math.ceil((Math.min(limit, ids.length || limit) / rate) * 1000) + 15_000
      const res = await client.post<Report>('/v1/dlq/replay', { ...selectionOf(ids, opts), limit, ratePerSecond: rate }, { timeoutMs })
      if (opts.json) return json(res)
      print(`replayed ${res.changed} of ${res.matched} dead deliver${res.matched === 1 ? 'y' : 'ies'}\n`)
    },
  )
  adminAction(
    withFilters(dlq.command('discard').description('Remove dead deliveries from the queue (kept in the delivery history)'))
      .argument('[ids...]', 'delivery ids (or use a filter)')
      .option('--all', 'every dead delivery')
      .option('--limit <n>', 'at most this many', bounded(10_000), DEFAULT_LIMIT),
    ctx,
    async (client, opts, ids: string[]) => {
      const res = await client.post<Report>('/v1/dlq/discard', { ...selectionOf(ids, opts), limit: opts.limit as number })
      if (opts.json) return json(res)
      print(`discarded ${res.changed} of ${res.matched} dead deliver${res.matched === 1 ? 'y' : 'ies'}\n`)
    },
  )
}
