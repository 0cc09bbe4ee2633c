import { describe, it, after } from 'node:test'
import assert from 'node:assert/strict'
import diagnostics from 'node:diagnostics_channel'
import { ManualClock } from '../../src/core/clock.js'
import { CircuitBreaker, type CircuitBreakerOptions } from '../../src/systems/breaker.js'
import { CIRCUIT_TRANSITION_CHANNEL, type CircuitTransitionMessage } from '../../src/systems/diagnostics.js'

const OPTS: CircuitBreakerOptions = { failureRate: 0.5, minRequests: 4, windowMs: 10_000, cooldownMs: 5_000, halfOpenProbes: 1 }

function breaker(opts: Partial<CircuitBreakerOptions> = {}, name = 'erp') {
  const clock = new ManualClock()
  return { clock, b: new CircuitBreaker(name, { ...OPTS, ...opts }, clock) }
}

function call(b: CircuitBreaker, ok: boolean): void {
  const p = b.tryAcquire()
  assert.equal(p.ok, true)
  if (!p.ok) return
  if (ok) b.onSuccess(p.probe)
  else b.onFailure(p.probe)
}

function openIt(b: CircuitBreaker): void {
  for (let i = 0; i < 4; i++) call(b, false)
  assert.equal(b.state, 'open')
}

