/**
 * Publishing through the admin API (POST /v1/topics/{topic}/events) against a real SQLite store
 * and flows service: 202 only once stored (then visible and delivered), 422 with violations and
 * nothing stored, 404 for an unknown topic, dedupe by id; events and deliveries listed and shown.
 */
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { waitFor } from '../flows/helpers/harness.js'
import { auth, eventsFixture, type EventsFixture } from './events-fixture.js'

interface Accepted {
  id: string
  topic: string
  duplicate: boolean
}

describe('admin API: events', () => {
  let f: EventsFixture
  before(async () => {
    f = await eventsFixture()
  })
  after(() => f.close())

  const publish = (topic: string, body: unknown, headers: Record<string, string> = {}, query = '') =>
    f.app.inject({ method: 'POST', url: `/v1/topics/${topic}/events${query}`, headers: { ...auth, 'content-type': 'application/json', ...headers }, payload: JSON.stringify(body) })
  const get = (url: string) => f.app.inject({ method: 'GET', url, headers: auth })

  it('refuses every event, delivery and DLQ endpoint without the admin token (401)', async () => {
    const calls = [
      { method: 'POST' as const, url: '/v1/topics/order.created/events', payload: { id: 'x', total: 1 } },
      { method: 'GET' as const, url: '/v1/events' },
      { method: 'GET' as const, url: '/v1/events/abc' },
      { method: 'GET' as const, url: '/v1/deliveries' },
      { method: 'GET' as const, url: '/v1/deliveries/abc' },
      { method: 'GET' as const, url: '/v1/dlq' },
      { method: 'GET' as const, url: '/v1/dlq/abc' },
      { method: 'POST' as const, url: '/v1/dlq/replay', payload: { ids: ['abc'] } },
      { method: 'POST' as const, url: '/v1/dlq/discard', payload: { ids: ['abc'] } },
    ]
    for (const c of calls) {
      const res = await f.app.inject({ ...c, headers: { authorization: 'Bearer wrong-token-wrong-token' } })
      assert.equal(res.statusCode, 401, `${c.method} ${c.url}`)
      assert.equal(res.json().code, 'SB_ERR_ADMIN_UNAUTHORIZED')
    }
    assert.deepEqual(await f.store.events.list({}), [], 'nothing was published')
  })

  it('answers 202 after the commit: the event is stored, visible, and delivered with its Idempotency-Key', async () => {
    const res = await publish('order.created', { id: 'o-1', total: 12.5 }, { 'x-event-key': 'cust-7' })
    assert.equal(res.statusCode, 202)
    const accepted = res.json() as Accepted
    assert.equal(accepted.topic, 'order.created')
    assert.equal(accepted.duplicate, false)
    // Stored at the moment of the answer, not later.
    const stored = await f.store.events.get(accepted.id)
    assert.deepEqual(stored?.body, { id: 'o-1', total: 12.5 })
    assert.equal(stored?.key, 'cust-7')

    const shown = await get(`/v1/events/${accepted.id}`)
    assert.equal(shown.statusCode, 200)
    const body = shown.json() as { event: { id: string; topic: string; key: string; body: unknown; createdAt: string }; deliveries: Array<{ flowId: string; status: string }> }
    assert.equal(body.event.id, accepted.id)
    assert.equal(body.event.key, 'cust-7')
    assert.match(body.event.createdAt, /^\d{4}-\d\d-\d\dT/)
    assert.deepEqual(body.deliveries.map((d) => d.flowId), ['to-sink'])

    const req = await waitFor('the sink to receive the delivery', () => f.sink.requests.find((r) => r.path === '/orders/o-1'))
    assert.equal(req.headers['idempotency-key'], `${accepted.id}:to-sink`)
    assert.deepEqual(JSON.parse(req.body), { order: 'o-1', amount: 12.5 })
    await waitFor('the delivery to be recorded delivered', async () => (await f.store.deliveries.list({ eventId: accepted.id }))[0]?.status === 'delivered')
  })

  it('takes the ordering key from ?key= too, and refuses two different keys', async () => {
    const res = await publish('note.added', { text: 'hi' }, {}, '?key=k-1')
    assert.equal(res.statusCode, 202)
    assert.equal((await f.store.events.get((res.json() as Accepted).id))?.key, 'k-1')
    const both = await publish('note.added', { text: 'hi' }, { 'x-event-key': 'k-2' }, '?key=k-1')
    assert.equal(both.statusCode, 400)
    assert.equal(both.json().code, 'SB_ERR_ADMIN_BAD_REQUEST')
  })

  it('refuses a body that breaks the topic schema with 422 and every violation, storing nothing', async () => {
    const before = (await f.store.events.list({ limit: 1000 })).length
    const res = await publish('order.created', { id: 42, total: -1 }, { 'idempotency-key': 'bad-1' })
    assert.equal(res.statusCode, 422)
    assert.match(String(res.headers['content-type']), /^application\/problem\+json/)
    const problem = res.json() as { code: string; violations: Array<{ path: string; message: string }> }
    assert.equal(problem.code, 'SB_ERR_EVENT_INVALID')
    assert.deepEqual(problem.violations.map((v) => v.path).sort(), ['/id', '/total'])
    assert.equal((await f.store.events.list({ limit: 1000 })).length, before)
    // The refused id was not remembered: the corrected event is accepted as new.
    const fixed = await publish('order.created', { id: 'o-bad-1', total: 1 }, { 'idempotency-key': 'bad-1' })
    assert.equal(fixed.statusCode, 202)
    assert.equal((fixed.json() as Accepted).duplicate, false)
  })

  it('refuses an empty body and an over-long id with 422', async () => {
    const empty = await f.app.inject({ method: 'POST', url: '/v1/topics/note.added/events', headers: { ...auth, 'content-type': 'application/json' }, payload: '' })
    assert.equal(empty.statusCode, 422)
    assert.equal(empty.json().code, 'SB_ERR_EVENT_INVALID')
    const long = await publish('note.added', { text: 'x' }, { 'x-event-id': 'i'.repeat(201) })
    assert.equal(long.statusCode, 422)
  })

  it('answers 404 SB_ERR_EVENT_UNKNOWN_TOPIC for a topic not in the config', async () => {
    const res = await publish('order.deleted', { id: 'o-1' })
    assert.equal(res.statusCode, 404)
    assert.equal(res.json().code, 'SB_ERR_EVENT_UNKNOWN_TOPIC')
    const hostile = await publish('..%2f..%2fetc', { id: 'o-1' })
    assert.equal(hostile.statusCode, 404)
  })

  it('dedupes on the event id: the same Idempotency-Key again is 202 duplicate with the original id, and no new delivery', async () => {
    const first = (await publish('order.created', { id: 'o-dup', total: 3 }, { 'idempotency-key': 'shop-evt-1' })).json() as Accepted
    const again = await publish('order.created', { id: 'o-dup', total: 3 }, { 'x-event-id': 'shop-evt-1' })
    assert.equal(again.statusCode, 202)
    assert.deepEqual(again.json(), { id: first.id, topic: 'order.created', duplicate: true })
    assert.equal((await f.store.deliveries.list({ eventId: first.id })).length, 1)
    const conflicting = await publish('order.created', { id: 'o-dup', total: 3 }, { 'idempotency-key': 'a', 'x-event-id': 'b' })
    assert.equal(conflicting.statusCode, 400)
  })

  it('lists events newest first, by topic, paged', async () => {
    for (const n of [1, 2, 3]) assert.equal((await publish('note.added', { n })).statusCode, 202)
    const page = (await get('/v1/events?topic=note.added&limit=2')).json() as { items: Array<{ topic: string; body: { n?: number } }>; next: string | null }
    assert.deepEqual(page.items.map((e) => e.body.n), [3, 2])
    assert.ok(page.next)
    const rest = (await get(`/v1/events?topic=note.added&limit=2&before=${page.next}`)).json() as { items: Array<{ body: { n?: number } }> }
    assert.equal(rest.items[0]?.body.n, 1)
    assert.ok(rest.items.every((e) => (e as { topic?: string }).topic === 'note.added'))
  })

  it('answers 404 for an unknown event or delivery, and 400 for a malformed id', async () => {
    assert.equal((await get('/v1/events/0197aaaa-0000-7000-8000-000000000000')).statusCode, 404)
    assert.equal((await get('/v1/deliveries/0197aaaa-0000-7000-8000-000000000000')).json().code, 'SB_ERR_ADMIN_NOT_FOUND')
    assert.equal((await get('/v1/deliveries/..%2F..')).statusCode, 400)
  })

  it('lists deliveries by flow and status, and shows one with its attempts', async () => {
    const { id } = (await publish('order.created', { id: 'o-hist', total: 9 })).json() as Accepted
    const delivery = await waitFor('the delivery', async () => {
      const [d] = await f.store.deliveries.list({ eventId: id })
      return d?.status === 'delivered' ? d : undefined
    })
    const list = (await get('/v1/deliveries?flow=to-sink&status=delivered&limit=1000')).json() as { items: Array<{ id: string; status: string }>; next: number | null }
    assert.ok(list.items.some((d) => d.id === delivery.id))
    assert.ok(list.items.every((d) => d.status === 'delivered'))
    assert.equal(list.next, null)
    assert.deepEqual((await get('/v1/deliveries?flow=no-such-flow')).json().items, [])
    assert.equal((await get('/v1/deliveries?status=lost')).statusCode, 400)

    const shown = (await get(`/v1/deliveries/${delivery.id}`)).json() as {
      delivery: { id: string; status: string; request: unknown }
      event: { id: string }
      attempts: Array<{ attempt: number; status: number; errorCode: string | null }>
    }
    assert.equal(shown.delivery.status, 'delivered')
    assert.equal(shown.event.id, id)
    assert.deepEqual(shown.attempts.map((a) => [a.attempt, a.status, a.errorCode]), [[1, 200, null]])
    // The request is kept for failures only (the DLQ shows it); a clean delivery stores none.
    assert.equal(shown.delivery.request, null)
  })
})
