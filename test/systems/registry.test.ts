import { describe, it, after } from 'node:test'
import assert from 'node:assert/strict'
import { SwitchboardError } from '../../src/core/errors.js'
import { durationMs } from '../../src/core/duration.js'
import { CircuitBreakerPolicy, SystemSpec, type SystemConfig } from '../../src/config/spec/system.js'
import { Systems } from '../../src/systems/registry.js'
import { SYSTEM_DEFAULTS } from '../../src/systems/options.js'
import { startServer } from './servers.js'

function configError(field: RegExp, hidden?: string) {
  return (err: unknown) => {
    assert.ok(err instanceof SwitchboardError)
    assert.equal(err.code, 'SB_ERR_CONFIG_INVALID')
    assert.match(err.message, field)
    if (hidden !== undefined) assert.ok(!err.message.includes(hidden), 'the message must not show the secret')
    return true
  }
}

describe('Systems registry', () => {
  const open: Systems[] = []
  after(async () => {
    await Promise.all(open.map((s) => s.close()))
  })

  it('gets configured systems and refuses unknown ones with SB_ERR_SYSTEM_UNKNOWN', () => {
    const systems = Systems.fromConfig({ erp: { baseUrl: 'http://127.0.0.1:9' }, crm: { baseUrl: ['http://127.0.0.1:9', 'http://127.0.0.1:10/api'] } })
    open.push(systems)
    assert.equal(systems.get('erp').name, 'erp')
    assert.equal(systems.has('crm'), true)
    assert.equal(systems.has('billing'), false)
    assert.deepEqual(systems.names(), ['erp', 'crm'])
    assert.throws(() => systems.get('billing'), (err: unknown) => err instanceof SwitchboardError && err.code === 'SB_ERR_SYSTEM_UNKNOWN' && /"billing"/.test(err.message))
    assert.throws(() => systems.get('__proto__'), (err: unknown) => err instanceof SwitchboardError && err.code === 'SB_ERR_SYSTEM_UNKNOWN')
    const health = systems.health()
    assert.deepEqual(
      health.map((h) => [h.system, h.state, h.baseUrls, h.openedAt, h.retryAfterMs, h.windowRequests]),
      [
        ['erp', 'closed', ['http://127.0.0.1:9'], null, 0, 0],
        ['crm', 'closed', ['http://127.0.0.1:9', 'http://127.0.0.1:10/api'], null, 0, 0],
      ],
    )
  })

  it('effectiveBaseUrls replace the configured base URL (mock systems)', async () => {
    const server = await startServer((req, res) => res.end(`mock ${req.url}`))
    try {
      const systems = Systems.fromConfig({ shop: { mock: { responses: [] } } }, { effectiveBaseUrls: new Map([['shop', [server.url]]]) })
      open.push(systems)
      const res = await systems.get('shop').request({ method: 'GET', path: '/p' })
      assert.equal(await res.body.text(), 'mock /p')
    } finally {
      await server.close()
    }
  })

  it('refuses a system without any base URL, naming the field', () => {
    assert.throws(() => Systems.fromConfig({ shop: { mock: {} } }), configError(/^systems\.shop\.baseUrl: required/))
  })

  it('refuses base URLs with credentials, query, fragment or a non-http protocol', () => {
    assert.throws(() => Systems.fromConfig({ a: { baseUrl: 'http://user:hunter2@h' } }), configError(/systems\.a\.baseUrl: must not contain credentials/, 'hunter2'))
    assert.throws(() => Systems.fromConfig({ a: { baseUrl: 'http://h/api?x=1' } }), configError(/systems\.a\.baseUrl: must not contain a query/))
    assert.throws(() => Systems.fromConfig({ a: { baseUrl: ['http://h', 'ftp://h'] } }), configError(/systems\.a\.baseUrl\[1\]: protocol/))
    assert.throws(() => Systems.fromConfig({ a: { baseUrl: 'not a url' } }), configError(/systems\.a\.baseUrl: not a valid absolute URL/))
  })

  it('refuses header values and credentials that would split the request, without showing them', () => {
    assert.throws(() => Systems.fromConfig({ a: { baseUrl: 'http://h', headers: { 'X-T': 'a\r\nX-Evil: 1' } } }), configError(/systems\.a\.headers\.X-T: contains a control character/, 'X-Evil'))
    assert.throws(() => Systems.fromConfig({ a: { baseUrl: 'http://h', auth: { type: 'bearer', token: 'tok\nen-secret' } } }), configError(/systems\.a\.auth\.token/, 'en-secret'))
    assert.throws(() => Systems.fromConfig({ a: { baseUrl: 'http://h', auth: { type: 'basic', username: 'a:b', password: 'p' } } }), configError(/systems\.a\.auth\.username: must not contain ":"/))
    assert.throws(
      () => Systems.fromConfig({ a: { baseUrl: 'http://h', auth: { type: 'oauth2-client-credentials', tokenUrl: 'http://id:pw@idp/token', clientId: 'c', clientSecret: 's' } } }),
      configError(/systems\.a\.auth\.tokenUrl: must not contain credentials/),
    )
    assert.throws(() => Systems.fromConfig({ a: { baseUrl: 'http://h', timeout: 0 } }), configError(/systems\.a\.timeout: must be greater than 0/))
  })

  it('refuses the whole config when one system is invalid', () => {
    const config: Record<string, SystemConfig> = { ok: { baseUrl: 'http://127.0.0.1:9' }, bad: { baseUrl: 'ftp://x' } }
    assert.throws(() => Systems.fromConfig(config), configError(/systems\.bad\.baseUrl/))
  })

  it('its defaults are the ones the config spec documents', () => {
    const p = SystemSpec.properties
    assert.equal(SYSTEM_DEFAULTS.timeoutMs, durationMs(p.timeout.default as string))
    assert.equal(SYSTEM_DEFAULTS.connectTimeoutMs, durationMs(p.connectTimeout.default as string))
    assert.equal(SYSTEM_DEFAULTS.connections, p.pool.properties.connections.default)
    assert.equal(SYSTEM_DEFAULTS.keepAliveMs, durationMs(p.pool.properties.keepAlive.default as string))
    assert.equal(SYSTEM_DEFAULTS.passiveHealth.failures, p.passiveHealth.properties.failures.default)
    assert.equal(SYSTEM_DEFAULTS.passiveHealth.cooldownMs, durationMs(p.passiveHealth.properties.cooldown.default as string))
    const cb = CircuitBreakerPolicy.properties
    assert.deepEqual(SYSTEM_DEFAULTS.breaker, {
      failureRate: cb.failureRate.default,
      minRequests: cb.minRequests.default,
      windowMs: durationMs(cb.window.default as string),
      cooldownMs: durationMs(cb.cooldown.default as string),
      halfOpenProbes: cb.halfOpenProbes.default,
    })
  })
})
