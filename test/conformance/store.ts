/**
 * The Store conformance suite: every Store implementation must pass it. Each backend's test
 * file is one call to {@link describeStore}; every case gets a fresh, migrated store and is
 * named after the guarantee it proves.
 */
import { afterEach, beforeEach, describe } from 'node:test'
import { ManualClock, type Clock } from '../../src/core/clock.js'
import type { Store } from '../../src/store/contract.js'
import { consumerCases } from './store/consumers.js'
import type { StoreContext, StoreHarness } from './store/context.js'
import { keyCases } from './store/api-keys.js'
import { lifecycleCases } from './store/lifecycle.js'
import { recordCases } from './store/records.js'
import { counterCases } from './store/counters.js'
import { transactionCases } from './store/transactions.js'
import { eventCases } from './store/events.js'
import { pollerCases } from './store-pollers.js'

export type { StoreHarness } from './store/context.js'

/**
 * @param factory opens a fresh, empty (unmigrated) store using `clock` for the timestamps it
 *   sets itself; `reopen` (when the backend can) opens a second Store on the same database.
 */
export function describeStore(name: string, factory: (opts: { clock: Clock }) => Promise<StoreHarness>): void {
  describe(`Store conformance: ${name}`, () => {
    let harness: StoreHarness | undefined
    let clock = new ManualClock()

    beforeEach(async () => {
      clock = new ManualClock()
      harness = await factory({ clock })
      await harness.store.migrate()
    })

    afterEach(async () => {
      await harness?.cleanup()
      harness = undefined
    })

    const ctx: StoreContext = {
      get store(): Store {
        if (!harness) throw new Error('no store: used outside a test')
        return harness.store
      },
      get harness(): StoreHarness {
        if (!harness) throw new Error('no store: used outside a test')
        return harness
      },
      get clock(): ManualClock {
        return clock
      },
    }

    describe('lifecycle', () => lifecycleCases(ctx))
    describe('transactions', () => transactionCases(ctx))
    describe('consumers', () => consumerCases(ctx))
    describe('api keys', () => keyCases(ctx))
    describe('revisions and audit', () => recordCases(ctx))
    describe('settings and quotas', () => counterCases(ctx))
    describe('events and deliveries', () => eventCases(ctx))
    describe('pollers', () => pollerCases(ctx))
  })
}
