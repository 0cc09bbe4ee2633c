/**
 * `switchboard deliveries list|show`: the delivery history of a running node (every event
 * through every flow), through the admin API.
 */
import { InvalidArgumentError, Option, type Command } from 'commander'
import { DELIVERY_STATUSES } from '../../store/contract.js'
import { adminAction, pathSegment } from '../admin-command.js'
import type { CliContext } from '../context.js'
import { deliveryDetail, deliveryTable, type DeliveryDetail, type DeliveryPage } from '../delivery-format.js'

/** `--limit`: 1 to 1000. */
export function pageSize(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new InvalidArgumentError('expected an integer from 1 to 1000')
  return n
}

/** `--before`: a positive integer (the `seq` printed as `more: --before N`). */
export function beforeSeq(value: string): number {
  const n = Number(value)
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer')
  return n
}

export function registerDeliveries(program: Command, ctx: CliContext): void {
  const print = (text: string) => ctx.io.out(text)
  const json = (value: unknown) => print(JSON.stringify(value, null, 2) + '\n')

  const deliveries = program.command('deliveries').description('Delivery history: each event on its way through each flow')
  adminAction(
    deliveries
      .command('list')
      .description('List deliveries, newest first')
      .option('--flow <id>', 'only this flow')
      .addOption(new Option('--status <status>', 'only this status').choices([...DELIVERY_STATUSES]))
      .option('--system <name>', 'only deliveries to this system')
      .option('--event <id>', 'only the deliveries of this event')
      .option('--before <seq>', 'only older ones (paging: the value printed as `more:`)', beforeSeq)
      .option('--limit <n>', 'how many', pageSize, 20),
    ctx,
    async (client, opts) => {
      const res = await client.get<DeliveryPage>('/v1/deliveries', {
        flow: opts.flow as string | undefined,
        status: opts.status as string | undefined,
        system: opts.system as string | undefined,
        event: opts.event as string | undefined,
        before: opts.before as number | undefined,
        limit: opts.limit as number,
      })
      if (opts.json) return json(res)
      print(deliveryTable(res))
    },
  )
  adminAction(
    deliveries.command('show').description('Show one delivery: its event, the request sent and every attempt').argument('<id>', 'delivery id'),
    ctx,
    async (client, opts, id: string) => {
      const res = await client.get<DeliveryDetail>(`/v1/deliveries/${pathSegment(id, 'delivery id')}`)
      if (opts.json) return json(res)
      print(deliveryDetail(res))
    },
  )
}
