/** Delivery end to end: publish → worker → loopback target, with retries, DLQ, breaker, ordering. */
import assert from 'node:assert/strict'
import { afterEach, describe, it } from 'node:test'
import { standardWebhookKey, standardWebhookMac } from '../../src/core/webhook-signature.js'
import { FAST_RETRY, startHarness, waitFor, type Harness } from './helpers/harness.js'
import { startSink, type Sink } from './helpers/sink.js'

let h: Harness | undefined
let sinks: Sink[] = []
afterEach(async () => {
  await h?.close()
  h = undefined
  await Promise.all(sinks.map((s) => s.close()))
  sinks = []
})

async function sink(...args: Parameters<typeof startSink>): Promise<Sink> {
  const s = await startSink(...args)
  sinks.push(s)
  return s
}

const deadList = async () => {
  const ds = await h?.service.dlq.list()
  return ds?.length ? ds : undefined
}
const deliveryStatus = async (eventId: string) => (await h?.store.deliveries.list({ eventId }))?.map((d) => d.status) ?? []

describe('worker', () => {
  it('delivers the transformed body with a stable Idempotency-Key, X-Request-Id, traceparent and a Standard Webhooks signature', async () => {
    const s = await sink()
    const secret = `whsec_${Buffer.from('k'.repeat(32)).toString('base64')}`
    h = await startHarness({
      systems: { inv: { baseUrl: s.url } },
      flows: [
        {
          id: 'order-to-invoice',
          on: 'order.created',
          transform: "{ 'customer': customer.email, 'amount': total, 'event': $event.id }",
          to: { system: 'inv', post: '/customers/{customer.id}/invoices', headers: { 'x-tenant': 'acme' }, sign: { secret } },
        },
      ],
    })
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
    const { id } = await h.service.publish({ topic: 'order.created', body: { total: 12, customer: { id: 'c 1', email: 'a@b.c' } }, traceparent, requestId: 'rq-1' })
    await waitFor('delivery', () => s.requests.length === 1)
    const r = s.requests[0]
    assert.ok(r)
    assert.equal(r.method, 'POST')
    assert.equal(r.path, '/customers/c%201/invoices')
    assert.deepEqual(JSON.parse(r.body), { customer: 'a@b.c', amount: 12, event: id })
    assert.equal(r.headers['idempotency-key'], `${id}:order-to-invoice`)
    assert.equal(r.headers['x-tenant'], 'acme')
    assert.match(String(r.headers['x-request-id']), /^[0-9a-f-]{36}$/)
    assert.match(String(r.headers.traceparent), /^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/)
    const mac = standardWebhookMac(standardWebhookKey(secret), String(r.headers['webhook-id']), String(r.headers['webhook-timestamp']), r.body)
    assert.equal(r.headers['webhook-signature'], `v1,${mac.toString('base64')}`)
    await waitFor('delivered', async () => (await deliveryStatus(id))[0] === 'delivered')
  })

  it('skips an event the filter does not select, without a request', async () => {
    const s = await sink()
    h = await startHarness({
      systems: { inv: { baseUrl: s.url } },
      flows: [{ id: 'big-only', on: 'order.created', filter: 'total > 100', to: { system: 'inv', post: '/x' } }],
    })
    const small = await h.service.publish({ topic: 'order.created', body: { total: 5 } })
    const big = await h.service.publish({ topic: 'order.created', body: { total: 500 } })
    await waitFor('both settled', async () => (await deliveryStatus(small.id))[0] === 'skipped' && (await deliveryStatus(big.id))[0] === 'delivered')
    assert.equal(s.requests.length, 1)
    assert.deepEqual(JSON.parse(s.requests[0]?.body ?? ''), { total: 500 })
  })

  it('retries 503 and 429 (honouring Retry-After) with backoff, then delivers; every attempt is recorded', async () => {
    const s = await sink((_r, i) => (i === 0 ? { status: 503, body: '{"error":"down","token":"t0p"}' } : i === 1 ? { status: 429, headers: { 'retry-after': '0' } } : { status: 204 }))
    h = await startHarness({ systems: { inv: { baseUrl: s.url, retry: FAST_RETRY } }, flows: [{ id: 'f', on: 'order.created', to: { system: 'inv', put: '/x' } }] })
    const { id } = await h.service.publish({ topic: 'order.created', body: { n: 1 } })
    const [d] = await waitFor('delivered', async () => {
      const ds = await h?.store.deliveries.list({ eventId: id, status: 'delivered' })
      return ds?.length ? ds : undefined
    })
    assert.ok(d)
    assert.equal(s.requests.length, 3)
    assert.equal(new Set(s.requests.map((r) => r.headers['idempotency-key'])).size, 1, 'same Idempotency-Key on every attempt')
    assert.equal(new Set(s.requests.map((r) => r.headers['x-request-id'])).size, 3, 'a new X-Request-Id per attempt')
    const attempts = await h.store.deliveries.attempts(d.id)
    assert.deepEqual(attempts.map((a) => [a.attempt, a.status]), [[1, 503], [2, 429], [3, 204]])
    assert.equal(attempts[0]?.responseExcerpt, '{"error":"down","token":"[redacted]"}')
    assert.equal(attempts[0]?.errorCode, 'SB_ERR_FLOW_TARGET_STATUS')
    assert.equal(attempts[2]?.errorCode, null)
  })

  it('dead-letters a 4xx at once with the request and attempt; replay delivers it once the target is fixed', async () => {
    let fixed = false
    const s = await sink(() => (fixed ? { status: 200 } : { status: 422, body: '{"message":"amount missing"}' }))
    h = await startHarness({
      systems: { inv: { baseUrl: s.url, retry: FAST_RETRY, headers: { authorization: 'Bearer sys-secret' } } },
      flows: [{ id: 'f', on: 'order.created', transform: "{ 'amount': total, 'password': 'p4ss' }", to: { system: 'inv', post: '/invoices', headers: { 'x-api-key': 'k3y' } } }],
    })
    const { id } = await h.service.publish({ topic: 'order.created', body: { total: 3 } })
    const [dead] = await waitFor('dead', deadList)
    assert.ok(dead)
    assert.equal(dead.eventId, id)
    assert.equal(dead.deadReason, 'non-retryable')
    assert.equal(dead.lastStatus, 422)
    assert.equal(s.requests.length, 1, 'no retry for a 4xx')
    const detail = await h.service.dlq.show(dead.id)
    assert.deepEqual(detail?.event?.body, { total: 3 })
    assert.equal(detail?.attempts.length, 1)
    assert.equal(detail?.attempts[0]?.responseExcerpt, '{"message":"amount missing"}')
    const req = detail?.delivery.request as { method: string; path: string; headers: Record<string, string>; body: unknown }
    assert.equal(req.method, 'POST')
    assert.equal(req.path, '/invoices')
    assert.equal(req.headers['x-api-key'], '[redacted]')
    assert.deepEqual(req.body, { amount: 3, password: '[redacted]' })
    assert.equal(s.requests[0]?.headers['x-api-key'], 'k3y', 'only the record is redacted, not the request')

    fixed = true
    assert.deepEqual(await h.service.dlq.replay({ ids: [dead.id] }), { matched: 1, changed: 1 })
    await waitFor('delivered after replay', async () => (await deliveryStatus(id))[0] === 'delivered')
    assert.equal(s.requests.length, 2)
    assert.equal(s.requests[1]?.headers['idempotency-key'], s.requests[0]?.headers['idempotency-key'])
    assert.equal((await h.store.deliveries.attempts(dead.id)).length, 2, 'history kept across the replay')
  })

  it('410 Gone dead-letters and flags the flow target', async () => {
    const s = await sink(() => ({ status: 410 }))
    h = await startHarness({ systems: { inv: { baseUrl: s.url } }, flows: [{ id: 'gone-flow', on: 'order.created', to: { system: 'inv', post: '/old' } }] })
    await h.service.publish({ topic: 'order.created', body: {} })
    const [dead] = await waitFor('dead', deadList)
    assert.equal(dead?.deadReason, 'gone')
    assert.equal(dead?.lastErrorCode, 'SB_ERR_FLOW_TARGET_GONE')
    assert.deepEqual((await h.service.stats()).goneTargets, { 'gone-flow': '/old' })
  })

  it('an expression error or an unsafe path value dead-letters without sending anything', async () => {
    const s = await sink()
    h = await startHarness({
      systems: { inv: { baseUrl: s.url } },
      flows: [
        { id: 'bad-transform', on: 'order.created', transform: '$number(name)', to: { system: 'inv', post: '/x' } },
        { id: 'bad-path', on: 'order.created', to: { system: 'inv', post: '/orders/{ref}' } },
      ],
    })
    await h.service.publish({ topic: 'order.created', body: { name: 'abc', ref: '../admin' } })
    const dead = await waitFor('two dead', async () => {
      const ds = await h?.service.dlq.list()
      return ds?.length === 2 ? ds : undefined
    })
    const byFlow = new Map(dead.map((d) => [d.flowId, d]))
    assert.equal(byFlow.get('bad-transform')?.lastErrorCode, 'SB_ERR_FLOW_EXPRESSION')
    assert.match(byFlow.get('bad-transform')?.lastError ?? '', /flows\[0\]\.transform: .*number/i)
    assert.equal(byFlow.get('bad-path')?.lastErrorCode, 'SB_ERR_FLOW_TARGET_PATH')
    const attempts = await h.store.deliveries.attempts(byFlow.get('bad-path')?.id ?? '')
    assert.deepEqual(attempts.map((a) => [a.status, a.errorCode]), [[null, 'SB_ERR_FLOW_TARGET_PATH']])
    assert.equal(s.requests.length, 0)
  })

  it('gives up after the last attempt and keeps every attempt', async () => {
    const s = await sink(() => ({ status: 500 }))
    h = await startHarness({ systems: { inv: { baseUrl: s.url, retry: { ...FAST_RETRY, attempts: 3 } } }, flows: [{ id: 'f', on: 'order.created', to: { system: 'inv', post: '/x' } }] })
    await h.service.publish({ topic: 'order.created', body: {} })
    const [dead] = await waitFor('dead', deadList)
    assert.equal(dead?.deadReason, 'attempts')
    assert.equal(s.requests.length, 3)
    assert.equal((await h.store.deliveries.attempts(dead?.id ?? '')).length, 3)
  })

  it('keeps per-key order when the flow asks, even when the head of a key fails first', async () => {
    let failedOnce = false
    const s = await sink((r) => {
      const { n } = JSON.parse(r.body) as { n: number }
      if (n === 0 && !failedOnce) {
        failedOnce = true
        return { status: 503 }
      }
      return { status: 200, delayMs: 5 }
    })
    h = await startHarness({
      systems: { inv: { baseUrl: s.url, retry: FAST_RETRY } },
      flows: [{ id: 'ordered', on: 'order.created', ordering: 'key', concurrency: 8, to: { system: 'inv', post: '/x' } }],
    })
    for (let n = 0; n < 6; n++) await h.service.publish({ topic: 'order.created', key: 'cust-1', body: { n } })
    await waitFor('all delivered', () => s.requests.filter((r) => r.method === 'POST').length === 7)
    const order = s.requests.map((r) => (JSON.parse(r.body) as { n: number }).n)
    assert.deepEqual(order, [0, 0, 1, 2, 3, 4, 5])
  })

  it('never runs more than a flow’s concurrency at once', async () => {
    const s = await sink(() => ({ status: 200, delayMs: 30 }))
    h = await startHarness({ systems: { inv: { baseUrl: s.url } }, flows: [{ id: 'narrow', on: 'order.created', concurrency: 2, to: { system: 'inv', post: '/x' } }] })
    await Promise.all(Array.from({ length: 10 }, (_, n) => h?.service.publish({ topic: 'order.created', body: { n } })))
    await waitFor('all delivered', () => s.requests.length === 10)
    assert.ok(s.maxConcurrent <= 2, `max concurrent ${s.maxConcurrent}`)
    assert.equal(s.maxConcurrent, 2)
  })

  it('while a circuit is open its deliveries wait without spending attempts, resume by themselves, and other systems keep flowing', async () => {
    let down = true
    const a = await sink(() => (down ? { status: 503 } : { status: 200 }))
    const b = await sink(() => ({ status: 200 }))
    h = await startHarness({
      systems: {
        flaky: { baseUrl: a.url, retry: { ...FAST_RETRY, attempts: 50 }, circuitBreaker: { minRequests: 2, failureRate: 0.5, cooldown: '150ms', window: '10s' } },
        steady: { baseUrl: b.url },
      },
      flows: [
        { id: 'to-flaky', on: 'order.created', to: { system: 'flaky', post: '/a' } },
        { id: 'to-steady', on: 'order.created', to: { system: 'steady', post: '/b' } },
      ],
    })
    for (let n = 0; n < 8; n++) await h.service.publish({ topic: 'order.created', body: { n } })
    await waitFor('circuit open', () => h?.systems.get('flaky').breaker.state === 'open')
    // The other system is not held up by the open circuit.
    await waitFor('steady delivered', async () => (await h?.store.deliveries.list({ flowId: 'to-steady', status: 'delivered' }))?.length === 8)
    assert.ok((await h.store.deliveries.list({ flowId: 'to-flaky', status: ['pending', 'in_flight'] })).length > 0, 'flaky deliveries still waiting')
    down = false
    await waitFor('flaky delivered', async () => (await h?.store.deliveries.list({ flowId: 'to-flaky', status: 'delivered' }))?.length === 8)
    // Waiting on the circuit spent no attempt: every recorded attempt is a request the target saw.
    let recorded = 0
    for (const d of await h.store.deliveries.list({ flowId: 'to-flaky' })) recorded += (await h.store.deliveries.attempts(d.id)).length
    assert.equal(recorded, a.requests.length)
    assert.equal((await h.service.dlq.list()).length, 0)
  })

  it('publishes onward to another topic exactly once per delivery', async () => {
    const s = await sink()
    h = await startHarness({
      topics: { 'order.created': {}, 'invoice.requested': {} },
      systems: { inv: { baseUrl: s.url } },
      flows: [
        { id: 'relay', on: 'order.created', transform: "{ 'amount': total }", publish: { topic: 'invoice.requested' } },
        { id: 'bill', on: 'invoice.requested', to: { system: 'inv', post: '/bill' } },
      ],
    })
    const { id } = await h.service.publish({ topic: 'order.created', body: { total: 9 }, key: 'k' })
    await waitFor('billed', () => s.requests.length === 1)
    assert.deepEqual(JSON.parse(s.requests[0]?.body ?? ''), { amount: 9 })
    const onward = await h.store.events.list({ topic: 'invoice.requested' })
    assert.equal(onward.length, 1)
    assert.equal(onward[0]?.sourceId, `${id}:relay`)
    assert.equal(onward[0]?.key, 'k')
    // A second run of the relay delivery (as after a crash) is a duplicate: nothing new is delivered.
    assert.deepEqual(await h.service.publish({ topic: 'invoice.requested', id: `${id}:relay`, body: { amount: 9 } }), { id: onward[0]?.id, duplicate: true })
  })

  it('a graceful stop lets in-flight deliveries finish within the grace period and releases the rest', async () => {
    const s = await sink(() => ({ status: 200, delayMs: 60_000 }))
    h = await startHarness({ systems: { inv: { baseUrl: s.url, timeout: '2m' } }, flows: [{ id: 'f', on: 'order.created', to: { system: 'inv', post: '/x' } }] })
    const { id } = await h.service.publish({ topic: 'order.created', body: {} })
    await waitFor('in flight', () => s.requests.length === 1)
    const harness = h
    h = undefined
    await harness.service.stop(100)
    const [d] = await harness.store.deliveries.list({ eventId: id })
    assert.equal(d?.status, 'pending', 'released, not left in flight')
    assert.equal(d?.attempts, 0, 'the unfinished attempt is not counted')
    await harness.systems.close()
    await harness.store.close()
  })
})
