/** Conformance: config revisions and the audit log. */
import assert from 'node:assert/strict'
import { it } from 'node:test'
import { rejectsWith, type StoreContext } from './context.js'

export function recordCases(ctx: StoreContext): void {
  const rev = (hash: string, ...config: [unknown?]) => ({ hash, config: config.length ? config[0] : { hash }, source: 'file:switchboard.yaml', actor: 'ci' })

  it('config revisions number monotonically', async () => {
    const s = ctx.store
    assert.equal(await s.revisions.latest(), undefined)
    assert.deepEqual(await s.revisions.list(), [])
    const first = await s.revisions.add(rev('a'))
    assert.deepEqual(first, { id: 1, hash: 'a', config: { hash: 'a' }, source: 'file:switchboard.yaml', actor: 'ci', createdAt: ctx.clock.now() })
    ctx.clock.advance(1)
    assert.equal((await s.revisions.add(rev('b'))).id, 2)
    assert.equal((await s.revisions.add(rev('c'))).id, 3)
    assert.equal((await s.revisions.latest())?.hash, 'c')
    assert.deepEqual((await s.revisions.get(2))?.config, { hash: 'b' })
    const listed = await s.revisions.list()
    assert.deepEqual(listed.map((r) => r.id), [3, 2, 1])
    assert.equal('config' in (listed[0] ?? {}), false, 'list leaves the config out')
    assert.deepEqual((await s.revisions.list(2)).map((r) => r.id), [3, 2])
  })

  it('concurrent revision adds get distinct consecutive numbers', async () => {
    const s = ctx.store
    const added = await Promise.all(Array.from({ length: 10 }, (_, i) => s.revisions.add(rev(`h${i}`))))
    assert.deepEqual(added.map((r) => r.id).sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
  })

  it('revisions.get returns undefined for unknown or non-integer ids', async () => {
    const s = ctx.store
    await s.revisions.add(rev('a'))
    for (const id of [0, 2, -1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER]) assert.equal(await s.revisions.get(id), undefined, `id ${id}`)
  })

  it('revision config round-trips as JSON and must be serialisable', async () => {
    const s = ctx.store
    const config = { routes: [{ id: 'r', get: '/v1/x' }], n: 1.5, flag: true, none: null, text: 'ünï 🚀 "q" \\ \n', nested: { a: [1, [2]] } }
    const added = await s.revisions.add(rev('a', config))
    assert.deepEqual(added.config, config)
    assert.deepEqual((await s.revisions.get(added.id))?.config, config)
    await rejectsWith(s.revisions.add(rev('u', undefined)), 'SB_ERR_STORE_INVALID_VALUE')
    await rejectsWith(s.revisions.add(rev('b', { big: 1n })), 'SB_ERR_STORE_INVALID_VALUE')
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    await rejectsWith(s.revisions.add(rev('c', cyclic)), 'SB_ERR_STORE_INVALID_VALUE')
    assert.deepEqual((await s.revisions.list()).map((r) => r.id), [1])
  })

  it('revisions.list rejects a bad limit and caps a large one', async () => {
    const s = ctx.store
    await s.revisions.add(rev('a'))
    for (const limit of [0, -1, 1.5]) await rejectsWith(s.revisions.list(limit), 'SB_ERR_STORE_INVALID_VALUE')
    assert.equal((await s.revisions.list(1_000_000)).length, 1)
  })

  it('audit log is append-only and pages newest first', async () => {
    const s = ctx.store
    assert.equal('update' in s.audit || 'remove' in s.audit || 'delete' in s.audit, false)
    const appended = []
    for (let i = 1; i <= 5; i++) {
      appended.push(
        await s.audit.append({
          at: 1000 + i,
          actor: i % 2 ? 'alice' : 'bob',
          action: i <= 3 ? 'key.create' : 'config.apply',
          target: i === 5 ? null : `t${i % 2}`,
          details: i === 1 ? { key: 'k1', nested: { ok: true } } : null,
        }),
      )
    }
    assert.deepEqual(appended[0], { id: appended[0]?.id, at: 1001, actor: 'alice', action: 'key.create', target: 't1', details: { key: 'k1', nested: { ok: true } } })
    const ids = appended.map((e) => e.id)
    assert.deepEqual([...ids].sort((a, b) => a - b), ids, 'ids grow')

    const all = await s.audit.list()
    assert.deepEqual(all.map((e) => e.id), [...ids].reverse())
    assert.deepEqual(all.at(-1), appended[0])

    const page1 = await s.audit.list({ limit: 2 })
    assert.deepEqual(page1.map((e) => e.at), [1005, 1004])
    const page2 = await s.audit.list({ limit: 2, before: page1.at(-1)?.id })
    assert.deepEqual(page2.map((e) => e.at), [1003, 1002])
    const page3 = await s.audit.list({ limit: 2, before: page2.at(-1)?.id })
    assert.deepEqual(page3.map((e) => e.at), [1001])

    assert.deepEqual((await s.audit.list({ action: 'key.create' })).map((e) => e.at), [1003, 1002, 1001])
    assert.deepEqual((await s.audit.list({ target: 't1' })).map((e) => e.at), [1003, 1001])
    assert.deepEqual((await s.audit.list({ action: 'config.apply', target: 't0' })).map((e) => e.at), [1004])
    assert.deepEqual((await s.audit.list({ action: 'key.create', before: ids[1] })).map((e) => e.at), [1001])
    assert.deepEqual(await s.audit.list({ action: "' OR 1=1 --" }), [])
    assert.deepEqual(await s.audit.list({ before: 0 }), [])
  })

  it('audit list rejects bad limits and cursors', async () => {
    const s = ctx.store
    await s.audit.append({ at: 1, actor: 'a', action: 'x' })
    for (const limit of [0, -3, 2.5, Number.NaN]) await rejectsWith(s.audit.list({ limit }), 'SB_ERR_STORE_INVALID_VALUE')
    await rejectsWith(s.audit.list({ before: 1.5 }), 'SB_ERR_STORE_INVALID_VALUE')
    assert.equal((await s.audit.list({ limit: 5000 })).length, 1)
    await rejectsWith(s.audit.append({ at: -1, actor: 'a', action: 'x' }), 'SB_ERR_STORE_INVALID_VALUE')
    await rejectsWith(s.audit.append({ at: 1, actor: 'a', action: 'x', details: { n: 1n } }), 'SB_ERR_STORE_INVALID_VALUE')
  })
}
