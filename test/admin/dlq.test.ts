/**
 * The dead-letter queue through the admin API, against a real SQLite store and a flows service
 * delivering to a loopback sink: dead deliveries are listed (with filters) and shown with their
 * attempts, replayed (by id and by filter) once the sink recovers, discarded, and both are
 * audited; bad selections change nothing.
 */
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { waitFor } from '../flows/helpers/harness.js'
import { adminFixture } from './fixture.js'
import { auth, eventsFixture, type EventsFixture } from './events-fixture.js'

interface Row {
  id: string
  flowId: string
  status: string
  lastStatus: number | null
  lastErrorCode: string | null
  deadReason: string | null
}

describe('admin API: dead-letter queue', () => {
  let f: EventsFixture
  /** While false, the sink refuses orders above 1000 (400: dead at once) and `boom` ones (500: retried, then dead). */
  let recovered = false
  before(async () => {
    f = await eventsFixture((req) => {
      const body = JSON.parse(req.body) as { order: string; amount: number }
      if (!recovered && body.order.startsWith('boom')) return { status: 500, body: '{"error":"down"}' }
      if (!recovered && body.amount > 1000) return { status: 400, body: '{"error":"too big","apiKey":"sk_live_should_be_redacted"}' }
      return { status: 200 }
    })
  })
  after(() => f.close())

  const call = (method: 'GET' | 'POST', url: string, payload?: unknown) =>
    f.app.inject({ method, url, headers: { ...auth, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) }, ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }) })
  const publish = async (id: string, total: number) => {
    const res = await call('POST', '/v1/topics/order.created/events', { id, total })
    assert.equal(res.statusCode, 202)
    return (res.json() as { id: string }).id
  }
  const deliveryOf = async (eventId: string, status: string) =>
    waitFor(`delivery of ${eventId} to be ${status}`, async () => {
      const [d] = await f.store.deliveries.list({ eventId })
      return d?.status === status ? d : undefined
    })

  let big = ''
  let boom = ''
  let small = ''
  before(async () => {
    big = (await deliveryOf(await publish('o-big', 1500), 'dead')).id
    boom = (await deliveryOf(await publish('boom-1', 5), 'dead')).id
    small = (await deliveryOf(await publish('o-small', 5), 'delivered')).id
  })

  it('lists dead deliveries only, newest first, with why they died', async () => {
    const res = await call('GET', '/v1/dlq')
    assert.equal(res.statusCode, 200)
    const items = (res.json() as { items: Row[] }).items
    assert.deepEqual(items.map((d) => d.id), [boom, big])
    const [b, g] = items
    assert.deepEqual([g?.lastStatus, g?.lastErrorCode, g?.deadReason], [400, 'SB_ERR_FLOW_TARGET_STATUS', 'non-retryable'])
    assert.deepEqual([b?.lastStatus, b?.deadReason], [500, 'attempts'])
  })

  it('filters by flow, system, error code and time range', async () => {
    const ids = async (query: string) => ((await call('GET', `/v1/dlq?${query}`)).json() as { items: Row[] }).items.map((d) => d.id)
    assert.deepEqual(await ids('flow=to-sink&system=sink'), [boom, big])
    assert.deepEqual(await ids('flow=other'), [])
    assert.deepEqual(await ids('error=SB_ERR_FLOW_TARGET_STATUS'), [boom, big])
    assert.deepEqual(await ids('error=SB_ERR_FLOW_EXPRESSION'), [])
    assert.deepEqual(await ids(`from=${new Date(Date.now() + 60_000).toISOString()}`), [])
    assert.deepEqual(await ids(`to=${new Date(Date.now() + 60_000).toISOString()}`), [boom, big])
    assert.deepEqual(await ids('limit=1'), [boom])
    assert.equal((await call('GET', '/v1/dlq?from=yesterday')).statusCode, 400)
  })

  it('shows a dead delivery with its event, the request sent and every attempt (secrets redacted)', async () => {
    const res = await call('GET', `/v1/dlq/${boom}`)
    assert.equal(res.statusCode, 200)
    const d = res.json() as {
      delivery: { status: string; request: { method: string; path: string; headers: Record<string, string>; body: unknown } }
      event: { body: unknown }
      attempts: Array<{ attempt: number; status: number; responseExcerpt: string }>
    }
    assert.equal(d.delivery.status, 'dead')
    assert.deepEqual(d.event.body, { id: 'boom-1', total: 5 })
    assert.equal(d.delivery.request.method, 'POST')
    assert.equal(d.delivery.request.path, '/orders/boom-1')
    assert.deepEqual(d.delivery.request.body, { order: 'boom-1', amount: 5 })
    assert.deepEqual(d.attempts.map((a) => [a.attempt, a.status]), [[1, 500], [2, 500]])
    const excerpt = ((await call('GET', `/v1/dlq/${big}`)).json() as { attempts: Array<{ responseExcerpt: string }> }).attempts[0]?.responseExcerpt ?? ''
    assert.match(excerpt, /too big/)
    assert.doesNotMatch(excerpt, /sk_live_should_be_redacted/)
  })

  it('answers 404 for a delivery that is not dead, or unknown', async () => {
    const res = await call('GET', `/v1/dlq/${small}`)
    assert.equal(res.statusCode, 404)
    assert.match(res.json().detail, /is delivered, not in the dead-letter queue/)
    assert.equal((await call('GET', '/v1/dlq/0197aaaa-0000-7000-8000-000000000000')).statusCode, 404)
  })

  it('refuses bad selections and changes nothing: neither or both of ids/filter (400), an unknown id (404), a live one (409)', async () => {
    const cases: Array<[unknown, number, string]> = [
      [{}, 400, 'SB_ERR_ADMIN_BAD_REQUEST'],
      [{ ids: [big], filter: {} }, 400, 'SB_ERR_ADMIN_BAD_REQUEST'],
      [{ ids: [] }, 400, 'SB_ERR_ADMIN_BAD_REQUEST'],
      [{ ids: [big], extra: true }, 400, 'SB_ERR_ADMIN_BAD_REQUEST'],
      [{ filter: { flow: 'to-sink', sql: '1=1' } }, 400, 'SB_ERR_ADMIN_BAD_REQUEST'],
      [{ ids: [big, '0197aaaa-0000-7000-8000-000000000000'] }, 404, 'SB_ERR_ADMIN_NOT_FOUND'],
      [{ ids: [big, small] }, 409, 'SB_ERR_FLOW_DELIVERY_STATE'],
    ]
    for (const path of ['/v1/dlq/replay', '/v1/dlq/discard']) {
      for (const [body, status, code] of cases) {
        const res = await call('POST', path, body)
        assert.equal(res.statusCode, status, `${path} ${JSON.stringify(body)}`)
        assert.equal(res.json().code, code)
      }
    }
    assert.equal((await f.store.deliveries.get(big))?.status, 'dead', 'still dead')
    assert.deepEqual(await f.store.audit.list({ action: 'dlq.replay' }), [])
  })

  it('allows one bulk replay at a time per node (429 while one runs)', async () => {
    // Two dead deliveries at one per second: the first call takes about two seconds.
    const diedAt = (await f.store.deliveries.get(big))?.updatedAt
    const first = call('POST', '/v1/dlq/replay', { ids: [big, boom], ratePerSecond: 1 })
    await waitFor('the first replay to start', async () => (await f.store.deliveries.get(big))?.updatedAt !== diedAt)
    const b = await call('POST', '/v1/dlq/replay', { ids: [boom] })
    const a = await first
    assert.equal(b.statusCode, 429)
    assert.equal(b.json().code, 'SB_ERR_FLOW_REPLAY_BUSY')
    assert.equal(a.statusCode, 200)
    assert.deepEqual(a.json(), { matched: 2, changed: 2 })
    // The sink still refuses: both die again, with a fresh attempt count and the old attempts kept.
    const again = await deliveryOf((await f.store.deliveries.get(big))?.eventId ?? '', 'dead')
    assert.equal(again.attempts, 1)
    assert.equal((await f.store.deliveries.attempts(big)).length, 2)
    await deliveryOf((await f.store.deliveries.get(boom))?.eventId ?? '', 'dead')
  })

  it('replays by id once the target recovered: delivered, and audited as dlq.replay by admin-api', async () => {
    recovered = true
    const res = await call('POST', '/v1/dlq/replay', { ids: [big] })
    assert.equal(res.statusCode, 200)
    assert.deepEqual(res.json(), { matched: 1, changed: 1 })
    const d = await deliveryOf((await f.store.deliveries.get(big))?.eventId ?? '', 'delivered')
    assert.equal(d.id, big)
    const idKeys = f.sink.requests.filter((r) => r.path === '/orders/o-big').map((r) => r.headers['idempotency-key'])
    assert.equal(new Set(idKeys).size, 1, 'every attempt and the replay carry the same Idempotency-Key')
    const [entry] = await f.store.audit.list({ action: 'dlq.replay' })
    assert.equal(entry?.actor, 'admin-api')
    assert.equal(entry?.target, big)
    assert.deepEqual(entry?.details, { ids: [big], idCount: 1, matched: 1, changed: 1 })
  })

  it('discards by filter: the delivery leaves the DLQ, stays in the history, and the discard is audited', async () => {
    recovered = false
    const eventId = await publish('o-big-2', 2000)
    const dead = await deliveryOf(eventId, 'dead')
    const res = await call('POST', '/v1/dlq/discard', { filter: { flow: 'to-sink', error: 'SB_ERR_FLOW_TARGET_STATUS' } })
    assert.equal(res.statusCode, 200)
    const report = res.json() as { matched: number; changed: number }
    assert.ok(report.changed >= 1)
    assert.equal((await f.store.deliveries.get(dead.id))?.status, 'discarded')
    assert.deepEqual(((await call('GET', '/v1/dlq')).json() as { items: Row[] }).items, [])
    assert.equal(((await call('GET', `/v1/deliveries/${dead.id}`)).json() as { delivery: Row }).delivery.status, 'discarded')
    const [entry] = await f.store.audit.list({ action: 'dlq.discard' })
    assert.equal(entry?.actor, 'admin-api')
    assert.equal(entry?.target, 'to-sink')
    assert.deepEqual(entry?.details, { filter: { flow: 'to-sink', error: 'SB_ERR_FLOW_TARGET_STATUS' }, ...report })
  })
})

describe('admin API: a node without event flows', () => {
  it('answers 503 SB_ERR_ADMIN_NOT_READY on the event, delivery and DLQ endpoints', async () => {
    const f = await adminFixture()
    try {
      for (const url of ['/v1/dlq', '/v1/deliveries', '/v1/events']) {
        const res = await f.app.inject({ method: 'GET', url, headers: auth })
        assert.equal(res.statusCode, 503, url)
        assert.equal(res.json().code, 'SB_ERR_ADMIN_NOT_READY')
      }
    } finally {
      await f.close()
    }
  })
})
