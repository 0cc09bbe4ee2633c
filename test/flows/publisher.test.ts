/** Publishing: validation, fan-out in the event's transaction, dedupe, group commit. */
import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { StoreBus } from '../../src/bus/store/store-bus.js'
import { SwitchboardError } from '../../src/core/errors.js'
import { compileFlowSet } from '../../src/flows/flow-set.js'
import { Publisher } from '../../src/flows/publisher.js'
import type { Store, StoreTx } from '../../src/store/contract.js'
import { openStore } from '../../src/store/open.js'

const schema = {
  type: 'object',
  required: ['id', 'total'],
  properties: { id: { type: 'string' }, total: { type: 'number', minimum: 0 }, email: { type: 'string', format: 'email' } },
}

const flows = compileFlowSet({
  dir: process.cwd(),
  config: {
    topics: { 'order.created': { schema }, 'order.cancelled': {} },
    systems: { inv: { baseUrl: 'http://127.0.0.1:9' }, crm: { baseUrl: 'http://127.0.0.1:9' } },
    flows: [
      { id: 'invoice', on: 'order.created', to: { system: 'inv', post: '/i' } },
      { id: 'crm', on: 'order.created', ordering: 'key', to: { system: 'crm', post: '/c' } },
      { id: 'cancel', on: 'order.cancelled', to: { system: 'inv', delete: '/i/{id}' } },
    ],
  },
})

/** The store with its transactions counted. */
function counting(store: Store): Store & { transactions: number } {
  const s = Object.create(store) as Store & { transactions: number }
  s.transactions = 0
  s.transaction = <T>(fn: (tx: StoreTx) => Promise<T>) => {
    s.transactions++
    return store.transaction(fn)
  }
  return s
}

describe('Publisher', () => {
  let store: Store & { transactions: number }
  let raw: Store
  let publisher: Publisher
  beforeEach(async () => {
    raw = await openStore('sqlite::memory:')
    await raw.migrate()
    store = counting(raw)
    publisher = new Publisher(store, new StoreBus(raw), flows)
  })
  afterEach(async () => {
    await publisher.close()
    await raw.close()
  })

  const order = (over: Record<string, unknown> = {}) => ({ id: 'o-1', total: 10, ...over })

  it('commits the event with one delivery per subscribed flow, keyed only where the flow orders by key', async () => {
    const r = await publisher.publish({ topic: 'order.created', key: 'cust-7', body: order(), headers: { 'webhook-id': 'w1' }, requestId: 'rq', traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' })
    assert.equal(r.duplicate, false)
    const e = await raw.events.get(r.id)
    assert.deepEqual(e?.body, order())
    assert.equal(e?.key, 'cust-7')
    assert.equal(e?.requestId, 'rq')
    assert.deepEqual(e?.headers, { 'webhook-id': 'w1' })
    const ds = await raw.deliveries.list({ eventId: r.id })
    assert.deepEqual(ds.map((d) => [d.flowId, d.system, d.orderingKey, d.status]).sort(), [
      ['crm', 'crm', 'cust-7', 'pending'],
      ['invoice', 'inv', null, 'pending'],
    ])
  })

  it('refuses a body that breaks the topic schema with every violation, storing nothing', async () => {
    await assert.rejects(publisher.publish({ topic: 'order.created', body: { total: -1, email: 'nope' } }), (err: unknown) => {
      assert.ok(err instanceof SwitchboardError)
      assert.equal(err.code, 'SB_ERR_EVENT_INVALID')
      assert.equal(err.status, 422)
      const v = err.details?.violations as Array<{ path: string; message: string }>
      assert.deepEqual(v.map((x) => x.path).sort(), ['/', '/email', '/total'])
      assert.equal(err.toProblem().code, 'SB_ERR_EVENT_INVALID')
      return true
    })
    assert.deepEqual(await raw.events.list(), [])
    assert.equal(store.transactions, 0)
  })

  it('refuses an unknown topic, a missing body and malformed ids or keys', async () => {
    await assert.rejects(publisher.publish({ topic: 'nope', body: {} }), (e: unknown) => e instanceof SwitchboardError && e.code === 'SB_ERR_EVENT_UNKNOWN_TOPIC' && e.status === 404)
    for (const bad of [{ body: undefined }, { id: '' }, { id: 'x'.repeat(201) }, { key: 42 as unknown as string }]) {
      await assert.rejects(publisher.publish({ topic: 'order.cancelled', body: {}, ...bad }), (e: unknown) => e instanceof SwitchboardError && e.code === 'SB_ERR_EVENT_INVALID', JSON.stringify(bad))
    }
    assert.deepEqual(await raw.events.list(), [])
  })

  it('a duplicate source id answers the original id and creates no deliveries, also within one batch', async () => {
    const first = await publisher.publish({ topic: 'order.created', id: 'msg_1', body: order() })
    const again = await publisher.publish({ topic: 'order.created', id: 'msg_1', body: order({ total: 99 }) })
    assert.deepEqual(again, { id: first.id, duplicate: true })
    const together = await Promise.all([1, 2, 3].map(() => publisher.publish({ topic: 'order.created', id: 'msg_2', body: order() })))
    assert.equal(together.filter((r) => !r.duplicate).length, 1)
    assert.equal(new Set(together.map((r) => r.id)).size, 1)
    assert.equal((await raw.deliveries.list()).length, 4, 'two events × two flows')
    assert.deepEqual((await raw.events.get(first.id))?.body, order(), 'the duplicate did not replace the body')
  })

  it('group commit: concurrent publishes share one transaction', async () => {
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => publisher.publish({ topic: 'order.created', body: order({ id: `o-${i}` }) })))
    assert.equal(new Set(results.map((r) => r.id)).size, 100)
    assert.equal(store.transactions, 1)
    assert.equal((await raw.deliveries.list({ limit: 1000 })).length, 200)
  })

  it('group commit: batches are capped, and events arriving during a commit form the next batch', async () => {
    const small = new Publisher(store, new StoreBus(raw), flows, { maxBatch: 10 })
    await Promise.all(Array.from({ length: 35 }, (_, i) => small.publish({ topic: 'order.cancelled', body: { id: String(i) } })))
    assert.equal(store.transactions, 4)
    await small.close()
  })

  it('an event the store refuses fails alone; the rest of its batch is committed', async () => {
    const results = await Promise.allSettled([
      publisher.publish({ topic: 'order.cancelled', body: { id: 'a' } }),
      publisher.publish({ topic: 'order.cancelled', body: { id: 'b', bad: 10n } }),
      publisher.publish({ topic: 'order.cancelled', body: { id: 'c' } }),
    ])
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled'])
    const reason = (results[1] as PromiseRejectedResult).reason as SwitchboardError
    assert.equal(reason.code, 'SB_ERR_STORE_INVALID_VALUE')
    assert.equal((await raw.events.list()).length, 2)
  })

  it('close commits what is queued, then refuses new events', async () => {
    const pending = publisher.publish({ topic: 'order.cancelled', body: { id: 'late' } })
    await publisher.close()
    assert.equal((await pending).duplicate, false)
    await assert.rejects(publisher.publish({ topic: 'order.cancelled', body: {} }), (e: unknown) => e instanceof SwitchboardError && e.code === 'SB_ERR_EVENT_PUBLISHER_CLOSED' && e.status === 503)
  })
})

