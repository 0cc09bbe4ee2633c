/**
 * Opens the bus the config names (`bus:`). `store` (the default): deliveries ride in the store;
 * on PostgreSQL a LISTEN connection brings wake-ups from other nodes. `nats://…` is reserved for
 * a JetStream bus (see the mapping in contract.ts) and refused until one exists.
 */
import { systemClock, type Clock } from '../core/clock.js'
import { SwitchboardError } from '../core/errors.js'
import type { Store } from '../store/contract.js'
import type { Bus } from './contract.js'
import { PgWakeSource } from './store/pg-wake-source.js'
import { StoreBus } from './store/store-bus.js'

export interface OpenBusOptions {
  clock?: Clock
  /** The store's connection string: a PostgreSQL store needs it for LISTEN (its description has no password). */
  storeUrl?: string
  /** Errors of the background LISTEN connection (for logs). */
  onError?: (err: unknown) => void
}

export async function openBus(spec: string | undefined, store: Store, options: OpenBusOptions = {}): Promise<Bus> {
  const kind = spec ?? 'store'
  if (kind === 'store') {
    const wakeSource =
      store.kind === 'postgres' && options.storeUrl !== undefined ? new PgWakeSource(options.storeUrl, { onError: options.onError }) : undefined
    const bus = new StoreBus(store, { clock: options.clock ?? systemClock, wakeSource })
    await bus.start()
    return bus
  }
  if (kind.startsWith('nats://')) {
    throw new SwitchboardError('SB_ERR_CONFIG_INVALID', 'bus: a NATS JetStream bus is not available in this build; use `bus: store`')
  }
  throw new SwitchboardError('SB_ERR_CONFIG_INVALID', `bus: expected \`store\` or a nats:// URL, got ${JSON.stringify(kind)}`)
}
