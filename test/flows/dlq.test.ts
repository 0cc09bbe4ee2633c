/** The DLQ service: list and show, replay and discard by ids or filter, pacing, state checks; retention. */
import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it } from 'node:test'
import type { Claim } from '../../src/bus/contract.js'
import { StoreBus } from '../../src/bus/store/store-bus.js'
import { ManualClock } from '../../src/core/clock.js'
import { SwitchboardError } from '../../src/core/errors.js'
import { newId } from '../../src/core/ids.js'
import { DeadLetters } from '../../src/flows/dlq.js'
import { compileFlowSet } from '../../src/flows/flow-set.js'
import { pruneOnce } from '../../src/flows/retention.js'
import type { Store } from '../../src/store/contract.js'
import { openStore } from '../../src/store/open.js'

describe('DeadLetters', () => {
  let store: Store
  let bus: StoreBus
  let dlq: DeadLetters
  const clock = new ManualClock()

  beforeEach(async () => {
    store = await openStore('sqlite::memory:', { clock })
    await store.migrate()
    bus = new StoreBus(store, { clock })
    dlq = new DeadLetters(store, bus, clock)
  })
  afterEach(async () => {
    await bus.close()
    await store.close()
  })

  /** One dead delivery per spec. */
  async function kill(...specs: Array<{ flow?: string; system?: string; code?: string }>): Promise<string[]> {
    const ids: string[] = []
    for (const s of specs) {
      const now = clock.now()
      const eventId = newId(now)
      const id = newId(now)
      await store.transaction(async (tx) => {
        await tx.events.insert({ id: eventId, topic: 't', body: { s }, headers: {}, createdAt: now })
        await bus.enqueue(tx, [{ id, eventId, flowId: s.flow ?? 'f', system: s.system ?? 'sys', orderingKey: null, nextAt: now, createdAt: now }])
      })
      const [c] = await bus.claim({ limit: 1, leaseMs: 1000 })
      await bus.deadLetter(c as Claim, { reason: 'non-retryable', errorCode: s.code ?? 'SB_ERR_FLOW_TARGET_STATUS', error: 'x', attempt: { startedAt: now, latencyMs: 5, status: 400, errorCode: 'X', error: 'x', responseExcerpt: 'bad', requestId: 'r' } })
      ids.push(id)
      clock.advance(1000)
    }
    return ids
  }

  it('lists dead deliveries newest first with filters, and shows one with its event and attempts', async () => {
    const [a, b, c] = await kill({ flow: 'f1' }, { flow: 'f2', system: 'crm', code: 'SB_ERR_SYSTEM_TIMEOUT' }, { flow: 'f1' })
    assert.deepEqual((await dlq.list()).map((d) => d.id), [c, b, a])
    assert.deepEqual((await dlq.list({ flowId: 'f1' })).map((d) => d.id), [c, a])
    assert.deepEqual((await dlq.list({ system: 'crm' })).map((d) => d.id), [b])
    assert.deepEqual((await dlq.list({ errorCode: 'SB_ERR_SYSTEM_TIMEOUT' })).map((d) => d.id), [b])
    const detail = await dlq.show(a as string)
    assert.deepEqual(detail?.event?.body, { s: { flow: 'f1' } })
    assert.equal(detail?.attempts[0]?.responseExcerpt, 'bad')
    assert.equal(await dlq.show('missing'), undefined)
  })

  it('replays by filter (paged) and leaves the rest dead', async () => {
    const ids = await kill(...Array.from({ length: 7 }, (_, i) => ({ flow: i % 2 === 0 ? 'even' : 'odd' })))
    const progress: number[] = []
    const report = await dlq.replay({ filter: { flowId: 'even' } }, { ratePerSecond: 10_000, onProgress: (n) => progress.push(n) })
    assert.deepEqual(report, { matched: 4, changed: 4 })
    assert.equal(progress.at(-1), 4)
    assert.deepEqual((await dlq.list()).map((d) => d.flowId), ['odd', 'odd', 'odd'])
    const claimed = await bus.claim({ limit: 10, leaseMs: 1000 })
    assert.deepEqual(claimed.map((c) => c.delivery.id).sort(), [ids[0], ids[2], ids[4], ids[6]].sort())
    assert.ok(claimed.every((c) => c.delivery.attempts === 1), 'fresh schedule')
  })

  it('replays by time range and stops at a limit', async () => {
    await kill({}, {}, {})
    const all = await dlq.list()
    const middle = all[1]
    assert.ok(middle)
    assert.deepEqual(await dlq.replay({ filter: { from: middle.updatedAt, to: middle.updatedAt + 1 } }), { matched: 1, changed: 1 })
    assert.deepEqual(await dlq.replay({ filter: {} }, { limit: 1 }), { matched: 1, changed: 1 })
    assert.equal((await dlq.list()).length, 1)
  })

  it('paces a replay by its rate: a slow replay can be stopped part-way', async () => {
    await kill({}, {}, {})
    const ac = new AbortController()
    const report = await dlq.replay({ filter: {} }, { ratePerSecond: 1, signal: ac.signal, onProgress: () => ac.abort() })
    assert.deepEqual(report, { matched: 1, changed: 1 })
    assert.equal((await dlq.list()).length, 2, 'the rest waits for its turn')
  })

  it('a replay or discard by ids refuses unknown and non-dead deliveries before changing anything', async () => {
    const [dead] = await kill({})
    const now = clock.now()
    await store.transaction(async (tx) => {
      await tx.events.insert({ id: 'e-live', topic: 't', body: {}, headers: {}, createdAt: now })
      await bus.enqueue(tx, [{ id: 'd-live', eventId: 'e-live', flowId: 'f', system: 's', orderingKey: null, nextAt: now, createdAt: now }])
    })
    const state = (e: unknown) => e instanceof SwitchboardError && e.code === 'SB_ERR_FLOW_DELIVERY_STATE' && e.status === 409
    await assert.rejects(dlq.replay({ ids: [dead as string, 'd-live'] }), state)
    await assert.rejects(dlq.discard({ ids: [dead as string, 'nope'] }), (e: unknown) => e instanceof SwitchboardError && e.code === 'SB_ERR_STORE_NOT_FOUND')
    assert.equal((await store.deliveries.get(dead as string))?.status, 'dead', 'nothing changed')
    assert.deepEqual(await dlq.discard({ ids: [dead as string] }), { matched: 1, changed: 1 })
    assert.equal((await store.deliveries.get(dead as string))?.status, 'discarded')
    assert.deepEqual(await dlq.list(), [])
  })

  it('discards by filter', async () => {
    await kill({ system: 'a' }, { system: 'b' }, { system: 'a' })
    assert.deepEqual(await dlq.discard({ filter: { system: 'a' } }), { matched: 2, changed: 2 })
    assert.deepEqual((await dlq.list()).map((d) => d.system), ['b'])
  })

  it('retention prunes finished events after the retention period and forgets source ids after the dedupe window', async () => {
    const set = compileFlowSet({ dir: process.cwd(), config: { topics: { t: { dedupeWindow: '1h' } }, flows: [], systems: {} } })
    const [deadId] = await kill({})
    await store.events.insert({ id: 'old-done', topic: 't', sourceId: 'src-1', body: {}, headers: {}, createdAt: clock.now() })
    clock.advance(2 * 3_600_000)
    assert.deepEqual(await pruneOnce(store, set, clock.now(), 86_400_000), { pruned: 0, forgotten: 1 })
    assert.equal((await store.events.insert({ id: 'again', topic: 't', sourceId: 'src-1', body: {}, headers: {}, createdAt: clock.now() })).duplicate, false)
    clock.advance(86_400_000)
    const report = await pruneOnce(store, set, clock.now(), 86_400_000)
    assert.equal(report.pruned, 1, 'old-done only: the dead delivery keeps its event, "again" is recent')
    assert.equal(await store.events.get('old-done'), undefined)
    assert.equal((await store.deliveries.get(deadId as string))?.status, 'dead')
  })
})
