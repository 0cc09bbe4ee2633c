/** The store bus on SQLite passes the Bus conformance suite: on a file (restartable) and in memory. */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { StoreBus } from '../../src/bus/store/store-bus.js'
import { openStore } from '../../src/store/open.js'
import { describeBus, type BusHarness } from '../conformance/bus.js'

describeBus('store bus on sqlite file', async ({ clock }) => {
  const dir = await mkdtemp(join(tmpdir(), 'sb-bus-'))
  const url = `sqlite:${join(dir, 'switchboard.db')}`
  const store = await openStore(url, { clock })
  const h: BusHarness = {
    store,
    bus: new StoreBus(store, { clock }),
    async reopen() {
      await h.bus.close()
      await h.store.close()
      const reopened = await openStore(url, { clock })
      return { store: reopened, bus: new StoreBus(reopened, { clock }) }
    },
    async cleanup() {
      await h.bus.close()
      await h.store.close().catch(() => undefined)
      await rm(dir, { recursive: true, force: true })
    },
  }
  return h
})

describeBus('store bus on sqlite memory', async ({ clock }) => {
  const store = await openStore('sqlite::memory:', { clock })
  const bus = new StoreBus(store, { clock })
  return { store, bus, cleanup: async () => (await bus.close(), await store.close()) }
})
