/** Conformance: migrate, ping, close, reopen. */
import assert from 'node:assert/strict'
import { it } from 'node:test'
import type { Store } from '../../../src/store/contract.js'
import { MIGRATIONS } from '../../../src/store/migrations/index.js'
import { rejectsWith, type StoreContext } from './context.js'

export function lifecycleCases(ctx: StoreContext): void {
  it('migrate is idempotent', async () => {
    const again = await ctx.store.migrate()
    assert.deepEqual(again, { applied: [], current: MIGRATIONS.length })
    assert.deepEqual(await ctx.store.migrate(), { applied: [], current: MIGRATIONS.length })
  })

  it('ping answers while open', async () => {
    await ctx.store.ping()
  })

  it('describes itself without a password', () => {
    assert.ok(ctx.store.kind === 'sqlite' || ctx.store.kind === 'postgres')
    assert.ok(ctx.store.description.startsWith(ctx.store.kind === 'sqlite' ? 'sqlite:' : 'postgres'))
    assert.doesNotMatch(ctx.store.description, /:[^:@/]*@/)
  })

  it('closed store rejects with SB_ERR_STORE_UNAVAILABLE', async () => {
    const s = ctx.store
    await s.close()
    await s.close() // idempotent
    const calls: Array<[string, () => Promise<unknown>]> = [
      ['ping', () => s.ping()],
      ['migrate', () => s.migrate()],
      ['transaction', () => s.transaction(async () => 1)],
      ['consumers.upsert', () => s.consumers.upsert({ name: 'a', source: 'api', scopes: [] })],
      ['consumers.get', () => s.consumers.get('a')],
      ['consumers.list', () => s.consumers.list()],
      ['consumers.remove', () => s.consumers.remove('a')],
      ['apiKeys.create', () => s.apiKeys.create({ id: 'k', consumer: 'a', hash: 'h', prefix: 'p' })],
      ['apiKeys.findActiveByHash', () => s.apiKeys.findActiveByHash('h')],
      ['apiKeys.list', () => s.apiKeys.list()],
      ['apiKeys.revoke', () => s.apiKeys.revoke('k', 1)],
      ['apiKeys.revokedSince', () => s.apiKeys.revokedSince(0)],
      ['apiKeys.markUsed', () => s.apiKeys.markUsed(['k'], 1)],
      ['revisions.add', () => s.revisions.add({ hash: 'h', config: {}, source: 's', actor: 'a' })],
      ['revisions.latest', () => s.revisions.latest()],
      ['revisions.get', () => s.revisions.get(1)],
      ['revisions.list', () => s.revisions.list()],
      ['audit.append', () => s.audit.append({ at: 1, actor: 'a', action: 'x' })],
      ['audit.list', () => s.audit.list()],
      ['settings.get', () => s.settings.get('k')],
      ['settings.set', () => s.settings.set('k', 'v')],
      ['settings.setIfAbsent', () => s.settings.setIfAbsent('k', 'v')],
      ['quotas.consume', () => s.quotas.consume('s', 'p', 1, 10)],
      ['quotas.used', () => s.quotas.used('s', 'p')],
    ]
    for (const [name, call] of calls) {
      await rejectsWith(call(), 'SB_ERR_STORE_UNAVAILABLE').catch((err: unknown) => {
        throw new Error(`${name} after close: ${String(err)}`)
      })
    }
  })

  it('close lets in-flight calls finish', async () => {
    const s = ctx.store
    const inflight = [
      s.consumers.upsert({ name: 'a', source: 'api', scopes: [] }),
      s.settings.set('k', 'v'),
      s.transaction(async (tx) => {
        await tx.settings.set('t', '1')
        await tx.audit.append({ at: 1, actor: 'me', action: 'x' })
        return 'done'
      }),
    ]
    const closed = s.close()
    const results = await Promise.all(inflight)
    await closed
    assert.equal(results[2], 'done')
    if (ctx.harness.reopen) {
      const again = await ctx.harness.reopen()
      try {
        assert.equal(await again.settings.get('t'), '1')
        assert.equal(await again.settings.get('k'), 'v')
      } finally {
        await again.close()
      }
    }
  })

  it('data survives close and reopen', async (t) => {
    if (!ctx.harness.reopen) {
      t.skip('this backend keeps data only in memory, so there is nothing to reopen')
      return
    }
    const s = ctx.store
    await s.consumers.upsert({ name: 'acme', source: 'config', scopes: ['orders:read'] })
    await s.apiKeys.create({ id: 'k1', consumer: 'acme', hash: 'hash-1', prefix: 'sb_abc' })
    await s.revisions.add({ hash: 'r1', config: { version: 1 }, source: 'file', actor: 'ci' })
    await s.audit.append({ at: 5, actor: 'ci', action: 'config.apply', target: 'r1', details: { n: 1 } })
    await s.settings.set('instance', 'i-1')
    await s.quotas.consume('acme', '2025-01-01', 3, 10)
    await s.close()

    const again: Store = await ctx.harness.reopen()
    try {
      assert.deepEqual(await again.migrate(), { applied: [], current: MIGRATIONS.length })
      assert.deepEqual((await again.consumers.get('acme'))?.scopes, ['orders:read'])
      assert.equal((await again.apiKeys.findActiveByHash('hash-1'))?.id, 'k1')
      assert.deepEqual((await again.revisions.latest())?.config, { version: 1 })
      assert.deepEqual((await again.audit.list())[0]?.details, { n: 1 })
      assert.equal(await again.settings.get('instance'), 'i-1')
      assert.equal(await again.quotas.used('acme', '2025-01-01'), 3)
    } finally {
      await again.close()
    }
  })
}
