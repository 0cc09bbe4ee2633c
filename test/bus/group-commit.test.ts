/** GroupCommit: concurrent submits share a commit; a failing batch fails only its bad item; urgent items do not wait. */
import assert from 'node:assert/strict'
import { afterEach, describe, it, mock } from 'node:test'
import { GroupCommit } from '../../src/bus/group-commit.js'

afterEach(() => mock.timers.reset())

/** A commit function that records its batches and answers each item doubled. */
function recorder(fail?: (n: number) => boolean) {
  const batches: number[][] = []
  const commit = async (items: number[]) => {
    batches.push([...items])
    if (fail && items.some(fail)) throw new Error('bad item')
    return items.map((n) => n * 2)
  }
  return { batches, commit }
}

describe('GroupCommit', () => {
  it('commits items submitted together in one batch, each resolving with its own result', async () => {
    const r = recorder()
    const gc = new GroupCommit(r.commit, { maxWaitMs: 1 })
    assert.deepEqual(await Promise.all([1, 2, 3].map((n) => gc.submit(n))), [2, 4, 6])
    assert.deepEqual(r.batches, [[1, 2, 3]])
  })

  it('retries a failed batch item by item, so only the bad item fails', async () => {
    const r = recorder((n) => n === 2)
    const gc = new GroupCommit(r.commit, { maxWaitMs: 1 })
    const results = await Promise.allSettled([1, 2, 3].map((n) => gc.submit(n)))
    assert.deepEqual(results.map((x) => x.status), ['fulfilled', 'rejected', 'fulfilled'])
    assert.deepEqual(r.batches, [[1, 2, 3], [1], [2], [3]])
  })

  it('waits maxWaitMs for company, unless an item is urgent; items of the same turn still share its commit', async () => {
    mock.timers.enable({ apis: ['setTimeout'] })
    const r = recorder()
    const gc = new GroupCommit(r.commit, { maxWaitMs: 60_000 })
    const patient = gc.submit(1)
    await new Promise((resolve) => setImmediate(resolve))
    assert.deepEqual(r.batches, [], 'a plain item waits for the timer')
    const urgent = gc.submit(2, true)
    const sameTurn = gc.submit(3)
    assert.deepEqual(await Promise.all([patient, urgent, sameTurn]), [2, 4, 6])
    assert.deepEqual(r.batches, [[1, 2, 3]], 'flushed without the 60 s timer, in one commit')
  })

  it('flush() commits what is queued without waiting for the timer', async () => {
    mock.timers.enable({ apis: ['setTimeout'] })
    const r = recorder()
    const gc = new GroupCommit(r.commit, { maxWaitMs: 60_000 })
    const p = gc.submit(5)
    await gc.flush()
    assert.equal(await p, 10)
    assert.deepEqual(r.batches, [[5]])
  })
})
