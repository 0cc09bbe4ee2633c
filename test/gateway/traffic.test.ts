import { describe, it, before, after, beforeEach } from 'node:test'
import assert from 'node:assert/strict'
import { ManualClock } from '../../src/core/clock.js'
import { createApiKey } from '../../src/gateway/auth/keys.js'
import { gatewayFor, startUpstream, type TestGateway, type Upstream } from './helpers.js'

describe('rate limits', () => {
  let up: Upstream
  let t: TestGateway
  const clock = new ManualClock(Date.UTC(2026, 0, 15, 12))
  const keys: Record<string, string> = {}
  before(async () => {
    up = await startUpstream()
    t = await gatewayFor(
      {
        consumers: { a: {}, b: {}, slow: { rateLimit: { perMinute: 1 } } },
        routes: [
          { id: 'shared', get: '/shared', rateLimit: { perSecond: 2, by: 'route' }, proxy: { system: 'erp' } },
          { id: 'per-consumer', get: '/mine', auth: 'apiKey', rateLimit: { perSecond: 1, burst: 1 }, proxy: { system: 'erp' } },
          { id: 'c1', get: '/c1', auth: 'apiKey', proxy: { system: 'erp' } },
          { id: 'c2', get: '/c2', auth: 'apiKey', proxy: { system: 'erp' } },
          { id: 'slow-refill', get: '/slow-refill', rateLimit: { perMinute: 6, burst: 3, by: 'route' }, proxy: { system: 'erp' } },
        ],
      },
      { systems: { erp: up.url }, clock },
    )
    for (const name of ['a', 'b', 'slow']) {
      await t.store.consumers.upsert({ name, source: 'config', scopes: [] })
      keys[name] = (await createApiKey(t.store, name)).key
    }
  })
  beforeEach(() => {
    up.hits.length = 0
  })
  after(async () => {
    await t.close()
    await up.close()
  })

  it('refuses the request past the bucket with 429, RateLimit-* and Retry-After, and refills over time', async () => {
    const first = await t.gateway.app.inject({ url: '/shared' })
    assert.equal(first.statusCode, 200)
    assert.equal(first.headers['ratelimit-limit'], '2')
    assert.equal(first.headers['ratelimit-remaining'], '1')
    const second = await t.gateway.app.inject({ url: '/shared' })
    assert.equal(second.headers['ratelimit-remaining'], '0')
    assert.equal(second.headers['ratelimit-reset'], '1')
    const third = await t.gateway.app.inject({ url: '/shared' })
    assert.equal(third.statusCode, 429)
    assert.equal(third.headers['content-type'], 'application/problem+json')
    assert.equal(third.json().code, 'SB_ERR_GATEWAY_RATE_LIMITED')
    assert.equal(third.headers['retry-after'], '1')
    assert.equal(third.headers['ratelimit-remaining'], '0')
    assert.equal(up.hits.length, 2)
    clock.advance(500)
    assert.equal((await t.gateway.app.inject({ url: '/shared' })).statusCode, 200)
  })

  it('keeps one bucket per consumer on a route', async () => {
    assert.equal((await t.gateway.app.inject({ url: '/mine', headers: { 'x-api-key': keys.a as string } })).statusCode, 200)
    assert.equal((await t.gateway.app.inject({ url: '/mine', headers: { 'x-api-key': keys.a as string } })).statusCode, 429)
    assert.equal((await t.gateway.app.inject({ url: '/mine', headers: { 'x-api-key': keys.b as string } })).statusCode, 200)
    clock.advance(1000)
  })

  it('applies a consumer’s own limit across routes', async () => {
    const h = { 'x-api-key': keys.slow as string }
    assert.equal((await t.gateway.app.inject({ url: '/c1', headers: h })).statusCode, 200)
    const res = await t.gateway.app.inject({ url: '/c2', headers: h })
    assert.equal(res.statusCode, 429)
    assert.equal(res.headers['retry-after'], '60')
    assert.equal((await t.gateway.app.inject({ url: '/c2', headers: { 'x-api-key': keys.a as string } })).statusCode, 200)
  })

  it('answers a refusal with RateLimit-Reset equal to Retry-After (when a request may pass again)', async () => {
    // 3 tokens refilling one per 10 s: the bucket is full again after 30 s, but the next request
    // may pass after 10 s, and both headers of the 429 say 10.
    for (let i = 0; i < 3; i++) assert.equal((await t.gateway.app.inject({ url: '/slow-refill' })).statusCode, 200)
    const refused = await t.gateway.app.inject({ url: '/slow-refill' })
    assert.equal(refused.statusCode, 429)
    assert.equal(refused.headers['retry-after'], '10')
    assert.equal(refused.headers['ratelimit-reset'], refused.headers['retry-after'])
    assert.equal(refused.headers['ratelimit-limit'], '3')
    assert.equal(refused.headers['ratelimit-remaining'], '0')
    clock.advance(9_000)
    assert.equal((await t.gateway.app.inject({ url: '/slow-refill' })).statusCode, 429)
    clock.advance(1_000)
    assert.equal((await t.gateway.app.inject({ url: '/slow-refill' })).statusCode, 200)
  })

  it('reports the limit that refused when the route’s bucket is tighter but the consumer’s refuses', async () => {
    clock.advance(60_000)
    const h = { 'x-api-key': keys.slow as string }
    assert.equal((await t.gateway.app.inject({ url: '/mine', headers: h })).statusCode, 200)
    clock.advance(1_000)
    // The route's bucket (1/s) allows and is left empty; the consumer's (1/min) refuses.
    const refused = await t.gateway.app.inject({ url: '/mine', headers: h })
    assert.equal(refused.statusCode, 429)
    assert.equal(refused.headers['retry-after'], '59')
    assert.equal(refused.headers['ratelimit-reset'], refused.headers['retry-after'])
    assert.equal(refused.headers['ratelimit-remaining'], '0')
  })
})

