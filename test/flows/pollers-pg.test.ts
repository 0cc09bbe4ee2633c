/**
 * Two nodes, one PostgreSQL database: every tick runs on one node only, and its items are
 * published once. A node that dies mid-tick holds the poller up for its lease, no longer.
 */
import assert from 'node:assert/strict'
import { after, afterEach, beforeEach, describe, it } from 'node:test'
import { StoreBus } from '../../src/bus/store/store-bus.js'
import { ManualClock } from '../../src/core/clock.js'
import { compileFlowSet } from '../../src/flows/flow-set.js'
import { startPollers, type PollerService, type PollResult } from '../../src/flows/pollers/index.js'
import { Publisher } from '../../src/flows/publisher.js'
import type { Store } from '../../src/store/contract.js'
import { openStore } from '../../src/store/open.js'
import { Systems } from '../../src/systems/registry.js'
import { requireService } from '../helpers/services.js'
import { createTestDatabase, type TestDatabase } from '../store/pg-database.js'
import { startSink, type Sink } from './helpers/sink.js'
import { contacts, contactsHandler, contactsPoller, TOPIC } from './pollers-fixture.js'

interface Node {
  store: Store
  publisher: Publisher
  pollers: PollerService
}

describe('pollers on PostgreSQL: one tick, one node', { skip: await requireService('postgres') }, () => {
  let db: TestDatabase | undefined
  let api: Sink
  let systems: Systems
  let clock: ManualClock
  let nodes: Node[] = []
  const systemsConfig = () => ({ crm: { baseUrl: api.url } })

  after(async () => {
    await db?.drop()
  })

  beforeEach(async () => {
    db ??= await createTestDatabase()
    await db.reset()
    clock = new ManualClock()
    api = await startSink(contactsHandler(contacts(6)))
    systems = Systems.fromConfig(systemsConfig(), { clock })
    const flows = compileFlowSet({ dir: process.cwd(), config: { topics: { [TOPIC]: {} }, systems: systemsConfig() } })
    const url = db.url
    nodes = []
    for (const name of ['node-a', 'node-b']) {
      const store = await openStore(url, { clock })
      await store.migrate()
      const publisher = new Publisher(store, new StoreBus(store), flows, { clock })
      const pollers = startPollers({ config: { config: { pollers: [contactsPoller()] } }, store, systems, publisher, clock, nodeId: name, schedule: false, leaseMs: 60_000 })
      nodes.push({ store, publisher, pollers })
    }
  })

  afterEach(async () => {
    for (const n of nodes) {
      await n.pollers.stop(1000)
      await n.publisher.close()
      await n.store.close()
    }
    await systems.close()
    await api.close()
  })

  const bothTry = () => Promise.all(nodes.map((n) => n.pollers.runOnce('crm-contacts', { force: false })))

  it('each due tick runs on exactly one node, and each item is published once', async () => {
    const ran: PollResult[] = []
    for (let tick = 0; tick < 4; tick++) {
      const results = await bothTry()
      const runners = results.filter((r) => r.ran)
      assert.equal(runners.length, 1, `tick ${tick}: ${JSON.stringify(results.map((r) => [r.ran, r.reason]))}`)
      assert.ok(results.every((r) => r.ran || r.reason === 'busy' || r.reason === 'not-due'))
      assert.equal(api.requests.length, tick + 1, 'one request per tick across both nodes')
      ran.push(runners[0] as PollResult)
      // Nothing more is due until the schedule says so, on either node.
      assert.deepEqual((await bothTry()).map((r) => r.ran), [false, false])
      clock.advance(10_000)
    }
    assert.deepEqual(ran.map((r) => [r.ok, r.items]), [[true, 2], [true, 2], [true, 2], [true, 0]])
    const events = await nodes[0]!.store.events.list({ limit: 100 })
    assert.deepEqual(events.map((e) => e.sourceId).sort(), ['c1', 'c2', 'c3', 'c4', 'c5', 'c6'])
    const st = await nodes[1]!.store.pollers.get('crm-contacts')
    assert.deepEqual([st?.runs, st?.cursor, st?.failures, st?.owner], [4, 6, 0, null])
  })

  it('a node that dies mid-tick holds the poller up for its lease only', async () => {
    const [a, b] = nodes as [Node, Node]
    await a.store.pollers.ensure('crm-contacts', { firstAt: clock.now(), latestAt: clock.now(), now: clock.now() })
    // node-a claims and "crashes": its lease stays until it expires.
    assert.ok(await a.store.pollers.claim('crm-contacts', { token: 'node-a/crashed', now: clock.now(), leaseMs: 60_000 }))
    const waiting = await b.pollers.runOnce('crm-contacts', { force: false })
    assert.deepEqual([waiting.ran, waiting.reason, waiting.nextAt], [false, 'busy', clock.now() + 60_000])
    assert.equal(api.requests.length, 0)
    clock.advance(60_000)
    const r = await b.pollers.runOnce('crm-contacts', { force: false })
    assert.deepEqual([r.ran, r.ok, r.items], [true, true, 2])
    assert.equal((await b.store.pollers.get('crm-contacts'))?.owner, null)
  })

  it('the same items read by both nodes are stored once (dedupe by item id)', async () => {
    const [a, b] = nodes as [Node, Node]
    await a.store.pollers.ensure('crm-contacts', { firstAt: clock.now(), latestAt: clock.now(), now: clock.now() })
    const first = await a.pollers.runOnce('crm-contacts')
    await b.store.pollers.setCursor('crm-contacts', null, clock.now())
    const second = await b.pollers.runOnce('crm-contacts')
    assert.deepEqual([first.items, second.items, second.duplicates], [2, 0, 2])
    assert.equal((await b.store.events.list({ limit: 100 })).length, 2)
  })
})
