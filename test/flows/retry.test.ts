import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { backoffDelay, DEFAULT_RETRY, parseRetryAfter, resolveRetrySchedule, type RetrySchedule } from '../../src/flows/retry.js'

const schedule = (over: Partial<RetrySchedule> = {}): RetrySchedule => ({ ...DEFAULT_RETRY, initialMs: 1000, maxMs: 60_000, factor: 2, ...over })

describe('backoffDelay', () => {
  it('without jitter grows by factor and caps at max', () => {
    const s = schedule({ jitter: 'none' })
    assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffDelay(s, n)), [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000])
  })

  it('with full jitter stays between the step and the next step, never below initial nor above max', () => {
    const s = schedule()
    for (let n = 1; n <= 12; n++) {
      const low = Math.min(s.maxMs, s.initialMs * 2 ** (n - 1))
      const high = Math.min(s.maxMs, s.initialMs * 2 ** n)
      assert.equal(backoffDelay(s, n, () => 0), low)
      assert.equal(backoffDelay(s, n, () => 0.999999), Math.round(low + 0.999999 * (high - low)))
      for (let i = 0; i < 50; i++) {
        const d = backoffDelay(s, n)
        assert.ok(d >= low && d <= high && d >= s.initialMs && d <= s.maxMs, `retry ${n}: ${d} not in [${low}, ${high}]`)
      }
    }
  })

  it('actually spreads delays (jitter is not constant)', () => {
    const seen = new Set(Array.from({ length: 20 }, () => backoffDelay(schedule(), 3)))
    assert.ok(seen.size > 1)
  })

  it('treats retry numbers below 1 as the first retry', () => {
    assert.equal(backoffDelay(schedule({ jitter: 'none' }), 0), 1000)
    assert.equal(backoffDelay(schedule({ jitter: 'none' }), -5), 1000)
  })

  it('default schedule spreads attempts over hours, like Standard Webhooks', () => {
    let total = 0
    for (let n = 1; n < DEFAULT_RETRY.attempts; n++) total += backoffDelay(DEFAULT_RETRY, n, () => 0)
    assert.ok(total > 12 * 3_600_000, `only ${total} ms`)
    assert.ok(total < DEFAULT_RETRY.maxAgeMs)
    assert.equal(backoffDelay(DEFAULT_RETRY, 1, () => 0), 5_000)
  })
})

describe('resolveRetrySchedule', () => {
  it('uses defaults when nothing is configured', () => {
    assert.deepEqual(resolveRetrySchedule(), { ...DEFAULT_RETRY })
  })

  it('lets the flow win over the system, field by field', () => {
    const s = resolveRetrySchedule({ attempts: 3, initial: '1s' }, { attempts: 9, max: '2m', maxAge: '1h', jitter: 'none', factor: 3 })
    assert.equal(s.attempts, 3)
    assert.equal(s.initialMs, 1000)
    assert.equal(s.maxMs, 120_000)
    assert.equal(s.maxAgeMs, 3_600_000)
    assert.equal(s.jitter, 'none')
    assert.equal(s.factor, 3)
    assert.equal(s.retryAfterCapMs, 120_000)
  })

  it('never lets max fall below initial', () => {
    const s = resolveRetrySchedule({ initial: '10s', max: '1s' })
    assert.equal(s.maxMs, 10_000)
  })
})

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-01-01T00:00:00Z')
  it('reads delay-seconds', () => {
    assert.equal(parseRetryAfter('120', now), 120_000)
    assert.equal(parseRetryAfter(' 0 ', now), 0)
    assert.equal(parseRetryAfter(['7', '9'], now), 7000)
  })
  it('reads an HTTP-date relative to now, past dates as 0', () => {
    assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:01:30 GMT', now), 90_000)
    assert.equal(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now), 0)
  })
  it('ignores absent and malformed values', () => {
    for (const v of [undefined, '', '-5', '1.5', '10s', 'soon', '2026-01-01T00:01:00Z', 'Foo, 99 Nop 2026 00:00:00 GMT']) {
      assert.equal(parseRetryAfter(v, now), undefined, String(v))
    }
  })
})
