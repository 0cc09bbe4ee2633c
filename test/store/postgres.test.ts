/**
 * The PostgreSQL store passes the Store conformance suite. One random database per run,
 * emptied before every case (recreating a database per case costs about a second each).
 */
import { after, describe } from 'node:test'
import { openStore } from '../../src/store/open.js'
import { describeStore } from '../conformance/store.js'
import { requireService } from '../helpers/services.js'
import { createTestDatabase, type TestDatabase } from './pg-database.js'

describe('postgres store', { skip: await requireService('postgres') }, () => {
  let db: TestDatabase | undefined
  after(async () => {
    await db?.drop()
  })

  describeStore('postgres', async ({ clock }) => {
    db ??= await createTestDatabase()
    await db.reset()
    const url = db.url
    const store = await openStore(url, { clock })
    return { store, reopen: () => openStore(url, { clock }), cleanup: () => store.close() }
  })
})
