/** The gateway's small pure pieces, without a server. */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { depthExceededAt, isJsonContentType, parseJsonBody } from '../../src/gateway/body.js'
import { dropQueryParam } from '../../src/gateway/policies/credentials.js'
import { compileFieldFilter } from '../../src/gateway/policies/fields.js'
import { quotaPeriod } from '../../src/gateway/policies/quota.js'
import { bucketRule } from '../../src/gateway/policies/rate-limit.js'
import { LocalRateLimitStore } from '../../src/gateway/policies/rate-limit-store.js'
import { requestIdFor } from '../../src/gateway/request-id.js'
import { encodeTail, unsafeSegmentReason } from '../../src/gateway/router/params.js'
import { compileUpstreamPath, routePathShape } from '../../src/gateway/router/upstream-path.js'

describe('path parameters', () => {
  it('accepts plain segments and refuses anything that could change the path', () => {
    for (const ok of ['a', 'A-1_b.c~d', '...', 'a.b', 'é', 'a b', 'x;y']) assert.equal(unsafeSegmentReason(ok), undefined, ok)
    for (const bad of ['', '.', '..', 'a/b', 'a\\b', '\0', 'a\r\nb', '\u007f', '%2e%2e', '%2F', '%5c', '%00', '%252e', '%0A']) {
      assert.notEqual(unsafeSegmentReason(bad), undefined, JSON.stringify(bad))
    }
  })

  it('re-encodes a raw wildcard tail segment by segment and refuses encoded separators', () => {
    assert.equal(encodeTail('a/b%20c/d.txt'), 'a/b%20c/d.txt')
    assert.equal(encodeTail('a//b'), 'a//b')
    assert.throws(() => encodeTail('a%2Fb'), /SB_ERR|path parameter/)
    assert.throws(() => encodeTail('a/../b'))
    assert.throws(() => encodeTail('%zz'))
  })

  it('builds upstream paths from templates', () => {
    const shape = routePathShape('/v1/:shop/files/*', 'where')
    assert.deepEqual(shape, { params: ['shop'], tailAfter: 3 })
    const build = compileUpstreamPath('/s/:shop/blob/*', shape, 'where')
    assert.equal(build({ shop: 'a b' }, '/v1/a%20b/files/x/y%2By'), '/s/a%20b/blob/x/y%2By')
    const constant = compileUpstreamPath('/fixed', routePathShape('/a', 'w'), 'w')
    assert.equal(constant({}, '/a'), '/fixed')
  })
})

describe('JSON bodies', () => {
  it('measures depth without recursion and skips strings', () => {
    assert.equal(depthExceededAt(Buffer.from('[[1]]'), 2), -1)
    assert.equal(depthExceededAt(Buffer.from('[[[1]]]'), 2), 2)
    assert.equal(depthExceededAt(Buffer.from('["[[[[", "\\"[[["]'), 1), -1)
    assert.equal(depthExceededAt(Buffer.from('['.repeat(1_000_000)), 32), 32)
  })

  it('parses, treats an empty body as absent, refuses __proto__', () => {
    assert.deepEqual(parseJsonBody(Buffer.from('{"a":[1]}'), 5), { a: [1] })
    assert.equal(parseJsonBody(Buffer.alloc(0), 5), undefined)
    assert.throws(() => parseJsonBody(Buffer.from('{"__proto__": {}}'), 5), /__proto__/)
    assert.throws(() => parseJsonBody(Buffer.from('{'), 5), /not valid JSON/)
  })

  it('recognises JSON media types', () => {
    for (const t of ['application/json', 'application/json; charset=utf-8', 'Application/JSON', 'application/vnd.api+json']) assert.ok(isJsonContentType(t), t)
    for (const t of ['text/json', 'application/jsonp', 'application/x-www-form-urlencoded', undefined]) assert.ok(!isJsonContentType(t), String(t))
  })
})

