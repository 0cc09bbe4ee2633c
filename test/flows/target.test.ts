import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { childTraceparent, compileTarget, idempotencyKey, type RequestInput } from '../../src/flows/target.js'
import { NonRetryableError, SwitchboardError } from '../../src/core/errors.js'
import { standardWebhookKey, standardWebhookMac } from '../../src/core/webhook-signature.js'

const input = (over: Partial<RequestInput> = {}): RequestInput => ({
  eventId: 'ev-1',
  flowId: 'order-to-invoice',
  eventBody: { id: 'o 1/x', customer: { id: 42 } },
  payload: { amount: 5 },
  now: 1_700_000_000_000,
  ...over,
})

describe('compileTarget', () => {
  it('builds method, encoded path, JSON body and the stable headers', () => {
    const t = compileTarget({ system: 'inv', put: '/customers/{customer.id}/orders/{ref}', headers: { 'x-tenant': 't1' } }, 'flows[0].to')
    const req = t.build(input({ eventBody: { ref: 'A&B ü?', customer: { id: 42 } } }))
    assert.equal(req.method, 'PUT')
    assert.equal(req.path, '/customers/42/orders/A%26B%20%C3%BC%3F')
    assert.equal(req.body, '{"amount":5}')
    assert.equal(req.headers['content-type'], 'application/json')
    assert.equal(req.headers['idempotency-key'], 'ev-1:order-to-invoice')
    assert.equal(req.headers['x-tenant'], 't1')
    assert.match(req.headers['x-request-id'] ?? '', /^[0-9a-f-]{36}$/)
    assert.match(req.headers.traceparent ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/)
  })

  it('keeps the Idempotency-Key stable across builds while X-Request-Id changes', () => {
    const t = compileTarget({ system: 'inv', post: '/invoices' }, 'f')
    const a = t.build(input())
    const b = t.build(input())
    assert.equal(a.headers['idempotency-key'], b.headers['idempotency-key'])
    assert.equal(a.headers['idempotency-key'], idempotencyKey('ev-1', 'order-to-invoice'))
    assert.notEqual(a.headers['x-request-id'], b.headers['x-request-id'])
  })

  it('a configured Content-Type (any case) replaces the JSON default: one value, not two', () => {
    const t = compileTarget({ system: 'inv', post: '/i', headers: { 'Content-Type': 'application/vnd.api+json', 'X-Tenant': 't1' } }, 'f')
    const req = t.build(input())
    assert.equal(req.headers['content-type'], 'application/vnd.api+json')
    assert.equal(req.headers['Content-Type'], undefined)
    assert.equal(req.headers['x-tenant'], 't1')
    assert.equal(Object.keys(req.headers).filter((k) => k.toLowerCase() === 'content-type').length, 1)
  })

  it('config headers cannot override the delivery headers', () => {
    const t = compileTarget({ system: 'inv', post: '/i', headers: { 'Idempotency-Key': 'evil', traceparent: 'x' } }, 'f')
    const req = t.build(input())
    assert.equal(req.headers['idempotency-key'], 'ev-1:order-to-invoice')
    assert.equal(req.headers['Idempotency-Key'], undefined)
    assert.notEqual(req.headers.traceparent, 'x')
  })

  it('continues the event’s trace with a new span', () => {
    const parent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
    const req = compileTarget({ system: 's', post: '/x' }, 'f').build(input({ traceparent: parent }))
    assert.match(req.headers.traceparent ?? '', /^00-4bf92f3577b34da6a3ce929d0e0e4736-(?!00f067aa0ba902b7)[0-9a-f]{16}-01$/)
    assert.doesNotMatch(childTraceparent('garbage'), /garbage/)
    assert.doesNotMatch(childTraceparent('00-00000000000000000000000000000000-00f067aa0ba902b7-01'), /^00-0{32}/)
  })

  it('sends no body for DELETE or when the transform produced nothing', () => {
    assert.equal(compileTarget({ system: 's', delete: '/o/{ref}' }, 'f').build(input({ eventBody: { ref: 'a' } })).body, undefined)
    const req = compileTarget({ system: 's', post: '/o' }, 'f').build(input({ payload: undefined }))
    assert.equal(req.body, undefined)
    assert.equal(req.headers['content-type'], undefined)
  })

  it('signs with Standard Webhooks headers over the exact body', () => {
    const secret = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`
    const req = compileTarget({ system: 's', post: '/hook', sign: { secret } }, 'f').build(input())
    assert.equal(req.headers['webhook-id'], 'ev-1:order-to-invoice')
    assert.equal(req.headers['webhook-timestamp'], '1700000000')
    const mac = standardWebhookMac(standardWebhookKey(secret), 'ev-1:order-to-invoice', '1700000000', req.body ?? '')
    assert.equal(req.headers['webhook-signature'], `v1,${mac.toString('base64')}`)
  })

  describe('placeholder safety', () => {
    const t = compileTarget({ system: 's', post: '/orders/{id}/notes' }, 'flows[2].to')
    const reject = (id: unknown, why: RegExp) =>
      assert.throws(
        () => t.build(input({ eventBody: { id } })),
        (err: unknown) => err instanceof NonRetryableError && err.code === 'SB_ERR_FLOW_TARGET_PATH' && why.test(err.message),
        JSON.stringify(id),
      )

    it('rejects values that could change the upstream path', () => {
      for (const v of ['a/b', '../admin', 'a\\b', '..', '.', 'a\u0000b', 'x\ny', 'tab\there', '\u007f']) reject(v, /\{id\}/)
    })

    it('rejects missing, null, empty, non-scalar and non-finite values', () => {
      reject(undefined, /missing/)
      reject(null, /missing/)
      reject('', /empty/)
      reject({ a: 1 }, /string, number or boolean/)
      reject([1], /array/)
      reject(Number.NaN, /finite/)
    })

    it('does not read inherited properties', () => {
      const p = compileTarget({ system: 's', post: '/x/{constructor}' }, 'f')
      assert.throws(() => p.build(input({ eventBody: {} })), (err: unknown) => err instanceof NonRetryableError)
    })

    it('encodes what it accepts, so percent signs cannot smuggle dot segments', () => {
      assert.equal(t.build(input({ eventBody: { id: '%2e%2e' } })).path, '/orders/%252e%252e/notes')
      assert.equal(t.build(input({ eventBody: { id: '...' } })).path, '/orders/.../notes')
      assert.equal(t.build(input({ eventBody: { id: 7 } })).path, '/orders/7/notes')
      assert.equal(t.build(input({ eventBody: { id: false } })).path, '/orders/false/notes')
    })
  })

  describe('load-time checks', () => {
    const bad = (to: Parameters<typeof compileTarget>[0], why: RegExp) =>
      assert.throws(() => compileTarget(to, 'flows[0].to'), (err: unknown) => err instanceof SwitchboardError && err.code === 'SB_ERR_CONFIG_INVALID' && why.test(err.message))

    it('requires exactly one method', () => {
      bad({ system: 's' }, /exactly one/)
      bad({ system: 's', post: '/a', put: '/b' }, /found 2/)
    })
    it('rejects malformed placeholders', () => {
      bad({ system: 's', post: '/a/{}' }, /placeholder/)
      bad({ system: 's', post: '/a/{a b}' }, /placeholder/)
      bad({ system: 's', post: '/a/{id' }, /unbalanced/)
      bad({ system: 's', post: '/a/id}' }, /unbalanced/)
    })
    it('rejects an unusable signing secret', () => {
      bad({ system: 's', post: '/a', sign: { secret: 'whsec_***' } }, /sign\.secret/)
    })
  })
})
