/**
 * The store bus on PostgreSQL passes the Bus conformance suite, with LISTEN/NOTIFY wake-ups.
 * One random database per run, emptied before every case.
 */
import { after, describe } from 'node:test'
import { PgWakeSource } from '../../src/bus/store/pg-wake-source.js'
import { StoreBus } from '../../src/bus/store/store-bus.js'
import { openStore } from '../../src/store/open.js'
import { describeBus, type BusHarness } from '../conformance/bus.js'
import { requireService } from '../helpers/services.js'
import { createTestDatabase, type TestDatabase } from '../store/pg-database.js'

describe('store bus on postgres', { skip: await requireService('postgres') }, () => {
  let db: TestDatabase | undefined
  after(async () => {
    await db?.drop()
  })

  describeBus('store bus on postgres', async ({ clock }) => {
    db ??= await createTestDatabase()
    await db.reset()
    const url = db.url
    const open = async () => {
      const store = await openStore(url, { clock })
      const bus = new StoreBus(store, { clock, wakeSource: new PgWakeSource(url) })
      await bus.start()
      return { store, bus }
    }
    const first = await open()
    const h: BusHarness = {
      ...first,
      async reopen() {
        await h.bus.close()
        await h.store.close()
        return open()
      },
      async cleanup() {
        await h.bus.close()
        await h.store.close().catch(() => undefined)
      },
    }
    return h
  })
})
