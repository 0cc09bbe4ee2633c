import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import diagnostics from 'node:diagnostics_channel'
import { ManualClock } from '../../src/core/clock.js'
import { CircuitOpenError, SwitchboardError } from '../../src/core/errors.js'
import type { SystemConfig } from '../../src/config/spec/system.js'
import { Systems } from '../../src/systems/registry.js'
import { CIRCUIT_TRANSITION_CHANNEL, type CircuitTransitionMessage } from '../../src/systems/diagnostics.js'
import { startServer, type TestServer } from './servers.js'

describe('circuit breaker on real calls', () => {
  let server: TestServer
  let mode: 'fail' | 'ok' | 'hang' = 'fail'
  const release: Array<() => void> = []
  const open: Systems[] = []

  before(async () => {
    server = await startServer((_req, res) => {
      if (mode === 'fail') {
        res.statusCode = 500
        res.end('boom')
      } else if (mode === 'hang') {
        release.push(() => res.end('late'))
      } else {
        res.end('ok')
      }
    })
  })
  after(async () => {
    for (const r of release) r()
    await Promise.all(open.map((s) => s.close()))
    await server.close()
  })

  function system(extra: Partial<SystemConfig> = {}) {
    const clock = new ManualClock()
    const systems = Systems.fromConfig(
      { billing: { baseUrl: server.url, circuitBreaker: { failureRate: 0.5, minRequests: 4, window: '10s', cooldown: '30s' }, ...extra } },
      { clock },
    )
    open.push(systems)
    return { clock, c: systems.get('billing'), systems }
  }

  async function status(c: ReturnType<typeof system>['c']): Promise<number> {
    const res = await c.request({ method: 'GET', path: '/x' })
    await res.body.dump()
    return res.statusCode
  }

  it('opens after 5xx answers, then fails fast with CircuitOpenError without calling the system', async () => {
    mode = 'fail'
    const { c, systems } = system()
    const hits = server.received.length
    for (let i = 0; i < 4; i++) assert.equal(await status(c), 500)
    assert.equal(c.breaker.state, 'open')
    for (let i = 0; i < 3; i++) {
      await assert.rejects(status(c), (err: unknown) => {
        assert.ok(err instanceof CircuitOpenError)
        assert.equal(err.code, 'SB_ERR_SYSTEM_CIRCUIT_OPEN')
        assert.equal(err.status, 503)
        assert.equal(err.retryAfterMs, 30_000)
        return true
      })
    }
    assert.equal(server.received.length - hits, 4, 'no call reached the system while open')
    const [health] = systems.health()
    assert.equal(health!.state, 'open')
    assert.equal(health!.retryAfterMs, 30_000)
    assert.equal(health!.windowFailures, 4)
  })

  it('recovers after the cooldown: one probe goes through and its success closes the circuit', async () => {
    mode = 'fail'
    const { c, clock } = system()
    for (let i = 0; i < 4; i++) await status(c)
    assert.equal(c.breaker.state, 'open')
    mode = 'ok'
    clock.advance(30_000)
    const hits = server.received.length
    assert.equal(await status(c), 200)
    assert.equal(server.received.length - hits, 1)
    assert.equal(c.breaker.state, 'closed')
    assert.equal(await status(c), 200)
  })

  it('a failing probe re-opens the circuit for a fresh cooldown', async () => {
    mode = 'fail'
    const { c, clock } = system()
    for (let i = 0; i < 4; i++) await status(c)
    clock.advance(30_000)
    assert.equal(await status(c), 500)
    assert.equal(c.breaker.state, 'open')
    await assert.rejects(status(c), (err: unknown) => err instanceof CircuitOpenError && err.retryAfterMs === 30_000)
  })

  it('lets a single probe through while half-open; concurrent calls fail fast', async () => {
    mode = 'fail'
    const { c, clock } = system()
    for (let i = 0; i < 4; i++) await status(c)
    clock.advance(30_000)
    mode = 'hang'
    const hits = server.received.length
    const probe = status(c)
    // Wait (bounded) until the probe is held by the server.
    for (let i = 0; i < 500 && release.length === 0; i++) await new Promise((r) => setTimeout(r, 10))
    assert.equal(release.length, 1)
    await assert.rejects(status(c), CircuitOpenError)
    assert.equal(server.received.length - hits, 1)
    release.shift()!()
    assert.equal(await probe, 200)
    assert.equal(c.breaker.state, 'closed')
  })

  it('timeouts count as failures and open the circuit', async () => {
    mode = 'hang'
    const { c } = system({ timeout: '100ms' })
    for (let i = 0; i < 4; i++) {
      await assert.rejects(status(c), (err: unknown) => err instanceof SwitchboardError && err.code === 'SB_ERR_SYSTEM_TIMEOUT')
    }
    assert.equal(c.breaker.state, 'open')
    for (const r of release.splice(0)) r()
  })

  it('4xx and 429 answers do not open the circuit', async () => {
    const local = await startServer((req, res) => {
      res.statusCode = req.url === '/429' ? 429 : 404
      res.end()
    })
    try {
      const systems = Systems.fromConfig({ s: { baseUrl: local.url, circuitBreaker: { minRequests: 2 } } })
      open.push(systems)
      const s = systems.get('s')
      for (const path of ['/404', '/429', '/404', '/429']) await (await s.request({ method: 'GET', path })).body.dump()
      assert.equal(s.breaker.state, 'closed')
      assert.deepEqual(s.breaker.windowStats(), { requests: 4, failures: 0 })
    } finally {
      await local.close()
    }
  })

  it('publishes the transitions of a system’s circuit', async () => {
    const seen: CircuitTransitionMessage[] = []
    const listener = (m: unknown) => {
      const msg = m as CircuitTransitionMessage
      if (msg.system === 'billing') seen.push(msg)
    }
    diagnostics.subscribe(CIRCUIT_TRANSITION_CHANNEL, listener)
    try {
      mode = 'fail'
      const { c, clock } = system()
      for (let i = 0; i < 4; i++) await status(c)
      mode = 'ok'
      clock.advance(30_000)
      await status(c)
    } finally {
      diagnostics.unsubscribe(CIRCUIT_TRANSITION_CHANNEL, listener)
    }
    assert.deepEqual(
      seen.map((m) => `${m.from}→${m.to}`),
      ['closed→open', 'open→half-open', 'half-open→closed'],
    )
  })

  it('a flow worker can park until a probe may go through', async () => {
    mode = 'fail'
    const { c, clock } = system()
    for (let i = 0; i < 4; i++) await status(c)
    let woke = false
    const parked = c.breaker.waitUntilClosedOrProbe(AbortSignal.timeout(10_000)).then(() => {
      woke = true
    })
    await new Promise((r) => setTimeout(r, 20))
    assert.equal(woke, false)
    clock.advance(30_000)
    mode = 'ok'
    assert.equal(await status(c), 200) // a gateway call probes and closes the circuit
    await parked
    assert.equal(woke, true)
  })

  it('an open circuit does not spend outbound rate-limit tokens', async () => {
    mode = 'fail'
    const { c } = system({ rateLimit: { perSecond: 0.001, burst: 5 } })
    for (let i = 0; i < 4; i++) await status(c)
    for (let i = 0; i < 10; i++) await assert.rejects(status(c), CircuitOpenError)
    assert.equal(c.rateLimit!.available(), 1)
  })
})
