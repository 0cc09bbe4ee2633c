/**
 * Store conformance for alert state, alert history and leases. A separate suite from
 * store.ts (same harness): each backend's test file adds one call to {@link describeStoreAlerts}.
 */
import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { ManualClock, type Clock } from '../../src/core/clock.js'
import type { AlertInstanceRecord, NewAlertEvent, Store } from '../../src/store/contract.js'
import { rejectsWith, type StoreHarness } from './store/context.js'

const instance = (key: string, over: Partial<AlertInstanceRecord> = {}): AlertInstanceRecord => ({
  key,
  alert: key.split('/')[0] ?? key,
  subjectKind: 'system',
  subjectName: 'erp',
  severity: 'critical',
  state: 'firing',
  activeSince: 1_700_000_000_000,
  firingSince: 1_700_000_060_000,
  resolvedAt: null,
  notified: 'firing',
  value: 0.375,
  threshold: 0.25,
  summary: 'system erp: circuit open for 1m — “ünï” \\ "q"',
  updatedAt: 1_700_000_061_000,
  ...over,
})

const event = (alert: string, at: number, status: 'firing' | 'resolved' = 'firing'): NewAlertEvent => ({
  at,
  key: `${alert}/system:erp`,
  alert,
  subjectKind: 'system',
  subjectName: 'erp',
  severity: 'warning',
  status,
  value: status === 'firing' ? 12.5 : null,
  threshold: 10,
  summary: `${alert} ${status}`,
})

