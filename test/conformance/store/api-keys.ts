/** Conformance: API keys. */
import assert from 'node:assert/strict'
import { it } from 'node:test'
import { rejectsWith, type StoreContext } from './context.js'

export function keyCases(ctx: StoreContext): void {
  async function consumer(name = 'acme'): Promise<void> {
    await ctx.store.consumers.upsert({ name, source: 'api', scopes: [] })
  }

  it('create stores a key by hash and returns it without the hash', async () => {
    await consumer()
    const k = await ctx.store.apiKeys.create({ id: 'k1', consumer: 'acme', hash: 'h1', prefix: 'sb_live_ab', label: 'ci' })
    assert.deepEqual(k, { id: 'k1', consumer: 'acme', prefix: 'sb_live_ab', label: 'ci', createdAt: ctx.clock.now(), revokedAt: null, lastUsedAt: null })
    assert.equal((await ctx.store.apiKeys.create({ id: 'k2', consumer: 'acme', hash: 'h2', prefix: 'p' })).label, null)
  })

  it('create rejects an unknown or removed consumer with SB_ERR_STORE_NOT_FOUND', async () => {
    await rejectsWith(ctx.store.apiKeys.create({ id: 'k1', consumer: 'nobody', hash: 'h1', prefix: 'p' }), 'SB_ERR_STORE_NOT_FOUND')
    await consumer('gone')
    await ctx.store.consumers.remove('gone')
    await rejectsWith(ctx.store.apiKeys.create({ id: 'k1', consumer: 'gone', hash: 'h1', prefix: 'p' }), 'SB_ERR_STORE_NOT_FOUND')
    assert.deepEqual(await ctx.store.apiKeys.list(), [])
  })

  it('create rejects a duplicate id or hash with SB_ERR_STORE_CONFLICT', async () => {
    await consumer()
    await ctx.store.apiKeys.create({ id: 'k1', consumer: 'acme', hash: 'h1', prefix: 'p' })
    await rejectsWith(ctx.store.apiKeys.create({ id: 'k1', consumer: 'acme', hash: 'h2', prefix: 'p' }), 'SB_ERR_STORE_CONFLICT')
    await rejectsWith(ctx.store.apiKeys.create({ id: 'k2', consumer: 'acme', hash: 'h1', prefix: 'p' }), 'SB_ERR_STORE_CONFLICT')
    assert.equal((await ctx.store.apiKeys.list()).length, 1)
  })

  it('api keys are found by hash only while active', async () => {
    const s = ctx.store
    await consumer()
    await s.apiKeys.create({ id: 'k1', consumer: 'acme', hash: 'h1', prefix: 'p' })
    assert.equal((await s.apiKeys.findActiveByHash('h1'))?.id, 'k1')
    assert.equal(await s.apiKeys.findActiveByHash('h2'), undefined)
    assert.equal(await s.apiKeys.findActiveByHash("' OR '1'='1"), undefined)
    assert.equal(await s.apiKeys.findActiveByHash('H1'), undefined, 'hash lookup is exact, not case-insensitive')
    assert.equal(await s.apiKeys.revoke('k1', 100), true)
    assert.equal(await s.apiKeys.findActiveByHash('h1'), undefined)
  })

  it('keys list newest first, per consumer or all, revoked included', async () => {
    const s = ctx.store
    await consumer('a')
    await consumer('b')
    await s.apiKeys.create({ id: 'k1', consumer: 'a', hash: 'h1', prefix: 'p' })
    ctx.clock.advance(1)
    await s.apiKeys.create({ id: 'k2', consumer: 'b', hash: 'h2', prefix: 'p' })
    ctx.clock.advance(1)
    await s.apiKeys.create({ id: 'k3', consumer: 'a', hash: 'h3', prefix: 'p' })
    await s.apiKeys.revoke('k1', 5)
    assert.deepEqual((await s.apiKeys.list()).map((k) => k.id), ['k3', 'k2', 'k1'])
    assert.deepEqual((await s.apiKeys.list('a')).map((k) => [k.id, k.revokedAt]), [['k3', null], ['k1', 5]])
    assert.deepEqual(await s.apiKeys.list('nobody'), [])
  })

  it('revoke returns false for unknown or already revoked keys and keeps the first time', async () => {
    const s = ctx.store
    await consumer()
    await s.apiKeys.create({ id: 'k1', consumer: 'acme', hash: 'h1', prefix: 'p' })
    assert.equal(await s.apiKeys.revoke('nope', 1), false)
    assert.equal(await s.apiKeys.revoke('k1', 10), true)
    assert.equal(await s.apiKeys.revoke('k1', 20), false)
    assert.equal((await s.apiKeys.list())[0]?.revokedAt, 10)
    await rejectsWith(s.apiKeys.revoke('k1', -1), 'SB_ERR_STORE_INVALID_VALUE')
  })

  it('revoking is visible through revokedSince', async () => {
    const s = ctx.store
    await consumer()
    for (const id of ['k1', 'k2', 'k3']) await s.apiKeys.create({ id, consumer: 'acme', hash: `h-${id}`, prefix: 'p' })
    assert.deepEqual(await s.apiKeys.revokedSince(0), [])
    await s.apiKeys.revoke('k2', 200)
    await s.apiKeys.revoke('k1', 100)
    assert.deepEqual(await s.apiKeys.revokedSince(0), [
      { id: 'k1', revokedAt: 100 },
      { id: 'k2', revokedAt: 200 },
    ])
    assert.deepEqual(await s.apiKeys.revokedSince(100), [
      { id: 'k1', revokedAt: 100 },
      { id: 'k2', revokedAt: 200 },
    ], 'since is inclusive')
    assert.deepEqual(await s.apiKeys.revokedSince(101), [{ id: 'k2', revokedAt: 200 }])
    assert.deepEqual(await s.apiKeys.revokedSince(201), [])
    assert.equal((await s.apiKeys.revokedSince(-5000)).length, 2, 'a negative bound means from the beginning')
    assert.deepEqual((await s.apiKeys.revokedSince(199.5)).map((r) => r.id), ['k2'])
    assert.deepEqual((await s.apiKeys.revokedSince(200.5)).map((r) => r.id), [])
    await rejectsWith(s.apiKeys.revokedSince(Number.NaN), 'SB_ERR_STORE_INVALID_VALUE')
  })

  it('markUsed records the latest use and never moves it back', async () => {
    const s = ctx.store
    await consumer()
    await s.apiKeys.create({ id: 'k1', consumer: 'acme', hash: 'h1', prefix: 'p' })
    await s.apiKeys.create({ id: 'k2', consumer: 'acme', hash: 'h2', prefix: 'p' })
    await s.apiKeys.markUsed([], 50)
    await s.apiKeys.markUsed(['k1', 'unknown'], 100)
    assert.equal((await s.apiKeys.findActiveByHash('h1'))?.lastUsedAt, 100)
    assert.equal((await s.apiKeys.findActiveByHash('h2'))?.lastUsedAt, null)
    await s.apiKeys.markUsed(['k1', 'k2'], 90)
    assert.equal((await s.apiKeys.findActiveByHash('h1'))?.lastUsedAt, 100)
    assert.equal((await s.apiKeys.findActiveByHash('h2'))?.lastUsedAt, 90)
    await rejectsWith(s.apiKeys.markUsed(['k1'], 1.5), 'SB_ERR_STORE_INVALID_VALUE')
  })
}
