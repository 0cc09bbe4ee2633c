import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { RollingWindow } from '../../src/observe/window.js'

const T0 = 1_700_000_000_000

describe('RollingWindow', () => {
  it('sums what happened inside the window and forgets what slid out', () => {
    const w = new RollingWindow(['ok', 'bad'] as const, { slotMs: 10_000, retentionMs: 60_000 })
    w.add(T0, 'ok', 3)
    w.add(T0 + 5_000, 'bad')
    w.add(T0 + 30_000, 'ok')
    assert.deepEqual(w.totals(T0 + 30_000), { ok: 4, bad: 1 })
    assert.deepEqual(w.totals(T0 + 30_000, 10_000), { ok: 1, bad: 0 }, 'a shorter window sees only the last slot')
    assert.deepEqual(w.totals(T0 + 65_000), { ok: 1, bad: 0 }, 'the first slot is past the retention')
    assert.deepEqual(w.totals(T0 + 10 * 60_000), { ok: 0, bad: 0 })
  })

  it('reuses a slot of an older lap without leaking its counts', () => {
    const w = new RollingWindow(['n'] as const, { slotMs: 1_000, retentionMs: 5_000 })
    w.add(T0, 'n', 100)
    // Six slots in the ring: T0 + 6 s lands on the same slot as T0.
    w.add(T0 + 6_000, 'n', 1)
    assert.deepEqual(w.totals(T0 + 6_000), { n: 1 })
  })

  it('counts in every slot whatever the epoch, going back in time included (the current slot is cached)', () => {
    const w = new RollingWindow(['n'] as const, { slotMs: 1_000, retentionMs: 5_000, latency: true })
    // Epoch −1 and 0 (a test clock near zero), then an earlier slot after a later one.
    for (const t of [-500, -400, 0, 999, 1_000]) w.addAt(t, 0)
    assert.deepEqual(w.totals(1_000), { n: 5 })
    w.observe(-500, 3)
    w.observe(1_000, 3)
    assert.equal(w.quantile(1_000, 1) !== null, true)
    const back = new RollingWindow(['n'] as const, { slotMs: 1_000, retentionMs: 5_000 })
    back.add(T0 + 3_000, 'n')
    back.add(T0 + 1_000, 'n')
    back.add(T0 + 3_500, 'n')
    assert.deepEqual(back.totals(T0 + 3_500), { n: 3 })
  })

  it('ignores unknown fields and non-numeric latencies', () => {
    const w = new RollingWindow(['n'] as const, { latency: true })
    w.add(T0, 'x' as 'n')
    w.observe(T0, Number.NaN)
    w.observe(T0, -1)
    assert.deepEqual(w.totals(T0), { n: 0 })
    assert.equal(w.quantile(T0, 0.95), null)
  })

  it('estimates quantiles within a bucket width (a factor 1.25)', () => {
    const w = new RollingWindow(['n'] as const, { latency: true })
    for (let i = 0; i < 95; i++) w.observe(T0, 10)
    for (let i = 0; i < 5; i++) w.observe(T0, 2_000)
    const p50 = w.quantile(T0, 0.5) ?? 0
    const p99 = w.quantile(T0, 0.99) ?? 0
    // The estimate lies in the bucket holding the true value: within a factor 1.25 of it.
    assert.ok(p50 >= 10 / 1.25 && p50 <= 10 * 1.25, `p50 ${p50}`)
    assert.ok(p99 >= 2_000 / 1.25 && p99 <= 2_000 * 1.25, `p99 ${p99}`)
    assert.equal(w.quantile(T0 + 3_600_000, 0.5), null, 'nothing left in the window')
  })

  it('keeps latencies only for their own (shorter) retention', () => {
    const w = new RollingWindow(['n'] as const, { slotMs: 10_000, retentionMs: 3_600_000, latency: true, latencyRetentionMs: 60_000 })
    w.add(T0, 'n')
    w.observe(T0, 100)
    assert.ok(w.quantile(T0, 0.5) !== null)
    assert.equal(w.quantile(T0 + 120_000, 0.5, 3_600_000), null, 'past the latency retention, even when a longer window is asked')
    assert.deepEqual(w.totals(T0 + 120_000, 3_600_000), { n: 1 }, 'counts are kept for the full retention')
  })

  it('puts latencies beyond the last bound in the overflow bucket', () => {
    const w = new RollingWindow(['n'] as const, { latency: true })
    w.observe(T0, 10 * 60_000)
    const q = w.quantile(T0, 0.5) ?? 0
    assert.ok(q >= 100_000, `${q}`)
  })
})
