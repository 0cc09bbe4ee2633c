/**
 * Conformance: poller state — cursor, schedule and the lease of the tick in progress. Called
 * from the Store suite (store.ts), so every backend runs it.
 */
import assert from 'node:assert/strict'
import { it } from 'node:test'
import type { PollerStateRecord } from '../../src/store/contract.js'
import { rejectsWith, type StoreContext } from './store/context.js'

const T0 = 1_700_000_000_000

export function pollerCases(ctx: StoreContext): void {
  it('ensure creates a row due at firstAt, and later only brings nextAt forward', async () => {
    const s = ctx.store
    assert.equal(await s.pollers.get('p'), undefined)
    const created = await s.pollers.ensure('p', { firstAt: T0, latestAt: T0 + 60_000, now: T0 })
    const fresh: PollerStateRecord = {
      id: 'p',
      cursor: null,
      nextAt: T0,
      owner: null,
      leaseUntil: null,
      runs: 0,
      lastRunAt: null,
      lastSuccessAt: null,
      lastItems: 0,
      failures: 0,
      lastErrorAt: null,
      lastErrorCode: null,
      lastError: null,
      updatedAt: T0,
    }
    assert.deepEqual(created, fresh)
    assert.equal(await s.pollers.finish('p', { token: 'none', now: T0, nextAt: T0, items: 0, outcome: 'ok' }), false, 'no lease: refused')
    const claimed = await s.pollers.claim('p', { token: 't1', now: T0, leaseMs: 1000 })
    assert.ok(claimed)
    assert.equal(await s.pollers.finish('p', { token: 't1', now: T0 + 10, nextAt: T0 + 3_600_000, items: 0, outcome: 'ok' }), true)
    const later = await s.pollers.ensure('p', { firstAt: T0 + 5, latestAt: T0 + 7_200_000, now: T0 + 20 })
    assert.equal(later.nextAt, T0 + 3_600_000, 'a later bound never postpones the tick')
    const sooner = await s.pollers.ensure('p', { firstAt: T0 + 5, latestAt: T0 + 60_000, now: T0 + 20 })
    assert.equal(sooner.nextAt, T0 + 60_000, 'a shorter schedule applies at once')
    assert.equal(sooner.runs, 1, 'ensure keeps the state')
  })

  it('a tick is claimed only when due and not leased; a lease ends at leaseUntil', async () => {
    const s = ctx.store
    assert.equal(await s.pollers.claim('absent', { token: 't0', now: T0, leaseMs: 1000 }), undefined, 'no row: nothing to claim')
    await s.pollers.ensure('p', { firstAt: T0 + 100, latestAt: T0 + 100, now: T0 })
    assert.equal(await s.pollers.claim('p', { token: 't1', now: T0 + 99, leaseMs: 1000 }), undefined, 'not due yet')
    const a = await s.pollers.claim('p', { token: 't1', now: T0 + 100, leaseMs: 1000 })
    assert.equal(a?.owner, 't1')
    assert.equal(a?.leaseUntil, T0 + 1100)
    assert.equal(await s.pollers.claim('p', { token: 't2', now: T0 + 1099, leaseMs: 1000 }), undefined, 'live lease')
    assert.equal(await s.pollers.claim('p', { token: 't2', now: T0 + 1099, leaseMs: 1000, force: true }), undefined, 'force does not break a live lease')
    const b = await s.pollers.claim('p', { token: 't2', now: T0 + 1100, leaseMs: 1000 })
    assert.equal(b?.owner, 't2', 'an expired lease (a dead node) is taken over')
    assert.equal(await s.pollers.advance('p', { token: 't1', cursor: 'late', now: T0 + 1101, leaseMs: 1000 }), false, 'the old holder is fenced off')
    assert.equal(await s.pollers.finish('p', { token: 't1', now: T0 + 1101, nextAt: T0, items: 3, outcome: 'ok' }), false)
    assert.equal((await s.pollers.get('p'))?.cursor, null)
  })

  it('force claims a tick that is not due yet', async () => {
    const s = ctx.store
    await s.pollers.ensure('p', { firstAt: T0 + 3_600_000, latestAt: T0 + 3_600_000, now: T0 })
    assert.equal(await s.pollers.claim('p', { token: 't1', now: T0, leaseMs: 1000 }), undefined)
    assert.equal((await s.pollers.claim('p', { token: 't1', now: T0, leaseMs: 1000, force: true }))?.owner, 't1')
  })

  it('one of many concurrent claims of a due tick wins', async () => {
    const s = ctx.store
    await s.pollers.ensure('p', { firstAt: T0, latestAt: T0, now: T0 })
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => s.pollers.claim('p', { token: `t${i}`, now: T0 + 5, leaseMs: 60_000 })))
    const winners = results.filter((r) => r !== undefined)
    assert.equal(winners.length, 1)
    assert.equal((await s.pollers.get('p'))?.owner, winners[0]?.owner)
  })

  it('advance saves the cursor exactly (any JSON) and renews the lease', async () => {
    const s = ctx.store
    await s.pollers.ensure('p', { firstAt: T0, latestAt: T0, now: T0 })
    await s.pollers.claim('p', { token: 't1', now: T0, leaseMs: 1000 })
    const cursor = { z: 'ünï “q” \\ "x"', a: [1, 2.5, null, true], since: '2025-01-01T00:00:00Z' }
    assert.equal(await s.pollers.advance('p', { token: 't1', cursor, now: T0 + 900, leaseMs: 1000 }), true)
    const got = await s.pollers.get('p')
    assert.equal(JSON.stringify(got?.cursor), JSON.stringify(cursor), 'key order kept')
    assert.equal(got?.leaseUntil, T0 + 1900)
    assert.equal(await s.pollers.claim('p', { token: 't2', now: T0 + 1500, leaseMs: 1000 }), undefined, 'renewed lease still live')
    for (const c of ['a string', 42, 0, false]) {
      await s.pollers.advance('p', { token: 't1', cursor: c, now: T0 + 900, leaseMs: 1000 })
      assert.deepEqual((await s.pollers.get('p'))?.cursor, c)
    }
  })

  it('the cursor commits and rolls back with the surrounding transaction', async () => {
    const s = ctx.store
    await s.pollers.ensure('p', { firstAt: T0, latestAt: T0, now: T0 })
    await s.pollers.claim('p', { token: 't1', now: T0, leaseMs: 60_000 })
    await s.pollers.advance('p', { token: 't1', cursor: 'c1', now: T0, leaseMs: 60_000 })
    await assert.rejects(
      s.transaction(async (tx) => {
        assert.equal(await tx.pollers.advance('p', { token: 't1', cursor: 'c2', now: T0 + 1, leaseMs: 60_000 }), true)
        throw new Error('boom')
      }),
      /boom/,
    )
    assert.equal((await s.pollers.get('p'))?.cursor, 'c1')
    await s.transaction(async (tx) => {
      await tx.pollers.advance('p', { token: 't1', cursor: 'c2', now: T0 + 1, leaseMs: 60_000 })
    })
    assert.equal((await s.pollers.get('p'))?.cursor, 'c2')
  })

  it('finish records success or failure, frees the lease and sets the next tick', async () => {
    const s = ctx.store
    await s.pollers.ensure('p', { firstAt: T0, latestAt: T0, now: T0 })
    const fail = async (now: number, n: number) => {
      assert.ok(await s.pollers.claim('p', { token: `f${n}`, now, leaseMs: 1000, force: true }))
      assert.equal(await s.pollers.finish('p', { token: `f${n}`, now, nextAt: now + 500, items: 0, outcome: 'failed', error: { code: 'SB_ERR_POLLER_STATUS', message: `down ${n}` } }), true)
    }
    await fail(T0 + 10, 1)
    await fail(T0 + 20, 2)
    let st = await s.pollers.get('p')
    assert.deepEqual([st?.failures, st?.runs, st?.lastRunAt, st?.lastSuccessAt, st?.lastErrorAt, st?.lastErrorCode, st?.lastError, st?.nextAt, st?.owner, st?.leaseUntil], [
      2, 2, T0 + 20, null, T0 + 20, 'SB_ERR_POLLER_STATUS', 'down 2', T0 + 520, null, null,
    ])
    assert.ok(await s.pollers.claim('p', { token: 'ok1', now: T0 + 30, leaseMs: 1000, force: true }))
    assert.equal(await s.pollers.finish('p', { token: 'ok1', now: T0 + 40, nextAt: T0 + 1040, items: 7, outcome: 'ok' }), true)
    st = await s.pollers.get('p')
    assert.deepEqual([st?.failures, st?.runs, st?.lastRunAt, st?.lastSuccessAt, st?.lastItems, st?.lastErrorCode, st?.lastError, st?.nextAt, st?.owner], [
      0, 3, T0 + 40, T0 + 40, 7, 'SB_ERR_POLLER_STATUS', 'down 2', T0 + 1040, null,
    ])
    assert.ok(await s.pollers.claim('p', { token: 'ok2', now: T0 + 50, leaseMs: 1000, force: true }))
    await s.pollers.finish('p', { token: 'ok2', now: T0 + 60, nextAt: T0 + 2000, items: 1, outcome: 'ok', error: { code: 'SB_ERR_EVENT_INVALID', message: 'item "9" skipped' } })
    st = await s.pollers.get('p')
    assert.deepEqual([st?.failures, st?.lastErrorAt, st?.lastErrorCode, st?.lastError], [0, T0 + 60, 'SB_ERR_EVENT_INVALID', 'item "9" skipped'], 'a warning on success')
  })

  it('release frees the lease without recording a run; only the holder can', async () => {
    const s = ctx.store
    await s.pollers.ensure('p', { firstAt: T0, latestAt: T0, now: T0 })
    await s.pollers.claim('p', { token: 't1', now: T0, leaseMs: 60_000 })
    assert.equal(await s.pollers.release('p', 't2', T0 + 1), false)
    assert.equal(await s.pollers.release('p', 't1', T0 + 1), true)
    const st = await s.pollers.get('p')
    assert.deepEqual([st?.owner, st?.leaseUntil, st?.runs, st?.nextAt], [null, null, 0, T0])
    assert.ok(await s.pollers.claim('p', { token: 't2', now: T0 + 2, leaseMs: 60_000 }), 'still due: claimable at once')
  })

  it('list is ordered by id; setCursor and remove act on one row', async () => {
    const s = ctx.store
    for (const id of ['b', 'a', 'c']) await s.pollers.ensure(id, { firstAt: T0, latestAt: T0, now: T0 })
    assert.deepEqual((await s.pollers.list()).map((p) => p.id), ['a', 'b', 'c'])
    assert.equal(await s.pollers.setCursor('b', { page: 3 }, T0 + 5), true)
    assert.deepEqual((await s.pollers.get('b'))?.cursor, { page: 3 })
    assert.equal(await s.pollers.setCursor('b', null, T0 + 6), true)
    assert.equal((await s.pollers.get('b'))?.cursor, null)
    assert.equal(await s.pollers.setCursor('zz', 1, T0), false)
    assert.equal(await s.pollers.remove('a'), true)
    assert.equal(await s.pollers.remove('a'), false)
    assert.deepEqual((await s.pollers.list()).map((p) => p.id), ['b', 'c'])
  })

  it('refuses bad arguments with SB_ERR_STORE_INVALID_VALUE, changing nothing', async () => {
    const s = ctx.store
    await s.pollers.ensure('p', { firstAt: T0, latestAt: T0, now: T0 })
    await rejectsWith(s.pollers.ensure('', { firstAt: T0, latestAt: T0, now: T0 }), 'SB_ERR_STORE_INVALID_VALUE')
    await rejectsWith(s.pollers.ensure('q', { firstAt: -1, latestAt: T0, now: T0 }), 'SB_ERR_STORE_INVALID_VALUE')
    await rejectsWith(s.pollers.claim('p', { token: 't', now: T0, leaseMs: 0 }), 'SB_ERR_STORE_INVALID_VALUE')
    await rejectsWith(s.pollers.claim('p', { token: 't', now: 1.5, leaseMs: 10 }), 'SB_ERR_STORE_INVALID_VALUE')
    await rejectsWith(s.pollers.claim('p', { token: '', now: T0, leaseMs: 10 }), 'SB_ERR_STORE_INVALID_VALUE')
    assert.ok(await s.pollers.claim('p', { token: 't', now: T0, leaseMs: 1000 }))
    await rejectsWith(s.pollers.advance('p', { token: 't', cursor: 10n, now: T0, leaseMs: 1000 }), 'SB_ERR_STORE_INVALID_VALUE')
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    await rejectsWith(s.pollers.advance('p', { token: 't', cursor: cyclic, now: T0, leaseMs: 1000 }), 'SB_ERR_STORE_INVALID_VALUE')
    await rejectsWith(s.pollers.finish('p', { token: 't', now: T0, nextAt: T0, items: 0, outcome: 'failed' }), 'SB_ERR_STORE_INVALID_VALUE')
    await rejectsWith(s.pollers.finish('p', { token: 't', now: T0, nextAt: Number.NaN, items: 0, outcome: 'ok' }), 'SB_ERR_STORE_INVALID_VALUE')
    await rejectsWith(s.pollers.finish('p', { token: 't', now: T0, nextAt: T0, items: -1, outcome: 'ok' }), 'SB_ERR_STORE_INVALID_VALUE')
    const st = await s.pollers.get('p')
    assert.deepEqual([st?.cursor, st?.owner, st?.runs], [null, 't', 0])
    assert.equal(await s.pollers.get('q'), undefined)
  })
}
