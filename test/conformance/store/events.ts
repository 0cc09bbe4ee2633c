/** Conformance: events (dedupe, retention) and the delivery records behind the DLQ and history. */
import assert from 'node:assert/strict'
import { it } from 'node:test'
import { newId } from '../../../src/core/ids.js'
import type { DeliveryRecord, NewEvent, Store } from '../../../src/store/contract.js'
import type { StoreContext } from './context.js'

function event(ctx: StoreContext, over: Partial<NewEvent> = {}): NewEvent {
  return { id: newId(ctx.clock.now()), topic: 'order.created', body: { total: 1 }, headers: {}, createdAt: ctx.clock.now(), ...over }
}

/** An event with one delivery per flow; returns the delivery ids. */
async function withDeliveries(s: Store, e: NewEvent, flows: Array<{ flow: string; system?: string }>): Promise<string[]> {
  const ids = flows.map(() => newId(e.createdAt))
  await s.transaction(async (tx) => {
    await tx.events.insert(e)
    await tx.deliveries.enqueue(flows.map((f, i) => ({ id: ids[i] as string, eventId: e.id, flowId: f.flow, system: f.system ?? 'sink', orderingKey: null, nextAt: e.createdAt, createdAt: e.createdAt })))
  })
  return ids
}

/** The settle-relevant fields of a delivery. */
function pick(d: DeliveryRecord | undefined): Partial<DeliveryRecord> {
  return { status: d?.status, attempts: d?.attempts, lastStatus: d?.lastStatus, lastErrorCode: d?.lastErrorCode, leaseUntil: d?.leaseUntil }
}