describe('CircuitBreaker', () => {
  it('opens when the failure rate is reached with at least minRequests calls', () => {
    const { b } = breaker()
    call(b, true)
    call(b, false)
    call(b, true)
    assert.equal(b.state, 'closed', '1 failure of 3: below minRequests')
    call(b, false) // 2 of 4 = 0.5
    assert.equal(b.state, 'open')
    const p = b.tryAcquire()
    assert.equal(p.ok, false)
    if (!p.ok) assert.equal(p.retryAfterMs, 5_000)
  })

  it('stays closed below minRequests even when every call fails', () => {
    const { b } = breaker({ minRequests: 10 })
    for (let i = 0; i < 9; i++) call(b, false)
    assert.equal(b.state, 'closed')
    assert.deepEqual(b.windowStats(), { requests: 9, failures: 9 })
  })

  it('stays closed when the failure rate is below the threshold', () => {
    const { b } = breaker()
    for (let i = 0; i < 20; i++) call(b, i % 4 !== 3) // every 4th fails: 25 %
    assert.equal(b.state, 'closed')
  })

  it('forgets failures older than the window', () => {
    const { b, clock } = breaker()
    for (let i = 0; i < 3; i++) call(b, false)
    clock.advance(11_000)
    assert.deepEqual(b.windowStats(), { requests: 0, failures: 0 })
    call(b, false)
    assert.equal(b.state, 'closed', 'old failures must not count towards the rate')
  })

  it('goes half-open after the cooldown; a successful probe closes it with a fresh window', () => {
    const { b, clock } = breaker()
    openIt(b)
    clock.advance(4_999)
    assert.equal(b.tryAcquire().ok, false)
    assert.equal(b.retryAfterMs(), 1)
    clock.advance(1)
    assert.equal(b.state, 'half-open')
    const probe = b.tryAcquire()
    assert.deepEqual(probe, { ok: true, probe: true })
    b.onSuccess(true)
    assert.equal(b.state, 'closed')
    assert.equal(b.openedAt, null)
    assert.deepEqual(b.windowStats(), { requests: 0, failures: 0 })
  })

  it('a failed probe re-opens with a fresh cooldown', () => {
    const { b, clock } = breaker()
    openIt(b)
    clock.advance(5_000)
    const probe = b.tryAcquire()
    assert.equal(probe.ok && probe.probe, true)
    clock.advance(700)
    b.onFailure(true)
    assert.equal(b.state, 'open')
    assert.equal(b.openedAt, clock.now())
    assert.equal(b.retryAfterMs(), 5_000)
  })

  it('lets only halfOpenProbes concurrent probes through', () => {
    const { b, clock } = breaker({ halfOpenProbes: 2 })
    openIt(b)
    clock.advance(5_000)
    assert.deepEqual(b.tryAcquire(), { ok: true, probe: true })
    assert.deepEqual(b.tryAcquire(), { ok: true, probe: true })
    const third = b.tryAcquire()
    assert.equal(third.ok, false)
    if (!third.ok) assert.ok(third.retryAfterMs > 0)
    b.onCancel(true) // a probe that said nothing frees its slot
    assert.deepEqual(b.tryAcquire(), { ok: true, probe: true })
  })

  it('ignores outcomes of calls admitted before the circuit opened', () => {
    const { b, clock } = breaker()
    const late = b.tryAcquire()
    assert.deepEqual(late, { ok: true, probe: false })
    openIt(b)
    b.onSuccess(false) // the late call finally answered
    assert.equal(b.state, 'open')
    clock.advance(5_000)
    b.tryAcquire()
    b.onFailure(false) // non-probe failure while half-open
    assert.equal(b.state, 'half-open')
  })

  it('publishes transitions in order on switchboard:circuit:transition', () => {
    const seen: CircuitTransitionMessage[] = []
    const listener = (m: unknown) => {
      const msg = m as CircuitTransitionMessage
      if (msg.system === 'pub-test') seen.push(msg)
    }
    diagnostics.subscribe(CIRCUIT_TRANSITION_CHANNEL, listener)
    after(() => diagnostics.unsubscribe(CIRCUIT_TRANSITION_CHANNEL, listener))
    const { b, clock } = breaker({}, 'pub-test')
    const t0 = clock.now()
    openIt(b)
    clock.advance(5_000)
    b.tryAcquire()
    b.onFailure(true)
    clock.advance(5_000)
    b.tryAcquire()
    b.onSuccess(true)
    assert.deepEqual(
      seen.map((m) => [m.from, m.to, m.at - t0]),
      [
        ['closed', 'open', 0],
        ['open', 'half-open', 5_000],
        ['half-open', 'open', 5_000],
        ['open', 'half-open', 10_000],
        ['half-open', 'closed', 10_000],
      ],
    )
  })

  it('waitUntilClosedOrProbe resolves at once when closed, parks while open and wakes on half-open', async () => {
    const { b, clock } = breaker()
    await b.waitUntilClosedOrProbe()
    openIt(b)
    let woke = false
    const waiting = b.waitUntilClosedOrProbe().then(() => {
      woke = true
    })
    await new Promise((r) => setImmediate(r))
    assert.equal(woke, false)
    clock.advance(5_000)
    assert.equal(b.tryAcquire().ok, true) // someone looks: the transition wakes the waiter
    await waiting
    assert.equal(woke, true)
  })

  it('waitUntilClosedOrProbe wakes waiters when the circuit closes and rejects on abort', async () => {
    const { b, clock } = breaker()
    openIt(b)
    clock.advance(5_000)
    assert.equal(b.tryAcquire().ok, true) // the only probe slot is taken
    const ac = new AbortController()
    const aborted = b.waitUntilClosedOrProbe(ac.signal)
    const parked = b.waitUntilClosedOrProbe()
    ac.abort(new Error('shutdown'))
    await assert.rejects(aborted, /shutdown/)
    b.onSuccess(true)
    await parked
    assert.equal(b.state, 'closed')
  })

  it('waitUntilClosedOrProbe wakes by itself when the cooldown ends (real time)', async () => {
    const b = new CircuitBreaker('timer', { ...OPTS, cooldownMs: 30 })
    for (let i = 0; i < 4; i++) call(b, false)
    assert.equal(b.state, 'open')
    await b.waitUntilClosedOrProbe(AbortSignal.timeout(10_000))
    assert.equal(b.state, 'half-open')
  })

  it('rejects nonsensical options', () => {
    assert.throws(() => new CircuitBreaker('x', { ...OPTS, failureRate: 0 }), RangeError)
    assert.throws(() => new CircuitBreaker('x', { ...OPTS, failureRate: 1.5 }), RangeError)
    assert.throws(() => new CircuitBreaker('x', { ...OPTS, halfOpenProbes: 0 }), RangeError)
    assert.throws(() => new CircuitBreaker('x', { ...OPTS, windowMs: 0 }), RangeError)
  })
})
