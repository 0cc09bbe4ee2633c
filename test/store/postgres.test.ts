/** The PostgreSQL store passes the Store conformance suite, each case on a fresh database. */
import { describe } from 'node:test'
import { openStore } from '../../src/store/open.js'
import { describeStore } from '../conformance/store.js'
import { requireService } from '../helpers/services.js'
import { createTestDatabase } from './pg-database.js'

describe('postgres store', { skip: await requireService('postgres') }, () => {
  describeStore('postgres', async ({ clock }) => {
    const db = await createTestDatabase()
    const store = await openStore(db.url, { clock })
    return {
      store,
      reopen: () => openStore(db.url, { clock }),
      async cleanup() {
        await store.close()
        await db.drop()
      },
    }
  })
})
