/**
 * Pollers against a real loopback HTTP system: a contacts API that pages with a cursor
 * (`GET /contacts?after=<seq>&limit=<n>` → `{ data: [...], next: <last seq> }`), a store, a
 * publisher with one subscribed flow, and a PollerService that only runs when told
 * (`runOnce`), on a manual clock.
 */
import { StoreBus } from '../../src/bus/store/store-bus.js'
import type { PollerConfig } from '../../src/config/spec/poller.js'
import { ManualClock } from '../../src/core/clock.js'
import { compileFlowSet } from '../../src/flows/flow-set.js'
import { startPollers, type PollerService, type PollerServiceOptions } from '../../src/flows/pollers/index.js'
import { Publisher } from '../../src/flows/publisher.js'
import type { EventRecord, PollerStateRecord, Store } from '../../src/store/contract.js'
import { openStore } from '../../src/store/open.js'
import { Systems } from '../../src/systems/registry.js'
import { startSink, type Sink, type SinkAnswer, type SinkRequest } from './helpers/sink.js'

export interface Contact {
  id: string
  seq: number
  email?: unknown
  name?: string
}

export const TOPIC = 'contact.changed'
export const CONTACT_SCHEMA = { type: 'object', required: ['id', 'email'], properties: { id: { type: 'string' }, email: { type: 'string' } } }

/** The poller most tests use: one page of 2 per tick, cursor = the last seq read. */
export function contactsPoller(over: Partial<PollerConfig> = {}): PollerConfig {
  return {
    id: 'crm-contacts',
    system: 'crm',
    every: '10s',
    get: '/contacts',
    query: { after: '{cursor}', limit: '2' },
    items: 'data',
    itemId: 'id',
    cursor: 'next',
    maxPages: 1,
    publish: { topic: TOPIC, key: 'email' },
    ...over,
  }
}

/** The contacts API; `override` may answer a request itself (errors, hostile bodies). */
export function contactsHandler(contacts: Contact[], override?: (req: SinkRequest, index: number) => SinkAnswer | undefined) {
  return (req: SinkRequest, index: number): SinkAnswer => {
    const forced = override?.(req, index)
    if (forced) return forced
    const url = new URL(req.path, 'http://x')
    if (url.pathname !== '/contacts') return { status: 404, body: '{}' }
    const after = Number(url.searchParams.get('after') ?? '0')
    const limit = Number(url.searchParams.get('limit') ?? '100')
    const data = contacts.filter((c) => c.seq > after).slice(0, limit)
    // Like many APIs: `next: null` at the end.
    return { status: 200, body: JSON.stringify({ data, next: data.at(-1)?.seq ?? null }) }
  }
}

export interface PollerFixture {
  api: Sink
  store: Store
  clock: ManualClock
  publisher: Publisher
  pollers: PollerService
  /** Every stored event, ordered by item id. */
  events(): Promise<EventRecord[]>
  state(id?: string): Promise<PollerStateRecord | undefined>
  /** Stop the pollers and publisher, close and reopen the store, start again (same config). */
  restart(): Promise<void>
  close(): Promise<void>
}

export interface FixtureOptions {
  pollers: PollerConfig[]
  contacts?: Contact[]
  handler?: (req: SinkRequest, index: number) => SinkAnswer | Promise<SinkAnswer>
  storeUrl?: string
  /** Wraps the store the publisher commits through (to make commits fail). */
  wrapStore?: (store: Store) => Store
  service?: Partial<PollerServiceOptions>
  topicSchema?: unknown
}

export async function pollerFixture(o: FixtureOptions): Promise<PollerFixture> {
  const clock = new ManualClock()
  const api = await startSink(o.handler ?? contactsHandler(o.contacts ?? []))
  const systemsConfig = { crm: { baseUrl: api.url }, sink: { baseUrl: 'http://127.0.0.1:9' } }
  const flows = compileFlowSet({
    dir: process.cwd(),
    config: { topics: { [TOPIC]: { schema: o.topicSchema ?? CONTACT_SCHEMA } }, systems: systemsConfig, flows: [{ id: 'contacts-to-sink', on: TOPIC, to: { system: 'sink', post: '/contacts' } }] },
  })
  const systems = Systems.fromConfig(systemsConfig, { clock })
  const url = o.storeUrl ?? 'sqlite::memory:'
  let store = await openStore(url, { clock })
  await store.migrate()
  const start = () => {
    const publisher = new Publisher(o.wrapStore ? o.wrapStore(store) : store, new StoreBus(store), flows, { clock })
    const pollers = startPollers({ config: { config: { pollers: o.pollers } }, store, systems, publisher, clock, schedule: false, nodeId: 'node-a', ...o.service })
    return { publisher, pollers }
  }
  let running = start()
  const stopAll = async () => {
    await running.pollers.stop(1000)
    await running.publisher.close()
    await store.close()
  }
  return {
    api,
    get store() {
      return store
    },
    clock,
    get publisher() {
      return running.publisher
    },
    get pollers() {
      return running.pollers
    },
    // Ordered by item id: events of one manual-clock millisecond have no defined id order.
    events: async () => (await store.events.list({ limit: 1000 })).sort((a, b) => String(a.sourceId).localeCompare(String(b.sourceId), 'en', { numeric: true })),
    state: (id = 'crm-contacts') => store.pollers.get(id),
    async restart() {
      await stopAll()
      store = await openStore(url, { clock })
      await store.migrate()
      running = start()
    },
    async close() {
      await stopAll()
      await systems.close()
      await api.close()
    },
  }
}

/** `n` contacts `c1…cn` with seq 1…n. */
export function contacts(n: number): Contact[] {
  return Array.from({ length: n }, (_, i) => ({ id: `c${i + 1}`, seq: i + 1, email: `c${i + 1}@example.com`, name: `Contact ${i + 1}` }))
}
