/**
 * Pollers on their own schedule (real clock), shutdown in the middle of a tick, and pollers
 * run by the FlowsService end to end (poll → event → delivery).
 */
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, it } from 'node:test'
import { systemClock } from '../../src/core/clock.js'
import { FlowsService } from '../../src/flows/service.js'
import { openStore } from '../../src/store/open.js'
import { Systems } from '../../src/systems/registry.js'
import { waitFor } from './helpers/harness.js'
import { startSink } from './helpers/sink.js'
import { contacts, contactsHandler, contactsPoller, pollerFixture, TOPIC } from './pollers-fixture.js'

describe('pollers: scheduling', () => {
  it('runs ticks on their own, one at a time, and stops cleanly', async () => {
    const f = await pollerFixture({ pollers: [contactsPoller({ every: '20ms' })], contacts: contacts(6), service: { schedule: true, clock: systemClock } })
    try {
      await waitFor('all six contacts', async () => (await f.state())?.cursor === 6)
      await waitFor('more ticks after the backlog', async () => ((await f.state())?.runs ?? 0) >= 5)
      await f.pollers.stop()
      const after = f.api.requests.length
      await sleep(100)
      assert.equal(f.api.requests.length, after, 'no tick after stop')
      assert.equal(f.api.maxConcurrent, 1, 'ticks of one poller never overlap')
      assert.deepEqual((await f.events()).map((e) => e.sourceId), ['c1', 'c2', 'c3', 'c4', 'c5', 'c6'])
      const r = await f.pollers.runOnce('crm-contacts')
      assert.deepEqual([r.ran, r.reason], [false, 'stopped'])
    } finally {
      await f.close()
    }
  })

  it('a cron poller is first due at its next cron time', async () => {
    const f = await pollerFixture({ pollers: [contactsPoller({ every: undefined, cron: '0 0 1 1 *' })], contacts: contacts(1) })
    try {
      const r = await f.pollers.runOnce('crm-contacts', { force: false })
      assert.deepEqual([r.ran, r.reason], [false, 'not-due'])
      const st = await f.state()
      const due = new Date(st?.nextAt ?? 0)
      assert.deepEqual([due.getMonth(), due.getDate(), due.getHours(), due.getMinutes()], [0, 1, 0, 0])
      assert.ok((st?.nextAt ?? 0) > f.clock.now())
      assert.equal(f.api.requests.length, 0)
      const forced = await f.pollers.runOnce('crm-contacts')
      assert.deepEqual([forced.ran, forced.items, forced.nextAt], [true, 1, st?.nextAt], 'a forced tick keeps the cron time')
    } finally {
      await f.close()
    }
  })

  it('stopping mid-tick aborts the request after the grace period and gives the lease back uncounted', async () => {
    const f = await pollerFixture({ pollers: [contactsPoller()], handler: () => ({ status: 200, body: '{"data": []}', delayMs: 5000 }) })
    try {
      const tick = f.pollers.runOnce('crm-contacts')
      await waitFor('the request', () => f.api.requests.length === 1)
      await f.pollers.stop(20)
      const r = await tick
      assert.deepEqual([r.ran, r.reason], [false, 'stopped'])
      const st = await f.state()
      assert.deepEqual([st?.owner, st?.leaseUntil, st?.runs, st?.failures], [null, null, 0, 0])
    } finally {
      await f.close()
    }
  })
})

describe('pollers: run by the FlowsService', () => {
  it('polls, publishes, and the flow delivers the items', async () => {
    const api = await startSink(contactsHandler(contacts(3)))
    const target = await startSink()
    const store = await openStore('sqlite::memory:')
    await store.migrate()
    const systemsConfig = { crm: { baseUrl: api.url }, sink: { baseUrl: target.url } }
    const systems = Systems.fromConfig(systemsConfig)
    const config = (pollers: ReturnType<typeof contactsPoller>[]) => ({
      dir: process.cwd(),
      config: { topics: { [TOPIC]: {} }, systems: systemsConfig, flows: [{ id: 'to-sink', on: TOPIC, to: { system: 'sink', post: '/contacts/{id}' } }], pollers },
    })
    const service = await FlowsService.start({ store, systems, config: config([contactsPoller({ maxPages: 5 })]), pollers: { schedule: false }, worker: { pollMs: 20 }, retentionIntervalMs: 0 })
    try {
      assert.ok(service.pollers)
      const r = await service.pollers.runOnce('crm-contacts')
      assert.deepEqual([r.ok, r.items], [true, 3])
      await waitFor('three deliveries', () => target.requests.length >= 3)
      assert.deepEqual(target.requests.map((q) => q.path).sort(), ['/contacts/c1', '/contacts/c2', '/contacts/c3'])
      assert.throws(() => service.reload(config([contactsPoller({ itemId: '(' })])), /pollers\[0\]\.itemId: invalid JSONata/)
      assert.deepEqual(service.pollers.ids, ['crm-contacts'], 'a refused reload keeps the pollers')
      service.reload(config([contactsPoller({ id: 'renamed' })]))
      assert.deepEqual(service.pollers.ids, ['renamed'])
    } finally {
      await service.stop(1000)
      await systems.close()
      await store.close()
      await api.close()
      await target.close()
    }
  })

  it('refuses to start with a poller on an unknown system, leaving nothing running', async () => {
    const store = await openStore('sqlite::memory:')
    await store.migrate()
    const systems = Systems.fromConfig({})
    try {
      await assert.rejects(
        FlowsService.start({ store, systems, config: { dir: process.cwd(), config: { topics: { [TOPIC]: {} }, pollers: [contactsPoller()] } }, pollers: true }),
        /pollers\[0\]\.system: unknown system "crm"/,
      )
    } finally {
      await store.close()
    }
  })
})
