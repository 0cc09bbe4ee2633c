/**
 * Every migration this build knows, in order. To add one: create `00N_<name>.ts` exporting a
 * {@link Migration} with the next id and SQL for both dialects, then append it here.
 * Never edit or reorder a released entry (the ledger's checksums would reject the database).
 */
import { foundation } from './001_foundation.js'
import { eventFlows } from './002_event_flows.js'
import { alerts } from './003_alerts.js'
import { pollers } from './004_pollers.js'
import type { Migration } from './migration.js'
import { assertWellFormed } from './plan.js'

export const MIGRATIONS: readonly Migration[] = [foundation, eventFlows, alerts, pollers]

assertWellFormed(MIGRATIONS)

export type { Dialect, LedgerRow, Migration } from './migration.js'
export { checksum } from './migration.js'