describe('field filters', () => {
  const value = { a: 1, b: { c: 2, d: 3 }, list: [{ x: 1, y: 2 }, { x: 3 }], n: null }
  it('allow keeps listed paths through objects and arrays', () => {
    assert.deepEqual(compileFieldFilter('allow', ['a', 'b.c', 'list.x', 'missing.z'], 'w')(value), { a: 1, b: { c: 2 }, list: [{ x: 1 }, { x: 3 }] })
    assert.deepEqual(compileFieldFilter('allow', ['b', 'b.c'], 'w')(value), { b: { c: 2, d: 3 } })
  })
  it('deny removes listed paths and keeps the rest', () => {
    assert.deepEqual(compileFieldFilter('deny', ['b.d', 'list.y', 'n'], 'w')(value), { a: 1, b: { c: 2 }, list: [{ x: 1 }, { x: 3 }] })
  })
  it('keeps a __proto__ key as data without touching prototypes', () => {
    const parsed = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as unknown
    const out = compileFieldFilter('deny', ['a'], 'w')(parsed) as Record<string, unknown>
    assert.equal(({} as Record<string, unknown>).polluted, undefined)
    assert.equal(Object.getPrototypeOf(out), Object.prototype)
    assert.equal(JSON.stringify(out), '{"__proto__":{"polluted":true}}')
  })
})

describe('rate-limit buckets', () => {
  it('sizes buckets from perSecond/perMinute, burst and window', () => {
    assert.deepEqual(bucketRule({ perSecond: 5 }, 'w'), { capacity: 5, refillPerMs: 0.005 })
    assert.deepEqual(bucketRule({ perMinute: 60, burst: 10 }, 'w'), { capacity: 10, refillPerMs: 0.001 })
    assert.equal(bucketRule({ perSecond: 2, window: '10s' }, 'w').capacity, 20)
    assert.throws(() => bucketRule({ perSecond: 1, perMinute: 1 }, 'w'), /exactly one/)
    assert.throws(() => bucketRule({ perSecond: 0.5 }, 'w'), /less than one/)
  })

  it('takes, refuses, refills, and sweeps idle buckets', () => {
    const store = new LocalRateLimitStore({ sweepIntervalMs: 1e9 })
    const rule = { capacity: 2, refillPerMs: 0.001 }
    assert.equal(store.take('k', rule, 0).remaining, 1)
    assert.equal(store.take('k', rule, 0).remaining, 0)
    const refused = store.take('k', rule, 0)
    assert.equal(refused.allowed, false)
    assert.equal(refused.retryAfterMs, 1000)
    assert.equal(store.take('k', rule, 1000).allowed, true)
    store.sweep(1000)
    assert.equal(store.size, 1)
    store.sweep(10_000)
    assert.equal(store.size, 0)
    store.close()
  })

  it('stays bounded in keys', () => {
    const store = new LocalRateLimitStore({ maxKeys: 100, sweepIntervalMs: 1e9 })
    const rule = { capacity: 5, refillPerMs: 0.000001 }
    for (let i = 0; i < 1000; i++) store.take(`k${i}`, rule, 0)
    assert.ok(store.size <= 100)
    store.close()
  })
})

describe('small helpers', () => {
  it('computes UTC quota periods and their ends', () => {
    const now = Date.UTC(2026, 1, 28, 23, 30)
    assert.deepEqual(quotaPeriod('1h', now), { key: 'h:2026-02-28T23', endsAt: Date.UTC(2026, 2, 1, 0) })
    assert.deepEqual(quotaPeriod('1d', now), { key: 'd:2026-02-28', endsAt: Date.UTC(2026, 2, 1) })
    assert.deepEqual(quotaPeriod('1M', now), { key: 'M:2026-02', endsAt: Date.UTC(2026, 2, 1) })
  })

  it('drops one query parameter, encoded or not', () => {
    assert.equal(dropQueryParam('?a=1&key=s&b=2', 'key'), '?a=1&b=2')
    assert.equal(dropQueryParam('?k%65y=s', 'key'), '')
    assert.equal(dropQueryParam('?key=1&key=2&x', 'key'), '?x')
    assert.equal(dropQueryParam('', 'key'), '')
  })

  it('keeps printable request ids up to 128 characters', () => {
    assert.equal(requestIdFor('abc'), 'abc')
    assert.notEqual(requestIdFor('a\nb'), 'a\nb')
    assert.notEqual(requestIdFor(['a', 'b']), 'a')
    assert.equal(requestIdFor('x'.repeat(128)), 'x'.repeat(128))
  })
})
