import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { Readable } from 'node:stream'
import { ManualClock } from '../../src/core/clock.js'
import { SwitchboardError } from '../../src/core/errors.js'
import type { SystemConfig } from '../../src/config/spec/system.js'
import { Systems } from '../../src/systems/registry.js'
import { deadPort, startServer, type TestServer } from './servers.js'

const open: Systems[] = []
function client(config: SystemConfig, clock?: ManualClock) {
  const systems = Systems.fromConfig({ multi: config }, { clock })
  open.push(systems)
  return systems.get('multi')
}
after(async () => {
  await Promise.all(open.map((s) => s.close()))
})

// Keep the breaker out of the way: these tests are about base URL selection.
const NO_BREAKER = { minRequests: 1000 }

async function get(c: ReturnType<typeof client>, path = '/x', body?: string | Readable): Promise<number> {
  const res = await c.request({ method: body === undefined ? 'GET' : 'POST', path, body })
  await res.body.dump()
  return res.statusCode
}

describe('several base URLs', () => {
  let a: TestServer
  let b: TestServer
  let bBroken = false
  before(async () => {
    a = await startServer((_req, res) => res.end('a'))
    b = await startServer((_req, res) => {
      res.statusCode = bBroken ? 500 : 200
      res.end('b')
    })
  })
  after(async () => {
    await a.close()
    await b.close()
  })

  it('spreads calls round-robin', async () => {
    const a0 = a.received.length
    const b0 = b.received.length
    const c = client({ baseUrl: [a.url, b.url], circuitBreaker: NO_BREAKER })
    for (let i = 0; i < 6; i++) assert.equal(await get(c), 200)
    assert.equal(a.received.length - a0, 3)
    assert.equal(b.received.length - b0, 3)
  })

  it('skips a base URL after consecutive failures, then tries it again after the cooldown', async () => {
    const clock = new ManualClock()
    const c = client({ baseUrl: [a.url, b.url], circuitBreaker: NO_BREAKER, passiveHealth: { failures: 3, cooldown: '10s' } }, clock)
    const b0 = b.received.length
    bBroken = true
    try {
      for (let i = 0; i < 6; i++) await get(c) // a, b(500), a, b(500), a, b(500)
      assert.equal(b.received.length - b0, 3)
      const health = c.health().targets
      assert.equal(health[1]!.healthy, false)
      assert.equal(health[1]!.consecutiveFailures, 3)
      assert.equal(health[0]!.healthy, true)

      for (let i = 0; i < 6; i++) assert.equal(await get(c), 200, 'served by the healthy URL')
      assert.equal(b.received.length - b0, 3, 'the failing URL is skipped during its cooldown')

      clock.advance(10_000)
      bBroken = false
      for (let i = 0; i < 4; i++) await get(c)
      assert.equal(b.received.length - b0, 5, 'back in rotation after the cooldown')
      assert.equal(c.health().targets[1]!.healthy, true)
      assert.equal(c.health().targets[1]!.consecutiveFailures, 0)
    } finally {
      bBroken = false
    }
  })

  it('one more failure after the cooldown takes the URL out again at once', async () => {
    const clock = new ManualClock()
    const c = client({ baseUrl: [a.url, b.url], circuitBreaker: NO_BREAKER, passiveHealth: { failures: 2, cooldown: '5s' } }, clock)
    const b0 = b.received.length
    bBroken = true
    try {
      for (let i = 0; i < 4; i++) await get(c)
      assert.equal(b.received.length - b0, 2)
      clock.advance(5_000)
      for (let i = 0; i < 6; i++) await get(c)
      assert.equal(b.received.length - b0, 3, 'a single probe call, then skipped again')
    } finally {
      bBroken = false
    }
  })

  it('sends a replayable call to the next base URL when a connection is refused', async () => {
    const dead = `http://127.0.0.1:${await deadPort()}`
    const c = client({ baseUrl: [dead, a.url], circuitBreaker: NO_BREAKER })
    const a0 = a.received.length
    for (let i = 0; i < 6; i++) assert.equal(await get(c, '/p', 'payload'), 200)
    assert.equal(a.received.length - a0, 6)
    assert.equal(a.received.at(-1)!.body, 'payload')
    assert.deepEqual(c.breaker.windowStats(), { requests: 6, failures: 0 }, 'a failover that succeeds is one successful call')
  })

  it('does not replay a stream body on another base URL', async () => {
    const dead = `http://127.0.0.1:${await deadPort()}`
    const c = client({ baseUrl: [dead, a.url], circuitBreaker: NO_BREAKER })
    const a0 = a.received.length
    await assert.rejects(get(c, '/s', Readable.from(['x'])), (err: unknown) => err instanceof SwitchboardError && err.code === 'SB_ERR_SYSTEM_UNREACHABLE')
    assert.equal(a.received.length, a0)
  })

  it('still tries when every base URL is down (no black hole), and reports unreachable', async () => {
    const c = client({
      baseUrl: [`http://127.0.0.1:${await deadPort()}`, `http://127.0.0.1:${await deadPort()}`],
      circuitBreaker: NO_BREAKER,
      passiveHealth: { failures: 1, cooldown: '1h' },
    })
    for (let i = 0; i < 3; i++) {
      await assert.rejects(get(c), (err: unknown) => err instanceof SwitchboardError && err.code === 'SB_ERR_SYSTEM_UNREACHABLE')
    }
    assert.ok(c.health().targets.every((t) => !t.healthy))
    assert.deepEqual(c.breaker.windowStats(), { requests: 3, failures: 3 })
  })
})
