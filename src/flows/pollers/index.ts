/**
 * Pollers: read systems that have no webhooks on a schedule and publish what changed. See
 * docs/reference/pollers.md for the semantics, tick.ts for one tick, service.ts for scheduling.
 */
import { PollerService, type PollerServiceOptions } from './service.js'

export { PollerService, type PollerServiceOptions, type PollerStatus } from './service.js'
export type { PollResult, PollerPublisher, PollerLogger } from './tick.js'
export type { PollClient, PollerSystems } from './fetch.js'
export { compilePollers, type CompiledPoller } from './compile.js'

/**
 * Compile the config's pollers (throws SB_ERR_CONFIG_INVALID naming the field) and start their
 * schedules. The store must be migrated. `stop()` before closing the publisher and the store.
 */
export function startPollers(options: PollerServiceOptions): PollerService {
  return new PollerService(options)
}
