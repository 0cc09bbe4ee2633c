/** Conformance: settings and quota counters, including their concurrency guarantees. */
import assert from 'node:assert/strict'
import { it } from 'node:test'
import { SwitchboardError } from '../../../src/core/errors.js'
import { rejectsWith, type StoreContext } from './context.js'

export function counterCases(ctx: StoreContext): void {
  it('settings set overwrites; get is undefined when absent', async () => {
    const s = ctx.store
    assert.equal(await s.settings.get('k'), undefined)
    await s.settings.set('k', 'one')
    await s.settings.set('k', 'two')
    assert.equal(await s.settings.get('k'), 'two')
    await s.settings.set('empty', '')
    assert.equal(await s.settings.get('empty'), '')
    const long = 'x'.repeat(200_000)
    await s.settings.set('long', long)
    assert.equal(await s.settings.get('long'), long)
  })

  it('settings setIfAbsent sets once under concurrency', async () => {
    const s = ctx.store
    const results = await Promise.all(Array.from({ length: 25 }, (_, i) => s.settings.setIfAbsent('instance-id', `v${i}`)))
    assert.equal(results.filter(Boolean).length, 1)
    const winner = results.indexOf(true)
    assert.equal(await s.settings.get('instance-id'), `v${winner}`)
    assert.equal(await s.settings.setIfAbsent('instance-id', 'late'), false)
  })

  it('a NUL character is stored verbatim or rejected with SB_ERR_STORE_INVALID_VALUE', async () => {
    const s = ctx.store
    try {
      await s.settings.set('nul', 'a\u0000b')
      assert.equal(await s.settings.get('nul'), 'a\u0000b')
    } catch (err) {
      assert.ok(err instanceof SwitchboardError && err.code === 'SB_ERR_STORE_INVALID_VALUE', String(err))
    }
    try {
      const e = await s.audit.append({ at: 1, actor: 'a', action: 'x', details: { v: 'a\u0000b' } })
      assert.deepEqual(e.details, { v: 'a\u0000b' })
    } catch (err) {
      assert.ok(err instanceof SwitchboardError && err.code === 'SB_ERR_STORE_INVALID_VALUE', String(err))
    }
  })

  it('quota consume is atomic under concurrency (100 parallel consumes with limit 37 → exactly 37 allowed)', async () => {
    const s = ctx.store
    const results = await Promise.all(Array.from({ length: 100 }, () => s.quotas.consume('acme', '2025-06-01', 1, 37)))
    assert.equal(results.filter((r) => r.allowed).length, 37)
    assert.deepEqual(results.filter((r) => r.allowed).map((r) => r.used).sort((a, b) => a - b), Array.from({ length: 37 }, (_, i) => i + 1))
    assert.ok(results.filter((r) => !r.allowed).every((r) => r.used === 37))
    assert.equal(await s.quotas.used('acme', '2025-06-01'), 37)
  })

  it('a refused consume leaves the counter unchanged', async () => {
    const q = ctx.store.quotas
    assert.equal(await q.used('acme', 'd1'), 0)
    assert.deepEqual(await q.consume('acme', 'd1', 5, 10), { allowed: true, used: 5 })
    assert.deepEqual(await q.consume('acme', 'd1', 6, 10), { allowed: false, used: 5 })
    assert.deepEqual(await q.consume('acme', 'd1', 5, 10), { allowed: true, used: 10 })
    assert.deepEqual(await q.consume('acme', 'd1', 1, 10), { allowed: false, used: 10 })
    assert.deepEqual(await q.consume('acme', 'd1', 0, 10), { allowed: true, used: 10 })
    assert.deepEqual(await q.consume('acme', 'd2', 11, 10), { allowed: false, used: 0 }, 'a first use over the limit is refused')
    assert.equal(await q.used('acme', 'd2'), 0)
    assert.deepEqual(await q.consume('other', 'd1', 1, 10), { allowed: true, used: 1 }, 'counters are per subject')
  })

  it('quota consume rejects negative or fractional amounts and limits', async () => {
    const q = ctx.store.quotas
    await q.consume('acme', 'd', 5, 10)
    for (const [amount, limit] of [[-1, 10], [1.5, 10], [1, -1], [1, Number.POSITIVE_INFINITY], [Number.NaN, 10]] as const) {
      await rejectsWith(q.consume('acme', 'd', amount, limit), 'SB_ERR_STORE_INVALID_VALUE')
    }
    assert.equal(await q.used('acme', 'd'), 5)
  })
}
