/**
 * The PostgreSQL store passes the Store conformance suite. One random database per run,
 * emptied before every case (recreating a database per case costs about a second each).
 */
import { after, describe } from 'node:test'
import { openStore } from '../../src/store/open.js'
import { describeStore } from '../conformance/store.js'
import { describeStoreAlerts } from '../conformance/store-alerts.js'
import type { Clock } from '../../src/core/clock.js'
import { requireService } from '../helpers/services.js'
import { createTestDatabase, type TestDatabase } from './pg-database.js'

describe('postgres store', { skip: await requireService('postgres') }, () => {
  let db: TestDatabase | undefined
  after(async () => {
    await db?.drop()
  })

  const postgres = async ({ clock }: { clock: Clock }) => {
    db ??= await createTestDatabase()
    await db.reset()
    const url = db.url
    const store = await openStore(url, { clock })
    return { store, reopen: () => openStore(url, { clock }), cleanup: () => store.close() }
  }
  describeStore('postgres', postgres)
  describeStoreAlerts('postgres', postgres)
})