export function eventCases(ctx: StoreContext): void {
  it('event insert dedupes by (topic, source id); another topic or no source id is a new event', async () => {
    const s = ctx.store
    const a = event(ctx, { sourceId: 'msg_1', key: 'cust-9', requestId: 'rq', traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' })
    assert.deepEqual(await s.events.insert(a), { id: a.id, duplicate: false })
    assert.deepEqual(await s.events.insert(event(ctx, { sourceId: 'msg_1', body: { other: true } })), { id: a.id, duplicate: true })
    const otherTopic = event(ctx, { topic: 'order.updated', sourceId: 'msg_1' })
    assert.deepEqual(await s.events.insert(otherTopic), { id: otherTopic.id, duplicate: false })
    const n1 = event(ctx)
    const n2 = event(ctx)
    assert.equal((await s.events.insert(n1)).duplicate, false)
    assert.equal((await s.events.insert(n2)).duplicate, false)
    const stored = await s.events.get(a.id)
    assert.deepEqual(stored, { ...a, sourceId: 'msg_1', key: 'cust-9', requestId: 'rq', traceparent: a.traceparent })
    assert.deepEqual((await s.events.get(a.id))?.body, { total: 1 }, 'the duplicate did not overwrite the body')
  })

  it('insertMany dedupes within the batch and against stored events, answering in order', async () => {
    const s = ctx.store
    const old = event(ctx, { sourceId: 'x' })
    await s.events.insert(old)
    const batch = [event(ctx, { sourceId: 'y' }), event(ctx, { sourceId: 'x' }), event(ctx), event(ctx, { sourceId: 'y' })]
    const res = await s.transaction((tx) => tx.events.insertMany(batch))
    assert.deepEqual(res, [
      { id: batch[0]?.id, duplicate: false },
      { id: old.id, duplicate: true },
      { id: batch[2]?.id, duplicate: false },
      { id: batch[0]?.id, duplicate: true },
    ])
    assert.deepEqual(await s.events.insertMany([]), [])
  })

  it('concurrent publishes of one source id store one event', async () => {
    const s = ctx.store
    const results = await Promise.all(Array.from({ length: 12 }, () => s.transaction((tx) => tx.events.insert(event(ctx, { sourceId: 'race' })))))
    assert.equal(results.filter((r) => !r.duplicate).length, 1)
    assert.equal(new Set(results.map((r) => r.id)).size, 1)
  })

  it('bodies and headers round-trip: unicode, nesting, large values', async () => {
    const s = ctx.store
    const body = { name: 'Zoë 🚀 \u2028', nested: { list: [1, 2.5, null, true, { deep: 'x'.repeat(100_000) }] }, empty: {} }
    const e = event(ctx, { body, headers: { 'webhook-id': 'msg_1', 'x-shop': 'ü' } })
    await s.events.insert(e)
    const got = await s.events.get(e.id)
    assert.deepEqual(got?.body, body)
    assert.deepEqual(got?.headers, e.headers)
    const arr = event(ctx, { body: [1, 'two'] })
    await s.events.insert(arr)
    assert.deepEqual((await s.events.get(arr.id))?.body, [1, 'two'])
  })

  it('forgetting source ids past the dedupe window lets the id be accepted again', async () => {
    const s = ctx.store
    const first = event(ctx, { sourceId: 'again' })
    await s.events.insert(first)
    ctx.clock.advance(1000)
    const recent = event(ctx, { sourceId: 'recent' })
    await s.events.insert(recent)
    assert.equal(await s.events.forgetSourceIds('order.created', ctx.clock.now(), 100), 1)
    assert.equal(await s.events.forgetSourceIds('order.created', ctx.clock.now(), 100), 0)
    const second = event(ctx, { sourceId: 'again' })
    assert.deepEqual(await s.events.insert(second), { id: second.id, duplicate: false })
    assert.equal((await s.events.insert(event(ctx, { sourceId: 'recent' }))).duplicate, true)
    assert.ok(await s.events.get(first.id), 'forgetting the id keeps the event')
  })

  it('prune deletes old finished events with their deliveries and attempts, never pending, in-flight or dead ones', async () => {
    const s = ctx.store
    const done = event(ctx)
    const [doneDelivery] = await withDeliveries(s, done, [{ flow: 'a' }])
    const busy = event(ctx)
    await withDeliveries(s, busy, [{ flow: 'a' }, { flow: 'b' }])
    const dead = event(ctx)
    const [deadDelivery] = await withDeliveries(s, dead, [{ flow: 'a' }])
    const lonely = event(ctx)
    await s.events.insert(lonely)
    const claimed = await s.deliveries.claim({ token: 't', now: ctx.clock.now(), leaseMs: 1000, limit: 10 })
    const by = new Map(claimed.map((c) => [c.delivery.id, c]))
    const attempt = { startedAt: ctx.clock.now(), latencyMs: 1, status: 200, errorCode: null, error: null, responseExcerpt: null, requestId: null }
    assert.ok(await s.deliveries.complete(doneDelivery as string, { token: 't', now: ctx.clock.now(), status: 'delivered', attempt }))
    assert.ok(await s.deliveries.kill(deadDelivery as string, { token: 't', now: ctx.clock.now(), reason: 'gone', errorCode: 'X', error: 'x' }))
    // One of busy's two deliveries finishes; the other stays in flight.
    const busyIds = claimed.filter((c) => c.event.id === busy.id).map((c) => c.delivery.id)
    assert.equal(busyIds.length, 2)
    assert.ok(by.size >= 4)
    assert.ok(await s.deliveries.complete(busyIds[0] as string, { token: 't', now: ctx.clock.now(), status: 'skipped' }))

    ctx.clock.advance(10)
    const fresh = event(ctx)
    await s.events.insert(fresh)
    assert.equal(await s.events.prune(ctx.clock.now(), 1000), 2, 'done and lonely')
    assert.equal(await s.events.get(done.id), undefined)
    assert.equal(await s.deliveries.get(doneDelivery as string), undefined)
    assert.deepEqual(await s.deliveries.attempts(doneDelivery as string), [])
    for (const kept of [busy, dead, fresh]) assert.ok(await s.events.get(kept.id), 'kept')
    assert.equal((await s.deliveries.get(deadDelivery as string))?.status, 'dead')
  })

  it('settles a batch in one call: each item only under its own lease, with its attempt numbered as claimed', async () => {
    const s = ctx.store
    const e = event(ctx)
    const [ok, again, dead, lost] = await withDeliveries(s, e, [{ flow: 'a' }, { flow: 'b' }, { flow: 'c' }, { flow: 'd' }])
    assert.equal((await s.deliveries.claim({ token: 't1', now: ctx.clock.now(), leaseMs: 1000, limit: 10 })).length, 4)
    // `lost` outlives its lease and is claimed again by t2: t1 no longer settles it.
    assert.ok(await s.deliveries.retry(lost as string, { token: 't1', now: ctx.clock.now(), nextAt: ctx.clock.now(), consumeAttempt: true, errorCode: 'E', error: 'e' }))
    assert.equal((await s.deliveries.claim({ token: 't2', now: ctx.clock.now(), leaseMs: 1000, limit: 10 })).length, 1)
    const now = ctx.clock.now()
    const attempt = (status: number | null) => ({ startedAt: now, latencyMs: 3, status, errorCode: status === 200 ? null : 'X', error: status === 200 ? null : 'x', responseExcerpt: 'r', requestId: 'rq' })
    const results = await s.deliveries.settle([
      { kind: 'complete', id: ok as string, token: 't1', now, status: 'delivered', attempt: attempt(200), request: { path: '/ok' } },
      { kind: 'retry', id: again as string, token: 't1', now, nextAt: now + 500, consumeAttempt: false, errorCode: 'SB_ERR_SYSTEM_CIRCUIT_OPEN', error: 'open' },
      { kind: 'kill', id: dead as string, token: 't1', now, reason: 'non-retryable', errorCode: 'SB_ERR_FLOW_TARGET_STATUS', error: '422', attempt: attempt(422) },
      { kind: 'complete', id: lost as string, token: 't1', now, status: 'delivered', attempt: attempt(200) },
      // The same delivery settled in the same batch by its current holder: only that one counts.
      { kind: 'retry', id: lost as string, token: 't2', now, nextAt: now, consumeAttempt: true, errorCode: 'SB_ERR_FLOW_TARGET_STATUS', error: '503', attempt: attempt(503) },
    ])
    assert.deepEqual(results, [true, true, true, false, true])
    const got = async (id: string | undefined) => s.deliveries.get(id as string)
    assert.deepEqual(pick(await got(ok)), { status: 'delivered', attempts: 1, lastStatus: 200, lastErrorCode: null, leaseUntil: null })
    assert.deepEqual((await got(ok))?.request, { path: '/ok' })
    assert.deepEqual(pick(await got(again)), { status: 'pending', attempts: 0, lastStatus: null, lastErrorCode: 'SB_ERR_SYSTEM_CIRCUIT_OPEN', leaseUntil: null })
    assert.equal((await got(again))?.nextAt, now + 500)
    assert.deepEqual(pick(await got(dead)), { status: 'dead', attempts: 1, lastStatus: 422, lastErrorCode: 'SB_ERR_FLOW_TARGET_STATUS', leaseUntil: null })
    assert.equal((await got(dead))?.deadReason, 'non-retryable')
    assert.deepEqual(pick(await got(lost)), { status: 'pending', attempts: 2, lastStatus: 503, lastErrorCode: 'SB_ERR_FLOW_TARGET_STATUS', leaseUntil: null }, 't2 settled it, not t1')
    assert.deepEqual((await s.deliveries.attempts(ok as string)).map((a) => [a.attempt, a.status, a.requestId]), [[1, 200, 'rq']])
    assert.deepEqual(await s.deliveries.attempts(again as string), [])
    assert.deepEqual((await s.deliveries.attempts(dead as string)).map((a) => [a.attempt, a.status, a.errorCode]), [[1, 422, 'X']])
    assert.deepEqual((await s.deliveries.attempts(lost as string)).map((a) => [a.attempt, a.status]), [[2, 503]], 'only the lease holder’s attempt is recorded')
    assert.deepEqual(await s.deliveries.settle([]), [])
  })

  it('lists events newest first, by topic and time range, paged by id', async () => {
    const s = ctx.store
    const e1 = event(ctx)
    await s.events.insert(e1)
    ctx.clock.advance(10)
    const e2 = event(ctx, { topic: 'order.updated' })
    await s.events.insert(e2)
    ctx.clock.advance(10)
    const e3 = event(ctx)
    await s.events.insert(e3)
    assert.deepEqual((await s.events.list()).map((e) => e.id), [e3.id, e2.id, e1.id])
    assert.deepEqual((await s.events.list({ topic: 'order.created' })).map((e) => e.id), [e3.id, e1.id])
    assert.deepEqual((await s.events.list({ from: e2.createdAt, to: e3.createdAt })).map((e) => e.id), [e2.id])
    assert.deepEqual((await s.events.list({ before: e3.id, limit: 1 })).map((e) => e.id), [e2.id])
  })

  it('lists deliveries newest first by status, flow, system, error code, event and time, paged by seq', async () => {
    const s = ctx.store
    const e = event(ctx)
    const [a, b, c] = await withDeliveries(s, e, [{ flow: 'f1', system: 'crm' }, { flow: 'f2', system: 'inv' }, { flow: 'f1', system: 'inv' }])
    const claimed = await s.deliveries.claim({ token: 't', now: ctx.clock.now(), leaseMs: 1000, limit: 10 })
    assert.equal(claimed.length, 3)
    ctx.clock.advance(50)
    assert.ok(await s.deliveries.kill(b as string, { token: 't', now: ctx.clock.now(), reason: 'non-retryable', errorCode: 'SB_ERR_FLOW_TARGET_STATUS', error: '422' }))
    assert.ok(await s.deliveries.kill(c as string, { token: 't', now: ctx.clock.now(), reason: 'attempts', errorCode: 'SB_ERR_SYSTEM_TIMEOUT', error: 'timeout' }))
    const list = async (q: Parameters<Store['deliveries']['list']>[0]) => (await s.deliveries.list(q)).map((d) => d.id)
    assert.deepEqual(await list({}), [c, b, a])
    assert.deepEqual(await list({ status: 'dead' }), [c, b])
    assert.deepEqual(await list({ status: ['dead', 'in_flight'], flowId: 'f1' }), [c, a])
    assert.deepEqual(await list({ system: 'inv', errorCode: 'SB_ERR_SYSTEM_TIMEOUT' }), [c])
    assert.deepEqual(await list({ eventId: e.id, from: ctx.clock.now() }), [c, b])
    assert.deepEqual(await list({ to: ctx.clock.now() }), [a])
    const page1 = await s.deliveries.list({ limit: 2 })
    assert.deepEqual(await list({ beforeSeq: page1[1]?.seq }), [a])
    assert.equal(await s.deliveries.get('missing'), undefined)
  })
}