describe('compileFlowSet', () => {
  const base = { topics: { t: {} }, systems: { s: { baseUrl: 'http://127.0.0.1:9' } } }
  const bad = (flowsConfig: unknown[], why: RegExp, extra: Record<string, unknown> = {}) =>
    assert.throws(
      () => compileFlowSet({ dir: process.cwd(), config: { ...base, ...extra, flows: flowsConfig as never } }),
      (e: unknown) => e instanceof SwitchboardError && e.code === 'SB_ERR_CONFIG_INVALID' && why.test(e.message),
    )

  it('reports what is wrong with a flow at load, naming the field', () => {
    bad([{ id: 'a', on: 'nope', to: { system: 's', post: '/x' } }], /flows\[0\]\.on: unknown topic/)
    bad([{ id: 'a', on: 't', to: { system: 'zz', post: '/x' } }], /flows\[0\]\.to\.system: unknown system/)
    bad([{ id: 'a', on: 't', filter: 'total >', to: { system: 's', post: '/x' } }], /flows\[0\]\.filter: invalid JSONata/)
    bad([{ id: 'a', on: 't' }], /exactly one of `to` or `publish`/)
    bad([{ id: 'a', on: 't', to: { system: 's', post: '/x' } }, { id: 'a', on: 't', to: { system: 's', post: '/y' } }], /duplicate flow id/)
    bad([], /topics\["t"\]\.schema/, { topics: { t: { schema: { type: 'nonsense' } } } })
  })

  it('resolves retry schedules: flow over system over defaults', () => {
    const set = compileFlowSet({
      dir: process.cwd(),
      config: { topics: { t: {} }, systems: { s: { baseUrl: 'http://127.0.0.1:9', retry: { attempts: 4, max: '1m' } } }, flows: [{ id: 'a', on: 't', retry: { attempts: 2 }, to: { system: 's', post: '/x' } }] },
    })
    const f = set.flows.get('a')
    assert.equal(f?.schedule.attempts, 2)
    assert.equal(f?.schedule.maxMs, 60_000)
    assert.deepEqual(set.subscribers('t').map((x) => x.id), ['a'])
  })
})
