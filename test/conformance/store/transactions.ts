/** Conformance: transactions — atomicity, isolation from other async contexts, misuse. */
import assert from 'node:assert/strict'
import { it } from 'node:test'
import type { StoreTx } from '../../../src/store/contract.js'
import { rejectsWith, settle, type StoreContext } from './context.js'

/** Writes one row through every repository of `tx`. */
async function writeEverywhere(tx: StoreTx, tag: string): Promise<void> {
  await tx.consumers.upsert({ name: `c-${tag}`, source: 'api', scopes: ['s'] })
  await tx.apiKeys.create({ id: `k-${tag}`, consumer: `c-${tag}`, hash: `h-${tag}`, prefix: 'p' })
  await tx.revisions.add({ hash: `r-${tag}`, config: { tag }, source: 'test', actor: 'me' })
  await tx.audit.append({ at: 1, actor: 'me', action: 'write', target: tag })
  await tx.settings.set(`s-${tag}`, tag)
  await tx.quotas.consume(`q-${tag}`, 'p', 1, 10)
}

export function transactionCases(ctx: StoreContext): void {
  it('transaction commits all rows together', async () => {
    const s = ctx.store
    const result = await s.transaction(async (tx) => {
      await writeEverywhere(tx, 'a')
      return 42
    })
    assert.equal(result, 42)
    assert.ok(await s.consumers.get('c-a'))
    assert.equal((await s.apiKeys.findActiveByHash('h-a'))?.id, 'k-a')
    assert.equal((await s.revisions.latest())?.hash, 'r-a')
    assert.equal((await s.audit.list({ target: 'a' })).length, 1)
    assert.equal(await s.settings.get('s-a'), 'a')
    assert.equal(await s.quotas.used('q-a', 'p'), 1)
  })

  it('transaction rolls back every write when fn throws', async () => {
    const s = ctx.store
    const boom = new Error('boom')
    await assert.rejects(
      s.transaction(async (tx) => {
        await writeEverywhere(tx, 'a')
        throw boom
      }),
      (err: unknown) => err === boom,
    )
    assert.equal(await s.consumers.get('c-a'), undefined)
    assert.deepEqual(await s.apiKeys.list(), [])
    assert.equal(await s.revisions.latest(), undefined)
    assert.deepEqual(await s.audit.list(), [])
    assert.equal(await s.settings.get('s-a'), undefined)
    assert.equal(await s.quotas.used('q-a', 'p'), 0)
    // The store is still usable, and a rolled-back revision number is not skipped.
    assert.equal((await s.revisions.add({ hash: 'x', config: 1, source: 's', actor: 'a' })).id, 1)
  })

  it('a transaction sees its own writes', async () => {
    await ctx.store.transaction(async (tx) => {
      await tx.settings.set('k', 'v')
      assert.equal(await tx.settings.get('k'), 'v')
      await tx.consumers.upsert({ name: 'c', source: 'api', scopes: [] })
      assert.deepEqual((await tx.consumers.list()).map((c) => c.name), ['c'])
    })
  })

  /**
   * Another async context (think: a concurrent HTTP request) whose work starts when `opened`
   * resolves. Its continuation is registered here, outside the transaction, so it runs in the
   * caller's async context, not the transaction's.
   */
  function otherContext<T>(work: () => Promise<T>): { start(): void; done: Promise<T> } {
    let start!: () => void
    const opened = new Promise<void>((resolve) => (start = resolve))
    return { start, done: opened.then(work) }
  }

  it('a write outside the transaction waits for it', async () => {
    const s = ctx.store
    let outsideDone = false
    const outside = otherContext(async () => {
      await s.settings.set('k', 'outside')
      outsideDone = true
    })
    await s.transaction(async (tx) => {
      await tx.settings.set('k', 'inside')
      outside.start()
      await settle()
      // The other context wrote the same row while the transaction was open: it must neither
      // have joined the transaction nor overtaken it.
      assert.equal(outsideDone, false, 'the outside write finished while the transaction was open')
      assert.equal(await tx.settings.get('k'), 'inside')
    })
    await outside.done
    assert.equal(await s.settings.get('k'), 'outside')
  })

  it('writes from other async contexts are not rolled back with a failed transaction', async () => {
    const s = ctx.store
    const outside = otherContext(async () => {
      const read = s.settings.get('inside')
      await s.settings.set('outside', '1')
      return read
    })
    await assert.rejects(
      s.transaction(async (tx) => {
        await tx.settings.set('inside', '1')
        outside.start()
        await settle()
        throw new Error('abort')
      }),
      /abort/,
    )
    assert.equal(await outside.done, undefined, 'an uncommitted write leaked out of the transaction')
    assert.equal(await s.settings.get('outside'), '1')
    assert.equal(await s.settings.get('inside'), undefined)
  })

  it('a failed statement fails the whole transaction even when fn catches it', async () => {
    const s = ctx.store
    await s.consumers.upsert({ name: 'c', source: 'api', scopes: [] })
    await s.apiKeys.create({ id: 'k1', consumer: 'c', hash: 'h1', prefix: 'p' })
    await rejectsWith(
      s.transaction(async (tx) => {
        await tx.settings.set('before', '1')
        await rejectsWith(tx.apiKeys.create({ id: 'k1', consumer: 'c', hash: 'h2', prefix: 'p' }), 'SB_ERR_STORE_CONFLICT')
        return 'swallowed'
      }),
      'SB_ERR_STORE_CONFLICT',
    )
    assert.equal(await s.settings.get('before'), undefined)
  })

  it('an argument error inside a transaction does not poison it', async () => {
    const s = ctx.store
    await s.transaction(async (tx) => {
      await tx.settings.set('k', 'v')
      await rejectsWith(tx.quotas.consume('s', 'p', -1, 10), 'SB_ERR_STORE_INVALID_VALUE')
      await rejectsWith(tx.apiKeys.create({ id: 'k', consumer: 'nobody', hash: 'h', prefix: 'p' }), 'SB_ERR_STORE_NOT_FOUND')
    })
    assert.equal(await s.settings.get('k'), 'v')
  })

  it('calling the Store inside its own transaction is refused, not deadlocked', async () => {
    const s = ctx.store
    await s.transaction(async (tx) => {
      await tx.settings.set('k', 'v')
      await rejectsWith(s.settings.get('k'), 'SB_ERR_STORE_TX_MISUSE')
      await rejectsWith(s.transaction(async () => 1), 'SB_ERR_STORE_TX_MISUSE')
    })
    assert.equal(await s.settings.get('k'), 'v')
  })

  it('a tx used after its transaction ended is refused', async () => {
    const s = ctx.store
    let leaked: StoreTx | undefined
    await s.transaction(async (tx) => {
      leaked = tx
    })
    assert.ok(leaked)
    await rejectsWith(leaked.settings.set('k', 'v'), 'SB_ERR_STORE_TX_MISUSE')
    await rejectsWith(leaked.consumers.remove('c'), 'SB_ERR_STORE_TX_MISUSE')
    assert.equal(await s.settings.get('k'), undefined)
  })

  it('concurrent transactions each commit or roll back on their own', async () => {
    const s = ctx.store
    const outcomes = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) =>
        s.transaction(async (tx) => {
          await tx.settings.set(`k${i}`, String(i))
          await settle(1)
          await tx.audit.append({ at: i, actor: 'me', action: 'tx', target: String(i) })
          if (i % 3 === 0) throw new Error(`fail ${i}`)
          return i
        }),
      ),
    )
    for (let i = 0; i < 12; i++) {
      const ok = i % 3 !== 0
      assert.equal(outcomes[i]?.status, ok ? 'fulfilled' : 'rejected')
      assert.equal(await s.settings.get(`k${i}`), ok ? String(i) : undefined)
    }
    assert.equal((await s.audit.list({ action: 'tx' })).length, 8)
  })
}
