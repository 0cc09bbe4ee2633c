/** Conformance: consumers. */
import assert from 'node:assert/strict'
import { it } from 'node:test'
import { rejectsWith, type StoreContext } from './context.js'

export function consumerCases(ctx: StoreContext): void {
  it('upsert creates, then updates in place keeping createdAt', async () => {
    const s = ctx.store
    const t0 = ctx.clock.now()
    const created = await s.consumers.upsert({ name: 'acme', source: 'config', scopes: ['orders:read'] })
    assert.deepEqual(created, { name: 'acme', source: 'config', scopes: ['orders:read'], createdAt: t0, updatedAt: t0 })
    ctx.clock.advance(1000)
    const updated = await s.consumers.upsert({ name: 'acme', source: 'api', scopes: ['a', 'b'] })
    assert.deepEqual(updated, { name: 'acme', source: 'api', scopes: ['a', 'b'], createdAt: t0, updatedAt: t0 + 1000 })
    assert.deepEqual(await s.consumers.get('acme'), updated)
    assert.equal(typeof updated.createdAt, 'number')
  })

  it('get returns undefined for an unknown consumer', async () => {
    assert.equal(await ctx.store.consumers.get('nobody'), undefined)
  })

  it('list is ordered by name, bytewise', async () => {
    const s = ctx.store
    for (const name of ['b', 'a', 'B', 'a-2', 'ä']) await s.consumers.upsert({ name, source: 'api', scopes: [] })
    assert.deepEqual((await s.consumers.list()).map((c) => c.name), ['B', 'a', 'a-2', 'b', 'ä'])
  })

  it('scopes round-trip exactly, including characters that need quoting', async () => {
    const scopes = ['orders:read', 'a,b', '{x}', '"quoted"', "it's", 'back\\slash', 'NULL', '', 'ünï', '🚀']
    await ctx.store.consumers.upsert({ name: 'q', source: 'api', scopes })
    assert.deepEqual((await ctx.store.consumers.get('q'))?.scopes, scopes)
    await ctx.store.consumers.upsert({ name: 'empty', source: 'api', scopes: [] })
    assert.deepEqual((await ctx.store.consumers.get('empty'))?.scopes, [])
  })

  it('remove revokes the consumer and its keys in one step', async () => {
    const s = ctx.store
    await s.consumers.upsert({ name: 'acme', source: 'api', scopes: [] })
    await s.consumers.upsert({ name: 'other', source: 'api', scopes: [] })
    await s.apiKeys.create({ id: 'k1', consumer: 'acme', hash: 'h1', prefix: 'p' })
    await s.apiKeys.create({ id: 'k2', consumer: 'acme', hash: 'h2', prefix: 'p' })
    await s.apiKeys.create({ id: 'k3', consumer: 'other', hash: 'h3', prefix: 'p' })
    ctx.clock.advance(10)
    const at = ctx.clock.now()

    assert.equal(await s.consumers.remove('acme'), true)
    assert.equal(await s.consumers.get('acme'), undefined)
    assert.deepEqual((await s.consumers.list()).map((c) => c.name), ['other'])
    assert.equal(await s.apiKeys.findActiveByHash('h1'), undefined)
    assert.equal(await s.apiKeys.findActiveByHash('h2'), undefined)
    assert.equal((await s.apiKeys.findActiveByHash('h3'))?.id, 'k3')
    assert.deepEqual((await s.apiKeys.list('acme')).map((k) => k.revokedAt), [at, at])
    assert.deepEqual((await s.apiKeys.revokedSince(at)).map((r) => r.id).sort(), ['k1', 'k2'])
    assert.equal(await s.consumers.remove('acme'), false, 'removing twice reports false')
    assert.equal(await s.consumers.remove('never-existed'), false)
  })

  it('upserting a removed consumer starts it afresh; its old keys stay revoked', async () => {
    const s = ctx.store
    await s.consumers.upsert({ name: 'acme', source: 'api', scopes: ['old'] })
    await s.apiKeys.create({ id: 'k1', consumer: 'acme', hash: 'h1', prefix: 'p' })
    await s.consumers.remove('acme')
    ctx.clock.advance(500)
    const again = await s.consumers.upsert({ name: 'acme', source: 'config', scopes: ['new'] })
    assert.equal(again.createdAt, ctx.clock.now())
    assert.deepEqual(again.scopes, ['new'])
    assert.equal(await s.apiKeys.findActiveByHash('h1'), undefined)
    const fresh = await s.apiKeys.create({ id: 'k2', consumer: 'acme', hash: 'h2', prefix: 'p' })
    assert.equal((await s.apiKeys.findActiveByHash('h2'))?.id, fresh.id)
  })

  it('an unknown source is rejected with SB_ERR_STORE_INVALID_VALUE', async () => {
    const bogus = { name: 'x', source: 'bogus' as 'api', scopes: [] }
    await rejectsWith(ctx.store.consumers.upsert(bogus), 'SB_ERR_STORE_INVALID_VALUE')
    assert.equal(await ctx.store.consumers.get('x'), undefined)
  })

  it('hostile names are data, not SQL', async () => {
    const s = ctx.store
    const name = "x'); DROP TABLE sb_consumers; --"
    await s.consumers.upsert({ name, source: 'api', scopes: [] })
    await s.consumers.upsert({ name: 'victim', source: 'api', scopes: [] })
    assert.equal((await s.consumers.get(name))?.name, name)
    assert.equal(await s.consumers.get("' OR '1'='1"), undefined)
    assert.equal(await s.consumers.remove("' OR '1'='1"), false)
    assert.equal((await s.consumers.list()).length, 2)
  })
}
