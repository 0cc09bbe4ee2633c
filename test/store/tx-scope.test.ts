import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { setImmediate as tick } from 'node:timers/promises'
import { insideOwnTransaction, newTxScope, runInScope } from '../../src/store/tx-scope.js'

// The storage behind these checks is switched off between transactions (async hooks cost on
// Node 20); these cases prove the detection is unchanged by that.
describe('transaction scopes', () => {
  it('sees its own transaction across awaits and timers, and nothing outside it', async () => {
    const owner = {}
    assert.equal(insideOwnTransaction(owner), false)
    const scope = newTxScope(owner)
    const seen = await runInScope(scope, async () => {
      const inside = [insideOwnTransaction(owner)]
      await tick()
      inside.push(insideOwnTransaction(owner))
      await new Promise<void>((resolve) =>
        setTimeout(() => {
          inside.push(insideOwnTransaction(owner))
          resolve()
        }, 1),
      )
      inside.push(insideOwnTransaction({}))
      return inside
    })
    assert.deepEqual(seen, [true, true, true, false])
    assert.equal(insideOwnTransaction(owner), false)
  })

  it('still detects after earlier transactions ended (the storage is switched on again)', async () => {
    const owner = {}
    for (let i = 0; i < 3; i++) {
      const inside = await runInScope(newTxScope(owner), async () => {
        await tick()
        return insideOwnTransaction(owner)
      })
      assert.equal(inside, true, `transaction ${i + 1}`)
      assert.equal(insideOwnTransaction(owner), false)
    }
  })

  it('keeps detecting in one transaction while another, overlapping one ends', async () => {
    const a = {}
    const b = {}
    let releaseB!: () => void
    const bWaits = new Promise<void>((resolve) => (releaseB = resolve))
    const inB = runInScope(newTxScope(b), async () => {
      await bWaits
      await tick()
      return insideOwnTransaction(b)
    })
    await runInScope(newTxScope(a), async () => {
      await tick()
    })
    releaseB()
    assert.equal(await inB, true, 'the end of transaction a must not switch detection off for b')
  })

  it('a context that outlives its transaction is no longer inside it', async () => {
    const owner = {}
    const scope = newTxScope(owner)
    let later!: Promise<boolean>
    await runInScope(scope, async () => {
      later = new Promise((resolve) => setTimeout(() => resolve(insideOwnTransaction(owner)), 5))
    })
    scope.active = false // what the stores do when the transaction settles
    // Another transaction of another owner keeps the storage on meanwhile.
    const other = {}
    const [outlived] = await Promise.all([later, runInScope(newTxScope(other), () => new Promise((r) => setTimeout(r, 10)))])
    assert.equal(outlived, false)
  })

  it('a callback that throws synchronously still releases its scope', async () => {
    const owner = {}
    assert.throws(() =>
      runInScope(newTxScope(owner), () => {
        throw new Error('boom')
      }),
    )
    assert.equal(await runInScope(newTxScope(owner), async () => insideOwnTransaction(owner)), true)
  })
})
