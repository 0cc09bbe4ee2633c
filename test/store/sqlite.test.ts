/** The SQLite store passes the Store conformance suite: on a temp file, and in memory. */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openStore } from '../../src/store/open.js'
import { describeStore } from '../conformance/store.js'
import { describeStoreAlerts } from '../conformance/store-alerts.js'
import type { Clock } from '../../src/core/clock.js'

const sqliteFile = async ({ clock }: { clock: Clock }) => {
  const dir = await mkdtemp(join(tmpdir(), 'sb-store-'))
  const url = `sqlite:${join(dir, 'nested', 'switchboard.db')}` // parent created on open
  const store = await openStore(url, { clock })
  return {
    store,
    reopen: () => openStore(url, { clock }),
    async cleanup() {
      await store.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}
describeStore('sqlite file', sqliteFile)
describeStoreAlerts('sqlite file', sqliteFile)

describeStore('sqlite memory', async ({ clock }) => {
  const store = await openStore('sqlite::memory:', { clock })
  return { store, cleanup: () => store.close() }
})