export function describeStoreAlerts(name: string, factory: (opts: { clock: Clock }) => Promise<StoreHarness>): void {
  describe(`Store conformance (alerts and leases): ${name}`, () => {
    let harness: StoreHarness | undefined
    let clock = new ManualClock()
    const store = (): Store => {
      if (!harness) throw new Error('no store: used outside a test')
      return harness.store
    }

    beforeEach(async () => {
      clock = new ManualClock()
      harness = await factory({ clock })
      await harness.store.migrate()
    })
    afterEach(async () => {
      await harness?.cleanup()
      harness = undefined
    })

    describe('alert instances', () => {
      it('start empty, and round-trip every field, nulls and fractions included, ordered by key', async () => {
        const s = store()
        assert.deepEqual(await s.alerts.instances(), [])
        const list = [instance('b/system:erp'), instance('a/flow:f', { subjectKind: 'flow', subjectName: 'f', state: 'pending', firingSince: null, notified: 'none', value: null })]
        await s.alerts.replaceInstances(list)
        assert.deepEqual(await s.alerts.instances(), [list[1], list[0]])
      })

      it('replaceInstances replaces the whole set: missing keys are deleted, present ones updated', async () => {
        const s = store()
        await s.alerts.replaceInstances([instance('a/system:erp'), instance('b/system:erp')])
        await s.alerts.replaceInstances([instance('b/system:erp', { state: 'resolving', resolvedAt: 1_700_000_090_000 }), instance('c/system:erp')])
        const got = await s.alerts.instances()
        assert.deepEqual(got.map((i) => [i.key, i.state, i.resolvedAt]), [
          ['b/system:erp', 'resolving', 1_700_000_090_000],
          ['c/system:erp', 'firing', null],
        ])
        await s.alerts.replaceInstances([])
        assert.deepEqual(await s.alerts.instances(), [])
      })

      it('a refused replacement changes nothing (duplicate key, NaN, negative or fractional time, empty key)', async () => {
        const s = store()
        const before = [instance('a/system:erp')]
        await s.alerts.replaceInstances(before)
        const bad: AlertInstanceRecord[][] = [
          [instance('x/system:erp'), instance('x/system:erp')],
          [instance('x/system:erp', { value: Number.NaN })],
          [instance('x/system:erp', { threshold: Number.POSITIVE_INFINITY })],
          [instance('x/system:erp', { activeSince: -1 })],
          [instance('x/system:erp', { firingSince: 1.5 })],
          [instance('')],
        ]
        for (const list of bad) await rejectsWith(s.alerts.replaceInstances(list), 'SB_ERR_STORE_INVALID_VALUE')
        assert.deepEqual(await s.alerts.instances(), before)
      })

      it('replaceInstances commits and rolls back with the surrounding transaction', async () => {
        const s = store()
        await s.alerts.replaceInstances([instance('a/system:erp')])
        await assert.rejects(
          s.transaction(async (tx) => {
            await tx.alerts.replaceInstances([instance('b/system:erp')])
            await tx.alerts.record(event('b', 1))
            throw new Error('boom')
          }),
          /boom/,
        )
        assert.deepEqual((await s.alerts.instances()).map((i) => i.key), ['a/system:erp'])
        assert.deepEqual(await s.alerts.history(), [])
        await s.transaction(async (tx) => {
          await tx.alerts.replaceInstances([instance('b/system:erp')])
          await tx.alerts.record(event('b', 1))
        })
        assert.deepEqual((await s.alerts.instances()).map((i) => i.key), ['b/system:erp'])
        assert.equal((await s.alerts.history()).length, 1)
      })
    })

    describe('alert history', () => {
      it('appends with increasing ids and lists newest first, by alert, paged with before', async () => {
        const s = store()
        const a1 = await s.alerts.record(event('a', 10))
        const b1 = await s.alerts.record(event('b', 20))
        const a2 = await s.alerts.record(event('a', 30, 'resolved'))
        assert.ok(a1.id < b1.id && b1.id < a2.id)
        assert.deepEqual(a1, { id: a1.id, ...event('a', 10) })
        assert.deepEqual(a2.value, null)
        assert.deepEqual((await s.alerts.history()).map((e) => e.id), [a2.id, b1.id, a1.id])
        assert.deepEqual((await s.alerts.history({ alert: 'a' })).map((e) => e.id), [a2.id, a1.id])
        assert.deepEqual((await s.alerts.history({ alert: 'none' })).map((e) => e.id), [])
        assert.deepEqual((await s.alerts.history({ before: a2.id, limit: 1 })).map((e) => e.id), [b1.id])
        assert.deepEqual((await s.alerts.history({ alert: 'a', before: a2.id })).map((e) => e.id), [a1.id])
      })

      it('refuses bad events and bad queries', async () => {
        const s = store()
        await rejectsWith(s.alerts.record({ ...event('a', 1), status: 'pending' as 'firing' }), 'SB_ERR_STORE_INVALID_VALUE')
        await rejectsWith(s.alerts.record({ ...event('a', 1), value: Number.NaN }), 'SB_ERR_STORE_INVALID_VALUE')
        await rejectsWith(s.alerts.record(event('a', -5)), 'SB_ERR_STORE_INVALID_VALUE')
        await rejectsWith(s.alerts.record({ ...event('a', 1), alert: '' }), 'SB_ERR_STORE_INVALID_VALUE')
        for (const limit of [0, -1, 1.5]) await rejectsWith(s.alerts.history({ limit }), 'SB_ERR_STORE_INVALID_VALUE')
        await rejectsWith(s.alerts.history({ before: 1.5 }), 'SB_ERR_STORE_INVALID_VALUE')
        await rejectsWith(s.alerts.pruneHistory(Number.NaN), 'SB_ERR_STORE_INVALID_VALUE')
        assert.deepEqual(await s.alerts.history(), [])
      })

      it('pruneHistory deletes the entries strictly older than the bound', async () => {
        const s = store()
        for (const at of [10, 20, 30]) await s.alerts.record(event('a', at))
        assert.equal(await s.alerts.pruneHistory(20), 1)
        assert.deepEqual((await s.alerts.history()).map((e) => e.at), [30, 20])
        assert.equal(await s.alerts.pruneHistory(0), 0)
      })

      it('state and history survive closing and reopening the store', async (t) => {
        if (!harness?.reopen) return t.skip('this backend cannot reopen the same database (in memory)')
        await store().alerts.replaceInstances([instance('a/system:erp')])
        await store().alerts.record(event('a', 10))
        await store().close()
        const again = await harness.reopen()
        try {
          assert.deepEqual(await again.alerts.instances(), [instance('a/system:erp')])
          assert.equal((await again.alerts.history()).length, 1)
        } finally {
          await again.close()
        }
      })
    })

    describe('leases', () => {
      it('a lease has one owner until it expires; its owner renews it', async () => {
        const s = store()
        const t0 = clock.now()
        assert.equal(await s.leases.get('alerts'), undefined)
        assert.equal(await s.leases.acquire('alerts', 'node-a', 1000, t0), true)
        assert.deepEqual(await s.leases.get('alerts'), { name: 'alerts', owner: 'node-a', until: t0 + 1000 })
        assert.equal(await s.leases.acquire('alerts', 'node-b', 1000, t0 + 999), false, 'live lease of another owner')
        assert.equal(await s.leases.acquire('alerts', 'node-a', 1000, t0 + 500), true, 'renewed')
        assert.deepEqual(await s.leases.get('alerts'), { name: 'alerts', owner: 'node-a', until: t0 + 1500 })
        assert.equal(await s.leases.acquire('alerts', 'node-b', 1000, t0 + 1499), false)
        assert.equal(await s.leases.acquire('alerts', 'node-b', 1000, t0 + 1500), true, 'taken over once expired')
        assert.equal(await s.leases.acquire('alerts', 'node-a', 1000, t0 + 1501), false, 'the old owner lost it')
        assert.equal(await s.leases.acquire('other', 'node-a', 1000, t0 + 1501), true, 'leases are independent by name')
      })

      it('only the owner releases a lease; a released lease is free at once', async () => {
        const s = store()
        const t0 = clock.now()
        await s.leases.acquire('alerts', 'node-a', 60_000, t0)
        assert.equal(await s.leases.release('alerts', 'node-b'), false)
        assert.equal(await s.leases.acquire('alerts', 'node-b', 60_000, t0 + 1), false)
        assert.equal(await s.leases.release('alerts', 'node-a'), true)
        assert.equal(await s.leases.release('alerts', 'node-a'), false)
        assert.equal(await s.leases.acquire('alerts', 'node-b', 60_000, t0 + 1), true)
      })

      it('concurrent acquires of a free lease: exactly one owner wins', async () => {
        const s = store()
        const other = harness?.reopen ? await harness.reopen() : s
        try {
          const t0 = clock.now()
          const owners = Array.from({ length: 8 }, (_, i) => `node-${i}`)
          const won = await Promise.all(owners.map((o, i) => (i % 2 === 0 ? s : other).leases.acquire('race', o, 10_000, t0)))
          assert.equal(won.filter(Boolean).length, 1)
          const holder = owners[won.indexOf(true)]
          assert.equal((await s.leases.get('race'))?.owner, holder)
        } finally {
          if (other !== s) await other.close()
        }
      })

      it('refuses bad arguments and leaves the lease unchanged', async () => {
        const s = store()
        const t0 = clock.now()
        await s.leases.acquire('alerts', 'node-a', 1000, t0)
        for (const [name, owner, ttl, now] of [
          ['', 'x', 1000, t0],
          ['alerts', '', 1000, t0],
          ['alerts', 'x', 0, t0 + 5000],
          ['alerts', 'x', 1.5, t0 + 5000],
          ['alerts', 'x', 1000, -1],
          ['alerts', 'x', 1000, Number.NaN],
          ['alerts', 'x', Number.MAX_SAFE_INTEGER, t0 + 5000],
        ] as const) {
          await rejectsWith(s.leases.acquire(name, owner, ttl, now), 'SB_ERR_STORE_INVALID_VALUE')
        }
        assert.deepEqual(await s.leases.get('alerts'), { name: 'alerts', owner: 'node-a', until: t0 + 1000 })
      })
    })
  })
}
