import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ManualClock } from '../../src/core/clock.js'
import { TokenBucket } from '../../src/systems/rate-limit.js'

describe('TokenBucket', () => {
  it('allows a burst, then refuses with a retry hint, then refills over time', () => {
    const clock = new ManualClock()
    const b = new TokenBucket(10, 3, clock)
    assert.equal(b.tryTake(), true)
    assert.equal(b.tryTake(), true)
    assert.equal(b.tryTake(), true)
    assert.equal(b.tryTake(), false)
    assert.equal(b.retryAfterMs(), 100)
    clock.advance(50)
    assert.equal(b.tryTake(), false)
    assert.equal(b.retryAfterMs(), 50)
    clock.advance(50)
    assert.equal(b.tryTake(), true)
    assert.equal(b.tryTake(), false)
  })

  it('never holds more than burst tokens after a long idle time', () => {
    const clock = new ManualClock()
    const b = new TokenBucket(5, 2, clock)
    clock.advance(3_600_000)
    assert.equal(b.tryTake(), true)
    assert.equal(b.tryTake(), true)
    assert.equal(b.tryTake(), false)
  })

  it('burst defaults to perSecond, at least 1', () => {
    assert.equal(new TokenBucket(20).burst, 20)
    assert.equal(new TokenBucket(0.5).burst, 1)
  })

  it('take() resolves at once while tokens remain, and waits for a refill when empty', async () => {
    const b = new TokenBucket(50, 1)
    await b.take()
    assert.equal(b.tryTake(), false)
    let done = false
    const waiting = b.take().then(() => {
      done = true
    })
    assert.equal(done, false)
    await waiting
    assert.equal(done, true)
  })

  it('waiters hold a reservation: fail-fast callers cannot take their token', async () => {
    const clock = new ManualClock()
    const b = new TokenBucket(1000, 1, clock)
    assert.equal(b.tryTake(), true)
    const waiting = b.take() // reserves the next token (bucket goes negative)
    clock.advance(1) // one token accrues: it belongs to the waiter
    assert.equal(b.tryTake(), false)
    assert.equal(b.available() < 1, true)
    await waiting
  })

  it('take() rejects with the signal reason and gives the reservation back', async () => {
    const clock = new ManualClock()
    const b = new TokenBucket(1, 1, clock)
    assert.equal(b.tryTake(), true)
    const ac = new AbortController()
    const waiting = b.take(ac.signal)
    assert.equal(b.available(), -1)
    ac.abort(new Error('stop'))
    await assert.rejects(waiting, /stop/)
    assert.equal(b.available(), 0)
    await assert.rejects(b.take(ac.signal), /stop/, 'an already aborted signal rejects at once')
  })

  it('refuses invalid settings', () => {
    assert.throws(() => new TokenBucket(0), RangeError)
    assert.throws(() => new TokenBucket(-1), RangeError)
    assert.throws(() => new TokenBucket(Number.NaN), RangeError)
    assert.throws(() => new TokenBucket(1, 0), RangeError)
  })
})