describe('quotas', () => {
  let up: Upstream
  let dir: string | undefined
  let key = ''
  const clock = new ManualClock(Date.UTC(2026, 0, 15, 22))
  const config = {
    consumers: { partner: { quota: { limit: 2, per: '1d' as const } }, free: {} },
    routes: [{ id: 'q', get: '/q', auth: 'apiKey' as const, proxy: { system: 'erp' } }],
  }
  let current: TestGateway | undefined
  async function start(): Promise<TestGateway> {
    current = await gatewayFor(config, { systems: { erp: up.url }, clock, ...(dir ? { dir } : {}) })
    dir = current.dir
    return current
  }
  before(async () => {
    up = await startUpstream()
  })
  after(async () => {
    await current?.close()
    await up.close()
    if (dir) await (await import('node:fs/promises')).rm(dir, { recursive: true, force: true })
  })

  it('refuses past the quota with 429 and Retry-After until the period ends, across a restart', async () => {
    let t = await start()
    await t.store.consumers.upsert({ name: 'partner', source: 'config', scopes: [] })
    key = (await createApiKey(t.store, 'partner')).key
    const h = { 'x-api-key': key }
    assert.equal((await t.gateway.app.inject({ url: '/q', headers: h })).statusCode, 200)
    assert.equal((await t.gateway.app.inject({ url: '/q', headers: h })).statusCode, 200)
    const refused = await t.gateway.app.inject({ url: '/q', headers: h })
    assert.equal(refused.statusCode, 429)
    assert.equal(refused.json().code, 'SB_ERR_GATEWAY_QUOTA_EXCEEDED')
    assert.equal(refused.headers['retry-after'], String(2 * 3600))
    assert.equal(refused.headers['ratelimit-reset'], refused.headers['retry-after'])
    assert.equal(refused.headers['ratelimit-limit'], '2')
    assert.equal(refused.headers['ratelimit-remaining'], '0')
    assert.equal(up.hits.length, 2)

    // Restart: a new gateway and store on the same SQLite file.
    await t.gateway.close()
    await t.systems.close()
    await t.store.close()
    current = undefined
    t = await start()
    const afterRestart = await t.gateway.app.inject({ url: '/q', headers: h })
    assert.equal(afterRestart.statusCode, 429)
    assert.equal(afterRestart.json().code, 'SB_ERR_GATEWAY_QUOTA_EXCEEDED')
    assert.equal(up.hits.length, 2)

    clock.advance(2 * 3600 * 1000)
    assert.equal((await t.gateway.app.inject({ url: '/q', headers: h })).statusCode, 200)
  })
})
