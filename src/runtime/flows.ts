/**
 * Starts the event-flows service of a node from its config, with the node's role deciding what
 * runs: every role publishes (gateway publish routes, the admin API), `all` and `worker` also
 * deliver (the worker and retention), a `gateway` node only accepts events and leaves delivery
 * to worker nodes on the same store.
 */
import type { LoadedConfig } from '../config/load.js'
import { durationMs } from '../core/duration.js'
import { FlowsService } from '../flows/service.js'
import type { Logger } from '../observe/logger.js'
import type { Store } from '../store/contract.js'
import type { Systems } from '../systems/index.js'

export interface StartFlowsOptions {
  /** The node's role (`all`, `gateway` or `worker`). */
  role: string
  loaded: LoadedConfig
  store: Store
  systems: Systems
  logger: Logger
}

/** Whether a node of this role runs the delivery worker. */
export function deliversOn(role: string): boolean {
  return role !== 'gateway'
}

/**
 * Compiles the topics and flows (a bad expression, target or schema fails the start with
 * SB_ERR_CONFIG_INVALID naming the field) and starts the service. Stop it with
 * `service.stop(graceMs)` before the systems and the store are closed.
 */
export function startFlows(o: StartFlowsOptions): Promise<FlowsService> {
  const config = o.loaded.config
  const deliver = deliversOn(o.role)
  const storeUrl = config.store?.startsWith('postgres') ? config.store : undefined
  return FlowsService.start({
    store: o.store,
    config: o.loaded,
    systems: o.systems,
    busSpec: config.bus,
    ...(storeUrl ? { storeUrl } : {}),
    logger: o.logger.child({ component: 'flows' }),
    redact: config.log?.redact ?? [],
    deliver,
    // Pollers are background work too; on a shared store their ticks are leased, so every
    // worker node may run them and each tick still fires once.
    pollers: deliver,
    // Pruning is background work: it runs where deliveries are worked, not on gateway-only nodes.
    ...(config.retention?.events === undefined ? {} : { retentionMs: durationMs(config.retention.events) }),
    retentionIntervalMs: deliver ? durationMs(config.retention?.interval ?? '10m') : 0,
  })
}
