import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { SwitchboardError } from '../../src/core/errors.js'
import type { EventPublisher, PublishRequest, PublishResult } from '../../src/gateway/publish.js'
import { gatewayFor, RecordingPublisher, type TestGateway } from './helpers.js'

const ROUTES = [
  {
    id: 'shop-hook',
    post: '/hooks/shop/:shop',
    request: { validate: { body: { type: 'object', required: ['customer'] } } },
    publish: { topic: 'order.created', id: "headers.'webhook-id'", key: 'body.customer.id & "@" & params.shop', headers: ['Webhook-Id', 'X-Source'] },
  },
  { id: 'plain', post: '/events', publish: { topic: 'misc' } },
  { id: 'bad-id', post: '/bad-id', publish: { topic: 'misc', id: 'body' } },
]

describe('publish routes', () => {
  const publisher = new RecordingPublisher()
  let t: TestGateway
  before(async () => {
    t = await gatewayFor({ routes: ROUTES }, { publisher })
  })
  after(async () => {
    await t.close()
  })

  it('publishes the body with id, key and kept headers, then answers 202', async () => {
    const res = await t.gateway.app.inject({
      method: 'POST',
      url: '/hooks/shop/s1',
      headers: { 'webhook-id': 'msg_1', 'x-source': 'shopify', 'x-other': 'dropped', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', 'x-request-id': 'req-1' },
      payload: { customer: { id: 'c9' }, total: 5 },
    })
    assert.equal(res.statusCode, 202)
    assert.deepEqual(res.json(), { id: 'msg_1', topic: 'order.created', duplicate: false })
    const e = publisher.events.at(-1)
    assert.ok(e)
    assert.equal(e.topic, 'order.created')
    assert.equal(e.id, 'msg_1')
    assert.equal(e.key, 'c9@s1')
    assert.deepEqual(e.body, { customer: { id: 'c9' }, total: 5 })
    assert.deepEqual(e.headers, { 'webhook-id': 'msg_1', 'x-source': 'shopify' })
    assert.equal(e.requestId, 'req-1')
    assert.equal(e.traceparent, '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01')
  })

  it('reports a repeated id as a duplicate', async () => {
    const res = await t.gateway.app.inject({ method: 'POST', url: '/hooks/shop/s1', headers: { 'webhook-id': 'msg_1' }, payload: { customer: { id: 'c9' } } })
    assert.equal(res.statusCode, 202)
    assert.equal(res.json().duplicate, true)
  })

  it('validates before publishing: nothing is published for an invalid body', async () => {
    const before = publisher.events.length
    const res = await t.gateway.app.inject({ method: 'POST', url: '/hooks/shop/s1', payload: { nope: 1 } })
    assert.equal(res.statusCode, 400)
    assert.equal(res.json().code, 'SB_ERR_GATEWAY_VALIDATION_FAILED')
    const empty = await t.gateway.app.inject({ method: 'POST', url: '/events' })
    assert.equal(empty.statusCode, 400)
    assert.equal(publisher.events.length, before)
  })

  it('lets the publisher generate the id when the route has none', async () => {
    const res = await t.gateway.app.inject({ method: 'POST', url: '/events', payload: [1, 2] })
    assert.equal(res.statusCode, 202)
    assert.match(res.json().id, /^generated-/)
  })

  it('refuses an id expression giving a non-scalar with 400', async () => {
    const res = await t.gateway.app.inject({ method: 'POST', url: '/bad-id', payload: { a: 1 } })
    assert.equal(res.statusCode, 400)
  })

  it('answers 503 with Retry-After when the publisher fails, and passes its 4xx refusals on', async () => {
    publisher.fail = new Error('store down')
    const res = await t.gateway.app.inject({ method: 'POST', url: '/events', payload: { a: 1 } })
    assert.equal(res.statusCode, 503)
    assert.equal(res.json().code, 'SB_ERR_GATEWAY_PUBLISH_FAILED')
    assert.equal(res.headers['retry-after'], '1')
    assert.doesNotMatch(res.body, /store down/)
    publisher.fail = new SwitchboardError('SB_ERR_EVENT_INVALID', 'total must be a number')
    const invalid = await t.gateway.app.inject({ method: 'POST', url: '/events', payload: { a: 1 } })
    assert.equal(invalid.statusCode, 422)
    assert.equal(invalid.json().code, 'SB_ERR_EVENT_INVALID')
    publisher.fail = undefined
  })
})

describe('publish routes answer only once the event is committed', () => {
  let release: ((r: PublishResult) => void) | undefined
  const publisher: EventPublisher = {
    publish: (_e: PublishRequest) =>
      new Promise<PublishResult>((resolve) => {
        release = resolve
      }),
  }
  let t: TestGateway
  before(async () => {
    t = await gatewayFor({ routes: ROUTES }, { publisher })
  })
  after(async () => {
    await t.close()
  })

  it('holds the 202 until publish resolves', async () => {
    let answered = false
    const pending = t.gateway.app.inject({ method: 'POST', url: '/events', payload: { a: 1 } }).then((r) => {
      answered = true
      return r
    })
    for (let i = 0; i < 20 && release === undefined; i++) await new Promise((r) => setTimeout(r, 10))
    assert.ok(release, 'publish was called')
    await new Promise((r) => setTimeout(r, 30))
    assert.equal(answered, false)
    release({ id: 'e1', duplicate: false })
    const res = await pending
    assert.equal(res.statusCode, 202)
    assert.deepEqual(res.json(), { id: 'e1', topic: 'misc', duplicate: false })
  })
})

describe('publish routes without a publisher', () => {
  it('answer 503 (the node runs no event layer)', async () => {
    const t = await gatewayFor({ routes: ROUTES })
    try {
      const res = await t.gateway.app.inject({ method: 'POST', url: '/events', payload: { a: 1 } })
      assert.equal(res.statusCode, 503)
      assert.equal(res.json().code, 'SB_ERR_GATEWAY_PUBLISH_FAILED')
    } finally {
      await t.close()
    }
  })
})
